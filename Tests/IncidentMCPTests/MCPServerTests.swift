import FakeGitHub
import Foundation
import IncidentKit
import IncidentTestSupport
import MCP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let token = "ghp_Q8mZ3vR7tL2xK9wB4nY6cD1fH5jP0sA8eU3i"

let incidentLog = """
    2025-09-09 02:25:04.512 | INFO     | app.smd:startup:1 - Starting up with token \(token)
    2025-09-09 02:25:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.51s
    2025-09-09 02:26:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.49s

    """

/// A repo after `incident init`.
func initializedRepo(config: String? = nil) throws -> TestRepo {
    let repo = try TestRepo()
    let result = try CLI.run(["init"], in: repo.root)
    #expect(result.status == 0, "\(result.stderr)")
    if let config { try repo.write(".incident.yml", config) }
    return repo
}

/// Five-whys answers its gate accepts.
let fiveWhys: [String: MCP.Value] = [
    "whys": ["the readiness probe failed", "redis refused connections", "redis was restarted by a deploy"],
    "root_cause": "the deploy restarts redis without draining clients",
]

@Suite(.timeLimit(.minutes(2))) struct MCPServerTests {
    @Test func initializeListsTheToolsWithStrictSchemasAndThePromptAndResources() async throws {
        let repo = try initializedRepo()
        let session = try await MCPSession(in: repo.root)
        #expect(session.initialized.serverInfo.name == "incident")
        #expect(session.initialized.capabilities.tools != nil && session.initialized.capabilities.resources != nil)
        let (tools, _) = try await session.client.listTools()
        #expect(
            tools.map(\.name) == [
                "analyze_log", "new_incident", "list_incidents", "show_incident", "stage_fields", "advance_incident",
                "amend_stage", "file_issue", "close_incident", "doctor",
            ])
        for tool in tools {
            #expect(tool.inputSchema.objectValue?["type"] == "object", "\(tool.name)")
            #expect(tool.inputSchema.objectValue?["additionalProperties"] == false, "\(tool.name)")
        }
        let advance = try #require(tools.first { $0.name == "advance_incident" }?.inputSchema.objectValue)
        #expect(advance["required"] == ["ref"])
        #expect(advance["properties"]?.objectValue?["preview"]?.objectValue?["type"] == "boolean")
        #expect(tools.first { $0.name == "analyze_log" }?.annotations.readOnlyHint == true)
        let (prompts, _) = try await session.client.listPrompts()
        #expect(prompts.map(\.name) == ["work_incident"])
        let (resources, _) = try await session.client.listResources()
        #expect(resources.map(\.uri).contains("incident://templates/five-whys"))
        let ended = try await session.finish()
        #expect(ended.status == 0, "\(ended.stderr)")
    }

    @Test func logToIncidentRedactsAndRecordsTheAgent() async throws {
        let repo = try initializedRepo()
        let session = try await MCPSession(in: repo.root, clientName: "claude-code")
        let analysis = try await session.call("analyze_log", ["text": .string(incidentLog)])
        #expect(!analysis.isError, "\(analysis.text)")
        #expect(analysis.json["primary"]?["severity"] == "critical", "\(analysis.text.prefix(400))")
        #expect(!analysis.text.contains(token) && analysis.text.contains("[REDACTED:github-token]"))
        #expect(try repo.incidentFiles().isEmpty)

        let created = try await session.call(
            "new_incident", ["log_text": .string(incidentLog), "environment": "staging"])
        #expect(!created.isError, "\(created.text)")
        let id = try #require(created.json["id"]?.string)
        #expect(created.json["stage"] == "five-whys" && created.json["severity"] == "critical")
        let file = try #require(try repo.incidentFiles().first)
        let text = try repo.read(file)
        #expect(!text.contains(token))
        let identify = try IncidentDocument.parse(text, name: file).stages["identify"]
        #expect(identify?["by"] == "agent:claude-code")

        let listed = try await session.call("list_incidents", ["status": "open"])
        #expect(listed.json["incidents"]?.array?.compactMap { $0["id"]?.string } == [id])
        let shown = try await session.call("show_incident", ["ref": "latest"])
        #expect(shown.json["id"]?.string == id && shown.json["sections"]?["identify"] != nil)

        let (resources, _) = try await session.client.listResources()
        let uri = "incident://incidents/" + (file as NSString).lastPathComponent
        #expect(resources.contains { $0.uri == uri && $0.name == id })
        let contents = try await session.client.readResource(uri: uri)
        #expect(contents.first?.text == text)
        let ended = try await session.finish()
        #expect(ended.status == 0, "\(ended.stderr)")
    }

    @Test func advanceWithAnswersPreviewsThenWritesThroughTheGate() async throws {
        let repo = try initializedRepo()
        try repo.write("app.log", incidentLog)
        let session = try await MCPSession(in: repo.root)
        let created = try await session.call("new_incident", ["log_path": "app.log"])
        let id = try #require(created.json["id"]?.string)
        let file = try #require(try repo.incidentFiles().first)

        let fields = try await session.call("stage_fields", ["ref": .string(id)])
        #expect(fields.json["stage"] == "five-whys")
        let schema = try #require(fields.json["schema"])
        #expect(schema["required"] == ["whys", "root_cause"])
        #expect(schema["properties"]?["whys"]?["minItems"] == 3 && schema["properties"]?["whys"]?["maxItems"] == 7)
        #expect(schema["properties"]?["actions"]?["items"]?["required"] == ["action"])
        #expect(schema["properties"]?["actions"]?["items"]?["properties"]?["blocking"]?["enum"] == ["false", "true"])

        // The gate: too few whys and no root cause is a tool error naming both; nothing is written.
        let before = try repo.bytes(file)
        let refused = try await session.call(
            "advance_incident", ["ref": .string(id), "answers": ["whys": ["only one"]]])
        #expect(refused.isError)
        #expect(refused.json["error"] == "gate" && refused.json["stage"] == "five-whys")
        #expect(
            refused.json["missing"]
                == ["whys (Why?): at least 3 entries, have 1", "root_cause (Root cause): required"])
        #expect(refused.text.hasPrefix("not done: stage five-whys is not complete"))
        #expect(try repo.bytes(file) == before)

        // Preview renders and checks without writing; an answer's secret is redacted in it too.
        var answers = fiveWhys
        answers["contributing_factors"] = ["the deploy log showed password=hunter2hunter2"]
        let preview = try await session.call(
            "advance_incident", ["ref": .string(id), "answers": .object(answers), "preview": true])
        #expect(!preview.isError, "\(preview.text)")
        #expect(preview.json["preview"] == true && preview.json["stage_now"] == "test-plan")
        let section = try #require(preview.json["section"]?.string)
        #expect(section.contains("redis was restarted by a deploy") && !section.contains("hunter2hunter2"))
        #expect(try repo.bytes(file) == before)

        let written = try await session.call("advance_incident", ["ref": .string(id), "answers": .object(answers)])
        #expect(!written.isError, "\(written.text)")
        #expect(written.json["preview"] == false && written.json["stage_now"] == "test-plan")
        let text = try repo.read(file)
        #expect(!text.contains("hunter2hunter2") && text.contains("the deploy restarts redis without draining clients"))
        let record = try IncidentDocument.parse(text, name: file).stages["five-whys"]
        #expect(record?["by"] == "agent:test-agent")
        #expect(record?["answers"]?["whys"]?.array?.count == 3)

        // amend_stage changes one answer of the completed stage, in place, on the record as the agent's.
        let amended = try await session.call(
            "amend_stage",
            ["ref": .string(id), "stage": "five-whys", "answers": ["root_cause": "deploys restart redis without a drain step"]])
        #expect(!amended.isError, "\(amended.text)")
        #expect(amended.json["changed"] == ["root_cause"])
        let after = try repo.read(file)
        #expect(after.contains("deploys restart redis without a drain step"))
        #expect(after.components(separatedBy: "<!-- incident:stage five-whys").count == 2)
        let amendedRecord = try IncidentDocument.parse(after, name: file).stages["five-whys"]
        #expect(amendedRecord?["amended_by"] == "agent:test-agent")
        let gate = try await session.call(
            "amend_stage", ["ref": .string(id), "stage": "five-whys", "answers": ["root_cause": ""]])
        #expect(gate.isError, "a required answer cannot be emptied: \(gate.text)")
        #expect(try repo.read(file) == after)
        #expect(try await session.finish().status == 0)
    }

    @Test func filesTheIssueOnTheLoopbackGitHubAfterADryRun() async throws {
        let fake = try FakeGitHub(repos: ["acme/netra": .init(isPrivate: true, hasIssues: true)])
        let repo = try initializedRepo(config: "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\n")
        try repo.write("app.log", incidentLog)
        let env = ["GH_TOKEN": fake.token]
        let session = try await MCPSession(in: repo.root, env: env, clientName: "codex")
        let id = try #require(try await session.call("new_incident", ["log_path": "app.log"]).json["id"]?.string)
        #expect(
            !(try await session.call("advance_incident", ["ref": .string(id), "answers": .object(fiveWhys)]).isError))
        let plan = try await session.call(
            "advance_incident",
            [
                "ref": .string(id),
                "answers": ["tests": [["name": "redis restart keeps readiness", "kind": "integration"]]],
            ])
        #expect(!plan.isError && plan.json["stage_now"] == "issue", "\(plan.text)")

        let dryRun = try await session.call("file_issue", ["ref": .string(id), "dry_run": true])
        #expect(!dryRun.isError, "\(dryRun.text)")
        // The issue, then its follow-up (the test plan's test), each exactly as it would be sent.
        let planned = try #require(dryRun.json["dry_run"]?.array)
        #expect(planned.count == 2)
        #expect(planned.map { $0["method"] } == ["POST", "POST"])
        #expect(planned[0]["url"]?.string == "\(fake.baseURL)/repos/acme/netra/issues")
        #expect(planned[0]["headers"]?["Authorization"] == "Bearer ****")
        #expect(planned[0]["body"]?["body"]?.string?.contains("<!-- incident-id: \(id) -->") == true)
        #expect(!dryRun.text.contains(fake.token) && !dryRun.text.contains(token))
        #expect(fake.requests.isEmpty)

        let filed = try await session.call("file_issue", ["ref": .string(id)])
        #expect(!filed.isError, "\(filed.text)")
        #expect(filed.json["number"] == 1 && filed.json["created"] == true)
        #expect(filed.json["completed_stage"] == "issue" && filed.json["stage_now"] == "fix")
        let issues = fake.issues("acme/netra")
        #expect(issues.count == 2 && issues[0].body.contains("<!-- incident-id: \(id) -->"))
        #expect(!issues[0].body.contains(token))
        let file = try #require(try repo.incidentFiles().first)
        let document = try IncidentDocument.parse(try repo.read(file), name: file)
        #expect(document.stages["issue"]?["by"] == "agent:codex")
        #expect(document.fields["github"]?["number"] == 1)
        #expect(fake.verify() == [])
        #expect(try await session.finish().status == 0)
    }

    @Test func aPublicRepoNeedsAllowPublic() async throws {
        let fake = try FakeGitHub(repos: ["acme/netra": .init(isPrivate: false, hasIssues: true)])
        let repo = try initializedRepo(config: "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\n")
        let session = try await MCPSession(in: repo.root, env: ["GH_TOKEN": fake.token])
        let id = try #require(
            try await session.call("new_incident", ["title": "checkout is slow"]).json["id"]?.string)
        let refused = try await session.call("file_issue", ["ref": .string(id)])
        #expect(refused.isError && refused.json["error"] == "refused")
        #expect(
            refused.text.contains("acme/netra is public; nothing was sent")
                && refused.text.contains("allow_public: true"))
        #expect(fake.issues("acme/netra").isEmpty)
        let allowed = try await session.call("file_issue", ["ref": .string(id), "allow_public": true])
        #expect(!allowed.isError, "\(allowed.text)")
        #expect(fake.issues("acme/netra").count == 1)
        #expect(fake.verify() == [])
        #expect(try await session.finish().status == 0)
    }

    @Test func errorPathsAreToolErrorsNamingTheProblem() async throws {
        let repo = try initializedRepo()
        let session = try await MCPSession(in: repo.root)
        let id = try #require(
            try await session.call("new_incident", ["title": "queue backlog"]).json["id"]?.string)

        let unknown = try await session.call("show_incident", ["ref": "inc-zzzzzz"])
        #expect(unknown.isError && unknown.json["error"] == "failure" && unknown.text.contains("inc-zzzzzz"))

        let extra = try await session.call("show_incident", ["ref": .string(id), "verbose": true])
        #expect(extra.isError && extra.json["error"] == "usage")
        #expect(extra.text == "error: 'verbose' is not an argument of show_incident; its arguments are ref.")

        let missingRef = try await session.call("advance_incident", [:])
        #expect(missingRef.isError && missingRef.text == "error: advance_incident needs 'ref'.")

        let wrongType = try await session.call("advance_incident", ["ref": .string(id), "answers": "whys: a"])
        #expect(wrongType.isError && wrongType.text.contains("'answers' must be an object keyed by field id"))

        let badField = try await session.call(
            "advance_incident", ["ref": .string(id), "answers": ["root_cuase": "typo"]])
        #expect(badField.isError && badField.json["error"] == "usage")
        #expect(badField.text.contains("'root_cuase' is not a field of stage five-whys"))

        // '-' is a file name here: standard input is the protocol channel and is never read as a log.
        let dash = try await session.call("analyze_log", ["path": "-"])
        #expect(dash.isError && dash.text == "error: log file '-' does not exist; check the path.")

        let both = try await session.call("analyze_log", ["text": "x", "path": "app.log"])
        #expect(both.isError && both.text.contains("not both"))

        let badReason = try await session.call("close_incident", ["ref": .string(id), "reason": "bored"])
        #expect(badReason.isError && badReason.text.contains("'bored' is not one of false-alarm, duplicate, wont-fix"))

        // '@path' in an answer is text from an agent, never a file read into the incident.
        try repo.write("secret.txt", "do not read me")
        let literal = try await session.call(
            "advance_incident",
            [
                "ref": .string(id), "answers": .object(fiveWhys.merging(["root_cause": "@secret.txt"]) { $1 }),
                "preview": true,
            ])
        #expect(!literal.isError, "\(literal.text)")
        #expect(literal.json["section"]?.string?.contains("@secret.txt") == true)
        #expect(literal.json["section"]?.string?.contains("do not read me") == false)

        await #expect(throws: MCPError.self) { _ = try await session.call("no_such_tool") }
        await #expect(throws: MCPError.self) {
            _ = try await session.client.readResource(uri: "incident://incidents/../.incident.yml")
        }

        let closed = try await session.call("close_incident", ["ref": .string(id), "reason": "false-alarm"])
        #expect(!closed.isError && closed.json["status"] == "closed", "\(closed.text)")
        let ended = try await session.finish()
        #expect(ended.status == 0, "\(ended.stderr)")
    }

    @Test func noTokenAndNoGitHubAreToolErrorsWithTheCLIsKinds() async throws {
        let refused = RefusedPort()
        let repo = try initializedRepo(
            config: "github:\n  repo: acme/netra\n  api_url: http://127.0.0.1:\(refused.port)\n")
        // No token anywhere (the test environment has none): the auth error says where it looked.
        let session = try await MCPSession(in: repo.root)
        let id = try #require(try await session.call("new_incident", ["title": "no token"]).json["id"]?.string)
        let auth = try await session.call("file_issue", ["ref": .string(id)])
        #expect(auth.isError && auth.json["error"] == "auth" && auth.json["exit_code"] == 4)
        #expect(auth.text.hasPrefix("error: no GitHub token for 127.0.0.1: looked in GH_TOKEN, GITHUB_TOKEN"))
        #expect(try await session.finish().status == 0)
        // A token, but nothing listening: a network error, and the incident keeps no pending mark.
        let online = try await MCPSession(in: repo.root, env: ["GH_TOKEN": "t"])
        let network = try await online.call("file_issue", ["ref": .string(id)])
        #expect(network.isError && network.json["error"] == "network" && network.json["exit_code"] == 5)
        let shown = try await online.call("show_incident", ["ref": .string(id)])
        #expect(shown.json["github"] == nil)
        #expect(try await online.finish().status == 0)
    }

    @Test func whatAnAgentReadsIsRedactedEvenWhereAPersonWroteASecret() async throws {
        let repo = try initializedRepo()
        let created = try CLI.run(["new", "--title", "cache stampede", "--json"], in: repo.root)
        let id = try #require(try YAML.parse(created.stdout)["id"]?.string)
        let file = try #require(try repo.incidentFiles().first)
        let edited = try repo.read(file).replacingOccurrences(
            of: "title: cache stampede", with: "title: cache stampede \(token)")
        try repo.write(file, edited + "\nPasted by hand: deploy with \(token)\n")
        let session = try await MCPSession(in: repo.root)
        let (resources, _) = try await session.client.listResources()
        let listed = try #require(resources.first { $0.name == id })
        #expect(listed.title == "cache stampede [REDACTED:github-token]")
        let shown = try await session.call("show_incident", ["ref": .string(id)])
        #expect(!shown.isError && !shown.text.contains(token) && shown.text.contains("[REDACTED:github-token]"))
        let contents = try await session.client.readResource(
            uri: "incident://incidents/" + (file as NSString).lastPathComponent)
        let text = try #require(contents.first?.text)
        #expect(!text.contains(token) && text.contains("Pasted by hand: deploy with [REDACTED:github-token]"))
        #expect(try repo.read(file).contains(token))
        #expect(try await session.finish().status == 0)
    }

    /// The README's registration snippet, run as written: its command (the built binary standing in
    /// for `incident` on PATH) and its arguments, from the repo's root as a client starts it.
    @Test func theReadmeSnippetStartsAServerThatAnswers() async throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let heading = try #require(text.range(of: "## Coding agents (MCP)"))
        let start = try #require(text.range(of: "```json\n", range: heading.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let config = try YAML.parse(String(text[start.upperBound..<end.lowerBound]))
        let server = try #require(config["mcpServers"]?["incident"])
        #expect(server["command"] == "incident")
        let arguments = (server["args"]?.array ?? []).compactMap { $0.string }
        #expect(arguments.first == "mcp")
        let repo = try initializedRepo()
        let session = try await MCPSession(in: repo.root, arguments: arguments)
        #expect(session.initialized.serverInfo.name == "incident")
        #expect(try await session.call("doctor").json["problems"] == [])
        #expect(try await session.finish().status == 0)
    }

    /// Without the SDK in between: every line on stdout is a JSON-RPC message, warnings go to stderr,
    /// and the server answers what it was sent before it exits at the end of its input.
    @Test func stdoutCarriesOnlyTheProtocolAndWarningsGoToStderr() throws {
        let repo = try initializedRepo()
        let binary = String(repeating: "\u{01}\u{02}\u{03}\u{04}\u{05}\u{06}", count: 20)
        let log =
            incidentLog + binary + "\n2025-09-09 02:27:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed\n"
        let call: IncidentKit.Value = [
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": ["name": "analyze_log", "arguments": ["text": .string(log)]],
        ]
        let lines = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            JSON.encode(call, pretty: false),
            #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
        ]
        let result = try CLI.run(["mcp"], in: repo.root, stdin: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let replies = try result.stdout.split(separator: "\n").map { try YAML.parse(String($0)) }
        #expect(replies.map { $0["jsonrpc"] } == ["2.0", "2.0", "2.0"])
        #expect(Set(replies.compactMap { $0["id"]?.int }) == [1, 2, 3])
        #expect(result.stderr.contains("warning: the log text has binary data amid the log; skipped 1 line of it."))
        #expect(!result.stderr.contains(token))
    }

    @Test func aSkipIsOnTheRecordWithTheAgentAndARedactedReason() async throws {
        let repo = try initializedRepo()
        let session = try await MCPSession(in: repo.root, clientName: "cursor")
        let id = try #require(try await session.call("new_incident", ["title": "flaky probe"]).json["id"]?.string)
        let both = try await session.call(
            "advance_incident", ["ref": .string(id), "skip_reason": "n/a", "answers": .object(fiveWhys)])
        #expect(both.isError && both.text.contains("skip_reason takes no answers"))
        let skipped = try await session.call(
            "advance_incident", ["ref": .string(id), "skip_reason": .string("known cause; see \(token)")])
        #expect(!skipped.isError && skipped.json["skipped"] == true && skipped.json["stage_now"] == "test-plan")
        let file = try #require(try repo.incidentFiles().first)
        let text = try repo.read(file)
        let record = try IncidentDocument.parse(text, name: file).stages["five-whys"]
        #expect(record?["by"] == "agent:cursor" && record?["reason"] == "known cause; see [REDACTED:github-token]")
        #expect(!text.contains(token))
        #expect(try await session.finish().status == 0)
    }

    @Test func thePromptWalksTheRemainingStages() async throws {
        let repo = try initializedRepo()
        let session = try await MCPSession(in: repo.root)
        let id = try #require(try await session.call("new_incident", ["title": "disk full"]).json["id"]?.string)
        let (_, messages) = try await session.client.getPrompt(name: "work_incident", arguments: ["ref": id])
        guard case .text(let text) = try #require(messages.first).content else {
            Issue.record("the prompt's message is not text")
            return
        }
        #expect(text.contains("Work incident \(id), \"disk full\""))
        #expect(text.contains("(five-whys, test-plan, issue, fix, verify)"))
        #expect(text.contains("allow_public: true, which only the user can give"))
        #expect(try await session.finish().status == 0)
    }

    @Test func sigintLetsTheCallInFlightAnswerThenExits2() async throws {
        let fake = try FakeGitHub(repos: ["acme/netra": .init(isPrivate: true, hasIssues: true)])
        let repo = try initializedRepo(config: "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\n")
        let session = try await MCPSession(in: repo.root, env: ["GH_TOKEN": fake.token])
        let checked = try await session.call("doctor")
        #expect(checked.json["problems"] == [], "\(checked.text)")
        let id = try #require(try await session.call("new_incident", ["title": "slow"]).json["id"]?.string)
        // GitHub answers the repo lookup late: Ctrl-C arrives while the tool is running.
        fake.inject(.delay(seconds: 1.5), on: "GET /repos/acme/netra")
        let call = Task { try await session.call("file_issue", ["ref": .string(id)]) }
        try await Task.sleep(for: .milliseconds(500))
        kill(session.process.processIdentifier, SIGINT)
        let filed = try await call.value
        #expect(!filed.isError && filed.json["number"] == 1, "\(filed.text)")
        let ended = try session.wait()
        #expect(ended.status == 2, "\(ended.stderr)")
        #expect(fake.issues("acme/netra").count == 1)
    }
}
