/// Random lines made of `fragments` (1 to `maxPieces` each), joined directly or, with one chance
/// in `spaceOdds`, by a space: dense in whatever the fragments are chosen to exercise. Seeded, so
/// a failure names a reproducible line.
func fragmentLines(_ fragments: [String], count: Int, seed: UInt64, maxPieces: Int, spaceOdds: Int = 0) -> [[UInt8]] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        var line: [UInt8] = []
        for index in 0..<Int.random(in: 1...maxPieces, using: &generator) {
            if index > 0, spaceOdds > 0, Int.random(in: 0..<spaceOdds, using: &generator) > 0 { line.append(0x20) }
            line += Array(fragments.randomElement(using: &generator)!.utf8)
        }
        return line
    }
}
