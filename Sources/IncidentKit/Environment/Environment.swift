import Foundation

/// What the outside world is for a workflow: files, time, randomness, variables, processes and the
/// terminal. Commands build the live one; tests build one from fakes.
public struct Environment: Sendable {
    public var fileSystem: any FileSystem
    public var clock: @Sendable () -> Date
    public var random: @Sendable () -> UInt64
    public var variables: [String: String]
    public var workingDirectory: String
    public var processes: any ProcessRunner
    /// Set only when stdin and stdout are both terminals; workflows never prompt without it.
    public var prompter: (any Prompter)?
    /// Where progress and warnings go (stderr in the live environment).
    public var diagnostics: @Sendable (String) -> Void
    /// Whether stdin is a terminal (so `--from-log -` can refuse to wait on it).
    public var stdinIsTerminal: Bool
    /// Reads all of standard input.
    public var readStandardInput: @Sendable () throws -> Data
    /// HTTP (libcurl in the live environment).
    public var http: any HTTPClient
    /// Waits (rate limits, backoff); tests pass one that records instead of sleeping.
    public var sleep: @Sendable (TimeInterval) -> Void
    /// Progress on long work, shown only when stderr is a terminal (nil otherwise).
    public var progress: (@Sendable (String) -> Void)? = nil
    /// Standard input as a descriptor for streaming. The CLI's is fd 0; by default there is none,
    /// so a front end whose fd 0 is something else (the MCP protocol channel) never reads it.
    public var standardInputDescriptor: @Sendable () throws -> Int32 = {
        throw IncidentError.usage("standard input is not available here; give a file or the log text.")
    }
    /// `--verbose`: where request traces go (nil when off).
    public var trace: (@Sendable (String) -> Void)? = nil

    public init(
        fileSystem: any FileSystem,
        clock: @escaping @Sendable () -> Date,
        random: @escaping @Sendable () -> UInt64,
        variables: [String: String],
        workingDirectory: String,
        processes: any ProcessRunner,
        prompter: (any Prompter)?,
        diagnostics: @escaping @Sendable (String) -> Void,
        stdinIsTerminal: Bool,
        readStandardInput: @escaping @Sendable () throws -> Data,
        http: any HTTPClient,
        sleep: @escaping @Sendable (TimeInterval) -> Void
    ) {
        self.fileSystem = fileSystem
        self.clock = clock
        self.random = random
        self.variables = variables
        self.workingDirectory = workingDirectory
        self.processes = processes
        self.prompter = prompter
        self.diagnostics = diagnostics
        self.stdinIsTerminal = stdinIsTerminal
        self.readStandardInput = readStandardInput
        self.http = http
        self.sleep = sleep
    }

    public var now: Date { clock() }
    public var isInteractive: Bool { prompter != nil }
}

/// Asks the user for answers on a terminal. Every method throws `IncidentError.cancelled` on
/// Ctrl-C or end of input.
public protocol Prompter: Sendable {
    /// One line; `nil` default means none. Returns the line without its newline.
    func line(_ question: String, help: String?, defaultValue: String?) throws -> String
    /// Several lines, ended by a line holding a single "."; ":e" as the first line opens $EDITOR.
    func text(_ question: String, help: String?) throws -> String
    /// One of `options`, by number or label.
    func choose(_ question: String, options: [String], defaultIndex: Int?) throws -> Int
    /// As `choose(_:options:defaultIndex:)`; when `optional`, an empty answer with no default is nil.
    func choose(_ question: String, options: [String], defaultIndex: Int?, optional: Bool) throws -> Int?
    /// Any of `options`, as a set of indices.
    func chooseMany(_ question: String, options: [String]) throws -> [Int]
    /// Yes or no.
    func confirm(_ question: String, defaultYes: Bool) throws -> Bool
    /// Shows text to the user (a preview).
    func show(_ text: String)
    /// One line with `initial` already typed for the user to edit (amend).
    func line(_ question: String, help: String?, defaultValue: String?, initial: String) throws -> String
    /// Several lines, where `initial` is the text so far: an empty first line keeps it.
    func text(_ question: String, help: String?, initial: String) throws -> String
    /// As `text(_:help:initial:)`, telling `partial` the text so far after each line entered, so
    /// that a cancel before the answer ends loses none of them.
    func text(_ question: String, help: String?, initial: String, partial: (String) -> Void) throws -> String
    /// Any of `options`, with `ticked` ticked already: an empty answer keeps them.
    func chooseMany(_ question: String, options: [String], ticked: [Int]) throws -> [Int]
}

extension Prompter {
    public func line(_ question: String, help: String?, defaultValue: String?, initial: String) throws -> String {
        let answer = try line(question, help: help, defaultValue: initial.isEmpty ? defaultValue : initial)
        return answer
    }

    public func text(_ question: String, help: String?, initial: String) throws -> String {
        let answer = try text(question, help: help)
        return answer.isEmpty ? initial : answer
    }

    public func text(_ question: String, help: String?, initial: String, partial: (String) -> Void) throws -> String {
        try text(question, help: help, initial: initial)
    }

    public func choose(_ question: String, options: [String], defaultIndex: Int?, optional: Bool) throws -> Int? {
        try choose(question, options: options, defaultIndex: defaultIndex)
    }

    public func chooseMany(_ question: String, options: [String], ticked: [Int]) throws -> [Int] {
        let answer = try chooseMany(question, options: options)
        return answer.isEmpty ? ticked : answer
    }
}

/// The result of a child process.
public struct ProcessResult: Sendable, Equatable {
    public var status: Int32
    public var output: String
    public var timedOut: Bool
    public var duration: TimeInterval

    public init(status: Int32, output: String, timedOut: Bool = false, duration: TimeInterval = 0) {
        self.status = status
        self.output = output
        self.timedOut = timedOut
        self.duration = duration
    }
}

extension ProcessRunner {
    /// `shell`, and each piece of output handed to `live` as it arrives (a runner that cannot
    /// stream hands it nothing).
    public func shell(
        _ command: String, in directory: String, timeout: TimeInterval?, live: (@Sendable (Data) -> Void)?
    ) throws -> ProcessResult {
        try shell(command, in: directory, timeout: timeout)
    }

    /// Runs `arguments[0]` found on PATH, capturing stdout and stderr together.
    public func run(_ arguments: [String], in directory: String, timeout: TimeInterval?) throws -> ProcessResult {
        try run(arguments, in: directory, timeout: timeout, input: nil, extra: [:], stdoutOnly: false)
    }
}

/// Runs child processes (git, checks, the editor).
public protocol ProcessRunner: Sendable {
    /// Runs `arguments[0]` found on PATH with `input` on stdin and `extra` added to the environment;
    /// stdout only (stderr is discarded) when `stdoutOnly`, else both together.
    func run(
        _ arguments: [String], in directory: String, timeout: TimeInterval?, input: Data?, extra: [String: String],
        stdoutOnly: Bool
    ) throws -> ProcessResult
    /// Runs a shell command line with `/bin/sh -c`, capturing stdout and stderr together.
    func shell(_ command: String, in directory: String, timeout: TimeInterval?) throws -> ProcessResult
    /// `shell` with its output also handed to `live` piece by piece as it arrives.
    func shell(
        _ command: String, in directory: String, timeout: TimeInterval?, live: (@Sendable (Data) -> Void)?
    ) throws -> ProcessResult
    /// Runs a program attached to the user's terminal (an editor) and returns its exit status.
    func interactive(_ command: String, arguments: [String], in directory: String) throws -> Int32
}
