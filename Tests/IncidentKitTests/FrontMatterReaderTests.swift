import Foundation
import OrderedCollections
import Testing

@testable import IncidentKit

/// The front-matter reader must give what Yams gives, or leave the text to Yams (nil).
@Suite struct FrontMatterReaderTests {
    /// Both readers on one text: the fast one's answer, when it gives one, equals Yams'.
    @discardableResult
    static func agree(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> Value? {
        let fast = FrontMatterReader.parse(yaml)
        if let fast {
            let slow = try? YAML.parseWithLibYAML(yaml)
            #expect(slow == fast, "fast reader differs from Yams on:\n\(yaml)", sourceLocation: sourceLocation)
        }
        return fast
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func markdownFiles(in folder: String) -> [URL] {
        let url = packageRoot.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasSuffix(".md") }.sorted().map { url.appendingPathComponent($0) }
    }

    @Test func everyIncidentFixtureReadsTheSameOnTheFastPath() throws {
        let files = Self.markdownFiles(in: "incidents") + Self.markdownFiles(in: "fuzz/corpus/frontmatter")
        #expect(files.count >= 5)
        var fastCount = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            guard let split = FrontMatter.split(text) else { continue }
            if Self.agree(split.yaml) != nil { fastCount += 1 }
        }
        // The repo's own incident and the plain fixtures take the fast path (nested.md has a folded block).
        #expect(fastCount >= 4)
        let own = try String(contentsOf: Self.markdownFiles(in: "incidents")[0], encoding: .utf8)
        #expect(FrontMatterReader.parse(FrontMatter.split(own)!.yaml) != nil)
    }

