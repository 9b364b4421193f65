import Foundation
import OrderedCollections

/// The incident's timeline: what the log shows (first error, first occurrence of each high-severity
/// event, spikes, last error), what was done (stages, the issue, checks, close and reopen) and the
/// milestones `detected`, `mitigated`, `resolved`. Kept in the front-matter (`timeline:` and
/// `milestones:`), so it grows as work happens and every section, `show` and `export` can render it.
public enum Timeline {
    public static let milestoneNames = ["detected", "mitigated", "resolved"]

    /// One row of the timeline.
    public struct Entry: Equatable, Sendable {
        public var at: Date
        /// `log` (read from the evidence), `work` (done with the tool) or `milestone`.
        public var kind: String
        public var event: String
    }

    // MARK: - From the log

    /// The rows the log itself gives, oldest first, at most `limit` of them.
    public static func fromLog(_ analysis: LogAnalysis, limit: Int = 12) -> [Entry] {
        let serious = analysis.events.filter { $0.severity >= .high && $0.firstSeen != nil }
        guard !serious.isEmpty else { return [] }
        var rows: [Entry] = []
        let byFirst = serious.sorted { ($0.firstSeen!, $0.firstLine) < ($1.firstSeen!, $1.firstLine) }
        let first = byFirst[0]
        rows.append(Entry(at: first.firstSeen!, kind: "log", event: "first error: " + short(first.template)))
        // The first occurrence of each high-severity event, most severe first when there are many.
        let others = byFirst.dropFirst().sorted { $0.severity > $1.severity }.prefix(max(0, limit - 4))
        for event in others.sorted(by: { $0.firstSeen! < $1.firstSeen! }) {
            rows.append(
                Entry(
                    at: event.firstSeen!, kind: "log",
                    event: "first \(event.severity.rawValue): " + short(event.template)))
        }
        // An event seen very often keeps a sample of its times: each sampled time stands for several.
        let weighted = serious.flatMap { event in
            let weight = event.times.isEmpty ? 1 : max(1, Double(event.count) / Double(event.times.count))
            return event.times.map { ($0, weight) }
        }
        for spike in spikes(weighted).prefix(3) {
            rows.append(
                Entry(
                    at: spike.start, kind: "log",
                    event:
                        "spike: \(spike.count) errors in the minute from \(Time.format(spike.start).dropFirst(11).prefix(5)) UTC (usually \(spike.usual))"
                ))
        }
        if let last = serious.filter({ $0.lastSeen != nil }).max(by: { $0.lastSeen! < $1.lastSeen! }),
            last.lastSeen! > first.firstSeen!
        {
            rows.append(Entry(at: last.lastSeen!, kind: "log", event: "last error: " + short(last.template)))
        }
        return rows.sorted { $0.at < $1.at }
    }

    /// Minutes holding at least three times the usual (median) count of errors, and at least 5.
    static func spikes(_ times: [Date]) -> [(start: Date, count: Int, usual: Int)] {
        spikes(times.map { ($0, 1.0) })
    }

    /// The same over weighted times (a sampled time counts for the occurrences it stands for).
    static func spikes(_ times: [(Date, Double)]) -> [(start: Date, count: Int, usual: Int)] {
        guard times.reduce(0, { $0 + $1.1 }) >= 5 else { return [] }
        var buckets: [Int: Double] = [:]
        for (time, weight) in times { buckets[Int(time.timeIntervalSince1970 / 60), default: 0] += weight }
        guard buckets.count >= 3 else { return [] }
        let counts = buckets.values.sorted()
        let usual = max(1, counts[counts.count / 2])
        return buckets.filter { $0.value >= 5 && $0.value >= 3 * usual }
            .sorted { $0.value > $1.value }
            .map {
                (Date(timeIntervalSince1970: TimeInterval($0.key * 60)), Int($0.value.rounded()), Int(usual.rounded()))
            }
    }

