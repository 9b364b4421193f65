import Foundation
import OrderedCollections

/// The facts of a log excerpt (SPEC "Log analysis"), as `analyze --json` reports them.
public struct LogAnalysis: Sendable {
    public struct Event: Sendable {
        public var id: String
        public var template: String
        public var example: String
        public var count: Int
        public var severity: Severity
        public var firstSeen: Date?
        public var lastSeen: Date?
        public var lastLine: Int
        var times: [Date]
        var source: String?
    }

    public var lines = 0
    public var bytes = 0
    public var format = "plain"
    public var events: [Event] = []
    public var title = ""
    public var environment: String?
    public var services: [String] = []
    public var sourceLocations: [String] = []
    public var warnings: [String] = []
    public var redactions = OrderedDictionary<String, Int>()
    /// For `--events-out`: the event id of each input line, in order.
    public var lineEvents: [String] = []

    public var primary: Event? { events.first }
    public var severity: Severity { primary?.severity ?? .low }
    public var fingerprint: String? { primary?.id }

    /// The median gap between the primary event's occurrences, in whole seconds.
    public var intervalSeconds: Int? {
        guard let times = primary?.times.sorted(), times.count > 1 else { return nil }
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }.sorted()
        return Int(gaps[gaps.count / 2].rounded())
    }

    public func toValue() -> Value {
        func time(_ date: Date?) -> Value { date.map { .string(Time.format($0)) } ?? .null }
        let primaryValue: Value =
            primary.map { event in
                [
                    "event_id": .string(event.id), "template": .string(event.template),
                    "example": .string(event.example), "severity": .string(event.severity.rawValue),
                    "count": .int(event.count), "first_seen": time(event.firstSeen),
                    "last_seen": time(event.lastSeen), "interval_seconds": intervalSeconds.map(Value.int) ?? .null,
                ]
            } ?? .null
        return [
            "input": ["lines": .int(lines), "bytes": .int(bytes), "format": .string(format)],
            "title": .string(title),
            "severity": .string(severity.rawValue),
            "environment": .optional(environment),
            "services": .strings(services),
            "source_locations": .strings(sourceLocations),
            "warnings": .strings(warnings),
            "fingerprint": .optional(fingerprint),
            "primary": primaryValue,
            "events": .array(
                events.map { event in
                    [
                        "event_id": .string(event.id), "template": .string(event.template), "count": .int(event.count),
                        "severity": .string(event.severity.rawValue), "first_seen": time(event.firstSeen),
                        "last_seen": time(event.lastSeen),
                    ]
                }),
            "redactions": .object(redactions.mapValues(Value.int)),
        ]
    }
}

/// Turns a log excerpt into `LogAnalysis`: redaction first, then header parsing, grouping and facts.
public struct LogAnalyzer: Sendable {
    let redactor: Redactor
    let now: Date

    public init(redactor: Redactor, now: Date) {
        self.redactor = redactor
        self.now = now
    }

    struct Entry {
        var time: Date?
        var level: Severity?
        var logger: String?
        var message: String
        var raw: String
        var line: Int
    }

