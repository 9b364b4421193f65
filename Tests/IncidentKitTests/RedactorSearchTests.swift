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
    /// (after a match, or after a key that is not a secret), the anchored tries find the match
    /// the plain search finds.
    @Test func findsTheMatchThePlainSearchFinds() {
        let rule = Redactor.builtInRules.first(where: \.startsAtHintRuns)!
        let lines = fragmentLines(Self.fragments, count: 8_000, seed: 12, maxPieces: 9, spaceOdds: 3)
            .map { String(decoding: $0, as: UTF8.self) }
        var matches = 0
        var differing: [String] = []
        for line in lines {
            let length = (line as NSString).length
            let runs = Redactor.hintRuns(line, hints: rule.hints)
            for start in 0..<length {
                let fast = Redactor.firstMatch(rule, in: line, from: start, length: length, runs: runs)
                let plain = Redactor.firstMatch(rule, in: line, from: start, length: length, runs: nil)
                let ranges = { (match: NSTextCheckingResult?) in
                    match.map { m in (0..<m.numberOfRanges).map { m.range(at: $0) } } ?? []
                }
                if ranges(fast) != ranges(plain) {
                    differing.append(line)
                    break
                }
                if fast != nil { matches += 1 }
            }
        }
        #expect(differing.count == 0, "\(differing.prefix(5))")
        #expect(matches > 8_000)
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
