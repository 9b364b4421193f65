import CPTY
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `incident` binary as a user would.
public enum CLI {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The binary next to the test bundle (`swift build` puts both in one folder), or $INCIDENT_BIN.
    public static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["INCIDENT_BIN"] { return path }
        var candidates: [String] = []
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(folder.appendingPathComponent("incident").path)
            folder = folder.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/incident").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    /// `Hermetic.variables`, uncoloured, with `extra` on top.
    public static func environment(_ extra: [String: String]) -> [String: String] {
        var env = Hermetic.variables
        env["NO_COLOR"] = "1"
        for (key, value) in extra { env[key] = value }
        return env
    }

    @discardableResult
    public static func run(
        _ arguments: [String], in directory: String, stdin: String? = nil, env: [String: String] = [:]
    )
        throws -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment(env)
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// The binary on a real pseudo-terminal (its controlling terminal), driven like a person at a keyboard.
public final class PTYSession: @unchecked Sendable {
    public let process = Process()
    let master: Int32
    /// The terminal's own side, kept to read its modes (see `waitForKeyByKeyInput`).
    let slave: Int32
    public private(set) var transcript = ""

    /// Runs `program` (the incident binary unless given) with `arguments` on a new terminal.
    public init(
        _ arguments: [String], in directory: String, env: [String: String] = [:], program: String = CLI.binary
    ) throws {
        var pair: (Int32, Int32) = (-1, -1)
        guard cpty_open(&pair.0, &pair.1) == 0 else { throw POSIXError(.ENOTTY) }
        master = pair.0
        let slave = pair.1
        self.slave = dup(slave)
        var size = winsize(ws_row: 40, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(slave, UInt(TIOCSWINSZ), &size)
        // setsid -c makes the pty the child's controlling terminal, so ^C raises SIGINT as on a real one;
        // -w passes the child's exit status through.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["-w", "-c", program] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = CLI.environment(env)
        environment["TERM"] = "xterm"
        process.environment = environment
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
    }

    private var hungUp = false

    deinit {
        if process.isRunning { process.terminate() }
        if !hungUp { close(master) }
        close(slave)
    }

    /// Closes the terminal as a closed window does: the program gets SIGHUP.
    public func hangUp() {
        guard !hungUp else { return }
        hungUp = true
        close(master)
    }

    /// Waits for the process to end (after a hang-up, with nothing to read).
    public func waitWithoutReading(timeout: TimeInterval = 90) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else { throw PTYError.timeout(expected: "exit", transcript: transcript) }
            usleep(20_000)
        }
        return process.terminationStatus
    }

    /// Reads until `text` has appeared (after what earlier calls consumed); fails after `timeout`,
    /// which is generous so that a loaded machine slows a test down rather than failing it.
    @discardableResult
    public func expect(_ text: String, timeout: TimeInterval = 90) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !transcript.contains(text) {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw PTYError.timeout(expected: text, transcript: transcript)
            }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(min(remaining, 0.2) * 1000)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                if count <= 0 { throw PTYError.closed(expected: text, transcript: transcript) }
                transcript += String(decoding: buffer[0..<count], as: UTF8.self)
            }
        }
        let range = transcript.range(of: text)!
        let consumed = String(transcript[..<range.upperBound])
        transcript = String(transcript[range.upperBound...])
        return consumed
    }

    /// Types a line and presses Enter.
    public func sendLine(_ text: String) { send(text + "\r") }

    /// Types `text`. Keys such as Ctrl-U, Ctrl-W, Ctrl-D or an escape sequence wait until the
    /// program reads key by key (a line editor's or vi's raw mode): typed a moment earlier, while
    /// the terminal is still in line mode, the kernel would act on them instead.
    public func send(_ text: String) {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\r" && $0 != "\u{03}" }) {
            try? waitForKeyByKeyInput()
        }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits (reading output meanwhile) until the terminal is out of line mode (ICANON off).
    public func waitForKeyByKeyInput(timeout: TimeInterval = 90) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var modes = termios()
        while !(tcgetattr(slave, &modes) == 0 && modes.c_lflag & UInt32(ICANON) == 0) {
            guard Date() < deadline, process.isRunning else {
                throw PTYError.timeout(expected: "key-by-key input", transcript: transcript)
            }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 5) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                if count > 0 { transcript += String(decoding: buffer[0..<count], as: UTF8.self) }
            }
        }
    }

    /// Waits for the process and returns its exit status, draining output meanwhile.
    public func wait(timeout: TimeInterval = 90) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else { throw PTYError.timeout(expected: "exit", transcript: transcript) }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 100) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(master, &buffer, buffer.count)
                if count > 0 { transcript += String(decoding: buffer[0..<count], as: UTF8.self) }
            }
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

public enum PTYError: Error, CustomStringConvertible {
    case timeout(expected: String, transcript: String)
    case closed(expected: String, transcript: String)

    public var description: String {
        switch self {
        case .timeout(let expected, let transcript):
            return "timed out waiting for \(expected.debugDescription); screen:\n\(transcript)"
        case .closed(let expected, let transcript):
            return "terminal closed before \(expected.debugDescription); screen:\n\(transcript)"
        }
    }
}
