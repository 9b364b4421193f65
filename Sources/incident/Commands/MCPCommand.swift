import ArgumentParser
import Foundation
import IncidentKit
import IncidentMCP

#if canImport(Glibc)
    import Glibc
#endif

struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol on stdin/stdout, for coding agents.",
        discussion: """
            Register it with an MCP client as a stdio server (command: incident, args: ["mcp"]). Tools: \
            \(IncidentServer.toolNames.joined(separator: ", ")). The gates, redaction and GitHub rules are the CLI's; \
            what an agent writes is recorded as by: agent:<client name>. Logs go to stderr only. Ctrl-C (SIGINT) lets \
            the request in flight finish, then exits 2.

            Examples:
              incident mcp
              incident mcp --dir ~/src/api
            """)

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func run() throws {
        let live = Live(globals, github: github)
        var env = live.env
        // fd 0 and fd 1 are the protocol channel: no prompts, no reading stdin, nothing but diagnostics
        // (to stderr, uncoloured) outside the protocol.
        env.prompter = nil
        env.progress = nil
        env.stdinIsTerminal = false
        env.readStandardInput = {
            throw IncidentError.usage("standard input is the MCP channel here; give the answers or the log as values.")
        }
        env.standardInputDescriptor = {
            throw IncidentError.usage("standard input is the MCP channel here; give the log as text or a path.")
        }
        env.diagnostics = { message in FileHandle.standardError.write(Data((Terminal.sanitized(message) + "\n").utf8)) }
        let server = IncidentServer(
            environment: env, directory: globals.dir, version: Incident.configuration.version)

        // SIGINT must not cut a response short: it asks the server to stop once nothing is owed.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let interrupted = Flag()
        interrupt.setEventHandler {
            interrupted.raise()
            server.requestStop()
        }
        interrupt.resume()

        let done = DispatchSemaphore(value: 0)
        let failure = Box()
        Task {
            do {
                try await server.serve()
            } catch {
                failure.message = "\(error)"
            }
            done.signal()
        }
        done.wait()
        interrupt.cancel()
        if let message = failure.message {
            FileHandle.standardError.write(Data("error: the MCP server stopped: \(Terminal.sanitized(message))\n".utf8))
            throw ExitCode(1)
        }
        if interrupted.isRaised { throw ExitCode(2) }
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func raise() { lock.withLock { raised = true } }
    var isRaised: Bool { lock.withLock { raised } }
}

private final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var message: String? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
