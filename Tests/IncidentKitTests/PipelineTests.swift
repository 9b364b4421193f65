import Foundation
import Testing

@testable import IncidentKit

@Suite struct TemplateTests {
    @Test func everyDefaultTemplateParsesAndRenders() throws {
        for name in Config.defaultStages {
            let template = try StageTemplate.parse(TemplateLibrary.defaults[name]!, name: name, origin: name)
            #expect(template.name == name)
            _ = try Renderer.render(template.body, context: ["incident": ["title": "t"], "answers": [:]], origin: name)
        }
        #expect(TemplateLibrary.defaults["github-issue"] != nil)
    }

    @Test func defaultsDeclareWhatSPECSays() throws {
        let whys = try StageTemplate.parse(TemplateLibrary.defaults["five-whys"]!, name: "five-whys", origin: "")
        #expect(whys.field("whys")?.type == .whyChain)
        #expect(whys.field("root_cause")?.required == true)
        let plan = try StageTemplate.parse(TemplateLibrary.defaults["test-plan"]!, name: "test-plan", origin: "")
        #expect(plan.field("tests")?.min == 1)
        #expect(plan.field("tests")?.fields.map(\.id) == ["name", "kind", "proves", "blocking"])
        #expect(plan.field("tests")?.issue == true)
        #expect(whys.field("actions")?.issue == true && whys.field("actions")?.required == false)
        #expect(whys.field("actions")?.fields.map(\.id) == ["action", "owner", "due", "blocking"])
        #expect(
            try StageTemplate.parse(TemplateLibrary.defaults["verify"]!, name: "verify", origin: "").action
                == .runChecks)
    }

    @Test func renderingIsPlainTextAndListsCanBeIndexed() throws {
        let body =
            "{{title}} {{#items.0}}has:{{/items.0}}{{#items}} {{.}}{{/items}} n={{items.count}} {{mermaid(quote)}}"
        let out = try Renderer.render(
            body, context: ["title": "<b>&", "items": ["a", "b"], "quote": "say \"hi\"\nthere --> <x>"], origin: "t")
        #expect(out == "<b>& has: a b n=2 say #quot;hi#quot; there --#gt; #lt;x#gt;")
        let empty = try Renderer.render(
            "{{#items.0}}has{{/items.0}}{{^items}}none{{/items}}{{#blank}}x{{/blank}}",
            context: ["items": [], "blank": ""], origin: "t")
        #expect(empty == "none")
    }

    @Test func badTemplatesSayWhatIsWrongAndWhere() {
        let cases: [(String, String)] = [
            ("---\nfields:\n  - {id: a, type: slider, label: A}\n---\n", "type 'slider'"),
            ("---\nfields:\n  - {type: input, label: A}\n---\n", "has no id"),
            ("---\nfields:\n  - {id: a, type: dropdown, label: A}\n---\n", "has no options"),
            ("---\nfields:\n  - {id: a, type: input}\n  - {id: a, type: input}\n---\n", "declared twice"),
            ("---\naction: launch-rockets\n---\n", "action 'launch-rockets'"),
            ("no front matter", "starts with a '---' line"),
            ("---\nfields: [\n---\n", "templates/x.md:"),
            ("---\nfields:\n  - {id: a, type: input, label: A, issue: true}\n---\n", "only a list's entries"),
        ]
        for (text, expected) in cases {
            #expect {
                try StageTemplate.parse(text, name: "x", origin: "templates/x.md")
            } throws: { error in
                "\(error)".contains(expected) && "\(error)".contains("templates/x.md")
            }
        }
        // A body that is no Mustache is said in words and placed, not as the parser's Swift value.
        #expect {
            try Renderer.render("## Tests\n\n{{#answers.tests}}\n- {{name}}\n", context: [:], origin: "templates/x.md")
        } throws: { error in
            let text = "\(error)"
            return text.contains("templates/x.md: the template body is not valid Mustache: a section opened with")
                && text.hasSuffix("before the body ends.") && !text.contains("MustacheParserContext")
        }
        #expect {
            try Renderer.render("## Tests\n{{#a}}\nx\n{{/b}}\n", context: [:], origin: "templates/x.md")
        } throws: { error in
            "\(error)".contains("closed ({{/…}}) under another name") && "\(error)".contains("line 4 of the body")
                && "\(error)".contains("'{{/b}}'")
        }
    }
}

