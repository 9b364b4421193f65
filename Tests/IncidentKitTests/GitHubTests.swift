import FakeGitHub
import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

/// A repo with an incident standing at the issue stage, wired to a fake GitHub.
final class GitHubFixture {
    let repo: TestRepo
    let fake: FakeGitHub
    let sleeps = Sleeps()
    let diagnostics = Diagnostics()
    var variables: [String: String]
    var id = ""

    /// `followUps: false` uses a test plan whose tests are not filed as issues, so a test can watch
    /// the incident's own issue alone.
    init(
        isPrivate: Bool = true, hasIssues: Bool = true, atStage: String = "issue", config: String = "",
        followUps: Bool = false, tests: [String] = ["{name: reconnects, kind: e2e}"]
    ) throws {
        repo = try TestRepo()
        fake = try FakeGitHub(repos: ["acme/netra": .init(isPrivate: isPrivate, hasIssues: hasIssues)])
        variables = ["GH_TOKEN": fake.token, "GITHUB_TOKEN": "", "GH_CONFIG_DIR": repo.path(".gh-empty")]
        try repo.write(".incident.yml", "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\n\(config)")
        if !followUps {
            try repo.write(
                "templates/test-plan.md",
                TemplateLibrary.defaults["test-plan"]!.replacingOccurrences(of: "    issue: true\n", with: ""))
        }
        try repo.write("app.log", "2025-09-09T02:25:11Z CRITICAL Readiness failed. Failed services: [redis]\n")
        var request = NewIncidentRequest()
        request.fromLog = "app.log"
        id = try NewIncidentWorkflow(workspace: workspace()).run(request).incident.document.id
        if atStage != "five-whys" {
            var advance = AdvanceRequest(ref: id)
            advance.sets = ["whys=a", "whys=b", "whys=c", "root_cause=r"]
            _ = try AdvanceWorkflow(workspace: workspace()).run(advance)
            advance.sets = tests.map { "tests=" + $0 }
            _ = try AdvanceWorkflow(workspace: workspace()).run(advance)
        }
    }

    deinit { fake.stop() }

    func workspace(prompter: (any Prompter)? = nil, trace: (@Sendable (String) -> Void)? = nil) throws -> Workspace {
        var env = repo.environment(prompter: prompter, variables: variables, diagnostics: diagnostics, sleeps: sleeps)
        env.trace = trace
        return try Workspace.open(env, directory: nil)
    }

    func file(_ configure: (inout FileIssueRequest) -> Void = { _ in }) throws -> FileIssueResult {
        var request = FileIssueRequest(ref: id)
        request.yes = true
        configure(&request)
        return try FileIssueWorkflow(workspace: workspace()).run(request)
    }

    var text: String { (try? repo.read(try repo.incidentFiles()[0])) ?? "" }

    static let labelsAndCreate = [
        "GET /repos/acme/netra", "GET /repos/acme/netra/labels/incident", "POST /repos/acme/netra/labels",
        "GET /repos/acme/netra/labels/sev1", "POST /repos/acme/netra/labels", "POST /repos/acme/netra/issues",
    ]
}

