import Foundation

/// Asks a stage's fields on a terminal, one prompt per field, in template order. Each answer is
/// checked the moment it is typed (required, options, URLs, how many entries a list needs) and
/// asked again with the reason, so the gate at the end never throws away a whole interview.
struct Interview {
    let prompter: any Prompter
    let template: StageTemplate
    let rules: AnswerRules
    let incidentTitle: String
    /// Answers offered pre-filled (amend, or a draft being resumed).
    var previous: Answers = [:]
    /// Told every answer so far, partial lists included, after each one (to keep a draft).
    var keep: (Answers) -> Void = { _ in }

    /// Asks every field that `answers` does not hold yet.
    func run(into answers: inout Answers) throws {
        var asked = Set<String>()
        // A field not reached yet keeps what was offered for it (a draft being resumed), so that
        // cancelling a resumed interview early loses nothing of the draft it started from.
        func kept(_ answers: Answers) -> Answers {
            var kept = Answers()
            for field in template.fields {
                if let value = answers[field.id] ?? (asked.contains(field.id) ? nil : previous[field.id]) {
                    kept[field.id] = value
                }
            }
            return kept
        }
        for field in template.fields where answers[field.id] == nil {
            if template.action == .linkCommits && field.id == "commits" { continue }
            let before = answers
            let value = try ask(field, previous: previous[field.id]) { partial in
                var draft = before
                draft[field.id] = partial
                keep(kept(draft))
            }
            asked.insert(field.id)
            if let value, !value.isBlank {
                answers[field.id] = value
            }
            keep(kept(answers))
        }
    }

