import Foundation
import IncidentKit
import Testing

/// `.incident.yml` read into typed settings, and flag → config → default for each one.
@Suite struct TypedConfigTests {
    @Test func leftOutKeysGiveTheDefaults() throws {
        let config = try Config.parse("stages: [identify, verify]\n")
        #expect(config.github == Config.GitHub())
        #expect(config.github.labels == ["incident"] && config.github.severityLabels["critical"] == "sev1")
        #expect(config.github.commentOnAdvance && config.github.closeOnVerify)
        #expect(config.http == Config.HTTP())
        #expect(config.http.connectTimeout == 10 && config.http.timeout == 30 && config.http.maxWait == 60)
        #expect(config.resolvedAPIURL() == "https://api.github.com")
        #expect(config.resolvedMilestone(flag: nil) == nil)
    }

    @Test func everyGitHubAndHTTPKeyIsRead() throws {
        let config = try Config.parse(
            """
            github:
              repo: acme/netra
              api_url: https://ghe.example.com/api/v3
              labels: [prod, incident]
              severity_labels: {critical: p0}
              assignees: [dana]
              milestone: 3
              comment_on_advance: false
              close_on_verify: false
            http: {connect_timeout: 2, timeout: 4.5, max_wait: "8"}
            """)
        #expect(config.github.repo == "acme/netra")
        #expect(config.resolvedAPIURL() == "https://ghe.example.com/api/v3")
        #expect(config.github.severityLabels == ["critical": "p0"])
        #expect(!config.github.commentOnAdvance && !config.github.closeOnVerify)
        #expect(config.http.connectTimeout == 2 && config.http.timeout == 4.5 && config.http.maxWait == 8)
        #expect(config.resolvedMilestone(flag: nil) == "3" && config.resolvedMilestone(flag: "7") == "7")
        #expect(
            config.resolvedLabels(severity: "critical", template: ["bug", "prod"], flags: ["p0", "oncall"])
                == ["prod", "incident", "p0", "bug", "oncall"])
        #expect(config.resolvedLabels(severity: "low", template: [], flags: []) == ["prod", "incident"])
        #expect(config.resolvedAssignees(template: ["sam", "dana"], flags: ["lee"]) == ["dana", "sam", "lee"])
    }

    @Test func emptyValuesMeanNoneAndAnEmptyRepoOrAPIMeansUnset() throws {
        let config = try Config.parse("github: {repo: '', api_url: '', labels: []}\n")
        #expect(config.github.repo == nil && config.resolvedAPIURL() == "https://api.github.com")
        #expect(config.resolvedLabels(severity: "high", template: [], flags: []) == ["sev2"])
        let null = try Config.parse("github: {labels: null}\n")
        #expect(null.github.labels == [])
    }

    @Test func reviewAndAnalysisKeys() throws {
        #expect(try Config.parse("stages: [identify]\n").review == Config.Review())
        #expect(try Config.parse("stages: [identify]\n").resolvedSuspectWindowHours(flag: nil) == 24)
        let config = try Config.parse(
            "review: {required_before_verify: true, repeat_window_days: 7}\nanalysis: {suspect_window_hours: 6}\n")
        #expect(config.review.requiredBeforeVerify && config.review.repeatWindowDays == 7)
        #expect(config.resolvedSuspectWindowHours(flag: nil) == 6 && config.resolvedSuspectWindowHours(flag: 1) == 1)
    }

    @Test func checksComeFromFlagsElseConfig() throws {
        let config = try Config.parse("verify:\n  checks: [{name: unit, run: swift test, timeout: 600}]\n")
        let configured = config.resolvedChecks(flags: [])
        #expect(configured.map(\.name) == ["unit"] && configured.map(\.run) == ["swift test"])
        #expect(configured.map(\.timeout) == [600])
        let flagged = config.resolvedChecks(flags: ["make lint"])
        #expect(flagged.map(\.name) == ["make lint"] && flagged.map(\.run) == ["make lint"])
        #expect(flagged.map(\.timeout) == [nil])
    }
}
