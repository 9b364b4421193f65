import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

@Suite struct WorkflowTests {
    static let log = """
        2025-09-09 02:25:04.512 | INFO     | app.smd:startup:1 - Starting up
        2025-09-09 02:25:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.51s
        2025-09-09 02:26:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.49s

        """

    func started(_ repo: TestRepo, prompter: (any Prompter)? = nil) throws -> (Workspace, NewIncidentResult) {
        try repo.write("app.log", Self.log)
        let workspace = try Workspace.open(repo.environment(prompter: prompter), directory: nil)
        var request = NewIncidentRequest()
        request.fromLog = "app.log"
        return (workspace, try NewIncidentWorkflow(workspace: workspace).run(request))
    }

    @Test func newCompletesIdentifyAndStandsAtFiveWhys() throws {
        let repo = try TestRepo()
        let (_, result) = try started(repo)
        let document = result.incident.document
        #expect(document.stage == "five-whys")
        #expect(document.severity == "critical")
        #expect(document.fields["occurrences"] == 2)
        #expect(document.fields["first_seen"] == "2025-09-09T02:25:11Z")
        #expect(document.stages["identify"]?["completed"] != nil)
        #expect(document.sections["identify"]!.contains("Readiness failed"))
        #expect(result.incident.relativePath.hasPrefix("incidents/2025-09-09-"))
    }

