import Foundation

/// What the first lines of a file say about its header, learned once per file and applied to
/// every line: where most lines carry their timestamp and their level, counted in
/// space-separated fields from the start of the line. A line whose own header the parser cannot
/// read in full (an unusual node name, a field it has no rule for) is then cut where the file's
/// other lines are, so one event does not split into lines with and without header text.
struct HeaderLayout: Equatable, Sendable {
    /// The field holding the timestamp in most lines, when fields come before it
    /// (`134681 node-7 unix.hw state_change 1077804742 1 …`): they are header.
    var timeField = 0
    /// The field holding the level in most lines: on a line with a level word there, the fields
    /// before it are header.
    var levelField: Int?
    /// Whether most lines carry a timestamp: then a line without one (a continuation, a
    /// message's second line) is not cut at the level field.
    var timed = false

    static let none = HeaderLayout()
    /// Lines read before the layout is decided, and the least of them that must agree.
    static let sampleLines = 200
    static let sampleBytes = 256 << 10
    static let minimumLines = 8
    static let agreement = 0.8
    static let maxFields = 12

    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The start of space-separated field `index` of `line`, if it has one.
    static func fieldStart(_ line: Bytes, _ index: Int) -> Int? {
        var position = 0
        while position < line.count, HeaderParser.isSpace(line[position]) { position += 1 }
        var field = 0
        while position < line.count {
            if field == index { return position }
            while position < line.count, !HeaderParser.isSpace(line[position]) { position += 1 }
            while position < line.count, HeaderParser.isSpace(line[position]) { position += 1 }
            field += 1
        }
        return nil
    }

    /// The level word of the field starting at `start` (`INFO`, `[error]`, `WARN:`), if it is one.
    static func levelField(_ line: Bytes, _ start: Int) -> (Severity, Int)? {
        var end = start
        while end < line.count, !HeaderParser.isSpace(line[end]) { end += 1 }
        var first = start
        var last = end
        if first < last, line[first] == 0x5B || line[first] == 0x3C { first += 1 }
        while last > first,
            line[last - 1] == 0x5D || line[last - 1] == 0x3E || line[last - 1] == 0x3A
                || line[last - 1] == 0x2C || line[last - 1] == 0x7C
        {
            last -= 1
        }
        return HeaderParser.level(line, first, last).map { ($0, end) }
    }

    /// Learns the layout from a file's first lines (indented and JSON lines are left out).
    static func learn(_ lines: [[UInt8]], year: YearlessDates) -> HeaderLayout {
        var timeFields = [Int](repeating: 0, count: maxFields)
        var levelFields = [Int](repeating: 0, count: maxFields)
        var sampled = 0
        for bytes in lines {
            guard let first = bytes.first, !HeaderParser.isSpace(first), first != 0x7B else { continue }
            sampled += 1
            bytes.withUnsafeBufferPointer { line in
                var position = 0
                var field = 0
                var timeSeen = false
                while position < line.count, field < maxFields {
                    let at = line[position] == 0x5B ? position + 1 : position  // "[10.30 16:49:06] …"
                    if !timeSeen, let (_, end) = HeaderParser.timestamp(line, at, year: year), end - at >= 8 {
                        timeFields[field] += 1
                        timeSeen = true
                    }
                    if levelField(line, position) != nil {
                        levelFields[field] += 1
                        break
                    }
                    while position < line.count, !HeaderParser.isSpace(line[position]) { position += 1 }
                    while position < line.count, HeaderParser.isSpace(line[position]) { position += 1 }
                    field += 1
                }
            }
        }
        var layout = HeaderLayout()
        guard sampled >= minimumLines else { return layout }
        let needed = Int((Double(sampled) * agreement).rounded(.up))
        layout.timed = timeFields.reduce(0, +) >= needed
        if let (field, count) = timeFields.enumerated().max(by: { $0.element < $1.element }), count >= needed,
            field > 0
        {
            layout.timeField = field
        }
        if let (field, count) = levelFields.enumerated().max(by: { $0.element < $1.element }), count >= needed {
            layout.levelField = field
        }
        return layout
    }
}
