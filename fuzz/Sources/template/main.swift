import Foundation
import FuzzSupport
import IncidentKit
import OrderedCollections

// A stage template: parse its front-matter fields, shape sample answers by them, check the gates,
// and render its body with Mustache the way a stage section is rendered.

// In a function rather than a top-level constant: LeakSanitizer takes an optimised-away global for a leak.
func incident() -> OrderedDictionary<String, Value> {
    [
        "id": "inc-7f3a2c", "title": "Redis connection failure in GCP staging", "severity": "critical",
        "status": "open", "stage": "five-whys", "services": ["redis", "api"], "occurrences": 7,
        "first_seen": "2025-09-09T02:25:04Z", "recurrence_of": nil,
        "github": ["repo": "acme/netra", "number": 412, "url": "https://github.com/acme/netra/issues/412"],
    ]
}

func sample(_ field: Field) -> Value {
    if let value = field.defaultValue, !value.isNull { return value }
    switch field.type {
    case .input, .textarea: return .string("an answer to \(field.label)")
    case .dropdown: return .optional(field.options.first?.label)
    case .checkboxes: return .strings(field.options.map(\.label))
    case .whyChain: return ["why one", "why \"two\"", "why\nthree"]
    case .list:
        if field.fields.isEmpty { return ["first", "second"] }
        return .array([.object(OrderedDictionary(uniqueKeysWithValues: field.fields.map { ($0.id, sample($0)) }))])
    }
}

fuzz { data, size in
    guard let text = String(validating: bytes(data, size), as: UTF8.self) else { return 0 }
    // The template's own `stage:` names it, as its file name would.
    let name = (try? IncidentDocument.parse(text, name: "fuzz.md"))?.fields["stage"]?.string ?? "fuzz"
    guard let template = try? StageTemplate.parse(text, name: name, origin: "fuzz.md") else { return 0 }
    let rules = AnswerRules(template: template, readFile: { _ in "file contents" })
    let raw = Value.object(OrderedDictionary(uniqueKeysWithValues: template.fields.map { ($0.id, sample($0)) }))
    let answers = (try? rules.normalize(raw, source: "fuzz")) ?? [:]
    _ = rules.missing(answers)
    _ = try? rules.checkLimits(answers)
    _ = rules.missing([:])
    let context: Value = [
        "incident": .object(incident()), "answers": .object(answers),
        "stages": ["identify": ["answers": ["impact": "users saw 500s"]]],
        "analysis": ["primary": ["template": "connect to <*> failed", "count": 7], "services": ["redis"]],
        "file": "incidents/2025-09-09-redis.md",
    ]
    _ = try? Renderer.render(template.body, context: context, origin: "fuzz.md")
    _ = try? Renderer.render(template.body + template.title, context: [:], origin: "fuzz.md")
    return 0
}
