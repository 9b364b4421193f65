import CProcess
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs real child processes: `Process` for git, process groups of their own for checks and the editor.
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

    /// A check: `/bin/sh -c` in a process group of its own, so its timeout and Ctrl-C end the
    /// command and everything it started, not only the shell.
    public func shell(_ command: String, in directory: String, timeout: TimeInterval?) throws -> ProcessResult {
        try shell(command, in: directory, timeout: timeout, live: nil)
    }

    public func shell(
        _ command: String, in directory: String, timeout: TimeInterval?, live: (@Sendable (Data) -> Void)?
    ) throws -> ProcessResult {
        var pipeEnds: [Int32] = [-1, -1]
        guard cprocess_pipe(&pipeEnds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let started = Date()
        let pid = withCStrings(["/bin/sh", "-c", command]) { argv in
            withCStrings(variables.map { "\($0.key)=\($0.value)" }) { envp in
                cprocess_spawn_group("/bin/sh", argv, envp, directory, pipeEnds[1])
            }
        }
        close(pipeEnds[1])
        guard pid > 0 else {
            close(pipeEnds[0])
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EAGAIN)
        }
        Interrupts.running(group: pid)
        defer { Interrupts.running(group: 0) }
        // Read on another thread so a chatty child never blocks on a full pipe.
        let collected = Collected()
        let readerDone = DispatchSemaphore(value: 0)
        let reader = pipeEnds[0]
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(reader, &buffer, buffer.count)
                if count > 0 {
                    collected.append(buffer[0..<count])
                    live?(Data(buffer[0..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(reader)
            readerDone.signal()
        }.start()
        var status: Int32 = 0
        var timedOut = false
        let limit = timeout.map { Int32(min($0 * 1000, Double(Int32.max))) } ?? -1
        if cprocess_wait(pid, limit, &status) == 0 {
            timedOut = true
            // The whole group: the shell and every child it started. TERM first, then KILL.
            kill(-pid, SIGTERM)
            if cprocess_wait(pid, 3000, &status) == 0 { kill(-pid, SIGKILL) }
            _ = cprocess_wait(pid, -1, &status)
            kill(-pid, SIGKILL)
        }
        // A grandchild that left the group may hold the pipe open; don't wait on it for ever.
        _ = readerDone.wait(timeout: .now() + 5)
        return ProcessResult(
            status: status, output: String(decoding: collected.data, as: UTF8.self), timedOut: timedOut,
            duration: Date().timeIntervalSince(started))
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

    /// The editor: in the terminal's foreground process group, with the terminal handed back after.
    public func interactive(_ command: String, arguments: [String], in directory: String) throws -> Int32 {
        let status = withCStrings([command] + arguments) { argv in
            withCStrings(variables.map { "\($0.key)=\($0.value)" }) { envp in
                cprocess_foreground(command, argv, envp, directory)
            }
        }
        guard status >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return status
    }
}

/// Output gathered by a reader thread.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()

    func append(_ chunk: ArraySlice<UInt8>) { lock.withLock { bytes.append(contentsOf: chunk) } }
    var data: Data { lock.withLock { bytes } }
}

/// A NULL-terminated C array of strings for the duration of `body`.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
