import FakeGitHub
import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

@Suite struct IssueCommandTests {
    func setUp(isPrivate: Bool = true) throws -> (TestRepo, FakeGitHub, String, [String: String]) {
        let (repo, id) = try startedRepo()
        let fake = try FakeGitHub(repos: ["acme/netra": .init(isPrivate: isPrivate, hasIssues: true)])
        try repo.write(".incident.yml", "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\n")
        let env = ["GH_TOKEN": fake.token, "GH_CONFIG_DIR": repo.path("no-gh"), "HOME": repo.root]
        return (repo, fake, id, env)
    }

    @Test func filesOnceThenReportsTheSameIssue() throws {
        let (repo, fake, id, env) = try setUp()
        let first = try CLI.run(["issue", id, "--json"], in: repo.root, env: env)
        #expect(first.status == 0, "\(first.stderr)")
        let json = try YAML.parse(first.stdout)
        #expect(json["number"] == 1 && json["url"] == "https://github.com/acme/netra/issues/1")
        #expect(json["created"] == true && json["sync_warning"] == .null)
        let second = try CLI.run(["issue", id, "--json"], in: repo.root, env: env)
        #expect(try YAML.parse(second.stdout)["created"] == false)
        #expect(fake.issues("acme/netra").count == 1)
        let shown = try YAML.parse(try CLI.run(["show", id, "--json"], in: repo.root).stdout)
        #expect(shown["github"]?["number"] == 1)
        // The timeline records the filing once, though the command ran twice.
        let filed = (shown["timeline"]?.array ?? []).compactMap { $0["event"]?.string }.filter {
            $0.hasPrefix("GitHub issue")
        }
        #expect(filed == ["GitHub issue acme/netra#1 filed"])
    }

    @Test func noTokenIsExit4WithWhereItLooked() throws {
        let (repo, fake, id, _) = try setUp()
        let env = [
            "GH_TOKEN": "", "GITHUB_TOKEN": "", "GH_CONFIG_DIR": repo.path("no-gh"), "HOME": repo.root,
            "PATH": "/usr/bin:/bin",
            "GIT_CONFIG_GLOBAL": repo.path("none"),
        ]
        let result = try CLI.run(["issue", id], in: repo.root, env: env)
        #expect(result.status == 4)
        #expect(result.stderr.hasPrefix("error: no GitHub token for 127.0.0.1: looked in GH_TOKEN, GITHUB_TOKEN"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(fake.requests.isEmpty)
    }

    @Test func verboseTracesOnStderrWithoutTheToken() throws {
        let (repo, fake, id, env) = try setUp()
        let result = try CLI.run(["issue", id, "--verbose"], in: repo.root, env: env)
        #expect(result.status == 0)
        #expect(result.stderr.contains("[github] → POST \(fake.baseURL)/repos/acme/netra/issues"))
        #expect(result.stderr.contains("[github] ← 201 in"))
        #expect(!result.stderr.contains(fake.token) && !result.stdout.contains(fake.token))
        #expect(result.stdout.hasPrefix("Filed acme/netra#1  https://github.com/acme/netra/issues/1"))
    }

    @Test func aPublicRepoWithoutYesOffATerminalIsRefusedWithExit2() throws {
        let (repo, fake, id, env) = try setUp(isPrivate: false)
        let result = try CLI.run(["issue", id], in: repo.root, env: env)
        #expect(result.status == 2 && result.stderr.contains("--yes"))
        #expect(fake.issues("acme/netra").isEmpty)
        #expect(try CLI.run(["issue", id, "--yes"], in: repo.root, env: env).status == 0)
    }

    @Test func rejectedAndUnavailableMapToExitCodes() throws {
        let (repo, fake, id, env) = try setUp()
        fake.inject(.notFound, on: "GET /repos/acme/netra")
        let missing = try CLI.run(["issue", id], in: repo.root, env: env)
        #expect(missing.status == 4 && missing.stderr.contains("acme/netra was not found"))
        fake.inject(.badGateway, on: "GET /repos/acme/netra", times: 4)
        // http.max_wait caps each backoff wait, which keeps this test fast.
        try repo.write(
            ".incident.yml", "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\nhttp: {max_wait: 0.2}\n")
        let down = try CLI.run(["issue", id], in: repo.root, env: env)
        #expect(down.status == 5, "\(down.stderr)")
        #expect(down.stderr.contains("GitHub answered 502"))
        #expect(down.stderr.contains("retrying in"))
    }

