import Foundation
import OrderedCollections

/// One entry of a list field declared `issue: true` (a test to add, an action to take): a
/// follow-up of the incident, filed as its own GitHub issue and linked from the incident's issue.
public struct FollowUp: Sendable, Equatable {
    /// Stable for the entry: the field id and the entry's place in it (`tests-1`, `actions-2`).
    public var key: String
    public var stage: String
    public var field: String
    /// The issue's title: the field's label and the entry's first answer ("Test to add: …").
    public var title: String
    /// The entry's answers with their labels, in the template's order.
    public var details: [(label: String, value: String)]
    public var owner: String?
    /// `YYYY-MM-DD`, as answered.
    public var due: String?
    /// `verify` waits until this one is closed on GitHub.
    public var blocking: Bool
    /// What GitHub said last: the issue, and whether it was open or closed.
    public var number: Int?
    public var url: String?
    public var state: String?
    /// Recorded to be filed, not sent yet; or sent with no answer seen (look for the marker first).
    public var queued: Bool
    public var pending: Bool

    public static func == (lhs: FollowUp, rhs: FollowUp) -> Bool {
        lhs.key == rhs.key && lhs.number == rhs.number && lhs.state == rhs.state && lhs.queued == rhs.queued
            && lhs.pending == rhs.pending && lhs.title == rhs.title
    }

    public var isClosed: Bool { state == "closed" }

    /// The marker in its issue body: the incident's, with the key.
    public static func marker(_ id: String, key: String) -> String { "<!-- incident-id: \(id)/\(key) -->" }
}

/// Finding, recording and describing follow-ups. Their GitHub records live under
/// `github.followups.KEY`: `{queued: TIME}` before a creation is sent, `{pending: TIME}` while one is
/// in flight (an unknown outcome is looked for by marker before posting again), then
/// `{number, url, state}`.
struct FollowUps {
    let workspace: Workspace
    /// Stage templates already parsed, for reading many incidents (`list`, `followups`).
    var templates: [String: StageTemplate] = [:]

    init(workspace: Workspace) { self.workspace = workspace }

    /// Parses every stage template once up front, for reading many incidents.
    init(cachingTemplatesOf workspace: Workspace) {
        self.workspace = workspace
        for name in (try? workspace.templates.names()) ?? [] {
            if let template = try? workspace.templates.stage(name) { templates[name] = template }
        }
    }

    /// Every follow-up of the incident, from its completed stages in order, with what GitHub said.
    func all(_ document: IncidentDocument) -> [FollowUp] {
        let records = document.fields["github"]?["followups"]?.object ?? [:]
        var result: [FollowUp] = []
        for (stage, record) in document.stages {
            guard let answers = record["answers"]?.object,
                let template = templates[stage] ?? (try? workspace.templates.stage(stage))
            else { continue }
            for field in template.fields where field.issue {
                for (index, entry) in (answers[field.id]?.array ?? []).enumerated() where !entry.isBlank {
                    let key = "\(field.id)-\(index + 1)"
                    var followUp = Self.make(entry, key: key, stage: stage, field: field)
                    if let record = records[key] {
                        followUp.number = record["number"]?.int
                        followUp.url = record["url"]?.string
                        followUp.state = record["state"]?.string
                        followUp.queued = record["queued"] != nil && followUp.number == nil
                        followUp.pending = record["pending"] != nil && followUp.number == nil
                    }
                    result.append(followUp)
                }
            }
        }
        return result
    }

    static func make(_ entry: Value, key: String, stage: String, field: Field) -> FollowUp {
        var details: [(String, String)] = []
        var summary = entry.string ?? ""
        if let object = entry.object {
            for subfield in field.fields {
                guard let value = object[subfield.id], !value.isBlank else { continue }
                let text = value.array?.compactMap(\.string).joined(separator: ", ") ?? value.string ?? ""
                if summary.isEmpty { summary = text }
                details.append((subfield.label, text))
            }
        }
        let blocking = ["true", "yes"].contains(entry["blocking"]?.string?.lowercased() ?? "")
        return FollowUp(
            key: key, stage: stage, field: field.id,
            title: "\(field.label): \(summary.split(separator: "\n").first.map(String.init) ?? summary)",
            details: details.filter { $0.0 != field.fields.first(where: { $0.id == "blocking" })?.label },
            owner: entry["owner"]?.string.flatMap { $0.isEmpty ? nil : $0 },
            due: entry["due"]?.string.flatMap { $0.isEmpty ? nil : $0 }, blocking: blocking, number: nil, url: nil,
            state: nil, queued: false, pending: false)
    }

