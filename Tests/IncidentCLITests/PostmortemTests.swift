import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// Commits `file` in `repo` with author and committer dates set to `date` (backdated history).
private func commit(
    _ repo: TestRepo, _ file: String, _ subject: String, at date: String, author: String = "Test"
) throws {
    try repo.write(file, "\(subject)\n\(UUID().uuidString)\n")
    try TestRepo.run(["git", "add", file], in: repo.root)
    try TestRepo.run(
        [
            "env", "GIT_AUTHOR_DATE=\(date)", "GIT_COMMITTER_DATE=\(date)", "GIT_AUTHOR_NAME=\(author)",
            "git", "commit", "-q", "-m", subject,
        ], in: repo.root)
}

private func json(_ result: CLI.Result) throws -> Value {
    #expect(result.status == 0, "\(result.stderr)")
    return try YAML.parse(result.stdout)
}

/// The same failure as `exampleLog`, a day later.
let repeatedLog = exampleLog.replacingOccurrences(of: "2025-09-09", with: "2025-09-10")

@Suite struct PostmortemTests {
    // MARK: 1. Timeline

    @Test func theTimelineComesFromTheLogAndGrowsWithTheWork() throws {
        let (repo, id) = try startedRepo()
        var shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        let rows = shown["timeline"]?.array ?? []
        let events = rows.compactMap { $0["event"]?.string }
        // exampleLog: CRITICAL at 02:25:11 and 02:26:11 (the same event), nothing else above WARNING.
        #expect(rows.first?["at"] == "2025-09-09T02:25:11Z")
        #expect(events.first?.hasPrefix("first error: Readiness failed.") == true, "\(events)")
        #expect(
            rows.contains {
                $0["at"] == "2025-09-09T02:26:11Z" && $0["event"]?.string?.hasPrefix("last error:") == true
            })
        #expect(events.contains("incident record opened"))
        #expect(!events.contains { $0.contains("WARNING") || $0.contains("frontend_url") }, "a warning is not an error")
        let identify = shown["sections"]?["identify"]?.string ?? ""
        #expect(identify.contains("**Timeline**") && identify.contains("| 2025-09-09T02:25:11Z | first error: "))
        #expect(identify.contains("```mermaid\ngantt\n"))

        try completeFiveWhys(repo, id)
        let bad = try CLI.run(["set", id, "mitigated=soon"], in: repo.root)
        #expect(bad.status == 64 && bad.stderr.contains("not an ISO 8601 time"), "\(bad.stderr)")
        let set = try CLI.run(
            ["set", id, "mitigated=2025-09-09T03:10Z", "detected=2025-09-09T02:40Z", "--json"], in: repo.root)
        #expect(try json(set)["changed"] == .strings(["detected", "mitigated"]))
        #expect(try CLI.run(["close", id, "--reason", "false-alarm"], in: repo.root).status == 0)
        #expect(try CLI.run(["reopen", id], in: repo.root).status == 0)

        shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        #expect(shown["milestones"]?["mitigated"] == "2025-09-09T03:10:00Z")
        #expect(shown["milestones"]?["detected"] == "2025-09-09T02:40:00Z")
        let later = (shown["timeline"]?.array ?? []).compactMap { $0["event"]?.string }
        #expect(later.contains("stage five-whys completed"))
        #expect(later.contains("closed (false-alarm)") && later.contains("reopened at stage test-plan"))

        // From the first error (02:25:11): detected 02:40:00 is 0.25 h, mitigated 03:10:00 is 0.75 h.
        let stats = try json(try CLI.run(["stats", "--json"], in: repo.root))
        #expect(stats["time_to"]?["median_hours_to_detect"] == .double(0.25))
        #expect(stats["time_to"]?["median_hours_to_mitigate"] == .double(0.75))
        #expect(stats["time_to"]?["median_hours_to_resolve"] == .null)
        #expect(stats["time_to_by_severity"]?["critical"]?["median_hours_to_mitigate"] == .double(0.75))
        #expect(stats["time_to_by_service"]?["redis"]?["median_hours_to_detect"] == .double(0.25))
        let text = try CLI.run(["stats"], in: repo.root).stdout
        #expect(text.contains("critical  ██████████████████████████████ 1   TTD 0.25 h · TTM 0.75 h"), "\(text)")

