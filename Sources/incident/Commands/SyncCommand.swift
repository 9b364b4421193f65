import ArgumentParser
import IncidentKit

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the GitHub updates still pending: stage comments, closes, reopens, title and label changes.",
        discussion: """
            Without a ref, every incident with pending updates. An update is recorded in the incident before it is \
            sent, so one that failed (or was cut short) is sent here.

            Examples:
              incident sync
              incident sync latest --json
            """)

    @Argument(
        help: "The incident (default: every incident with pending updates).", completion: .custom(Completions.incidents))
    var ref: String?
    @Flag(help: "Print [{id, path, sent, remaining, error, note}] as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let sync = GitHubSync(workspace: try live.workspace())
            let outcomes = try ref.map { [try sync.retry($0)] } ?? sync.retryAll { live.warn("skipped one file: \($0)") }
            if json {
                live.json(.array(outcomes.map { $0.toValue() }))
            } else if outcomes.isEmpty {
                live.out("No pending GitHub updates.")
            }
            for outcome in outcomes where !json {
                let id = outcome.incident.document.id
                if let note = outcome.note {
                    live.out("\(id): \(note)")
                } else if outcome.sent.isEmpty && outcome.remaining.isEmpty {
                    live.out("\(id) has no pending GitHub updates.")
                } else {
                    let count = outcome.sent.count
                    live.out("Sent \(count) update\(count == 1 ? "" : "s") for \(id); \(outcome.remaining.count) left.")
                    for sent in outcome.sent { live.out("  GitHub: \(sent)") }
                }
            }
            let failures = outcomes.compactMap(\.error)
            guard let first = failures.first else { return }
            if failures.count > 1 || outcomes.count > 1 {
                for outcome in outcomes where outcome.error != nil {
                    live.err(live.paint("error:", 31) + " \(outcome.incident.document.id): \(outcome.error!)")
                }
                throw ExitCode(first.exitCode)
            }
            throw first
        }
    }
}
