import FakeGitHub
import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// The test environment itself: hermetic, and a fake GitHub that is strict without being asked.
@Suite struct TestSupportTests {
    func get(_ fake: FakeGitHub, _ path: String, headers: [(String, String)]) throws -> Int {
        try LoopbackOnlyHTTPClient().send(HTTPRequest(method: "GET", url: fake.baseURL + path, headers: headers)).status
    }

    let githubHeaders = [
        ("User-Agent", "test"), ("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"),
    ]

    @Test func aRuleViolationFailsTheTestWithoutAVerifyCall() throws {
        try withKnownIssue {
            let fake = try FakeGitHub()
            // No Accept header of GitHub's (libcurl sends */*): GitHub would answer, but the client must send it.
            _ = try get(
                fake, "/repos/acme/netra",
                headers: [
                    ("User-Agent", "test"), ("X-GitHub-Api-Version", "2022-11-28"),
                    ("Authorization", "Bearer \(fake.token)"),
                ])
            // The fake saw it (and stays alive until here: its checks run when it goes away).
            #expect(fake.requests == ["GET /repos/acme/netra"])
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("GET /repos/acme/netra: Accept was */*") }
        }
    }

    @Test func anExpectedRequestThatNeverCameFailsTheTest() throws {
        try withKnownIssue {
            let fake = try FakeGitHub()
            fake.expect(["GET /repos/acme/netra"])
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("expected requests [\"GET /repos/acme/netra\"], got []") }
        }
    }

    @Test func aTestThatKeepsTheRulesIsNotFailed() throws {
        let fake = try FakeGitHub()
        fake.expect(["GET /repos/acme/netra"])
        #expect(
            try get(fake, "/repos/acme/netra", headers: githubHeaders + [("Authorization", "Bearer \(fake.token)")])
                == 200)
        #expect(fake.requests == ["GET /repos/acme/netra"] && fake.verify() == [])
    }

    @Test func theEnvironmentHasNoRealHomeTokensOrCredentialHelpers() throws {
        let variables = Hermetic.variables
        #expect(variables["HOME"] == Hermetic.home && variables["HOME"] != NSHomeDirectory())
        #expect(!variables.keys.contains { $0.contains("TOKEN") || $0 == "SSH_AUTH_SOCK" || $0.hasPrefix("DBUS") })
        #expect(CLI.environment([:]) == variables.merging(["NO_COLOR": "1"]) { $1 })
        let repo = try TestRepo()
        let helpers = try LocalProcessRunner(variables: variables).run(
            ["git", "config", "--get-all", "credential.helper"], in: repo.root, timeout: 10)
        #expect(helpers.status == 1 && helpers.output.isEmpty)
        // Every place a token is looked for (variables, `gh auth token`, gh's hosts.yml, `git credential
        // fill`) comes up empty, whatever the developer's machine holds.
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        #expect(throws: IncidentError.self) {
            try GitHubDiscovery(workspace: workspace).token(apiURL: "https://api.github.com")
        }
    }

    @Test func httpNeverLeavesTheMachine() throws {
        let repo = try TestRepo(git: false)
        #expect(throws: LoopbackOnlyHTTPClient.OffMachine.self) {
            try repo.environment().http.send(HTTPRequest(method: "GET", url: "https://api.github.com/zen"))
        }
        // A child process's libcurl is sent through a proxy that refuses, loopback excepted.
        let proxied = CurlHTTPClient(variables: Hermetic.variables, cacert: nil)
        #expect(throws: HTTPTransportError.self) {
            try proxied.send(HTTPRequest(method: "GET", url: "http://example.com/"))
        }
    }
}