    @Test func syncRetriesWhatFailed() throws {
        let (repo, fake, id, env) = try setUp()
        #expect(try CLI.run(["issue", id], in: repo.root, env: env).status == 0)
        try completeFiveWhys(repo, id, env: env)
        fake.inject(.badToken, on: "POST /repos/acme/netra/issues/1/comments")
        let advanced = try CLI.run(["advance", id, "--set", "tests={name: t}"], in: repo.root, env: env)
        #expect(advanced.status == 0)
        #expect(advanced.stderr.contains("warning: the stage is saved, but 1 update to acme/netra#1 failed"))
        let synced = try CLI.run(["sync", id], in: repo.root, env: env)
        #expect(synced.status == 0 && synced.stdout.contains("Sent 1 update"), "\(synced.stderr)")
        #expect(fake.issues("acme/netra")[0].comments.count == 2)
        #expect(try CLI.run(["sync", id], in: repo.root, env: env).stdout.contains("no pending GitHub updates"))
    }
}

@Suite struct LifecycleSyncCommandTests {
    @Test func closeReopenAndSetKeepTheIssueInStepAndSyncSendsWhatFailed() throws {
        let (repo, fake, id, env) = try IssueCommandTests().setUp()
        try repo.write(
            ".incident.yml", "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\nhttp: {max_wait: 0.1}\n")
        #expect(try CLI.run(["issue", id], in: repo.root, env: env).status == 0)

        let closed = try CLI.run(["close", id, "--reason", "false-alarm", "--json"], in: repo.root, env: env)
        #expect(closed.status == 0, "\(closed.stderr)")
        let json = try YAML.parse(closed.stdout)
        #expect(json["status"] == "closed" && json["synced"] == ["closed acme/netra#1 as not planned, with a comment"])
        #expect(json["pending_updates"] == [] && json["sync_warning"] == .null)
        #expect(fake.issues("acme/netra")[0].stateReason == "not_planned")

        let reopened = try CLI.run(["reopen", id], in: repo.root, env: env)
        #expect(reopened.stdout.contains("GitHub: reopened acme/netra#1, with a comment"), "\(reopened.stderr)")
        #expect(fake.issues("acme/netra")[0].state == "open")

        let set = try CLI.run(["set", id, "severity=high", "--json"], in: repo.root, env: env)
        #expect(try YAML.parse(set.stdout)["changed"] == ["severity"], "\(set.stderr)")
        #expect(fake.issues("acme/netra")[0].labels.contains("sev2"))
        #expect(!fake.issues("acme/netra")[0].labels.contains("sev1"))

        fake.inject(.badGateway, on: "POST /repos/acme/netra/issues/1/comments", times: 4)
        let failed = try CLI.run(["close", id, "--reason", "wont-fix"], in: repo.root, env: env)
        #expect(failed.status == 0)
        #expect(failed.stderr.contains("warning: the incident is closed, but 1 update to acme/netra#1 failed"))
        #expect(fake.issues("acme/netra")[0].state == "open")

        let list = try CLI.run(["list"], in: repo.root)
        #expect(list.stdout.contains(" #1* ") && list.stdout.contains("* GitHub updates pending"), "\(list.stdout)")
        let show = try CLI.run(["show", id], in: repo.root)
        #expect(show.stdout.contains("GitHub: 1 update pending (close as not planned (won't fix)); `incident sync"))
        let doctor = try CLI.run(["doctor"], in: repo.root)
        #expect(doctor.status == 1 && doctor.stdout.contains("a GitHub update is pending (close as not planned"))

        let synced = try CLI.run(["sync"], in: repo.root, env: env)
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(synced.stdout.contains("Sent 1 update for \(id); 0 left."))
        #expect(fake.issues("acme/netra")[0].state == "closed")
        #expect(try CLI.run(["sync"], in: repo.root, env: env).stdout == "No pending GitHub updates.\n")
        #expect(!(try CLI.run(["list"], in: repo.root).stdout.contains("*")))
        #expect(fake.verify() == [])
    }
}

