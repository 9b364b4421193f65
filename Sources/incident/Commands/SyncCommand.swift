import ArgumentParser
import IncidentKit

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Retry GitHub updates (stage comments, the closing) that failed earlier.",
        discussion: "Example: incident sync latest")

    @Argument(help: "The incident.") var ref: String
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
            let result = try GitHubSync(workspace: try live.workspace()).retry(ref)
            let id = result.incident.document.id
            if result.sent == 0 && result.remaining == 0 {
                live.out("\(id) has no pending GitHub updates.")
                return
            }
            live.out("Sent \(result.sent) update\(result.sent == 1 ? "" : "s") for \(id); \(result.remaining) left.")
            if let error = result.error, result.remaining > 0 { throw error }
        }
    }
}
