import IncidentKit
import OrderedCollections

/// A stage's fields as JSON Schema, generated from its template, so an agent can fill `answers` for
/// `advance_incident` without reading the template. The gate stays the judge: the schema says what
/// it will ask for (required fields, entry counts, options that must be ticked).
enum FieldSchema {
    static func schema(_ template: StageTemplate) -> Tree {
        var properties = OrderedDictionary<String, Tree>()
        for field in template.fields { properties[field.id] = property(field) }
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": .string(template.title),
            "type": "object",
            "properties": .object(properties),
            "required": .strings(template.fields.filter(isRequired).map(\.id)),
            "additionalProperties": false,
        ]
    }

    /// Required by the gate: declared required, or a list that needs entries.
    static func isRequired(_ field: Field) -> Bool {
        field.required || (field.min ?? 0) > 0 || field.options.contains(where: \.required)
    }

    static func property(_ field: Field) -> Tree {
        var schema = OrderedDictionary<String, Tree>()
        schema["title"] = .string(field.label)
        var notes: [String] = []
        if let description = field.description { notes.append(description) }
        if field.issue { notes.append("Each entry becomes a follow-up GitHub issue once the incident has one.") }
        if field.type == .whyChain {
            notes.append("Each entry answers 'why?' about the one before it, starting from the incident's title.")
        }
        if !notes.isEmpty { schema["description"] = .string(notes.joined(separator: " ")) }
        switch field.type {
        case .input, .textarea:
            schema["type"] = "string"
            if field.required { schema["minLength"] = 1 }
        case .dropdown:
            schema["type"] = "string"
            schema["enum"] = .strings(field.options.map(\.label))
        case .checkboxes:
            schema["type"] = "array"
            schema["items"] = ["type": "string", "enum": .strings(field.options.map(\.label))]
            schema["uniqueItems"] = true
            let ticked = field.options.filter(\.required).map { option -> Tree in
                ["contains": ["const": .string(option.label)]]
            }
            if !ticked.isEmpty { schema["allOf"] = .array(ticked) }
        case .list, .whyChain:
            schema["type"] = "array"
            if field.fields.isEmpty {
                schema["items"] = ["type": "string", "minLength": 1]
            } else {
                var entry = OrderedDictionary<String, Tree>()
                for subfield in field.fields { entry[subfield.id] = property(subfield) }
                schema["items"] = [
                    "type": "object", "properties": .object(entry),
                    "required": .strings(field.fields.filter(\.required).map(\.id)), "additionalProperties": false,
                ]
            }
        }
        if field.type != .input && field.type != .textarea && field.type != .dropdown {
            let least = max(field.min ?? 0, field.required ? 1 : 0)
            if least > 0 { schema["minItems"] = .int(least) }
            if let most = field.max { schema["maxItems"] = .int(most) }
        }
        if let value = field.defaultValue { schema["default"] = value }
        return .object(schema)
    }
}
