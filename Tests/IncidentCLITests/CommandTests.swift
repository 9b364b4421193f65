import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

let exampleLog = """
    2025-09-09 02:25:04.512 | INFO     | app.smd:startup:1 - Starting up with token ghp_Q8mZ3vR7tL2xK9wB4nY6cD1fH5jP0sA8eU3i
    2025-09-09 02:25:04.530 | WARNING  | app.config:validate:88 - Configuration validation issue: frontend_url contains localhost in staging environment
    2025-09-09 02:25:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.51s
    2025-09-09 02:26:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.49s

    """

/// A repo with `incident init` run and one incident made from `exampleLog`.
func startedRepo() throws -> (TestRepo, String) {
    let repo = try TestRepo()
    try repo.write("app.log", exampleLog)
    #expect(try CLI.run(["init"], in: repo.root).status == 0)
    let created = try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root)
    #expect(created.status == 0, "\(created.stderr)")
    let id = try YAML.parse(created.stdout)["id"]?.string ?? ""
    return (repo, id)
}

/// Completes five-whys with the fewest answers its gate takes.
func completeFiveWhys(_ repo: TestRepo, _ id: String, env: [String: String] = [:]) throws {
    let result = try CLI.run(
        ["advance", id, "--set", "whys=a", "--set", "whys=b", "--set", "whys=c", "--set", "root_cause=r"],
        in: repo.root, env: env)
    #expect(result.status == 0, "\(result.stderr)")
}

@Suite struct CommandTests {
    @Test func initIsSafeToRunTwice() throws {
        let repo = try TestRepo()
        let first = try CLI.run(["init"], in: repo.root)
        #expect(first.status == 0)
        #expect(first.stdout.contains("created  .incident.yml"))
        // The built-in templates stay built in (a copy would not receive later fixes) unless asked for.
        #expect(!FileManager.default.fileExists(atPath: repo.path("templates")))
        try repo.write("templates/five-whys.md", "mine")
        let second = try CLI.run(["init", "--eject-templates"], in: repo.root)
        #expect(second.status == 0 && second.stdout.contains("kept     templates/five-whys.md"))
        #expect(second.stdout.contains("created  templates/verify.md"))
        #expect(try repo.read("templates/five-whys.md") == "mine")
    }

