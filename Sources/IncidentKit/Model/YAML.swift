import Foundation
import OrderedCollections
import Yams

/// Reads YAML into `Value` (through libyaml) and writes `Value` back as predictable, diff-friendly YAML.
public enum YAML {
    /// Where a YAML text is malformed: a line counted from 1 within the text, and libyaml's problem.
    public struct SyntaxError: Error, Equatable {
        public var line: Int
        public var problem: String
    }

    public static func parse(_ text: String) throws(SyntaxError) -> Value {
        // Block YAML of the kind the tool writes is read without libyaml: the same values, or nil
        // for anything else (FrontMatterReaderTests).
        if let value = FrontMatterReader.parse(text) { return value }
        return try parseWithLibYAML(text)
    }

    /// Through libyaml and Yams, whatever the text; what `parse` falls back to (and the reference its tests use).
    static func parseWithLibYAML(_ text: String) throws(SyntaxError) -> Value {
        // Aliases expand exponentially (a few hundred bytes can stand for millions of nodes), and
        // nothing the tool writes uses them, so they are refused before libyaml composes anything.
        if let line = firstAnchorOrAlias(text) {
            throw SyntaxError(
                line: line, problem: "YAML anchors and aliases (&name, *name) are not read here; write the values out")
        }
        let node: Node?
        do {
            // The basic resolver skips Yams' regex tag resolution (plain scalars are resolved here), and
            // naming the encoding spares Yams a read of the whole process environment on every parse.
            node = try Yams.compose(yaml: text, Resolver.basic, Constructor.default, .utf8)
        } catch let error as YamlError {
            throw describe(error)
        } catch {
            throw SyntaxError(line: 1, problem: "\(error)")
        }
        return node.map(value(of:)) ?? .null
    }

