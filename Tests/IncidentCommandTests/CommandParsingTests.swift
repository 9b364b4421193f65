import ArgumentParser
import Foundation
import IncidentKit
import Testing

@testable import incident

/// argv → request, in process: each command parsed as `incident` parses it (`parseAsRoot`, which
/// also runs `validate()`), and the request its `run()` hands the workflow checked field by field.
/// Nothing here builds the live environment or touches the disk.
@Suite struct CommandParsingTests {
    /// The command `incident ARGV` would run, as its own type.
    func parse<C: ParsableCommand>(_ argv: [String], as _: C.Type) throws -> C {
        let command = try Incident.parseAsRoot(argv)
        return try #require(command as? C, "\(argv) parsed as \(type(of: command))")
    }

    /// The message and exit code `incident ARGV` ends with when argument parsing refuses it.
    func refusal(_ argv: [String]) -> (message: String, code: Int32)? {
        do {
            let command = try Incident.parseAsRoot(argv)
            Issue.record("\(argv) was accepted as \(type(of: command))")
            return nil
        } catch {
            return (Incident.message(for: error), Incident.exitCode(for: error).rawValue)
        }
    }

    func expectUsageError(_ argv: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let refused = refusal(argv) else { return }
        #expect(refused.message == message, sourceLocation: sourceLocation)
        #expect(refused.code == 64, "usage errors exit 64 (SPEC)", sourceLocation: sourceLocation)
    }

    // MARK: commands that start or change an incident

    @Test func initTranslatesItsFlagsAndTheRepoRoot() throws {
        let plain = try parse(["init"], as: InitCommand.self).request()
        #expect(plain.directory == nil && plain.apiURL == nil && plain.preset == nil && !plain.ejectTemplates)
        let full = try parse(
            [
                "init", "--dir", "/srv/repo", "--api-url", "https://ghe.example/api/v3", "--preset", "google",
                "--eject-templates", "--json",
            ], as: InitCommand.self)
        let request = full.request()
        #expect(request.directory == "/srv/repo")
        #expect(request.apiURL == "https://ghe.example/api/v3")
        #expect(request.preset == .google)
        #expect(request.ejectTemplates && full.json)
        expectUsageError(
            ["init", "--preset", "itil"],
            "The value 'itil' is invalid for '--preset <name>'. Please provide one of 'google', 'pagerduty', 'atlassian' or 'minimal'."
        )
    }

