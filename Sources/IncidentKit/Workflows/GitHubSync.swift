import Foundation
import OrderedCollections

/// One update owed to a filed issue. It is written under `github.pending_sync` in the same save as
/// the change that owes it, before anything is sent, and removed once GitHub has it: a failure or a
/// crash leaves it for `incident sync`.
public struct GitHubUpdate: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A stage's section as a comment.
        case comment
        /// Close: as completed with a summary (no `reason`, the pipeline resolved it), else as
        /// not planned or duplicate with a comment saying why (`incident close`).
        case close
        /// Reopen, with a comment (`incident reopen`).
        case reopen
        /// The title and the severity label, after `incident set`.
        case update
        /// The task list of follow-up issues in the issue's body.
        case links
    }

    public var kind: Kind
    /// With `comment`: the stage whose section it carries; with a completed `close`, the last stage.
    public var stage: String?
    /// With `close`: false-alarm, wont-fix or duplicate.
    public var reason: String?
    /// With a duplicate: the incident it duplicates, and that incident's issue ("#12", "acme/api#12").
    public var duplicateOf: String?
    public var duplicateIssue: String?
    /// The comment went out; only the state change is left (so a retry does not comment twice).
    public var commented = false
    /// When it was recorded, and why the last try failed.
    public var queued: String?
    public var error: String?

    public init(_ kind: Kind, stage: String? = nil) {
        self.kind = kind
        self.stage = stage
    }

    init?(_ value: Value) {
        guard let raw = value["kind"]?.string, let kind = Kind(rawValue: raw) else { return nil }
        self.kind = kind
        stage = value["stage"]?.string
        reason = value["reason"]?.string
        duplicateOf = value["duplicate_of"]?.string
        duplicateIssue = value["duplicate_issue"]?.string
        commented = value["commented"] == .bool(true)
        queued = value["at"]?.string
        error = value["error"]?.string
    }

    var value: Value {
        var fields: OrderedDictionary<String, Value> = ["kind": .string(kind.rawValue)]
        if let stage { fields["stage"] = .string(stage) }
        if let reason { fields["reason"] = .string(reason) }
        if let duplicateOf { fields["duplicate_of"] = .string(duplicateOf) }
        if let duplicateIssue { fields["duplicate_issue"] = .string(duplicateIssue) }
        if commented { fields["commented"] = true }
        if let queued { fields["at"] = .string(queued) }
        if let error { fields["error"] = .string(error) }
        return .object(fields)
    }

    /// What it will do, for `show`, `list`, `doctor` and `sync`.
    public var summary: String {
        switch kind {
        case .comment: return "comment the \(reason == "amended" ? "amended " : "")\(stage ?? "?") section"
        case .close:
            switch reason {
            case nil: return "close as completed, with a summary"
            case "duplicate": return "close as a duplicate of \(duplicateIssue ?? duplicateOf ?? "another incident")"
            case "false-alarm": return "close as not planned (a false alarm)"
            default: return "close as not planned (won't fix)"
            }
        case .reopen: return "reopen"
        case .update: return "update the title and severity label"
        case .links: return "link the follow-up issues from the issue"
        }
    }
}