@Suite struct GitHubIssueTests {
    @Test func filesOnceWithMarkerLabelsAndCompletesTheIssueStage() throws {
        let f = try GitHubFixture()
        var expected = GitHubFixture.labelsAndCreate
        expected.insert(contentsOf: ["GET /repos/acme/netra/labels/redis", "POST /repos/acme/netra/labels"], at: 5)
        f.fake.expect(expected)
        let title = try IncidentDocument.parse(f.text, name: "x").title
        let result = try f.file { $0.labels = ["redis"] }
        #expect(result.created && result.number == 1 && result.url == "https://github.com/acme/netra/issues/1")
        #expect(result.completedStage == "issue")
        let issue = try #require(f.fake.issues("acme/netra").first)
        #expect(issue.title == "[critical] \(title)")
        #expect(issue.body.contains("<!-- incident-id: \(f.id) -->"))
        #expect(issue.body.contains("### Five whys"))
        #expect(issue.labels == ["incident", "sev1", "redis"])
        let file = try f.repo.incidentFiles()[0]
        #expect(issue.body.contains("](\(f.fake.baseURL)/acme/netra/blob/HEAD/\(file))"))
        #expect(
            FileIssueWorkflow.webURL(apiURL: "https://api.github.com", repo: "acme/netra")
                == "https://github.com/acme/netra")
        #expect(
            FileIssueWorkflow.webURL(apiURL: "https://ghe.corp.example/api/v3", repo: "acme/netra")
                == "https://ghe.corp.example/acme/netra")
        #expect(f.text.contains("github: {repo: acme/netra, number: 1, url: https://github.com/acme/netra/issues/1}"))
        #expect(f.text.contains("stage: fix"))
        #expect(f.text.contains("<!-- incident:stage issue -->"))
        #expect(f.fake.verify() == [])
    }

    @Test func runningAgainPrintsTheExistingIssueAndSendsNothing() throws {
        let f = try GitHubFixture()
        _ = try f.file()
        let before = f.fake.requests.count
        let again = try f.file()
        #expect(!again.created && again.number == 1)
        #expect(f.fake.requests.count == before)
        #expect(f.fake.issues("acme/netra").count == 1)
    }

    @Test func aLostCreateResponseStillEndsWithExactlyOneIssue() throws {
        let f = try GitHubFixture()
        f.fake.inject(.lostResponse, on: "POST /repos/acme/netra/issues")
        f.fake.expect(GitHubFixture.labelsAndCreate + ["GET /repos/acme/netra/issues"])
        let result = try f.file()
        #expect(result.number == 1)
        #expect(f.fake.issues("acme/netra").count == 1)
        #expect(f.fake.verify() == [])
        #expect(f.diagnostics.lines.contains { $0.contains("looking for the issue before posting again") })
    }

    @Test func aCreateThatTimesOutIsFoundByItsMarker() throws {
        let f = try GitHubFixture(config: "http: {connect_timeout: 2, timeout: 1, max_wait: 60}\n")
        f.fake.inject(.delay(seconds: 2), on: "POST /repos/acme/netra/issues")
        f.fake.expect(GitHubFixture.labelsAndCreate + ["GET /repos/acme/netra/issues"])
        let result = try f.file()
        #expect(result.number == 1)
        #expect(f.fake.issues("acme/netra").count == 1)
        #expect(f.fake.verify() == [])
    }

    @Test func a502OnCreateIsCheckedThenPostedOnce() throws {
        let f = try GitHubFixture()
        f.fake.inject(.badGateway, on: "POST /repos/acme/netra/issues")
        f.fake.expect(
            GitHubFixture.labelsAndCreate + ["GET /repos/acme/netra/issues", "POST /repos/acme/netra/issues"])
        let result = try f.file()
        #expect(result.created && result.number == 1)
        #expect(f.fake.issues("acme/netra").count == 1)
        #expect(f.fake.verify() == [])
    }

    @Test func aPendingCreationFromACrashedRunIsFoundNotPostedAgain() throws {
        let f = try GitHubFixture()
        let path = try f.repo.incidentFiles()[0]
        try f.repo.write(
            path,
            f.text.replacingOccurrences(
                of: "created:", with: "github: {repo: acme/netra, pending: 2025-09-09T03:00:00Z}\ncreated:"))
        f.fake.seedIssue("acme/netra", title: "filed before the crash", body: "x\n<!-- incident-id: \(f.id) -->\n")
        f.fake.expect(Array(GitHubFixture.labelsAndCreate.dropLast()) + ["GET /repos/acme/netra/issues"])
        let result = try f.file()
        #expect(!result.created && result.number == 1)
        #expect(f.fake.issues("acme/netra").count == 1)
        #expect(f.fake.verify() == [])
        #expect(f.text.contains("number: 1"))
        #expect(!f.text.contains("pending"))
    }

    @Test func rateLimitsAreWaitedOutWithinMaxWaitAndRefusedBeyond() throws {
        let f = try GitHubFixture()
        f.fake.inject(.secondaryRateLimit(retryAfter: 7), on: "GET /repos/acme/netra")
        _ = try f.file()
        #expect(f.sleeps.all == [7])
        #expect(f.diagnostics.lines.contains { $0.contains("rate limit reached; waiting 7 s") })

        let g = try GitHubFixture()
        g.fake.inject(.primaryRateLimit(resetIn: 3600), on: "GET /repos/acme/netra")
        #expect { try g.file() } throws: { error in
            let text = "\(error)"
            return (error as? IncidentError)?.exitCode == 5 && text.contains("longer than http.max_wait (60 s)")
                && text.contains("run the command again after 20")
        }
        #expect(g.sleeps.all.isEmpty)
        #expect(!g.text.contains("github:"))
    }

    @Test(arguments: [
        (FakeGitHub.Fault.badToken, Int32(4), "rejected the token (401"),
        (.noPermission, 4, "may not do this on acme/netra (403"),
        (.notFound, 4, "acme/netra was not found, or the token cannot see it"),
        (.issuesDisabled, 1, "issues are disabled on acme/netra"),
        (.validationFailed, 1, "'assignees' is invalid (ghost)"),
    ])
    func eachErrorIsOnePlainSentenceWithItsExitCode(fault: FakeGitHub.Fault, code: Int32, text: String) throws {
        let f = try GitHubFixture()
        f.fake.inject(fault, on: "POST /repos/acme/netra/issues")
        #expect { try f.file() } throws: { error in
            (error as? IncidentError)?.exitCode == code && "\(error)".contains(text)
        }
        #expect(f.fake.issues("acme/netra").isEmpty)
        #expect(!f.text.contains("github:"), "a refused creation leaves no pending mark")
        #expect(f.text.contains("stage: issue"))
    }

    @Test func htmlErrorBodiesAreExplainedAndRetried() throws {
        let f = try GitHubFixture()
        f.fake.inject(.htmlError(status: 500), on: "GET /repos/acme/netra", times: 4)
        #expect { try f.file() } throws: { error in
            (error as? IncidentError)?.exitCode == 5
                && "\(error)".contains("GitHub answered 500 with a non-JSON body (text/html)")
        }
        #expect(f.sleeps.all.count == 3)
        #expect(zip(f.sleeps.all, f.sleeps.all.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func aPublicRepoNeedsYesBeforeALogExcerptGoesOut() throws {
        let f = try GitHubFixture(isPrivate: false)
        f.fake.expect(["GET /repos/acme/netra"])
        #expect { try f.file { $0.yes = false } } throws: { error in
            (error as? IncidentError)?.exitCode == 2
                && "\(error)".contains("is public and the issue carries a log excerpt")
        }
        #expect(f.fake.verify() == [])
    }

    @Test func onATerminalTheUserPreviewsAndConfirms() throws {
        let f = try GitHubFixture(isPrivate: false)
        let prompter = ScriptedPrompter(["n"])
        var request = FileIssueRequest(ref: f.id)
        request.yes = false
        #expect(throws: IncidentError.cancelled("nothing was sent.")) {
            try FileIssueWorkflow(workspace: f.workspace(prompter: prompter)).run(request)
        }
        #expect(prompter.shown.contains { $0.contains("is public, and this issue includes a log excerpt") })
        #expect(f.fake.issues("acme/netra").isEmpty)
    }

    @Test func dryRunPrintsTheExactRequestWithTheTokenMaskedAndSendsNothing() throws {
        let f = try GitHubFixture()
        f.fake.expect([])
        let result = try f.file { $0.dryRun = true }
        let planned = try #require(result.dryRun)
        let issue = try #require(planned.first)
        #expect(issue.method == "POST" && issue.url == "\(f.fake.baseURL)/repos/acme/netra/issues")
        #expect(issue.headers.contains { $0 == ("Authorization", "Bearer ****") })
        #expect(!JSON.encode(issue.toValue()).contains(f.fake.token))
        #expect(issue.fields["labels"]?.array?.isEmpty == false)

        // For a person: the request line, the headers, the title and labels on their own lines, then the
        // body as markdown (its line breaks real, not `\n` inside a JSON string).
        let text = issue.review()
        #expect(text.hasPrefix("POST \(f.fake.baseURL)/repos/acme/netra/issues\nAccept: application/vnd.github+json\n"))
        #expect(text.contains("\nTitle: \(issue.fields["title"]?.string ?? "?")\n"))
        #expect(text.contains("\nLabels: "))
        let body = try #require(issue.fields["body"]?.string)
        #expect(body.contains("\n") && text.hasSuffix("\n\n" + body))
        #expect(f.fake.verify() == [])
    }

    @Test func verboseTracesNeverShowTheToken() throws {
        let f = try GitHubFixture()
        let lines = Diagnostics()
        var request = FileIssueRequest(ref: f.id)
        request.yes = true
        _ = try FileIssueWorkflow(workspace: f.workspace(trace: { lines.append($0) })).run(request)
        #expect(lines.lines.contains("→ POST \(f.fake.baseURL)/repos/acme/netra/issues"))
        #expect(lines.lines.contains { $0.hasPrefix("← 201 in ") && $0.contains("x-ratelimit-remaining=4999") })
        #expect(!lines.lines.joined().contains(f.fake.token))
    }

    @Test func laterStagesCommentAndVerifyClosesAFailedSyncIsKeptAndRetried() throws {
        let f = try GitHubFixture()
        _ = try f.file()
        var fix = AdvanceRequest(ref: f.id)
        fix.sets = ["description=Re-attached the connector."]
        let fixed = try AdvanceWorkflow(workspace: f.workspace()).run(fix)
        #expect(fixed.synced == ["commented the fix section on acme/netra#1"])
        #expect(f.fake.issues("acme/netra")[0].comments.last?.contains("## System Fix") == true)

        f.fake.inject(.badGateway, on: "POST /repos/acme/netra/issues/1/comments", times: 4)
        var verify = AdvanceRequest(ref: f.id)
        verify.checks = ["true"]
        let verified = try AdvanceWorkflow(workspace: f.workspace()).run(verify)
        #expect(verified.status == "resolved")
        #expect(verified.syncWarning?.contains("`incident sync \(f.id)` retries") == true)
        #expect(f.text.contains("pending_sync"))
        #expect(f.fake.issues("acme/netra")[0].state == "open")

        let retried = try GitHubSync(workspace: f.workspace()).retry(f.id)
        #expect(retried.sent.count == 2 && retried.remaining.isEmpty && retried.error == nil)
        let issue = f.fake.issues("acme/netra")[0]
        #expect(issue.state == "closed" && issue.stateReason == "completed")
        let fetched = try GitHubConnection.open(f.workspace(), repo: "acme/netra", apiURL: f.fake.baseURL).client
            .getIssue("acme/netra", number: 1)
        #expect(fetched.state == "closed" && fetched.body.contains("<!-- incident-id: \(f.id) -->"))
        #expect(issue.comments.last?.contains("is resolved") == true)
        #expect(!f.text.contains("pending_sync"))
    }

    @Test func listingFollowsLinkPagination() throws {
        let f = try GitHubFixture()
        for index in 1...150 {
            f.fake.seedIssue(
                "acme/netra", title: "old \(index)", body: index == 3 ? "<!-- incident-id: inc-zzzzzz -->" : "")
        }
        let client = try GitHubConnection.open(f.workspace(), repo: "acme/netra", apiURL: f.fake.baseURL).client
        #expect(try client.recentIssues("acme/netra").count == 150)
        #expect(try client.findIssue("acme/netra", marker: "<!-- incident-id: inc-zzzzzz -->")?.number == 3)
        // Each listing reads two pages of 100.
        #expect(f.fake.requests.filter { $0 == "GET /repos/acme/netra/issues" }.count == 4)
    }
}

