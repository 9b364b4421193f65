import Foundation
import OrderedCollections

/// Filters for `incident list`.
public struct ListRequest: Sendable {
    public var stage: String?
    public var status: String?
    public var severity: Severity?
    public var service: String?
    public var since: Date?
    /// A review state, `pending` or `required` (see `ReviewWorkflow.matches`).
    public var review: String?

    public init() {}
}

/// `incident list` and `incident show`: reading incidents without changing them.
public struct QueryWorkflow {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// The matching incidents, newest first, front-matter only (`loadAllForReading`); unreadable
    /// files go to `problem`.
    /// `forJSON` when they are for `listJSON`.
    public func list(
        _ request: ListRequest, forJSON: Bool = false, problem: (String) -> Void
    ) throws
        -> [LoadedIncident]
    {
        // A stage no incident can be at is a typo, not an empty answer.
        if let stage = request.stage {
            let stages = try workspace.stageOrder() + ["resolved", "closed"]
            guard stages.contains(stage) else {
                throw IncidentError.usage(
                    "--stage '\(stage)' is not a stage of \(Config.fileName); the stages are \(stages.joined(separator: ", ")).")
            }
        }
        var all = try workspace.store.loadAllForReading(json: forJSON, problem: problem)
        let filtered =
            request.stage != nil || request.status != nil || request.severity != nil || request.service != nil
            || request.since != nil || request.review != nil
        if filtered {
            all.removeAll { incident in
                let document = incident.document
                if let stage = request.stage, document.stage != stage { return true }
                if let status = request.status, document.status != status { return true }
                if let severity = request.severity, document.severity != severity.rawValue { return true }
                // Service names are stored as the log or the user gave them: matched in any case.
                if let service = request.service,
                    !document.services.contains(where: { $0.caseInsensitiveCompare(service) == .orderedSame })
                {
                    return true
                }
                if let since = request.since, (document.created ?? .distantPast) < since { return true }
                if let review = request.review, !ReviewWorkflow.matches(document, filter: review) { return true }
                return false
            }
        }
        // Sort keys computed once per incident (on all cores); the incidents are then moved into
        // place rather than copied (a copy retains each of an incident's parts).
        let keys = Parallel.map(all) { ($0.pointee.document.created ?? .distantPast, $0.pointee.document.id) }
        let order = all.indices.sorted { (keys[$0].0, keys[$0].1) > (keys[$1].0, keys[$1].1) }
        Self.permute(&all, to: order)
        return all
    }

