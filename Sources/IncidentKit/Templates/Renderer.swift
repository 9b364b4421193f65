import Foundation
import Mustache
import OrderedCollections

/// Renders a template body with Mustache as plain text (no HTML escaping).
public enum Renderer {
    /// Deeper section nesting than this is refused: swift-mustache parses and renders sections
    /// recursively, and a few thousand levels overflow the stack.
    public static let maxSectionDepth = 64

    public static func render(_ template: String, context: Value, origin: String) throws -> String {
        try checkDepth(template, origin: origin)
        let compiled: MustacheTemplate
        do {
            compiled = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + template)
        } catch let error as MustacheTemplate.ParserError {
            // The parser's own words, and where: the prefix above shares the body's first line.
            // A section never closed is found at the body's end: where it stopped says nothing then.
            let line = error.context.line.trimmingCharacters(in: .whitespaces)
            let place =
                (error.error as? MustacheTemplate.Error) == .expectedSectionEnd
                ? " before the body ends"
                : ", on line \(error.context.lineNumber) of the body (after the front-matter): \(line.isEmpty ? "an empty line" : "'\(String(line.prefix(80)))'")"
            throw IncidentError.failure(
                "\(origin): the template body is not valid Mustache: \(Self.describe(error.error))\(place).")
        } catch {
            throw IncidentError.failure("\(origin): the template body is not valid Mustache (\(error)).")
        }
        return compiled.render(mustacheObject(context))
    }

    /// A parser error in words (its cases print as Swift names).
    static func describe(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: "a section is closed ({{/…}}) under another name than it was opened with"
        case .unfinishedName: "a tag is not closed with }}"
        case .expectedSectionEnd: "a section opened with {{#…}} or {{^…}} is never closed with {{/…}}"
        case .invalidSetDelimiter: "a {{=… …=}} tag that sets delimiters is malformed"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: "a {{% …}} tag is not one Mustache knows"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            "an inheritance section ({{<…}} or {{$…}}) holds what it may not"
        case nil: "\(error)"
        }
    }

    /// Refuses a body whose sections nest deeper than `maxSectionDepth`, following set-delimiter tags.
    public static func checkDepth(_ template: String, origin: String) throws {
        let bytes = Array(template.utf8)
        var open = Array("{{".utf8)
        var close = Array("}}".utf8)
        var depth = 0
        var index = 0
        func matches(_ token: [UInt8], at position: Int) -> Bool {
            position + token.count <= bytes.count && bytes[position..<position + token.count].elementsEqual(token)
        }
        while index < bytes.count {
            guard matches(open, at: index) else {
                index += 1
                continue
            }
            var start = index + open.count
            var end = start
            while end < bytes.count, !matches(close, at: end) { end += 1 }
            guard end < bytes.count else { break }
            while start < end, bytes[start] == 0x20 { start += 1 }
            let sigil = start < end ? bytes[start] : 0
            switch sigil {
            case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "<"):
                depth += 1
                if depth > maxSectionDepth {
                    throw IncidentError.failure(
                        "\(origin): the template body nests sections more than \(maxSectionDepth) deep; flatten it.")
                }
            case UInt8(ascii: "/"):
                depth = max(0, depth - 1)
            case UInt8(ascii: "="):
                // {{=<% %>=}}: new delimiters, separated by white space.
                let inner = String(decoding: bytes[(start + 1)..<end], as: UTF8.self)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "= "))
                let parts = inner.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2 {
                    open = Array(parts[0].utf8)
                    close = Array(parts[1].utf8)
                }
            default:
                break
            }
            index = end + close.count
        }
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
        case "cell":
            // A markdown table cell: a pipe would end it and a line break would end the row.
            let flat = text.replacingOccurrences(of: "\r\n", with: "\n").split(
                separator: "\n", omittingEmptySubsequences: false
            ).joined(separator: "<br>")
            return TemplateText(flat.replacingOccurrences(of: "|", with: "\\|"))
        case "mermaid":
            // A Mermaid label inside "…": quotes and line breaks would end it, and an arrow in the
            // text ("web --> api") would be read as an edge: Mermaid's entity codes stand for them.
            let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            return TemplateText(
                flat.replacingOccurrences(of: "\"", with: "#quot;").replacingOccurrences(of: "<", with: "#lt;")
                    .replacingOccurrences(of: ">", with: "#gt;"))
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