@Suite struct FollowUpCommandTests {
    @Test func followUpsAreFiledOnceShownInShowAndListAndListedOverdueFirst() throws {
        let (repo, fake, id, env) = try IssueCommandTests().setUp()
        let whys = try CLI.run(
            [
                "advance", id, "--set", "whys=a", "--set", "whys=b", "--set", "whys=c", "--set", "root_cause=r",
                "--set", "actions={action: Alert on a missing connector, owner: dana, due: 2020-01-01}",
                "--set", "actions={action: Reachability check in CI, owner: lee, due: 2999-01-01, blocking: true}",
            ], in: repo.root, env: env)
        #expect(whys.status == 0, "\(whys.stderr)")
        let plan = try CLI.run(
            [
                "advance", id, "--set", "tests={name: names the host, kind: unit}", "--set",
                "tests={name: keeps the connector, kind: integration}", "--set", "tests={name: chat works, kind: e2e}",
            ], in: repo.root, env: env)
        #expect(plan.status == 0, "\(plan.stderr)")

        let filed = try CLI.run(["issue", id, "--json"], in: repo.root, env: env)
        #expect(filed.status == 0, "\(filed.stderr)")
        let json = try YAML.parse(filed.stdout)
        #expect(json["followups"]?.array?.compactMap { $0["number"]?.int } == [2, 3, 4, 5, 6])
        #expect(fake.issues("acme/netra").count == 6)
        #expect(fake.issues("acme/netra")[0].body.contains("- [ ] #2 (dana, due 2020-01-01)\n"))
        let again = try CLI.run(["issue", id], in: repo.root, env: env)
        #expect(again.status == 0 && again.stdout.hasPrefix("Already filed: acme/netra#1"))
        #expect(fake.issues("acme/netra").count == 6)

        let list = try CLI.run(["list"], in: repo.root)
        #expect(list.stdout.contains("5 open, 1 overdue"), "\(list.stdout)")
        let show = try CLI.run(["show", id], in: repo.root)
        #expect(show.stdout.contains("Follow-ups: 5 of 5 open"))
        #expect(show.stdout.contains("  #2  Action: Alert on a missing connector  (dana, due 2020-01-01, overdue)"))
        #expect(show.stdout.contains("  #3  Action: Reachability check in CI  (lee, due 2999-01-01, blocks verify)"))

        fake.closeIssue("acme/netra", number: 4)
        let requests = fake.requests.count
        let open = try CLI.run(["followups", "--open", "--json"], in: repo.root, env: env)
        #expect(open.status == 0, "\(open.stderr)")
        let rows = try YAML.parse(open.stdout).array ?? []
        #expect(rows.compactMap { $0["number"]?.int } == [2, 3, 5, 6])
        #expect(
            rows.first?["overdue"] == true && rows.first?["owner"] == "dana" && rows.first?["incident"] == .string(id))
        #expect(rows[1]["blocking"] == true && rows[1]["due"] == "2999-01-01")
        #expect(fake.requests.count == requests + 5, "one state asked per follow-up last seen open")
        #expect(
            try repo.read(try repo.incidentFiles()[0]).contains(
                "tests-1: {number: 4, url: https://github.com/acme/netra/issues/4, state: closed}"))

        let table = try CLI.run(["followups", "--offline"], in: repo.root)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("DUE") == true)
        #expect(lines.dropFirst().first?.hasPrefix("2020-01-01  overdue  #2") == true, "\(table.stdout)")
        #expect(lines.last?.contains("closed") == true && lines.count == 6)
        #expect(fake.requests.count == requests + 5)
        #expect(fake.verify() == [])
    }
}

@Suite struct RefusedConnectionTests {
    @Test func nothingListeningIsExit5WithinAFewSeconds() throws {
        let (repo, id) = try startedRepo()
        let refused = RefusedPort()
        defer { withExtendedLifetime(refused) {} }
        let port = refused.port
        try repo.write(".incident.yml", "github:\n  repo: acme/netra\n  api_url: http://127.0.0.1:\(port)\n")
        let started = Date()
        let result = try CLI.run(
            ["issue", id], in: repo.root,
            env: ["GH_TOKEN": "t", "GH_CONFIG_DIR": repo.path("no-gh"), "HOME": repo.root])
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("could not connect to 127.0.0.1"))
        #expect(result.stderr.components(separatedBy: "retrying in").count == 2, "\(result.stderr)")
        #expect(result.stderr.contains("(try 2 of 2)"))
        #expect(Date().timeIntervalSince(started) < 5)
    }
}

