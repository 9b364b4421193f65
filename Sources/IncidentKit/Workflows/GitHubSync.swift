import Foundation
import OrderedCollections

/// Keeps a filed issue in step with the incident: a comment per later stage, a summary and a close
/// when the last stage completes. What fails is recorded under `github.pending_sync` and retried
/// by `incident sync`; the local stage is never lost.
public struct GitHubSync: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// One update still owed to GitHub.
    struct Task {
        var stage: String
        var kind: String  // "comment" or "close"

        var value: Value { ["stage": .string(stage), "kind": .string(kind)] }
    }

    /// The updates a completed stage owes, per config.
    func tasks(for document: IncidentDocument, stage: String, action: StageAction?) -> [Task] {
        guard document.fields["github"]?["number"]?.int != nil, action != .githubIssue else { return [] }
        let github = workspace.config.raw["github"]
        var tasks: [Task] = []
        if github?["comment_on_advance"] != .bool(false) { tasks.append(Task(stage: stage, kind: "comment")) }
        if document.status == Status.resolved.rawValue && github?["close_on_verify"] != .bool(false) {
            tasks.append(Task(stage: stage, kind: "close"))
        }
        return tasks
    }

    /// Sends what a completed stage owes; on failure records the rest. Returns the incident as saved,
    /// what was sent, and a warning when something is left for `incident sync`.
    func afterStage(
        _ incident: LoadedIncident, stage: String, action: StageAction?
    ) -> (LoadedIncident, [String], String?) {
        let owed = tasks(for: incident.document, stage: stage, action: action)
        guard !owed.isEmpty else { return (incident, [], nil) }
        let previous = incident.document.fields["github"]?["pending_sync"]?.array ?? []
        let all = previous.compactMap(Self.task(from:)) + owed
        var sent: [String] = []
        let (saved, warning) = perform(all, on: incident, sent: { sent.append($0) })
        return (saved, sent, warning)
    }

    /// `incident sync`: retries what earlier runs could not send.
    public func retry(
        _ ref: String
    ) throws -> (incident: LoadedIncident, sent: Int, remaining: Int, error: IncidentError?) {
        let incident = try workspace.store.resolve(ref)
        let pending = (incident.document.fields["github"]?["pending_sync"]?.array ?? []).compactMap(Self.task(from:))
        guard !pending.isEmpty else { return (incident, 0, 0, nil) }
        var error: IncidentError?
        let (saved, warning) = perform(pending, on: incident, failed: { error = $0 })
        let remaining = saved.document.fields["github"]?["pending_sync"]?.array?.count ?? 0
        if warning != nil && error == nil { error = .network(warning!) }
        return (saved, pending.count - remaining, remaining, error)
    }

    static func task(from value: Value) -> Task? {
        guard let stage = value["stage"]?.string, let kind = value["kind"]?.string else { return nil }
        return Task(stage: stage, kind: kind)
    }

    private func perform(
        _ tasks: [Task], on incident: LoadedIncident, sent: (String) -> Void = { _ in },
        failed: (IncidentError) -> Void = { _ in }
    ) -> (LoadedIncident, String?) {
        let document = incident.document
        let github = document.fields["github"] ?? .null
        guard let repo = github["repo"]?.string, let number = github["number"]?.int else { return (incident, nil) }
        var done = 0
        var problem: String?
        do {
            let connection = try GitHubConnection.open(
                workspace, repo: repo, apiURL: GitHubConnection.apiURL(workspace, issueURL: github["url"]?.string))
            for task in tasks {
                switch task.kind {
                case "close":
                    try connection.client.comment(repo, number: number, body: summary(document))
                    _ = try connection.client.updateIssue(
                        repo, number: number, fields: ["state": "closed", "state_reason": "completed"])
                    sent("closed \(repo)#\(number) as completed, with a summary comment")
                default:
                    let section = document.sections[task.stage]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    let body = "**\(document.id)** completed stage `\(task.stage)`.\n\n" + section
                    try connection.client.comment(repo, number: number, body: body)
                    sent("commented the \(task.stage) section on \(repo)#\(number)")
                }
                done += 1
            }
        } catch let error as IncidentError {
            problem = error.description
            failed(error)
        } catch {
            problem = "\(error)"
            failed(.network("\(error)"))
        }
        let left = Array(tasks.dropFirst(done))
        var updated = document
        var block = github.object ?? [:]
        if left.isEmpty {
            if block["pending_sync"] == nil { return (incident, nil) }
            block.removeValue(forKey: "pending_sync")
        } else {
            block["pending_sync"] = .array(
                left.map { task in
                    var value = task.value
                    value["error"] = .string(problem ?? "")
                    value["at"] = .string(Time.format(workspace.env.now))
                    return value
                })
        }
        updated.fields["github"] = .object(block)
        let saved = (try? workspace.store.save(incident, document: updated)) ?? incident
        guard let problem, !left.isEmpty else { return (saved, nil) }
        return (
            saved,
            "the stage is saved, but \(left.count) update\(left.count == 1 ? "" : "s") to \(repo)#\(number) failed (\(problem)); `incident sync \(document.id)` retries."
        )
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
