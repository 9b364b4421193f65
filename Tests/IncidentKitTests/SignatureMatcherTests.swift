import Foundation
import Testing

@testable import IncidentKit

/// The prepared matcher must answer exactly as the catalog's own loops: same signature, same
/// services, on every text.
@Suite struct SignatureMatcherTests {
    static let catalog = SignatureCatalog.builtIn
    static let matcher = SignatureMatcher(catalog)

    static func expectAgreement(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let fast = matcher.match(text)
        let slow = catalog.match(text)
        #expect(fast?.signature.id == slow?.signature.id, "\(text)", sourceLocation: sourceLocation)
        #expect(fast?.service == slow?.service && fast?.hint == slow?.hint, sourceLocation: sourceLocation)
        #expect(matcher.services(in: text) == catalog.services(in: text), "\(text)", sourceLocation: sourceLocation)
    }

    /// The texts an analysis matches: real excerpts (line by line and a few lines together), the
    /// example log, and every signature's examples and counterexamples, also upper- and lower-cased.
    static func corpus() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var texts: [String] = []
        let excerpts = root.appendingPathComponent("bench/excerpts")
        let folders = try FileManager.default.contentsOfDirectory(atPath: excerpts.path).sorted()
        var logs = folders.map { excerpts.appendingPathComponent($0).appendingPathComponent("log.txt") }
        logs.append(root.appendingPathComponent("examples/redis-staging.log"))
        for log in logs {
            guard let data = FileManager.default.contents(atPath: log.path) else { continue }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            texts += lines
            texts += stride(from: 0, to: lines.count, by: 4).map {
                lines[$0..<min(lines.count, $0 + 5)].joined(separator: "\n")
            }
        }
        for signature in catalog.signatures {
            for text in signature.examples + signature.counterexamples {
                texts += [text, text.uppercased(), text.lowercased(), "prefix " + text + " suffix"]
            }
        }
        return texts
    }

    @Test func matchesAsTheCatalogDoesOnRealTexts() throws {
        let texts = try Self.corpus()
        #expect(texts.count > 3000)
        for text in texts { Self.expectAgreement(text) }
    }

    /// The built-in regexes are compiled when first used, so they are checked here.
    @Test func everyBuiltInRegexCompiles() {
        for signature in Self.catalog.signatures {
            #expect(signature.compiled.regex != nil, "\(signature.id): \(signature.match)")
        }
    }

    @Test func everyExampleStillFindsItsSignature() {
        for signature in Self.catalog.signatures {
            for example in signature.examples {
                #expect(Self.matcher.match(example) != nil, "\(signature.id): \(example)")
            }
        }
    }

    /// Not vacuous: nearly every built-in signature has a required text, so its regex is skipped on
    /// texts without it.
    @Test func mostSignaturesHaveARequiredText() {
        let with = Self.matcher.required.filter { $0 != nil }.count
        #expect(with * 10 >= Self.catalog.signatures.count * 9, "\(with) of \(Self.catalog.signatures.count)")
    }

    @Test func requiredTextOfHandWrittenPatterns() {
        func strings(_ pattern: String) -> Set<String>? {
            RequiredText.of(pattern).map { Set($0.map { String(decoding: $0, as: UTF8.self) }) }
        }
        #expect(strings(#"(?i)\bOOM command not allowed\b"#) == ["oom command not allowed"])
        #expect(strings(#"(?i)\b(?:Background saving error|Can't save)"#) == ["background saving error", "can't save"])
        #expect(
            strings(#"(?:\bredis\b|ioredis).*\b(?:connection refused|ECONNREFUSED)"#) == [
                "connection refused", "econnrefused",
            ])
        #expect(strings("colou?r") == ["colo"])
        #expect(strings("ab+cd") == ["ab"] || strings("ab+cd") == ["cd"])
        #expect(strings(#"x{0,3}yz"#) == ["yz"])
        #expect(strings(#"[abc]+def"#) == ["def"])
        #expect(strings(#"(?=look)ahead"#) == ["ahead"])
        #expect(strings(#"(?:opt)?ional"#) == ["ional"])
        #expect(strings(#"port \d+ \(PID \d+\)"#) == ["port "] || strings(#"port \d+ \(PID \d+\)"#) == [" (pid "])
        #expect(strings(#"a|\d+"#) == nil)  // one alternative needs no text
        #expect(strings(#"\Qa|b\E"#) == nil)  // quoting: not read
        #expect(strings(#"(?x) a b"#) == nil)  // extended syntax: not read
        #expect(strings(#"\p{L}+x"#) == nil)
        #expect(strings(#"[[a-z]&&[^b]]x"#) == nil)
        #expect(strings(#"\d+"#) == nil)
    }

    /// A required text is necessary: every text a pattern matches holds one of its strings.
    @Test func requiredTextIsNeverMissingFromAMatch() throws {
        let patterns = [
            #"(?i)colou?r (?:red|green)+"#, #"a(?:bc|de)f"#, #"(?i)\bERR(?:OR)?\b: x{1,2}y"#,
            #"[0-9]+ms (?:elapsed)?done"#,
        ]
        let texts = [
            "color red", "COLOUR GREENgreen", "abcf", "adef", "ERR: xy", "error: xxy", "12ms done", "12ms elapseddone",
        ]
        for pattern in patterns {
            let regex = try NSRegularExpression(pattern: pattern)
            let required = try #require(RequiredText.of(pattern), "\(pattern)")
            for text in texts where regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil {
                let lowered = try #require(SignatureMatcher.asciiLowercased(text))
                #expect(required.contains { SignatureMatcher.find($0, in: lowered) != nil }, "\(pattern) on \(text)")
            }
        }
    }

    @Test func nonASCIITextIsMatchedWithoutTheFilter() {
        // U+212A KELVIN SIGN matches 'k' under (?i) in ICU; the byte filter would not see it.
        var catalog = SignatureCatalog()
        catalog.signatures = [
            Signature(
                id: "kelvin", match: "(?i)kafka down", category: "other", service: nil, severity: nil, hint: "",
                examples: [], counterexamples: [], origin: "test",
                compiled: CompiledPattern("(?i)kafka down"))
        ]
        let matcher = SignatureMatcher(catalog)
        let text = "\u{212A}afka down"
        #expect(matcher.match(text)?.signature.id == catalog.match(text)?.signature.id)
    }

    @Test func findLocatesTheFirstOccurrence() {
        #expect(SignatureMatcher.find(Array("abc".utf8), in: Array("xxabcabc".utf8)) == 2)
        #expect(SignatureMatcher.find(Array("abd".utf8), in: Array("abcab".utf8)) == nil)
        #expect(SignatureMatcher.find(Array("ab".utf8), in: Array("ab".utf8)) == 0)
        #expect(SignatureMatcher.find(Array("abc".utf8), in: Array("ab".utf8)) == nil)
    }
}
