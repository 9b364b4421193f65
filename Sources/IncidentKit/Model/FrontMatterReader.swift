import Foundation
import OrderedCollections

/// A reader for the block YAML incident front-matter is written in, which builds `Value`s straight
/// from the bytes instead of through libyaml's events and Yams' node tree (most of what
/// `incident list` cost). It reads block mappings and sequences, one-line plain, single- and
/// double-quoted scalars, one-line flow collections of scalars, `|` and `|-` blocks, and comments.
///
/// It gives exactly what `YAML.parse` gives, or nil: anything it does not know for certain (anchors,
/// tags, folded or `|+` blocks, multi-line plain or quoted scalars, nested flow collections, tabs,
/// control characters, duplicate keys, malformed text) is left to `YAML.parse`, which also writes
/// every error message. `FrontMatterReaderTests` holds the two readers to the same answers.
enum FrontMatterReader {
    static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { bytes in
            var parser = Parser(bytes)
            return parser.document()
        }
    }

    /// The content after an indentation: a plain scalar cannot start with one of these.
    private static func isIndicator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["),
            UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"),
            UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"),
            UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
            return true
        default:
            return false
        }
    }

    private struct Line {
        var start: Int
        /// The end of the line's text: before its "\n" or "\r\n".
        var end: Int
        var indent: Int
        /// Only spaces, or a comment: no content.
        var isEmpty: Bool
        var isBlank: Bool
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var lines: [Line] = []
        var current = 0
        var endsWithBreak = false

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func document() -> Value? {
            guard splitLines() else { return nil }
            guard let first = nextContent(), lines[first].indent == 0 else { return nil }
            guard let value = mapping(indent: 0, column: 0) else { return nil }
            return nextContent() == nil ? value : nil
        }

        /// Cuts the text into lines; false for any byte this reader leaves to libyaml (tabs, control
        /// characters, a lone CR, the line breaks NEL/LS/PS, byte-order marks, non-characters).
        mutating func splitLines() -> Bool {
            let count = bytes.count
            var start = 0
            var index = 0
            lines.reserveCapacity(count / 24)
            while index < count {
                let byte = bytes[index]
                // Printable ASCII, by far the most common, in one comparison.
                if byte &- 0x20 < 0x5F {
                    index += 1
                    continue
                }
                if byte == 0x0A {
                    let end = index > start && bytes[index - 1] == 0x0D ? index - 1 : index
                    lines.append(line(start, end))
                    index += 1
                    start = index
                    continue
                }
                if byte < 0x20 {
                    guard byte == 0x0D, index + 1 < count, bytes[index + 1] == 0x0A else { return false }
                } else if byte == 0x7F {
                    return false
                } else if byte == 0xC2 {
                    if index + 1 < count, bytes[index + 1] >= 0x80, bytes[index + 1] <= 0x9F { return false }
                } else if byte == 0xE2 {
                    if index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
                    {
                        return false
                    }
                } else if byte == 0xEF {
                    if index + 2 < count, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF { return false }
                    if index + 2 < count, bytes[index + 1] == 0xBF, bytes[index + 2] >= 0xBE { return false }
                }
                index += 1
            }
            // The last line, when the text does not end with a line break.
            if start < count { lines.append(line(start, count)) }
            endsWithBreak = count > 0 && bytes[count - 1] == 0x0A
            for line in lines where line.indent == 0 && line.end - line.start >= 3 {
                // Directives and document markers.
                if bytes[line.start] == UInt8(ascii: "%") { return false }
                let head = (bytes[line.start], bytes[line.start + 1], bytes[line.start + 2])
                if head == (0x2D, 0x2D, 0x2D) || head == (0x2E, 0x2E, 0x2E) { return false }
            }
            return true
        }

        func line(_ start: Int, _ end: Int) -> Line {
            var position = start
            while position < end, bytes[position] == 0x20 { position += 1 }
            let blank = position == end
            return Line(
                start: start, end: end, indent: position - start,
                isEmpty: blank || bytes[position] == UInt8(ascii: "#"), isBlank: blank)
        }

        /// The index of the next line with content, from `current` on (and `current` moved there).
        mutating func nextContent() -> Int? {
            while current < lines.count, lines[current].isEmpty { current += 1 }
            return current < lines.count ? current : nil
        }

        // MARK: Block collections

        /// A block mapping whose keys start at `indent`; its first key is on the current line at
        /// `column` (after "- " for a mapping inside a sequence entry).
        mutating func mapping(indent: Int, column: Int) -> Value? {
            var fields = OrderedDictionary<String, Value>()
            var column = column
            while true {
                let line = lines[current]
                guard let (key, afterColon) = key(from: line.start + column, to: line.end) else { return nil }
                var position = afterColon
                while position < line.end, bytes[position] == 0x20 { position += 1 }
                let value: Value?
                if position == line.end || bytes[position] == UInt8(ascii: "#") {
                    current += 1
                    value = nested(under: indent, sequenceAtSameIndent: true)
                } else {
                    value = inline(from: position, line: line, owner: indent)
                }
                // A merge key or a key given twice is Yams' to read (or report).
                guard let value, !isMergeKey(key), fields.updateValue(value, forKey: key) == nil else { return nil }
                guard let next = nextContent(), lines[next].indent >= indent else { break }
                guard lines[next].indent == indent else { return nil }
                // A sequence entry at the keys' indentation belongs to no key here.
                if isSequenceEntry(lines[next], at: indent) { return nil }
                column = indent
            }
            return .object(fields)
        }

        /// A block sequence whose dashes are at `indent`, starting on the current line.
        mutating func sequence(indent: Int) -> Value? {
            var items: [Value] = []
            while true {
                let line = lines[current]
                var position = line.start + indent + 1
                while position < line.end, bytes[position] == 0x20 { position += 1 }
                let item: Value?
                if position == line.end || bytes[position] == UInt8(ascii: "#") {
                    current += 1
                    item = nested(under: indent, sequenceAtSameIndent: false)
                } else if bytes[position] == UInt8(ascii: "-"), position + 1 == line.end || bytes[position + 1] == 0x20
                {
                    return nil  // "- - x": a sequence in a sequence on one line
                } else if key(from: position, to: line.end) != nil {
                    item = mapping(indent: position - line.start, column: position - line.start)
                } else {
                    item = inline(from: position, line: line, owner: indent)
                }
                guard let item else { return nil }
                items.append(item)
                guard let next = nextContent(), lines[next].indent >= indent else { break }
                guard lines[next].indent == indent else { return nil }
                // A key at the dashes' indentation ends a sequence that is a key's value.
                guard isSequenceEntry(lines[next], at: indent) else { break }
            }
            return .array(items)
        }

        func isMergeKey(_ key: String) -> Bool {
            key.utf8.count == 2 && key.utf8.first == UInt8(ascii: "<") && key.utf8.last == UInt8(ascii: "<")
        }

        func isSequenceEntry(_ line: Line, at indent: Int) -> Bool {
            let dash = line.start + indent
            guard dash < line.end, bytes[dash] == UInt8(ascii: "-") else { return false }
            return dash + 1 == line.end || bytes[dash + 1] == 0x20
        }

        /// The value on the lines below a key or dash with nothing after it: a deeper mapping or
        /// sequence, a sequence at the key's own indentation, or null.
        mutating func nested(under owner: Int, sequenceAtSameIndent: Bool) -> Value? {
            guard let next = nextContent() else { return .null }
            let line = lines[next]
            if line.indent > owner {
                if isSequenceEntry(line, at: line.indent) { return sequence(indent: line.indent) }
                // A scalar alone on the next lines (multi-line plain text) is left to libyaml.
                guard key(from: line.start + line.indent, to: line.end) != nil else { return nil }
                return mapping(indent: line.indent, column: line.indent)
            }
            if line.indent == owner, sequenceAtSameIndent, isSequenceEntry(line, at: owner) {
                return sequence(indent: owner)
            }
            return .null
        }

        // MARK: Keys and inline values

        /// A mapping key starting at `start` and the position after its ':', when the text there is
        /// `key:` followed by a space or the line's end.
        func key(from start: Int, to end: Int) -> (String, Int)? {
            guard start < end else { return nil }
            let first = bytes[start]
            if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
                guard let (text, after) = quoted(from: start, to: end) else { return nil }
                var position = after
                while position < end, bytes[position] == 0x20 { position += 1 }
                guard position < end, bytes[position] == UInt8(ascii: ":") else { return nil }
                guard position + 1 == end || bytes[position + 1] == 0x20 else { return nil }
                return (text, position + 1)
            }
            guard plainMayStart(at: start, end: end, flow: false) else { return nil }
            var position = start
            while position < end {
                let byte = bytes[position]
                if byte == UInt8(ascii: ":"), position + 1 == end || bytes[position + 1] == 0x20 {
                    var last = position
                    while last > start, bytes[last - 1] == 0x20 { last -= 1 }
                    // libyaml allows a simple key of at most 1024 characters.
                    guard last - start <= 512 else { return nil }
                    return (string(start, last), position + 1)
                }
                if byte == UInt8(ascii: "#"), bytes[position - 1] == 0x20 { return nil }
                position += 1
            }
            return nil
        }

        func plainMayStart(at start: Int, end: Int, flow: Bool) -> Bool {
            let first = bytes[start]
            guard FrontMatterReader.isIndicator(first) else { return true }
            // "-1", "-x": a dash followed by text is plain.
            guard first == UInt8(ascii: "-"), start + 1 < end else { return false }
            let next = bytes[start + 1]
            if next == 0x20 { return false }
            if flow,
                next == UInt8(ascii: ",") || next == UInt8(ascii: "[") || next == UInt8(ascii: "]")
                    || next == UInt8(ascii: "{") || next == UInt8(ascii: "}")
            {
                return false
            }
            return true
        }

        /// A value that starts on its key's (or dash's) line at `start`.
        mutating func inline(from start: Int, line: Line, owner: Int) -> Value? {
            let end = line.end
            let first = bytes[start]
            switch first {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                guard let (text, after) = quoted(from: start, to: end), restIsComment(after, end) else { return nil }
                current += 1
                return .string(text)
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard let (value, after) = flow(from: start, to: end), restIsComment(after, end) else { return nil }
                current += 1
                return value
            case UInt8(ascii: "|"):
                return literal(header: start, line: line, owner: owner)
            default:
                guard plainMayStart(at: start, end: end, flow: false) else { return nil }
                var last = start
                var position = start
                while position < end {
                    let byte = bytes[position]
                    if byte == 0x20 {
                        if position + 1 < end, bytes[position + 1] == UInt8(ascii: "#") { break }
                    } else {
                        // "a: b" after a key is not a value; "x:" at the end is a key.
                        if byte == UInt8(ascii: ":"), position + 1 == end || bytes[position + 1] == 0x20 { return nil }
                        last = position + 1
                    }
                    position += 1
                }
                current += 1
                return YAML.resolvePlain(string(start, last))
            }
        }

        /// Whether only spaces and a comment follow `position` on the line.
        func restIsComment(_ position: Int, _ end: Int) -> Bool {
            var position = position
            while position < end, bytes[position] == 0x20 { position += 1 }
            return position == end || (bytes[position] == UInt8(ascii: "#") && bytes[position - 1] == 0x20)
        }

        /// A `|` or `|-` block: its lines, indented deeper than `owner`, up to the first line
        /// indented less. Blocks this reader does not take (indentation indicators, `|+`, leading
        /// blank lines, all-space lines deeper than the text) go to libyaml.
        mutating func literal(header: Int, line: Line, owner: Int) -> Value? {
            var position = header + 1
            var strip = false
            if position < line.end, bytes[position] == UInt8(ascii: "-") {
                strip = true
                position += 1
            }
            guard restIsComment(position, line.end) else { return nil }
            current += 1
            guard current < lines.count, !lines[current].isBlank else { return nil }
            let indent = lines[current].indent
            guard indent > owner else { return nil }
            var out: [UInt8] = []
            var pendingBreaks = 0
            var sawText = false
            var lastLine = current
            while current < lines.count {
                let line = lines[current]
                if line.isBlank {
                    guard line.end - line.start <= indent else { return nil }
                    pendingBreaks += 1
                } else {
                    guard line.indent >= indent else { break }
                    if sawText { out.append(contentsOf: repeatElement(0x0A, count: pendingBreaks + 1)) }
                    pendingBreaks = 0
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(line.start + indent)..<line.end]))
                    sawText = true
                    lastLine = current
                }
                current += 1
            }
            // The last line's break is the text's last "\n" (clip); a text that ends without one is left to libyaml.
            if !strip {
                guard lastLine + 1 < lines.count || endsWithBreak else { return nil }
                out.append(0x0A)
            }
            return .string(String(decoding: out, as: UTF8.self))
        }

        // MARK: Scalars

        func string(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        /// A quoted scalar that closes on its line: its text and the position after the closing quote.
        func quoted(from start: Int, to end: Int) -> (String, Int)? {
            let quote = bytes[start]
            var position = start + 1
            var out: [UInt8] = []
            var runStart = position
            while position < end {
                let byte = bytes[position]
                if byte == quote {
                    if quote == UInt8(ascii: "'"), position + 1 < end, bytes[position + 1] == quote {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...position]))
                        position += 2
                        runStart = position
                        continue
                    }
                    if out.isEmpty { return (string(runStart, position), position + 1) }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                    return (String(decoding: out, as: UTF8.self), position + 1)
                }
                if byte == UInt8(ascii: "\\"), quote == UInt8(ascii: "\"") {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                    guard position + 1 < end, let length = escape(at: position + 1, end: end, into: &out) else {
                        return nil
                    }
                    position += 1 + length
                    runStart = position
                    continue
                }
                position += 1
            }
            return nil
        }

        /// Appends the character a double-quoted escape stands for; returns the escape's length
        /// after the backslash, or nil for one this reader leaves to libyaml.
        func escape(at position: Int, end: Int, into out: inout [UInt8]) -> Int? {
            let simple: [UInt8]
            switch bytes[position] {
            case UInt8(ascii: "\""): simple = [0x22]
            case UInt8(ascii: "\\"): simple = [0x5C]
            case UInt8(ascii: "/"): simple = [0x2F]
            case UInt8(ascii: " "): simple = [0x20]
            case UInt8(ascii: "n"): simple = [0x0A]
            case UInt8(ascii: "t"): simple = [0x09]
            case UInt8(ascii: "r"): simple = [0x0D]
            case UInt8(ascii: "a"): simple = [0x07]
            case UInt8(ascii: "b"): simple = [0x08]
            case UInt8(ascii: "e"): simple = [0x1B]
            case UInt8(ascii: "f"): simple = [0x0C]
            case UInt8(ascii: "v"): simple = [0x0B]
            case UInt8(ascii: "N"): simple = [0xC2, 0x85]
            case UInt8(ascii: "_"): simple = [0xC2, 0xA0]
            case UInt8(ascii: "L"): simple = [0xE2, 0x80, 0xA8]
            case UInt8(ascii: "P"): simple = [0xE2, 0x80, 0xA9]
            case UInt8(ascii: "x"): return hex(at: position + 1, digits: 2, end: end, into: &out).map { _ in 3 }
            case UInt8(ascii: "u"): return hex(at: position + 1, digits: 4, end: end, into: &out).map { _ in 5 }
            case UInt8(ascii: "U"): return hex(at: position + 1, digits: 8, end: end, into: &out).map { _ in 9 }
            default: return nil  // "\0" (which ends a C string in libyaml) and anything unknown
            }
            out.append(contentsOf: simple)
            return 1
        }

        func hex(at start: Int, digits: Int, end: Int, into out: inout [UInt8]) -> Void? {
            guard start + digits <= end else { return nil }
            var value: UInt32 = 0
            for position in start..<(start + digits) {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x41...0x46: digit = byte - 0x41 + 10
                case 0x61...0x66: digit = byte - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            guard value != 0, let scalar = Unicode.Scalar(value) else { return nil }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
            return ()
        }

        /// A one-line flow sequence or mapping of scalars, and the position after its closing bracket.
        func flow(from start: Int, to end: Int) -> (Value, Int)? {
            let isMapping = bytes[start] == UInt8(ascii: "{")
            let close = isMapping ? UInt8(ascii: "}") : UInt8(ascii: "]")
            var items: [Value] = []
            var fields = OrderedDictionary<String, Value>()
            var position = start + 1
            func skipSpaces() { while position < end, bytes[position] == 0x20 { position += 1 } }
            skipSpaces()
            if position < end, bytes[position] == close {
                return (isMapping ? .object([:]) : .array([]), position + 1)
            }
            while true {
                skipSpaces()
                guard position < end else { return nil }
                guard let (first, afterFirst) = flowScalar(from: position, to: end) else { return nil }
                position = afterFirst
                skipSpaces()
                if isMapping {
                    guard position < end, bytes[position] == UInt8(ascii: ":"), position + 1 < end,
                        bytes[position + 1] == 0x20
                    else { return nil }
                    position += 1
                    skipSpaces()
                    guard position < end, let (value, afterValue) = flowScalar(from: position, to: end) else {
                        return nil
                    }
                    let key = first.text
                    guard !isMergeKey(key), fields.updateValue(value.value, forKey: key) == nil else { return nil }
                    position = afterValue
                    skipSpaces()
                } else {
                    items.append(first.value)
                }
                guard position < end else { return nil }
                if bytes[position] == close { break }
                guard bytes[position] == UInt8(ascii: ",") else { return nil }
                position += 1
            }
            return (isMapping ? .object(fields) : .array(items), position + 1)
        }

        /// A scalar inside a flow collection: quoted, or plain up to a ',' or closing bracket (a ':'
        /// that libyaml could read as an indicator, a '#' or a nested bracket leaves it to libyaml).
        func flowScalar(from start: Int, to end: Int) -> (FlowScalar, Int)? {
            let first = bytes[start]
            if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
                guard let (text, after) = quoted(from: start, to: end) else { return nil }
                return (.quoted(text), after)
            }
            guard plainMayStart(at: start, end: end, flow: true) else { return nil }
            var position = start
            var last = start
            while position < end {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"):
                    guard last > start else { return nil }
                    return (.plain(string(start, last)), last)
                case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "#"):
                    return nil
                case UInt8(ascii: ":"):
                    guard position + 1 < end else { return nil }
                    switch bytes[position + 1] {
                    case 0x20:
                        guard last > start else { return nil }
                        return (.plain(string(start, last)), last)
                    case UInt8(ascii: ","), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"),
                        UInt8(ascii: "{"), UInt8(ascii: "}"):
                        return nil
                    default: break
                    }
                    last = position + 1
                case 0x20:
                    break
                default:
                    last = position + 1
                }
                position += 1
            }
            return nil
        }
    }

    private enum FlowScalar {
        case plain(String)
        case quoted(String)

        var value: Value {
            switch self {
            case .plain(let text): return YAML.resolvePlain(text)
            case .quoted(let text): return .string(text)
            }
        }

        /// The text as a mapping key, which YAML.parse takes as written, whatever it resolves to.
        var text: String {
            switch self {
            case .plain(let text), .quoted(let text): return text
            }
        }
    }
}
