import Foundation
import OrderedCollections

/// A stage's answers keyed by field id, in the template's field order.
public typealias Answers = OrderedDictionary<String, Value>

/// Checks answers against a stage's fields: shapes on the way in, gates on the way out.
public struct AnswerRules: Sendable {
    public let template: StageTemplate
    /// Reads `@path` values of input and textarea fields.
    let readFile: @Sendable (String) throws -> String

    public init(template: StageTemplate, readFile: @escaping @Sendable (String) throws -> String) {
        self.template = template
        self.readFile = readFile
    }

    /// Normalises an answers file (YAML or JSON object keyed by field id). Unknown ids are usage errors.
    public func normalize(_ raw: Value, source: String) throws -> Answers {
        if raw.isNull { return [:] }
        guard let object = raw.object else {
            throw IncidentError.usage("\(source) must be a mapping of field ids to answers, such as 'root_cause: ...'.")
        }
        var answers = Answers()
        for (id, value) in object {
            guard let field = template.field(id) else { throw unknownField(id, source: source) }
            answers[id] = try shape(value, for: field, source: source)
        }
        return answers
    }

    /// Applies `--set id=value`; on list-like fields it appends.
    public func apply(set assignment: String, to answers: inout Answers) throws {
        guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
            throw IncidentError.usage("--set '\(assignment)' is not of the form id=value.")
        }
        let id = String(assignment[..<equals])
        let text = String(assignment[assignment.index(after: equals)...])
        guard let field = template.field(id) else { throw unknownField(id, source: "--set") }
        switch field.type {
        case .input, .textarea, .dropdown:
            answers[id] = try shape(.string(text), for: field, source: "--set \(id)")
        case .list where !field.fields.isEmpty:
            let entry: Value
            do {
                entry = try YAML.parse(text)
            } catch {
                throw IncidentError.usage(
                    "--set \(id)=… takes an entry such as '{\(field.fields.map { "\($0.id): …" }.joined(separator: ", "))}'."
                )
            }
            let shaped = try shape(.array([entry]), for: field, source: "--set \(id)")
            answers[id] = .array((answers[id]?.array ?? []) + (shaped.array ?? []))
        case .list, .whyChain, .checkboxes:
            let shaped = try shape(.array([.string(text)]), for: field, source: "--set \(id)")
            answers[id] = .array((answers[id]?.array ?? []) + (shaped.array ?? []))
        }
    }

    private func unknownField(_ id: String, source: String) -> IncidentError {
        let known = template.fields.map(\.id)
        return .usage(
            "\(source): '\(id)' is not a field of stage \(template.name); its fields are \(known.isEmpty ? "none" : known.joined(separator: ", "))."
        )
    }

    /// Why one typed answer (or list entry) of `field` is refused, or nil when it is fine: a
    /// control character, or text that is not a URL or a date where the field takes one.
    public static func problem(with text: String, for field: Field) -> String? {
        if let problem = ControlCharacters.problem(in: text, allowNewline: field.type == .textarea) { return problem }
        if field.format == "url", !text.isEmpty {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let url = URL(string: trimmed), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                let host = url.host, !host.isEmpty, !trimmed.contains(" ")
            else { return "'\(trimmed)' is not a URL; give one such as https://github.com/org/repo/pull/12" }
        }
        if field.format == "date", !text.isEmpty {
            // A calendar date (2025-02-30 is none), or a full time such as 2025-10-01T09:00Z.
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard Time.parse(trimmed) != nil else { return "'\(trimmed)' is not a date; give one such as 2025-10-01" }
        }
        return nil
    }

    func shape(_ value: Value, for field: Field, source: String) throws -> Value {
        switch field.type {
        case .input, .textarea:
            if value.isNull { return .null }
            guard var text = value.string else {
                throw IncidentError.usage("\(source): '\(field.id)' takes text, not a list or mapping.")
            }
            if text.hasPrefix("@") && text.count > 1 { text = try readFile(String(text.dropFirst())) }
            if let problem = Self.problem(with: text, for: field) {
                throw IncidentError.usage("\(source): '\(field.id)' is refused: \(problem).")
            }
            return .string(text)
        case .dropdown:
            if value.isNull { return .null }
            guard let text = value.string else {
                throw IncidentError.usage("\(source): '\(field.id)' takes one of \(optionList(field)).")
            }
            return .string(try option(text, of: field, source: source))
        case .checkboxes:
            let items = value.array ?? (value.isNull ? [] : [value])
            return .array(
                try items.map { item in
                    guard let text = item.string else {
                        throw IncidentError.usage("\(source): '\(field.id)' takes option labels: \(optionList(field)).")
                    }
                    return .string(try option(text, of: field, source: source))
                })
        case .whyChain, .list:
            let items = value.array ?? (value.isNull ? [] : [value])
            if field.fields.isEmpty {
                return .array(
                    try items.map { item in
                        guard let text = item.string else {
                            throw IncidentError.usage("\(source): each entry of '\(field.id)' must be text.")
                        }
                        if let problem = Self.problem(with: text, for: field) {
                            throw IncidentError.usage("\(source): an entry of '\(field.id)' is refused: \(problem).")
                        }
                        return .string(text)
                    })
            }
            return .array(try items.map { try entry($0, for: field, source: source) })
        }
    }

    private func entry(_ item: Value, for field: Field, source: String) throws -> Value {
        guard let object = item.object else {
            throw IncidentError.usage(
                "\(source): each entry of '\(field.id)' must be a mapping of \(field.fields.map(\.id).joined(separator: ", "))."
            )
        }
        var shaped = Answers()
        for (key, value) in object {
            guard let subfield = field.fields.first(where: { $0.id == key }) else {
                throw IncidentError.usage(
                    "\(source): '\(key)' is not a field of '\(field.id)' entries; use \(field.fields.map(\.id).joined(separator: ", "))."
                )
            }
            shaped[key] = try shape(value, for: subfield, source: source)
        }
        var ordered = Answers()
        for subfield in field.fields {
            if let value = shaped[subfield.id] {
                ordered[subfield.id] = value
            } else if let value = subfield.defaultValue {
                ordered[subfield.id] = value
            }
        }
        return .object(ordered)
    }

    private func option(_ text: String, of field: Field, source: String) throws -> String {
        if let match = field.options.first(where: { $0.label == text })
            ?? field.options.first(where: { $0.label.lowercased() == text.lowercased() })
        {
            return match.label
        }
        throw IncidentError.usage(
            "\(source): '\(text)' is not an option of '\(field.id)'; use one of \(optionList(field)).")
    }

    private func optionList(_ field: Field) -> String { field.options.map(\.label).joined(separator: ", ") }

    /// Entries past a field's `max` are a usage error, not a gate.
    public func checkLimits(_ answers: Answers) throws {
        for field in template.fields {
            if let max = field.max, let count = answers[field.id]?.array?.count, count > max {
                throw IncidentError.usage(
                    "'\(field.id)' has \(count) entries; stage \(template.name) takes at most \(max).")
            }
        }
    }

    /// What keeps the stage from completing, one line per field; empty when the gate is met.
    public func missing(_ answers: Answers) -> [String] {
        var missing: [String] = []
        for field in template.fields {
            let value = answers[field.id] ?? .null
            let count = value.array?.filter { !$0.isBlank }.count ?? 0
            if field.required && value.isBlank {
                missing.append("\(field.id) (\(field.label)): required")
                continue
            }
            if let min = field.min, field.type.isListLike, count < min {
                missing.append(
                    "\(field.id) (\(field.label)): at least \(min) \(min == 1 ? "entry" : "entries"), have \(count)")
            }
            if field.type == .checkboxes {
                let ticked = Set(value.array?.compactMap(\.string) ?? [])
                for option in field.options where option.required && !ticked.contains(option.label) {
                    missing.append("\(field.id): '\(option.label)' must be ticked")
                }
            }
            for (index, item) in (value.array ?? []).enumerated() where !field.fields.isEmpty {
                for subfield in field.fields where subfield.required && (item[subfield.id] ?? .null).isBlank {
                    missing.append("\(field.id)[\(index + 1)].\(subfield.id) (\(subfield.label)): required")
                }
            }
        }
        return missing
    }
}