    static func short(_ text: String, _ limit: Int = 100) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= limit ? flat : String(flat.prefix(limit - 1)) + "…"
    }

    // MARK: - The record

    /// Appends one row to the front-matter's `timeline`.
    public static func record(_ document: inout IncidentDocument, at date: Date, kind: String = "work", _ event: String)
    {
        var rows = document.fields["timeline"]?.array ?? []
        rows.append(["at": .string(Time.format(date)), "kind": .string(kind), "event": .string(event)])
        document.fields["timeline"] = .array(rows)
    }

    /// Sets a milestone (`detected`, `mitigated`, `resolved`); `keep` leaves one already set alone.
    public static func setMilestone(
        _ document: inout IncidentDocument, _ name: String, _ date: Date?, keep: Bool = false
    ) {
        var milestones = document.fields["milestones"]?.object ?? [:]
        if keep, milestones[name]?.string != nil { return }
        milestones[name] = date.map { .string(Time.format($0)) }
        var ordered = OrderedDictionary<String, Value>()
        for key in milestoneNames where milestones[key] != nil { ordered[key] = milestones[key] }
        for (key, value) in milestones where ordered[key] == nil { ordered[key] = value }
        document.fields["milestones"] = .object(ordered)
    }

    public static func milestone(_ document: IncidentDocument, _ name: String) -> Date? {
        document.fields["milestones"]?[name]?.string.flatMap(Time.parse)
    }

    /// When the failure began: the log's first occurrence, else when the record was opened.
    public static func start(_ document: IncidentDocument) -> Date? {
        let logged = (document.fields["timeline"]?.array ?? []).filter { $0["kind"]?.string == "log" }
            .compactMap { $0["at"]?.string.flatMap(Time.parse) }.min()
        return [logged, document.fields["first_seen"]?.string.flatMap(Time.parse)].compactMap { $0 }.min()
            ?? document.created
    }

    /// Every row (recorded ones and the milestones), oldest first; rows without a readable time are left out.
    public static func entries(_ document: IncidentDocument) -> [Entry] {
        var rows: [Entry] = (document.fields["timeline"]?.array ?? []).compactMap { row in
            guard let at = row["at"]?.string.flatMap(Time.parse), let event = row["event"]?.string else { return nil }
            return Entry(at: at, kind: row["kind"]?.string ?? "work", event: event)
        }
        for name in milestoneNames {
            if let at = milestone(document, name) { rows.append(Entry(at: at, kind: "milestone", event: name)) }
        }
        // Stable: rows at the same second keep the order they were recorded in.
        return rows.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    // MARK: - Rendering

    /// A markdown table: time, what happened, where it comes from.
    public static func table(_ entries: [Entry]) -> String {
        guard !entries.isEmpty else { return "" }
        var lines = ["| time (UTC) | event | from |", "| --- | --- | --- |"]
        for entry in entries {
            let event = entry.kind == "milestone" ? "**\(entry.event)**" : entry.event
            lines.append(
                "| \(Time.format(entry.at)) | \(cell(event)) | \(entry.kind == "log" ? "log" : entry.kind == "milestone" ? "milestone" : "record") |"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// A Mermaid `gantt`: the log's rows, the work and the milestones as milestones on one time axis,
    /// and the impact window (start to mitigated or resolved) as a bar.
    public static func mermaid(_ entries: [Entry], start: Date?) -> String {
        guard !entries.isEmpty else { return "" }
        func when(_ date: Date) -> String {
            let text = Time.format(date)
            return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8))
        }
        let span = (entries.last!.at.timeIntervalSince(entries.first!.at))
        var lines = [
            "gantt", "  title Incident timeline (UTC)", "  dateFormat YYYY-MM-DD HH:mm:ss",
            "  axisFormat \(span > 2 * 86400 ? "%m-%d" : "%H:%M")",
        ]
        let end =
            entries.first { $0.kind == "milestone" && $0.event == "mitigated" }?.at
            ?? entries.first { $0.kind == "milestone" && $0.event == "resolved" }?.at
        if let start, let end, end > start {
            lines.append("  section Impact")
            lines.append("  failing : crit, \(when(start)), \(when(end))")
        }
        for (section, kinds) in [("Log", ["log"]), ("Response", ["work", "milestone"])] {
            let rows = entries.filter { kinds.contains($0.kind) }
            guard !rows.isEmpty else { continue }
            lines.append("  section \(section)")
            for row in rows {
                lines.append("  \(label(row.event)) : milestone, \(when(row.at)), 1m")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A task name Mermaid's gantt parser accepts: no `:`, `;` or `#`, one line, short.
    static func label(_ text: String) -> String {
        var flat = short(text, 60)
        for (bad, good) in [(":", " -"), (";", ","), ("#", "no. "), ("`", "'")] {
            flat = flat.replacingOccurrences(of: bad, with: good)
        }
        return flat.isEmpty ? "event" : flat
    }

    /// What a template sees as `timeline`: `rows`, `table` (markdown) and `mermaid` (a gantt).
    static func templateValue(_ document: IncidentDocument) -> Value {
        let rows = entries(document)
        return [
            "rows": .array(
                rows.map { ["at": .string(Time.format($0.at)), "kind": .string($0.kind), "event": .string($0.event)] }),
            "table": .string(table(rows)),
            "mermaid": .string(mermaid(rows, start: start(document))),
        ]
    }

    // MARK: - Durations

    /// Hours from the start of the failure to each milestone that is set.
    public static func durations(_ document: IncidentDocument) -> [String: Double] {
        guard let start = start(document) else { return [:] }
        var result: [String: Double] = [:]
        for name in milestoneNames {
            if let at = milestone(document, name) { result[name] = max(0, at.timeIntervalSince(start)) / 3600 }
        }
        return result
    }
}
