import Foundation
import OrderedCollections
import Testing

@testable import IncidentKit

/// The `password` rule is tried only at the runs of key characters that hold one of its hints
/// (`Redactor.firstMatch`), in ASCII text. It must redact exactly what the plain search of the
/// whole line redacts: the two are run side by side on lines dense in keys, values, quotes,
/// escapes, runs that hold a hint in the middle, and earlier redactions.
@Suite struct RedactorSearchTests {
    static let fragments: [String] = [
        "password", "PASSWORD", "Passwd", "db_password", "x.pwd", "pwd", "my-secret", "secret", "client_secret",
        "token", "Token", "token_count", "apikey", "api_key", "key", "monkey", "keys", "AccountKey", "bypass",
        "=", ":", ":=", "=>", " ", "  ", "\"", "'", "\\\"", "\\\\\"", ",", ";", "&", "{", "}", "[", "]", "(", ")",
        "hunter2", "s3cr3t!", "Token{a64f992", "abc", "x", "1", "-", "_", ".", "/", "@", "?", "#",
        "ghp_" + String(repeating: "a", count: 36), "[REDACTED:github-token]", "[REDACTED:password]",
        "postgres://u:p@db/x", "é", "paſſword", "K", "\t",
    ]

    static func redactBothWays(_ line: String) -> (String, OrderedDictionary<String, Int>, String, OrderedDictionary<String, Int>) {
        let redactor = try! Redactor()
        let rules = Redactor.builtInRules
        var plainRules = rules
        for index in plainRules.indices { plainRules[index].startsAtHintRuns = false }
        let tried = rules.filter(\.startsAtHintRuns).count
        #expect(tried == 1)
        var fast: OrderedDictionary<String, Int> = [:]
        var plain: OrderedDictionary<String, Int> = [:]
        let a = redactor.apply(rules, to: line, counts: &fast)
        let b = redactor.apply(plainRules, to: line, counts: &plain)
        return (a, fast, b, plain)
    }

    @Test func redactsWhatThePlainSearchRedacts() {
        let lines = fragmentLines(Self.fragments, count: 40_000, seed: 11, maxPieces: 9, spaceOdds: 3)
            .map { String(decoding: $0, as: UTF8.self) }
        var redacted = 0
        let differing = lines.filter { line in
            let (a, fast, b, plain) = Self.redactBothWays(line)
            if a != line { redacted += 1 }
            return a != b || fast != plain
        }
        #expect(differing.count == 0, "\(differing.prefix(5))")
        // The lines are not all left alone, nor all redacted.
        #expect(redacted > 4_000 && redacted < 36_000)
    }

    /// The matches themselves, not only what is redacted: from every place a search may resume
    /// (after a match, or after a key that is not a secret), the anchored tries at the hint runs
    /// find the match a search of the whole rest of the line finds; with windows of a few
    /// characters, so that a window ends everywhere a match can.
    @Test(arguments: [3, 16, Redactor.searchWindow])
    func findsTheMatchThePlainSearchFinds(window: Int) {
        let rule = Redactor.builtInRules.first(where: \.startsAtHintRuns)!
        let lines = fragmentLines(Self.fragments, count: 3_000, seed: 12, maxPieces: 9, spaceOdds: 3)
            .map { String(decoding: $0, as: UTF8.self) }
        var matches = 0
        var differing: [String] = []
        for line in lines {
            let length = (line as NSString).length
            let runs = Redactor.hintRuns(line, hints: rule.hints)
            var next = 0
            for start in 0..<length {
                let fast = Redactor.firstMatch(
                    rule, in: line, from: start, length: length, runs: runs, next: &next, window: window)
                let plain = rule.regex.firstMatch(in: line, range: NSRange(location: start, length: length - start))
                if Self.ranges(fast) != Self.ranges(plain) {
                    differing.append(line)
                    break
                }
                if fast != nil { matches += 1 }
            }
        }
        #expect(differing.count == 0, "\(differing.prefix(5))")
        #expect(matches > 3_000)
    }

