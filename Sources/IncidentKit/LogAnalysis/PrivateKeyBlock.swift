import Foundation

/// Whether a PEM private key block is open at the end of some bytes, read with the engine's
/// rule (`AnalysisEngine.redactLine`): a line with `-----BEGIN` and `PRIVATE KEY-----` and no
/// `-----END` opens one, a line with `-----END` and `PRIVATE KEY-----` closes it. An engine
/// redacts every line of an open block; one that starts reading in the middle of a log (a
/// file's second half, a stream's next segment) does not know a block is open, so the input is
/// never cut inside one.
enum PrivateKeyBlock {
    /// How far back a cut looks for an open block: a private key is a few KiB.
    static let window = 1 << 16

    /// Whether a block is open after `bytes` (starting closed; only lines holding `-----` are read).
    static func isOpen(after bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= 5 else { return false }
        var open = false
        var offset = 0
        while let at = find("-----", in: bytes, from: offset) {
            var start = at
            while start > 0, base[start - 1] != 0x0A { start -= 1 }
            var end = at
            while end < bytes.count, base[end] != 0x0A { end += 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            let hasKey = holds(line, "PRIVATE KEY-----")
            let hasEnd = holds(line, "-----END")
            if open {
                if hasEnd && hasKey { open = false }
            } else if hasKey && !hasEnd && holds(line, "-----BEGIN") {
                open = true
            }
            offset = end + 1
        }
        return open
    }

    /// Whether a block is open after the last `window` bytes of `bytes` before `end`.
    static func isOpen(before end: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = max(0, end - window)
        return isOpen(after: UnsafeBufferPointer(rebasing: bytes[start..<end]))
    }

    private static func holds(_ line: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        find(needle, in: line, from: 0) != nil
    }

    private static func find(_ needle: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        ByteSearch.first(UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount), in: bytes, from: from)
    }
}