    /// Records every follow-up that has no GitHub record yet as queued, and the parent's task list as
    /// an update owed, in `document` (saved by the caller before anything is sent). Only `stages`
    /// when given. Returns the keys queued.
    @discardableResult
    func queueUnfiled(in document: inout IncidentDocument, stages: Set<String>? = nil) -> [String] {
        guard GitHubSync.hasIssue(document), var block = document.fields["github"]?.object else { return [] }
        let unfiled = all(document).filter {
            $0.number == nil && !$0.queued && !$0.pending && (stages?.contains($0.stage) ?? true)
        }
        guard !unfiled.isEmpty else { return [] }
        var records = block["followups"]?.object ?? [:]
        let now = Time.format(workspace.env.now)
        for followUp in unfiled { records[followUp.key] = ["queued": .string(now)] }
        block["followups"] = .object(records)
        document.fields["github"] = .object(block)
        if !GitHubSync.pending(document).contains(where: { $0.kind == .links }) {
            GitHubSync(workspace: workspace).enqueue([GitHubUpdate(.links)], in: &document)
        }
        return unfiled.map(\.key)
    }

    /// Sets one follow-up's GitHub record.
    static func record(_ key: String, _ value: Value, in document: inout IncidentDocument) {
        guard var block = document.fields["github"]?.object else { return }
        var records = block["followups"]?.object ?? [:]
        records[key] = value
        block["followups"] = .object(records)
        document.fields["github"] = .object(block)
    }

    static func filed(_ issue: GitHubIssue) -> Value {
        [
            "number": .int(issue.number), "url": .string(issue.url),
            "state": .string(issue.state.isEmpty ? "open" : issue.state),
        ]
    }

    /// The follow-up's issue: title, and a body linking the parent, with the entry's answers and its marker.
    func fields(_ followUp: FollowUp, document: IncidentDocument, parent: String) -> Value {
        var lines = [
            "Follow-up of \(parent): **\(document.id)** · \(document.title) (stage `\(followUp.stage)`).", "",
        ]
        for (label, value) in followUp.details {
            lines.append("- **\(label)**: \(value.replacingOccurrences(of: "\n", with: " "))")
        }
        if followUp.blocking { lines.append("- **Blocks verify**: yes, `verify` waits until this issue is closed") }
        lines += ["", FollowUp.marker(document.id, key: followUp.key), ""]
        return ["title": .string(followUp.title), "body": .string(lines.joined(separator: "\n"))]
    }

    static let blockStart = "<!-- incident:followups -->"
    static let blockEnd = "<!-- /incident:followups -->"

    /// The parent body with its follow-ups task list put in (or replaced), before the hidden marker.
    static func linking(_ followUps: [FollowUp], into body: String, marker: String) -> String {
        let filed = followUps.filter { $0.number != nil }
        var text = body
        if let start = text.range(of: blockStart),
            let end = text.range(of: blockEnd, range: start.upperBound..<text.endIndex)
        {
            var upper = end.upperBound
            while upper < text.endIndex, text[upper] == "\n" { upper = text.index(after: upper) }
            text.removeSubrange(start.lowerBound..<upper)
        }
        guard !filed.isEmpty else { return text }
        var block = [blockStart, "### Follow-ups", ""]
        for followUp in filed {
            var line = "- [\(followUp.isClosed ? "x" : " ")] #\(followUp.number!)"
            var notes: [String] = []
            if let owner = followUp.owner { notes.append(owner) }
            if let due = followUp.due { notes.append("due \(due)") }
            if followUp.blocking { notes.append("blocks verify") }
            if !notes.isEmpty { line += " (\(notes.joined(separator: ", ")))" }
            block.append(line)
        }
        block.append(blockEnd)
        let list = block.joined(separator: "\n") + "\n\n"
        if let range = text.range(of: marker) {
            text.insert(contentsOf: list, at: range.lowerBound)
        } else {
            text += (text.hasSuffix("\n") ? "\n" : "\n\n") + list
        }
        return text
    }

    /// The blocking follow-ups that keep `verify` from completing, one line each: open on GitHub
    /// (asked now), or not filed yet while the incident has an issue.
    func blockingOpen(_ document: IncidentDocument) throws -> [String] {
        let blocking = all(document).filter(\.blocking)
        guard !blocking.isEmpty, GitHubSync.hasIssue(document),
            let repo = document.fields["github"]?["repo"]?.string
        else { return [] }
        var lines: [String] = []
        var client: GitHubClient?
        for followUp in blocking {
            guard let number = followUp.number else {
                lines.append(
                    "follow-up \(followUp.key) (\(followUp.title)) blocks verify and has no issue yet; `incident sync \(document.id)` or `incident issue \(document.id)` files it"
                )
                continue
            }
            if client == nil {
                client =
                    try GitHubConnection.open(
                        workspace, repo: repo,
                        apiURL: GitHubConnection.apiURL(workspace, issueURL: document.fields["github"]?["url"]?.string)
                    ).client
            }
            let issue = try client!.getIssue(repo, number: number)
            if issue.state != "closed" {
                lines.append(
                    "follow-up \(repo)#\(number) (\(followUp.title)) blocks verify and is still open on GitHub")
            }
        }
        return lines
    }
}

