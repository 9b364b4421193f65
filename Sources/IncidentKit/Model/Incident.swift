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
    public var fields: OrderedDictionary<String, Value> {
        // Any change to the fields, in place or whole, makes the JSON kept for them stale.
        didSet { fieldsJSON = nil }
    }
    public var body: String
    /// The front-matter text as read, so that a rewrite keeps every entry it did not change
    /// exactly as written (comments, tags, number spellings, complex keys, line endings).
    var sourceYAML: String?
    /// `JSON.memberBytes(fields)`, when the read cache kept it (for `list --json`); dropped by
    /// any change to `fields`. Not part of equality: it only repeats the fields.
    var fieldsJSON: Data?

    public static func == (lhs: IncidentDocument, rhs: IncidentDocument) -> Bool {
        lhs.fields == rhs.fields && lhs.body == rhs.body && lhs.sourceYAML == rhs.sourceYAML
    }

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
        var document = IncidentDocument(fields: fields, body: split.body)
        document.sourceYAML = split.yaml
        return document
    }

    public func serialized() -> String {
        let crlf = sourceYAML?.contains("\r\n") ?? body.contains("\r\n")
        let eol = crlf ? "\r\n" : "\n"
        return "---" + eol + FrontMatter.emit(fields, keeping: sourceYAML, crlf: crlf) + "---" + eol + body
    }

    /// The line ending this file uses, for text the tool adds to it.
    var lineEnding: String { (sourceYAML ?? body).contains("\r\n") ? "\r\n" : "\n" }

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
        // Lines are found in UTF-8 (a Character "\r\n" would hide its "\n" from a String search).
        var markers: [(MarkerKind, String, Range<String.Index>)] = []
        let utf8 = body.utf8
        var lineStart = utf8.startIndex
        while lineStart < utf8.endIndex {
            let lineEnd = utf8[lineStart...].firstIndex(of: 0x0A) ?? utf8.endIndex
            let line = body[lineStart..<lineEnd]
            for (kind, prefix) in [(MarkerKind.stage, Self.sectionPrefix), (.occurrence, Self.occurrencePrefix)]
            where line.hasPrefix(prefix) {
                let rest = line.dropFirst(prefix.count)
                if let close = rest.range(of: "-->") {
                    let name = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                    let after = lineEnd < utf8.endIndex ? utf8.index(after: lineEnd) : lineEnd
                    markers.append((kind, name, lineStart..<after))
                }
            }
            lineStart = lineEnd < utf8.endIndex ? utf8.index(after: lineEnd) : utf8.endIndex
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
        let eol = lineEnding
        if !body.isEmpty && !body.hasSuffix("\n") { body += eol }
        if !body.isEmpty && !body.hasSuffix("\n" + eol) { body += eol }
        var content = Self.defused(markdown)
        while content.hasSuffix("\n") { content.removeLast() }
        body += Self.ending(marker + "\n" + content + "\n", eol)
    }

    /// Generated text with every line that looks like one of the tool's markers made harmless
    /// (`&lt;!--`, which markdown shows as written): an answer or a log line holding
    /// `<!-- incident:stage x -->` must not open a section of its own.
    static func defused(_ markdown: String) -> String {
        guard markdown.contains("<!-- incident:") else { return markdown }
        return markdown.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            return trimmed.hasPrefix("<!-- incident:")
                ? String(line.prefix(line.count - trimmed.count)) + "&lt;!--" + trimmed.dropFirst(4) : String(line)
        }.joined(separator: "\n")
    }

    /// Text the tool writes, in the file's own line ending.
    static func ending(_ text: String, _ eol: String) -> String {
        eol == "\n" ? text : text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: eol)
    }

    /// Writes a stage's section: in place of the one already there (a stage run again after
    /// `reopen`, an amend, a re-render), else at the end. Never two sections with one marker.
    public mutating func writeSection(stage: String, markdown: String) {
        if !replaceSection(stage: stage, markdown: markdown) { appendSection(stage: stage, markdown: markdown) }
    }

    /// Replaces a stage section's content. Returns false when absent.
    public mutating func replaceSection(stage: String, markdown: String) -> Bool {
        guard let section = sectionRanges().last(where: { $0.kind == .stage && $0.name == stage }) else {
            return false
        }
        var content = Self.defused(markdown)
        while content.hasSuffix("\n") { content.removeLast() }
        let isLast = section.contentRange.upperBound == body.endIndex
        // A marker on the file's last line, without a line break after it, gets one first.
        let opening = body.utf8[section.markerRange].last == 0x0A ? "" : "\n"
        body.replaceSubrange(
            section.contentRange, with: Self.ending(opening + content + (isLast ? "\n" : "\n\n"), lineEnding))
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
        var text = text
        let found = text.withUTF8 { bytes -> (yamlStart: Int, yamlEnd: Int, bodyStart: Int)? in
            let count = bytes.count
            var start = 0
            if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
            func isMarker(_ from: Int, _ end: Int, _ byte: UInt8) -> Bool {
                var end = end
                if end > from, bytes[end - 1] == 0x0D { end -= 1 }
                return end - from == 3 && bytes[from] == byte && bytes[from + 1] == byte && bytes[from + 2] == byte
            }
            func lineEnd(_ from: Int) -> Int {
                guard from < count, let base = bytes.baseAddress,
                    let found = memchr(base + from, 0x0A, count - from)
                else { return count }
                return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            let firstEnd = lineEnd(start)
            guard firstEnd < count, isMarker(start, firstEnd, UInt8(ascii: "-")) else { return nil }
            let yamlStart = firstEnd + 1
            var lineStart = yamlStart
            while lineStart < count {
                let end = lineEnd(lineStart)
                if isMarker(lineStart, end, UInt8(ascii: "-")) || isMarker(lineStart, end, UInt8(ascii: ".")) {
                    return (yamlStart, lineStart, end < count ? end + 1 : end)
                }
                lineStart = end < count ? end + 1 : end
            }
            return nil
        }
        guard let found else { return nil }
        // Copies of the text's own (valid) bytes: no second UTF-8 check. The offsets are at line starts.
        let utf8 = text.utf8
        func index(_ offset: Int) -> String.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
        return Split(
            yaml: String(text[index(found.yamlStart)..<index(found.yamlEnd)]),
            body: String(text[index(found.bodyStart)...]), firstLine: 2)
    }
}

