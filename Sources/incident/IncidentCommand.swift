import ArgumentParser
import Foundation
import IncidentKit

@main
struct Incident: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Take a production incident from a raw log excerpt to a verified fix, in your git repo.",
        discussion: """
            Each incident is a markdown file under incidents/ that walks the pipeline
            identify → five-whys → test-plan → issue → fix → verify → resolved.

            Start:     kubectl logs api-7f9 | incident new --from-log - --env staging
            Work:      incident advance latest
            File:      incident issue latest       (GitHub, over libcurl; safe to re-run)
            Follow up: incident followups --open · incident sync   (follow-up issues, pending updates)
            Look:      incident list · incident show latest · incident analyze app.log

            Exit codes: 0 done, 1 failure, 2 cancelled, 3 stage gate not met,
            4 GitHub auth, 5 network, 64 usage.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, NewCommand.self, AdvanceCommand.self, ShowCommand.self, ListCommand.self,
            SetCommand.self, TemplatesCommand.self, IssueCommand.self, SyncCommand.self, AnalyzeCommand.self,
            CloseCommand.self,
            ReopenCommand.self, DoctorCommand.self, StatsCommand.self, SignaturesCommand.self,
            FollowUpsCommand.self,
            ReviewCommand.self, ExportCommand.self, MCPCommand.self,
        ]
    )

    static func main() {
        Cancellation.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // argument-parser's messages echo what was typed; they reach the terminal sanitised too.
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                let text = Terminal.sanitized(message) + "\n"
                if code == .success { print(text, terminator: "") } else { FileHandle.standardError.write(Data(text.utf8)) }
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Use this repo root instead of searching upward.", valueName: "path"))
    var dir: String?

    @Flag(name: .long, help: "Trace GitHub requests on stderr (the token is masked).")
    var verbose = false

    @Flag(name: .long, help: "No colour, even on a terminal (NO_COLOR does the same).")
    var noColor = false

    @Option(name: .long, help: ArgumentHelp("CA bundle for HTTPS to GitHub.", valueName: "file"))
    var cacert: String?
}

/// Maps SIGINT to exit 2; the message says whether anything was written (see `Interrupts`).
enum Cancellation {
    static func install() {
        // A parent may hand us SIGINT blocked (signal masks survive exec); Ctrl-C must still work.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        Interrupts.prepare()
        signal(SIGINT) { _ in Interrupts.interrupt() }
    }
}
