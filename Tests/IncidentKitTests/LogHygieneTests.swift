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

    func stripped(_ text: String) -> String {
        var out: [UInt8] = []
        Array(text.utf8).withUnsafeBufferPointer { ControlSequences.strip($0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [
        ("\u{1B}[31mERROR\u{1B}[0m pool exhausted", "ERROR pool exhausted"),  // SGR
        ("\u{1B}[1;38;5;196mred\u{1B}[m", "red"),  // 256 colours
        ("\u{1B}[2K\u{1B}[1Gprogress 50%", "progress 50%"),  // cursor moves
        ("\u{1B}]0;pod logs\u{07}start", "start"),  // OSC ended by BEL
        ("\u{1B}]8;;https://example.com\u{1B}\\link\u{1B}]8;;\u{1B}\\ here", "link here"),  // OSC 8 ended by ST
        ("\u{1B}(Bplain\u{1B}7saved\u{1B}8", "plainsaved"),  // other ESC sequences
        ("\u{9B}32mgreen\u{9B}0m \u{9D}2;t\u{9C}x", "green x"),  // C1 CSI, OSC and ST as UTF-8
        ("a\u{00}b\u{07}c\u{08}d\rdone\u{7F}", "abcddone"),  // lone control bytes
        ("keep\ttabs and caf\u{E9} \u{B0}C", "keep\ttabs and caf\u{E9} \u{B0}C"),  // TAB and text stay
        ("trailing \u{1B}", "trailing "),
        ("\u{1B}]unterminated title", ""),
    ])
    func terminalSequencesAreStripped(raw: String, clean: String) {
        #expect(stripped(raw) == clean)
    }

    @Test func aColouredLogAndTheSameLogUncolouredGiveTheSameAnalysis() {
        let plain = """
            2026-11-30T10:00:01Z INFO  starting api on :8080
            2026-11-30T10:00:02Z ERROR dial tcp 10.0.0.7:6379: connect: connection refused
            2026-11-30T10:00:03Z WARN  retrying in 5s
            2026-11-30T10:00:08Z ERROR dial tcp 10.0.0.7:6379: connect: connection refused
            2026-11-30T10:00:09Z FATAL giving up after 2 attempts
            panic: redis unavailable
                main.main()
            """
        // What `kubectl logs` shows for a logger that colours its level words, and a progress line.
        let coloured = """
            2026-11-30T10:00:01Z \u{1B}[32mINFO\u{1B}[0m  starting api on :8080
            2026-11-30T10:00:02Z \u{1B}[31mERROR\u{1B}[0m dial tcp 10.0.0.7:6379: connect: connection refused
            2026-11-30T10:00:03Z \u{1B}[33mWARN\u{1B}[0m  retrying in 5s\u{1B}[K
            2026-11-30T10:00:08Z \u{1B}[1;31mERROR\u{1B}[0m dial tcp 10.0.0.7:6379: connect: connection refused
            \u{1B}]0;api\u{07}2026-11-30T10:00:09Z \u{1B}[41;37mFATAL\u{1B}[0m giving up after 2 attempts
            \u{1B}[31mpanic: redis unavailable\u{1B}[0m
                \u{1B}[2mmain.main()\u{1B}[0m
            """
        let a = analyze(plain)
        let b = analyze(coloured)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.severity == b.severity && b.severity == .critical)
        #expect(a.events.map(\.id) == b.events.map(\.id))
        #expect(a.events.map(\.template) == b.events.map(\.template))
        #expect(a.events.map(\.count) == b.events.map(\.count))
        #expect(a.events.map(\.severity) == b.events.map(\.severity))
        #expect(a.events.map(\.example) == b.events.map(\.example))
        #expect(a.title == b.title && a.services == b.services)
        #expect(a.lineEvents == b.lineEvents)
        #expect(!JSON.encode(b.toValue()).contains("\u{1B}"))
    }

    @Test func colourAroundASecretDoesNotHideIt() {
        let token = "ghp_" + String(repeating: "c", count: 36)
        let analysis = analyze(
            "2026-11-30T10:00:01Z \u{1B}[31mERROR\u{1B}[0m auth with \u{1B}[1m\(token)\u{1B}[0m failed\n")
        #expect(analysis.redactions["github-token"] == 1)
        #expect(!JSON.encode(analysis.toValue()).contains(token))
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
