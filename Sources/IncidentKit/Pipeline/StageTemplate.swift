import OrderedCollections

/// The kinds of field a stage template can declare (GitHub issue forms' vocabulary, flattened).
public enum FieldType: String, CaseIterable, Sendable {
    case input, textarea, dropdown, checkboxes, list
    case whyChain = "why-chain"

    var isListLike: Bool { self == .list || self == .whyChain || self == .checkboxes }
}

/// One option of a dropdown or checkboxes field; a required checkbox must be ticked.
public struct FieldOption: Equatable, Sendable {
    public var label: String
    public var required: Bool
}

/// One field a stage asks for.
public struct Field: Equatable, Sendable {
    public var id: String
    public var type: FieldType
    public var label: String
    public var description: String?
    public var placeholder: String?
    public var defaultValue: Value?
    public var options: [FieldOption]
    public var min: Int?
    public var max: Int?
    public var fields: [Field]
    public var required: Bool
    /// `issue: true` on a list: each entry is a follow-up, filed as its own GitHub issue.
    public var issue: Bool = false
    /// `format: url`: each answer (or list entry) must be an http(s) URL.
    public var format: String? = nil
}

/// The names of the built-in automations a template can attach with `action:` (each is a
/// `StageAction` in Pipeline/Actions, registered in `StageActions.all`).
public enum StageActionName: String, CaseIterable, Sendable {
    case analyzeLog = "analyze-log"
    case githubIssue = "github-issue"
    case linkCommits = "link-commits"
    case runChecks = "run-checks"
}

/// A parsed stage template: what the stage asks and how its section is rendered.
public struct StageTemplate: Sendable {
    public var name: String
    public var title: String
    public var action: StageActionName?
    public var fields: [Field]
    public var body: String
    /// Where it came from, for messages: "built-in" or a path.
    public var origin: String

    public func field(_ id: String) -> Field? { fields.first { $0.id == id } }

    /// Parses a stage template; every problem names the file and the field.
    public static func parse(_ text: String, name: String, origin: String) throws -> StageTemplate {
        let (header, body) = try TemplateFile.split(text, origin: origin)
        let stage = header["stage"]?.string ?? name
        if stage != name {
            throw IncidentError.failure(
                "\(origin): declares stage '\(stage)' but its file name says '\(name)'; make them match.")
        }
        var action: StageActionName?
        if let raw = header["action"], !raw.isNull {
            guard let text = raw.string, let parsed = StageActionName(rawValue: text) else {
                throw IncidentError.failure(
                    "\(origin): action '\(raw.string ?? "?")' is not one of \(StageActionName.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            action = parsed
        }
        let fields = try parseFields(header["fields"] ?? .array([]), origin: origin, path: "fields")
        return StageTemplate(
            name: name, title: header["title"]?.string ?? name, action: action, fields: fields, body: body,
            origin: origin)
    }

    static func parseFields(_ value: Value, origin: String, path: String) throws -> [Field] {
        if value.isNull { return [] }
        guard let items = value.array else {
            throw IncidentError.failure("\(origin): '\(path)' must be a list of fields.")
        }
        var seen = Set<String>()
        return try items.enumerated().map { index, item in
            guard let object = item.object else {
                throw IncidentError.failure("\(origin): \(path)[\(index)] must be a mapping with id, type and label.")
            }
            guard let id = object["id"]?.string, !id.isEmpty else {
                throw IncidentError.failure("\(origin): \(path)[\(index)] has no id.")
            }
            guard seen.insert(id).inserted else {
                throw IncidentError.failure("\(origin): field id '\(id)' is declared twice.")
            }
            let typeName = object["type"]?.string ?? ""
            guard let type = FieldType(rawValue: typeName) else {
                throw IncidentError.failure(
                    "\(origin): field '\(id)' has type '\(typeName)'; use one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            let options: [FieldOption] = try (object["options"]?.array ?? []).map { option in
                if let label = option.string { return FieldOption(label: label, required: false) }
                if let label = option["label"]?.string {
                    return FieldOption(label: label, required: option["required"] == .bool(true))
                }
                throw IncidentError.failure("\(origin): field '\(id)' has an option that is neither text nor {label}.")
            }
            if (type == .dropdown || type == .checkboxes) && options.isEmpty {
                throw IncidentError.failure("\(origin): field '\(id)' is a \(type.rawValue) but has no options.")
            }
            let subfields = try parseFields(object["fields"] ?? .null, origin: origin, path: "\(id).fields")
            if !subfields.isEmpty && type != .list {
                throw IncidentError.failure("\(origin): field '\(id)' has sub-fields, but only a list can.")
            }
            let issue = object["issue"] == .bool(true)
            if issue && type != .list {
                throw IncidentError.failure(
                    "\(origin): field '\(id)' has issue: true, but only a list's entries can be filed as issues.")
            }
            let format = object["format"]?.string ?? object["validations"]?["format"]?.string
            if let format, !["url", "date"].contains(format) {
                throw IncidentError.failure("\(origin): field '\(id)' has format '\(format)'; the formats are url and date.")
            }
            return Field(
                id: id, type: type, label: object["label"]?.string ?? id,
                description: object["description"]?.string, placeholder: object["placeholder"]?.string,
                defaultValue: object["default"], options: options, min: object["min"]?.int, max: object["max"]?.int,
                fields: subfields, required: object["validations"]?["required"] == .bool(true), issue: issue,
                format: format)
        }
    }
}

/// A template file's split into front-matter and body.
enum TemplateFile {
    static func split(_ text: String, origin: String) throws -> (OrderedDictionary<String, Value>, String) {
        guard let split = FrontMatter.split(text) else {
            throw IncidentError.failure(
                "\(origin): a template starts with a '---' line, its YAML front-matter, and another '---'.")
        }
        let value: Value
        do {
            value = try YAML.parse(split.yaml)
        } catch {
            throw IncidentError.failure(
                "\(origin):\(error.line + split.firstLine - 1): malformed template front-matter: \(error.problem).")
        }
        if value.isNull { return ([:], split.body) }
        guard let fields = value.object else {
            throw IncidentError.failure("\(origin): template front-matter must be a mapping.")
        }
        return (fields, split.body)
    }
}
