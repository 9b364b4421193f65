import Foundation

/// RFC 3339 timestamps in UTC to the second, as every time in an incident file is written.
public enum Time {
    public static func format(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let inDay = seconds - days * 86400
        let (year, month, day) = civil(fromDays: days)
        guard (0...9999).contains(year) else { return format(year, month, day, inDay) }
        // Twenty bytes written in place: an analysis formats two times per event.
        return String(unsafeUninitializedCapacity: 20) { text in
            func put(_ number: Int, _ width: Int, at end: Int) {
                var number = number
                for index in stride(from: end - 1, through: end - width, by: -1) {
                    text[index] = UInt8(truncatingIfNeeded: 0x30 + number % 10)
                    number /= 10
                }
            }
            put(year, 4, at: 4)
            put(month, 2, at: 7)
            put(day, 2, at: 10)
            put(inDay / 3600, 2, at: 13)
            put(inDay % 3600 / 60, 2, at: 16)
            put(inDay % 60, 2, at: 19)
            (text[4], text[7], text[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (text[13], text[16], text[19]) = (UInt8(ascii: ":"), UInt8(ascii: ":"), UInt8(ascii: "Z"))
            return 20
        }
    }

    /// Any year, as printf's %04d and %02d would write it (a sign before a negative year).
    static func format(_ year: Int, _ month: Int, _ day: Int, _ inDay: Int) -> String {
        func padded(_ number: Int, _ width: Int) -> String {
            let digits = String(number.magnitude)
            let sign = number < 0 ? "-" : ""
            return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
        }
        return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T" + padded(inDay / 3600, 2) + ":"
            + padded(inDay % 3600 / 60, 2) + ":" + padded(inDay % 60, 2) + "Z"
    }

    // Howard Hinnant's days-from-civil algorithms: exact for the proleptic Gregorian calendar,
    // and far cheaper than Calendar (list sorts thousands of timestamps).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civil(fromDays value: Int) -> (Int, Int, Int) {
        let z = value + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp + (mp < 10 ? 3 : -9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The `YYYY-MM-DD` part, for file names.
    public static func day(_ date: Date) -> String { String(format(date).prefix(10)) }

    /// Reads `2025-09-09T02:40:11Z`, with fractions or an offset, or a bare date (midnight UTC).
    public static func parse(_ text: String) -> Date? {
        // Read in place: `stats` parses several times per incident, and a copy of the bytes each.
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    private static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? {
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
        // February 30th is no date (the day count would roll it over to March 2nd).
        guard (1...12).contains(month), (1...31).contains(day),
            civil(fromDays: days(year: year, month: month, day: day)) == (year, month, day)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var offsetSeconds = 0
        if bytes.count > 10 {
            guard bytes[10] == 0x54 || bytes[10] == 0x74 || bytes[10] == 0x20, let hours = number(11, 2),
                bytes.count > 13, bytes[13] == 0x3A, let minutes = number(14, 2), hours < 24, minutes < 60
            else { return nil }
            hour = hours
            minute = minutes
            var index = 16
            if bytes.count > 16, bytes[16] == 0x3A, let seconds = number(17, 2), seconds <= 60 {
                second = seconds
                index = 19
            }
            if index < bytes.count, bytes[index] == 0x2E || bytes[index] == 0x2C {
                index += 1
                // Incident times are to the second: the fraction is read past, not kept.
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
        let total =
            days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(total))
    }
}

/// Gives a year to dates written without one (syslog `Dec 31 23:59:59`, logcat `03-17 16:13:38`):
/// the most recent such date that is not in the future (SPEC "Log analysis").
struct YearlessDates: Sendable, ExpressibleByIntegerLiteral {
    /// The latest time a date may fall on, in epoch seconds.
    let latest: Int64
    /// The year of `latest`, the first one tried.
    let year: Int

    /// A day of grace past `now`: a line written in a zone east of UTC reads up to 14 hours ahead.
    init(now: Date) {
        latest = Int64(now.timeIntervalSince1970.rounded(.down)) + 86400
        year = Time.civil(fromDays: Int(latest >= 0 ? latest / 86400 : (latest - 86399) / 86400)).0
    }

    /// Every year-less date falls in `year` (used where only the shape of a timestamp matters).
    init(integerLiteral year: Int) {
        self.year = year
        latest = Int64(Time.days(year: year + 1, month: 1, day: 1)) * 86400 - 1
    }

    /// Epoch seconds of `month`/`day` plus `seconds` into the day, in the latest year that puts it
    /// at or before `latest` (29 February: the latest leap year that does). The day and the time
    /// are checked no further than the layouts always did.
    func epoch(month: Int, day: Int, seconds: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        func fits(_ year: Int) -> Bool {
            month != 2 || day != 29 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        }
        func time(_ year: Int) -> Int64 {
            Int64(Time.days(year: year, month: month, day: day)) * 86400 + Int64(seconds)
        }
        var candidate = year
        while !fits(candidate) { candidate -= 1 }
        if time(candidate) > latest {
            candidate -= 1
            while !fits(candidate) { candidate -= 1 }
        }
        return time(candidate)
    }
}
