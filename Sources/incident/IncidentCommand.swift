import ArgumentParser
import Foundation
import IncidentKit

@main
struct Incident: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Take a production incident from a raw log excerpt to a verified fix, in your git repo.",
        discussion: """
            Each incident is a markdown file under incidents/ that walks the pipeline identify → five-whys → test-plan \
            → issue → fix → verify → resolved.

              Start:     kubectl logs api-7f9 | incident new --from-log - --env staging
              Work:      incident advance latest
              File:      incident issue latest     (GitHub, over libcurl; safe to re-run)
              Follow up: incident followups --open · incident sync   (pending updates)
              Look:      incident list · incident show latest · incident analyze app.log

            Exit codes: 0 done, 1 failure, 2 cancelled, 3 stage gate not met, 4 GitHub auth, 5 network, 64 usage.
            """,
        version: "0.1.0",
        subcommands: [
            InitCommand.self, NewCommand.self, AdvanceCommand.self, AmendCommand.self, ShowCommand.self, ListCommand.self,
            SetCommand.self, TemplatesCommand.self, IssueCommand.self, SyncCommand.self, AnalyzeCommand.self,
            CloseCommand.self,
            ReopenCommand.self, DoctorCommand.self, StatsCommand.self, SignaturesCommand.self,
            FollowUpsCommand.self,
            ReviewCommand.self, ExportCommand.self, MCPCommand.self,
        ]
    )

    static func main() {
        Cancellation.install()
        // One malloc arena: an analysis's worker threads would each allocate in an arena of their
        // own (eight per core by default), and memory one thread freed stays mapped in another's
        // (a piped 1 GB log peaked at 95-115 MiB with two arenas, 85-89 MiB with one). `list`
        // and `stats` allow more (ProcessTuning.expectManyAllocations).
        ProcessTuning.limitMallocArenas(1)
        if let message = unknownCommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data((Terminal.sanitized(message) + "\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
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

extension Incident {
    /// The names `incident NAME` takes: the subcommands, and help.
    static var commandNames: [String] { configuration.subcommands.map { $0._commandName } }

    /// A first argument (or `help X`) that names no command, with the nearest one suggested; nil
    /// when the arguments name a command (argument-parser reports everything else).
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let asked: String
        if first == "help" {
            guard arguments.count > 1, !arguments[1].hasPrefix("-") else { return nil }
            asked = arguments[1]
        } else {
            asked = first
        }
        guard !commandNames.contains(asked) else { return nil }
        let nearest = commandNames.map { ($0, editDistance($0, asked.lowercased())) }.min { $0.1 < $1.1 }
        let hint =
            nearest.flatMap { name, distance in
                distance <= max(2, asked.count / 3) || name.hasPrefix(asked.lowercased()) ? name : nil
            }.map { "did you mean '\($0)'? " } ?? ""
        return "error: '\(asked)' is not an incident command; \(hint)`incident --help` lists them."
    }

    /// Levenshtein distance, for the suggestion.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Use this repo root instead of searching upward.", valueName: "path"))
    var dir: String?

    @Flag(name: .long, help: "No colour, even on a terminal (NO_COLOR does the same).")
    var noColor = false
}

/// Options of the commands that talk to GitHub (issue, sync, close, reopen, set, advance, amend,
/// followups, mcp); the others have no use for them and do not offer them.
struct GitHubOptions: ParsableArguments {
    @Flag(name: .long, help: "Trace GitHub requests on stderr (the token is masked).")
    var verbose = false

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
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        Interrupts.prepare()
        signal(SIGINT) { _ in Interrupts.interrupt() }
        // A closed terminal (SIGHUP) is a cancel too: the same cleanup (a check's processes, the
        // editor's temp file) and the same care for a write in progress.
        signal(SIGHUP) { _ in Interrupts.interrupt() }
    }
}