    @Test func newFromAFileAndFromStdinWithTheJSONContract() throws {
        let repo = try TestRepo()
        try repo.write("app.log", exampleLog)
        let result = try CLI.run(["new", "--from-log", "app.log", "--json", "--env", "staging"], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try YAML.parse(result.stdout)
        let keys = [
            "id", "path", "title", "severity", "stage", "status", "fingerprint", "services", "occurrences",
            "first_seen",
            "last_seen", "recurrence_of", "deduplicated", "new_occurrences", "redactions", "seen_before",
            "suspect_commits",
        ]
        #expect(Array(json.object!.keys) == keys)
        #expect(json["severity"] == "critical" && json["stage"] == "five-whys" && json["deduplicated"] == false)
        #expect(json["redactions"]?["github-token"] == 1)
        #expect(json["recurrence_of"] == .null)
        let path = json["path"]!.string!
        let text = try repo.read(path)
        #expect(!text.contains("ghp_Q8mZ"))
        #expect(text.contains("environment: staging"))

        let piped = try CLI.run(
            ["new", "--from-log", "-", "--no-dedupe", "--title", "From stdin"], in: repo.root, stdin: exampleLog)
        #expect(piped.status == 0 && piped.stdout.contains("Created inc-"), "\(piped.stderr)")
        #expect(try repo.incidentFiles().count == 2)
    }

    /// What the log does not say is left out, not printed blank: a log without times has no
    /// "first , last " and a second `new` says no "last seen ?"; repeats within one second (times
    /// read to the second) have no "about every 0 s".
    @Test func occurrencesSayOnlyWhatTheLogSays() throws {
        let repo = try TestRepo()
        try repo.write("untimed.log", "ERROR payment gateway refused card batch\nERROR payment gateway refused card batch\n")
        try repo.write(
            "burst.log",
            (0..<6).map { "2025-01-01T00:00:0\($0 / 3)Z ERROR ledger write refused for batch\n" }.joined())
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        for log in ["untimed.log", "burst.log"] {
            let created = try CLI.run(["new", "--from-log", log, "--json"], in: repo.root)
            #expect(created.status == 0, "\(created.stderr)")
            let text = try repo.read(try YAML.parse(created.stdout)["path"]!.string!)
            let line = text.split(separator: "\n").first { $0.hasPrefix("**Occurrences**") }.map(String.init) ?? ""
            #expect(!line.isEmpty && !line.contains("first ,") && !line.hasSuffix("last ") && !line.contains("every 0 s"), "\(line)")
        }
        // Flags that describe a new incident are said to be unused when the log joins an open one.
        let again = try CLI.run(["new", "--from-log", "untimed.log", "--title", "Other", "--env", "prod"], in: repo.root)
        #expect(again.status == 0 && again.stdout.contains("same error as before") && !again.stdout.contains("?"), "\(again.stdout)")
        #expect(again.stderr.contains("--title, --env not applied") && again.stderr.contains("--no-dedupe"), "\(again.stderr)")
    }

    @Test func badInputIsOneSentenceWithTheRightExitCode() throws {
        let repo = try TestRepo()
        let missing = try CLI.run(["new", "--from-log", "nope.log"], in: repo.root)
        #expect(
            missing.status == 64 && missing.stderr == "error: log file 'nope.log' does not exist; check the path.\n")
        try FileManager.default.createDirectory(atPath: repo.path("logs"), withIntermediateDirectories: true)
        let folder = try CLI.run(["new", "--from-log", "logs"], in: repo.root)
        #expect(folder.status == 64 && folder.stderr.contains("'logs' is a folder"))
        let untitled = try CLI.run(["new"], in: repo.root)
        #expect(untitled.status == 64 && untitled.stderr.contains("needs --title"))
        let severity = try CLI.run(["new", "--title", "x", "--severity", "huge"], in: repo.root)
        #expect(severity.status == 64 && severity.stderr.contains("huge"))
        let flag = try CLI.run(["list", "--colour"], in: repo.root)
        #expect(flag.status == 64)
        let nothing = try CLI.run(["show", "kafka"], in: repo.root)
        #expect(nothing.status == 1 && nothing.stderr.contains("no incident matches 'kafka'"))
        #expect(try repo.incidentFiles().isEmpty)
    }

