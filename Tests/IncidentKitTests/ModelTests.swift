import Foundation
import OrderedCollections
import Testing

@testable import IncidentKit

@Suite struct YAMLTests {
    @Test func scalarsThatWouldReadBackAsSomethingElseAreQuoted() throws {
        let tricky = [
            "true", "null", "123", "1.5", "yes", "a: b", "#hash", "- dash", "x #y", "trailing:", " lead", "[x]",
            "{x}", "", "\"q\"", "tab\there", "O'Brien", "@user", "%x", "C:\\path", "émoji 🚨", "line\r",
        ]
        for text in tricky {
            let emitted = YAML.emit(["k": .string(text)])
            #expect(try YAML.parse(emitted)["k"] == .string(text), "\(text) → \(emitted)")
        }
    }

    @Test func nestedValuesRoundTripWithKeyOrderKept() throws {
        let value: Value = [
            "zeta": 1, "alpha": ["b": true, "a": .null], "list": ["x", "y, z", "[w]"],
            "objects": [["name": "n", "kind": "unit"], ["name": "multi\nline\ntext", "kind": "e2e"]],
            "text": "first line\nsecond line\n", "nested": ["deeper": ["deepest": ["a", "b"]]], "empty": [],
            "none": [:],
            "float": .double(2.5),
        ]
        let text = YAML.emit(value.object!)
        let back = try YAML.parse(text)
        #expect(back == value)
        #expect(
            Array(back.object!.keys) == [
                "zeta", "alpha", "list", "objects", "text", "nested", "empty", "none", "float",
            ])
    }

    @Test func shortScalarCollectionsAreWrittenInFlowStyle() {
        let text = YAML.emit(["services": ["redis", "postgres"], "identify": ["completed": "2025-09-09T02:40:11Z"]])
        #expect(text == "services: [redis, postgres]\nidentify: {completed: 2025-09-09T02:40:11Z}\n")
    }

    @Test func malformedYAMLReportsItsLine() {
        #expect(throws: YAML.SyntaxError.self) { try YAML.parse("a: 1\nb: [unclosed\nc: 2\n") }
        do {
            _ = try YAML.parse("a: 1\nb: : :\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
        }
        // A byte YAML refuses is placed on its line too, in one sentence (not Yams' own "2:1: error: …").
        do {
            _ = try YAML.parse("a: 1\nb: \"x\u{1B}y\"\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2 && error.problem == "control characters are not allowed (0x1B)", "\(error.problem)")
        }
    }
}

@Suite struct DocumentTests {
    static let text = """
        ---
        id: inc-abc123
        title: Redis down
        custom_key: {keep: me}   # a comment
        severity: high
        status: open
        stage: five-whys
        team_note: "kept as is"
        ---
        # Redis down

        Notes the user wrote before any section.   
        <!-- incident:stage identify -->
        ## Issue Identification
        Body text\twith tabs and trailing spaces   

        User paragraph inside the section.
        <!-- incident:occurrence 2025-09-10T07:00:02Z -->
        Seen again.

        """

    @Test func rewritingKeepsUnknownKeysInOrderAndTheBodyByteForByte() throws {
        var document = try IncidentDocument.parse(Self.text, name: "x.md")
        document.fields["stage"] = "test-plan"
        let again = try IncidentDocument.parse(document.serialized(), name: "x.md")
        #expect(Array(again.fields.keys) == ["id", "title", "custom_key", "severity", "status", "stage", "team_note"])
        #expect(again.fields["custom_key"] == ["keep": "me"])
        #expect(again.fields["team_note"] == "kept as is")
        #expect(again.body == document.body)
        #expect(Self.text.hasSuffix(again.body))
    }

    @Test func sectionsRunFromMarkerToNextMarker() throws {
        let document = try IncidentDocument.parse(Self.text, name: "x.md")
        #expect(Array(document.sections.keys) == ["identify"])
        #expect(document.sections["identify"]!.contains("User paragraph inside the section."))
        #expect(!document.sections["identify"]!.contains("Seen again"))
    }

    @Test func appendingAddsAtTheEndAndLeavesEverythingBeforeUntouched() throws {
        var document = try IncidentDocument.parse(Self.text, name: "x.md")
        let before = document.body
        document.appendSection(stage: "five-whys", markdown: "## Five Whys\n\nbecause\n\n")
        #expect(document.body.hasPrefix(before))
        #expect(document.body.hasSuffix("\n<!-- incident:stage five-whys -->\n## Five Whys\n\nbecause\n"))
        #expect(document.sections["five-whys"] == "## Five Whys\n\nbecause\n")
    }

    @Test func replaceSectionOnlyTouchesThatSection() throws {
        var document = try IncidentDocument.parse(Self.text, name: "x.md")
        let replaced = document.replaceSection(stage: "identify", markdown: "## New")
        #expect(replaced)
        #expect(document.body.contains("Notes the user wrote before any section.   \n"))
        #expect(document.body.contains("<!-- incident:occurrence 2025-09-10T07:00:02Z -->\nSeen again."))
        #expect(!document.body.contains("User paragraph inside the section."))
    }

    @Test func malformedFrontMatterNamesFileAndLine() {
        let broken = "---\nid: inc-1\ntitle: [oops\n---\nbody\n"
        #expect {
            try IncidentDocument.parse(broken, name: "incidents/x.md")
        } throws: { error in
            "\(error)".hasPrefix("incidents/x.md:3") || "\(error)".hasPrefix("incidents/x.md:4")
        }
        #expect(throws: IncidentError.self) { try IncidentDocument.parse("no front matter", name: "y.md") }
    }

    @Test func timesRoundTrip() {
        let date = Time.parse("2025-09-09T02:40:11Z")!
        #expect(Time.format(date) == "2025-09-09T02:40:11Z")
        #expect(Time.parse("2025-09-09T04:40:11.123+02:00") == date)
        #expect(Time.parse("2025-09-09 02:40:11") == date)
        #expect(Time.parse("not a time") == nil)
        // No rollover: February 30th is no date; February 29th is one in a leap year only.
        #expect(Time.parse("2025-02-30T03:10Z") == nil && Time.parse("2025-02-29") == nil && Time.parse("2025-04-31") == nil)
        #expect(Time.parse("2024-02-29").map(Time.format) == "2024-02-29T00:00:00Z")
    }

    /// The twenty bytes written in place against printf-style padding and Foundation's own
    /// ISO 8601 formatter, over four centuries either side of the epoch, and years outside 0-9999.
    @Test func timesFormatAsFoundationDoes() {
        let iso = ISO8601DateFormatter()
        iso.timeZone = TimeZone(identifier: "UTC")
        var generator = SeededGenerator(seed: 3)
        var seconds = (0..<4000).map { _ in Int.random(in: -12_700_000_000...12_700_000_000, using: &generator) }
        seconds += [0, -1, 59, 86_399, 86_400, 951_782_400, 253_402_300_799, -62_135_596_800]
        for second in seconds {
            let date = Date(timeIntervalSince1970: TimeInterval(second) + 0.75)
            let days = second >= 0 ? second / 86400 : (second - 86399) / 86400
            let (year, month, day) = Time.civil(fromDays: days)
            #expect(Time.format(date) == Time.format(year, month, day, second - days * 86400), "\(second)")
            // Foundation's calendar is Julian before October 1582; ours is proleptic Gregorian.
            if (1583...9999).contains(year) { #expect(Time.format(date) == iso.string(from: date), "\(second)") }
        }
        #expect(Time.format(Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00Z")
        #expect(Time.format(Date(timeIntervalSince1970: -62_167_219_201)) == "-001-12-31T23:59:59Z")  // printf("%04d", -1)
    }

    @Test func slugsAreShortASCIIAndCutAtWords() {
        #expect(Slug.make("Redis connection failure in GCP staging") == "redis-connection-failure-in-gcp-staging")
        #expect(Slug.make("Ünïcode — and *symbols*!") == "unicode-and-symbols")
        let long = Slug.make(String(repeating: "word ", count: 40))
        #expect(long.count <= 60 && !long.hasSuffix("-") && long.hasSuffix("word"))
        #expect(Slug.make("🚨🚨") == "incident")
    }
}
