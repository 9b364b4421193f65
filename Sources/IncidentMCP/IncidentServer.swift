import Foundation
import IncidentKit
import MCP
import OrderedCollections
import SystemPackage

/// `incident mcp`: the Model Context Protocol over stdio, for coding agents. It only translates:
/// tool arguments become workflow requests, results and errors become tool results. The gates,
/// redaction and GitHub rules are the workflows' own, so nothing the CLI refuses happens here.
/// Every tool result, error, resource and prompt is redacted once more on the way out; the protocol channel
/// (fd 0 and 1) is never touched by a workflow: the environment given has no standard input and no
/// prompter, and diagnostics go to stderr.
public final class IncidentServer: Sendable {
    let environment: Environment
    let directory: String?
    let version: String
    /// Workflows run one at a time, off the concurrency pool (they block on files, git and HTTP).
    private let queue = DispatchQueue(label: "incident.mcp.workflows")
    private let client = Locked<String?>(nil)
    private let stopRequested = Locked(false)

    /// The tools' names, in the order a client lists them (for `incident mcp --help`).
    public static var toolNames: [String] { IncidentTools.all.map(\.name) }

    public init(environment: Environment, directory: String?, version: String) {
        self.environment = environment
        self.directory = directory
        self.version = version
    }

    /// Serves on the two descriptors until the client closes its end or `requestStop()`, then
    /// returns once every request received has its response written.
    public func serve(input: Int32 = 0, output: Int32 = 1) async throws {
        let transport = TrackingTransport(
            StdioTransport(input: FileDescriptor(rawValue: input), output: FileDescriptor(rawValue: output)))
        let server = Server(
            name: "incident", version: version, title: "incident",
            instructions: Self.instructions,
            capabilities: .init(
                prompts: .init(listChanged: false), resources: .init(subscribe: false, listChanged: false),
                tools: .init(listChanged: false)))
        await register(on: server)
        try await server.start(transport: transport) { [client] info, _ in
            client.set(info.name)
        }
        let finished = Locked(false)
        let loop = Task {
            await server.waitUntilCompleted()
            finished.set(true)
        }
        // Ends when input ends, or on request (SIGINT): in both cases after the last response is out.
        while !finished.get() && !stopRequested.get() {
            try? await Task.sleep(for: .milliseconds(20))
        }
        await transport.waitUntilAnswered()
        if !finished.get() { loop.cancel() }
        await server.stop()
    }

    /// Asks `serve` to return as soon as no request is waiting for its response (safe from any thread).
    public func requestStop() { stopRequested.set(true) }

    static let instructions = """
        Incidents are markdown files under incidents/ walked through stages (identify → five-whys → \
        test-plan → issue → fix → verify by default). Use stage_fields to learn what the current stage \
        asks, advance_incident with preview: true to see the section, then without preview to write it. \
        A gate failure names the fields still missing: answer them from evidence, or ask the user. \
        Call file_issue with dry_run: true first; a public repo needs allow_public: true, with the user's consent.
        """

    // MARK: - Handlers

