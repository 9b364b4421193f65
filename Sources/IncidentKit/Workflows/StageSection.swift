import Foundation
import OrderedCollections

/// Renders a stage's section: the template body with `incident`, `answers`, `analysis`, `stages`, `file`,
/// `timeline` (`rows`, `table`, `mermaid`: see `Timeline`).
enum StageSection {
    static func render(
        _ template: StageTemplate, document: IncidentDocument, answers: Answers, analysis: Value?, file: String
    ) throws -> String {
        var context: OrderedDictionary<String, Value> = [
            "incident": .object(document.fields),
            "answers": .object(answers),
            "stages": .object(
                document.stageAnswers.mapValues { answers in ["answers": answers] }),
            "file": .string(file),
            "timeline": Timeline.templateValue(document),
        ]
        context["analysis"] = analysis ?? .null
        return try Renderer.render(template.body, context: .object(context), origin: template.origin)
            .trimmingCharacters(in: .newlines)
    }
}