    @Test func theIdentifySectionListsTheTenMostImportantEvents() throws {
        let repo = try TestRepo()
        let words = [
            "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
            "mike", "november", "oscar",
        ]
        try repo.write(
            "app.log",
            words.map { "2025-09-09T02:25:11Z WARN \($0) subsystem degraded\n" }.joined()
                + "2025-09-09T02:25:12Z ERROR primary failure\n")
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        var request = NewIncidentRequest()
        request.fromLog = "app.log"
        let section = try NewIncidentWorkflow(workspace: workspace).run(request).incident.document.sections["identify"]!
        // The events table: the rows under its "| count" header (the timeline's table comes later).
        let lines = section.split(separator: "\n")
        let header = lines.firstIndex { $0.hasPrefix("| count") }!
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("| ") }
        #expect(rows.count == 10)
        #expect(rows.first?.contains("primary failure") == true)
    }

    @Test func newWithoutLogNeedsATitle() throws {
        let repo = try TestRepo()
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        #expect(
            throws: IncidentError.usage(
                "incident new needs --title TEXT, or --from-log FILE to take the title from a log.")
        ) {
            try NewIncidentWorkflow(workspace: workspace).run(NewIncidentRequest())
        }
        var request = NewIncidentRequest()
        request.title = "Checkout latency"
        request.severity = .medium
        let result = try NewIncidentWorkflow(workspace: workspace).run(request)
        #expect(result.incident.document.sections["identify"]!.contains("No log excerpt was attached"))
    }

    @Test func theInterviewAsksEachFieldAndTheWhyChainFollowsTheAnswers() throws {
        let repo = try TestRepo()
        let prompter = ScriptedPrompter([
            "Redis was unreachable", "The VPC connector was missing", "Terraform dropped it", "",  // whys, then stop
            "Terraform migration dropped the connector",  // root cause
            "No reachability check", "",  // contributing factors
            "",  // no actions
            "y",  // confirm
        ])
        let (workspace, created) = try started(repo, prompter: prompter)
        let result = try AdvanceWorkflow(workspace: workspace).run(AdvanceRequest(ref: created.incident.document.id))
        #expect(prompter.remaining.isEmpty)
        #expect(prompter.questions[1].contains("Redis was unreachable"))
        #expect(prompter.questions[2].contains("The VPC connector was missing"))
        #expect(result.nextStage == "test-plan")
        let answers = result.document.stages["five-whys"]?["answers"]
        #expect(answers?["whys"] == ["Redis was unreachable", "The VPC connector was missing", "Terraform dropped it"])
        #expect(answers?["contributing_factors"] == ["No reachability check"])
        #expect(prompter.shown.joined().contains("## Five Whys Analysis"))
    }

    @Test func decliningThePreviewWritesNothing() throws {
        let repo = try TestRepo()
        let prompter = ScriptedPrompter(["a", "b", "c", "", "root", "", "", "n"])
        let (workspace, created) = try started(repo, prompter: prompter)
        let before = try repo.bytes(created.incident.relativePath)
        let id = created.incident.document.id
        let draft = ".git/incident/drafts/\(id)-five-whys.yml"
        #expect(
            throws: IncidentError.cancelled(
                "nothing was written to \(created.incident.relativePath). Your answers are kept in \(draft); `incident advance \(id)` offers to start from them."
            )
        ) {
            try AdvanceWorkflow(workspace: workspace).run(AdvanceRequest(ref: "latest"))
        }
        #expect(try repo.bytes(created.incident.relativePath) == before)
        // What was typed is kept, readable by its owner only.
        let kept = try YAML.parse(try repo.read(draft))
        #expect(kept["whys"] == ["a", "b", "c"] && kept["root_cause"] == "root")
        let mode = try FileManager.default.attributesOfItem(atPath: repo.path(draft))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aDraftIsOfferedNextTimeAndRemovedWhenTheStageCompletes() throws {
        let repo = try TestRepo()
        let (workspace, created) = try started(repo, prompter: ScriptedPrompter(["first why", "second why"]))
        let id = created.incident.document.id
        #expect(throws: IncidentError.self) {
            try AdvanceWorkflow(workspace: workspace).run(AdvanceRequest(ref: "latest"))
        }
        let draft = ".git/incident/drafts/\(id)-five-whys.yml"
        #expect(try YAML.parse(try repo.read(draft))["whys"] == ["first why", "second why"])
        // Next time: the draft is offered; its entries come pre-filled (the scripted Enter keeps each).
        let again = ScriptedPrompter(["y", "", "", "third why", "", "the root", "", "", "y"])
        let resumed = try Workspace.open(repo.environment(prompter: again), directory: nil)
        let result = try AdvanceWorkflow(workspace: resumed).run(AdvanceRequest(ref: "latest"))
        #expect(again.questions[0].contains("A draft of this stage"))
        #expect(result.document.stages["five-whys"]?["answers"]?["whys"] == ["first why", "second why", "third why"])
        #expect(!FileManager.default.fileExists(atPath: repo.path(draft)))
    }

    @Test func endOfInputMidInterviewWritesNothing() throws {
        let repo = try TestRepo()
        let (workspace, created) = try started(repo, prompter: ScriptedPrompter(["only one why"]))
        let before = try repo.bytes(created.incident.relativePath)
        #expect(throws: IncidentError.self) {
            try AdvanceWorkflow(workspace: workspace).run(AdvanceRequest(ref: "latest"))
        }
        #expect(try repo.bytes(created.incident.relativePath) == before)
    }

    @Test func secretsInAnswersAreRedactedBeforeTheyAreStored() throws {
        let repo = try TestRepo()
        let (workspace, _) = try started(repo)
        var request = AdvanceRequest(ref: "latest")
        request.sets = [
            "whys=a", "whys=b", "whys=c", "root_cause=the password=hunter2 leaked via redis://:topsecret@cache:6379",
        ]
        let result = try AdvanceWorkflow(workspace: workspace).run(request)
        let text = try repo.read(result.path)
        #expect(!text.contains("hunter2") && !text.contains("topsecret"))
        #expect(result.redactions["password"] == 1 && result.redactions["url-credentials"] == 1)
    }

    @Test func aTeamAddsAStageWithATemplateAndConfigAlone() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, comms, five-whys]\n")
        try repo.write(
            "templates/comms.md",
            """
            ---
            stage: comms
            title: Communications
            fields:
              - {id: channel, type: dropdown, label: Channel, options: ["#incidents", status page], validations: {required: true}}
              - {id: message, type: textarea, label: Message, validations: {required: true}}
            ---
            ## Communications

            Posted to {{answers.channel}}: {{answers.message}}
            """)
        let (workspace, created) = try started(repo)
        #expect(created.incident.document.stage == "comms")
        var request = AdvanceRequest(ref: "latest")
        request.sets = ["channel=status page"]
        #expect { try AdvanceWorkflow(workspace: workspace).run(request) } throws: { error in
            (error as? IncidentError)?.exitCode == 3 && "\(error)".contains("message (Message): required")
        }
        request.sets.append("message=We are investigating & will update <soon>.")
        let result = try AdvanceWorkflow(workspace: workspace).run(request)
        #expect(result.nextStage == "five-whys")
        #expect(
            result.document.sections["comms"]!.contains(
                "Posted to status page: We are investigating & will update <soon>."))
    }

    @Test func anUnknownStageInConfigIsNamed() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, postmortem]\n")
        #expect { try started(repo) } throws: { error in
            "\(error)"
                == ".incident.yml lists stage 'postmortem', which has no template: add templates/postmortem.md or remove it from stages."
        }
    }

    @Test func skipRecordsTheReasonAndTheLastStageResolves() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, verify]\n")
        let (workspace, _) = try started(repo)
        var request = AdvanceRequest(ref: "latest")
        request.checks = ["true"]
        let result = try AdvanceWorkflow(workspace: workspace).run(request)
        #expect(result.status == "resolved" && result.nextStage == "resolved")
        #expect(result.document.stages["verify"]?["answers"]?["checks"]?.array?.first?["result"] == "passed")
        #expect { try AdvanceWorkflow(workspace: workspace).run(AdvanceRequest(ref: "latest")) } throws: {
            "\($0)".contains("is resolved")
        }
    }

    @Test func aFailingCheckKeepsVerifyOpen() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, verify]\n")
        let (workspace, created) = try started(repo)
        var request = AdvanceRequest(ref: "latest")
        request.checks = ["echo boom; exit 7"]
        #expect { try AdvanceWorkflow(workspace: workspace).run(request) } throws: { error in
            (error as? IncidentError)?.exitCode == 3 && "\(error)".contains("exit status 7")
                && "\(error)".contains("boom")
        }
        #expect(try repo.read(created.incident.relativePath).contains("stage: verify"))
    }

    @Test func fixLinksCommitsThatNameTheIncident() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, fix]\n")
        let (workspace, created) = try started(repo)
        let id = created.incident.document.id
        try repo.write("a.txt", "a")
        try TestRepo.run(["git", "add", "a.txt"], in: repo.root)
        try TestRepo.run(["git", "commit", "-qm", "Attach the VPC connector (\(id))"], in: repo.root)
        try TestRepo.run(["git", "commit", "-q", "--allow-empty", "-m", "Unrelated"], in: repo.root)
        var request = AdvanceRequest(ref: id)
        request.sets = ["description=Re-attached the connector."]
        let result = try AdvanceWorkflow(workspace: workspace).run(request)
        let commits = result.document.stages["fix"]?["answers"]?["commits"]?.array ?? []
        #expect(commits.count == 1)
        #expect(commits.first?.string?.hasSuffix("Attach the VPC connector (\(id))") == true)
    }

    @Test func rerenderRebuildsOneSectionFromStoredAnswers() throws {
        let repo = try TestRepo()
        let (workspace, _) = try started(repo)
        var request = AdvanceRequest(ref: "latest")
        request.sets = ["whys=a", "whys=b", "whys=c", "root_cause=r"]
        let advanced = try AdvanceWorkflow(workspace: workspace).run(request)
        try repo.write(
            "templates/five-whys.md",
            TemplateLibrary.defaults["five-whys"]!.replacingOccurrences(
                of: "**Root cause**", with: "**The root cause**"))
        var again = AdvanceRequest(ref: "latest")
        again.rerender = "five-whys"
        let result = try AdvanceWorkflow(workspace: workspace).run(again)
        #expect(result.document.sections["five-whys"]!.contains("**The root cause**: r"))
        #expect(result.document.sections["identify"] == advanced.document.sections["identify"])
        #expect(result.nextStage == "test-plan")
    }

    @Test func theSameErrorAfterAResolvedIncidentOpensANewOneMarkedAsARecurrence() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, verify]\n")
        let (workspace, first) = try started(repo)
        var verify = AdvanceRequest(ref: first.incident.document.id)
        verify.checks = ["true"]
        #expect(try AdvanceWorkflow(workspace: workspace).run(verify).status == "resolved")
        var request = NewIncidentRequest()
        request.fromLog = "app.log"
        let again = try NewIncidentWorkflow(workspace: workspace).run(request)
        #expect(!again.deduplicated)
        #expect(again.regressionOf == first.incident.document.id)
        #expect(again.incident.document.fields["recurrence_of"] == .string(first.incident.document.id))
        #expect(again.incident.document.id != first.incident.document.id)
    }

    @Test func aRepeatOfAnOpenIncidentIsAddedToIt() throws {
        let repo = try TestRepo()
        let (workspace, first) = try started(repo)
        try repo.write(
            "more.log",
            Self.log
                + "2025-09-09 02:27:11.531 | CRITICAL | app.smd:_validate:412 - Readiness failed. Failed services: [redis]. Elapsed: 7.52s\n"
        )
        var request = NewIncidentRequest()
        request.fromLog = "more.log"
        let second = try NewIncidentWorkflow(workspace: workspace).run(request)
        #expect(second.deduplicated)
        #expect(second.incident.document.id == first.incident.document.id)
        #expect(second.incident.document.fields["occurrences"] == 3)
        #expect(second.incident.document.fields["last_seen"] == "2025-09-09T02:27:11Z")
        #expect(second.incident.document.body.contains("<!-- incident:occurrence 2025-09-09T02:27:11Z -->"))
        #expect(try repo.incidentFiles().count == 1)
        request.noDedupe = true
        #expect(try !NewIncidentWorkflow(workspace: workspace).run(request).deduplicated)
        #expect(try repo.incidentFiles().count == 2)
    }
}
