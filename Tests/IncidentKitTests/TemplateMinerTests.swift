import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

func maskedTokens(_ text: String) -> [String] {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { TemplateMiner.maskedTokens($0, 0, $0.count) }
}

/// Lines written for these tests; `analyze` is LogFormatTests' helper.
func templates(_ lines: [String]) -> [String: Int] {
    let analysis = analyze(lines.joined(separator: "\n") + "\n")
    return Dictionary(uniqueKeysWithValues: analysis.events.map { ($0.template, $0.count) })
}

/// How messages become templates: classes C (a variable of another shape) and B/D (whether a
/// word position is variable) of issue 7.
@Suite struct TemplateMinerTests {
    @Test func aPathOrURLIsOneVariableWhateverItsQueryHolds() {
        #expect(maskedTokens("GET /v1/a/b?x=1&y=2 done") == ["GET", "<*>", "done"])
        #expect(maskedTokens("GET /v1/c/d later") == ["GET", "<*>", "later"])
        #expect(maskedTokens("fetch hdfs://node-1:9000/user/x.jar") == ["fetch", "<*>"])
        #expect(maskedTokens(#"open "/etc/app/conf.d/a=b""#) == ["open", "<*>"])
        // One slash is not a path; key=value keeps its key.
        #expect(maskedTokens("and/or user=bob") == ["and/or", "user=bob"])
        let found = templates([
            "2025-09-09T02:25:11Z INFO 10.0.0.1 GET /v2/t1/servers/detail HTTP/1.1 status: 200",
            "2025-09-09T02:25:12Z INFO 10.0.0.1 GET /v2/t1/servers/detail?all=True&since=2025-09-09 HTTP/1.1 status: 200",
        ])
        #expect(found == ["<*> GET <*> <*> status: <*>": 2])
    }

    @Test func aSignedNumberAfterANameHasTheUnsignedOnesShape() {
        #expect(maskedTokens("offset.top:180, i:0") == maskedTokens("offset.top:-1, i:0"))
        #expect(maskedTokens("at app.Main$Handler.run:88") == ["at", "<*>"])
    }

    @Test func hexGroupsAreOneVariableEvenWithoutADigit() {
        #expect(maskedTokens("chip FF:F2:9F:AB:E2:CD changed") == ["chip", "<*>", "changed"])
        #expect(maskedTokens("chip FF:F2:9F:16:E2:23:00:0D changed") == ["chip", "<*>", "changed"])
        #expect(maskedTokens("mac aa-bb-cc-dd-ee-ff,") == ["mac", "<*>"])
        // Fewer groups, longer groups or mixed separators are words.
        #expect(maskedTokens("state ab:cd") == ["state", "ab:cd"])
        #expect(maskedTokens("go fade-face-bead-feed") == ["go", "fade-face-bead-feed"])
        #expect(maskedTokens("ab:cd-ef:ab") == ["ab:cd-ef:ab"])
    }

    /// Lines of an sshd-like log: `count` lines of `method` with varying users and addresses.
    static func failures(_ method: String, _ count: Int, from: Int = 0) -> [String] {
        (0..<count).map { i in
            "2025-09-09T02:25:\(10 + (from + i) % 40)Z INFO Failed \(method) for invalid user u\(from + i) from 10.0.0.\(from + i) port \(4000 + i) ssh2"
        }
    }

    @Test func eventsThatDifferInOneWordOfAFewAreKeptApart() {
        // Class B: "password" and "none" are two events, not a variable.
        let found = templates(Self.failures("password", 30) + Self.failures("none", 2, from: 30))
        #expect(
            found == [
                "Failed password for invalid user <*> from <*> port <*> ssh2": 30,
                "Failed none for invalid user <*> from <*> port <*> ssh2": 2,
            ])
        let phases = templates(
            (0..<6).flatMap { i in
                [
                    "2025-09-09T02:25:0\(i)Z INFO layout pass \(i) begin",
                    "2025-09-09T02:25:0\(i)Z INFO layout pass \(i) end",
                ]
            })
        #expect(phases == ["layout pass <*> begin": 6, "layout pass <*> end": 6])
    }

    @Test func aWordInsideATokenCanTellEventsApart() {
        let found = templates(
            (0..<5).map { "2025-09-09T02:25:0\($0)Z INFO session opened for user u\($0) by (uid=\($0))" }
                + ["2025-09-09T02:25:09Z INFO session opened for user root by LOGIN(uid=0)"])
        #expect(
            found == [
                "session opened for user <*> by (uid=<*>)": 5, "session opened for user <*> by LOGIN(uid=<*>)": 1,
            ])
    }

    @Test func aPositionWithManyRareWordsIsVariable() {
        // Class D: words without digits, each rare, are values.
        let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
        let closed = templates(names.map { "2025-09-09T02:25:11Z INFO session closed for user \($0)" })
        #expect(closed == ["session closed for user <*>": 7])
        // Five words or more: variable as soon as the fifth is seen, whatever their counts.
        let many = templates(
            (0..<40).map {
                "2025-09-09T02:25:11Z INFO lock held by worker\(String(repeating: "x", count: $0 % 20 + 1)) now"
            })
        #expect(many.count == 1 && many.values.first == 40, "\(many)")
    }

    @Test(arguments: [
        ([10, 10, 10], true),  // three words, none dominant: values
        ([95, 3, 2], false),  // one word is the norm, two rare others: three events
        ([1, 1], false),  // two words: two events
        ([50, 50], false),
        ([96, 1, 1, 1, 1], true),  // five words or more: values
    ])
    func whetherAPositionIsVariableWeighsItsWordsAgainstTheirCounts(counts: [Int], variable: Bool) {
        #expect(TemplateMiner.isVariable(counts: counts) == variable)
    }

    @Test func variantsReadInTwoHalvesGiveTheSameEvents() throws {
        var lines: [String] = []
        for round in 0..<400 {
            lines += Self.failures("password", 3, from: round * 3)
            if round % 50 == 0 { lines += Self.failures("none", 1, from: round) }
            lines.append(
                "2025-09-09T02:25:0\(round % 10)Z INFO layout pass \(round) \(round % 2 == 0 ? "begin" : "end")")
            lines.append(
                "2025-09-09T02:25:0\(round % 10)Z INFO session closed for user \(["ann", "ben", "cy", "dee"][round % 4])"
            )
        }
        let text = lines.joined(separator: "\n") + "\n"
        let repo = try TestRepo(git: false)
        try repo.write("variants.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let inOrder = try analyzer.analyze(descriptor: open(repo.path("variants.log"), O_RDONLY))
        let halves = try analyzer.analyze(
            first: open(repo.path("variants.log"), O_RDONLY), second: open(repo.path("variants.log"), O_RDONLY),
            size: text.utf8.count)
        #expect(Set(inOrder.events.map(\.template)).count == 5, "\(inOrder.events.map(\.template))")
        #expect(halves.events.map(\.id) == inOrder.events.map(\.id))
        #expect(halves.events.map(\.count) == inOrder.events.map(\.count))
        #expect(halves.lineEvents == inOrder.lineEvents)
    }
}