@Suite struct EnterpriseCommandTests {
    @Test func anEnterpriseRemoteAfterInitTargetsItsOwnAPIWithItsOwnToken() throws {
        let repo = try TestRepo()
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        #expect(!(try repo.read(".incident.yml")).contains("\n  api_url:"))
        try TestRepo.run(["git", "remote", "add", "origin", "git@ghe.corp.example:team/svc.git"], in: repo.root)
        #expect(try CLI.run(["new", "--title", "Queue backlog"], in: repo.root).status == 0)
        var env = [
            "GH_TOKEN": "ghp_githubcom", "GH_ENTERPRISE_TOKEN": "", "GITHUB_ENTERPRISE_TOKEN": "",
            "GH_CONFIG_DIR": repo.path("no-gh"), "HOME": repo.path("home"), "PATH": "/usr/bin:/bin",
            "GIT_CONFIG_GLOBAL": repo.path("none"), "GIT_CONFIG_NOSYSTEM": "1",
        ]
        let dry = try CLI.run(["issue", "latest", "--dry-run"], in: repo.root, env: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.hasPrefix("POST https://ghe.corp.example/api/v3/repos/team/svc/issues\n"))
        #expect(dry.stdout.contains("Authorization: Bearer (no token found)"))
        #expect(dry.stdout.contains("https://ghe.corp.example/team/svc/blob/HEAD/incidents/"))
        #expect(dry.stderr.isEmpty, "\(dry.stderr)")
        env["GH_ENTERPRISE_TOKEN"] = "ghe-token"
        let withToken = try CLI.run(["issue", "latest", "--dry-run"], in: repo.root, env: env)
        #expect(withToken.stdout.contains("Authorization: Bearer ****") && !withToken.stdout.contains("ghe-token"))
        // The body reads as markdown; --json keeps the exact request, token still masked.
        #expect(withToken.stdout.contains("\nTitle: [medium] Queue backlog\nLabels: incident, sev3\n"))
        #expect(!withToken.stdout.contains("\\n"), "\(withToken.stdout)")
        let exact = try CLI.run(["issue", "latest", "--dry-run", "--json"], in: repo.root, env: env)
        #expect(exact.status == 0, "\(exact.stderr)")
        let request = try #require(try YAML.parse(exact.stdout)["dry_run"]?.array?.first)
        #expect(request["method"] == "POST")
        #expect(request["url"] == "https://ghe.corp.example/api/v3/repos/team/svc/issues")
        #expect(request["headers"]?["Authorization"] == "Bearer ****")
        #expect(request["body"]?["title"] == "[medium] Queue backlog")
        #expect(!exact.stdout.contains("ghe-token"))

        // A config from an older init names api.github.com: a warning naming both, and the remote's host wins.
        try repo.write(
            ".incident.yml",
            (try repo.read(".incident.yml")).replacingOccurrences(
                of: "github:\n", with: "github:\n  api_url: https://api.github.com\n"))
        let old = try CLI.run(["issue", "latest", "--dry-run"], in: repo.root, env: env)
        #expect(old.stdout.hasPrefix("POST https://ghe.corp.example/api/v3/repos/team/svc/issues\n"))
        #expect(old.stderr.contains("warning: github.api_url in .incident.yml is https://api.github.com (github.com)"))
        #expect(old.stderr.contains("team/svc is on ghe.corp.example"))
    }

    @Test func initWritesAnAPIURLOnlyWhenAsked() throws {
        let repo = try TestRepo()
        let result = try CLI.run(["init", "--api-url", "https://ghe.corp.example/api/v3", "--json"], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try YAML.parse(result.stdout)
        #expect(json["api_url"] == "https://ghe.corp.example/api/v3")
        #expect(json["created"]?.array?.contains(".incident.yml") == true)
        #expect(try repo.read(".incident.yml").contains("\n  api_url: https://ghe.corp.example/api/v3\n"))
        let config = try YAML.parse(try repo.read(".incident.yml"))
        #expect(config["github"]?["api_url"] == "https://ghe.corp.example/api/v3")

        let again = try CLI.run(["init", "--api-url", "https://other.example/api/v3"], in: repo.root)
        #expect(again.status == 0 && again.stderr.contains("--api-url was not written"))
        #expect(try repo.read(".incident.yml").contains("https://ghe.corp.example/api/v3"))
        let fresh = try TestRepo()
        let plain = try CLI.run(["init", "--api-url", "http://ghe.corp.example/api/v3"], in: fresh.root)
        #expect(plain.status == 64 && plain.stderr.contains("--api-url 'http://ghe.corp.example/api/v3' is plain http"))
    }
}
