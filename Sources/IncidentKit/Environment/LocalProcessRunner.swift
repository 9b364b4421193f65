import Foundation

/// Runs real child processes with Foundation's `Process`.
public struct LocalProcessRunner: ProcessRunner {
    let variables: [String: String]

    public init(variables: [String: String]) { self.variables = variables }

    public func run(
        _ arguments: [String], in directory: String, timeout: TimeInterval?, input: Data?, extra: [String: String],
        stdoutOnly: Bool
    ) throws -> ProcessResult {
        try capture(
            "/usr/bin/env", arguments, in: directory, timeout: timeout, input: input, extra: extra,
            stdoutOnly: stdoutOnly)
    }

    public func shell(_ command: String, in directory: String, timeout: TimeInterval?) throws -> ProcessResult {
        try capture(
            "/bin/sh", ["-c", command], in: directory, timeout: timeout, input: nil, extra: [:], stdoutOnly: false)
    }

    private func capture(
        _ executable: String, _ arguments: [String], in directory: String, timeout: TimeInterval?, input: Data?,
        extra: [String: String], stdoutOnly: Bool
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = variables.merging(extra) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = stdoutOnly ? FileHandle.nullDevice : pipe
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        let started = Date()
        try process.run()
        if let input, let inputPipe {
            inputPipe.fileHandleForWriting.write(input)
            try? inputPipe.fileHandleForWriting.close()
        }
        // Read on another thread so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var output = Data()
        let done = DispatchSemaphore(value: 0)
        let readerDone = DispatchSemaphore(value: 0)
        let thread = Thread {
            output = pipe.fileHandleForReading.readDataToEndOfFile()
            readerDone.signal()
        }
        thread.start()
        DispatchQueue.global().async {
            process.waitUntilExit()
            done.signal()
        }
        var timedOut = false
        if let timeout, done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if done.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                done.wait()
            }
        } else if timeout == nil {
            done.wait()
        }
        // A grandchild may hold the pipe open; don't wait on it forever.
        _ = readerDone.wait(timeout: .now() + 5)
        return ProcessResult(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), timedOut: timedOut,
            duration: Date().timeIntervalSince(started))
    }

    public func interactive(_ command: String, arguments: [String], in directory: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = variables
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
