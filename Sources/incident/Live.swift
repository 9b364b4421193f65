import ArgumentParser
import Foundation
import IncidentKit

#if canImport(Glibc)
    import Glibc
#endif

/// The real world: the live `Environment` and the terminal output of commands.
struct Live {
    let globals: GlobalOptions
    let github: GitHubOptions?
    var env: Environment
    /// Colour on stdout and on stderr, each only when that stream is a terminal.
    let color: Bool
    let colorErr: Bool

    /// `github` is nil for a command that never talks to GitHub (no request traces, no --cacert).
    init(_ globals: GlobalOptions, github: GitHubOptions? = nil) {
        self.globals = globals
        self.github = github
        let variables = ProcessInfo.processInfo.environment
        let interactive = isatty(0) == 1 && isatty(1) == 1
        // NO_COLOR and --no-color win; CLICOLOR_FORCE colours a pipe; otherwise each stream by itself.
        func colour(_ descriptor: Int32) -> Bool {
            if variables["NO_COLOR"].map({ !$0.isEmpty }) == true || globals.noColor { return false }
            if let force = variables["CLICOLOR_FORCE"], !force.isEmpty, force != "0" { return true }
            return isatty(descriptor) == 1 && variables["TERM"] != "dumb"
        }
        let color = colour(1)
        let colorErr = colour(2)
        self.color = color
        self.colorErr = colorErr
        let processes = LocalProcessRunner(variables: variables)
        let cwd = FileManager.default.currentDirectoryPath
        // The editor gets the environment built below (its variables, files and processes).
        let editorEnvironment = EnvironmentBox()
        let prompter: (any Prompter)? =
            interactive
            ? TerminalPrompter(color: colorErr) { initial in
                guard let env = editorEnvironment.value else { return nil }
                return try ExternalEditor(env: env, directory: cwd).edit(initial, name: "answer", suffix: "md").text
            } : nil
        env = Environment(
            fileSystem: LocalFileSystem(),
            clock: { Date() },
            random: { UInt64.random(in: 0...UInt64.max) },
            variables: variables,
            workingDirectory: cwd,
            processes: processes,
            prompter: prompter,
            diagnostics: { message in
                FileHandle.standardError.write(Data((Terminal.render(message, color: colorErr) + "\n").utf8))
            },
            stdinIsTerminal: isatty(0) == 1,
            readStandardInput: { FileHandle.standardInput.readDataToEndOfFile() },
            http: CurlHTTPClient(variables: variables, cacert: github?.cacert),
            sleep: { Thread.sleep(forTimeInterval: $0) }
        )
        editorEnvironment.value = env
        if isatty(2) == 1 {
            env.progress = { message in
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + Terminal.render(message, color: colorErr)).utf8))
            }
        }
        env.standardInputDescriptor = { 0 }
        if github?.verbose == true {
            env.trace = { line in
                FileHandle.standardError.write(Data(("[github] " + Terminal.sanitized(line) + "\n").utf8))
            }
        }
    }

    func workspace() throws -> Workspace { try Workspace.open(env, directory: globals.dir) }

    /// A result line for a person: data's control characters made visible, colour only on a terminal.
    func out(_ text: String, terminator: String = "\n") {
        print(Terminal.render(text, color: color), terminator: terminator)
    }

    func warn(_ text: String) { err(paint("warning:", 33) + " " + text) }

    func err(_ text: String) {
        FileHandle.standardError.write(Data((Terminal.render(text, color: colorErr) + "\n").utf8))
    }

    /// Marks text for a colour; `out` and `err` decide per stream whether it shows.
    func paint(_ text: String, _ code: Int) -> String { Terminal.styled(text, code) }

    /// The value as JSON and a newline, written after what `print` buffered (no String made of
    /// megabytes of `list --json`); a write error is reported by `finishOutput`.
    func json(_ value: Value) {
        var bytes = JSON.encodeBytes(value)
        bytes.append(0x0A)
        fflush(nil)
        let written = bytes.withUnsafeBytes { LocalFileSystem.writeAll(1, $0) }
        if !written {
            let failure = errno
            Self.keptLock.withLock { Self.outputError = Self.outputError ?? failure }
        }
    }

    /// A JSON document made in parts (`JSON.encodeArrayParts`) and a newline, written as `json` writes.
    func json(parts: [[UInt8]]) {
        write(parts + [[0x0A]])
    }

    /// Many lines for a human (a table of thousands of incidents), each as `out` writes it:
    /// rendered on all cores, written in order after what `print` buffered.
    func out(lines: [String]) {
        write(
            Parallel.parts(lines.count, minimumPerPart: 256) { range -> [UInt8] in
                var bytes: [UInt8] = []
                for index in range {
                    bytes += Terminal.render(lines[index], color: color).utf8
                    bytes.append(0x0A)
                }
                return bytes
            })
    }

    /// Bytes straight to standard output, after what `print` buffered; a write error is kept for
    /// `finishOutput`.
    private func write(_ parts: [[UInt8]]) {
        fflush(nil)
        for part in parts where !part.isEmpty {
            guard part.withUnsafeBytes({ LocalFileSystem.writeAll(1, $0) }) else {
                let failure = errno
                Self.keptLock.withLock { Self.outputError = Self.outputError ?? failure }
                return
            }
        }
    }

    /// The errno of a failed direct write to standard output, for `finishOutput`.
    nonisolated(unsafe) static var outputError: Int32?

    /// Keeps what a command built until the process exits, which frees it at once: `list` of
    /// 10,000 incidents spent a fifth of its instructions freeing parsed values one by one.
    func keepUntilExit(_ value: Any) { Self.keptLock.withLock { Self.kept.append(value) } }

    private nonisolated(unsafe) static var kept: [Any] = []
    static let keptLock = NSLock()

    /// Runs a command body, turning `IncidentError` into one plain message on stderr and its exit code.
    static func perform(
        _ globals: GlobalOptions, github: GitHubOptions? = nil, _ body: (Live) throws -> Void
    ) throws {
        let live = Live(globals, github: github)
        do {
            try body(live)
        } catch let error as IncidentError {
            let label: String
            switch error {
            case .cancelled: label = "cancelled:"
            case .gate: label = "not done:"
            default: label = "error:"
            }
            live.err(live.paint(label, 31) + " \(error)")
            throw ExitCode(error.exitCode)
        } catch let error as FileSystemError {
            live.err(live.paint("error:", 31) + " \(error).")
            throw ExitCode(1)
        }
    }
}

extension Severity: ExpressibleByArgument {}

/// Set once, before any prompt can open the editor.
private final class EnvironmentBox: @unchecked Sendable {
    var value: Environment?
}

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