    @Test func advanceThroughTheStagesWithAnswersSetAndSkip() throws {
        let (repo, id) = try startedRepo()
        let gate = try CLI.run(["advance", id], in: repo.root)
        #expect(gate.status == 3)
        #expect(gate.stderr.contains("whys (Why?): at least 3 entries, have 0"))
        #expect(gate.stderr.contains("root_cause (Root cause): required"))

        try repo.write("whys.json", #"{"whys": ["a", "b", "c"], "root_cause": "r", "contributing_factors": ["f"]}"#)
        #expect(try CLI.run(["advance", id, "--answers", "whys.json"], in: repo.root).status == 0)
        let unknown = try CLI.run(["advance", id, "--set", "colour=red"], in: repo.root)
        #expect(unknown.status == 64 && unknown.stderr.contains("'colour' is not a field of stage test-plan"))
        let plan = try CLI.run(
            ["advance", id, "--answers", "-"], in: repo.root, stdin: "tests:\n  - {name: reconnects, kind: e2e}\n")
        #expect(plan.status == 0, "\(plan.stderr)")
        let issue = try CLI.run(["advance", id], in: repo.root)
        #expect(issue.status == 3 && issue.stderr.contains("no GitHub issue"))
        let noReason = try CLI.run(["advance", id, "--skip"], in: repo.root)
        #expect(noReason.status == 64)
        #expect(try CLI.run(["advance", id, "--skip", "--reason", "tracked elsewhere"], in: repo.root).status == 0)
        #expect(
            try CLI.run(["advance", id, "--set", "description=Re-attached the VPC connector."], in: repo.root).status
                == 0)
        let verify = try CLI.run(["advance", id, "--check", "true", "--json"], in: repo.root)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(try YAML.parse(verify.stdout)["status"] == "resolved")

        let shown = try YAML.parse(try CLI.run(["show", id, "--json"], in: repo.root).stdout)
        #expect(
            Array(shown["sections"]!.object!.keys) == ["identify", "five-whys", "test-plan", "issue", "fix", "verify"])
        #expect(shown["stages"]?["issue"]?["reason"] == "tracked elsewhere")
        #expect(shown["path"]?.string?.hasPrefix("incidents/") == true)
    }

    @Test func listFiltersAndPrintsJSON() throws {
        let (repo, id) = try startedRepo()
        #expect(
            try CLI.run(
                ["new", "--title", "Disk full on db-1", "--severity", "low", "--service", "postgres"], in: repo.root
            ).status == 0)
        let table = try CLI.run(["list"], in: repo.root)
        #expect(table.stdout.hasPrefix("ID "))
        #expect(table.stdout.contains(id) && table.stdout.contains("Disk full on db-1"))
        let json = try YAML.parse(try CLI.run(["list", "--json", "--severity", "critical"], in: repo.root).stdout)
        #expect(json.array?.count == 1)
        #expect(json.array?.first?["id"]?.string == id)
        #expect(json.array?.first?["path"]?.string?.hasPrefix("incidents/") == true)
        #expect(
            try YAML.parse(try CLI.run(["list", "--json", "--service", "postgres"], in: repo.root).stdout).array?.count
                == 1)
        #expect(
            try YAML.parse(try CLI.run(["list", "--json", "--since", "2999-01-01"], in: repo.root).stdout).array?.count
                == 0)
        #expect(try CLI.run(["list", "--since", "yesterdayish"], in: repo.root).status == 64)
        // A service in another case is the same service; a stage that does not exist is a typo.
        #expect(
            try YAML.parse(try CLI.run(["list", "--json", "--service", "Postgres"], in: repo.root).stdout).array?.count
                == 1)
        let bogus = try CLI.run(["list", "--stage", "bogus"], in: repo.root)
        #expect(bogus.status == 64 && bogus.stderr.contains("the stages are identify, five-whys"), "\(bogus.stderr)")
        #expect(try CLI.run(["list", "--stage", "five-whys"], in: repo.root).stdout.contains(id))
    }

    @Test func setChangesFieldsAndKeepsEverythingElse() throws {
        let (repo, id) = try startedRepo()
        let path = try repo.incidentFiles()[0]
        var text = try repo.read(path)
        text = text.replacingOccurrences(
            of: "recurrence_of: null\n", with: "recurrence_of: null\nrunbook: https://wiki/redis   # team key\n")
        text += "\nMy own notes at the end.\n"
        try repo.write(path, text)
        let result = try CLI.run(["set", id, "severity=high", "owner=dana", "services=redis,postgres"], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        let after = try repo.read(path)
        #expect(
            after.contains("severity: high\n") && after.contains("owner: dana\n")
                && after.contains("services: [redis, postgres]"))
        // The hand-added key keeps its comment: entries a rewrite does not change are copied as written.
        #expect(after.contains("runbook: https://wiki/redis   # team key\n"))
        #expect(after.hasSuffix("\nMy own notes at the end.\n"))
        let bad = try CLI.run(["set", id, "stage=verify"], in: repo.root)
        #expect(bad.status == 64 && bad.stderr.contains("'stage' cannot be set"))
    }

    @Test func templatesListShowAndEject() throws {
        let repo = try TestRepo()
        let list = try CLI.run(["templates", "list"], in: repo.root)
        #expect(list.status == 0 && list.stdout.contains("five-whys") && list.stdout.contains("built-in five-whys.md"))
        let show = try CLI.run(["templates", "show", "test-plan"], in: repo.root)
        #expect(show.stdout.hasPrefix("---\nstage: test-plan\n"))
        #expect(try CLI.run(["templates", "show", "nope"], in: repo.root).status == 64)
        // One template by name: only that one is copied, and an unchanged copy is not marked as edited.
        let one = try CLI.run(["templates", "eject", "five-whys"], in: repo.root)
        #expect(one.status == 0 && one.stdout == "wrote  templates/five-whys.md\n", "\(one.stdout)")
        #expect(!FileManager.default.fileExists(atPath: repo.path("templates/verify.md")))
        #expect(try CLI.run(["templates", "eject", "nope"], in: repo.root).status == 64)
        let copied = try CLI.run(["templates", "list", "--json"], in: repo.root)
        let entry = try #require(try YAML.parse(copied.stdout).array?.first { $0["name"] == "five-whys" })
        #expect(entry["origin"] == "templates/five-whys.md" && entry["differs_from_built_in"] == false)
        try repo.write("templates/five-whys.md", (try repo.read("templates/five-whys.md")) + "\nOur note.\n")
        let edited = try CLI.run(["templates", "list"], in: repo.root)
        #expect(edited.stdout.contains("templates/five-whys.md (edited)"), "\(edited.stdout)")
        #expect(edited.stdout.contains("does not receive the built-in's fixes"))

        #expect(try CLI.run(["templates", "eject"], in: repo.root).stdout.contains("wrote  templates/verify.md"))
        try repo.write("templates/verify.md", "---\nfields: [\n---\n")
        let broken = try CLI.run(["templates", "list"], in: repo.root)
        #expect(broken.stdout.contains("templates/verify.md") && broken.stdout.contains("broken"))
    }

    @Test func malformedAndNonUTF8IncidentFilesAreNamedAndLeftAlone() throws {
        let (repo, _) = try startedRepo()
        try repo.write("incidents/2025-01-01-broken.md", "---\nid: inc-broken\ntitle: [unclosed\n---\n")
        try repo.writeBytes("incidents/2025-01-02-latin1.md", Array("---\nid: inc-latin\n---\ncaf".utf8) + [0xE9])
        let broken = try CLI.run(["show", "2025-01-01-broken.md"], in: repo.root)
        #expect(broken.status == 1 && broken.stderr.contains("incidents/2025-01-01-broken.md:3"))
        let latin = try CLI.run(["show", "2025-01-02-latin1"], in: repo.root)
        #expect(latin.status == 1 && latin.stderr.contains("2025-01-02-latin1.md is not UTF-8"))
        // Part of its name finds it among the files that cannot be read, and says so in one sentence.
        let partial = try CLI.run(["show", "latin1"], in: repo.root)
        #expect(
            partial.status == 1
                && partial.stderr.contains("'latin1' may be incidents/2025-01-02-latin1.md, which cannot be read: "),
            "\(partial.stderr)")
        let list = try CLI.run(["list"], in: repo.root)
        #expect(list.status == 0 && list.stderr.contains("warning: skipped one file: incidents/2025-01-01-broken.md"))
        #expect(list.stderr.contains("warning: skipped one file: incidents/2025-01-02-latin1.md is not UTF-8"))
        #expect(try repo.read("incidents/2025-01-01-broken.md") == "---\nid: inc-broken\ntitle: [unclosed\n---\n")
    }

    @Test func fromLogDashRefusesToWaitOnATerminal() throws {
        let repo = try TestRepo()
        let session = try PTYSession(["new", "--from-log", "-"], in: repo.root)
        try session.expect("standard input, which is a terminal")
        #expect(try session.wait() == 64)
        // --answers - likewise (it waited silently, then fell into the prompts).
        let (started, id) = try startedRepo()
        let answers = try PTYSession(["advance", id, "--answers", "-"], in: started.root)
        try answers.expect("'--answers -' reads answers from standard input, which is a terminal")
        #expect(try answers.wait() == 64)
    }

    @Test func analyzePrintsAReportJSONAndEventRowsAndWritesNothingElse() throws {
        let repo = try TestRepo()
        try repo.write(
            "app.log",
            exampleLog + "Traceback (most recent call last):\n  File \"/app/x.py\", line 1, in f\nValueError: bad\n")
        let report = try CLI.run(["analyze", "app.log"], in: repo.root)
        #expect(
            report.status == 0 && report.stdout.contains("Primary error (critical, 2×)")
                && report.stdout.contains("Top events"))
        let json = try YAML.parse(
            try CLI.run(["analyze", "app.log", "--json", "--events-out", "rows.tsv"], in: repo.root).stdout)
        let keys = [
            "input", "title", "severity", "environment", "services", "source_locations", "warnings", "fingerprint",
            "primary", "runners_up", "events", "redactions",
        ]
        #expect(Array(json.object!.keys) == keys)
        #expect(json["input"]?["lines"] == 7 && json["input"]?["format"] == "plain")
        #expect(json["redactions"]?["github-token"] == 1)
        let rows = try repo.read("rows.tsv").split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.count == 7 && rows.map { $0[0] } == (1...7).map(String.init))
        #expect(
            rows[4][1] == rows[3][1] && rows[5][1] == rows[3][1] && rows[6][1] == rows[3][1],
            "the traceback joins the line before it")
        #expect(try repo.incidentFiles().isEmpty)
        let gz = try CLI.run(["analyze", "missing.log.gz"], in: repo.root)
        #expect(gz.status == 64 && gz.stderr.contains("'missing.log.gz' does not exist"))
    }

    @Test func helpTeaches() throws {
        let repo = try TestRepo()
        let help = try CLI.run(["advance", "--help"], in: repo.root)
        #expect(help.status == 0 && help.stdout.contains("Examples:") && help.stdout.contains("--skip"))
    }
}