@Suite struct GitHubLifecycleTests {
    /// A fixture whose incident has issue #1 on the fake, with every request from here on expected.
    func filed() throws -> GitHubFixture {
        let f = try GitHubFixture()
        _ = try f.file()
        return f
    }

    func expectAfterFiling(_ f: GitHubFixture, _ requests: [String]) {
        f.fake.expect(f.fake.requests + requests)
    }

    @Test func closeAsAFalseAlarmClosesTheIssueAsNotPlannedWithAComment() throws {
        let f = try filed()
        expectAfterFiling(
            f, ["POST /repos/acme/netra/issues/1/comments", "PATCH /repos/acme/netra/issues/1"])
        let result = try LifecycleWorkflow(workspace: f.workspace()).close(
            f.id, reason: "false-alarm", duplicateOf: nil)
        #expect(result.synced == ["closed acme/netra#1 as not planned, with a comment"])
        #expect(result.syncWarning == nil)
        let issue = f.fake.issues("acme/netra")[0]
        #expect(issue.state == "closed" && issue.stateReason == "not_planned")
        #expect(issue.comments.last == "Closed as not planned: **\(f.id)** was a false alarm.")
        #expect(!f.text.contains("pending_sync") && f.text.contains("status: closed"))
        #expect(f.fake.verify() == [])
    }