    public func analyze(_ data: Data) -> LogAnalysis {
        var analysis = LogAnalysis()
        analysis.bytes = data.count
        let text = String(decoding: data, as: UTF8.self)
        let redacted = redactor.redact(text, counts: &analysis.redactions)
        var rawLines = redacted.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if rawLines.last == "" { rawLines.removeLast() }
        analysis.lines = rawLines.count

        var entries: [Entry] = []
        var formats = Set<String>()
        var entryOfLine: [Int] = []
        for (index, line) in rawLines.enumerated() {
            if line.allSatisfy(\.isWhitespace) {
                entryOfLine.append(max(entries.count - 1, 0))
                continue
            }
            if let json = Self.parseJSON(line) {
                formats.insert("json")
                entries.append(Entry(time: json.time, level: json.level, logger: json.logger, message: json.message, raw: line, line: index + 1))
            } else if !entries.isEmpty, Self.isContinuation(line) {
                entries[entries.count - 1].raw += "\n" + line
                if entries[entries.count - 1].logger == nil, let frame = Self.frame(in: line) {
                    entries[entries.count - 1].logger = frame
                }
            } else {
                formats.insert(line.contains("=") && Self.isLogfmt(line) ? "logfmt" : "plain")
                entries.append(Self.parsePlain(line, number: index + 1, now: now))
            }
            entryOfLine.append(entries.count - 1)
        }
        analysis.format = formats.count > 1 ? "mixed" : formats.first ?? "plain"

        var groups = OrderedDictionary<String, LogAnalysis.Event>()
        var idOfEntry: [String] = []
        for entry in entries {
            let template = Self.mask(entry.message)
            let id = Self.hash(template)
            idOfEntry.append(id)
            var severity = entry.level ?? .low
            if Self.criticalWords.contains(where: { entry.message.localizedCaseInsensitiveContains($0) }) {
                severity = .critical
            }
            if var event = groups[id] {
                event.count += 1
                event.severity = max(event.severity, severity)
                if let time = entry.time {
                    event.times.append(time)
                    event.firstSeen = min(event.firstSeen ?? time, time)
                    event.lastSeen = max(event.lastSeen ?? time, time)
                }
                event.lastLine = entry.line
                groups[id] = event
            } else {
                groups[id] = LogAnalysis.Event(
                    id: id, template: template, example: entry.raw.split(separator: "\n").first.map(String.init) ?? entry.raw,
                    count: 1, severity: severity, firstSeen: entry.time, lastSeen: entry.time, lastLine: entry.line,
                    times: entry.time.map { [$0] } ?? [], source: entry.logger)
            }
        }
        analysis.lineEvents = entryOfLine.map { idOfEntry.isEmpty ? "" : idOfEntry[max($0, 0)] }
        analysis.events = groups.values.sorted { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if a.count != b.count { return a.count > b.count }
            return a.lastLine > b.lastLine
        }

        let allText = entries.map(\.message).joined(separator: "\n")
        analysis.environment = Self.environment(in: allText)
        analysis.services = Self.services(primary: analysis.primary, all: entries)
        var sources: [String] = []
        if let source = analysis.primary?.source { sources.append(source) }
        for event in analysis.events where event.severity >= .high {
            if let source = event.source, !sources.contains(source) { sources.append(source) }
        }
        analysis.sourceLocations = Array(sources.prefix(5))
        var warnings: [String] = []
        for entry in entries where entry.level == .medium {
            let lowered = entry.message.lowercased()
            guard Self.configWords.contains(where: lowered.contains) else { continue }
            var message = entry.message
            if let colon = message.range(of: ": "), message[..<colon.lowerBound].lowercased().contains("config") {
                message = String(message[colon.upperBound...])
            }
            if !warnings.contains(message) { warnings.append(message) }
        }
        analysis.warnings = warnings
        analysis.title = Self.title(analysis, allText: allText)
        return analysis
    }

    // MARK: - Lines

    static let levelWords: [(String, Severity)] = [
        ("EMERGENCY", .critical), ("EMERG", .critical), ("ALERT", .critical), ("FATAL", .critical),
        ("CRITICAL", .critical), ("CRIT", .critical), ("PANIC", .critical), ("SEVERE", .high), ("ERROR", .high),
        ("ERR", .high), ("WARNING", .medium), ("WARN", .medium), ("NOTICE", .low), ("INFO", .low), ("DEBUG", .low),
        ("TRACE", .low), ("FINE", .low),
    ]
    static let criticalWords = ["is broken", "OOMKilled", "quorum lost", "out of memory", "kernel panic"]
    static let configWords = ["config", "deprecat", "setting", "environment variable", "localhost in"]

    static func level(of word: Substring) -> Severity? {
        let trimmed = word.trimmingCharacters(in: CharacterSet(charactersIn: "[]():|<>").union(.whitespaces)).uppercased()
        return levelWords.first { $0.0 == trimmed }?.1
    }