    private func help(_ field: Field) -> String? {
        let parts = [field.description, field.placeholder.map { "e.g. \($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    private func suffix(_ field: Field) -> String { field.required ? " (required)" : " (optional)" }

    private func refuse(_ reason: String) { prompter.show("  \(reason); type it again.") }

    /// One line, asked until it passes the field's checks; "" only when the answer may be empty.
    private func askLine(
        _ question: String, help: String?, field: Field, required: Bool, defaultValue: String? = nil,
        initial: String = "", emptyRefusal: String? = nil
    ) throws -> String {
        var initial = initial
        while true {
            let text = try prompter.line(question, help: help, defaultValue: defaultValue, initial: initial)
            initial = ""
            if text.isEmpty || text == "." {
                if required || emptyRefusal != nil {
                    refuse(
                        text == "."
                            ? "'.' is no answer (it ends a multi-line answer)"
                            : emptyRefusal ?? "\(field.label) is required")
                    continue
                }
                if text == "." {
                    refuse("'.' is no answer (it ends a multi-line answer); leave the line empty to skip")
                    continue
                }
                return ""
            }
            if let problem = AnswerRules.problem(with: text, for: field) {
                refuse(problem)
                initial = ControlCharacters.removed(from: text)
                continue
            }
            return text
        }
    }

    func ask(_ field: Field, previous: Value? = nil, partial: (Value) -> Void = { _ in }) throws -> Value? {
        switch field.type {
        case .input:
            let text = try askLine(
                field.label + suffix(field), help: help(field), field: field, required: field.required,
                defaultValue: field.defaultValue?.string, initial: previous?.string ?? "")
            return text.isEmpty ? nil : try rules.shape(.string(text), for: field, source: "answer")
        case .textarea:
            while true {
                // Each line entered goes to the draft at once: a cancel mid-answer keeps it.
                let text = try prompter.text(
                    field.label + suffix(field), help: help(field), initial: previous?.string ?? ""
                ) { sofar in
                    if !sofar.isEmpty { partial(.string(sofar)) }
                }
                if text.isEmpty || text == "." {
                    if field.required {
                        refuse("\(field.label) is required: write at least one line")
                        continue
                    }
                    return nil
                }
                if let problem = AnswerRules.problem(with: text, for: field) {
                    refuse(problem)
                    continue
                }
                return try rules.shape(.string(text), for: field, source: "answer")
            }
        case .dropdown:
            let current = previous?.string ?? field.defaultValue?.string
            let defaultIndex = current.flatMap { value in field.options.firstIndex { $0.label == value } }
            // An optional field with nothing to default to is left unset by an empty answer.
            guard
                let index = try prompter.choose(
                    field.label + suffix(field), options: field.options.map(\.label), defaultIndex: defaultIndex,
                    optional: !field.required)
            else { return nil }
            return .string(field.options[index].label)
        case .checkboxes:
            let shown = field.options.map { $0.required ? "\($0.label) (required)" : $0.label }
            while true {
                let ticked = (previous?.array ?? []).compactMap { value in
                    field.options.firstIndex { $0.label == value.string }
                }
                let picked = try prompter.chooseMany(field.label + suffix(field), options: shown, ticked: ticked)
                let labels = Set(picked.map { field.options[$0].label })
                let unticked = field.options.filter { $0.required && !labels.contains($0.label) }.map(\.label)
                if !unticked.isEmpty {
                    refuse("\(unticked.map { "'\($0)'" }.joined(separator: " and ")) must be ticked")
                    continue
                }
                return .array(picked.map { .string(field.options[$0].label) })
            }
        case .list where !field.fields.isEmpty:
            return try askEntries(field, previous: previous?.array ?? [], partial: partial)
        case .list, .whyChain:
            return .array(try askItems(field, previous: previous?.array ?? [], partial: partial))
        }
    }

    /// A list of lines or a why-chain: asked until an empty line once `min` entries are given.
    private func askItems(_ field: Field, previous: [Value], partial: (Value) -> Void) throws -> [Value] {
        var items: [Value] = []
        var offered = previous.compactMap(\.string)
        let min = field.min ?? 0
        var chainAbove = incidentTitle
        while field.max.map({ items.count < $0 }) ?? true {
            let count = items.count + 1
            let prefill = offered.isEmpty ? "" : offered.removeFirst()
            let progress = count <= min ? "\(count) of at least \(min)" : "\(count), empty line to stop"
            let question: String
            if field.type == .whyChain {
                question = "\(count). Why did this happen: \(chainAbove)? (\(progress))"
            } else {
                question = "\(field.label) \(count) (\(progress))"
            }
            let entryHelp = count == 1 ? help(field) : nil
            let text = try askLine(
                question,
                help: prefill.isEmpty
                    ? entryHelp
                    : [entryHelp, "Clear the line to drop this entry."].compactMap { $0 }.joined(separator: " "),
                field: field, required: false, initial: prefill,
                emptyRefusal: count > min
                    ? nil
                    : field.type == .whyChain
                        ? "the chain needs at least \(min) answers and this is answer \(count)"
                        : "\(field.label) needs at least \(min) \(min == 1 ? "entry" : "entries") and this is entry \(count)"
            )
            if text.isEmpty {
                if !prefill.isEmpty && !offered.isEmpty { continue }
                break
            }
            items.append(.string(text))
            chainAbove = text
            // Offered entries not reached yet stay in the draft too.
            partial(.array(items + offered.map { .string($0) }))
        }
        return items
    }

    private func askEntries(_ field: Field, previous: [Value], partial: (Value) -> Void) throws -> Value {
        var entries: [Value] = []
        var offered = previous
        let min = field.min ?? 0
        entries: while field.max.map({ entries.count < $0 }) ?? true {
            var entry = Answers()
            let prior = offered.isEmpty ? Answers() : (offered.removeFirst().object ?? [:])
            let optional = entries.count >= min
            prompter.show(
                "\(field.label) \(entries.count + 1)"
                    + (optional
                        ? " (leave the first answer empty to finish)" : " (\(entries.count + 1) of at least \(min))"))
            for (index, subfield) in field.fields.enumerated() {
                // The entry so far goes to the draft after each answer (with what was offered for the
                // sub-fields and entries not reached yet), so a cancel mid-entry keeps it.
                func keepSoFar(_ entry: Answers) {
                    var sofar = entry
                    for later in field.fields[(index + 1)...] where sofar[later.id] == nil {
                        sofar[later.id] = prior[later.id]
                    }
                    partial(.array(entries + [.object(sofar)] + offered))
                }
                if index == 0 && subfield.type == .input {
                    let text = try askLine(
                        subfield.label + (optional ? " (empty to finish)" : suffix(subfield)), help: help(subfield),
                        field: subfield, required: !optional, initial: prior[subfield.id]?.string ?? "")
                    if text.isEmpty { break entries }
                    entry[subfield.id] = try rules.shape(.string(text), for: subfield, source: "answer")
                    keepSoFar(entry)
                    continue
                }
                let value = try ask(subfield, previous: prior[subfield.id]) { sofar in
                    var draft = entry
                    draft[subfield.id] = sofar
                    keepSoFar(draft)
                }
                if index == 0 && (value ?? .null).isBlank && optional { break entries }
                if let value, !value.isBlank { entry[subfield.id] = value }
                keepSoFar(entry)
            }
            entries.append(.object(entry))
            partial(.array(entries + offered))
        }
        return .array(entries)
    }
}