extension FollowUp {
    /// Past its due date (the whole due day counts) and not closed.
    public func isOverdue(at now: Date) -> Bool {
        guard !isClosed, let due, let date = Time.parse(due) else { return false }
        return now >= date.addingTimeInterval(due.count == 10 ? 86400 : 0)
    }

    public func toValue(now: Date) -> Value {
        [
            "key": .string(key), "stage": .string(stage), "title": .string(title), "owner": .optional(owner),
            "due": .optional(due), "overdue": .bool(isOverdue(at: now)), "blocking": .bool(blocking),
            "filed": .bool(number != nil), "number": number.map(Value.int) ?? .null, "url": .optional(url),
            "state": .optional(state),
        ]
    }
}

/// One follow-up with the incident it belongs to, for `incident followups`.
public struct FollowUpRow: Sendable {
    public var incident: String
    public var incidentTitle: String
    public var path: String
    public var followUp: FollowUp
    public var overdue: Bool

    public func toValue(now: Date) -> Value {
        var fields: OrderedDictionary<String, Value> = [
            "incident": .string(incident), "incident_title": .string(incidentTitle), "path": .string(path),
        ]
        for (key, value) in followUp.toValue(now: now).object ?? [:] { fields[key] = value }
        return .object(fields)
    }
}

/// `incident followups`: every incident's follow-ups, overdue first, with states asked of GitHub.
public struct FollowUpsWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// The rows, and warnings (a state that could not be asked, a record that could not be saved).
    /// `refresh` asks GitHub for the state of each follow-up last seen open, and records it.
    public func run(
        openOnly: Bool, refresh: Bool, problem: (String) -> Void = { _ in }
    ) throws -> (
        rows: [FollowUpRow], warnings: [String]
    ) {
        let followUps = FollowUps(cachingTemplatesOf: workspace)
        var warnings: [String] = []
        var unreachable: Set<String> = []
        var rows: [FollowUpRow] = []
        let now = workspace.env.now
        for var incident in try workspace.store.loadAll(problem: problem) {
            var items = followUps.all(incident.document)
            if refresh, items.contains(where: { $0.number != nil && !$0.isClosed }) {
                let (updated, warning) = self.refresh(incident, items, unreachable: &unreachable)
                if let warning { warnings.append(warning) }
                incident = updated
                items = followUps.all(incident.document)
            }
            for item in items where !openOnly || !item.isClosed {
                rows.append(
                    FollowUpRow(
                        incident: incident.document.id, incidentTitle: incident.document.title,
                        path: incident.relativePath, followUp: item, overdue: item.isOverdue(at: now)))
            }
        }
        func rank(_ row: FollowUpRow) -> Int {
            row.overdue ? 0 : row.followUp.isClosed ? 3 : row.followUp.due == nil ? 2 : 1
        }
        rows.sort {
            (rank($0), $0.followUp.due ?? "", $0.incident, $0.followUp.key)
                < (rank($1), $1.followUp.due ?? "", $1.incident, $1.followUp.key)
        }
        return (rows, warnings)
    }

    /// Asks GitHub for each open follow-up's state and records what changed.
    private func refresh(
        _ incident: LoadedIncident, _ items: [FollowUp], unreachable: inout Set<String>
    ) -> (LoadedIncident, String?) {
        let document = incident.document
        guard let repo = document.fields["github"]?["repo"]?.string else { return (incident, nil) }
        let api = GitHubConnection.apiURL(workspace, issueURL: document.fields["github"]?["url"]?.string)
        guard !unreachable.contains(api) else { return (incident, nil) }
        var updated = document
        do {
            let client = try GitHubConnection.open(workspace, repo: repo, apiURL: api).client
            for item in items where item.number != nil && !item.isClosed {
                let issue = try client.getIssue(repo, number: item.number!)
                if issue.state != item.state {
                    FollowUps.record(item.key, FollowUps.filed(issue), in: &updated)
                }
            }
        } catch {
            unreachable.insert(api)
            return (
                incident,
                "could not ask GitHub for the follow-ups of \(document.id) (\(error)); showing the states last recorded."
            )
        }
        guard updated != document else { return (incident, nil) }
        do {
            return (try workspace.store.save(incident, document: updated), nil)
        } catch {
            return (incident, "could not record the new follow-up states in \(incident.relativePath): \(error)")
        }
    }
}
