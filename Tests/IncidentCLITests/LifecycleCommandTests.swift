import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

@Suite struct LifecycleCommandTests {
    @Test func closeAndReopenKeepTheRecord() throws {
        let (repo, id) = try startedRepo()
        let other = try YAML.parse(
            try CLI.run(["new", "--title", "Second report of it", "--json"], in: repo.root).stdout)["id"]!.string!
        #expect(try CLI.run(["close", other, "--reason", "duplicate"], in: repo.root).status == 64)
        let closed = try CLI.run(["close", other, "--reason", "duplicate", "--duplicate-of", id], in: repo.root)
        #expect(closed.status == 0, "\(closed.stderr)")
        let shown = try YAML.parse(try CLI.run(["show", other, "--json"], in: repo.root).stdout)
        #expect(shown["status"] == "closed" && shown["stage"] == "closed")
        #expect(shown["closed"]?["duplicate_of"] == .string(id))
        #expect(try CLI.run(["advance", other], in: repo.root).status == 1)
        #expect(try CLI.run(["close", other, "--reason", "wont-fix"], in: repo.root).status == 1)
        let reopened = try CLI.run(["reopen", other], in: repo.root)
        #expect(reopened.status == 0 && reopened.stdout.contains("at stage five-whys"))
        // Open again: no close beside the open status; the timeline keeps both.
        let open = try YAML.parse(try CLI.run(["show", other, "--json"], in: repo.root).stdout)
        #expect(open["status"] == "open" && open["closed"] == nil, "\(open)")
        let text = try repo.read(try repo.incidentFiles().first { try repo.read($0).contains("id: \(other)") }!)
        #expect(text.contains("closed (duplicate)") && text.contains("reopened at stage five-whys"), "\(text)")
        #expect(try CLI.run(["close", id, "--reason", "bored"], in: repo.root).status == 64)
    }

    @Test func doctorFindsEachProblemAndExits1() throws {
        let (repo, id) = try startedRepo()
        let healthy = try CLI.run(["doctor"], in: repo.root)
        #expect(healthy.status == 0 && healthy.stdout.contains("no problems"), "\(healthy.stdout)")
        let path = try repo.incidentFiles()[0]
        try repo.write(
            path, try repo.read(path).replacingOccurrences(of: "severity: critical", with: "severity: apocalyptic"))
        try repo.write(
            "incidents/2025-01-01-copy.md",
            try repo.read(path).replacingOccurrences(of: "severity: apocalyptic", with: "severity: low"))
        try repo.write("templates/fix.md", "---\nfields: [\n---\n")
        // A redaction pattern that is no regex stops `new` and `analyze`: doctor names it too.
        try repo.write(
            ".incident.yml",
            try repo.read(".incident.yml").replacingOccurrences(
                of: "  patterns: []", with: "  patterns: [{name: x, regex: \"([a-\"}]"))
        try repo.write("signatures.yml", "signatures:\n  - id: broken\n    match: '(unclosed'\n")
        let result = try CLI.run(["doctor", "--json"], in: repo.root)
        #expect(result.status == 1)
        let problems = try YAML.parse(result.stdout)["problems"]?.array ?? []
        let messages = problems.map { "\($0["file"]?.string ?? ""): \($0["message"]?.string ?? "")" }
        #expect(messages.contains { $0.contains("severity 'apocalyptic'") })
        #expect(messages.contains { $0.contains("id \(id) is also used by") })
        #expect(messages.contains { $0.hasPrefix("templates/fix.md") })
        #expect(messages.contains { $0.hasPrefix(".incident.yml") && $0.contains("redact pattern 'x'") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("signatures.yml") }, "\(messages)")
    }

    @Test func statsCountsAndTimesStages() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let stats = try YAML.parse(try CLI.run(["stats", "--json"], in: repo.root).stdout)
        #expect(stats["incidents"] == 1)
        #expect(stats["by_severity"]?["critical"] == 1)
        #expect(stats["by_service"]?["redis"] == 1)
        #expect(stats["median_hours_per_stage"]?["five-whys"]?.numeric != nil)
        #expect(stats["median_hours_to_resolve"] == .null)
        #expect(try CLI.run(["stats"], in: repo.root).stdout.hasPrefix("1 incident: open 1"))
    }

    @Test func statsListsSeveritiesWorstFirstAndSkippedStagesTakeNoTime() throws {
        let repo = try TestRepo()
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        for severity in ["low", "critical", "medium", "low"] {
            #expect(try CLI.run(["new", "--title", "t \(severity)", "--severity", severity], in: repo.root).status == 0)
        }
        let skipped = try CLI.run(["advance", "latest", "--skip", "--reason", "not needed"], in: repo.root)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let stats = try YAML.parse(try CLI.run(["stats", "--json"], in: repo.root).stdout)
        #expect(stats["by_severity"]?.object.map { Array($0.keys) } == ["critical", "medium", "low"])
        #expect(stats["median_hours_per_stage"]?["five-whys"] == nil, "a skipped stage is not a 0 h sample")
        #expect(try CLI.run(["stats"], in: repo.root).stdout.hasPrefix("4 incidents: open 4"))
    }
}