    @Test func templateFrontMatterAgrees() throws {
        let files = Self.markdownFiles(in: "templates") + Self.markdownFiles(in: "fuzz/corpus/template")
        #expect(files.count >= 7)
        var fastCount = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            guard let split = FrontMatter.split(text) else { continue }
            if Self.agree(split.yaml) != nil { fastCount += 1 }
        }
        #expect(fastCount >= 7)
    }

    /// The built-in signatures file and the default config are read on the fast path, as Yams reads them.
    @Test func theBuiltInSignaturesReadOnTheFastPath() {
        #expect(Self.agree(DefaultSignatureSource.text) != nil)
    }

    @Test func theBenchmarkIncidentShapeTakesTheFastPath() {
        let yaml = """
            id: inc-0a1b2c
            title: Redis connection failure in staging #3
            severity: high
            status: open
            stage: five-whys
            owner: dana
            environment: staging
            services: [redis]
            fingerprint: 00ab12cd34ef
            occurrences: 412
            first_seen: 2025-03-04T02:25:11Z
            recurrence_of: null
            created: 2025-03-04T02:40:11Z
            stages:
              identify: {completed: 2025-03-04T02:40:11Z}
              five-whys:
                completed: 2025-03-04T03:02:47Z
                answers:
                  whys:
                    - The backend refused to start because readiness validation failed on redis.
                    - Every connection to redis timed out after 5 seconds.
                  root_cause: The staging service lost its VPC connector in the Terraform migration.

            """
        let value = Self.agree(yaml)
        #expect(value?["occurrences"] == .int(412))
        #expect(value?["recurrence_of"] == .null)
        #expect(value?["stages"]?["identify"]?["completed"] == .string("2025-03-04T02:40:11Z"))
        #expect(value?["stages"]?["five-whys"]?["answers"]?["whys"]?.array?.count == 2)
    }

    /// Hand-written front-matter the reader must take, each compared with Yams.
    @Test func trickyFrontMatterItTakesReadsAsYamsReadsIt() {
        let cases = [
            "\"quoted key\": 1\n'single ''key''': two\n",
            "k: \"esc \\\" \\\\ \\/ \\n \\t \\r \\x41 \\u00e9 \\U0001F6A8 \\_ \\N \\e end\"\n",
            "k: 'it''s #not a comment'\n",
            "k: value # a comment\nj: a#b\n",
            "# leading comment\nk: v\n  # indented comment\nj: w\n# trailing\n",
            "a: 1\r\nb:\r\n  - x\r\n  - y\r\nc: |\r\n  line one\r\n  line two\r\n",
            "title: émoji 🚨 ünïcödé — “quotes”\nkey ü: ✓\n",
            "n: -1\nf: 2.5\ne: 1e3\nbig: 123456789012345678901234567890\nt: True\nno: no\nnul: ~\nempty:\n",
            "url: https://example.com/a?b=c#frag\ntime: 12:30:45\nwin: C:\\path\n",
            "list:\n- a\n- b\nnext: 1\n",
            "list:\n  -\n    a: 1\n  - b: 2\n    c: 3\n  -   d: 4\n      e: 5\n",
            "seq:\n  - -1\n  - -x\n  - \"quoted\"\n  - 'single'\n",
            "flow: [a, 'b, c', \"d]\", -1, 2.0, null, true]\nmap: {a: 1, \"b c\": x, d: 2025-01-01T00:00:00Z}\n",
            "empty: []\nalso: {}\nspaced: [ ]\n",
            "text: |\n  first\n\n  third\n    indented\nafter: x\n",
            "text: |-\n  no final break\nafter: x\n",
            "text: |\n  last in file\n",
            "k:    spaced value   \n",
            "key with spaces  : v\n",
            "a:\n  b:\n    c:\n      d: deep\n  e: back\n",
            "-x: dash key\nv: -dash value\n",
            "k: a [b] {c} d, e\n",
            "k: '  padded  '\n",
        ]
        for yaml in cases {
            #expect(Self.agree(yaml) != nil, "expected the fast reader to take:\n\(yaml)")
        }
    }

    /// What the reader leaves to Yams: each is nil here, and `IncidentDocument.parse` still reads it
    /// (or reports it) through Yams.
    @Test func unusualFrontMatterFallsBackToYams() throws {
        let deferred = [
            "a: &x 1\nb: *x\n",  // anchors and aliases (Yams path refuses them)
            "a: !!str 1\n",  // tags
            "a: >\n  folded\n  text\n",  // folded block
            "a: |+\n  keep\n\n",  // keep chomping
            "a: |2\n   indicator\n",  // indentation indicator
            "a: plain\n  continued\n",  // multi-line plain scalar
            "a: \"multi\n  line\"\n",  // multi-line quoted scalar
            "a: [x,\n  y]\n",  // multi-line flow
            "a: [[x]]\n",  // nested flow
            "seq:\n  - - nested\n",  // a sequence in a sequence on one line
            "a: {b: [x]}\n",  // nested flow
            "a:\tb\n",  // tab
            "a: 1\na: 2\n",  // duplicate key (Yams reports it)
            "? complex\n: key\n",  // complex key
            "<<: {a: 1}\n",  // merge key
            "a: b: c\n",  // malformed
            "  a: indented document\n",
            "- top-level sequence\n",
            "a: \"nul \\0\"\n",  // NUL ends a C string in libyaml
            "a: x\u{85}y\n",  // NEL, a line break to libyaml
            "a: \u{FEFF}bom\n",
            "%YAML 1.2\n",
            "",
            "# only a comment\n",
            "a: |\n\n  leading blank line\n",
            "a: 'unclosed\n",
            "a: 1\r b: 2\n",  // a lone CR
        ]
        for yaml in deferred {
            #expect(FrontMatterReader.parse(yaml) == nil, "expected the fast reader to leave to Yams:\n\(yaml)")
        }
        // Through the document parser: Yams reads what it can and reports the rest as before.
        let folded = try IncidentDocument.parse("---\nid: inc-1\nnote: >\n  folded\n  text\n---\nbody\n", name: "x.md")
        #expect(folded.fields["note"] == .string("folded text\n"))
        let multi = try IncidentDocument.parse("---\nid: inc-1\nnote: plain\n  continued\n---\n", name: "x.md")
        #expect(multi.fields["note"] == .string("plain continued"))
        #expect(throws: IncidentError.self) {
            try IncidentDocument.parse("---\nid: inc-1\nid: inc-2\n---\n", name: "x.md")
        }
        #expect(throws: IncidentError.self) {
            try IncidentDocument.parse("---\na: &x 1\nb: *x\n---\n", name: "x.md")
        }
    }

    /// What the tool writes (YAML.emit of values built from tricky scalars) is read on the fast
    /// path, back to the same values.
    @Test func whatTheToolWritesReadsBackOnTheFastPath() {
        var generator = SeededGenerator(seed: 12)
        var fast = 0
        for _ in 0..<400 {
            var fields = OrderedDictionary<String, Value>()
            for index in 0..<Int.random(in: 1...6, using: &generator) {
                fields[Self.randomKey(&generator) + "\(index)"] = Self.randomValue(&generator, depth: 0)
            }
            let text = YAML.emit(fields)
            let value = Self.agree(text)
            if let value {
                fast += 1
                #expect(value == .object(fields), "\(text)")
            }
        }
        // Multi-line strings with trailing spaces or control characters are written double-quoted
        // over one line, so nearly everything is read fast.
        #expect(fast >= 380, "fast path took \(fast) of 400")
    }

    /// Random front-matter text assembled from pieces that are easy to get wrong: whatever the
    /// fast reader takes, it reads as Yams does.
    @Test func randomTextAgreesWithYams() {
        var generator = SeededGenerator(seed: 7)
        let scalars = [
            "plain", "two words", "'single'", "'it''s'", "\"double\"", "\"esc \\\" \\n \\u00e9\"", "-1", "0x1F", "1e5",
            "1_000", ".5", "+3", "~", "null", "Yes", "FALSE", "a:b", "a: b", "a #c", "a#c", "#c", "é 🚨", "[a, b]",
            "[a:b, 'c']", "{a: 1}", "{a: [b]}", "[]", "{}", "[a,]", "|", "|-", ">", "&a x", "*a", "!t x", "@x", "`x",
            "%x", "-", "- x", "?x", ": x", "x:", "\"unclosed", "'a' b", "2025-01-01T00:00:00Z", "12:30", "[a b ]",
            "{\"q\": 'v'}", "\"\\x00\"", "\"\\/\"", "[-1, -x]", "{a: -}", "a  # two spaces",
        ]
        let blocks = ["  line\n", "  line\n\n  more\n", "    deep\n  shallow\n", "\n", "  # hash\n", "   x\n  y\n"]
        let eols = ["\n", "\r\n"]
        var fast = 0
        for _ in 0..<20000 {
            var text = ""
            let eol = eols.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...5, using: &generator) {
                let indent = String(repeating: " ", count: [0, 0, 0, 0, 2, 2, 4, 1].randomElement(using: &generator)!)
                let key = ["k", "a b", "\"q k\"", "'s'", "k2", "-k", "k"].randomElement(using: &generator)!
                switch Int.random(in: 0..<10, using: &generator) {
                case 0: text += indent + key + ":" + eol
                case 1: text += indent + "- " + scalars.randomElement(using: &generator)! + eol
                case 2: text += indent + "-" + eol
                case 3: text += "# comment" + eol
                case 4:
                    text += indent + key + ": " + ["|", "|-"].randomElement(using: &generator)! + eol
                    text += blocks.randomElement(using: &generator)!.replacingOccurrences(of: "\n", with: eol)
                case 5: text += indent + "- " + key + ": " + scalars.randomElement(using: &generator)! + eol
                default: text += indent + key + ": " + scalars.randomElement(using: &generator)! + eol
                }
            }
            if Self.agree(text) != nil { fast += 1 }
        }
        // Not vacuous: a good share of the random texts are taken (and so compared).
        #expect(fast >= 1000, "fast path took \(fast) of 20000")
    }

    static func randomKey(_ generator: inout SeededGenerator) -> String {
        ["id", "title", "key with spaces", "ü", "a:b", "#x", "- y", "'q'", "true", "1", ""].randomElement(
            using: &generator)!
    }

    static func randomString(_ generator: inout SeededGenerator) -> String {
        let pieces = [
            "a", "word", " ", ": ", " #", "#", "'", "\"", "\\", "-", "[", "]", "{", "}", ",", "é", "🚨", "\n", "\t",
            "\r\n", "\u{1}", "\u{85}", "null", "1", ".5", "true", "|", ">", "&", "*", "%", "@", "?", "\u{2028}",
        ]
        return (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
            .joined()
    }

    static func randomValue(_ generator: inout SeededGenerator, depth: Int) -> Value {
        switch Int.random(in: 0..<(depth < 3 ? 10 : 6), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int.random(in: -1000...1_000_000, using: &generator))
        case 3: return .double(Double(Int.random(in: -100...100, using: &generator)) / 8)
        case 4, 5: return .string(YAML.storable(randomString(&generator)))
        case 6, 7:
            return .array(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(&generator, depth: depth + 1) })
        default:
            var fields = OrderedDictionary<String, Value>()
            for index in 0..<Int.random(in: 0...4, using: &generator) {
                fields[randomKey(&generator) + "\(index)"] = randomValue(&generator, depth: depth + 1)
            }
            return .object(fields)
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failure names a reproducible input.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
