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
        /// The input line of its first occurrence.
        public var firstLine: Int
        /// Occurrence times (all of them up to a bound, then a sample).
        public var times: [Date]
        var source: String?
        /// The lines before its first occurrence, and the lines that continued it (a stack trace).
        public var context: [String] = []
        public var detail: [String] = []
        /// The failure signature it matched (SPEC "Failure signatures"), if any.
        public var signature: String?
        public var category: String?
        public var hint: String?
        /// Services this event names: its signature's, then ports, URL schemes and client libraries.
        public var services: [String] = []
        /// Its severity from its level alone, before a signature's floor.
        public var levelSeverity: Severity = .low
        /// Why it ranks where it does (for `analyze --json`'s runners-up).
        public var why: String = ""
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
    /// Lines longer than 1 MiB, cut to it.
    public var cutLines = 0
    /// Lines of binary data amid the log, skipped.
    public var binaryLines = 0
    /// Whether a gzip input ended before its stream did: the lines before the break were read.
    public var truncated = false
    /// What was odd about the input itself (a truncated stream, binary data), one sentence each.
    public var inputWarnings: [String] = []
    /// For `--events-out`: the event id of each input line, in order.
    /// Kept compact (4 bytes a line, an index into `lineEventIDs`): 100 million lines are 400 MB,
    /// not the gigabytes of one string each; `--events-out` streams the rows from them.
    public var lineEventIndices: [Int32] = []
    public var lineEventIDs: [String] = []

    /// The event id of each input line (tests and small inputs; `--events-out` streams instead).
    public var lineEvents: [String] {
        lineEventIndices.map { $0 >= 0 && Int($0) < lineEventIDs.count ? lineEventIDs[Int($0)] : (lineEventIDs.first ?? "") }
    }

    public var primary: Event? { events.first }
    /// Rare events not listed in `events` (a log of mostly unique lines); their lines keep their rows.
    public var omittedEvents = 0
    /// Lines past the bound on distinct shapes, grouped as one "rare lines" event, not mined.
    public var unminedLines = 0

    /// The primary error's first occurrence with the lines before it and its whole trace, redacted.
    public var excerpt: String? {
        guard let primary else { return nil }
        return (primary.context + [primary.example] + primary.detail).joined(separator: "\n")
    }
    public var severity: Severity { primary?.severity ?? .low }
    public var fingerprint: String? { primary?.id }

    /// The median gap between the primary event's occurrences, in whole seconds; nil under one
    /// second, which times read to the second cannot measure ("about every 0 s" said nothing).
    public var intervalSeconds: Int? {
        guard let times = primary?.times.sorted(), times.count > 1 else { return nil }
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }.sorted()
        let median = Int(gaps[gaps.count / 2].rounded())
        return median > 0 ? median : nil
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
                    "signature": .optional(event.signature), "category": .optional(event.category),
                    "hint": .optional(event.hint), "why": .string(event.why),
                    "excerpt": .optional(excerpt),
                ]
            } ?? .null
        return [
            "input": [
                "lines": .int(lines), "bytes": .int(bytes), "format": .string(format), "cut_lines": .int(cutLines), "omitted_events": .int(omittedEvents),
                "unmined_lines": .int(unminedLines),
                "binary_lines": .int(binaryLines), "warnings": .strings(inputWarnings),
            ],
            "title": .string(title),
            "severity": .string(severity.rawValue),
            "environment": .optional(environment),
            "services": .strings(services),
            "source_locations": .strings(sourceLocations),
            "warnings": .strings(warnings),
            "fingerprint": .optional(fingerprint),
            "primary": primaryValue,
            "runners_up": .array(
                events.dropFirst().prefix(3).map { event in
                    [
                        "event_id": .string(event.id), "template": .string(event.template),
                        "severity": .string(event.severity.rawValue), "count": .int(event.count),
                        "signature": .optional(event.signature), "why": .string(event.why),
                    ]
                }),
            "events": .array(
                events.map { event in
                    [
                        "event_id": .string(event.id), "template": .string(event.template), "count": .int(event.count),
                        "severity": .string(event.severity.rawValue), "first_seen": time(event.firstSeen),
                        "last_seen": time(event.lastSeen), "category": .optional(event.category),
                        "hint": .optional(event.hint),
                    ]
                }),
            "redactions": .object(redactions.mapValues(Value.int)),
        ]
    }
}