@Suite struct NewOutputTests {
    @Test func oneOccurrenceIsWordedInTheSingular() throws {
        let repo = try TestRepo()
        try repo.write("one.log", "2025-09-09T02:25:11Z ERROR payment gateway timed out\n")
        let result = try CLI.run(["new", "--from-log", "one.log"], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("· 1 occurrence") && !result.stdout.contains("1 occurrences"), "\(result.stdout)")
    }
}

/// Issue 14 point 4: the stage list can change under an open incident; doctor and advance say so.
@Suite struct StageDriftTests {
    @Test func aStageAddedBeforeTheCurrentOneIsAskedForFirstAndARemovedOneIsReported() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        // Now at test-plan. A team adds a comms stage after five-whys and drops five-whys itself.
        try repo.write(
            "templates/comms.md",
            "---\nstage: comms\ntitle: Communications\nfields:\n  - id: channel\n    type: input\n    validations: {required: true}\n---\nPosted in {{answers.channel}}.\n"
        )
        try repo.write(
            ".incident.yml",
            (try repo.read(".incident.yml")).replacingOccurrences(
                of: "stages: [identify, five-whys, test-plan, issue, fix, verify]",
                with: "stages: [identify, comms, test-plan, issue, fix, verify]"))

        let doctor = try CLI.run(["doctor"], in: repo.root)
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("now include 'comms' before 'test-plan', which \(id) has not done"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("has a record of 'five-whys', no longer in the stages"), "\(doctor.stdout)")

        // advance asks for the added stage first, says so, and then returns to test-plan.
        let advance = try CLI.run(["advance", id, "--set", "channel=#inc-redis", "--json"], in: repo.root)
        #expect(advance.status == 0, "\(advance.stderr)")
        #expect(advance.stderr.contains("asks for 'comms' first"), "\(advance.stderr)")
        let json = try YAML.parse(advance.stdout)
        #expect(json["stage"] == "comms")
        let file = try repo.read(try #require(json["path"]?.string))
        #expect(file.contains("\nstage: test-plan\n"))
        #expect(file.contains("Posted in #inc-redis."))

        // With the added stage done, only the removed one is left to report.
        let again = try CLI.run(["doctor"], in: repo.root)
        #expect(!again.stdout.contains("now include"), "\(again.stdout)")
        #expect(again.stdout.contains("no longer in the stages"))
    }
}