/// Keeps a filed issue in step with the incident: a comment per later stage, a summary and a close
/// when the last stage completes, the close, reopen and title or severity changes made outside the
/// pipeline. Every update is recorded as pending before it is sent (`enqueue`, then the caller's
/// save, then `flush`); what fails stays recorded and `incident sync` retries it. The local change
/// is never lost to a GitHub failure.
public struct GitHubSync: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// What a sync did for one incident.
    public struct Outcome: Sendable {
        public var incident: LoadedIncident
        /// What was sent, one line each ("closed acme/netra#1 as not planned, with a comment").
        public var sent: [String] = []
        /// What is still owed, one line each.
        public var remaining: [String] = []
        public var error: IncidentError?
        /// For a command that saved its own change first: that change is safe, this much failed,
        /// and `incident sync` retries.
        public var warning: String?
        /// Something `sync` cannot do itself (an unfinished issue creation).
        public var note: String?

        public func toValue() -> Value {
            [
                "id": .string(incident.document.id), "path": .string(incident.relativePath),
                "sent": .strings(sent), "remaining": .strings(remaining),
                "error": .optional(error?.description), "note": .optional(note),
            ]
        }
    }

    /// The updates recorded as owed to the incident's issue.
    public static func pending(_ document: IncidentDocument) -> [GitHubUpdate] {
        (document.fields["github"]?["pending_sync"]?.array ?? []).compactMap(GitHubUpdate.init)
    }

    /// Everything GitHub is still owed, one line each: follow-up issues to file, then updates.
    public static func owed(_ document: IncidentDocument) -> [String] {
        let records = document.fields["github"]?["followups"]?.object ?? [:]
        let followUps = records.filter { $0.value["number"] == nil }.map { "file the follow-up issue \($0.key)" }
        return followUps + pending(document).map(\.summary)
    }

    /// Whether the incident has a filed issue to keep in step.
    static func hasIssue(_ document: IncidentDocument) -> Bool {
        document.fields["github"]?["number"]?.int != nil && document.fields["github"]?["repo"]?.string != nil
    }

    /// The updates a completed stage owes, per config.
    func owed(afterStage stage: String, action: StageActionName?, document: IncidentDocument) -> [GitHubUpdate] {
        guard Self.hasIssue(document), action != .githubIssue else { return [] }
        let github = workspace.config.github
        var updates: [GitHubUpdate] = []
        if github.commentOnAdvance { updates.append(GitHubUpdate(.comment, stage: stage)) }
        if document.status == Status.resolved.rawValue && github.closeOnVerify {
            updates.append(GitHubUpdate(.close, stage: stage))
        }
        return updates
    }

    /// Records `updates` as pending in `document`, which the caller saves before calling `flush`.
    /// Nothing is recorded for an incident without a filed issue.
    func enqueue(_ updates: [GitHubUpdate], in document: inout IncidentDocument) {
        guard !updates.isEmpty, Self.hasIssue(document), var block = document.fields["github"]?.object else { return }
        let now = Time.format(workspace.env.now)
        let added = updates.map { update -> Value in
            var update = update
            update.queued = update.queued ?? now
            return update.value
        }
        block["pending_sync"] = .array((block["pending_sync"]?.array ?? []) + added)
        document.fields["github"] = .object(block)
    }

    /// Replaces the pending list (reopen drops a close that was never sent).
    func setPending(_ updates: [GitHubUpdate], in document: inout IncidentDocument) {
        guard var block = document.fields["github"]?.object else { return }
        if updates.isEmpty {
            block.removeValue(forKey: "pending_sync")
        } else {
            block["pending_sync"] = .array(updates.map(\.value))
        }
        document.fields["github"] = .object(block)
    }

    /// `incident sync REF`: sends what earlier runs could not.
    public func retry(_ ref: String) throws -> Outcome {
        let incident = try workspace.store.resolve(ref)
        if let unfinished = unfinishedCreation(incident) { return unfinished }
        return flush(incident, saved: "the incident is saved")
    }

    /// An issue creation that never finished is for `incident issue` (which asks before a public repo
    /// gets a log excerpt), not for sync: it is named, with the command that completes it.
    private func unfinishedCreation(_ incident: LoadedIncident) -> Outcome? {
        let github = incident.document.fields["github"]
        guard github?["pending"] != nil && github?["number"] == nil else { return nil }
        return Outcome(
            incident: incident,
            note:
                "the issue creation did not finish; `incident issue \(incident.document.id)` looks for the issue and files it if it is missing."
        )
    }

    /// `incident sync`: every incident with pending updates, oldest first. After a network failure the
    /// other incidents on that API are not tried (each would wait for the same unreachable host).
    public func retryAll(problem: (String) -> Void = { _ in }) throws -> [Outcome] {
        let incidents = try workspace.store.loadAll(problem: problem).sorted {
            ($0.document.created ?? .distantPast, $0.document.id) < (
                $1.document.created ?? .distantPast, $1.document.id
            )
        }
        var unreachable: [String: String] = [:]
        var outcomes: [Outcome] = []
        for incident in incidents {
            let document = incident.document
            let github = document.fields["github"]
            if let unfinished = unfinishedCreation(incident) {
                outcomes.append(unfinished)
                continue
            }
            let pending = Self.owed(document)
            guard !pending.isEmpty else { continue }
            let api = GitHubConnection.apiURL(workspace, issueURL: github?["url"]?.string)
            if let reason = unreachable[api] {
                outcomes.append(
                    Outcome(
                        incident: incident, remaining: pending,
                        error: .network("not tried: \(reason)")))
                continue
            }
            let outcome = flush(incident, saved: "the incident is saved")
            if case .network(let message) = outcome.error { unreachable[api] = message }
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// Files the follow-ups recorded as owed, then sends the pending updates in order, and records
    /// what is left (with the error). `saved` says what the caller already wrote, for the warning
    /// ("the stage is saved").
    func flush(_ incident: LoadedIncident, saved: String) -> Outcome {
        let document = incident.document
        guard !Self.owed(document).isEmpty, let repo = document.fields["github"]?["repo"]?.string,
            let number = document.fields["github"]?["number"]?.int
        else { return Outcome(incident: incident, remaining: Self.owed(document)) }
        var current = incident
        var queue = Self.pending(document)
        var updating = false
        var sent: [String] = []
        var failure: IncidentError?
        do {
            let connection = try GitHubConnection.open(
                workspace, repo: repo,
                apiURL: GitHubConnection.apiURL(workspace, issueURL: document.fields["github"]?["url"]?.string))
            try fileFollowUps(&current, client: connection.client, repo: repo, parent: number, sent: &sent)
            queue = Self.pending(current.document)
            updating = true
            while !queue.isEmpty {
                sent.append(
                    try send(queue[0], with: connection.client, repo: repo, number: number, incident: current) {
                        queue[0].commented = true
                    })
                queue.removeFirst()
            }
        } catch let error as IncidentError {
            failure = error
        } catch {
            failure = .network("\(error)")
        }
        if let failure, updating, !queue.isEmpty {
            queue[0].error = failure.description
        }
        var updated = current.document
        setPending(queue, in: &updated)
        let stored =
            updated == current.document
            ? current : (try? workspace.store.save(current, document: updated)) ?? current
        let left = Self.owed(stored.document)
        var outcome = Outcome(incident: stored, sent: sent, remaining: left, error: failure)
        if let failure, !left.isEmpty {
            let count = left.count
            outcome.warning =
                "\(saved), but \(count) update\(count == 1 ? "" : "s") to \(repo)#\(number) failed (\(failure)); `incident sync \(document.id)` retries."
        }
        return outcome
    }

    /// Files each follow-up recorded as queued or pending, exactly once: the record turns pending
    /// (saved) before the request goes, a lost answer is looked for by its marker, and one left
    /// pending by an earlier run is looked for before anything is posted.
    private func fileFollowUps(
        _ incident: inout LoadedIncident, client: GitHubClient, repo: String, parent: Int, sent: inout [String]
    ) throws {
        let followUps = FollowUps(workspace: workspace)
        let all = followUps.all(incident.document)
        // A queued record whose entry is gone (its answers changed) was never sent: nothing is owed.
        let keys = Set(all.map(\.key))
        let records = incident.document.fields["github"]?["followups"]?.object ?? [:]
        let stale = records.filter { !keys.contains($0.key) && $0.value["queued"] != nil && $0.value["number"] == nil }
        if !stale.isEmpty, var block = incident.document.fields["github"]?.object {
            var document = incident.document
            block["followups"] = .object(records.filter { stale[$0.key] == nil })
            document.fields["github"] = .object(block)
            incident = try workspace.store.save(incident, document: document)
        }
        let owed = all.filter { $0.queued || $0.pending }
        var recent: [GitHubIssue]?
        for followUp in owed {
            let id = incident.document.id
            let marker = FollowUp.marker(id, key: followUp.key)
            func record(_ issue: GitHubIssue, _ verb: String) throws {
                var document = incident.document
                FollowUps.record(followUp.key, FollowUps.filed(issue), in: &document)
                incident = try workspace.store.save(incident, document: document)
                sent.append("\(verb) follow-up \(repo)#\(issue.number) (\(followUp.title))")
            }
            if followUp.pending {
                if recent == nil { recent = try client.recentIssues(repo) }
                if let found = recent!.first(where: { $0.body.contains(marker) }) {
                    try record(found, "found")
                    continue
                }
            }
            var document = incident.document
            FollowUps.record(followUp.key, ["pending": .string(Time.format(workspace.env.now))], in: &document)
            incident = try workspace.store.save(incident, document: document)
            let fields = followUps.fields(followUp, document: incident.document, parent: "#\(parent)")
            var issue: GitHubIssue?
            for attempt in 1...3 where issue == nil {
                do {
                    issue = try client.createIssue(repo, fields: fields)
                } catch let unknown as UnknownOutcome {
                    workspace.env.diagnostics("\(unknown.message); looking for the follow-up before posting again…")
                    issue = try client.findIssue(repo, marker: marker)
                    if issue == nil && attempt == 3 {
                        throw IncidentError.network(
                            "could not confirm that follow-up \(followUp.key) was filed on \(repo) (\(unknown.message)); `incident sync \(id)` looks for it before posting again."
                        )
                    }
                    if issue == nil { workspace.env.sleep(Double(attempt)) }
                } catch {
                    // A definite refusal: nothing was created, so it is owed as before, not in flight.
                    var restored = incident.document
                    FollowUps.record(followUp.key, ["queued": .string(Time.format(workspace.env.now))], in: &restored)
                    if let saved = try? workspace.store.save(incident, document: restored) { incident = saved }
                    throw error
                }
            }
            try record(issue!, "filed")
        }
    }

    private func send(
        _ update: GitHubUpdate, with client: GitHubClient, repo: String, number: Int, incident: LoadedIncident,
        commented: () -> Void
    ) throws -> String {
        let document = incident.document
        let issue = "\(repo)#\(number)"
        switch update.kind {
        case .comment:
            let stage = update.stage ?? ""
            let section = document.sections[stage]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let verb = update.reason == "amended" ? "amended" : "completed"
            try client.comment(
                repo, number: number, body: "**\(document.id)** \(verb) stage `\(stage)`.\n\n" + section)
            return "commented the \(update.reason == "amended" ? "amended " : "")\(stage) section on \(issue)"
        case .close:
            if !update.commented {
                try client.comment(repo, number: number, body: closingComment(update, document: document))
                commented()
            }
            switch update.reason {
            case nil:
                _ = try client.closeIssue(repo, number: number, reason: "completed")
                return "closed \(issue) as completed, with a summary comment"
            case "duplicate":
                let taken = try client.closeIssue(repo, number: number, reason: "duplicate")
                return taken == "duplicate"
                    ? "closed \(issue) as a duplicate, with a comment"
                    : "closed \(issue) as not planned (the server does not take 'duplicate'), with a comment"
            default:
                _ = try client.closeIssue(repo, number: number, reason: "not_planned")
                return "closed \(issue) as not planned, with a comment"
            }
        case .reopen:
            if !update.commented {
                try client.comment(
                    repo, number: number,
                    body: "Reopened: **\(document.id)** is open again, at stage `\(document.stage)`.")
                commented()
            }
            _ = try client.updateIssue(repo, number: number, fields: ["state": "open", "state_reason": "reopened"])
            return "reopened \(issue), with a comment"
        case .update:
            let current = try client.getIssue(repo, number: number)
            let title = try FileIssueWorkflow(workspace: workspace).currentTitle(document, file: incident.relativePath)
            var changed: [String] = []
            if current.title != title {
                _ = try client.updateIssue(repo, number: number, fields: ["title": .string(title)])
                changed.append("title")
            }
            let labels = workspace.config.github.severityLabels
            let wanted = labels[document.severity]
            for stale in Set(labels.values).sorted() where stale != wanted && current.labels.contains(stale) {
                try client.removeLabel(repo, number: number, stale)
            }
            if let wanted, !current.labels.contains(wanted) {
                try client.ensureLabels(repo, [wanted])
                try client.addLabels(repo, number: number, [wanted])
                changed.append("label \(wanted)")
            }
            return changed.isEmpty
                ? "\(issue) already had this title and severity label"
                : "updated the \(changed.joined(separator: " and ")) of \(issue)"
        case .links:
            let current = try client.getIssue(repo, number: number)
            let followUps = FollowUps(workspace: workspace).all(document)
            let body = FollowUps.linking(followUps, into: current.body, marker: FileIssueWorkflow.marker(document.id))
            if body != current.body {
                _ = try client.updateIssue(repo, number: number, fields: ["body": .string(body)])
            }
            let count = followUps.filter { $0.number != nil }.count
            return "linked \(count) follow-up issue\(count == 1 ? "" : "s") from \(issue) as a task list"
        }
    }

    private func closingComment(_ update: GitHubUpdate, document: IncidentDocument) -> String {
        switch update.reason {
        case nil: return summary(document)
        case "duplicate":
            let original = update.duplicateOf ?? "another incident"
            if let reference = update.duplicateIssue {
                return "Duplicate of \(reference)\n\n**\(document.id)** duplicates \(original)."
            }
            return "Closed as a duplicate: **\(document.id)** duplicates \(original), which has no GitHub issue."
        case "false-alarm": return "Closed as not planned: **\(document.id)** was a false alarm."
        default: return "Closed as not planned: **\(document.id)** will not be fixed."
        }
    }

    private func summary(_ document: IncidentDocument) -> String {
        var lines = ["**\(document.id) is resolved.** \(document.title)", ""]
        for (name, record) in document.stages {
            if let when = record["completed"]?.string {
                lines.append("- [x] \(name), \(when)")
            } else if let when = record["skipped"]?.string {
                lines.append("- [ ] \(name) skipped, \(when): \(record["reason"]?.string ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