    private static func describe(_ error: YamlError) -> SyntaxError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            // The context mark is where the broken construct began, which is where a person looks.
            return SyntaxError(line: context?.mark.line ?? mark.line, problem: detail)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return SyntaxError(
                line: context.mark.line, problem: "duplicated key \(duplicates.joined(separator: ", "))")
        case .reader(let problem, let offset, let value, let yaml):
            // A byte YAML does not take (a control character): the line it is on, not "2:1: error: …".
            let line = offset.map { offset in 1 + yaml.utf8.prefix(offset).filter { $0 == 0x0A }.count } ?? 1
            let shown = value >= 0x20 && value != 0x7F ? "" : String(format: " (0x%02X)", value)
            return SyntaxError(line: line, problem: problem + shown)
        default:
            return SyntaxError(line: 1, problem: "\(error)")
        }
    }

    static func value(of node: Node) -> Value {
        switch node {
        case .scalar(let scalar):
            return scalar.style == .plain ? resolvePlain(scalar.string) : .string(scalar.string)
        case .sequence(let sequence):
            return .array(sequence.map(value(of:)))
        case .mapping(let mapping):
            var fields = OrderedDictionary<String, Value>()
            for (key, item) in mapping {
                // A complex key (a list or map as a key) has no place in the model; a rewrite keeps
                // its text as it was (FrontMatter.emit).
                guard let name = key.scalar?.string else { continue }
                fields[name] = value(of: item)
            }
            return .object(fields)
        case .alias:
            return .null
        }
    }

    /// The core-schema reading of an unquoted scalar. Timestamps stay strings.
    static func resolvePlain(_ text: String) -> Value {
        // Most scalars are words: only these first characters can start anything but a string.
        if let first = text.utf8.first {
            switch first {
            case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
                UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                break
            default:
                return .string(text)
            }
        }
        // The words below are at most five bytes long: longer text (dates, names) skips them.
        if text.utf8.count <= 5 { if let word = keywords(text) { return word } }
        if looksNumeric(text) {
            if let number = Int(text) { return .int(number) }
            // An integer too big for Int stays the text it was, rather than becoming an inexact float.
            if text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D }) {
                return .string(text)
            }
            if let number = Double(text), number.isFinite { return .double(number) }
        }
        return .string(text)
    }

    private static func keywords(_ text: String) -> Value? {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: return nil
        }
    }

    private static func looksNumeric(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        guard
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= 0x30 && first <= 0x39)
        else { return false }
        return text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
        }
    }

    // MARK: - Writing

    /// Writes a top-level mapping as block YAML; small scalar lists and maps are written in flow style.
    public static func emit(_ fields: OrderedDictionary<String, Value>) -> String {
        var out = ""
        emitMapping(fields, indent: 0, into: &out)
        return out
    }

    private static func emitMapping(_ fields: OrderedDictionary<String, Value>, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for (key, item) in fields {
            out += pad + scalar(key, flow: false) + ":"
            emitNested(item, indent: indent, into: &out)
        }
    }

    /// Writes what follows `key:` or `-`: an inline value, or a nested block on the next lines.
    private static func emitNested(_ item: Value, indent: Int, into out: inout String) {
        if let inline = flow(item, budget: 100 - indent) {
            out += " " + inline + "\n"
            return
        }
        switch item {
        case .object(let fields):
            out += "\n"
            emitMapping(fields, indent: indent + 2, into: &out)
        case .array(let items):
            out += "\n"
            emitSequence(items, indent: indent + 2, into: &out)
        case .string(let text):
            out += " " + (literalBlock(text, indent: indent + 2) ?? quoted(text)) + "\n"
        default:
            out += " " + (flow(item, budget: .max) ?? "null") + "\n"
        }
    }

    private static func emitSequence(_ items: [Value], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            if case .object(let fields) = item, !fields.isEmpty, flow(item, budget: 100 - indent) == nil {
                // "- key: value" with the following keys aligned under the first.
                var nested = ""
                emitMapping(fields, indent: indent + 2, into: &nested)
                out += pad + "- " + nested.dropFirst(indent + 2)
            } else {
                out += pad + "-"
                emitNested(item, indent: indent, into: &out)
            }
        }
    }

    /// The flow form of a value if it is short, single-line and holds only scalars (one level deep).
    private static func flow(_ item: Value, budget: Int) -> String? {
        switch item {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number):
            if number.isNaN { return ".nan" }
            if number.isInfinite { return number < 0 ? "-.inf" : ".inf" }
            return String(number)
        case .string(let text):
            if text.contains("\n") { return nil }
            return scalar(text, flow: false)
        case .array(let items):
            if items.isEmpty { return "[]" }
            var parts: [String] = []
            for element in items {
                switch element {
                case .array, .object: return nil
                case .string(let text) where text.contains("\n"): return nil
                case .string(let text): parts.append(scalar(text, flow: true))
                default: parts.append(flow(element, budget: .max)!)
                }
            }
            let text = "[" + parts.joined(separator: ", ") + "]"
            return text.count <= budget ? text : nil
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            var parts: [String] = []
            for (key, element) in fields {
                switch element {
                case .array, .object: return nil
                case .string(let text) where text.contains("\n"): return nil
                case .string(let text): parts.append(scalar(key, flow: true) + ": " + scalar(text, flow: true))
                default: parts.append(scalar(key, flow: true) + ": " + flow(element, budget: .max)!)
                }
            }
            let text = "{" + parts.joined(separator: ", ") + "}"
            return text.count <= budget ? text : nil
        }
    }

    /// A string as a plain scalar when that reads back as the same string, else double-quoted.
    static func scalar(_ text: String, flow: Bool) -> String {
        isSafePlain(text, flow: flow) ? text : quoted(text)
    }

    /// The text as YAML can carry it through libyaml and Yams: NUL (which ends a C string there)
    /// becomes U+FFFD and a leading byte-order mark is dropped (the reader strips it). Everything
    /// else reads back exactly.
    public static func storable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value == 0 || $0.value == 0xFEFF }) else { return text }
        var scalars = String.UnicodeScalarView()
        for character in text.unicodeScalars {
            if character.value == 0xFEFF && scalars.isEmpty { continue }
            scalars.append(character.value == 0 ? "\u{FFFD}" : character)
        }
        return String(scalars)
    }

    private static func isSafePlain(_ text: String, flow: Bool) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if first == " " || last == " " || last == ":" { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        // Byte sequences, not Characters: a space followed by a combining mark is one Character
        // (": ۛ" does not `contains(": ")`), but libyaml reads the ': ' all the same.
        let bytes = Array(text.utf8)
        func has(_ pair: String) -> Bool {
            let (a, b) = (pair.utf8.first!, pair.utf8.last!)
            return bytes.indices.dropLast().contains { bytes[$0] == a && bytes[$0 + 1] == b }
        }
        if has(": ") || has(" #") || has(":\t") { return false }
        // In flow context libyaml reads ':' as an indicator before ',', '?' or a bracket.
        if flow, [":,", ":?", ":[", ":]", ":{", ":}"].contains(where: has) { return false }
        for character in text.unicodeScalars {
            if needsEscape(character) || character == "\t" || character == "\n" || character == "\r" { return false }
            if flow && ",[]{}".unicodeScalars.contains(character) { return false }
        }
        if resolvePlain(text) != .string(text) { return false }
        // YAML 1.1 readers (PyYAML, many CI tools) take these as booleans.
        if ["y", "n", "yes", "no", "on", "off"].contains(text.lowercased()) { return false }
        return true
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in storable(text).unicodeScalars {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if needsEscape(character) {
                    out +=
                        character.value <= 0xFF
                        ? String(format: "\\x%02X", character.value) : String(format: "\\u%04X", character.value)
                } else {
                    out.unicodeScalars.append(character)
                }
            }
        }
        return out + "\""
    }

    /// Whether a character must be written as an escape: YAML's non-printable characters, the
    /// line breaks libyaml honours besides LF (NEL, LS, PS), and the byte-order mark.
    static func needsEscape(_ character: Unicode.Scalar) -> Bool {
        switch character.value {
        case 0x09, 0x0A: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: return true
        case 0xD800...0xDFFF: return true
        default: return false
        }
    }

    /// A `|` block for multi-line text that a literal block carries exactly; nil when it cannot.
    private static func literalBlock(_ text: String, indent: Int) -> String? {
        // A first line that starts with a space or tab would set (or break) the block's indentation.
        guard text.contains("\n"), let first = text.first, first != " ", first != "\n", first != "\t" else {
            return nil
        }
        var body = text
        var chomp = "-"
        if body.hasSuffix("\n") {
            body.removeLast()
            chomp = body.hasSuffix("\n") ? "+" : ""
            if chomp == "+" { return nil }
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines {
            if line.last == " " || line.last == "\t" { return nil }
            if line.unicodeScalars.contains(where: needsEscape) { return nil }
        }
        let pad = String(repeating: " ", count: indent)
        return "|" + chomp + lines.map { $0.isEmpty ? "\n" : "\n" + pad + $0 }.joined()
    }
}