    static func parsePlain(_ line: String, number: Int, now: Date) -> Entry {
        var rest = Substring(line)
        var time: Date?
        if let (date, length) = leadingTimestamp(line, now: now) {
            time = date
            rest = rest.dropFirst(length)
        }
        var level: Severity?
        var logger: String?
        // The header: a few short tokens before the message, e.g. "| ERROR | module:func:12 -".
        var tokens = rest.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: true)
        var consumed = 0
        for (index, token) in tokens.prefix(5).enumerated() {
            if level == nil, let found = self.level(of: token) ?? levelPair(token) {
                level = found
                consumed = index + 1
            } else if level != nil, logger == nil, let source = loggerName(token) {
                logger = source
                consumed = index + 1
            } else if token == "|" || token == "-" || token == ":" {
                if level != nil { consumed = index + 1 }
            } else if level != nil {
                break
            }
        }
        if consumed > 0 {
            tokens = Array(tokens.dropFirst(consumed))
            rest = tokens.isEmpty ? "" : rest[tokens[0].startIndex...]
            if rest.hasPrefix("- ") || rest.hasPrefix(": ") { rest = rest.dropFirst(2) }
        }
        return Entry(time: time, level: level, logger: logger, message: String(rest), raw: line, line: number)
    }

    static func levelPair(_ token: Substring) -> Severity? {
        let lowered = token.lowercased()
        for prefix in ["level=", "lvl=", "severity="] where lowered.hasPrefix(prefix) {
            return level(of: token.dropFirst(prefix.count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))[...])
        }
        return nil
    }

    /// A logger or source token such as `netra_backend.app.smd:_validate:412` → `netra_backend.app.smd._validate`.
    static func loggerName(_ token: Substring) -> String? {
        let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: "[]():"))
        let parts = trimmed.split(separator: ":")
        guard let module = parts.first, module.contains("."), module.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." })
        else { return nil }
        if parts.count >= 2, parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !parts[1].allSatisfy(\.isNumber) {
            return module + "." + parts[1]
        }
        return String(module)
    }

    static func leadingTimestamp(_ line: String, now: Date) -> (Date, Int)? {
        let bytes = Array(line.utf8.prefix(40))
        func digit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        var start = 0
        if bytes.first == UInt8(ascii: "[") { start = 1 }
        if (start..<start + 4).allSatisfy(digit), start + 10 <= bytes.count, bytes[start + 4] == 0x2D {
            var end = start + 10
            if end < bytes.count, bytes[end] == 0x54 || bytes[end] == 0x20, digit(end + 1) {
                end += 9
                while end < bytes.count, digit(end) || [0x2E, 0x2C, 0x3A, 0x2B, 0x2D, 0x5A].contains(bytes[end]) { end += 1 }
            }
            let text = String(decoding: bytes[start..<min(end, bytes.count)], as: UTF8.self).replacingOccurrences(of: ",", with: ".")
            if let date = Time.parse(text.replacingOccurrences(of: " ", with: "T")) {
                if end < bytes.count, bytes[end] == UInt8(ascii: "]") { end += 1 }
                return (date, end)
            }
        }
        return nil
    }

    static func isContinuation(_ line: String) -> Bool {
        guard let first = line.first else { return false }
        if first == " " || first == "\t" { return true }
        for prefix in ["Traceback ", "Caused by:", "goroutine ", "panic: ", "During handling", "The above exception"]
        where line.hasPrefix(prefix) {
            return true
        }
        // "package.module.SomeError: message" closing a Python traceback.
        if let colon = line.firstIndex(of: ":"), line[..<colon].hasSuffix("Error") || line[..<colon].hasSuffix("Exception"),
            !line[..<colon].contains(" ")
        {
            return true
        }
        return false
    }

    /// The function of a Python traceback frame: `File "/app/x/y.py", line 4, in fn` → nil (kept simple).
    static func frame(in line: String) -> String? { nil }

    static func isLogfmt(_ line: String) -> Bool {
        line.split(separator: " ").filter { $0.contains("=") }.count >= 3
    }

    struct JSONEntry {
        var time: Date?
        var level: Severity?
        var logger: String?
        var message: String
    }

    static func parseJSON(_ line: String) -> JSONEntry? {
        guard line.first == "{", let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        let payload = object["jsonPayload"] as? [String: Any]
        let message =
            (object["message"] as? String) ?? (object["msg"] as? String) ?? (object["textPayload"] as? String)
            ?? (payload?["message"] as? String) ?? (object["log"] as? String) ?? line
        var level: Severity?
        for key in ["severity", "level", "lvl", "log.level"] {
            if let text = object[key] as? String, let found = self.level(of: Substring(text)) { level = found }
            if let number = object[key] as? Int {  // pino/bunyan
                level = number >= 60 ? .critical : number >= 50 ? .high : number >= 40 ? .medium : .low
            }
        }
        var time: Date?
        for key in ["timestamp", "time", "ts", "@timestamp"] {
            if let text = object[key] as? String, let date = Time.parse(text) { time = date }
        }
        let location = object["sourceLocation"] as? [String: Any] ?? object["logging.googleapis.com/sourceLocation"] as? [String: Any]
        let logger = (location?["function"] as? String) ?? (object["logger"] as? String) ?? (object["caller"] as? String)
        return JSONEntry(time: time, level: level, logger: logger, message: message.trimmingCharacters(in: .newlines))
    }

    // MARK: - Templates

    /// Masks the variable parts of a message: every token holding a digit becomes `<*>`.
    static func mask(_ message: String) -> String {
        let firstLine = message.split(separator: "\n").first ?? ""
        return firstLine.split(separator: " ", omittingEmptySubsequences: true).map { token -> String in
            if token.contains(where: \.isNumber) { return "<*>" }
            if token.count >= 16, token.allSatisfy(\.isHexDigit) { return "<*>" }
            return String(token)
        }.joined(separator: " ")
    }

    /// A short, stable hash (FNV-1a, 48 bits as 12 hex digits).
    public static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        let hex = String(value, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(12))
    }

    // MARK: - Facts

    static let environments: [(String, String)] = [
        ("production", "production"), ("prod", "production"), ("staging", "staging"), ("stage", "staging"),
        ("development", "development"), ("dev", "development"), ("qa", "qa"), ("sandbox", "sandbox"),
    ]

    static func environment(in text: String) -> String? {
        var counts = OrderedDictionary<String, Int>()
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) {
            if let match = environments.first(where: { $0.0 == word }) { counts[match.1, default: 0] += 1 }
        }
        return counts.max { $0.value < $1.value }?.key
    }

    static let knownServices = [
        "redis", "postgres", "postgresql", "mysql", "mariadb", "mongodb", "kafka", "rabbitmq", "elasticsearch",
        "memcached", "etcd", "zookeeper", "cassandra", "clickhouse", "nats", "consul", "vault", "s3", "dynamodb",
        "bigquery", "pubsub", "spanner", "firestore", "nginx", "envoy",
    ]
    static let ports: [String: String] = [
        "6379": "redis", "5432": "postgres", "3306": "mysql", "27017": "mongodb", "9092": "kafka", "5672": "rabbitmq",
        "9200": "elasticsearch", "11211": "memcached", "2379": "etcd", "2181": "zookeeper", "9042": "cassandra",
    ]

    static func services(primary: LogAnalysis.Event?, all entries: [Entry]) -> [String] {
        var found: [String] = []
        func add(_ name: String) {
            let canonical = name == "postgresql" ? "postgres" : name
            if !found.contains(canonical) { found.append(canonical) }
        }
        // Failed-service lists first: "Failed services: [redis, postgres]".
        for entry in entries where entry.message.range(of: "failed services", options: .caseInsensitive) != nil {
            if let open = entry.message.firstIndex(of: "["), let close = entry.message[open...].firstIndex(of: "]") {
                for name in entry.message[entry.message.index(after: open)..<close].split(separator: ",") {
                    add(name.trimmingCharacters(in: .whitespaces).lowercased())
                }
            }
        }
        for entry in entries where (entry.level ?? .low) >= .medium || entry.message.lowercased().contains("connect") {
            let lowered = entry.message.lowercased()
            for word in lowered.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where knownServices.contains(String(word)) {
                add(String(word))
            }
            for (port, service) in ports where lowered.contains(":" + port) { add(service) }
        }
        return found
    }

    static func title(_ analysis: LogAnalysis, allText: String) -> String {
        guard let primary = analysis.primary else { return "Log excerpt with no events" }
        var title: String
        let lowered = allText.lowercased()
        if let service = analysis.services.first {
            let name = ["redis": "Redis", "postgres": "Postgres", "mysql": "MySQL", "mongodb": "MongoDB", "kafka": "Kafka"][service]
                ?? service.prefix(1).uppercased() + service.dropFirst()
            let connection = lowered.contains("\(service) connection") || lowered.contains("connecting to \(service)")
                || lowered.contains("connection refused") || lowered.contains("connection timed out")
            title = "\(name) \(connection ? "connection failure" : "failure")"
        } else {
            let words = primary.template.split(separator: " ").filter { $0 != "<*>" }.prefix(8)
            title = words.joined(separator: " ")
            if let cut = title.firstIndex(where: { $0 == ":" || $0 == "." }) { title = String(title[..<cut]) }
            if title.isEmpty { title = "Unclassified \(primary.severity.rawValue) error" }
        }
        let platform = [("gcp", "GCP"), ("cloud run", "GCP"), ("aws", "AWS"), ("azure", "Azure"), ("kubernetes", "Kubernetes")]
            .first { lowered.contains($0.0) }?.1
        let place = [platform, analysis.environment].compactMap { $0 }.joined(separator: " ")
        if !place.isEmpty { title += " in " + place }
        return title
    }
}