    @Test func reopenReopensTheIssueWithAComment() throws {
        let f = try filed()
        _ = try LifecycleWorkflow(workspace: f.workspace()).close(f.id, reason: "wont-fix", duplicateOf: nil)
        #expect(f.fake.issues("acme/netra")[0].comments.last?.contains("will not be fixed") == true)
        expectAfterFiling(f, ["POST /repos/acme/netra/issues/1/comments", "PATCH /repos/acme/netra/issues/1"])
        let result = try LifecycleWorkflow(workspace: f.workspace()).reopen(f.id)
        #expect(result.synced == ["reopened acme/netra#1, with a comment"])
        let issue = f.fake.issues("acme/netra")[0]
        #expect(issue.state == "open" && issue.stateReason == "reopened")
        #expect(issue.comments.last == "Reopened: **\(f.id)** is open again, at stage `fix`.")
        #expect(f.fake.verify() == [])
    }

    func twoFiledIncidents() throws -> (GitHubFixture, String) {
        let f = try filed()
        var request = NewIncidentRequest()
        request.title = "Second report of the Redis failure"
        let second = try NewIncidentWorkflow(workspace: f.workspace()).run(request).incident.document.id
        var issue = FileIssueRequest(ref: second)
        issue.yes = true
        _ = try FileIssueWorkflow(workspace: f.workspace()).run(issue)
        return (f, second)
    }

    @Test func aDuplicateIsClosedAsDuplicateSayingDuplicateOfN() throws {
        let (f, second) = try twoFiledIncidents()
        let result = try LifecycleWorkflow(workspace: f.workspace()).close(
            second, reason: "duplicate", duplicateOf: f.id)
        #expect(result.synced == ["closed acme/netra#2 as a duplicate, with a comment"])
        let issue = f.fake.issues("acme/netra")[1]
        #expect(issue.state == "closed" && issue.stateReason == "duplicate")
        #expect(issue.comments.last?.hasPrefix("Duplicate of #1\n\n**\(second)** duplicates \(f.id).") == true)
        #expect(f.fake.issues("acme/netra")[0].state == "open")
    }

