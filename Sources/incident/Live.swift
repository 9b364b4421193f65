import ArgumentParser
import Foundation
import IncidentKit

#if canImport(Glibc)
    import Glibc
#endif

/// The real world: the live `Environment` and the terminal output of commands.
struct Live {
    let globals: GlobalOptions
    var env: Environment
    let color: Bool

    init(_ globals: GlobalOptions) {
        self.globals = globals
        let variables = ProcessInfo.processInfo.environment
        let interactive = isatty(0) == 1 && isatty(1) == 1
        let color = isatty(2) == 1 && variables["NO_COLOR"] == nil && !globals.noColor && variables["TERM"] != "dumb"
        self.color = color
        let processes = LocalProcessRunner(variables: variables)
        let cwd = FileManager.default.currentDirectoryPath
        let prompter: (any Prompter)? =
            interactive
            ? TerminalPrompter(color: color) { initial in
                let editor = variables["VISUAL"] ?? variables["EDITOR"] ?? "vi"
                let path = (variables["TMPDIR"] ?? "/tmp") + "/incident-answer-\(getpid()).md"
                try Data(initial.utf8).write(to: URL(fileURLWithPath: path))
                defer { unlink(path) }
                let status = try processes.interactive(
                    "/bin/sh", arguments: ["-c", editor + " \"$1\"", "sh", path], in: cwd)
                guard status == 0 else { return nil }
                return try String(contentsOfFile: path, encoding: .utf8)
            } : nil
        env = Environment(
            fileSystem: LocalFileSystem(),
            clock: { Date() },
            random: { UInt64.random(in: 0...UInt64.max) },
            variables: variables,
            workingDirectory: cwd,
            processes: processes,
            prompter: prompter,
            diagnostics: { message in FileHandle.standardError.write(Data((message + "\n").utf8)) },
            stdinIsTerminal: isatty(0) == 1,
            readStandardInput: { FileHandle.standardInput.readDataToEndOfFile() },
            http: CurlHTTPClient(variables: variables, cacert: globals.cacert),
            sleep: { Thread.sleep(forTimeInterval: $0) }
        )
        if isatty(2) == 1 {
            env.progress = { message in
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + message).utf8))
            }
        }
        if globals.verbose {
            env.trace = { line in FileHandle.standardError.write(Data(("[github] " + line + "\n").utf8)) }
        }
    }

    func workspace() throws -> Workspace { try Workspace.open(env, directory: globals.dir) }

    func out(_ text: String) { print(text) }

    func warn(_ text: String) { FileHandle.standardError.write(Data((paint("warning:", 33) + " " + text + "\n").utf8)) }

    func paint(_ text: String, _ code: Int) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func json(_ value: Value) { print(JSON.encode(value)) }

    /// Runs a command body, turning `IncidentError` into one plain message on stderr and its exit code.
    static func perform(_ globals: GlobalOptions, _ body: (Live) throws -> Void) throws {
        let live = Live(globals)
        do {
            try body(live)
        } catch let error as IncidentError {
            let label: String
            switch error {
            case .cancelled: label = "cancelled:"
            case .gate: label = "not done:"
            default: label = "error:"
            }
            FileHandle.standardError.write(Data((live.paint(label, 31) + " \(error)\n").utf8))
            throw ExitCode(error.exitCode)
        } catch let error as FileSystemError {
            FileHandle.standardError.write(Data((live.paint("error:", 31) + " \(error).\n").utf8))
            throw ExitCode(1)
        }
    }
}

extension Severity: ExpressibleByArgument {}

/// Reads `--since`: a date (2025-09-09), a time (RFC 3339) or an age such as 7d, 12h, 30m.
func parseSince(_ text: String, now: Date) throws -> Date {
    if let date = Time.parse(text) { return date }
    let units: [Character: TimeInterval] = ["m": 60, "h": 3600, "d": 86400, "w": 604_800]
    if let unit = text.last, let seconds = units[unit], let count = Double(text.dropLast()), count >= 0 {
        return now.addingTimeInterval(-count * seconds)
    }
    throw ValidationError(
        "--since '\(text)' is not a date (2025-09-09), a time (2025-09-09T02:00:00Z) or an age (7d, 12h, 30m).")
}
