import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// The built binary on input that is not a clean text log, and on output it cannot write.
@Suite struct AnalyzeInputTests {
    @Test func aDeeplyNestedJSONLineDoesNotCrash() throws {
        let repo = try TestRepo(git: false)
        let result = try CLI.run(
            ["analyze", "-", "--json"], in: repo.root, stdin: "{\"a\":" + String(repeating: "[", count: 100_000) + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try YAML.parse(result.stdout)["input"]?["format"] == "plain")
    }
}
