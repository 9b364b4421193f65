import Foundation

/// RFC 3339 timestamps in UTC to the second, as every time in an incident file is written.
public enum Time {
    public static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!,
            parts.minute!, parts.second!)
    }

    /// The `YYYY-MM-DD` part, for file names.
    public static func day(_ date: Date) -> String { String(format(date).prefix(10)) }

    /// Reads `2025-09-09T02:40:11Z`, with fractions or an offset, or a bare date (midnight UTC).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), bytes.count >= 10, bytes[4] == 0x2D, let month = number(5, 2),
            bytes[7] == 0x2D, let day = number(8, 2)
        else { return nil }
        var components = DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"), year: year,
            month: month, day: day)
        var offsetSeconds = 0
        if bytes.count > 10 {
            guard bytes[10] == 0x54 || bytes[10] == 0x74 || bytes[10] == 0x20, let hour = number(11, 2),
                bytes.count > 13, bytes[13] == 0x3A, let minute = number(14, 2)
            else { return nil }
            components.hour = hour
            components.minute = minute
            var index = 16
            if bytes.count > 16, bytes[16] == 0x3A, let second = number(17, 2) {
                components.second = second
                index = 19
            }
            if index < bytes.count, bytes[index] == 0x2E || bytes[index] == 0x2C {
                index += 1
                while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
            }
            if index < bytes.count {
                switch bytes[index] {
                case 0x5A, 0x7A: index += 1
                case 0x2B, 0x2D:
                    let sign = bytes[index] == 0x2D ? -1 : 1
                    guard let hours = number(index + 1, 2) else { return nil }
                    var minutes = 0
                    if let value = number(index + 4, 2), bytes[index + 3] == 0x3A {
                        minutes = value
                        index += 6
                    } else if let value = number(index + 3, 2) {
                        minutes = value
                        index += 5
                    } else {
                        index += 3
                    }
                    offsetSeconds = sign * (hours * 3600 + minutes * 60)
                default: return nil
                }
            }
            guard index == bytes.count else { return nil }
        }
        guard let date = components.date else { return nil }
        return date.addingTimeInterval(TimeInterval(-offsetSeconds))
    }
}
