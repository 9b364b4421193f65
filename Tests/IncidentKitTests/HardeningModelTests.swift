import Foundation
import OrderedCollections
import IncidentTestSupport
import Testing

@testable import IncidentKit

/// Regression tests for issue 13's file-format findings: what the tool writes it can always read
/// back unchanged, hostile YAML costs nothing, and a rewrite keeps what it did not change.
@Suite struct YAMLRoundTripTests {
    static let awkward: [Unicode.Scalar] = [
        "\u{2028}", "\u{2029}", "\u{85}", "\u{FFFE}", "\u{FFFF}", "\u{FEFF}", "\u{0}", "\u{1B}", "\u{7}", "\u{7F}",
        "\u{9B}", "\u{9F}", "\u{A0}", "\t", "\n", "\r", " ", "\"", "'", "\\", ":", "#", "-", "|", ">", "&", "*",
        "!", "%", "@", "`", "[", "]", "{", "}", ",", "?", "a", "Z", "0", "9", ".", "é", "🚨", "\u{10FFFF}",
    ]

    static func randomString(_ generator: inout SeededGenerator) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            text.append(awkward.randomElement(using: &generator)!)
        }
        return String(text)
    }

    @Test func everyEmittedStringReadsBackAsItself() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        var failures: [String] = []
        for _ in 0..<2000 {
            let text = Self.randomString(&generator)
            // NUL and a leading byte-order mark are the two things libyaml cannot carry; the emitter
            // normalises them (YAML.storable) and everything else must come back as it went in.
            let stored = YAML.storable(text)
            #expect(stored == text || text.unicodeScalars.contains { $0.value == 0 || $0.value == 0xFEFF })
            for (value, expected): (Value, Value) in [
                (.string(text), .string(stored)), ([.string(text), "x"], [.string(stored), "x"]),
                (["k": .string(text)], ["k": .string(stored)]),
            ] {
                let emitted = YAML.emit(["title": value, "after": "kept"])
                do {
                    let back = try YAML.parse(emitted)
                    if back["title"] != expected || back["after"] != "kept" {
                        failures.append("changed: \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                    }
                } catch {
                    failures.append("unreadable: \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// What `make fuzz` (the yaml-roundtrip target) found, each now a fixed case: in every shape
    /// the emitter writes (block value, flow element, flow mapping value, key, nested value).
    @Test func fuzzFindingsRoundTripInEveryShape() throws {
        let found = [
            "Disk full! *again*", "a:?b", "key\nwith a line break", "\tindented by a tab\nsecond line",
            // A space then a combining mark is one Character: ": \u{06DB}" still holds ": " for libyaml.
            "ey: \u{06DB}1eu\u{FFFD}ent", "a #\u{0301}b",
            String(decoding: [
                0x62, 0x61, 0x20, 0x5D, 0x5B, 0x88, 0x2D, 0x20, 0x2C, 0x62, 0xE6, 0xD9, 0x87, 0xBF, 0xDF, 0xD5, 0x86,
                0xDF, 0x21, 0x74, 0x61, 0x67, 0x7D, 0x20, 0x26, 0x78, 0x40, 0x20, 0x2A, 0x79, 0x20, 0x20, 0x7C, 0x3E,
                0x20, 0x25,
            ] as [UInt8], as: UTF8.self),
        ]
        for text in found {
            let shapes: [Value] = [
                ["v": .string(text)], ["l": [.string(text), "x"]], ["m": ["k": .string(text), "n": 1]],
                ["k": .object([text: "x"])], ["n": ["a": ["b": .string(text), "c": [1, 2]]]],
            ]
            for value in shapes {
                let yaml = YAML.emit(value.object!)
                #expect(try YAML.parse(yaml) == value, "\(text.debugDescription) → \(yaml.debugDescription)")
            }
        }
    }

    /// Found by `make fuzz` (frontmatter target): a complex key with no value line, "? C lf01",
    /// was kept as text and also written afresh as "C lf01: null": a duplicated key, a file that
    /// no longer parsed. Kept text that does not read back as the fields is written afresh.
    @Test func aComplexKeyWithoutAValueIsNotWrittenTwice() throws {
        let text = "---\r\n? C lf01\r\ntitle: Windows line endings\r\nid: inc-crlf01\r\n---\r\nbody line\r\n"
        var document = try IncidentDocument.parse(text, name: "x.md")
        #expect(document.fields.keys.contains("C lf01"))
        document.fields["title"] = "Changed"
        let written = document.serialized()
        let back = try IncidentDocument.parse(written, name: "x.md")
        #expect(back.title == "Changed")
        #expect(Array(back.fields.keys) == Array(document.fields.keys))
        #expect(back.body == document.body)
    }

    /// Found by `make fuzz` (frontmatter target): front-matter whose only key is a complex one (a
    /// mapping as key, which the model drops) was written as an empty block that did not parse.
    @Test func frontMatterWithNoFieldsLeftIsWrittenAsAnEmptyMapping() throws {
        let document = IncidentDocument(fields: [:], body: "body\n")
        let back = try IncidentDocument.parse(document.serialized(), name: "x.md")
        #expect(back.fields.isEmpty && back.body == "body\n")
    }

    @Test func lineSeparatorsInATitleLeaveTheFileReadable() throws {
        for separator in ["\u{2028}", "\u{2029}", "\u{85}", "\u{FFFE}", "\u{FFFF}"] {
            let document = IncidentDocument(
                fields: ["id": "inc-abc123", "title": .string("a\(separator)b")], body: "# a\n")
            let back = try IncidentDocument.parse(document.serialized(), name: "x.md")
            #expect(back.title == "a\(separator)b")
        }
    }

    @Test func aliasesAreRefusedBeforeTheyExpand() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for (index, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].enumerated() {
            let previous = index == 0 ? "a" : ["b", "c", "d", "e", "f", "g", "h", "i"][index - 1]
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        let started = Date()
        #expect(throws: YAML.SyntaxError.self) { try YAML.parse(text) }
        #expect(Date().timeIntervalSince(started) < 1, "the refusal must not compose the document first")
        #expect(YAML.firstAnchorOrAlias(text) == 1)
    }

    @Test func asterisksAndAmpersandsInTextAreNotAliases() throws {
        let text = """
            title: Fish & chips *today*
            note: 'it''s *fine*'
            quote: "a *b* & c"
            root_cause: |
              * first bullet
              & not an anchor
            list:
            - a & b
            - "*quoted*"
            """
        #expect(YAML.firstAnchorOrAlias(text) == nil)
        let value = try YAML.parse(text)
        #expect(value["root_cause"] == "* first bullet\n& not an anchor\n")
        #expect(YAML.firstAnchorOrAlias("list: [a, *b]\n") == 1)
        #expect(YAML.firstAnchorOrAlias("x: 1\nkey: !!str &anchor value\n") == 2)
        #expect(YAML.firstAnchorOrAlias("- *alias\n") == 1)
    }

    @Test func specialFloatsAndBigIntegersReadBackAsWritten() throws {
        #expect(try YAML.parse("a: -.inf")["a"] == .double(-.infinity))
        #expect(try YAML.parse("a: .inf")["a"] == .double(.infinity))
        #expect(try YAML.parse("a: 100000000000000000000000000")["a"] == .string("100000000000000000000000000"))
        let emitted = YAML.emit(["a": .double(-.infinity)])
        #expect(try YAML.parse(emitted)["a"] == .double(-.infinity))
    }
}

@Suite struct FrontMatterPreservationTests {
    static let original = """
        ---
        id: inc-abc123
        title: Old title
        # a comment the team keeps
        custom_big: 100000000000000000000000000
        custom_inf: -1e999
        custom_bin: !!binary R0lGODlhDAAMAIQAAP
        ? [complex, key]
        : 2
        custom_map:
          nested: {a: 1}   # trailing comment
        severity: low
        ---
        # Old title

        """

    @Test func aRewriteKeepsUntouchedEntriesByteForByte() throws {
        var document = try IncidentDocument.parse(Self.original, name: "x.md")
        document.fields["title"] = "New title"
        document.fields["severity"] = "high"
        let text = document.serialized()
        #expect(text.contains("title: New title\n"))
        #expect(text.contains("severity: high\n"))
        for kept in [
            "# a comment the team keeps\n", "custom_big: 100000000000000000000000000\n", "custom_inf: -1e999\n",
            "custom_bin: !!binary R0lGODlhDAAMAIQAAP\n", "? [complex, key]\n: 2\n",
            "custom_map:\n  nested: {a: 1}   # trailing comment\n",
        ] {
            #expect(text.contains(kept), "lost: \(kept)")
        }
        // And it reads back, still with the complex key's text in place on the next rewrite.
        let again = try IncidentDocument.parse(text, name: "x.md")
        #expect(again.serialized() == text)
    }

    /// Found by the frontmatter fuzz target: sections of a CRLF file were invisible (a "\r\n"
    /// Character hid its "\n"), and replacing a section whose marker ends the file glued text to it.
    @Test func sectionsOfCRLFFilesAndMarkersAtTheEndAreFound() throws {
        let crlf = "---\r\nid: inc-crlf01\r\ntitle: t\r\n---\r\n# t\r\n\r\n<!-- incident:stage identify -->\r\nfacts\r\n"
        let document = try IncidentDocument.parse(crlf, name: "x.md")
        #expect(Array(document.sections.keys) == ["identify"])
        #expect(document.sections["identify"] == "facts\r\n")
        var atEnd = try IncidentDocument.parse(
            "---\nid: inc-abc123\ntitle: t\n---\n# t\n\n<!-- incident:stage identify -->", name: "x.md")
        let replaced = atEnd.replaceSection(stage: "identify", markdown: "replaced")
        #expect(replaced)
        #expect(atEnd.sections["identify"] == "replaced\n")
        #expect(atEnd.body.hasSuffix("<!-- incident:stage identify -->\nreplaced\n"))
    }

    @Test func aCRLFFileStaysCRLF() throws {
        let crlf = Self.original.replacingOccurrences(of: "\n", with: "\r\n")
        var document = try IncidentDocument.parse(crlf, name: "x.md")
        document.fields["title"] = "New"
        document.fields["owner"] = "dana"
        document.appendSection(stage: "five-whys", markdown: "## Five Whys\n\ntext\n")
        let text = document.serialized()
        let bare = text.replacingOccurrences(of: "\r\n", with: "")
        #expect(!bare.contains("\n"), "a bare LF in a CRLF file")
        #expect(try IncidentDocument.parse(text, name: "x.md").fields["owner"] == "dana")
    }
}

@Suite struct TerminalSanitiserTests {
    @Test func controlSequencesFromDataBecomeVisibleStandIns() {
        let text = "a\u{1B}[2Jb\u{1B}]52;c;aGk=\u{07}c\u{9B}d\u{7F}e\u{202E}f\tg\nh\r"
        let shown = Terminal.render(text, color: true)
        #expect(shown == "a^[[2Jb^[]52;c;aGk=^Gc\u{FFFD}d^?e\u{FFFD}f\tg\nh^M")
        #expect(Terminal.sanitized("plain text") == "plain text")
    }

    @Test func onlyTheToolsOwnStyleMarksBecomeColour() {
        let styled = Terminal.styled("bold", 1) + " and data \u{E000}2;31\u{E001}"
        #expect(Terminal.render(styled, color: true) == "\u{1B}[1mbold\u{1B}[0m and data \u{FFFD}2;31\u{FFFD}")
        #expect(Terminal.render(styled, color: false) == "bold and data \u{FFFD}2;31\u{FFFD}")
    }
}

@Suite struct TokenTransportTests {
    @Test func onlyParsedLoopbackAddressesAreLoopback() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"] {
            #expect(GitHubClient.isLoopback(host), "\(host)")
        }
        for host in [
            "127.evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "128.0.0.1", "0.0.0.0", "::2",
            "127.0.0.1:8080", "evil.example", "",
        ] {
            #expect(!GitHubClient.isLoopback(host), "\(host)")
        }
        #expect(throws: IncidentError.self) { try GitHubClient.checkTransport("http://127.evil.example/api") }
        #expect(throws: IncidentError.self) { try GitHubClient.checkTransport("http://127.0.0.1.evil.example:8080") }
        #expect(throws: Never.self) { try GitHubClient.checkTransport("http://127.0.0.1:8080") }
    }
}

extension TokenTransportTests {
    /// Answers every request with one page and a `Link` to the next page somewhere else.
    final class CrossOriginPager: HTTPClient, @unchecked Sendable {
        let next: String
        let urls = Recorder<String>()
        init(next: String) { self.next = next }
        func send(_ request: HTTPRequest) throws -> HTTPResponse {
            urls.append(request.url)
            return HTTPResponse(
                status: 200, headers: ["link": "<\(next)>; rel=\"next\""], body: Data("[]".utf8))
        }
    }

    @Test func aNextPageOnAnotherOriginIsNotFollowedWithTheToken() throws {
        let repo = try TestRepo()
        for next in [
            "https://evil.example/repos/acme/netra/issues?page=2",
            "https://api.github.com.evil.example/repos/acme/netra/issues?page=2",
            "http://api.github.com/repos/acme/netra/issues?page=2",
        ] {
            let pager = CrossOriginPager(next: next)
            let client = try GitHubClient(
                http: pager, settings: GitHubSettings(apiURL: "https://api.github.com", token: "t0ken"),
                env: repo.environment(http: pager), trace: nil)
            _ = try client.recentIssues("acme/netra")
            #expect(pager.urls.all.count == 1, "followed \(next)")
        }
        let sameOrigin = CrossOriginPager(next: "https://api.github.com/repos/acme/netra/issues?page=2")
        let client = try GitHubClient(
            http: sameOrigin, settings: GitHubSettings(apiURL: "https://api.github.com", token: "t0ken"),
            env: repo.environment(http: sameOrigin), trace: nil)
        _ = try client.recentIssues("acme/netra", pages: 2)
        #expect(sameOrigin.urls.all == [
            "https://api.github.com/repos/acme/netra/issues?state=all&sort=created&direction=desc&per_page=100",
            "https://api.github.com/repos/acme/netra/issues?page=2",
        ])
    }
}

/// `make fuzz` (frontmatter target): a rewrite wrote these entries twice, leaving a file that did not parse.
@Suite struct FuzzFoundFrontMatterTests {
    @Test func anIndentedMappingOrAQuestionMarkKeyIsWrittenOnce() throws {
        for text in ["---\n  id: inc-abc123\n  title: t\n---\nbody\n", "---\nid: inc-abc123\n?note: kept\ntitle: t\n---\nbody\n"] {
            let document = try IncidentDocument.parse(text, name: "x.md")
            let again = try IncidentDocument.parse(document.serialized(), name: "x.md")
            #expect(again.fields == document.fields, "\(text.debugDescription) → \(document.serialized().debugDescription)")
        }
    }
}