    private func register(on server: Server) async {
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: IncidentTools.all.map(\.tool))
        }
        await server.withMethodHandler(CallTool.self) { [self] params in
            guard let spec = IncidentTools.all.first(where: { $0.name == params.name }) else {
                throw MCPError.invalidParams(
                    "'\(params.name)' is not a tool of this server; tools/list names them.")
            }
            return await call(spec, arguments: params.arguments)
        }
        await server.withMethodHandler(ListResources.self) { [self] _ in
            ListResources.Result(
                resources: try await perform {
                    let workspace = try self.workspace()
                    return try IncidentResources.list(workspace, redactor: try Self.redactor(workspace))
                })
        }
        await server.withMethodHandler(ReadResource.self) { [self] params in
            try await perform {
                let workspace = try self.workspace()
                let content = try IncidentResources.read(params.uri, workspace: workspace)
                return ReadResource.Result(contents: [
                    .text(try Self.redactor(workspace).scrub(content.text), uri: params.uri, mimeType: content.mimeType)
                ])
            }
        }
        await server.withMethodHandler(ListPrompts.self) { _ in
            ListPrompts.Result(prompts: [WorkIncidentPrompt.prompt])
        }
        await server.withMethodHandler(GetPrompt.self) { [self] params in
            guard params.name == WorkIncidentPrompt.prompt.name else {
                throw MCPError.invalidParams("'\(params.name)' is not a prompt of this server; prompts/list names it.")
            }
            return try await perform {
                let workspace = try self.workspace()
                let (description, text) = try WorkIncidentPrompt.render(
                    ref: params.arguments?["ref"] ?? "latest", workspace: workspace)
                return GetPrompt.Result(
                    description: description, messages: [.user(.text(text: try Self.redactor(workspace).scrub(text)))])
            }
        }
    }

    /// Runs one tool: bad arguments and every refusal of the workflow come back as a tool error
    /// (`isError`) the agent can read and act on; the protocol itself never fails for them.
    func call(_ spec: ToolSpec, arguments: [String: MCP.Value]?) async -> CallTool.Result {
        let author = "agent:" + Self.clientName(client.get())
        do {
            return try await perform {
                let workspace = try self.workspace()
                let redactor = try Self.redactor(workspace)
                let parsed = try Arguments(tool: spec.name, values: arguments, allowed: Array(spec.properties.keys))
                let value = redactor.scrub(try spec.run(parsed, ToolContext(workspace: workspace, author: author)))
                return CallTool.Result(
                    content: [.text(text: JSON.encode(value), annotations: nil, _meta: nil)],
                    structuredContent: MCP.Value(tree: value) as MCP.Value?, isError: false)
            }
        } catch {
            let (kind, message, extra) = Self.describe(error)
            var object: OrderedDictionary<String, Tree> = ["error": .string(kind), "message": .string(message)]
            for (key, value) in extra { object[key] = value }
            let scrubbed =
                ((try? self.workspace()).flatMap { try? Self.redactor($0) } ?? (try? Redactor()))
                .map { $0.scrub(Tree.object(object)) } ?? Tree.object(object)
            let text = "\(kind == "gate" ? "not done" : "error"): " + (scrubbed["message"]?.string ?? message)
            return CallTool.Result(
                content: [.text(text: text, annotations: nil, _meta: nil)],
                structuredContent: MCP.Value(tree: scrubbed) as MCP.Value?,
                isError: true)
        }
    }

    /// The error's kind (as the CLI's exit codes name them), its sentence, and any detail worth a field.
    static func describe(_ error: any Error) -> (String, String, OrderedDictionary<String, Tree>) {
        switch error {
        case ToolError.arguments(let message):
            return ("usage", message, ["exit_code": 64])
        case let error as IncidentError:
            let kind: String
            var extra: OrderedDictionary<String, Tree> = ["exit_code": .int(Int(error.exitCode))]
            switch error {
            case .failure: kind = "failure"
            case .cancelled: kind = "refused"
            case .gate(let stage, let missing):
                kind = "gate"
                extra["stage"] = .string(stage)
                extra["missing"] = .strings(missing)
            case .auth: kind = "auth"
            case .network: kind = "network"
            case .usage: kind = "usage"
            }
            return (kind, "\(error)", extra)
        case let error as FileSystemError:
            return ("failure", "\(error).", ["exit_code": 1])
        default:
            return ("failure", "\(error)", ["exit_code": 1])
        }
    }

    func workspace() throws -> Workspace { try Workspace.open(environment, directory: directory) }

    static func redactor(_ workspace: Workspace) throws -> Redactor { try Redactor(config: workspace.config) }

    /// The client's name as recorded in a file: printable, short, never empty.
    static func clientName(_ name: String?) -> String {
        let printable = String((name ?? "").unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64))
            .trimmingCharacters(in: .whitespaces)
        return printable.isEmpty ? "unknown" : printable
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

extension Redactor {
    /// Redacts every string in a value: what goes out to an agent is redacted like what comes in.
    func scrub(_ value: Tree) -> Tree {
        var counts = OrderedDictionary<String, Int>()
        return redact(value, counts: &counts)
    }

    func scrub(_ text: String) -> String {
        var counts = OrderedDictionary<String, Int>()
        return redact(text, counts: &counts)
    }
}

/// A value behind a lock, for state the handlers share.
final class Locked<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ newValue: T) { lock.withLock { value = newValue } }
}
