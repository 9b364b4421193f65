import Foundation
import OrderedCollections

/// How bad an incident is; ordered from least to most severe.
public enum Severity: String, CaseIterable, Sendable, Comparable {
    case low, medium, high, critical

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public static func parse(_ text: String) throws -> Severity {
        guard let severity = Severity(rawValue: text.lowercased()) else {
            throw IncidentError.usage(
                "severity '\(text)' is not one of critical, high, medium, low.")
        }
        return severity
    }
}

/// Where an incident is in its life.
public enum Status: String, CaseIterable, Sendable {
    case open, resolved, closed
}

/// One incident file: front-matter fields in their order, and the markdown body byte for byte.
public struct IncidentDocument: Equatable, Sendable {
    public var fields: OrderedDictionary<String, Value>
    public var body: String

    public init(fields: OrderedDictionary<String, Value>, body: String) {
        self.fields = fields
        self.body = body
    }

    public var id: String { fields["id"]?.string ?? "" }
    public var title: String { fields["title"]?.string ?? "" }
    public var stage: String { fields["stage"]?.string ?? "" }
    public var status: String { fields["status"]?.string ?? "" }
    public var severity: String { fields["severity"]?.string ?? "" }
    public var fingerprint: String? { fields["fingerprint"]?.string }
    public var created: Date? { fields["created"]?.string.flatMap(Time.parse) }
    public var services: [String] { fields["services"]?.array?.compactMap(\.string) ?? [] }
    public var stages: OrderedDictionary<String, Value> { fields["stages"]?.object ?? [:] }

    /// The answers recorded for each completed stage, keyed by stage name.
    public var stageAnswers: OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        for (name, record) in stages {
            result[name] = record["answers"] ?? [:]
        }
        return result
    }

    // MARK: - Text form

    public static let sectionPrefix = "<!-- incident:stage "
    public static let occurrencePrefix = "<!-- incident:occurrence "

    /// Parses the text of an incident file. `name` appears in error messages.
    public static func parse(_ text: String, name: String) throws -> IncidentDocument {
        guard let split = FrontMatter.split(text) else {
            throw IncidentError.failure(
                "\(name) has no front-matter: an incident file starts with a line '---', its YAML, and another '---'.")
        }
        let value: Value
        do {
            value = try YAML.parse(split.yaml)
        } catch {
            throw IncidentError.failure(
                "\(name):\(error.line + split.firstLine - 1): malformed front-matter: \(error.problem); fix the YAML between the '---' lines."
            )
        }
        guard case .object(let fields) = value else {
            throw IncidentError.failure(
                "\(name):\(split.firstLine): front-matter must be a mapping of keys to values.")
        }
        return IncidentDocument(fields: fields, body: split.body)
    }

    public func serialized() -> String {
        "---\n" + YAML.emit(fields) + "---\n" + body
    }

    /// The sections by stage name, each from its marker line to the next marker (or the end).
    public var sections: OrderedDictionary<String, String> {
        var result = OrderedDictionary<String, String>()
        for section in sectionRanges() where section.kind == .stage {
            result[section.name] = String(body[section.contentRange])
        }
        return result
    }

    enum MarkerKind { case stage, occurrence }

    struct SectionRange {
        var kind: MarkerKind
        var name: String
        var markerRange: Range<String.Index>
        var contentRange: Range<String.Index>
    }

    func sectionRanges() -> [SectionRange] {
        var markers: [(MarkerKind, String, Range<String.Index>)] = []
        var lineStart = body.startIndex
        while lineStart < body.endIndex {
            let lineEnd = body[lineStart...].firstIndex(of: "\n") ?? body.endIndex
            let line = body[lineStart..<lineEnd]
            for (kind, prefix) in [(MarkerKind.stage, Self.sectionPrefix), (.occurrence, Self.occurrencePrefix)]
            where line.hasPrefix(prefix) {
                let rest = line.dropFirst(prefix.count)
                if let close = rest.range(of: "-->") {
                    let name = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                    let after = lineEnd < body.endIndex ? body.index(after: lineEnd) : lineEnd
                    markers.append((kind, name, lineStart..<after))
                }
            }
            lineStart = lineEnd < body.endIndex ? body.index(after: lineEnd) : body.endIndex
        }
        return markers.enumerated().map { index, marker in
            let end = index + 1 < markers.count ? markers[index + 1].2.lowerBound : body.endIndex
            return SectionRange(
                kind: marker.0, name: marker.1, markerRange: marker.2, contentRange: marker.2.upperBound..<end)
        }
    }

    /// Appends a section at the end of the file, after whatever the user wrote.
    public mutating func appendSection(stage: String, markdown: String) {
        appendBlock(marker: Self.sectionPrefix + stage + " -->", markdown: markdown)
    }

    /// Appends a recurrence entry at the end of the file.
    public mutating func appendOccurrence(at time: String, markdown: String) {
        appendBlock(marker: Self.occurrencePrefix + time + " -->", markdown: markdown)
    }

    private mutating func appendBlock(marker: String, markdown: String) {
        if !body.isEmpty && !body.hasSuffix("\n") { body += "\n" }
        if !body.isEmpty && !body.hasSuffix("\n\n") { body += "\n" }
        var content = markdown
        while content.hasSuffix("\n") { content.removeLast() }
        body += marker + "\n" + content + "\n"
    }

    /// Replaces a stage section's content (only for `advance --rerender`). Returns false when absent.
    public mutating func replaceSection(stage: String, markdown: String) -> Bool {
        guard let section = sectionRanges().last(where: { $0.kind == .stage && $0.name == stage }) else {
            return false
        }
        var content = markdown
        while content.hasSuffix("\n") { content.removeLast() }
        let isLast = section.contentRange.upperBound == body.endIndex
        body.replaceSubrange(section.contentRange, with: content + (isLast ? "\n" : "\n\n"))
        return true
    }
}

/// Splits a markdown file into its YAML front-matter and its body.
enum FrontMatter {
    struct Split {
        var yaml: String
        var body: String
        /// The file line on which the YAML starts (the line after the opening `---`).
        var firstLine: Int
    }

    /// Finds the closing `---` (or `...`) line by scanning bytes, so long bodies cost nothing.
    static func split(_ text: String) -> Split? {
        let utf8 = text.utf8
        var start = utf8.startIndex
        if utf8.starts(with: [0xEF, 0xBB, 0xBF]) { start = utf8.index(start, offsetBy: 3) }
        let rest = utf8[start...]
        guard rest.starts(with: Array("---\n".utf8)) || rest.starts(with: Array("---\r\n".utf8)) else { return nil }
        let yamlStart = utf8.index(after: rest.firstIndex(of: 0x0A)!)
        var lineStart = yamlStart
        while lineStart < utf8.endIndex {
            let lineEnd = utf8[lineStart...].firstIndex(of: 0x0A) ?? utf8.endIndex
            var line = utf8[lineStart..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            if line.elementsEqual("---".utf8) || line.elementsEqual("...".utf8) {
                let bodyStart = lineEnd < utf8.endIndex ? utf8.index(after: lineEnd) : lineEnd
                return Split(
                    yaml: String(text[yamlStart..<lineStart]), body: String(text[bodyStart...]), firstLine: 2)
            }
            lineStart = lineEnd < utf8.endIndex ? utf8.index(after: lineEnd) : lineEnd
        }
        return nil
    }
}