    @Test func aServerThatRefusesDuplicateClosesItAsNotPlannedWithTheComment() throws {
        let (f, second) = try twoFiledIncidents()
        f.fake.stateReasons = ["completed", "not_planned", "reopened"]
        let result = try LifecycleWorkflow(workspace: f.workspace()).close(
            second, reason: "duplicate", duplicateOf: f.id)
        #expect(
            result.synced == [
                "closed acme/netra#2 as not planned (the server does not take 'duplicate'), with a comment"
            ])
        let issue = f.fake.issues("acme/netra")[1]
        #expect(issue.state == "closed" && issue.stateReason == "not_planned")
        #expect(issue.comments.last?.hasPrefix("Duplicate of #1") == true)
        #expect(issue.comments.count == 1)
        #expect(f.fake.verify() == [])
    }

    @Test func aLostResponseDuringCloseIsRecordedFirstAndSyncFinishesWithOneCommentAndOneIssue() throws {
        let f = try filed()
        // The close goes through on GitHub, but no answer comes back, four times over.
        f.fake.inject(.lostResponse, on: "PATCH /repos/acme/netra/issues/1", times: 4)
        let result = try LifecycleWorkflow(workspace: f.workspace()).close(
            f.id, reason: "false-alarm", duplicateOf: nil)
        #expect(result.syncWarning?.hasPrefix("the incident is closed, but 1 update to acme/netra#1 failed") == true)
        #expect(result.syncWarning?.contains("`incident sync \(f.id)` retries") == true)
        #expect(result.incident.document.status == "closed")
        let pending = GitHubSync.pending(result.incident.document)
        #expect(pending.count == 1 && pending[0].kind == .close && pending[0].commented)
        #expect(f.text.contains("commented: true"))

        expectAfterFiling(f, ["PATCH /repos/acme/netra/issues/1"])
        let outcome = try GitHubSync(workspace: f.workspace()).retry(f.id)
        #expect(outcome.sent == ["closed acme/netra#1 as not planned, with a comment"])
        #expect(f.fake.issues("acme/netra").count == 1)
        let issue = f.fake.issues("acme/netra")[0]
        #expect(issue.state == "closed" && issue.stateReason == "not_planned" && issue.comments.count == 1)
        #expect(!f.text.contains("pending_sync"))
        #expect(try GitHubSync(workspace: f.workspace()).retryAll().isEmpty)
        #expect(f.fake.verify() == [])
    }

    @Test func reopeningBeforeAnUnsentCloseReachedGitHubSendsNothing() throws {
        let f = try filed()
        f.fake.inject(.badToken, on: "POST /repos/acme/netra/issues/1/comments")
        let closed = try LifecycleWorkflow(workspace: f.workspace()).close(
            f.id, reason: "false-alarm", duplicateOf: nil)
        #expect(closed.syncWarning?.contains("rejected the token (401") == true)
        #expect(GitHubSync.pending(closed.incident.document).map(\.summary) == ["close as not planned (a false alarm)"])
        #expect(QueryWorkflow.hasPendingGitHubWork(closed.incident.document))
        expectAfterFiling(f, [])
        let reopened = try LifecycleWorkflow(workspace: f.workspace()).reopen(f.id)
        #expect(reopened.synced.isEmpty && GitHubSync.pending(reopened.incident.document).isEmpty)
        #expect(f.fake.issues("acme/netra")[0].state == "open")
        #expect(f.fake.verify() == [])
    }

    @Test func setSeverityAndTitleChangeTheIssueTitleAndLabelAndTheFileHeadingAndIdentifyLine() throws {
        let f = try filed()
        #expect(f.text.contains("**Severity**: critical"))
        expectAfterFiling(
            f,
            [
                "GET /repos/acme/netra/issues/1", "PATCH /repos/acme/netra/issues/1",
                "DELETE /repos/acme/netra/issues/1/labels/sev1", "GET /repos/acme/netra/labels/sev2",
                "POST /repos/acme/netra/labels", "POST /repos/acme/netra/issues/1/labels",
            ])
        let result = try SetFieldsWorkflow(workspace: f.workspace()).run(
            ref: f.id, assignments: ["severity=high", "title=Redis unreachable from staging"])
        #expect(result.changed == ["title", "severity"])
        #expect(result.synced == ["updated the title and label sev2 of acme/netra#1"])
        let issue = f.fake.issues("acme/netra")[0]
        #expect(issue.title == "[high] Redis unreachable from staging")
        #expect(issue.labels == ["incident", "sev2"])
        let document = try IncidentDocument.parse(f.text, name: "x")
        #expect(document.body.hasPrefix("# Redis unreachable from staging\n"))
        #expect(document.sections["identify"]?.contains("**Severity**: high") == true)
        #expect(!f.text.contains("**Severity**: critical") && !f.text.contains("pending_sync"))
        #expect(f.fake.verify() == [])

        // Owner alone owes GitHub nothing.
        expectAfterFiling(f, [])
        let owner = try SetFieldsWorkflow(workspace: f.workspace()).run(ref: f.id, assignments: ["owner=dana"])
        #expect(owner.changed == ["owner"] && owner.synced.isEmpty)
        #expect(f.fake.verify() == [])
    }

    @Test func syncNamesAnUnfinishedCreationAndLeavesItToIssue() throws {
        let f = try GitHubFixture()
        let path = try f.repo.incidentFiles()[0]
        try f.repo.write(
            path,
            f.text.replacingOccurrences(
                of: "created:", with: "github: {repo: acme/netra, pending: 2025-09-09T03:00:00Z}\ncreated:"))
        f.fake.expect([])
        let one = try GitHubSync(workspace: f.workspace()).retry(f.id)
        #expect(one.note?.contains("`incident issue \(f.id)` looks for the issue") == true)
        let all = try GitHubSync(workspace: f.workspace()).retryAll()
        #expect(all.count == 1 && all[0].note == one.note && all[0].error == nil)
        #expect(f.fake.verify() == [])
    }

    @Test func aHeadingTheUserRewroteIsLeftAlone() throws {
        let f = try filed()
        let path = try f.repo.incidentFiles()[0]
        let title = try IncidentDocument.parse(f.text, name: "x").title
        try f.repo.write(path, f.text.replacingOccurrences(of: "# \(title)\n", with: "# My own heading\n"))
        _ = try SetFieldsWorkflow(workspace: f.workspace()).run(ref: f.id, assignments: ["title=New title"])
        #expect(f.text.contains("# My own heading\n") && f.text.contains("title: New title"))
    }
}

@Suite struct FollowUpTests {
    static let threeTests = [
        "{name: names the unreachable host, kind: unit}", "{name: staging keeps its connector, kind: integration}",
        "{name: chat round trip after a cold start, kind: e2e, blocking: true}",
    ]
    static let fileAndLink = [
        "POST /repos/acme/netra/issues", "POST /repos/acme/netra/issues", "POST /repos/acme/netra/issues",
        "GET /repos/acme/netra/issues/1", "PATCH /repos/acme/netra/issues/1",
    ]

    @Test func threeTestPlanEntriesBecomeThreeLinkedIssuesFiledOnceEvenWhenRunTwice() throws {
        let f = try GitHubFixture(followUps: true, tests: Self.threeTests)
        f.fake.expect(GitHubFixture.labelsAndCreate + Self.fileAndLink)
        let result = try f.file()
        #expect(result.number == 1 && result.created)
        #expect(result.followUps.map(\.key) == ["tests-1", "tests-2", "tests-3"])
        #expect(result.followUps.map(\.number) == [2, 3, 4])
        #expect(result.followUps.map(\.title)[0] == "Test to add: names the unreachable host")
        #expect(result.synced.last == "linked 3 follow-up issues from acme/netra#1 as a task list")
        #expect(result.syncWarning == nil)
        let issues = f.fake.issues("acme/netra")
        #expect(issues.count == 4)
        for (index, issue) in issues.dropFirst().enumerated() {
            #expect(issue.body.contains("<!-- incident-id: \(f.id)/tests-\(index + 1) -->"))
            #expect(issue.body.hasPrefix("Follow-up of #1: **\(f.id)**"))
            #expect(!issue.body.contains("<!-- incident-id: \(f.id) -->"))
        }
        #expect(issues[3].body.contains("- **Blocks verify**: yes"))
        let parent = issues[0].body
        #expect(parent.contains("### Follow-ups\n\n- [ ] #2\n- [ ] #3\n- [ ] #4 (blocks verify)\n"))
        #expect(parent.hasSuffix("<!-- /incident:followups -->\n\n<!-- incident-id: \(f.id) -->\n"))
        #expect(f.text.contains("tests-1: {number: 2, url: https://github.com/acme/netra/issues/2, state: open}"))
        #expect(!f.text.contains("queued") && !f.text.contains("pending"))
        #expect(f.fake.verify() == [])

        // Run again: everything is filed, so nothing is sent.
        let again = try f.file()
        #expect(!again.created && again.followUps.map(\.number) == [2, 3, 4] && again.synced.isEmpty)
        #expect(f.fake.issues("acme/netra").count == 4)
        #expect(f.fake.verify() == [])
    }