@Suite struct GateTests {
    let template = try! StageTemplate.parse(
        """
        ---
        fields:
          - {id: summary, type: input, label: Summary, validations: {required: true}}
          - {id: whys, type: why-chain, label: Why?, min: 2, max: 3}
          - {id: kind, type: dropdown, label: Kind, options: [bug, config]}
          - {id: ack, type: checkboxes, label: Acks, options: [{label: I checked, required: true}, optional]}
          - id: tests
            type: list
            label: Test
            fields:
              - {id: name, type: input, label: Name, validations: {required: true}}
              - {id: kind, type: dropdown, label: Kind, options: [unit, e2e], default: unit}
        ---
        """, name: "x", origin: "x")

    var rules: AnswerRules { AnswerRules(template: template, readFile: { _ in "from file" }) }

    @Test func eachMissingFieldIsNamed() {
        let missing = rules.missing([:])
        #expect(missing.count == 3)
        #expect(missing[0].hasPrefix("summary"))
        #expect(missing[1].contains("at least 2"))
        #expect(missing[2].contains("'I checked' must be ticked"))
    }

    @Test func aCompleteSetPasses() throws {
        let answers = try rules.normalize(
            ["summary": "s", "whys": ["a", "b"], "kind": "Config", "ack": ["I checked"], "tests": [["name": "t"]]],
            source: "f")
        #expect(rules.missing(answers).isEmpty)
        #expect(answers["kind"] == "config")
        #expect(answers["tests"] == [["name": "t", "kind": "unit"]])
    }

    @Test func entriesPastMaxAreAUsageError() throws {
        let answers = try rules.normalize(["whys": ["a", "b", "c", "d"]], source: "f")
        #expect(throws: IncidentError.usage("'whys' has 4 entries; stage x takes at most 3.")) {
            try rules.checkLimits(answers)
        }
    }

    @Test func unknownIdsAndBadOptionsAreUsageErrors() {
        #expect { try rules.normalize(["nope": "x"], source: "answers.yml") } throws: { error in
            (error as? IncidentError)?.exitCode == 64 && "\(error)".contains("'nope' is not a field")
        }
        #expect { try rules.normalize(["kind": "feature"], source: "f") } throws: { error in
            "\(error)".contains("'feature' is not an option of 'kind'")
        }
        #expect { try rules.normalize(["tests": [["colour": "red"]]], source: "f") } throws: { error in
            "\(error)".contains("'colour' is not a field of 'tests' entries")
        }
    }

    @Test func setAppendsToListsAndReadsFiles() throws {
        var answers = Answers()
        try rules.apply(set: "whys=first", to: &answers)
        try rules.apply(set: "whys=second", to: &answers)
        try rules.apply(set: "summary=@notes.txt", to: &answers)
        try rules.apply(set: "tests={name: reconnects, kind: e2e}", to: &answers)
        #expect(answers["whys"] == ["first", "second"])
        #expect(answers["summary"] == "from file")
        #expect(answers["tests"] == [["name": "reconnects", "kind": "e2e"]])
        #expect(throws: IncidentError.self) { try rules.apply(set: "noequals", to: &answers) }
    }

    @Test func requiredSubfieldsOfEntriesAreChecked() throws {
        let answers = try rules.normalize(
            ["summary": "s", "whys": ["a", "b"], "ack": ["I checked"], "tests": [["kind": "e2e"]]], source: "f")
        #expect(rules.missing(answers) == ["tests[1].name (Name): required"])
    }
}

@Suite struct ConfigTests {
    @Test func defaultsWhenEmpty() throws {
        let config = try Config.parse("")
        #expect(config.stages == Config.defaultStages)
    }

    @Test func readsStagesChecksAndRedaction() throws {
        let config = try Config.parse(
            """
            stages: [identify, comms, verify]
            verify:
              checks:
                - {name: unit, run: swift test, timeout: 600}
            redact: {patterns: [{name: internal, regex: "INT-[0-9]+"}], allow: [ghp_example], pii: true}
            """)
        #expect(config.stages == ["identify", "comms", "verify"])
        #expect(config.checks == [Config.Check(name: "unit", run: "swift test", timeout: 600)])
        #expect(config.redactPatterns.first?.name == "internal")
        #expect(config.redactPII)
    }

    @Test func badConfigIsOneSentenceWithTheBadValue() {
        #expect { try Config.parse("stages: identify") } throws: { "\($0)".contains("'stages' must be a list") }
        #expect { try Config.parse("stages: [identify, Bad Stage]") } throws: { "\($0)".contains("'Bad Stage'") }
        #expect { try Config.parse("stages: [a\nb: c") } throws: { "\($0)".hasPrefix(".incident.yml:") }
    }
}