    /// Rearranges `items` so that `items[i]` is what was at `order[i]` (a permutation), by swaps.
    static func permute<T>(_ items: inout [T], to order: [Int]) {
        precondition(order.count == items.count)
        var placed = [Bool](repeating: false, count: items.count)
        items.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for start in buffer.indices where !placed[start] {
                // Follow the cycle from `start`, moving each item once; what was at `start` goes last.
                let first = (base + start).move()
                var current = start
                while true {
                    placed[current] = true
                    let next = order[current]
                    if next == start { break }
                    (base + current).moveInitialize(from: base + next, count: 1)
                    current = next
                }
                (base + current).initialize(to: first)
            }
        }
    }

    public func show(_ ref: String) throws -> LoadedIncident {
        try workspace.store.resolve(ref)
    }

    /// Each incident's follow-ups that are not closed (as GitHub last said), by incident id.
    public func openFollowUps(_ incidents: [LoadedIncident]) -> [String: [FollowUp]] {
        let followUps = FollowUps(cachingTemplatesOf: workspace)
        // Found on all cores, gathered in the incidents' order (a later incident with the same id wins).
        let found = Parallel.map(incidents) { followUps.all($0.pointee.document).filter { !$0.isClosed } }
        var result: [String: [FollowUp]] = [:]
        for (incident, open) in zip(incidents, found) where !open.isEmpty { result[incident.document.id] = open }
        return result
    }

    /// The incident's follow-ups (entries of `issue: true` lists), with what GitHub said of each.
    public func followUps(_ incident: LoadedIncident) -> [FollowUp] {
        FollowUps(workspace: workspace).all(incident.document)
    }

    /// Whether GitHub is owed something: an update, or an issue creation that did not finish.
    public static func hasPendingGitHubWork(_ document: IncidentDocument) -> Bool {
        !GitHubSync.owed(document).isEmpty
            || (document.fields["github"]?["pending"] != nil && document.fields["github"]?["number"] == nil)
    }

    /// Lines for `show` about what GitHub is still owed.
    public static func githubNotes(_ document: IncidentDocument) -> [String] {
        var lines: [String] = []
        if document.fields["github"]?["pending"] != nil && document.fields["github"]?["number"] == nil {
            lines.append(
                "GitHub: the issue creation did not finish; `incident issue \(document.id)` looks for it and files it if missing."
            )
        }
        let pending = GitHubSync.owed(document)
        if !pending.isEmpty {
            let count = pending.count
            lines.append(
                "GitHub: \(count) update\(count == 1 ? "" : "s") pending (\(pending.joined(separator: "; "))); `incident sync \(document.id)` sends \(count == 1 ? "it" : "them")."
            )
        }
        return lines
    }

    /// `list --json`'s array (each incident's `jsonObject`, with `open_followups`, the count of
    /// its `open` follow-ups by id), in parts to write in order: made on all cores, from the fields'
    /// JSON the read cache kept where it did.
    public static func listJSON(_ incidents: [LoadedIncident], open: [String: [FollowUp]]) -> [[UInt8]] {
        // Each incident lent, never copied, to the workers.
        incidents.withUnsafeBufferPointer { incidents in
            let base = incidents.baseAddress
            return JSON.encodeObjectArrayParts(count: incidents.count) { index in
                let incident = base.unsafelyUnwrapped + index
                return (
                    incident.pointee.document.fields,
                    [
                        ("path", .string(incident.pointee.relativePath)),
                        ("pending_updates", .strings(GitHubSync.owed(incident.pointee.document))),
                        ("open_followups", .int(open[incident.pointee.document.id]?.count ?? 0)),
                    ],
                    incident.pointee.document.fieldsJSON
                )
            }
        }
    }

    /// The `list --json` / `show --json` object: the front-matter with `path` (and, for show, `sections`),
    /// and `pending_updates`, what GitHub is still owed.
    public static func jsonObject(_ incident: LoadedIncident, sections: Bool) -> Value {
        var fields = incident.document.fields
        fields["path"] = .string(incident.relativePath)
        fields["pending_updates"] = .strings(GitHubSync.owed(incident.document))
        if sections {
            fields["sections"] = .object(
                incident.document.sections.mapValues { .string($0.trimmingCharacters(in: .newlines)) })
        }
        return .object(fields)
    }
}

/// `incident set`: changes title, severity, owner, environment or services. A new title or severity
/// also changes the body's heading and the identify line, and the filed issue's title and label.
public struct SetFieldsWorkflow {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public static let keys =
        ["title", "severity", "owner", "environment", "services", "impact"] + Timeline.milestoneNames