    @Test func aLostResponseDuringAFollowUpCreationStillMakesExactlyOneIssue() throws {
        let f = try GitHubFixture(atStage: "five-whys", followUps: true)
        _ = try f.file()
        #expect(f.fake.issues("acme/netra").count == 1)
        f.fake.inject(.lostResponse, on: "POST /repos/acme/netra/issues")
        f.fake.expect(
            f.fake.requests + [
                "POST /repos/acme/netra/issues", "GET /repos/acme/netra/issues", "GET /repos/acme/netra/issues/1",
                "PATCH /repos/acme/netra/issues/1", "POST /repos/acme/netra/issues/1/comments",
            ])
        var advance = AdvanceRequest(ref: f.id)
        advance.sets = [
            "whys=a", "whys=b", "whys=c", "root_cause=r",
            "actions={action: Alert when the connector is missing, owner: dana, due: 2025-10-01}",
        ]
        let result = try AdvanceWorkflow(workspace: f.workspace()).run(advance)
        #expect(result.syncWarning == nil)
        #expect(result.synced.first == "filed follow-up acme/netra#2 (Action: Alert when the connector is missing)")
        #expect(f.fake.issues("acme/netra").count == 2)
        #expect(f.fake.issues("acme/netra")[0].body.contains("- [ ] #2 (dana, due 2025-10-01)"))
        #expect(f.diagnostics.lines.contains { $0.contains("looking for the follow-up before posting again") })
        #expect(f.text.contains("actions-1: {number: 2"))
        #expect(f.text.contains("- [ ] Alert when the connector is missing (dana, due 2025-10-01)"))
        #expect(f.fake.verify() == [])
    }

    @Test func aFollowUpLeftPendingByACrashIsFoundBySyncNotPostedAgain() throws {
        let f = try GitHubFixture(followUps: true)
        #expect(try f.file().followUps.first?.number == 2)
        // A later run crashed between sending the creation and recording its answer.
        let path = try f.repo.incidentFiles()[0]
        try f.repo.write(
            path,
            f.text.replacingOccurrences(
                of: "tests-1: {number: 2, url: https://github.com/acme/netra/issues/2, state: open}",
                with: "tests-1: {pending: 2025-09-09T03:00:00Z}"))
        let document = try IncidentDocument.parse(f.text, name: "x")
        #expect(GitHubSync.owed(document) == ["file the follow-up issue tests-1"])
        #expect(QueryWorkflow.hasPendingGitHubWork(document))
        f.fake.expect(f.fake.requests + ["GET /repos/acme/netra/issues"])
        let outcome = try GitHubSync(workspace: f.workspace()).retry(f.id)
        #expect(outcome.sent == ["found follow-up acme/netra#2 (Test to add: reconnects)"])
        #expect(outcome.remaining.isEmpty && outcome.error == nil)
        #expect(f.fake.issues("acme/netra").count == 2)
        #expect(f.fake.verify() == [])
    }

    @Test func aQueuedFollowUpWhoseEntryIsGoneIsDroppedNotFiled() throws {
        let f = try GitHubFixture(followUps: true)
        _ = try f.file()
        let path = try f.repo.incidentFiles()[0]
        try f.repo.write(
            path,
            f.text.replacingOccurrences(
                of: "    tests-1: {number: 2",
                with: "    tests-9: {queued: 2025-09-09T03:00:00Z}\n    tests-1: {number: 2"))
        #expect(GitHubSync.owed(try IncidentDocument.parse(f.text, name: "x")) == ["file the follow-up issue tests-9"])
        f.fake.expect(f.fake.requests)
        let outcome = try GitHubSync(workspace: f.workspace()).retry(f.id)
        #expect(outcome.sent.isEmpty && outcome.remaining.isEmpty && outcome.error == nil)
        #expect(!f.text.contains("tests-9") && f.text.contains("tests-1: {number: 2"))
        #expect(f.fake.verify() == [])
    }

    @Test func aRefusedFollowUpStaysOwedAndIsFiledBySync() throws {
        let f = try GitHubFixture(followUps: true)
        f.fake.inject(.validationFailed, on: "POST /repos/acme/netra/issues", after: 1)
        let result = try f.file()
        #expect(result.created && result.number == 1)
        #expect(result.syncWarning?.hasPrefix("the issue is filed, but 2 updates to acme/netra#1 failed") == true)
        #expect(result.followUps.first?.queued == true && result.followUps.first?.number == nil)
        #expect(f.fake.issues("acme/netra").count == 1)
        f.fake.expect(
            f.fake.requests + [
                "POST /repos/acme/netra/issues", "GET /repos/acme/netra/issues/1", "PATCH /repos/acme/netra/issues/1",
            ])
        let outcome = try GitHubSync(workspace: f.workspace()).retry(f.id)
        #expect(outcome.sent.count == 2 && outcome.remaining.isEmpty)
        #expect(f.fake.issues("acme/netra").count == 2)
        #expect(f.fake.verify() == [])
    }