extension YAML {
    /// The line (from 1) of the first anchor (`&name`) or alias (`*name`) in a YAML text, or nil.
    /// A lexical scan: it knows quotes, comments, flow punctuation and block scalars, which is
    /// enough to tell `*bold*` in a literal block (text) from `[*a, *a]` (aliases).
    static func firstAnchorOrAlias(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "&")) || bytes.contains(UInt8(ascii: "*")) else { return nil }
        var line = 1
        var index = 0
        var blockParentIndent: Int? = nil  // inside a block scalar opened on a line of this indent
        var quote: UInt8? = nil  // an open quoted scalar, which may span lines
        var flowDepth = 0  // open [ or { (a flow collection may span lines)
        while index < bytes.count {
            var end = index
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var indent = 0
            while index + indent < end, bytes[index + indent] == 0x20 { indent += 1 }
            let blank = index + indent == end || bytes[index + indent] == 0x0D
            if let parent = blockParentIndent, quote == nil {
                if blank || indent > parent {
                    index = end + 1
                    line += 1
                    continue
                }
                blockParentIndent = nil
            }
            var tokenStart = quote == nil
            var position = index + indent
            var opensBlock = false
            while position < end {
                let byte = bytes[position]
                if let open = quote {
                    if byte == open {
                        if open == 0x27, position + 1 < end, bytes[position + 1] == 0x27 {
                            position += 2
                            continue
                        }
                        quote = nil
                    } else if byte == 0x5C, open == 0x22 {
                        position += 1
                    }
                    position += 1
                    continue
                }
                switch byte {
                case 0x20, 0x09:
                    break
                case 0x23:  // '#': a comment when it starts a token or follows a space
                    if tokenStart || (position > index && bytes[position - 1] == 0x20) { position = end }
                case UInt8(ascii: "&"), UInt8(ascii: "*"):
                    if tokenStart { return line }
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    if tokenStart { quote = byte }
                    tokenStart = false
                case UInt8(ascii: "|"), UInt8(ascii: ">"):
                    if tokenStart { opensBlock = true }
                    tokenStart = false
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    // Flow punctuation only where a node starts; inside a plain scalar it is text.
                    if tokenStart { flowDepth += 1 }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if flowDepth > 0 { flowDepth -= 1 }
                    tokenStart = false
                case UInt8(ascii: ","):
                    tokenStart = flowDepth > 0
                case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                    let next = position + 1 < end ? bytes[position + 1] : 0x20
                    let separated = next == 0x20 || next == 0x0D || next == 0x09 || (flowDepth > 0 && next == 0x2C)
                    // "- " and "? " open a node only where one may start; ": " anywhere ends a key.
                    tokenStart = separated && (tokenStart || byte == UInt8(ascii: ":"))
                case UInt8(ascii: "!") where tokenStart:
                    // A tag: the node after it may still carry an anchor.
                    while position < end, bytes[position] != 0x20 { position += 1 }
                    continue
                default:
                    tokenStart = false
                }
                position += 1
            }
            if opensBlock { blockParentIndent = indent }
            index = end + 1
            line += 1
        }
        return nil
    }
}
