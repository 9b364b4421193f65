import Foundation
import OrderedCollections

/// "Have we seen this before, and what fixed it": a resolved incident with the same fingerprint, or
/// failing with nearly the same primary error pattern.
public enum SeenBefore {
    /// How alike two error patterns must be (shared words over all words, masks left out).
    public static let threshold = 0.75

    /// The primary error pattern of an incident: `pattern` in the front-matter, else the identify
    /// section's "Error pattern" line (incidents written before `pattern` was recorded).
    public static func pattern(_ document: IncidentDocument) -> String? {
        if let pattern = document.fields["pattern"]?.string { return pattern }
        for (_, section) in document.sections {
            guard let start = section.range(of: "**Error pattern**: `") else { continue }
            let rest = section[start.upperBound...]
            if let end = rest.firstIndex(of: "`") { return String(rest[..<end]) }
        }
        return nil
    }

    /// Jaccard similarity of the patterns' words, without the `<*>` masks.
    public static func similarity(_ a: String, _ b: String) -> Double {
        func words(_ text: String) -> Set<String> {
            Set(
                text.lowercased().split { $0.isWhitespace || ",;:()[]{}\"'".contains($0) }.map(String.init).filter {
                    $0 != "<*>" && !$0.isEmpty
                })
        }
        let left = words(a)
        let right = words(b)
        guard !left.isEmpty, !right.isEmpty else { return 0 }
        return Double(left.intersection(right).count) / Double(left.union(right).count)
    }

    /// The newest resolved incident with this fingerprint, else the most alike by pattern.
    static func match(
        fingerprint: String?, pattern: String?, among incidents: [LoadedIncident]
    ) -> (
        LoadedIncident, String
    )? {
        let resolved = incidents.filter { $0.document.status == Status.resolved.rawValue }
        if let fingerprint,
            let same = resolved.filter({ $0.document.fingerprint == fingerprint })
                .max(by: { ($0.document.created ?? .distantPast) < ($1.document.created ?? .distantPast) })
        {
            return (same, "same fingerprint \(fingerprint)")
        }
        guard let pattern else { return nil }
        let scored = resolved.compactMap { incident -> (LoadedIncident, Double)? in
            guard let theirs = Self.pattern(incident.document) else { return nil }
            let score = similarity(pattern, theirs)
            return score >= threshold ? (incident, score) : nil
        }
        guard let best = scored.max(by: { $0.1 < $1.1 }) else { return nil }
        return (best.0, "a similar error pattern (\(Int((best.1 * 100).rounded()))% alike)")
    }

    /// When an incident was resolved: its `resolved` milestone, else its last completed stage.
    static func resolvedAt(_ document: IncidentDocument) -> Date? {
        if let date = Timeline.milestone(document, "resolved") { return date }
        return document.stages.values.compactMap { ($0["completed"] ?? $0["skipped"])?.string.flatMap(Time.parse) }
            .max()
    }

    /// The `seen_before` record: the earlier incident, why it matched, its root cause and its fix.
    static func record(_ earlier: LoadedIncident, why: String) -> Value {
        let document = earlier.document
        var rootCause: String?
        var fix: String?
        for (stage, answers) in document.stageAnswers {
            if rootCause == nil, let text = answers["root_cause"]?.string { rootCause = text }
            if stage == "fix" || fix == nil, let text = answers["description"]?.string { fix = text }
        }
        var commits: [String] = []
        for (_, answers) in document.stageAnswers {
            commits += answers["commits"]?.array?.compactMap(\.string) ?? []
        }
        var fields: OrderedDictionary<String, Value> = [
            "id": .string(document.id), "title": .string(document.title), "match": .string(why),
            "file": .string(earlier.relativePath),
            // For a link from this incident's file: both live in the incidents folder.
            "link": .string((earlier.relativePath as NSString).lastPathComponent),
            "resolved": .optional(resolvedAt(document).map(Time.format)),
            "root_cause": .optional(rootCause.map { Timeline.short($0, 300) }),
            "fix": .optional(fix.map { Timeline.short($0, 300) }),
        ]
        if !commits.isEmpty { fields["commits"] = .strings(Array(commits.prefix(5))) }
        if let url = document.fields["github"]?["url"]?.string { fields["issue"] = .string(url) }
        return .object(fields)
    }

    // MARK: - The recurrence test

    /// Words that say a test proves the failure does not come back.
    static let recurrenceWords = [
        // Not "return": "returns 200" says nothing about the failure coming back.
        "recur", "again", "come back", "comes back", "coming back", "regress", "repeat", "reappear", "reintroduc",
    ]

    /// For a repeated failure, a stage that lists tests (a list field with a `proves` sub-field) needs one
    /// whose `proves` names the failure coming back. The missing-field lines for the gate, or none.
    static func recurrenceGate(_ template: StageTemplate, answers: Answers, document: IncidentDocument) -> [String] {
        guard let earlier = document.fields["recurrence_of"]?.string else { return [] }
        for field in template.fields where field.type == .list && field.fields.contains(where: { $0.id == "proves" }) {
            let entries = answers[field.id]?.array ?? []
            let proven = entries.contains { entry in
                let proves = (entry["proves"]?.string ?? "").lowercased()
                return proves.contains(earlier) || recurrenceWords.contains { proves.contains($0) }
            }
            if !proven {
                return [
                    "\(field.id): this failure was seen before (\(earlier)); add a test whose `proves` names the failure coming back, e.g. proves=\"the failure does not recur\""
                ]
            }
        }
        return []
    }
}