    @Test func verifyWaitsWhileABlockingFollowUpIsOpenOnGitHub() throws {
        let f = try GitHubFixture(followUps: true, tests: ["{name: reconnects, kind: e2e, blocking: true}"])
        _ = try f.file()
        var fix = AdvanceRequest(ref: f.id)
        fix.sets = ["description=Re-attached the connector."]
        _ = try AdvanceWorkflow(workspace: f.workspace()).run(fix)
        var verify = AdvanceRequest(ref: f.id)
        verify.checks = ["true"]
        #expect { try AdvanceWorkflow(workspace: f.workspace()).run(verify) } throws: { error in
            (error as? IncidentError)?.exitCode == 3
                && "\(error)".contains(
                    "follow-up acme/netra#2 (Test to add: reconnects) blocks verify and is still open on GitHub")
        }
        #expect(f.text.contains("stage: verify"))
        let client = try GitHubConnection.open(f.workspace(), repo: "acme/netra", apiURL: f.fake.baseURL).client
        _ = try client.closeIssue("acme/netra", number: 2, reason: "completed")
        let verified = try AdvanceWorkflow(workspace: f.workspace()).run(verify)
        #expect(verified.status == "resolved")
    }
}

@Suite struct GitHubDiscoveryTests {
    @Test(arguments: [
        ("https://github.com/acme/netra.git", "github.com", "acme/netra"),
        ("https://github.com/acme/netra", "github.com", "acme/netra"),
        ("git@github.com:acme/netra.git", "github.com", "acme/netra"),
        ("ssh://git@github.com/acme/netra.git", "github.com", "acme/netra"),
        ("ssh://git@ghe.corp.example:2222/acme/netra.git", "ghe.corp.example", "acme/netra"),
        ("git@ghe.corp.example:platform/api.git", "ghe.corp.example", "platform/api"),
    ])
    func remotesInEveryForm(url: String, host: String, repo: String) {
        let parsed = GitHubDiscovery.parseRemote(url)
        #expect(parsed?.0 == host && parsed?.1 == repo)
    }

    @Test func remotesArePreferredUpstreamThenGithubThenOrigin() throws {
        let repo = try TestRepo()
        try TestRepo.run(["git", "remote", "add", "origin", "git@github.com:me/fork.git"], in: repo.root)
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        #expect(
            try GitHubDiscovery(workspace: workspace).repository(flag: nil) == ("me/fork", "https://api.github.com"))
        try TestRepo.run(
            ["git", "remote", "add", "upstream", "https://ghe.corp.example/acme/netra.git"], in: repo.root)
        let found = try GitHubDiscovery(workspace: workspace).repository(flag: nil)
        #expect(found == ("acme/netra", "https://ghe.corp.example/api/v3"))
        #expect(try GitHubDiscovery(workspace: workspace).repository(flag: "x/y").repo == "x/y")
        #expect(throws: IncidentError.self) { try GitHubDiscovery(workspace: workspace).repository(flag: "not a repo") }
    }

    @Test func tokensComeFromVariablesThenGhThenHostsFileElseOneSentence() throws {
        let repo = try TestRepo()
        let empty = [
            "GH_TOKEN": "", "GITHUB_TOKEN": "", "GH_ENTERPRISE_TOKEN": "", "GITHUB_ENTERPRISE_TOKEN": "",
            "GH_CONFIG_DIR": repo.path("gh"), "PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": repo.path("nogit"),
        ]
        func token(_ variables: [String: String], api: String = "https://api.github.com") throws -> String {
            let workspace = try Workspace.open(
                repo.environment(variables: empty.merging(variables) { $1 }), directory: nil)
            return try GitHubDiscovery(workspace: workspace).token(apiURL: api)
        }
        #expect(try token(["GITHUB_TOKEN": "from-env"]) == "from-env")
        #expect(try token(["GH_ENTERPRISE_TOKEN": "ghe"], api: "https://ghe.corp.example/api/v3") == "ghe")
        try repo.write("gh/hosts.yml", "github.com:\n  user: dana\n  oauth_token: from-hosts-file\n")
        #expect(try token([:]) == "from-hosts-file")
        try FileManager.default.removeItem(atPath: repo.path("gh/hosts.yml"))
        try TestRepo.run(
            [
                "git", "config", "credential.helper",
                "!f() { echo username=x-access-token; echo password=from-git-credential; }; f",
            ], in: repo.root)
        #expect(try token([:]) == "from-git-credential")
        try TestRepo.run(["git", "config", "--unset", "credential.helper"], in: repo.root)
        #expect { try token([:]) } throws: { error in
            let text = "\(error)"
            return (error as? IncidentError)?.exitCode == 4 && text.contains("GH_TOKEN, GITHUB_TOKEN")
                && text.contains("gh auth token") && text.contains("hosts.yml") && text.contains("git credential fill")
        }
    }

    @Test func theAPIFollowsTheRepoHostAndAConfiguredAPIElsewhereIsAWarning() throws {
        let repo = try TestRepo()
        try TestRepo.run(
            ["git", "remote", "add", "origin", "https://ghe.corp.example/team/svc.git"], in: repo.root)
        func discover(_ config: String, flag: String? = nil) throws -> (String, String, [String]) {
            try repo.write(".incident.yml", config)
            let diagnostics = Diagnostics()
            let workspace = try Workspace.open(repo.environment(diagnostics: diagnostics), directory: nil)
            let found = try GitHubDiscovery(workspace: workspace).repository(flag: flag)
            return (found.repo, found.apiURL, diagnostics.lines)
        }
        // What `init` wrote before: a github.com API beside an Enterprise remote.
        let (name, api, warnings) = try discover("github:\n  api_url: https://api.github.com\n")
        #expect(name == "team/svc" && api == "https://ghe.corp.example/api/v3")
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("https://api.github.com (github.com)") == true)
        #expect(warnings.first?.contains("team/svc is on ghe.corp.example (from the git remote 'origin'") == true)
        // A repo named without a host lives where the remote of that name lives.
        #expect(try discover("github:\n  repo: team/svc\n") == ("team/svc", "https://ghe.corp.example/api/v3", []))
        #expect(
            try discover("github:\n  api_url: https://ghe.corp.example/api/v3/\n")
                == ("team/svc", "https://ghe.corp.example/api/v3/", []))
        #expect(
            try discover("", flag: "ghe.other.example/acme/netra")
                == ("acme/netra", "https://ghe.other.example/api/v3", []))
        #expect(try discover("", flag: "octo.ghe.com/acme/netra") == ("acme/netra", "https://api.octo.ghe.com", []))
        #expect(try discover("", flag: "github.com/acme/netra") == ("acme/netra", "https://api.github.com", []))
        #expect(
            try discover("github:\n  repo: ghe.other.example/acme/netra\n")
                == ("acme/netra", "https://ghe.other.example/api/v3", []))
        // A local test server is honoured whatever the remote says.
        #expect(
            try discover("github:\n  api_url: http://127.0.0.1:9\n") == ("team/svc", "http://127.0.0.1:9", []))
        #expect(throws: IncidentError.self) { try discover("", flag: "a/b/c/d") }
    }

    @Test func anEnterpriseHostNeverGetsAGitHubComToken() throws {
        let repo = try TestRepo()
        let empty = [
            "GH_TOKEN": "ghp_githubcom", "GITHUB_TOKEN": "ghp_githubcom2", "GH_ENTERPRISE_TOKEN": "",
            "GITHUB_ENTERPRISE_TOKEN": "", "GH_CONFIG_DIR": repo.path("gh"), "HOME": repo.path("home"),
            "PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": repo.path("nogit"), "GIT_CONFIG_NOSYSTEM": "1",
        ]
        func token(_ variables: [String: String] = [:]) throws -> String {
            let workspace = try Workspace.open(
                repo.environment(variables: empty.merging(variables) { $1 }), directory: nil)
            return try GitHubDiscovery(workspace: workspace).token(apiURL: "https://ghe.corp.example/api/v3")
        }
        try repo.write("gh/hosts.yml", "github.com:\n  user: dana\n  oauth_token: gho_githubcom\n")
        #expect { try token() } throws: { error in
            (error as? IncidentError)?.exitCode == 4
                && "\(error)".hasPrefix("no GitHub token for ghe.corp.example: looked in GH_ENTERPRISE_TOKEN")
                && "\(error)".contains("`gh auth login --hostname ghe.corp.example`")
        }
        try repo.write(
            "gh/hosts.yml",
            "github.com:\n  oauth_token: gho_githubcom\nghe.corp.example:\n  user: dana\n  oauth_token: from-hosts\n")
        #expect(try token() == "from-hosts")
        #expect(try token(["GITHUB_ENTERPRISE_TOKEN": "ghe-token"]) == "ghe-token")
    }

    @Test func theTokenNeverTravelsOverPlainHTTPToAnotherMachine() {
        #expect(throws: IncidentError.self) { try GitHubClient.checkTransport("http://api.example.com") }
        #expect(throws: Never.self) { try GitHubClient.checkTransport("http://127.0.0.1:8080") }
        #expect(throws: Never.self) { try GitHubClient.checkTransport("https://ghe.corp.example/api/v3") }
    }
}

