import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// Issue 14: what a daily user runs into.
@Suite struct RoughEdgeTests {
    @Test func showRendersForPeopleAndRawPrintsTheFile() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let shown = try CLI.run(["show", id], in: repo.root)
        #expect(shown.status == 0)
        #expect(!shown.stdout.contains("<!-- incident:"), "markers are for the tool")
        #expect(!shown.stdout.contains("```"))
        #expect(shown.stdout.contains("1. Why? a") && shown.stdout.contains("2. Why? b") && shown.stdout.contains("3. Why? c"))
        #expect(!shown.stdout.contains("| ---"), "a table's separator row is layout, not content")
        let raw = try CLI.run(["show", id, "--raw"], in: repo.root)
        #expect(raw.stdout == (try repo.read(try repo.incidentFiles()[0])))
    }

    @Test func markdownTablesAlignAndKeepEscapedPipes() {
        let text = MarkdownView.render("| a | long header |\n| --- | --- |\n| x \\| y | z |\n")
        #expect(Terminal.sanitized(text) == "  a      long header\n  x | y  z")
    }
}
