import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// Issue 10: one `StageAction` per action, in a registry; every action works in `advance` for any stage.
@Suite struct StageActionTests {
    @Test func everyActionNameHasOneRegisteredAction() {
        for name in StageActionName.allCases {
            #expect(StageActions.all[name]?.kind == name, "\(name)")
            #expect(StageActions.all[name]?.note.isEmpty == false)
        }
        #expect(StageActions.all.count == StageActionName.allCases.count)
    }

    @Test func aCustomStageWithAnalyzeLogAnalysesTheLogAdvanceIsGiven() throws {
        let (repo, id) = try startedRepo()
        // A log given to a stage that does not analyse one is a usage error, not ignored.
        try repo.write("other.log", "2025-09-10T10:00:00Z ERROR x\n")
        let wrong = try CLI.run(["advance", id, "--from-log", "other.log", "--set", "whys=a"], in: repo.root)
        #expect(wrong.status == 64 && wrong.stderr.contains("stage five-whys has no action"), "\(wrong.stderr)")
        try completeFiveWhys(repo, id)
        try repo.write(
            "templates/recheck.md",
            "---\nstage: recheck\ntitle: Log after the fix\naction: analyze-log\nfields:\n  - id: note\n    type: input\n---\n{{#analysis}}Primary now: {{primary.template}} ({{severity}}).{{/analysis}} {{answers.note}}\n"
        )
        try repo.write(
            ".incident.yml",
            (try repo.read(".incident.yml")).replacingOccurrences(
                of: "stages: [identify, five-whys, test-plan, issue, fix, verify]",
                with: "stages: [identify, five-whys, recheck, test-plan, issue, fix, verify]"))
        try repo.write("after.log", "2025-09-10T10:00:00Z ERROR dial tcp 10.0.0.7:6379: connect: connection refused\n")

        // Without a log the gate names what is missing.
        let missing = try CLI.run(["advance", id, "--set", "note=n"], in: repo.root)
        #expect(missing.status == 3 && missing.stderr.contains("--from-log FILE"), "\(missing.stderr)")

        // --preview renders the section and writes nothing.
        let before = try repo.read(try repo.incidentFiles()[0])
        let preview = try CLI.run(["advance", id, "--from-log", "after.log", "--set", "note=n", "--preview"], in: repo.root)
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("Primary now:") && preview.stdout.contains("nothing was written"))
        #expect(try repo.read(try repo.incidentFiles()[0]) == before)

        let done = try CLI.run(["advance", id, "--from-log", "after.log", "--set", "note=checked", "--json"], in: repo.root)
        #expect(done.status == 0, "\(done.stderr)")
        let file = try repo.read(try repo.incidentFiles()[0])
        #expect(file.contains("Primary now: dial tcp <*> connect: connection refused (high). checked"), "\(file)")
        #expect(file.contains("\nstage: test-plan\n"))
        let document = try IncidentDocument.parse(file, name: "x")
        #expect(document.stages["recheck"]?["answers"]?["analysis"]?["services"] == .array([.string("redis")]))
    }
}
