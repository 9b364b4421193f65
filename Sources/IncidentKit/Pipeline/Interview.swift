import Foundation

/// Asks a stage's fields on a terminal, one prompt per field, in template order.
struct Interview {
    let prompter: any Prompter
    let template: StageTemplate
    let rules: AnswerRules
    let incidentTitle: String

    /// Asks every field that `answers` does not hold yet.
    func run(into answers: inout Answers) throws {
        for field in template.fields where answers[field.id] == nil {
            if template.action == .linkCommits && field.id == "commits" { continue }
            if let value = try ask(field), !value.isBlank {
                answers[field.id] = value
            }
        }
    }

    private func help(_ field: Field) -> String? {
        let parts = [field.description, field.placeholder.map { "e.g. \($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    private func suffix(_ field: Field) -> String { field.required ? "" : " (optional)" }

    func ask(_ field: Field) throws -> Value? {
        switch field.type {
        case .input:
            let text = try prompter.line(
                field.label + suffix(field), help: help(field), defaultValue: field.defaultValue?.string)
            return text.isEmpty ? nil : try rules.shape(.string(text), for: field, source: "answer")
        case .textarea:
            let text = try prompter.text(field.label + suffix(field), help: help(field))
            return text.isEmpty ? nil : try rules.shape(.string(text), for: field, source: "answer")
        case .dropdown:
            let defaultIndex = field.defaultValue?.string.flatMap { value in
                field.options.firstIndex { $0.label == value }
            }
            let index = try prompter.choose(
                field.label, options: field.options.map(\.label), defaultIndex: defaultIndex)
            return .string(field.options[index].label)
        case .checkboxes:
            let picked = try prompter.chooseMany(field.label, options: field.options.map(\.label))
            return .array(picked.map { .string(field.options[$0].label) })
        case .list where !field.fields.isEmpty:
            return try askEntries(field)
        case .list:
            var items: [Value] = []
            while field.max.map({ items.count < $0 }) ?? true {
                let count = items.count + 1
                let min = field.min ?? 0
                let hint = count > min ? " (empty line to finish)" : ""
                let text = try prompter.line(
                    "\(field.label) \(count)\(hint)", help: count == 1 ? help(field) : nil, defaultValue: nil)
                if text.isEmpty { break }
                items.append(.string(text))
            }
            return .array(items)
        case .whyChain:
            var items: [Value] = []
            var previous = incidentTitle
            while field.max.map({ items.count < $0 }) ?? true {
                let question = items.isEmpty ? "Why did this happen: \(previous)?" : "Why? (\(previous))"
                let min = field.min ?? 0
                let hint = items.count >= min ? " [empty line to stop]" : ""
                let text = try prompter.line(
                    "\(items.count + 1). \(question)\(hint)", help: items.isEmpty ? help(field) : nil, defaultValue: nil
                )
                if text.isEmpty { break }
                items.append(.string(text))
                previous = text
            }
            return .array(items)
        }
    }

    private func askEntries(_ field: Field) throws -> Value {
        var entries: [Value] = []
        entries: while field.max.map({ entries.count < $0 }) ?? true {
            var entry = Answers()
            prompter.show(
                "\(field.label) \(entries.count + 1)"
                    + (entries.count >= (field.min ?? 0) ? " (leave the first answer empty to finish)" : ""))
            for (index, subfield) in field.fields.enumerated() {
                let value = try ask(subfield)
                if index == 0 && (value ?? .null).isBlank { break entries }
                if let value, !value.isBlank { entry[subfield.id] = value }
            }
            entries.append(.object(entry))
        }
        return .array(entries)
    }
}