extension Workspace {
    /// The rules for a stage's answers, where `@FILE` reads a UTF-8 file named on the command line.
    func answerRules(for template: StageTemplate) -> AnswerRules {
        AnswerRules(
            template: template,
            readFile: { path in
                let data = try readUserFile(path, what: "answer file")
                guard let text = String(validatingUTF8Data: data) else {
                    throw IncidentError.usage("'\(path)' is not UTF-8 text.")
                }
                return text
            })
    }

    /// An answers file (`--answers FILE`, `-` for standard input): YAML or JSON, one sentence when
    /// it is not UTF-8 or does not parse.
    func readAnswers(_ path: String) throws -> Value {
        // As for a log: '-' on a terminal would wait for text nobody means to type.
        if path == "-", env.stdinIsTerminal {
            throw IncidentError.usage(
                "'--answers -' reads answers from standard input, which is a terminal; pipe them in (cat whys.yml | incident advance …), give a file, or leave --answers out to be asked."
            )
        }
        let data = path == "-" ? try env.readStandardInput() : try readUserFile(path, what: "answers file")
        guard let text = String(validatingUTF8Data: data) else {
            throw IncidentError.usage("answers file '\(path)' is not UTF-8 text.")
        }
        do {
            return try YAML.parse(text)
        } catch {
            throw IncidentError.usage(
                "answers file '\(path)' line \(error.line): \(error.problem); it must be YAML or JSON.")
        }
    }
}