        // The same error later, added to this open incident, is on the timeline at its first new time.
        try repo.write("later.log", exampleLog.replacingOccurrences(of: "02:26:11", with: "02:57:30"))
        #expect(try CLI.run(["new", "--from-log", "later.log"], in: repo.root).status == 0)
        shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        #expect(
            (shown["timeline"]?.array ?? []).contains {
                $0["at"] == "2025-09-09T02:57:30Z" && $0["event"] == "seen again: 1 new occurrence of the primary error"
            })

        // Clearing a milestone takes it off the record.
        #expect(try CLI.run(["set", id, "mitigated="], in: repo.root).status == 0)
        shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        #expect(shown["milestones"]?["mitigated"] == nil)
    }

    // MARK: 2. Suspect commits

    @Test func suspectCommitsAreTheRecentOnesTouchingWhatTheLogNames() throws {
        let repo = try TestRepo()
        // The first error is 2025-09-09T02:25:11Z; the log names the module app.smd and service redis.
        try commit(repo, "app/smd.py", "Old change to startup", at: "2025-09-08T01:00:00Z")  // 25 h before: outside
        try commit(repo, "deploy/redis/values.yaml", "Move the cache to a new network", at: "2025-09-08T23:25:00Z")
        try commit(repo, "app/smd.py", "Shorten the readiness timeout", at: "2025-09-09T01:25:00Z", author: "Ada")
        try commit(repo, "docs/guide.md", "Docs only", at: "2025-09-09T02:00:00Z")  // touches nothing named
        try commit(repo, "app/smd.py", "After the failure", at: "2025-09-09T03:00:00Z")  // after: not a suspect
        try repo.write("app.log", exampleLog)
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        let created = try json(try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root))
        let suspects = created["suspect_commits"]?.array ?? []
        #expect(
            suspects.map { $0["subject"]?.string ?? "" } == [
                "Shorten the readiness timeout", "Move the cache to a new network",
            ])
        #expect(suspects.first?["author"] == "Ada")
        #expect(suspects.first?["why"]?.string?.contains("app/smd.py") == true)
        #expect(suspects.first?["why"]?.string?.contains("1 h before the first error") == true)
        #expect(suspects.last?["why"]?.string?.contains("service redis") == true)
        let sha = try TestRepo.run(["git", "log", "-1", "--format=%h", "--grep=Shorten"], in: repo.root)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(suspects.first?["sha"] == .string(sha))
        let identify =
            try json(try CLI.run(["show", "latest", "--json"], in: repo.root))["sections"]?["identify"]?
            .string ?? ""
        #expect(identify.contains("| `\(sha)` | Shorten the readiness timeout | Ada |"), "\(identify)")

        // A narrower window keeps only the commit an hour before.
        let narrow = try json(
            try CLI.run(
                ["new", "--from-log", "app.log", "--no-dedupe", "--suspect-window", "2h", "--json"], in: repo.root))
        #expect(
            (narrow["suspect_commits"]?.array ?? []).map { $0["subject"]?.string ?? "" } == [
                "Shorten the readiness timeout"
            ])
        #expect(try CLI.run(["new", "--from-log", "app.log", "--suspect-window", "soon"], in: repo.root).status == 64)
    }

    @Test func noGitRepoMeansNoSuspectsAndNoError() throws {
        let repo = try TestRepo(git: false)
        try repo.write("app.log", exampleLog)
        let created = try json(try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root))
        #expect(created["suspect_commits"] == .array([]))
    }

    // MARK: 3. Seen before

    /// A repo whose pipeline needs no GitHub: identify, five-whys, test-plan, fix.
    func resolvedRepo() throws -> (TestRepo, String) {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, five-whys, test-plan, fix]\n")
        try repo.write("app.log", exampleLog)
        let first = try json(try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root))["id"]!.string!
        try repo.write("tests.yml", "tests:\n  - {name: readiness waits for redis, kind: unit}\n")
        let steps: [[String]] = [
            [
                "--set", "whys=a", "--set", "whys=b", "--set", "whys=c", "--set",
                "root_cause=The VPC connector was detached",
            ],
            ["--answers", "tests.yml"],
            ["--set", "description=Re-attached the VPC connector and added a reachability check"],
        ]
        for step in steps {
            let result = try CLI.run(["advance", first] + step, in: repo.root)
            #expect(result.status == 0, "\(result.stderr)")
        }
        return (repo, first)
    }

    @Test func aRepeatedFailureIsLinkedToItsEarlierFixAndNeedsARecurrenceTest() throws {
        let (repo, first) = try resolvedRepo()
        try repo.write("again.log", repeatedLog)
        let result = try CLI.run(["new", "--from-log", "again.log", "--json"], in: repo.root)
        let created = try json(result)
        #expect(created["recurrence_of"] == .string(first))
        #expect(created["seen_before"]?["root_cause"] == "The VPC connector was detached")
        #expect(created["seen_before"]?["fix"] == "Re-attached the VPC connector and added a reachability check")
        #expect(result.stderr.contains("seen before: \(first)") && result.stderr.contains("fix then: Re-attached"))
        let id = created["id"]!.string!
        let shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        let identify = shown["sections"]?["identify"]?.string ?? ""
        // The link is relative to this file, which sits beside the earlier one in incidents/.
        let earlierPath = try json(try CLI.run(["show", first, "--json"], in: repo.root))["path"]!.string!
        #expect(identify.contains("**Seen before**: [\(first)](\((earlierPath as NSString).lastPathComponent))"))
        #expect(identify.contains("- Root cause then: The VPC connector was detached"))
        // Resolved minutes ago: within the default 30-day window, so the review is required.
        #expect(shown["review"]?["required"] == true)
        #expect(identify.contains("**Review required**: a repeat of \(first)"))

        try completeFiveWhys(repo, id)
        let plain = try CLI.run(["advance", id, "--answers", "tests.yml"], in: repo.root)
        #expect(plain.status == 3 && plain.stderr.contains("seen before (\(first))"), "\(plain.stderr)")
        try repo.write("returns.yml", "tests:\n  - {name: health check, proves: the endpoint returns 200}\n")
        #expect(try CLI.run(["advance", id, "--answers", "returns.yml"], in: repo.root).status == 3)
        let answers = "tests:\n  - {name: readiness waits for redis, proves: the redis timeout does not recur}\n"
        try repo.write("recurrence.yml", answers)
        let good = try CLI.run(["advance", id, "--answers", "recurrence.yml"], in: repo.root)
        #expect(good.status == 0, "\(good.stderr)")
    }

    @Test func aNearMatchOfThePatternCountsAndAnOldRepeatNeedsNoReview() throws {
        let (repo, first) = try resolvedRepo()
        try repo.write(
            ".incident.yml", "stages: [identify, five-whys, test-plan, fix]\nreview: {repeat_window_days: 0}\n")
        // The same failure worded a little differently: another fingerprint, nearly the same pattern.
        try repo.write(
            "near.log",
            repeatedLog.replacingOccurrences(of: "Readiness failed.", with: "Readiness failed again."))
        let created = try json(try CLI.run(["new", "--from-log", "near.log", "--json"], in: repo.root))
        let original = try json(try CLI.run(["show", first, "--json"], in: repo.root))
        #expect(created["fingerprint"] != original["fingerprint"])
        #expect(created["recurrence_of"] == .string(first))
        #expect(created["seen_before"]?["match"]?.string?.contains("similar error pattern") == true)
        let shown = try json(try CLI.run(["show", created["id"]!.string!, "--json"], in: repo.root))
        #expect(shown["review"] == nil)
        // An unrelated failure matches nothing.
        try repo.write("other.log", "2025-09-11T01:00:00Z ERROR disk quota exceeded on volume data-7\n")
        let other = try json(try CLI.run(["new", "--from-log", "other.log", "--json"], in: repo.root))
        #expect(other["recurrence_of"] == .null && other["seen_before"] == .null)
    }

    // MARK: 4. Review, and 7. verify attempts

    @Test func reviewGatesVerifyAndEveryVerifyRunIsKept() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, verify]\nreview: {required_before_verify: true}\n")
        let id = try json(try CLI.run(["new", "--title", "Checkout errors", "--json"], in: repo.root))["id"]!.string!
        let blocked = try CLI.run(["advance", id, "--check", "true"], in: repo.root)
        #expect(blocked.status == 3 && blocked.stderr.contains("must be approved"), "\(blocked.stderr)")

        #expect(try CLI.run(["review", id, "--approve"], in: repo.root).status == 64)
        #expect(try CLI.run(["review", id, "--approve", "--submit", "--by", "x"], in: repo.root).status == 64)
        #expect(try CLI.run(["review", id, "--request-changes", "--by", "lee"], in: repo.root).status == 64)
        let submitted = try json(try CLI.run(["review", id, "--submit", "--by", "dana", "--json"], in: repo.root))
        #expect(submitted["review"]?["state"] == "in-review")
        let pending = try json(try CLI.run(["list", "--review", "pending", "--json"], in: repo.root))
        #expect(pending.array?.map { $0["id"] } == [.string(id)])
        #expect(try CLI.run(["list", "--review", "someday"], in: repo.root).status == 64)
        let sentBack = try json(
            try CLI.run(
                ["review", id, "--request-changes", "--by", "lee", "--note", "add the trigger", "--json"], in: repo.root
            ))
        #expect(sentBack["review"]?["state"] == "draft")
        #expect(try CLI.run(["review", id, "--approve", "--by", "lee", "--note", "good"], in: repo.root).status == 0)
        #expect(try json(try CLI.run(["list", "--review", "pending", "--json"], in: repo.root)).array?.isEmpty == true)
        let approved = try json(try CLI.run(["list", "--review", "approved", "--json"], in: repo.root))
        let history = approved.array?.first?["review"]?["history"]?.array ?? []
        #expect(history.map { $0["action"] } == ["submit", "request-changes", "approve"])
        #expect(history.map { $0["by"] } == ["dana", "lee", "lee"])
        #expect(history[1]["note"] == "add the trigger")

        // A failed run is kept, then the passing one; the section lists both in order.
        let failed = try CLI.run(["advance", id, "--check", "exit 4"], in: repo.root)
        #expect(failed.status == 3, "\(failed.stderr)")
        var shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        #expect(shown["verify_attempts"]?.array?.map { $0["result"] } == ["failed"])
        #expect(shown["verify_attempts"]?.array?.first?["checks"]?.array?.first?["exit_status"] == 4)
        let passed = try CLI.run(["advance", id, "--check", "true"], in: repo.root)
        #expect(passed.status == 0, "\(passed.stderr)")
        shown = try json(try CLI.run(["show", id, "--json"], in: repo.root))
        #expect(shown["verify_attempts"]?.array?.map { $0["result"] } == ["failed", "passed"])
        #expect(shown["status"] == "resolved")
        #expect(shown["milestones"]?["resolved"]?.string != nil)
        let section = shown["sections"]?["verify"]?.string ?? ""
        let first = section.range(of: "1. ")
        let second = section.range(of: "2. ")
        #expect(first != nil && second != nil && first!.lowerBound < second!.lowerBound, "\(section)")
        #expect(section.contains("**failed** · exit 4 failed (exit 4,") && section.contains("**passed**"), "\(section)")
        let events = (shown["timeline"]?.array ?? []).compactMap { $0["event"]?.string }
        #expect(events.contains("checks failed (attempt 1: exit 4)") && events.contains("review approved by lee"))
    }

    // MARK: 5. Blameless

    @Test func blamefulWordingIsAWarningNotAFailure() throws {
        let (repo, id) = try startedRepo()
        #expect(try CLI.run(["set", id, "owner=Dana"], in: repo.root).status == 0)
        let result = try CLI.run(
            [
                "advance", id, "--set", "whys=a", "--set", "whys=b", "--set", "whys=Dana forgot the firewall rule",
                "--set", "root_cause=Human error: the rule should have been added",
            ], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        for phrase in ["\"forgot\"", "\"Human error\"", "\"should have\"", "names Dana"] {
            #expect(result.stderr.contains(phrase), "\(phrase) in \(result.stderr)")
        }
        let doctor = try CLI.run(["doctor", "--json"], in: repo.root)
        #expect(doctor.status == 0, "\(doctor.stdout)")
        let warnings = (try YAML.parse(doctor.stdout)["warnings"]?.array ?? []).compactMap { $0["message"]?.string }
        #expect(warnings.contains { $0.hasPrefix("five-whys.root_cause: \"Human error\"") }, "\(warnings)")
        // Neutral wording draws nothing.
        let (clean, cleanID) = try startedRepo()
        let neutral = try CLI.run(
            [
                "advance", cleanID, "--set", "whys=a", "--set", "whys=b", "--set", "whys=c", "--set",
                "root_cause=The deploy checklist has no step for firewall rules",
            ], in: clean.root)
        #expect(neutral.status == 0 && !neutral.stderr.contains("warning"), "\(neutral.stderr)")
    }

    // MARK: 8. Export

    @Test func exportWritesCleanMarkdownAndAPublicPageWithoutInternals() throws {
        let repo = try TestRepo()
        let log = """
            2025-09-09 02:25:04.512 | INFO     | app.db:connect:9 - connecting to cache-1.prod.internal as ops@example.com
            2025-09-09 02:25:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed for redis at 10.128.0.12:6379 tenant acme-corp
            2025-09-09 02:26:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed for redis at 10.128.0.12:6379 tenant acme-corp

            """
        try repo.write("app.log", log)
        let id = try json(try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root))["id"]!.string!
        try completeFiveWhys(repo, id)
        // A pattern added after the fact still applies to a public export.
        try repo.write(".incident.yml", "redact:\n  patterns: [{name: tenant, regex: 'acme-corp'}]\n")

        let markdown = try CLI.run(["export", id, "--format", "md"], in: repo.root)
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(!markdown.stdout.contains("<!-- incident:"))
        #expect(markdown.stdout.contains("## Timeline") && markdown.stdout.contains("## Five Whys Analysis"))
        #expect(markdown.stdout.contains("10.128.0.12") && markdown.stdout.contains("acme-corp"))

        let open = try CLI.run(["export", id, "--format", "md", "--public"], in: repo.root)
        #expect(open.status == 0, "\(open.stderr)")
        for secret in ["10.128.0.12", "ops@example.com", "cache-1.prod.internal", "acme-corp", "**Excerpt**"] {
            #expect(!open.stdout.contains(secret), "\(secret) in the public export")
        }
        #expect(open.stdout.contains("```mermaid") && open.stdout.contains("## Timeline"))
        // Times are not hosts: the occurrences line and the timeline keep theirs.
        #expect(open.stdout.contains("first 2025-09-09T02:25:11Z") && open.stdout.contains("| 2025-09-09T02:25:11Z |"))

        let page = try CLI.run(["export", id, "--format", "html", "--public", "--output", "page.html"], in: repo.root)
        #expect(page.status == 0, "\(page.stderr)")
        let html = try repo.read("page.html")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("<circle class=\"event\""))
        #expect(html.contains("<pre class=\"mermaid\">flowchart TD"))
        #expect(html.contains("<table>") && html.contains("<h2>Five Whys Analysis</h2>"))
        // Self-contained: one inline script (the flowchart), nothing loaded from anywhere.
        #expect(html.components(separatedBy: "<script>").count == 2)
        for absent in ["<script src", "<link", " src=", "10.128.0.12", "acme-corp"] {
            #expect(!html.contains(absent), "\(absent) in the page")
        }
        #expect(try CLI.run(["export", id, "--format", "pdf"], in: repo.root).status == 64)
    }

    /// Issue: after `review --approve --by lee`, "review approved by lee" was in the public export's
    /// timeline table, its gantt and the HTML's SVG, though `--public` leaves reviewers out. The rows
    /// stay, naming no one, also where a section rendered after the review holds them.
    @Test func aPublicExportNamesNoReviewer() throws {
        let repo = try TestRepo()
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        #expect(try CLI.run(["new", "--title", "Checkout latency over SLO"], in: repo.root).status == 0)
        let steps = [
            ["--submit", "--by", "Kim Vasquez"], ["--request-changes", "--by", "Jo Park", "--note", "add the graph"],
            ["--submit", "--by", "Kim Vasquez"], ["--approve", "--by", "Leela Okafor"],
        ]
        for step in steps {
            let result = try CLI.run(["review", "latest"] + step, in: repo.root)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        // A stage whose template shows the timeline, completed after the review, carries the review
        // rows in the body itself.
        #expect(try CLI.run(["templates", "eject", "five-whys"], in: repo.root).status == 0)
        try repo.write(
            "templates/five-whys.md",
            try repo.read("templates/five-whys.md") + "\n{{timeline.table}}\n\n```mermaid\n{{timeline.mermaid}}\n```\n")
        try completeFiveWhys(repo, "latest")
        let body = try repo.read(try repo.incidentFiles()[0])
        #expect(body.contains("| review approved by Leela Okafor |"), "the body's timeline: \(body)")
        #expect(body.contains("  review approved by Leela Okafor : milestone"), "the body's gantt: \(body)")
        let names = ["Kim Vasquez", "Jo Park", "Leela Okafor"]

        let full = try CLI.run(["export", "latest", "--format", "md"], in: repo.root)
        #expect(full.status == 0, "\(full.stderr)")
        for name in names { #expect(full.stdout.contains(name), "\(name): the internal export keeps reviewers") }

        for format in ["md", "html"] {
            let printed = try CLI.run(["export", "latest", "--format", format, "--public"], in: repo.root)
            #expect(printed.status == 0, "\(printed.stderr)")
            let written = try CLI.run(
                ["export", "latest", "--format", format, "--public", "--output", "public.\(format)"], in: repo.root)
            #expect(written.status == 0, "\(written.stderr)")
            for text in [printed.stdout, try repo.read("public.\(format)")] {
                for name in names { #expect(!text.contains(name), "\(name) in the public \(format) export") }
                for row in ["submitted for review", "changes requested in review", "review approved"] {
                    #expect(text.contains(row), "\(format): the row '\(row)' stays, naming no one")
                }
            }
        }
        let page = try repo.read("public.html")
        let svg = page[page.range(of: "<svg")!.lowerBound..<page.range(of: "</svg>")!.upperBound]
        #expect(svg.contains(">review approved<"), "the SVG's label: \(svg)")
    }

    // MARK: 6. Presets

    @Test func aPresetWritesItsStagesAndTemplatesAndRunsThroughThePipeline() throws {
        let repo = try TestRepo()
        let result = try CLI.run(["init", "--preset", "google"], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            try repo.read(".incident.yml").contains(
                "stages: [identify, impact, causes, lessons, test-plan, issue, fix, verify]   # preset google"))
        // The preset's templates are built in (they follow upgrades); --eject-templates copies that set.
        #expect(!FileManager.default.fileExists(atPath: repo.path("templates")))
        let listed = try json(try CLI.run(["templates", "list", "--json"], in: repo.root))
        for name in ["impact", "causes", "lessons"] {
            #expect(listed.array?.first { $0["name"]?.string == name }?["in_stages"] == .bool(true), "\(name)")
        }
        let ejecting = try TestRepo()
        #expect(try CLI.run(["init", "--preset", "google", "--eject-templates"], in: ejecting.root).status == 0)
        for name in ["identify", "impact", "causes", "lessons", "test-plan", "issue", "fix", "verify", "github-issue"] {
            #expect(FileManager.default.fileExists(atPath: ejecting.path("templates/\(name).md")), "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: ejecting.path("templates/five-whys.md")))
        let id = try json(try CLI.run(["new", "--title", "Checkout down", "--json"], in: repo.root))["id"]!.string!
        let impact = try CLI.run(
            ["advance", id, "--set", "summary=Checkout failed for 40 minutes.", "--set", "impact=All EU users."],
            in: repo.root)
        #expect(impact.status == 0, "\(impact.stderr)")
        // Trigger is its own field, apart from root cause and contributing factors.
        let missing = try CLI.run(
            ["advance", id, "--set", "root_cause=r", "--set", "contributing_factors=c"], in: repo.root)
        #expect(missing.status == 3 && missing.stderr.contains("trigger"), "\(missing.stderr)")
        let causes = try CLI.run(
            [
                "advance", id, "--set", "trigger=A config push", "--set", "root_cause=No canary for config",
                "--set", "contributing_factors=Alerts paged the wrong team",
            ], in: repo.root)
        #expect(causes.status == 0, "\(causes.stderr)")
        try repo.write(
            "lessons.yml",
            "went_well: [Rollback took 2 minutes]\nwent_wrong: [The alert went to the wrong team]\ngot_lucky: [Low traffic]\naction_items:\n  - {action: Canary config pushes, owner: dana}\n"
        )
        let lessons = try CLI.run(["advance", id, "--answers", "lessons.yml"], in: repo.root)
        #expect(lessons.status == 0, "\(lessons.stderr)")
        let sections = try json(try CLI.run(["show", id, "--json"], in: repo.root))["sections"]
        #expect(sections?["causes"]?.string?.contains("**Trigger**: A config push") == true)
        let text = sections?["lessons"]?.string ?? ""
        #expect(
            text.contains("**Where we got lucky**:\n- Low traffic")
                && text.contains("- [ ] Canary config pushes (dana)"))

        // Without a preset: the seed's pipeline and only its templates.
        let plain = try TestRepo()
        #expect(try CLI.run(["init"], in: plain.root).status == 0)
        #expect(
            try plain.read(".incident.yml").contains("stages: [identify, five-whys, test-plan, issue, fix, verify]\n"))
        #expect(!FileManager.default.fileExists(atPath: plain.path("templates/impact.md")))

        let minimal = try TestRepo()
        #expect(try CLI.run(["init", "--preset", "minimal"], in: minimal.root).status == 0)
        #expect(try minimal.read(".incident.yml").contains("stages: [identify, five-whys, fix]"))
        #expect(try CLI.run(["init", "--preset", "itil"], in: minimal.root).status == 64)
        let again = try CLI.run(["init", "--preset", "atlassian"], in: minimal.root)
        #expect(again.status == 0 && again.stderr.contains("preset's stages were not written"), "\(again.stderr)")
    }

    /// In Debian's chromium (a test dependency: `make deps` and `.ci/run` install it): the page
    /// renders, the timeline SVG is drawn, and the inline script draws the five-whys flowchart
    /// from its Mermaid source (one box per why, plus the failure and the root cause).
    @Test func theExportedPageRendersInHeadlessChromium() throws {
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        #expect(browser != nil, "chromium is a test dependency: run `make deps` (Debian package chromium)")
        guard let browser else { return }
        let (repo, id) = try startedRepo()
        // A why with an arrow in its text ("web --> api") is a label, not an edge of the chart.
        #expect(
            try CLI.run(
                ["advance", id, "--set", "whys=calls from web --> api timed out", "--set", "whys=b", "--set", "whys=c",
                 "--set", "root_cause=r"], in: repo.root
            ).status == 0)
        #expect(try CLI.run(["export", id, "--format", "html", "--output", "page.html"], in: repo.root).status == 0)
        let dom = try TestRepo.run(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + repo.path(".chromium"),
                "--dump-dom", "file://" + repo.path("page.html"),
            ], in: repo.root)
        #expect(dom.contains("<h2>Timeline</h2>") && dom.contains("<circle class=\"event\""))
        let flowchart = dom.components(separatedBy: "<figure class=\"flowchart\">").dropFirst().first ?? ""
        let nodes = flowchart.components(separatedBy: "</figure>")[0].components(separatedBy: "<div class=\"node\">")
            .dropFirst()
        // The whys answered above and the root cause r.
        #expect(nodes.count == 5, "\(dom)")
        #expect(nodes.contains { $0.hasPrefix("calls from web --&gt; api timed out</div>") }, "\(nodes)")
        #expect(nodes.last?.hasPrefix("Root cause: r</div>") == true)
        #expect(dom.contains("<details><summary>Mermaid source</summary><pre class=\"mermaid\">flowchart TD"))
    }
}