    public func run(ref: String, assignments: [String]) throws -> LifecycleResult {
        guard !assignments.isEmpty else {
            throw IncidentError.usage(
                "incident set needs at least one KEY=VALUE, with KEY one of \(Self.keys.joined(separator: ", ")).")
        }
        // impact is an answer of the first stage (identify): it goes through amend, which renders
        // that section again and tells the GitHub issue.
        let impact = assignments.filter { $0.hasPrefix("impact=") }
        let assignments = assignments.filter { !$0.hasPrefix("impact=") }
        var amended: AmendResult?
        if !impact.isEmpty {
            guard let first = try workspace.stageOrder().first else {
                throw IncidentError.usage("impact belongs to the first stage, and \(Config.fileName) lists none.")
            }
            var request = AmendRequest(ref: ref, stage: first)
            request.sets = impact
            request.yes = true
            amended = try AmendWorkflow(workspace: workspace).run(request)
            if assignments.isEmpty, let amended {
                return LifecycleResult(
                    incident: amended.incident, synced: amended.synced, syncWarning: amended.syncWarning,
                    changed: amended.changed)
            }
        }
        var changes: [(String, Value)] = []
        var counts = OrderedDictionary<String, Int>()
        let redactor = try Redactor(config: workspace.config)
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw IncidentError.usage(
                    "'\(assignment)' is not KEY=VALUE; KEY is one of \(Self.keys.joined(separator: ", ")).")
            }
            let key = String(assignment[..<equals])
            let value = String(assignment[assignment.index(after: equals)...])
            try ControlCharacters.refuse(value, as: key)
            let text = redactor.redact(value, counts: &counts)
            switch key {
            case "severity": changes.append((key, .string(try Severity.parse(text).rawValue)))
            case "title":
                guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw IncidentError.usage("title cannot be empty.")
                }
                changes.append((key, .string(text)))
            case "owner", "environment": changes.append((key, text.isEmpty ? .null : .string(text)))
            case "services":
                changes.append(
                    (
                        key,
                        .strings(
                            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                                !$0.isEmpty
                            })
                    ))
            case _ where Timeline.milestoneNames.contains(key):
                guard text.isEmpty || Time.parse(text) != nil else {
                    throw IncidentError.usage(
                        "\(key)='\(text)' is not an ISO 8601 time such as 2025-09-09T03:10Z (empty clears it).")
                }
                changes.append((key, text.isEmpty ? .null : .string(Time.format(Time.parse(text)!))))
            default:
                throw IncidentError.usage("'\(key)' cannot be set; use one of \(Self.keys.joined(separator: ", ")).")
            }
        }
        let incident = try workspace.store.resolve(ref)
        var document = incident.document
        let before = document
        for (key, value) in changes {
            if Timeline.milestoneNames.contains(key) {
                Timeline.setMilestone(&document, key, value.string.flatMap(Time.parse))
            } else {
                document.fields[key] = value
            }
        }
        func current(_ document: IncidentDocument, _ key: String) -> Value? {
            Timeline.milestoneNames.contains(key) ? document.fields["milestones"]?[key] : document.fields[key]
        }
        let changed = Self.keys.filter { current(before, $0) != current(document, $0) }
        if changed.contains("title") { Self.retitleHeading(&document, from: before.title) }
        if changed.contains("severity"), let first = try workspace.stageOrder().first {
            // The identify line is the tool's own edit: the section's hash follows it unless a hand
            // edit was already there (which must stay noticed).
            let untouched = StageSection.editedByHand(before, stage: first) == false
            try Self.restateSeverity(&document, from: before.severity, firstStage: first)
            if untouched { StageSection.recordHash(&document, stage: first) }
        }
        let sync = GitHubSync(workspace: workspace)
        if changed.contains("title") || changed.contains("severity") {
            sync.enqueue([GitHubUpdate(.update)], in: &document)
        }
        let saved = try workspace.store.save(incident, document: document)
        let outcome = sync.flush(saved, saved: "the change is saved")
        return LifecycleResult(
            incident: outcome.incident, synced: (amended?.synced ?? []) + outcome.sent,
            syncWarning: outcome.warning ?? amended?.syncWarning, changed: (amended?.changed ?? []) + changed)
    }

    /// The body's heading follows the title, when it is still the one the tool wrote.
    static func retitleHeading(_ document: inout IncidentDocument, from old: String) {
        let body = document.body
        let lineEnd = body.firstIndex(of: "\n") ?? body.endIndex
        var line = body[..<lineEnd]
        if line.hasSuffix("\r") { line = line.dropLast() }
        guard line == "# " + old else { return }
        document.body = "# " + document.title + body[line.endIndex...]
    }

    /// The first stage's section (identify) states the severity on its first line; it follows the
    /// front-matter when it still says the old one. The rest of the section is left as written.
    static func restateSeverity(_ document: inout IncidentDocument, from old: String, firstStage: String?) throws {
        guard let stage = firstStage, let section = document.sections[stage],
            let range = section.range(of: "**Severity**: " + old)
        else { return }
        let after = section[range.upperBound...].first
        guard after == nil || !(after!.isLetter || after!.isNumber) else { return }
        var updated = section
        updated.replaceSubrange(range, with: "**Severity**: " + document.severity)
        _ = document.replaceSection(stage: stage, markdown: updated)
    }
}
