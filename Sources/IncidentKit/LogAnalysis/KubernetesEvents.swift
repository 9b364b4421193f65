/// A row of a Kubernetes event table, as `kubectl describe` prints it (`Type Reason Age From
/// Message`) or `kubectl get events` (`LAST SEEN TYPE REASON OBJECT MESSAGE`): the type is the
/// level (SPEC: a Warning event is high), and an age of `12s (x3 over 2m)` is three occurrences.
struct KubernetesEventRow {
    var level: Severity
    var count: Int
    /// Where the message column starts.
    var messageStart: Int

    /// Columns are separated by two spaces or more; the type is the first or second column.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> KubernetesEventRow? {
        var columns: [Range<Int>] = []
        var index = 0
        while index < line.count, columns.count < 6 {
            while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
            guard index < line.count else { break }
            let start = index
            while index < line.count {
                if line[index] == 0x09 { break }
                if line[index] == 0x20, index + 1 < line.count, line[index + 1] == 0x20 || line[index + 1] == 0x09 { break }
                index += 1
            }
            columns.append(start..<index)
        }
        guard columns.count >= 5 else { return nil }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[range]), as: UTF8.self) }
        for typeColumn in 0...1 {
            let type = text(columns[typeColumn])
            guard type == "Warning" || type == "Normal" else { continue }
            let reason = text(columns[typeColumn + 1])
            guard let first = reason.unicodeScalars.first, first.properties.isUppercase,
                reason.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ($0.value >= 0x30 && $0.value <= 0x39) })
            else { return nil }
            // The age column: "12s", "2m3s", "<unknown>", with "(x3 over 2m)" after it.
            let age = text(typeColumn == 0 ? columns[2] : columns[0])
            var count = 1
            if let open = age.range(of: "(x"), let end = age[open.upperBound...].firstIndex(of: " "),
                let repeats = Int(age[open.upperBound..<end])
            {
                count = max(1, repeats)
            }
            let messageColumn = typeColumn == 0 ? 4 : 4
            return KubernetesEventRow(
                level: type == "Warning" ? .high : .low, count: count, messageStart: columns[messageColumn].lowerBound)
        }
        return nil
    }
}