    /// Every rule's search in a window that doubles finds what one search of the rest of the line
    /// finds, from many places in lines longer than the windows: matches that end at a window's
    /// end, quoted values that run past it, `\b` and look-aheads beside it.
    @Test func theWindowedSearchFindsWhatTheWholeSearchFinds() {
        let rules = Redactor.builtInRules + Redactor.pii
        var generator = SeededGenerator(seed: 13)
        let lines = fragmentLines(Self.fragments + Self.otherKinds, count: 300, seed: 14, maxPieces: 40, spaceOdds: 3)
            .map { String(decoding: $0, as: UTF8.self) }
        var matches = 0
        var differing: [String] = []
        for line in lines {
            let length = (line as NSString).length
            for rule in rules {
                var start = Int.random(in: 0..<3, using: &generator)
                while start < length {
                    let window = [1, 2, 5, 13].randomElement(using: &generator)!
                    // Anchored: the match beginning at `start`, as a search of the rest of the line copied
                    // to a string of its own finds it (that string begins where the search does).
                    let anchored = Bool.random(using: &generator)
                    let windowed = Redactor.search(
                        rule.regex, in: line, from: start, length: length, anchored: anchored, window: window)
                    let rest = (line as NSString).substring(from: start)
                    let whole =
                        anchored
                        ? rule.regex.firstMatch(in: rest, options: .anchored, range: NSRange(location: 0, length: length - start))?
                            .adjustingRanges(offset: start)
                        : rule.regex.firstMatch(in: line, range: NSRange(location: start, length: length - start))
                    if Self.ranges(windowed) != Self.ranges(whole) { differing.append("\(rule.kind) at \(start): \(line)") }
                    if anchored, let whole, whole.range.location != start {
                        differing.append("anchored \(rule.kind) matched at \(whole.range.location), not \(start): \(line)")
                    }
                    if windowed != nil { matches += 1 }
                    start += Int.random(in: 1...9, using: &generator)
                }
            }
        }
        #expect(differing.count == 0, "\(differing.prefix(5))")
        #expect(matches > 1_000)
    }


