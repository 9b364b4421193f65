import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

/// What the analysis does with input that is not a clean text log: colour, binary data, year-less
/// dates, pathological JSON, truncated gzip (issues 7 and 13).
@Suite struct LogHygieneTests {
    static let now = Time.parse("2026-12-01T00:00:00Z")!

    func analyze(_ text: String) -> LogAnalysis {
        LogAnalyzer(redactor: try! Redactor(), now: Self.now).analyze(Data(text.utf8))
    }

    @Test(arguments: [
        ("Dec 31 23:59:59 web-1 app[12]: ERROR late", "2025-12-31T23:59:59Z"),  // after now: last year
        ("Nov 30 10:00:00 web-1 app[12]: ERROR recent", "2026-11-30T10:00:00Z"),
        ("Dec  1 10:00:00 web-1 app[12]: ERROR today, in a zone east of UTC", "2026-12-01T10:00:00Z"),
        ("Dec  3 10:00:00 web-1 app[12]: ERROR two days ahead", "2025-12-03T10:00:00Z"),
        ("Feb 29 12:00:00 web-1 app[12]: ERROR leap day", "2024-02-29T12:00:00Z"),
        ("12-31 23:59:59.123  1795  1825 E Tag: late", "2025-12-31T23:59:59Z"),  // logcat
        ("[Sun Dec 04 04:47:44 2005] [error] an explicit year stays", "2005-12-04T04:47:44Z"),
    ])
    func yearlessDatesAreTheMostRecentThatIsNotInTheFuture(line: String, time: String) throws {
        let primary = try #require(analyze(line + "\n").primary)
        #expect(primary.firstSeen.map(Time.format) == time)
    }

    @Test func yearlessDatesFollowTheAnalysersClock() throws {
        let line = "Dec 31 23:59:59 web-1 app[12]: ERROR late\n"
        let later = LogAnalyzer(redactor: try Redactor(), now: Time.parse("2027-01-02T00:00:00Z")!).analyze(
            Data(line.utf8))
        #expect(later.primary?.firstSeen.map(Time.format) == "2026-12-31T23:59:59Z")
    }

    /// `python3 -c "print('{\"a\":' + '['*100000)" | incident analyze -` crashed with SIGSEGV.
    @Test func deeplyNestedJSONIsReadAsPlainText() throws {
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + "\n"
        let analysis = analyze(deep)
        #expect(analysis.lines == 1)
        #expect(analysis.format == "plain")
        let closed = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}\n"
        #expect(analyze(closed).format == "plain")
        // Nesting as real entries have it is still JSON.
        let nested =
            "{\"level\":\"error\",\"msg\":\"disk full\",\"ctx\":" + String(repeating: "{\"a\":", count: 40) + "1"
            + String(repeating: "}", count: 40) + "}\n"
        #expect(analyze(nested).format == "json")
        #expect(analyze(nested).primary?.severity == .high)
    }
}