    @Test func newTranslatesEveryOptionAndReadsStandardInputForDash() throws {
        let plain = try parse(["new", "--title", "Checkout latency"], as: NewCommand.self).request()
        #expect(plain.fromLog == nil && plain.title == "Checkout latency" && plain.severity == nil)
        #expect(plain.environment == nil && plain.services.isEmpty && plain.sets.isEmpty && !plain.noDedupe)
        #expect(plain.suspectWindowHours == nil)

        let command = try parse(
            [
                "new", "--from-log", "-", "--severity", "high", "--env", "staging", "--service", "redis", "--service",
                "api",
                "--set", "impact=Chat down", "--set", "owner=dana", "--no-dedupe", "--suspect-window", "90m", "--json",
            ],
            as: NewCommand.self)
        let request = try command.request()
        #expect(request.fromLog == .standardInput)
        #expect(request.severity == .high && request.environment == "staging")
        #expect(request.services == ["redis", "api"])
        #expect(request.sets == ["impact=Chat down", "owner=dana"])
        #expect(request.noDedupe && command.json)
        #expect(request.suspectWindowHours == 1.5)
        #expect(try parse(["new", "--from-log", "app.log"], as: NewCommand.self).request().fromLog == .path("app.log"))
        #expect(
            try parse(["new", "--from-log", "a", "--suspect-window", "2d"], as: NewCommand.self).request()
                .suspectWindowHours == 48)
        #expect(
            try parse(["new", "--from-log", "a", "--suspect-window", "6"], as: NewCommand.self).request()
                .suspectWindowHours == 6)

        expectUsageError(
            ["new", "--title", "  "],
            "--title is blank; give the incident a title, or leave --title out to have one suggested from the log.")
        expectUsageError(
            ["new", "--from-log", "a", "--suspect-window", "0"],
            "--suspect-window '0' is not a positive number of hours, or 30m, 12h, 2d.")
        expectUsageError(
            ["new", "--from-log", "a", "--suspect-window", "soon"],
            "--suspect-window 'soon' is not a positive number of hours, or 30m, 12h, 2d.")
        expectUsageError(
            ["new", "--severity", "sev1"],
            "The value 'sev1' is invalid for '--severity <severity>'. Please provide one of 'low', 'medium', 'high' or 'critical'."
        )
    }

    @Test func advanceTranslatesAnswersChecksAndItsModes() throws {
        let plain = try parse(["advance", "latest"], as: AdvanceCommand.self).request()
        #expect(plain.ref == "latest" && plain.answersFile == nil && plain.sets.isEmpty && !plain.edit)
        #expect(!plain.yes && plain.checks.isEmpty && plain.skipReason == nil && plain.rerender == nil)
        #expect(plain.log == nil && !plain.preview && plain.answerValues == nil)

        let scripted = try parse(
            [
                "advance", "7f3a", "--answers", "-", "--set", "tests={name: a}", "--set", "tests={name: b}", "-y",
                "--check", "swift test", "--check", "make lint", "--from-log", "-",
            ],
            as: AdvanceCommand.self
        ).request()
        #expect(scripted.ref == "7f3a" && scripted.answersFile == "-")
        #expect(scripted.sets == ["tests={name: a}", "tests={name: b}"])
        #expect(scripted.yes && scripted.checks == ["swift test", "make lint"])
        #expect(scripted.log == .standardInput)
        #expect(
            try parse(["advance", "x", "--from-log", "app.log"], as: AdvanceCommand.self).request().log
                == .path("app.log"))

        let skip = try parse(["advance", "latest", "--skip", "--reason", "no GitHub"], as: AdvanceCommand.self)
            .request()
        #expect(skip.skipReason == "no GitHub")
        let rerender = try parse(["advance", "latest", "--rerender", "five-whys"], as: AdvanceCommand.self).request()
        #expect(rerender.rerender == "five-whys" && rerender.skipReason == nil)
        // A preview writes nothing, so it asks no confirmation either.
        let preview = try parse(["advance", "latest", "--preview", "--edit"], as: AdvanceCommand.self).request()
        #expect(preview.preview && preview.yes && preview.edit)

        expectUsageError(
            ["advance", "latest", "--skip"], "--skip needs --reason TEXT saying why the stage is skipped.")
        expectUsageError(
            ["advance", "latest", "--skip", "--reason", "   "],
            "--skip needs --reason TEXT saying why the stage is skipped.")
        expectUsageError(["advance", "latest", "--reason", "why"], "--reason goes with --skip.")
        expectUsageError(
            ["advance", "latest", "--preview", "--skip", "--reason", "x"],
            "--preview goes with answers, not --skip or --rerender.")
        expectUsageError(
            ["advance", "latest", "--preview", "--rerender", "identify"],
            "--preview goes with answers, not --skip or --rerender.")
        for extra in [["--set", "a=b"], ["--answers", "a.yml"], ["--edit"]] {
            expectUsageError(
                ["advance", "latest", "--rerender", "identify"] + extra,
                "--rerender renders stored answers; it takes no --answers, --set, --edit or --skip.")
        }
        expectUsageError(["advance"], "Missing expected argument '<ref>'")
    }

    @Test func amendTranslatesTheStageAndTheAnswers() throws {
        let plain = try parse(["amend", "latest"], as: AmendCommand.self).request()
        #expect(plain.ref == "latest" && plain.stage == nil && plain.answersFile == nil)
        #expect(plain.sets.isEmpty && !plain.edit && !plain.yes)
        let request = try parse(
            [
                "amend", "inc-7f3a2c", "five-whys", "--set", "whys=a", "--set", "whys=b", "--answers", "-", "--edit",
                "--yes",
            ], as: AmendCommand.self
        ).request()
        #expect(request.ref == "inc-7f3a2c" && request.stage == "five-whys")
        #expect(request.sets == ["whys=a", "whys=b"] && request.answersFile == "-" && request.edit && request.yes)
        expectUsageError(["amend", "a", "b", "c"], "Unexpected argument 'c'")
    }

    @Test func setTakesTheRefAndEveryAssignment() throws {
        let command = try parse(
            ["set", "latest", "severity=high", "owner=dana", "services=redis,postgres", "--json"], as: SetCommand.self)
        #expect(command.ref == "latest" && command.json)
        #expect(command.assignments == ["severity=high", "owner=dana", "services=redis,postgres"])
        #expect(try parse(["set", "latest"], as: SetCommand.self).assignments.isEmpty)
    }

    @Test func closeAndReopenTakeTheirReasonAndReference() throws {
        let close = try parse(
            ["close", "latest", "--reason", "duplicate", "--duplicate-of", "inc-k2m4p6", "--json"],
            as: CloseCommand.self)
        #expect(close.ref == "latest" && close.reason == "duplicate" && close.duplicateOf == "inc-k2m4p6" && close.json)
        #expect(try parse(["close", "x", "--reason", "wont-fix"], as: CloseCommand.self).duplicateOf == nil)
        expectUsageError(["close", "latest"], "Missing expected argument '--reason <reason>'")

        let reopen = try parse(["reopen", "inc-7f3a2c", "--json"], as: ReopenCommand.self)
        #expect(reopen.ref == "inc-7f3a2c" && reopen.json)
        expectUsageError(["reopen"], "Missing expected argument '<ref>'")
    }

    @Test func reviewTakesExactlyOneAction() throws {
        let submit = try parse(["review", "latest", "--submit", "--by", "dana"], as: ReviewCommand.self).request()
        #expect(submit.ref == "latest" && submit.action == .submit && submit.by == "dana" && submit.note == nil)
        #expect(
            try parse(["review", "x", "--approve", "--by", "lee"], as: ReviewCommand.self).request().action == .approve)
        let changes = try parse(
            ["review", "x", "--request-changes", "--by", "lee", "--note", "name the second factor"],
            as: ReviewCommand.self
        ).request()
        #expect(changes.action == .requestChanges && changes.note == "name the second factor")

        expectUsageError(["review", "x", "--by", "lee"], "give exactly one of --submit, --approve, --request-changes.")
        expectUsageError(
            ["review", "x", "--approve", "--submit", "--by", "lee"],
            "give exactly one of --submit, --approve, --request-changes.")
        expectUsageError(["review", "x", "--approve"], "Missing expected argument '--by <name>'")
    }

    // MARK: GitHub

    @Test func issueTranslatesRepeatedLabelsAndAssignees() throws {
        let plain = try parse(["issue", "latest"], as: IssueCommand.self).request()
        #expect(plain.ref == "latest" && plain.repo == nil && plain.labels.isEmpty && plain.assignees.isEmpty)
        #expect(plain.milestone == nil && !plain.yes && !plain.dryRun)
        let command = try parse(
            [
                "issue", "inc-7f3a2c", "--repo", "acme/netra", "--label", "redis", "--label", "p1", "--assignee",
                "dana",
                "--assignee", "lee", "--milestone", "4", "--yes", "--dry-run", "--json", "--verbose", "--cacert",
                "/etc/ca.pem",
            ], as: IssueCommand.self)
        let request = command.request()
        #expect(request.repo == "acme/netra" && request.labels == ["redis", "p1"])
        #expect(request.assignees == ["dana", "lee"] && request.milestone == "4")
        #expect(request.yes && request.dryRun && command.json)
        #expect(command.github.verbose && command.github.cacert == "/etc/ca.pem")
    }

    @Test func syncTakesAnOptionalRef() throws {
        #expect(try parse(["sync"], as: SyncCommand.self).ref == nil)
        let one = try parse(["sync", "latest", "--json", "--verbose"], as: SyncCommand.self)
        #expect(one.ref == "latest" && one.json && one.github.verbose && one.github.cacert == nil)
    }

    @Test func followupsAskGitHubUnlessOffline() throws {
        let plain = try parse(["followups"], as: FollowUpsCommand.self).request()
        #expect(!plain.openOnly && plain.refresh)
        let command = try parse(["followups", "--open", "--offline", "--json"], as: FollowUpsCommand.self)
        #expect(command.request().openOnly && !command.request().refresh && command.json)
    }

    /// --verbose and --cacert exist exactly on the commands that reach GitHub (GitHubConnection or
    /// GitHubSync): elsewhere they are unknown options, refused with 64.
    @Test func githubOptionsOnlyWhereGitHubIsReached() throws {
        let talking: Set = ["issue", "sync", "close", "reopen", "set", "advance", "amend", "followups", "mcp"]
        for (name, argv) in Self.minimal.sorted(by: { $0.key < $1.key }) {
            if talking.contains(name) {
                let command = try Incident.parseAsRoot(argv + ["--verbose", "--cacert", "ca.pem"])
                let github = Mirror(reflecting: command).children.first { $0.label == "_github" }.map { "\($0.value)" }
                #expect(github?.contains("ca.pem") == true, "\(name) has no GitHub options")
            } else {
                expectUsageError(argv + ["--cacert", "ca.pem"], "Unknown option '--cacert'")
                expectUsageError(argv + ["--verbose"], "Unknown option '--verbose'")
            }
        }
        // And in the nested commands, which never reach GitHub.
        for argv in [
            ["templates", "show", "x"], ["templates", "eject"], ["signatures", "show", "x"],
            ["signatures", "test", "-"],
        ] {
            expectUsageError(argv + ["--cacert", "ca.pem"], "Unknown option '--cacert'")
        }
        let listHelp = Incident.helpMessage(for: ListCommand.self, columns: 100)
        #expect(!listHelp.contains("--cacert") && !listHelp.contains("--verbose") && listHelp.contains("--no-color"))
        let issueHelp = Incident.helpMessage(for: IssueCommand.self, columns: 100)
        #expect(issueHelp.contains("--cacert <file>") && issueHelp.contains("--verbose") && issueHelp.contains("--dir"))
    }

    @Test func mcpTakesTheRepoAndTheGitHubOptions() throws {
        let command = try parse(["mcp", "--dir", "/srv/api", "--cacert", "ca.pem"], as: MCPCommand.self)
        #expect(command.globals.dir == "/srv/api" && command.github.cacert == "ca.pem" && !command.github.verbose)
        expectUsageError(["mcp", "serve"], "Unexpected argument 'serve'")
    }

    // MARK: reading

    @Test func showAndListTranslateTheirFilters() throws {
        let show = try parse(["show", "latest", "--raw", "--no-color", "--dir", "/r"], as: ShowCommand.self)
        #expect(show.ref == "latest" && show.raw && !show.json && show.globals.noColor && show.globals.dir == "/r")

        let now = Date(timeIntervalSince1970: 1_757_376_000)  // 2025-09-09T00:00:00Z
        let plain = try parse(["list"], as: ListCommand.self).request(now: now)
        #expect(plain.stage == nil && plain.status == nil && plain.severity == nil && plain.service == nil)
        #expect(plain.since == nil && plain.review == nil)
        let request = try parse(
            [
                "list", "--stage", "verify", "--status", "open", "--severity", "critical", "--service", "redis",
                "--since",
                "7d", "--review", "pending",
            ], as: ListCommand.self
        ).request(now: now)
        #expect(request.stage == "verify" && request.status == "open" && request.severity == .critical)
        #expect(request.service == "redis" && request.review == "pending")
        #expect(request.since == now.addingTimeInterval(-7 * 86400))
        #expect(
            try parse(["list", "--since", "2025-09-01"], as: ListCommand.self).request(now: now).since
                == Time.parse("2025-09-01"))

        expectUsageError(["list", "--status", "done"], "--status 'done' is not one of open, resolved, closed.")
        expectUsageError(
            ["list", "--since", "yesterday"],
            "--since 'yesterday' is not a date (2025-09-09), a time (2025-09-09T02:00:00Z) or an age (7d, 12h, 30m).")
        expectUsageError(
            ["list", "--review", "maybe"],
            "--review 'maybe' is not one of \(ReviewWorkflow.filters.joined(separator: ", ")).")
    }

    @Test func analyzeReadsStandardInputForDash() throws {
        let stdin = try parse(["analyze", "-", "--json"], as: AnalyzeCommand.self)
        #expect(stdin.request().source == .standardInput && stdin.request().eventsOut == nil && stdin.json)
        let file = try parse(["analyze", "big.log.gz", "--events-out", "events.tsv"], as: AnalyzeCommand.self).request()
        #expect(file.source == .path("big.log.gz") && file.eventsOut == "events.tsv")
        expectUsageError(["analyze"], "Missing expected argument '<source>'")
    }

    @Test func doctorAndStatsTakeTheirFlags() throws {
        #expect(try parse(["doctor", "--json"], as: DoctorCommand.self).json)
        let now = Date(timeIntervalSince1970: 1_757_376_000)
        #expect(try parse(["stats"], as: StatsCommand.self).sinceDate(now: now) == nil)
        #expect(
            try parse(["stats", "--since", "12h"], as: StatsCommand.self).sinceDate(now: now)
                == now.addingTimeInterval(-12 * 3600))
        expectUsageError(
            ["stats", "--since", "-"],
            "--since '-' is not a date (2025-09-09), a time (2025-09-09T02:00:00Z) or an age (7d, 12h, 30m).")
    }

    @Test func exportNeedsAKnownFormat() throws {
        let request = try parse(["export", "latest", "--format", "md", "--public"], as: ExportCommand.self).request()
        #expect(request.ref == "latest" && request.format == .md && request.isPublic)
        let html = try parse(["export", "x", "--format", "html", "--output", "p.html"], as: ExportCommand.self)
        #expect(html.request().format == .html && !html.request().isPublic && html.output == "p.html")
        expectUsageError(["export", "x"], "Missing expected argument '--format <format>'")
        // argument-parser's own sentence (its grammar, "one of 'html' and 'md'"); ours is that it is refused with 64.
        let pdf = refusal(["export", "x", "--format", "pdf"])
        #expect(pdf?.code == 64 && pdf?.message.hasPrefix("The value 'pdf' is invalid for '--format <format>'") == true)
    }

    // MARK: nested commands

    @Test func templatesSubcommands() throws {
        // `incident templates` alone lists them.
        #expect(try parse(["templates"], as: TemplatesCommand.List.self).json == false)
        #expect(try parse(["templates", "list", "--json"], as: TemplatesCommand.List.self).json)
        #expect(try parse(["templates", "show", "five-whys"], as: TemplatesCommand.Show.self).name == "five-whys")
        let all = try parse(["templates", "eject"], as: TemplatesCommand.Eject.self)
        #expect(all.names.isEmpty && !all.force)
        let some = try parse(["templates", "eject", "verify", "fix", "--force"], as: TemplatesCommand.Eject.self)
        #expect(some.names == ["verify", "fix"] && some.force)
        expectUsageError(["templates", "show"], "Missing expected argument '<name>'")
    }

    @Test func signaturesSubcommands() throws {
        #expect(try parse(["signatures", "list", "--json"], as: SignaturesCommand.List.self).json)
        let show = try parse(["signatures", "show", "redis-connection-refused"], as: SignaturesCommand.Show.self)
        #expect(show.id == "redis-connection-refused" && !show.json)
        #expect(try parse(["signatures", "test", "-"], as: SignaturesCommand.Test.self).request() == .standardInput)
        #expect(
            try parse(["signatures", "test", "app.log", "--json"], as: SignaturesCommand.Test.self).request()
                == .path("app.log"))
        expectUsageError(["signatures", "test"], "Missing expected argument '<source>'")
    }

    // MARK: what every command shares

    /// The shortest valid invocation of every command `incident` has.
    static let minimal: [String: [String]] = [
        "init": ["init"], "new": ["new", "--title", "t"], "advance": ["advance", "x"], "amend": ["amend", "x"],
        "show": ["show", "x"], "list": ["list"], "set": ["set", "x"], "templates": ["templates", "list"],
        "issue": ["issue", "x"], "sync": ["sync"], "analyze": ["analyze", "a.log"],
        "close": ["close", "x", "--reason", "wont-fix"], "reopen": ["reopen", "x"], "doctor": ["doctor"],
        "stats": ["stats"], "signatures": ["signatures", "list"], "followups": ["followups"],
        "review": ["review", "x", "--approve", "--by", "a"], "export": ["export", "x", "--format", "md"],
        "mcp": ["mcp"],
    ]

    /// Every command `incident` has is parsed by a test above and has a minimal invocation here (a
    /// new command must be added).
    @Test func everySubcommandIsCovered() throws {
        #expect(Set(Incident.commandNames) == Set(Self.minimal.keys))
        for argv in Self.minimal.values { _ = try Incident.parseAsRoot(argv + ["--dir", "/r", "--no-color"]) }
    }

    @Test func anUnknownFlagOrCommandIsAUsageError() {
        for (_, argv) in Self.minimal.sorted(by: { $0.key < $1.key }) {
            expectUsageError(argv + ["--frobnicate"], "Unknown option '--frobnicate'")
        }
        #expect(
            Incident.unknownCommand(["advnce", "latest"])
                == "error: 'advnce' is not an incident command; did you mean 'advance'? `incident --help` lists them.")
        #expect(Incident.unknownCommand(["help", "amnd"])?.contains("did you mean 'amend'?") == true)
        #expect(Incident.unknownCommand(["amend", "latest"]) == nil)
        #expect(Incident.unknownCommand(["--help"]) == nil)
    }
}
