import Foundation

/// What the start of a log line says: when, how bad, who wrote it, and where the message begins.
struct LineHeader {
    var time: Int64?
    var level: Severity?
    /// A byte range of the line naming the logger, program or source location.
    var source: Range<Int>?
    var messageStart: Int
}

/// Finds the header of common plain-text layouts without being told which: ISO 8601, syslog,
/// log4j/logback, Python logging, Go, Apache, Windows CBS, Android logcat, HDFS, Spark and the like.
enum HeaderParser {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    static func number(_ line: Bytes, _ at: Int, _ count: Int) -> Int? {
        guard at >= 0, at + count <= line.count else { return nil }
        var value = 0
        for index in at..<at + count {
            let digit = line[index] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The month (1-12) whose name's first three letters stand at `at`, in any case.
    static func month(_ line: Bytes, _ at: Int) -> Int? {
        guard at + 3 <= line.count else { return nil }
        return month(key: UInt32(line[at] | 0x20) << 16 | UInt32(line[at + 1] | 0x20) << 8 | UInt32(line[at + 2] | 0x20))
    }

    /// `monthNames`' position (from 1) of three lower-case bytes packed into a UInt32: a switch on
    /// constants, as this is asked of most timestamps and every three-letter word of a message
    /// (a dictionary's hashing was 3% of a large analysis; `PackedKeyTests` checks the constants).
    @inline(__always) static func month(key: UInt32) -> Int? {
        switch key {
        case 0x6A616E: 1  // "jan"
        case 0x666562: 2  // "feb"
        case 0x6D6172: 3  // "mar"
        case 0x617072: 4  // "apr"
        case 0x6D6179: 5  // "may"
        case 0x6A756E: 6  // "jun"
        case 0x6A756C: 7  // "jul"
        case 0x617567: 8  // "aug"
        case 0x736570: 9  // "sep"
        case 0x6F6374: 10  // "oct"
        case 0x6E6F76: 11  // "nov"
        case 0x646563: 12  // "dec"
        default: nil
        }
    }

    static func epoch(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        return Int64(Time.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second)
    }

    /// One or two digits at `at`, not followed by a third: (value, end).
    static func shortNumber(_ line: Bytes, _ at: Int) -> (Int, Int)? {
        guard at < line.count, isDigit(line[at]) else { return nil }
        if at + 1 < line.count, isDigit(line[at + 1]) {
            if at + 2 < line.count, isDigit(line[at + 2]) { return nil }
            return (Int(line[at] &- 0x30) * 10 + Int(line[at + 1] &- 0x30), at + 2)
        }
        return (Int(line[at] &- 0x30), at + 1)
    }

    /// `HH:MM:SS` at `at`, returning seconds into the day and the end, fractions (`.123`, `,123`, `:123`) skipped.
    /// Fields may lack their leading zero (`0:5:9`): some loggers print them so, on some lines only.
    static func clock(_ line: Bytes, _ at: Int, separator: UInt8 = 0x3A) -> (Int, Int)? {
        guard let (hour, hourEnd) = shortNumber(line, at), hourEnd < line.count, line[hourEnd] == separator,
            let (minute, minuteEnd) = shortNumber(line, hourEnd + 1), minuteEnd < line.count,
            line[minuteEnd] == separator,
            let (second, secondEnd) = shortNumber(line, minuteEnd + 1)
        else { return nil }
        var end = secondEnd
        if end + 1 < line.count, line[end] == 0x2E || line[end] == 0x2C || line[end] == 0x3A, isDigit(line[end + 1]) {
            end += 1
            while end < line.count, isDigit(line[end]) { end += 1 }
        }
        return (hour * 3600 + minute * 60 + second, end)
    }

    /// A zone suffix: `Z`, `+02:00`, `+0200`, ` +0000`; returns the offset in seconds and the end.
    static func zone(_ line: Bytes, _ at: Int) -> (Int, Int) {
        guard at < line.count else { return (0, at) }
        if line[at] == 0x5A || line[at] == 0x7A { return (0, at + 1) }
        var index = at
        if index < line.count, line[index] == 0x20, index + 1 < line.count,
            line[index + 1] == 0x2B || line[index + 1] == 0x2D,
            number(line, index + 2, 4) != nil
        {
            index += 1
        }
        guard index < line.count, line[index] == 0x2B || line[index] == 0x2D, let hours = number(line, index + 1, 2)
        else {
            return (0, at)
        }
        let sign = line[index] == 0x2D ? -1 : 1
        if index + 3 < line.count, line[index + 3] == 0x3A, let minutes = number(line, index + 4, 2) {
            return (sign * (hours * 3600 + minutes * 60), index + 6)
        }
        if let minutes = number(line, index + 3, 2) { return (sign * (hours * 3600 + minutes * 60), index + 5) }
        return (sign * hours * 3600, index + 3)
    }

    /// A timestamp at `at` in any known layout: (epoch seconds, end).
    static func timestamp(_ line: Bytes, _ at: Int, year: YearlessDates) -> (Int64, Int)? {
        let n = line.count
        guard at < n else { return nil }
        // 2025-09-09[T ]02:25:04[.fff][Z|±hh:mm] · 2025/09/09 02:25:04 · 2005-06-03-15.42.50.675872
        if let y = number(line, at, 4), at + 10 <= n, line[at + 4] == 0x2D || line[at + 4] == 0x2F,
            let m = number(line, at + 5, 2), line[at + 7] == line[at + 4], let d = number(line, at + 8, 2)
        {
            if at + 11 < n, line[at + 10] == 0x54 || line[at + 10] == 0x20 || line[at + 10] == 0x74,
                let (seconds, end) = clock(line, at + 11)
            {
                let (offset, zoneEnd) = zone(line, end)
                return epoch(y, m, d, 0, 0, 0).map { ($0 + Int64(seconds - offset), zoneEnd) }
            }
            if at + 11 < n, line[at + 10] == 0x2D, let (seconds, end) = clock(line, at + 11, separator: 0x2E) {
                return epoch(y, m, d, 0, 0, 0).map { ($0 + Int64(seconds), end) }
            }
            return epoch(y, m, d, 0, 0, 0).map { ($0, at + 10) }
        }
        // 20171223-22:15:29:606 (HealthApp)
        if let y = number(line, at, 4), let m = number(line, at + 4, 2), let d = number(line, at + 6, 2), at + 9 < n,
            line[at + 8] == 0x2D, let (seconds, end) = clock(line, at + 9)
        {
            return epoch(y, m, d, 0, 0, 0).map { ($0 + Int64(seconds), end) }
        }
        // 081109 203615 (HDFS) · 180610 10:48:05 (MySQL) · 17/06/09 20:10:40 (Spark)
        if let y = number(line, at, 2), at + 13 <= n {
            if let m = number(line, at + 2, 2), let d = number(line, at + 4, 2), line[at + 6] == 0x20,
                let hh = number(line, at + 7, 2), let mm = number(line, at + 9, 2), let ss = number(line, at + 11, 2),
                at + 13 == n || !isDigit(line[at + 13])
            {
                return epoch(2000 + y, m, d, hh, mm, ss).map { ($0, at + 13) }
            }
            // 180610 10:48:05 · 170403  9:43:41 (MySQL before 5.7, MariaDB before 10.1: the hour
            // padded with a space)
            if line[at + 6] == 0x20, line[at + 9] == 0x3A || line[at + 10] == 0x3A, let m = number(line, at + 2, 2),
                let d = number(line, at + 4, 2)
            {
                let clockAt = line[at + 7] == 0x20 ? at + 8 : at + 7
                if isDigit(line[clockAt]), let (seconds, end) = clock(line, clockAt) {
                    return epoch(2000 + y, m, d, 0, 0, 0).map { ($0 + Int64(seconds), end) }
                }
            }
            if line[at + 2] == 0x2F, let m = number(line, at + 3, 2), line[at + 5] == 0x2F,
                let d = number(line, at + 6, 2),
                line[at + 8] == 0x20, let (seconds, end) = clock(line, at + 9)
            {
                return epoch(2000 + y, m, d, 0, 0, 0).map { ($0 + Int64(seconds), end) }
            }
        }
        // 03-17 16:13:38.811 (Android) · 10.30 16:49:06 (Proxifier): month, day, no year
        if let m = number(line, at, 2), at + 6 < n, line[at + 2] == 0x2D || line[at + 2] == 0x2E,
            let d = number(line, at + 3, 2),
            line[at + 5] == 0x20, let (seconds, end) = clock(line, at + 6)
        {
            return year.epoch(month: m, day: d, seconds: seconds).map { ($0, end) }
        }
        // Jun 14 15:16:01 (syslog) · Sun Dec 04 04:47:44 2005 (Apache)
        var index = at
        if month(line, index) == nil, index + 4 < n, line[index + 3] == 0x20, month(line, index + 4) != nil {
            index += 4
        }
        if let m = month(line, index), index + 4 < n, line[index + 3] == 0x20 {
            var dayAt = index + 4
            while dayAt < n, line[dayAt] == 0x20 { dayAt += 1 }
            var d = 0
            var clockAt = dayAt
            while clockAt < n, isDigit(line[clockAt]), clockAt - dayAt < 2 {
                d = d * 10 + Int(line[clockAt] - 0x30)
                clockAt += 1
            }
            // java.util.logging's "Nov 30, 2025 10:05:00 AM": a year after a comma, a 12-hour clock.
            if clockAt > dayAt, clockAt + 7 < n, line[clockAt] == 0x2C, line[clockAt + 1] == 0x20,
                let explicit = number(line, clockAt + 2, 4), line[clockAt + 6] == 0x20,
                let (seconds, end) = clock(line, clockAt + 7)
            {
                var daySeconds = seconds
                var stop = end
                if end + 2 < n, line[end] == 0x20, line[end + 2] == 0x4D,
                    line[end + 1] == 0x41 || line[end + 1] == 0x50
                {
                    let hour = seconds / 3600
                    if line[end + 1] == 0x41, hour == 12 { daySeconds -= 12 * 3600 }
                    if line[end + 1] == 0x50, hour < 12 { daySeconds += 12 * 3600 }
                    stop = end + 3
                }
                return epoch(explicit, m, d, 0, 0, 0).map { ($0 + Int64(daySeconds), stop) }
            }
            if clockAt > dayAt, clockAt < n, line[clockAt] == 0x20, let (seconds, end) = clock(line, clockAt + 1) {
                if end + 5 <= n, line[end] == 0x20, let explicit = number(line, end + 1, 4),
                    end + 5 == n || !isDigit(line[end + 5])
                {
                    return epoch(explicit, m, d, 0, 0, 0).map { ($0 + Int64(seconds), end + 5) }
                }
                return year.epoch(month: m, day: d, seconds: seconds).map { ($0, end) }
            }
        }
        // 30 Nov 2025 10:20:01.101 (RFC 2822's order; Redis, Valkey) · 1 Dec 2025 09:05:07
        if let (d, dayEnd) = shortNumber(line, at), d >= 1, d <= 31, dayEnd + 4 < n, line[dayEnd] == 0x20,
            let m = month(line, dayEnd + 1), line[dayEnd + 4] == 0x20, let y = number(line, dayEnd + 5, 4),
            dayEnd + 10 < n, line[dayEnd + 9] == 0x20, let (seconds, end) = clock(line, dayEnd + 10)
        {
            let (offset, zoneEnd) = zone(line, end)
            return epoch(y, m, d, 0, 0, 0).map { ($0 + Int64(seconds - offset), zoneEnd) }
        }
        // 30-Nov-2025 10:00:00 (PHP's error log, Tomcat's catalina.out)
        if let d = number(line, at, 2), at + 12 < n, line[at + 2] == 0x2D, let m = month(line, at + 3),
            line[at + 6] == 0x2D, let y = number(line, at + 7, 4), line[at + 11] == 0x20,
            let (seconds, end) = clock(line, at + 12)
        {
            let (offset, zoneEnd) = zone(line, end)
            return epoch(y, m, d, 0, 0, 0).map { ($0 + Int64(seconds - offset), zoneEnd) }
        }
        // 09/Sep/2025:02:25:04 +0000 (access logs, inside brackets)
        if let d = number(line, at, 2), at + 11 < n, line[at + 2] == 0x2F, let m = month(line, at + 3),
            line[at + 6] == 0x2F,
            let y = number(line, at + 7, 4), line[at + 11] == 0x3A, let (seconds, end) = clock(line, at + 12)
        {
            let (offset, zoneEnd) = zone(line, end)
            return epoch(y, m, d, 0, 0, 0).map { ($0 + Int64(seconds - offset), zoneEnd) }
        }
        // 1117838570 (epoch seconds, 10 digits, 2001–2286)
        if let seconds = number(line, at, 10), seconds > 1_000_000_000, at + 10 == n || !isDigit(line[at + 10]) {
            var end = at + 10
            if end + 1 < n, line[end] == 0x2E, isDigit(line[end + 1]) {
                end += 1
                while end < n, isDigit(line[end]) { end += 1 }
            }
            return (Int64(seconds), end)
        }
        return nil
    }

    static let levels: [(String, Severity)] = [
        ("EMERGENCY", .critical), ("EMERG", .critical), ("ALERT", .critical), ("FATAL", .critical),
        ("CRITICAL", .critical),
        ("CRIT", .critical), ("PANIC", .critical), ("SEVERE", .high), ("ERROR", .high), ("ERR", .high), ("EROR", .high),
        ("WARNING", .medium), ("WARN", .medium), ("WRN", .medium), ("NOTICE", .low), ("INFO", .low), ("INF", .low),
        ("DEBUG", .low), ("DBG", .low), ("TRACE", .low), ("FINE", .low), ("FINER", .low), ("FINEST", .low),
        ("VERBOSE", .low), ("INFORMATION", .low),
    ]

    /// A level word, case-insensitive, in `line[start..<end]` (three to eight letters).
    @inline(__always) static func level(_ line: Bytes, _ start: Int, _ end: Int) -> Severity? {
        let length = end - start
        guard length >= 3, length <= 9 else { return nil }
        // EMERGENCY (syslog's level 0, SPEC "Severity") does not fit in eight packed bytes.
        if length == 9 { return isEmergency(line, start) ? .critical : nil }
        var key: UInt64 = 0
        for index in start..<end {
            let byte = line[index]
            guard (byte | 0x20) &- 0x61 < 26 else { return nil }
            key = key << 8 | UInt64(byte & 0xDF)
        }
        return level(key: key)
    }

    private static let emergency = Array("EMERGENCY".utf8)

    /// Whether the nine bytes at `start` are EMERGENCY in any case.
    static func isEmergency(_ line: Bytes, _ start: Int) -> Bool {
        zip(line[start..<start + 9], emergency).allSatisfy { ($0 | 0x20) &- 0x61 < 26 && $0 & 0xDF == $1 }
    }

    /// The severity of a level word of `levels`, its upper-case bytes packed into a UInt64: a
    /// switch on constants, as this is asked of tokens of every line (a dictionary's hashing was
    /// 1% of a large analysis; `PackedKeyTests` checks the constants against the words).
    @inline(__always) static func level(key: UInt64) -> Severity? {
        switch key {
        case 0x454D455247: .critical  // "EMERG"
        case 0x414C455254: .critical  // "ALERT"
        case 0x464154414C: .critical  // "FATAL"
        case 0x435249544943414C: .critical  // "CRITICAL"
        case 0x43524954: .critical  // "CRIT"
        case 0x50414E4943: .critical  // "PANIC"
        case 0x534556455245: .high  // "SEVERE"
        case 0x4552524F52: .high  // "ERROR"
        case 0x455252: .high  // "ERR"
        case 0x45524F52: .high  // "EROR"
        case 0x5741524E494E47: .medium  // "WARNING"
        case 0x5741524E: .medium  // "WARN"
        case 0x57524E: .medium  // "WRN"
        case 0x4E4F54494345: .low  // "NOTICE"
        case 0x494E464F: .low  // "INFO"
        case 0x494E46: .low  // "INF"
        case 0x4445425547: .low  // "DEBUG"
        case 0x444247: .low  // "DBG"
        case 0x5452414345: .low  // "TRACE"
        case 0x46494E45: .low  // "FINE"
        case 0x46494E4552: .low  // "FINER"
        case 0x46494E455354: .low  // "FINEST"
        case 0x564552424F5345: .low  // "VERBOSE"
        default: nil
        }
    }

    /// One-letter logcat and Go/glog levels.
    static func letterLevel(_ byte: UInt8) -> Severity? {
        switch byte {
        case 0x46, 0x41: return .critical  // F, A
        case 0x45: return .high  // E
        case 0x57: return .medium  // W
        case 0x49, 0x44, 0x56: return .low  // I, D, V
        default: return nil
        }
    }

    /// Where a line's leading timestamp is: its time, the end of the fields read so far, whether
    /// it was a syslog stamp (a host follows), and a name before it (a file name).
    struct LeadingTime {
        var time: Int64
        var end: Int
        var syslog = false
        var name: Range<Int>? = nil
        var level: Severity? = nil
    }

    /// The leading-timestamp matchers, tried in order on a line (after an alert flag): klog,
    /// a bracketed time, a time first, fields before the file's time field, a name before the
    /// time. (Called directly rather than through a list of closures: this runs on every line.)
    @inline(__always) static func leadingTime(
        _ line: Bytes, _ p: Int, _ year: YearlessDates, _ layout: HeaderLayout
    )
        -> LeadingTime?
    {
        klog(line, p, year, layout) ?? bracketedTime(line, p, year, layout) ?? timeFirst(line, p, year, layout)
            ?? learnedTimeField(line, p, year, layout) ?? nameBeforeTime(line, p, year, layout)
    }

    /// klog, as Kubernetes components write: `E0102 15:04:05.000000   12345 reflector.go:138] …`
    /// (level letter, month and day, time, thread id, then the source closed by `]`).
    static func klog(_ line: Bytes, _ p: Int, _ year: YearlessDates, _ layout: HeaderLayout) -> LeadingTime? {
        let n = line.count
        guard p + 14 < n, let found = letterLevel(line[p]), let month = number(line, p + 1, 2),
            let day = number(line, p + 3, 2), line[p + 5] == 0x20, let (seconds, clockEnd) = clock(line, p + 6),
            let time = year.epoch(month: month, day: day, seconds: seconds)
        else { return nil }
        var index = clockEnd
        while index < n, isSpace(line[index]) { index += 1 }
        let thread = index
        while index < n, isDigit(line[index]) { index += 1 }
        guard index > thread, index < n, isSpace(line[index]) else { return nil }
        while index < n, isSpace(line[index]) { index += 1 }
        let source = index
        while index < n, !isSpace(line[index]), line[index] != 0x5D { index += 1 }
        guard index < n, line[index] == 0x5D, index > source else { return nil }
        return LeadingTime(
            time: time, end: index + 1, name: source..<index, level: found)
    }

    /// `[Sun Dec 04 04:47:44 2005] …`, `[10.30 16:49:06] …`.
    /// Ruby's Logger: `E, [2025-11-30T10:00:00.223456 #1234] ERROR -- : …` (the letter repeats the level word).
    static func bracketedTime(_ line: Bytes, _ p: Int, _ year: YearlessDates, _ layout: HeaderLayout) -> LeadingTime? {
        var p = p
        if p + 4 < line.count, letterLevel(line[p]) != nil, line[p + 1] == 0x2C, line[p + 2] == 0x20, line[p + 3] == 0x5B {
            p += 3
        }
        guard p < line.count, line[p] == 0x5B, let close = indexOf(0x5D, in: line, from: p + 1, limit: 48),
            let (time, end) = timestamp(line, p + 1, year: year), end <= close
        else { return nil }
        return LeadingTime(time: time, end: close + 1)
    }

    /// `2025-09-09T02:25:11Z …`, `Jun 14 15:16:01 …`, `081109 203615 …`, `1117838570 …`.
    static func timeFirst(_ line: Bytes, _ p: Int, _ year: YearlessDates, _ layout: HeaderLayout) -> LeadingTime? {
        guard let (time, end) = timestamp(line, p, year: year) else { return nil }
        // "Nov 30, 2025 10:05:00 AM" (java.util.logging) is no syslog stamp: no host follows.
        return LeadingTime(time: time, end: end, syslog: month(line, p) != nil && !line[p..<end].contains(0x2C))
    }

    /// Fields before the field where most of the file's lines carry their time
    /// (`134681 node-7 unix.hw state_change 1077804742 1 …`): learned per file.
    static func learnedTimeField(_ line: Bytes, _ p: Int, _ year: YearlessDates, _ layout: HeaderLayout) -> LeadingTime? {
        guard layout.timeField > 0, let start = HeaderLayout.fieldStart(line, layout.timeField), start > p,
            let (time, end) = timestamp(line, start, year: year), end - start >= 8
        else { return nil }
        return LeadingTime(time: time, end: end, syslog: month(line, start) != nil)
    }

    /// One token before the timestamp, a file name or alert tag: `api.log.3 2024-03-01 10:00:00.123 …`.
    static func nameBeforeTime(_ line: Bytes, _ p: Int, _ year: YearlessDates, _ layout: HeaderLayout) -> LeadingTime? {
        let n = line.count
        var next = p
        while next < n, !isSpace(line[next]) { next += 1 }
        let tokenEnd = next
        while next < n, isSpace(line[next]) { next += 1 }
        guard next < n, next - p < 80, tokenEnd > p, isDigit(line[next]),
            let (time, end) = timestamp(line, next, year: year), end - next >= 10
        else { return nil }
        // A name has a word in it: "1:M" (Redis's pid and role) is a field, not a name.
        let letters = line[p..<tokenEnd].filter { ($0 | 0x20) &- 0x61 < 26 }.count
        return LeadingTime(time: time, end: end, name: letters >= 2 ? p..<tokenEnd : nil)
    }

    /// The header of a line: a leading timestamp (`leadingTime`'s matchers), fields up to a
    /// second timestamp, then header fields in any order (`fieldRule`), then the level where
    /// the file's other lines have it (`layout`).
    static func parse(_ line: Bytes, year: YearlessDates, layout: HeaderLayout = .none, nested: Bool = false)
        -> LineHeader
    {
        let n = line.count
        var header = LineHeader(time: nil, level: nil, source: nil, messageStart: 0)
        var p = 0
        while p < n, isSpace(line[p]) { p += 1 }
        // The BGL/Thunderbird alert flag before an epoch: "- 1117838570 …".
        if p + 2 < n, line[p] == 0x2D, line[p + 1] == 0x20, isDigit(line[p + 2]) { p += 2 }
        if p < n, line[p] == 0x3C, let syslog = rfc5424(line, p, year) { return syslog }
        let leading = leadingTime(line, p, year, layout)
        var fields = FieldState(pidsAllowed: false, hostAllowed: false)
        if let leading {
            header.time = leading.time
            header.level = leading.level
            fields.hostAllowed = leading.syslog
            fields.pidsAllowed = true
            p = leading.end
            // A second timestamp a few fields on, the fields between naming the date and host
            // ("- 1117838570 2005.06.03 R02-M1-N0 2005-06-03-15.42.50.675872 …", "… dn228 Nov 9 12:01:01 …").
            if let (end, syslog) = secondTimestamp(line, from: p, year: year) {
                p = end
                fields.hostAllowed = fields.hostAllowed || syslog
            }
        } else if let open = indexOf(0x5B, in: line, from: p, limit: 80),
            let (time, end) = timestamp(line, open + 1, year: year),
            end < n, line[end] == 0x5D
        {
            header.time = time  // "10.0.0.1 - - [09/Sep/2025:02:25:11 +0000] …": the message stays whole
            return header
        }
        // Python logging's default format, LEVEL:logger:message ("ERROR:app.db:could not connect …").
        if leading == nil, let colon = indexOf(0x3A, in: line, from: p, limit: 10), colon > p,
            line[p] &- 0x41 < 26, let found = level(line, p, colon), colon + 1 < n, !isSpace(line[colon + 1]),
            let second = indexOf(0x3A, in: line, from: colon + 1, limit: 80), second > colon + 1,
            isSourceToken(line, colon + 1, second)
        {
            header.level = found
            header.source = colon + 1..<second
            header.messageStart = second + 1
            return header
        }
        let afterTime = p
        p = headerFields(line, from: p, &header, &fields)
        // The level where the file's other lines have it, the fields before it being header
        // (a node name or a field no rule knows): then a logger may follow it.
        if header.level == nil, header.time != nil || !layout.timed, let field = layout.levelField,
            let start = HeaderLayout.fieldStart(line, field),
            start >= p, let (level, end) = HeaderLayout.levelField(line, start)
        {
            header.level = level
            fields.pidsAllowed = false
            fields.hostAllowed = false
            p = headerFields(line, from: end, &header, &fields)
        }
        if header.source == nil { header.source = leading?.name }
        if header.time == nil && header.level == nil && header.source == nil { p = afterTime }
        while p < n, isSpace(line[p]) || ((line[p] == 0x2D || line[p] == 0x7C) && p + 1 < n && isSpace(line[p + 1])) {
            p += 1
        }
        header.messageStart = min(p, n)
        // log4j's "%m (%c)": a level, no logger before the message, and the logger closing the line
        // ("… Prepare to shutdown (kafka.server.BrokerServer)").
        if header.source == nil, header.level != nil, n > p + 4, line[n - 1] == 0x29 {
            var open = n - 2
            while open > p, n - open < 160, line[open] != 0x28, !isSpace(line[open]) { open -= 1 }
            if line[open] == 0x28, open > p, isSpace(line[open - 1]), open + 2 < n - 1,
                isSourceToken(line, open + 1, n - 1), line[(open + 1)..<(n - 1)].contains(0x2E),
                line[open + 1] &- 0x61 < 26 || line[open + 1] &- 0x41 < 26,
                !line[(open + 1)..<(n - 1)].contains(where: { $0 == 0x2F || $0 == 0x3A || $0 == 0x3D }),
                let dot = line[(open + 1)..<(n - 1)].lastIndex(of: 0x2E), dot + 1 < n - 1,
                (line[dot + 1] | 0x20) &- 0x61 < 26  // a class name last, not a version's digits
            {
                header.source = (open + 1)..<(n - 1)
            }
        }
        // A whole header inside the message (a journald or syslog line wrapping an application's own
        // line: "… wsgi.sh[31]: [2024-07-05 09:13:44 +0200] [31] [CRITICAL] WORKER TIMEOUT"): its
        // level is the line's, and the message starts after it.
        // Only a message that opens as a header can (a time first, bare or bracketed): lines with a
        // time and no level are common, and are not parsed twice.
        if !nested, header.level == nil, header.time != nil, p < n, line[p] == 0x5B || isDigit(line[p]) {
            let inner = parse(UnsafeBufferPointer(rebasing: line[p...]), year: year, nested: true)
            if let level = inner.level, inner.time != nil {
                header.level = level
                header.messageStart = min(p + inner.messageStart, n)
            }
        }
        return header
    }

    /// What the header-field rules know of the fields read so far.
    struct FieldState {
        var pidsAllowed: Bool
        var hostAllowed: Bool
        var tokens = 0
        /// The previous field was the syslog host: a program name follows.
        var afterHost = false
    }

    /// What a rule makes of one field: header (read on from `end`), the last header field, or
    /// not its kind.
    enum FieldOutcome {
        case header(end: Int)
        case last(end: Int)
        case notMine
    }

    /// Reads header fields from `from` until one belongs to the message; returns where that is.
    static func headerFields(_ line: Bytes, from: Int, _ header: inout LineHeader, _ state: inout FieldState) -> Int {
        let n = line.count
        var p = from
        while state.tokens < 8 {
            var start = p
            while start < n, isSpace(line[start]) || line[start] == 0x2C { start += 1 }
            guard start < n else { return start }
            switch fieldRule(line, start, &header, &state) {
            case .header(let end):
                p = end
                state.tokens += 1
                state.pidsAllowed = state.pidsAllowed && header.level == nil
            case .last(let end):
                state.tokens += 1
                return end
            case .notMine:
                return p
            }
        }
        return p
    }

    /// The header-field rules, in order, for the field at `start`.
    @inline(__always) static func fieldRule(
        _ line: Bytes, _ start: Int, _ header: inout LineHeader, _ state: inout FieldState
    )
        -> FieldOutcome
    {
        let afterHost = state.afterHost
        state.afterHost = false
        if line[start] == 0x7C, case .last(let end) = pipeClosedFields(line, start, &header) { return .last(end: end) }
        if line[start] == 0x5B || line[start] == 0x3C { return bracketGroup(line, start, &header) }
        var end = start
        while end < line.count, !isSpace(line[end]) { end += 1 }
        let last = line[end - 1]
        let core = last == 0x3A || last == 0x7C ? end - 1 : end
        if end - start == 1, line[start] == 0x2D || line[start] == 0x7C || line[start] == 0x3A {
            return .header(end: end)  // a separator: "-", "|", ":"
        }
        if end - start == 1, header.time != nil, state.tokens < 3, line[start] == 0x2A || line[start] == 0x23 {
            return .header(end: end)  // a one-character mark after the time: Redis's "*" and "#"
        }
        if end - start == 3 || end - start == 2, line[start] == 0x2D, line[start + 1] == 0x2D, line[end - 1] == 0x2D,
            header.level != nil
        {
            return .header(end: end)  // Spring Boot's "--- [thread]", Ruby Logger's "-- :" after the level
        }
        if header.level != nil, line[start..<end].allSatisfy(isDigit), end + 4 < line.count, line[end] == 0x20,
            line[end + 1] == 0x2D, line[end + 2] == 0x2D, line[end + 3] == 0x2D, isSpace(line[end + 4])
        {
            return .header(end: end)  // Spring Boot's pid: "ERROR 7264 --- [main] …"
        }
        // A logger padded to a column and then a lone colon: "o.a.tomcat.jdbc.pool.ConnectionPool      : …".
        if header.level != nil, header.source == nil, line[start] != 0x3A, isSourceToken(line, start, end),
            line[start..<end].contains(0x2E)
        {
            var colon = end
            while colon < line.count, isSpace(line[colon]) { colon += 1 }
            if colon > end, colon < line.count, line[colon] == 0x3A, colon + 1 == line.count || isSpace(line[colon + 1]) {
                header.source = start..<end
                return .last(end: colon + 1)
            }
        }
        if header.level == nil, let found = level(line, start, core) {
            header.level = found
            return .header(end: end)
        }
        if header.level == nil, end - start == 1, header.time != nil, let found = letterLevel(line[start]) {
            header.level = found  // logcat "D"
            return .header(end: end)
        }
        if state.pidsAllowed, line[start..<end].allSatisfy(isDigit) { return .header(end: end) }  // a pid or thread id
        if state.tokens == 0, header.time != nil, end - start == 3, isZoneName(line, start) {
            return .header(end: end)  // "… 02:25:11.531 UTC [1234] ERROR: …"
        }
        if state.hostAllowed, state.tokens == 0 {
            state.hostAllowed = false  // the syslog host
            state.afterHost = true
            return .header(end: end)
        }
        if header.level == nil, header.time != nil, state.tokens < 6, levelAhead(line, from: start, within: 4),
            line[start..<end].contains(where: isDigit) || isUpperWord(line, start, end)
                || (line[start..<end].contains(0x40) && line[start..<end].allSatisfy(isFieldByte))
                || (line[start - 1] == 0x09 && line[start..<end].allSatisfy(isFieldByte))  // tab-separated fields
        {
            // fields before a level further on: "2005.06.03 R02-M1-N0 RAS KERNEL FATAL …", "user@db FATAL: …";
            // after a syslog host, the program before the level is the source ("pglookout[311]: ERROR …")
            if afterHost, header.source == nil, line[end - 1] == 0x3A, isSourceToken(line, start, end - 1) {
                header.source = start..<end - 1
            }
            return .header(end: end)
        }
        // java.util.logging: "org.apache.catalina.core.StandardContext startInternal SEVERE: …" (a
        // logger, its method, then the level on what was the record's second line).
        if header.level == nil, header.time != nil, header.source == nil, isSourceToken(line, start, end),
            line[start..<end].contains(0x2E)
        {
            var method = end
            while method < line.count, isSpace(line[method]) { method += 1 }
            var methodEnd = method
            while methodEnd < line.count, !isSpace(line[methodEnd]) { methodEnd += 1 }
            var levelAt = methodEnd
            while levelAt < line.count, isSpace(line[levelAt]) { levelAt += 1 }
            var levelEnd = levelAt
            while levelEnd < line.count, !isSpace(line[levelEnd]) { levelEnd += 1 }
            if methodEnd > method, isSourceToken(line, method, methodEnd), levelEnd > levelAt + 1,
                line[levelEnd - 1] == 0x3A, level(line, levelAt, levelEnd - 1) != nil
            {
                header.source = start..<end
                return .header(end: methodEnd)
            }
        }
        if let outcome = sourceWithColon(line, start, end, afterHost: afterHost, &header) { return outcome }
        if header.level != nil, header.source == nil, isSourceToken(line, start, core), core - start > 2,
            line[start..<core].contains(0x2E) || line[start..<core].contains(0x3A),
            !doubleColon(line, start, core)  // "ActiveRecord::ConnectionNotEstablished (…)" is the message
        {
            header.source = start..<core  // "module.name" or "module:func:line" after a level
            return .header(end: end)
        }
        if header.source == nil, let dash = dashAfter(line, start, maxTokens: 2), isSourceToken(line, start, end) {
            header.source = start..<end  // "name - message", "name *64 - message"
            return .header(end: dash + 1)
        }
        return .notMine
    }

    /// `|component|1234|message` after the time: fields closed by a pipe, each naming something.
    static func pipeClosedFields(_ line: Bytes, _ start: Int, _ header: inout LineHeader) -> FieldOutcome {
        guard header.time != nil, let last = pipeFields(line, start) else { return .notMine }
        if header.source == nil, let close = indexOf(0x7C, in: line, from: start + 1, limit: 128), close > start + 1 {
            header.source = start + 1..<close
        }
        return .last(end: last + 1)
    }

    /// `[thread]`, `<level>`, `[req-1 - -]`: one balanced bracket group holding a level, a
    /// thread, a request context or a code location.
    static func bracketGroup(_ line: Bytes, _ start: Int, _ header: inout LineHeader) -> FieldOutcome {
        guard let close = matching(line, start) else { return .notMine }
        if header.level == nil,
            let found = level(line, start + 1, close) ?? (close - start == 2 ? letterLevel(line[start + 1]) : nil)
                ?? lastWordLevel(line, start + 1, close)
        {
            header.level = found
        } else if header.time != nil || header.level != nil {
            if header.source == nil { header.source = sourceInBrackets(line, start + 1, close) }
        } else {
            return .notMine
        }
        return .header(end: close + 1)
    }

    private static let syslogSeverities: [Severity] = [.critical, .critical, .critical, .high, .medium, .low, .low, .low]

    /// RFC 5424: `<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID [SD] MSG`, the level from the
    /// priority's low three bits (0-2 critical, 3 error, 4 warning, 5-7 notice and below), the
    /// application as the source.
    static func rfc5424(_ line: Bytes, _ start: Int, _ year: YearlessDates) -> LineHeader? {
        let n = line.count
        var p = start + 1
        var priority = 0
        while p < n, p < start + 4, isDigit(line[p]) {
            priority = priority * 10 + Int(line[p] - 0x30)
            p += 1
        }
        guard p > start + 1, p + 2 < n, line[p] == 0x3E, isDigit(line[p + 1]) else { return nil }
        p += 2
        while p < n, isDigit(line[p]) { p += 1 }
        guard p + 1 < n, line[p] == 0x20 else { return nil }
        p += 1
        var header = LineHeader(time: nil, level: nil, source: nil, messageStart: 0)
        if line[p] == 0x2D {
            p += 1  // no time
        } else {
            guard let (time, end) = timestamp(line, p, year: year), end <= n else { return nil }
            header.time = time
            p = end
        }
        // HOST, APP-NAME, PROCID, MSGID: one token each ("-" when absent); the second is the source.
        var app = p..<p
        for field in 0..<4 {
            guard p < n, line[p] == 0x20 else { return nil }
            p += 1
            let tokenStart = p
            while p < n, !isSpace(line[p]) { p += 1 }
            guard p > tokenStart else { return nil }
            if field == 1 { app = tokenStart..<p }
        }
        guard p < n, line[p] == 0x20 else { return nil }
        p += 1
        // STRUCTURED-DATA: "-" or one or more "[id param="value" …]".
        if p < n, line[p] == 0x2D {
            p += 1
        } else {
            while p < n, line[p] == 0x5B {
                var q = p + 1
                var quoted = false
                while q < n, quoted || line[q] != 0x5D {
                    if line[q] == 0x5C, quoted { q += 1 } else if line[q] == 0x22 { quoted.toggle() }
                    q += 1
                }
                guard q < n else { return nil }
                p = q + 1
            }
        }
        if p < n, line[p] == 0x20 { p += 1 }
        header.level = syslogSeverities[priority & 7]
        if !(app.count == 1 && line[app.lowerBound] == 0x2D) { header.source = app }
        header.messageStart = p
        return header
    }

    /// `dfs.DataNode$PacketResponder:`, `sshd[24200]:`, or after a syslog host any program name
    /// (`kernel:`, `symptomsd[215] (com.apple.symptoms):`): the source, and the header ends.
    static func sourceWithColon(
        _ line: Bytes, _ start: Int, _ end: Int, afterHost: Bool, _ header: inout LineHeader
    )
        -> FieldOutcome?
    {
        guard header.source == nil else { return nil }
        if line[end - 1] == 0x3A, end - start > 1, level(line, start, end - 1) == nil,
            isSourceToken(line, start, end - 1),
            header.level != nil || afterHost || looksLikeCode(line, start, end - 1)
        {
            header.source = start..<end - 1
            return .last(end: end)
        }
        // A program and a parenthesised detail closed by a colon, after the host.
        if afterHost, end + 1 < line.count, line[end + 1] == 0x28, isSourceToken(line, start, end) {
            var close = end + 1
            while close < line.count, !isSpace(line[close]) { close += 1 }
            if close - end > 3, line[close - 1] == 0x3A, line[close - 2] == 0x29 {
                header.source = start..<end
                return .last(end: close)
            }
        }
        return nil
    }

    /// After `|` at `start`, the run of pipe-closed fields that name something (letters, digits
    /// and `._$@:/()[]-`, as `|Svc_Main|4242|`): the index of the last closing pipe, if any.
    static func pipeFields(_ line: Bytes, _ start: Int) -> Int? {
        var last: Int?
        var index = start + 1
        var fieldStart = index
        var fields = 0
        while index < line.count, fields < 6, index - fieldStart <= 128 {
            let byte = line[index]
            if byte != 0x7C, !isFieldByte(byte) { break }
            if byte == 0x7C {
                guard index > fieldStart else { break }
                last = index
                fields += 1
                fieldStart = index + 1
            }
            index += 1
        }
        return last
    }

    /// A timestamp within the three fields after `from`, the fields before it holding a digit or
    /// naming a host: the end of that timestamp, and whether it was a syslog one (a host follows).
    static func secondTimestamp(_ line: Bytes, from: Int, year: YearlessDates) -> (Int, Bool)? {
        var index = from
        for field in 0..<3 {
            while index < line.count, isSpace(line[index]) { index += 1 }
            guard index < line.count else { return nil }
            // A timestamp starts with a digit or a month's capital.
            if field > 0, isDigit(line[index]) || line[index] &- 0x41 < 26,
                let (_, end) = timestamp(line, index, year: year), end - index >= 8
            {
                return (end, month(line, index) != nil)
            }
            let start = index
            var digits = false
            var underscore = false
            while index < line.count, !isSpace(line[index]) {
                let byte = line[index]
                guard isFieldByte(byte) else { return nil }
                digits = digits || isDigit(byte)
                underscore = underscore || byte == 0x5F
                index += 1
            }
            // A level ends the header before any second timestamp could.
            guard digits || underscore || (isUpperWord(line, start, index) && level(line, start, index) == nil)
            else { return nil }
        }
        return nil
    }

    /// The index of a standalone "-" within the next `maxTokens` tokens from `start`.
    static func dashAfter(_ line: Bytes, _ start: Int, maxTokens: Int) -> Int? {
        var index = start
        for _ in 0..<maxTokens {
            while index < line.count, !isSpace(line[index]) { index += 1 }
            while index < line.count, isSpace(line[index]) { index += 1 }
            guard index + 1 < line.count, line[index] != 0x5B else { return nil }
            if line[index] == 0x2D, isSpace(line[index + 1]) { return index }
        }
        return nil
    }

    static func indexOf(_ byte: UInt8, in line: Bytes, from: Int, limit: Int) -> Int? {
        var index = from
        while index < line.count, index < from + limit {
            if line[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// The closing bracket matching `line[start]` (`[` or `<`), nested brackets allowed.
    static func matching(_ line: Bytes, _ start: Int) -> Int? {
        let open = line[start]
        let close: UInt8 = open == 0x5B ? 0x5D : 0x3E
        var depth = 0
        var index = start
        while index < line.count, index < start + 512 {
            if line[index] == open { depth += 1 }
            if line[index] == close {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return nil
    }

    /// In `[pool-1-thread-3:com.acme.Service@120]`, the part after the last `:` when it names code
    /// (a thread name such as `[main]` is not a source).
    static func sourceInBrackets(_ line: Bytes, _ start: Int, _ end: Int) -> Range<Int>? {
        var colon = end - 1
        while colon > start, line[colon] != 0x3A { colon -= 1 }
        // `[source/common/config/grpc_stream.h:87]`: a file and its line, the whole of it.
        if line[colon] == 0x3A, colon + 1 < end, line[(colon + 1)..<end].allSatisfy(isDigit),
            line[start..<colon].contains(0x2E), isSourceToken(line, start, colon)
        {
            return start..<end
        }
        let from = line[colon] == 0x3A ? colon + 1 : start
        guard from < end, isSourceToken(line, from, end),
            line[from..<end].contains(where: { $0 == 0x2E || $0 == 0x40 || $0 == 0x24 })
        else { return nil }
        return from..<end
    }

    /// `dfs.DataNode$PacketResponder`, `sshd[24200]`, `pam_unix(sshd:auth)`, `src/x.go`: not a bare word.
    static func looksLikeCode(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        line[start..<end].contains { $0 == 0x2E || $0 == 0x24 || $0 == 0x5B || $0 == 0x28 || $0 == 0x2F || $0 == 0x5F }
    }

    /// The level closing a bracket group after a space or colon: Serilog's `[10:00:05 ERR]`,
    /// Apache's `[proxy:error]`.
    static func lastWordLevel(_ line: Bytes, _ start: Int, _ end: Int) -> Severity? {
        var word = end
        while word > start, line[word - 1] != 0x20, line[word - 1] != 0x3A { word -= 1 }
        guard word > start, end - word >= 3 else { return nil }
        return level(line, word, end)
    }

    /// Whether `::` (a Ruby, C++ or Rust namespace) occurs in `line[start..<end]`.
    static func doubleColon(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var index = start
        while index + 1 < end {
            if line[index] == 0x3A, line[index + 1] == 0x3A { return true }
            index += 1
        }
        return false
    }

    /// `UTC` or `GMT` written after a time.
    static func isZoneName(_ line: Bytes, _ start: Int) -> Bool {
        (line[start] == 0x55 && line[start + 1] == 0x54 && line[start + 2] == 0x43)
            || (line[start] == 0x47 && line[start + 1] == 0x4D && line[start + 2] == 0x54)
    }

    static func isUpperWord(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        end - start <= 24 && line[start..<end].allSatisfy { $0 &- 0x41 < 26 || $0 == 0x5F }
    }

    /// Whether a level word stands among the next `within` tokens after the one at `from`.
    static func levelAhead(_ line: Bytes, from: Int, within: Int) -> Bool {
        var index = from
        for _ in 0...within {
            while index < line.count, isSpace(line[index]) { index += 1 }
            let start = index
            while index < line.count, !isSpace(line[index]) { index += 1 }
            var end = index > start && line[index - 1] == 0x3A ? index - 1 : index
            // "[ERROR]" as well as "ERROR" ("app[11]: [ERROR] request failed").
            var first = start
            if end - first > 2, line[first] == 0x5B, line[end - 1] == 0x5D { (first, end) = (first + 1, end - 1) }
            if end > first, level(line, first, end) != nil { return true }
        }
        return false
    }

    /// Letters, digits and `._$@:/()[]-<>`: the bytes of a name, number or code location.
    @inline(__always) static func isFieldByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2E, 0x5F, 0x24, 0x40, 0x3A, 0x2F, 0x28, 0x29, 0x5B, 0x5D, 0x2D,
            0x3C, 0x3E:
            return true
        default: return false
        }
    }

    /// Letters, digits and `._$@:/()[]-` only: a logger, program or code location.
    static func isSourceToken(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        guard end > start else { return false }
        var letters = 0
        for index in start..<end {
            let byte = line[index]
            guard isFieldByte(byte) else { return false }
            if (byte | 0x20) &- 0x61 < 26 { letters += 1 }
        }
        return letters > 0
    }
}
