import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

/// The interview checks each answer as it is given and asks again with the reason.
@Suite struct InterviewTests {
    let template = try! StageTemplate.parse(
        """
        ---
        fields:
          - {id: summary, type: input, label: Summary, validations: {required: true}}
          - {id: whys, type: why-chain, label: Why?, min: 2, max: 3}
          - {id: ack, type: checkboxes, label: Acks, options: [{label: I checked, required: true}, optional]}
          - {id: link, type: input, label: Link, format: url}
          - {id: due, type: input, label: Due, format: date}
        ---
        """, name: "x", origin: "x")

    @Test func everyRefusalSaysWhyAndAsksAgain() throws {
        let prompter = ScriptedPrompter([
            "", ".", "a summary",  // required: blank and '.' refused
            "first", "", "second", "",  // the chain needs 2 before an empty line ends it
            "optional", "I checked (required),optional",  // the required box must be ticked
            "not a url", "https://example.com/x",
            "2025-02-30", "2025-13-01", "2025-10-01",  // no such day, no such month
        ])
        let interview = Interview(
            prompter: prompter, template: template, rules: AnswerRules(template: template, readFile: { _ in "" }),
            incidentTitle: "Outage")
        var answers = Answers()
        try interview.run(into: &answers)
        #expect(answers["summary"] == "a summary")
        #expect(answers["whys"] == ["first", "second"])
        #expect(answers["ack"] == ["I checked", "optional"])
        #expect(answers["link"] == "https://example.com/x")
        #expect(answers["due"] == "2025-10-01")
        #expect(prompter.questions[0] == "Summary (required)")
        #expect(prompter.questions[3] == "1. Why did this happen: Outage? (1 of at least 2)")
        #expect(prompter.questions[5] == "2. Why did this happen: first? (2 of at least 2)")
        #expect(prompter.questions[6] == "3. Why did this happen: second? (3, empty line to stop)")
        #expect(
            prompter.shown == [
                "  Summary is required; type it again.",
                "  '.' is no answer (it ends a multi-line answer); type it again.",
                "  the chain needs at least 2 answers and this is answer 2; type it again.",
                "  'I checked' must be ticked; type it again.",
                "  'not a url' is not a URL; give one such as https://github.com/org/repo/pull/12; type it again.",
                "  '2025-02-30' is not a date; give one such as 2025-10-01; type it again.",
                "  '2025-13-01' is not a date; give one such as 2025-10-01; type it again.",
            ])
        #expect(AnswerRules(template: template, readFile: { _ in "" }).missing(answers).isEmpty)
    }
}
