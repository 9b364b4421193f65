import Foundation
import Mustache
import OrderedCollections

/// Renders a template body with Mustache as plain text (no HTML escaping).
public enum Renderer {
    public static func render(_ template: String, context: Value, origin: String) throws -> String {
        let compiled: MustacheTemplate
        do {
            compiled = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + template)
        } catch {
            throw IncidentError.failure("\(origin): the template body is not valid Mustache (\(error)).")
        }
        return compiled.render(mustacheObject(context))
    }

    /// Converts a value into what swift-mustache walks: dictionaries, arrays and `TemplateText`.
    static func mustacheObject(_ value: Value) -> Any {
        switch value {
        case .null: return TemplateText("")
        case .bool(let flag): return flag
        case .int(let number): return TemplateText(String(number))
        case .double(let number): return TemplateText(String(number))
        case .string(let text): return TemplateText(text)
        case .array(let items): return TemplateList(items: items.map(mustacheObject))
        case .object(let fields):
            var dictionary: [String: Any] = [:]
            for (key, item) in fields { dictionary[key] = mustacheObject(item) }
            return dictionary
        }
    }
}

/// A string in a template context: empty text is falsy, and it offers transforms such as `mermaid(x)`.
struct TemplateText: CustomStringConvertible, MustacheCustomRenderable, MustacheTransformable {
    let text: String
    init(_ text: String) { self.text = text }

    var description: String { text }
    var renderText: String { text }
    var isNull: Bool { text.isEmpty }

    func transform(_ name: String) -> Any? {
        switch name {
        case "uppercased": return TemplateText(text.uppercased())
        case "lowercased": return TemplateText(text.lowercased())
        case "capitalized": return TemplateText(text.prefix(1).uppercased() + text.dropFirst())
        case "oneline":
            return TemplateText(text.split(whereSeparator: \.isNewline).joined(separator: " "))
        case "mermaid":
            // A Mermaid label inside "…": quotes and line breaks would end it.
            let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            return TemplateText(flat.replacingOccurrences(of: "\"", with: "#quot;"))
        default: return nil
        }
    }
}

/// A list in a template context: iterates like an array, and `list.0`, `list.1`… and `list.count`
/// look inside it, so a template can write a heading only when a list has entries.
struct TemplateList: MustacheSequence, MustacheParent {
    let items: [Any]

    func makeIterator() -> IndexingIterator<[Any]> { items.makeIterator() }

    func child(named name: String) -> Any? {
        if name == "count" { return TemplateText(String(items.count)) }
        if let index = Int(name), index >= 0, index < items.count { return items[index] }
        return nil
    }
}
