import ArgumentParser
import IncidentKit

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up this repo: .incident.yml, incidents/ and templates/ (safe to run twice).",
        discussion: "Existing files are kept as they are; run it again after an upgrade to get new default templates.")

    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
            let result = try InitWorkflow(env: live.env).run(directory: globals.dir)
            for path in result.created { live.out("created  \(path)") }
            for path in result.kept { live.out("kept     \(path)") }
            live.out("\nNext: incident new --from-log FILE   (or: kubectl logs POD | incident new --from-log -)")
        }
    }
}