extension FrontMatter {
    /// Writes the fields as YAML, copying the text of each top-level entry that is unchanged since
    /// `source` was read (and entries the model cannot hold, such as complex keys) byte for byte.
    static func emit(_ fields: OrderedDictionary<String, Value>, keeping source: String?, crlf: Bool) -> String {
        let eol = crlf ? "\r\n" : "\n"
        func fresh(_ key: String, _ value: Value) -> String {
            IncidentDocument.ending(YAML.emit([key: value]), eol)
        }
        // No fields at all is an empty mapping, which must still read back as one.
        func afresh() -> String { fields.isEmpty ? "{}" + eol : fields.map { fresh($0.key, $0.value) }.joined() }
        guard let source, let chunks = entries(of: source) else { return afresh() }
        var kept: [String: String] = [:]
        var opaqueAfter: [String?: [String]] = [:]
        var previous: String? = nil
        for chunk in chunks {
            if let key = chunk.key {
                kept[key] = chunk.leading + (fields[key] == chunk.value ? chunk.text : fresh(key, fields[key] ?? .null))
                if fields[key] == nil { opaqueAfter[previous, default: []].append(chunk.leading) }
                previous = key
            } else {
                opaqueAfter[previous, default: []].append(chunk.leading + chunk.text)
            }
        }
        var out = opaqueAfter[nil]?.joined() ?? ""
        for (key, value) in fields {
            out += kept[key] ?? fresh(key, value)
            out += opaqueAfter[key]?.joined() ?? ""
        }
        // Kept text must read back as exactly these fields (a complex key kept as it was while its
        // key is also written afresh would be a duplicate): otherwise everything is written afresh.
        guard let reread = try? YAML.parse(out), case .object(let readFields) = reread,
            Array(readFields.keys) == Array(fields.keys)
        else { return afresh() }
        return out
    }

    struct Entry {
        var key: String?
        var value: Value
        /// Comment and blank lines above the entry, kept even when the entry itself changes.
        var leading: String
        var text: String
    }

    /// The top-level entries of a block mapping, each with the lines it spans; comment lines at
    /// the left margin go with the entry below them. Nil when the text does not split cleanly.
    static func entries(of yaml: String) -> [Entry]? {
        var result: [Entry] = []
        var leading = ""
        var current = ""
        func flush() -> Bool {
            guard !current.isEmpty else { return true }
            defer { current = "" }
            // A mapping indented as a whole does not split by lines: the caller writes it afresh.
            if current.hasPrefix(" ") || current.hasPrefix("\t") { return false }
            if current.hasPrefix("? ") || current.hasPrefix("?\n") || current.hasPrefix("?\r") {
                result.append(Entry(key: nil, value: .null, leading: leading, text: current))
            } else {
                guard let parsed = try? YAML.parse(current), case .object(let fields) = parsed, fields.count == 1,
                    let entry = fields.elements.first
                else { return false }
                result.append(Entry(key: entry.key, value: entry.value, leading: leading, text: current))
            }
            leading = ""
            return true
        }
        var lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        if yaml.hasSuffix("\n") { lines.removeLast() }
        for line in lines {
            let first = line.utf8.first
            let blank = line.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
            if first == UInt8(ascii: "#") || (blank && current.isEmpty) {
                if !current.isEmpty, current.utf8.first != UInt8(ascii: "?") {
                    guard flush() else { return nil }
                }
                if current.isEmpty {
                    leading += line + "\n"
                    continue
                }
            }
            let continues =
                blank || first == 0x20 || first == 0x09 || first == UInt8(ascii: "#") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: ":") || first == UInt8(ascii: "]") || first == UInt8(ascii: "}")
                || (first == UInt8(ascii: "?") && (current.hasPrefix("? ") || current.hasPrefix("?\n")))
            if !continues { guard flush() else { return nil } }
            current += line + "\n"
        }
        guard flush() else { return nil }
        if !leading.isEmpty { result.append(Entry(key: nil, value: .null, leading: leading, text: "")) }
        return result
    }
}