    /// The places earlier redactions and allowed literals hold, searched by halves, give what a
    /// look at each of them gives.
    @Test func overlapsIsTheLookAtEachKeptRange() {
        var generator = SeededGenerator(seed: 15)
        var differing = 0
        for _ in 0..<3_000 {
            let kept = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                NSRange(location: Int.random(in: 0..<120, using: &generator), length: Int.random(in: 0...15, using: &generator))
            }
            let spans = Redactor.disjointSpans(kept)
            for _ in 0..<20 {
                let range = NSRange(
                    location: Int.random(in: 0..<130, using: &generator), length: Int.random(in: 1...12, using: &generator))
                let direct = kept.contains { NSIntersectionRange($0, range).length > 0 }
                if Redactor.overlaps(range, spans) != direct { differing += 1 }
            }
        }
        #expect(differing == 0)
    }

    /// The placeholders found in one pass are those Foundation's search from each one onwards
    /// finds, in ASCII text and beside accents, emoji and other characters that combine.
    @Test func placeholdersAreThoseASearchFinds() {
        let pieces = [
            "[REDACTED:password]", "[REDACTED:", "]", "[REDACTED", "x", " ", "[", "REDACTED:", "]]", "\u{301}", "é",
            "\u{200D}", "\u{FE0F}", "👍🏽", "日本", "\u{1100}\u{1161}", "\u{0E31}", "e\u{301}", "\r",
        ]
        let lines = fragmentLines(pieces, count: 8_000, seed: 16, maxPieces: 8).map { String(decoding: $0, as: UTF8.self) }
        let differing = lines.filter { line in Redactor.placeholders(in: line) != Self.placeholders(in: line as NSString) }
        #expect(differing.count == 0, "\(differing.prefix(3).map { Array($0.unicodeScalars.map(\.value)) })")
        #expect(lines.contains { !Redactor.placeholders(in: $0).isEmpty })
        // An accent after `]` makes it another character to Foundation: the placeholder runs on.
        #expect(Redactor.placeholders(in: "[REDACTED:x]\u{301}]") == [NSRange(location: 0, length: 14)])
    }

    /// A line of a mebibyte repeating one piece tens of thousands of times.
    struct LongLine: Sendable, CustomTestStringConvertible {
        let piece: String
        let times: Int
        /// What is redacted, and the text none of it may keep.
        let counts: [String: Int]
        let secret: String?
        var testDescription: String { "\(times) × \(piece.prefix(30))" }
    }

    /// Lines of a mebibyte with tens of thousands of `key=value` pairs: every secret is redacted,
    /// nothing else, also where each password comes after tens of thousands of earlier redactions
    /// (tokens given as passwords). Each search used to copy the rest of the line: such a line took
    /// minutes; the suite's time would show it, and bench/README gives the figures.
    @Test(arguments: [
        LongLine(piece: "password=hunter2 ", times: 60_000, counts: ["password": 60_000], secret: "hunter2"),
        LongLine(
            piece: "password=ghp_\(String(repeating: "a", count: 36)) pwd=hunter2 ", times: 15_000,
            counts: ["github-token": 15_000, "password": 15_000], secret: "hunter2"),
        LongLine(piece: "key=a ", times: 170_000, counts: [:], secret: nil),
    ])
    func aLongLineIsRedactedPairByPair(line: LongLine) throws {
        let text = "2024-01-01T00:00:00Z ERROR " + String(repeating: line.piece, count: line.times)
        var counts: OrderedDictionary<String, Int> = [:]
        let redacted = try Redactor().redact(text, counts: &counts)
        #expect(Dictionary(uniqueKeysWithValues: counts.map { ($0.key, $0.value) }) == line.counts)
        if let secret = line.secret { #expect(!redacted.contains(secret)) } else { #expect(redacted == text) }
        #expect(!redacted.contains("ghp_a"))
    }

    static let otherKinds = [
        "ghp_" + String(repeating: "b", count: 36), "AKIA" + String(repeating: "Q", count: 16), "eyJabcde.eyJfghij.klmnop",
        "Bearer abc.def-123", "Authorization: Basic dXNlcjpwYXNz", "https://hooks.slack.com/services/T0/B0/x",
        "xoxb-1234567890-abc", "sk-" + String(repeating: "9", count: 24), "npm_" + String(repeating: "c", count: 36),
        "?sig=abcdefghijklmnop%2B", "ops@example.com", "10.0.0.1", "fe80::1", "-----BEGIN RSA PRIVATE KEY-----",
        "AIza" + String(repeating: "d", count: 35), "ya29.abcdefghijklmnopqrstu", "whsec_" + String(repeating: "e", count: 20),
    ]

    /// The placeholders as the redactor found them before: Foundation's search from each one onwards.
    static func placeholders(in text: NSString) -> [NSRange] {
        let length = text.length
        var spans: [NSRange] = []
        var from = 0
        while from < length {
            let open = text.range(of: "[REDACTED:", range: NSRange(location: from, length: length - from))
            guard open.location != NSNotFound else { break }
            let close = text.range(of: "]", range: NSRange(location: open.location, length: length - open.location))
            let end = close.location == NSNotFound ? length : close.location + 1
            spans.append(NSRange(location: open.location, length: end - open.location))
            from = end
        }
        return spans
    }

    static func ranges(_ match: NSTextCheckingResult?) -> [NSRange] {
        match.map { m in (0..<m.numberOfRanges).map { m.range(at: $0) } } ?? []
    }

    @Test(arguments: [
        "token=Token{a64f992 u0 com.android/.Main t12} key=0|com.tencent.mm|4097|null password=hunter2",
        "a.b.c.password.d=x", "xpassword=1 password=2", "\"password\": \"p@ss\", \"token\": \"t\"",
        "paſſword=hunter2 key=1",
    ])
    func knownLines(line: String) {
        let (a, fast, b, plain) = Self.redactBothWays(line)
        #expect(a == b)
        #expect(fast == plain)
    }
}