/// An HTTP client that fails every request with one transport error, counting the tries.
final class FailingHTTP: HTTPClient, @unchecked Sendable {
    let error: HTTPTransportError
    let tries = Recorder<String>()

    init(_ kind: HTTPTransportError.Kind, _ message: String) {
        error = HTTPTransportError(kind: kind, message: message)
    }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        tries.append(request.url)
        throw error
    }
}

@Suite struct GitHubRetryTests {
    func client(_ http: FailingHTTP, sleeps: Sleeps) throws -> GitHubClient {
        let repo = try TestRepo(git: false)
        let env = repo.environment(http: http, sleeps: sleeps)
        return try GitHubClient(
            http: http, settings: GitHubSettings(apiURL: "https://ghe.corp.example/api/v3", token: "t"), env: env,
            trace: nil)
    }

    @Test(arguments: [
        "could not connect to ghe.corp.example (Connection refused).",
        "could not resolve ghe.corp.example (Could not resolve host: ghe.corp.example); check the network or the API URL.",
    ])
    func aRefusedConnectionOrAnUnknownHostIsTriedTwiceAtMost(message: String) throws {
        let http = FailingHTTP(.connect, message)
        let sleeps = Sleeps()
        #expect { try client(http, sleeps: sleeps).repo("acme/netra") } throws: { error in
            (error as? IncidentError)?.exitCode == 5 && "\(error)".hasPrefix(message)
        }
        #expect(http.tries.all.count == 2)
        #expect(sleeps.all.count == 1 && sleeps.all[0] < 2)
    }

    @Test func timeoutsKeepTheWholeBackoff() throws {
        let http = FailingHTTP(.unknownOutcome, "the request to ghe.corp.example timed out (30000 ms).")
        let sleeps = Sleeps()
        #expect { try client(http, sleeps: sleeps).repo("acme/netra") } throws: { error in
            "\(error)".contains("timed out")
        }
        #expect(http.tries.all.count == 4)
        #expect(sleeps.all.count == 3)
    }
}
