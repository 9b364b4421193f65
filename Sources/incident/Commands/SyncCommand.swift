import ArgumentParser
import IncidentKit

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the GitHub updates still pending: stage comments, closes, reopens, title and label changes.",
        discussion: """
            An update is recorded in the incident before it is sent, so one that failed (or was cut
            short) is sent here.

            Example: incident sync latest
            """)

    @Argument(help: "The incident.") var ref: String
    @Flag(help: "Print {id, path, sent, remaining, error, note} as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
            let outcome = try GitHubSync(workspace: try live.workspace()).retry(ref)
            let id = outcome.incident.document.id
            if json {
                live.json(outcome.toValue())
            } else if outcome.sent.isEmpty && outcome.remaining.isEmpty {
                live.out("\(id) has no pending GitHub updates.")
            } else {
                let count = outcome.sent.count
                live.out("Sent \(count) update\(count == 1 ? "" : "s") for \(id); \(outcome.remaining.count) left.")
                for sent in outcome.sent { live.out("  GitHub: \(sent)") }
            }
            if let error = outcome.error { throw error }
        }
    }
}
