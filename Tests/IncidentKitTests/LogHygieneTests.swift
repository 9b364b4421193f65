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
        // rsyslog's escapes of the control bytes it received: a tab stays a tab, a colour goes.
        ("09:14:49,630#011ClusterMonitor#011WARNING#011refused", "09:14:49,630\tClusterMonitor\tWARNING\trefused"),
        ("#033[31mERROR#033[0m pool exhausted#015", "ERROR pool exhausted"),
        // Not escapes: a number after '#', digits past octal, a printable code.
        ("issue #0189 and #089 and #101 and #1 stay", "issue #0189 and #089 and #101 and #1 stay"),
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

    /// An image, random bytes, a core dump's NUL padding.
    static let binaries: [(String, [UInt8])] = {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let text = Array(repeating: Array("x=1\n".utf8), count: 100).flatMap { $0 }
        let core: [UInt8] = [0x7F] + Array("ELF".utf8) + [UInt8](repeating: 0, count: 5000) + text
        return [
            ("nul", [UInt8](repeating: 0, count: 70_000)), ("png", png + noise(70_000, seed: 1)),
            ("random", noise(70_000, seed: 2)), ("core", core),
        ]
    }()

    @Test(arguments: binaries)
    func binaryInputIsRefusedFromItsFirstBytes(name: String, bytes: [UInt8]) throws {
        let repo = try TestRepo(git: false)
        try repo.writeBytes(name, bytes)
        #expect(throws: LogInputError.binary) {
            try LogAnalyzer(redactor: try Redactor(), now: Self.now).analyze(
                descriptor: open(repo.path(name), O_RDONLY))
        }
    }

    @Test func textInOtherEncodingsAndColourIsNotBinary() throws {
        let latin1: [UInt8] = Array("2026-11-30T10:00:01Z ERROR caf".utf8) + [0xE9] + Array(" ferm\n".utf8)
        let colour = Array("2026-11-30T10:00:01Z \u{1B}[31mERROR\u{1B}[0m x\n".utf8)
        for bytes in [latin1, colour, Array(repeating: latin1, count: 100).flatMap { $0 }] {
            #expect(!bytes.withUnsafeBufferPointer(BinaryData.isBinary))
        }
    }

    /// Found by `make fuzz`: colour added to a line changed whether it counted as binary, because
    /// the escape sequences' printable bytes lowered the share of odd bytes.
    @Test func colourDoesNotDecideWhetherALineIsBinary() {
        let odd = Array("handler.go:42 panicked ".utf8) + Array(repeating: UInt8(0x01), count: 12)
        let coloured = Array("\u{1B}[1;38;5;196m\u{1B}[48;5;236m".utf8) + odd + Array("\u{1B}[0m\u{1B}[K".utf8)
        let plainIsBinary = odd.withUnsafeBufferPointer(BinaryData.isBinary)
        #expect(plainIsBinary, "12 control bytes in 35 are more than 30%")
        #expect(coloured.withUnsafeBufferPointer(BinaryData.isBinary) == plainIsBinary)
        // A line of colour sequences alone is not binary, and neither is colour around invalid UTF-8
        // (a line with no control byte is never checked, so the same line coloured is not either).
        #expect(!Array("\u{1B}[0m\u{1B}[K".utf8).withUnsafeBufferPointer(BinaryData.isBinary))
        let invalid = Array("\u{1B}[31m".utf8) + Array(repeating: UInt8(0xFF), count: 40) + Array("\u{1B}[0m".utf8)
        #expect(!invalid.withUnsafeBufferPointer(BinaryData.isBinary))
        let log = "{\"" + String(repeating: "\u{FFFD}", count: 40) + "severity\":\"ERROR\"\n"
        let plain = analyze(log)
        let colouredLog = analyze("\u{1B}[1;31m" + log.dropLast() + "\u{1B}[0m\n")
        #expect(plain.events.map(\.template) == colouredLog.events.map(\.template))
    }

    /// Found by `make fuzz`: a line that starts like a secret and holds binary data was kept,
    /// but skipped as binary once coloured (the scan found the secret first and never looked on).
    @Test func aLineWithBinaryDataIsSkippedWhateverTheScanFindsFirst() {
        var line = Array(#"{"log.level":"error","message":"password=hunter2 rejected","x":""#.utf8)
        line += [0x0B] + Array(repeating: UInt8(0xFF), count: 80) + Array("\"}\n".utf8)
        let log = Array("2026-11-30T10:00:01Z ERROR pool exhausted\n".utf8) + line
        let coloured = Array("2026-11-30T10:00:01Z ERROR pool exhausted\n".utf8)
            + Array("\u{1B}[31m".utf8) + line.dropLast() + Array("\u{1B}[0m\n".utf8)
        let analyzer = LogAnalyzer(redactor: try! Redactor(), now: Self.now)
        let plain = analyzer.analyze(Data(log))
        let again = analyzer.analyze(Data(coloured))
        #expect(plain.binaryLines == 1 && again.binaryLines == 1)
        #expect(plain.events.map(\.template) == again.events.map(\.template))
    }

    /// Issue 13: one 1 MiB line of NUL bytes took 15 s; 50 MB of random bytes never finished.
    @Test func binaryDataAmidALogIsSkippedFast() throws {
        var bytes: [UInt8] = []
        for index in 0..<1500 { bytes += Array("2026-11-30T10:00:01Z INFO request \(index) served in 12ms\n".utf8) }
        bytes += Array("2026-11-30T10:00:02Z ERROR disk full on /var\n".utf8)
        bytes += [UInt8](repeating: 0, count: 1 << 20) + [0x0A]
        bytes += Self.noise(4 << 20, seed: 3)
        bytes += Array("\n2026-11-30T10:00:03Z ERROR disk full on /data\n".utf8)
        let repo = try TestRepo(git: false)
        try repo.writeBytes("mixed.log", bytes)
        let clock = ContinuousClock()
        var analysis = LogAnalysis()
        let elapsed = try clock.measure {
            analysis = try LogAnalyzer(redactor: try Redactor(), now: Self.now).analyze(
                descriptor: open(repo.path("mixed.log"), O_RDONLY))
        }
        #expect(elapsed < .seconds(20), "\(elapsed)")
        #expect(analysis.binaryLines > 10_000)
        #expect(analysis.primary?.template == "disk full on <*>")
        #expect(analysis.primary?.count == 2)
    }

    @Test func binaryDataAmidALogIsSaidOnStderr() throws {
        let repo = try TestRepo()
        var bytes = Array(String(repeating: "2026-11-30T10:00:01Z ERROR disk full on /var\n", count: 2000).utf8)
        bytes += [UInt8](repeating: 0, count: 1000) + [0x0A]
        try repo.writeBytes("app.log", bytes)
        let diagnostics = Diagnostics()
        let workspace = try Workspace.open(repo.environment(diagnostics: diagnostics), directory: nil)
        let analysis = try AnalyzeWorkflow(workspace: workspace).run(source: "app.log", eventsOut: nil)
        #expect(analysis.inputWarnings == ["app.log has binary data amid the log; skipped 1 line of it."])
        #expect(diagnostics.lines == ["warning: app.log has binary data amid the log; skipped 1 line of it."])
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

    @Test func aTruncatedGzipIsAnalysedAsFarAsItGoesWithAWarning() throws {
        let repo = try TestRepo()
        var text = ""
        for index in 0..<4000 { text += "2026-11-30T10:00:01Z ERROR request \(index) failed: connection refused\n" }
        try repo.write("app.log", text)
        try TestRepo.run(["gzip", "app.log"], in: repo.root)
        let whole = try repo.bytes("app.log.gz")
        try repo.writeBytes("cut.log.gz", Array(whole.prefix(whole.count / 2)))
        let diagnostics = Diagnostics()
        let workspace = try Workspace.open(repo.environment(diagnostics: diagnostics), directory: nil)
        let analysis = try AnalyzeWorkflow(workspace: workspace).run(source: "cut.log.gz", eventsOut: nil)
        #expect(analysis.truncated)
        #expect(analysis.lines > 100 && analysis.lines < 4000)
        let warning = "cut.log.gz ends early (truncated gzip stream); analysed the \(analysis.lines) lines before that."
        #expect(analysis.inputWarnings == [warning])
        #expect(analysis.toValue()["input"]?["warnings"] == .strings([warning]))
        #expect(diagnostics.lines == ["warning: " + warning])
        // The whole file says nothing.
        let complete = try AnalyzeWorkflow(workspace: workspace).run(source: "app.log.gz", eventsOut: nil)
        #expect(!complete.truncated && complete.lines == 4000 && complete.inputWarnings.isEmpty)
    }

    static let notLogs: [(String, [UInt8], String)] = [
        ("empty.log", [], "empty.log is empty; nothing was written."),
        (
            "blank.log", Array("\n   \n\t\n".utf8),
            "blank.log holds no log lines (only blank lines or binary data); nothing was written."
        ),
        (
            "x.png", [0x89, 0x50, 0x4E, 0x47] + noise(100_000, seed: 4),
            "x.png does not look like a text log (binary data); nothing was written."
        ),
    ]

    @Test(arguments: notLogs)
    func analyzeAndNewRefuseInputThatIsNotATextLogAndWriteNothing(
        name: String, bytes: [UInt8], message: String
    )
        throws
    {
        let repo = try TestRepo()
        try repo.writeBytes(name, bytes)
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        #expect(throws: IncidentError.failure(message)) {
            try AnalyzeWorkflow(workspace: workspace).run(source: LogSource(argument: name), eventsOut: "rows.tsv")
        }
        #expect(!FileManager.default.fileExists(atPath: repo.path("rows.tsv")))
        var request = NewIncidentRequest()
        request.fromLog = LogSource(argument: name)
        #expect(throws: IncidentError.failure(message)) { try NewIncidentWorkflow(workspace: workspace).run(request) }
        #expect(try repo.incidentFiles().isEmpty)
    }

    /// Deterministic noise (xorshift), so a failure can be replayed.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }
}
