import Foundation
import IncidentKit
import IncidentTestSupport
import MCP
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// `incident mcp` as a child process, driven by the SDK's `Client` over the SDK's stdio transport
/// on a pair of pipes, as an agent's host would run it.
final class MCPSession: @unchecked Sendable {
    let process = Process()
    let client: Client
    let initialized: Initialize.Result
    private let toServer = Pipe()
    private let fromServer = Pipe()
    private let errors = Pipe()
    private let stderrDone = DispatchSemaphore(value: 0)
    private let stderrBox = DataBox()
    private var stderrData: Data { stderrBox.data }

    /// `arguments` are the server's (after the binary), as an MCP client's configuration gives them.
    init(
        in directory: String, arguments: [String] = ["mcp"], env: [String: String] = [:],
        clientName: String = "test-agent"
    ) async throws {
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = CLI.environment(env)
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = errors
        try process.run()
        let errors = errors
        let done = stderrDone
        let box = stderrBox
        Thread {
            box.data = errors.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        client = Client(name: clientName, version: "1.0.0")
        initialized = try await client.connect(transport: transport)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// One tool call: its text, its structured content as IncidentKit's value, and whether it is an error.
    struct Reply {
        var text: String
        var json: IncidentKit.Value
        var isError: Bool
    }

    func call(
        _ name: String, _ arguments: [String: MCP.Value] = [:], timeout: Duration = .seconds(20)
    ) async throws
        -> Reply
    {
        let context: RequestContext<CallTool.Result> = try await client.callTool(name: name, arguments: arguments)
        // A server that died never answers, and the client would wait forever: a deadline makes it a failure.
        let result: CallTool.Result = try await withCheckedThrowingContinuation { continuation in
            let once = Once()
            Task {
                do {
                    let result = try await context.value
                    once.run { continuation.resume(returning: result) }
                } catch {
                    once.run { continuation.resume(throwing: error) }
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                once.run { continuation.resume(throwing: SessionError.noAnswer(tool: name)) }
            }
        }
        let text = result.content.compactMap { item -> String? in
            if case .text(let text, _, _) = item { return text }
            return nil
        }.joined()
        var json = IncidentKit.Value.null
        if let structured = result.structuredContent {
            json = try YAML.parse(String(decoding: try JSONEncoder().encode(structured), as: UTF8.self))
        }
        return Reply(text: text, json: json, isError: result.isError ?? false)
    }

    /// Closes the client's end (the server's stdin) and waits for the server to exit; its status and stderr.
    func finish(timeout: TimeInterval = 20) async throws -> (status: Int32, stderr: String) {
        await client.disconnect()
        try toServer.fileHandleForWriting.close()
        return try wait(timeout: timeout)
    }

    func wait(timeout: TimeInterval = 20) throws -> (status: Int32, stderr: String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                process.terminate()
                throw SessionError.timeout(stderr: String(decoding: stderrData, as: UTF8.self))
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        _ = stderrDone.wait(timeout: .now() + 5)
        return (process.terminationStatus, String(decoding: stderrData, as: UTF8.self))
    }

    enum SessionError: Error {
        case timeout(stderr: String)
        case noAnswer(tool: String)
    }
}

final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    var data: Data {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Runs its body the first time only.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func run(_ body: () -> Void) {
        let first = lock.withLock {
            defer { done = true }
            return !done
        }
        if first { body() }
    }
}
