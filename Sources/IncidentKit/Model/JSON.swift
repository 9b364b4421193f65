import Foundation
import OrderedCollections

/// Writes `Value` as JSON with key order kept, for the stable `--json` contracts.
public enum JSON {
    public static func encode(_ value: Value, pretty: Bool = true) -> String {
        String(decoding: encodeBytes(value, pretty: pretty), as: UTF8.self)
    }

    /// `encode`'s UTF-8 bytes, for writing out without making a String of them first.
    public static func encodeBytes(_ value: Value, pretty: Bool = true) -> [UInt8] {
        // Bytes appended to one buffer: `list --json` writes thousands of objects, and building a
        // String piece by piece (padding, quotes, separators) cost more than reading the files.
        if case .array(let items) = value, items.count >= 1024 {
            return encodeLarge(items, pretty: pretty)
        }
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, indent: 0, pretty: pretty, into: &out)
        return out
    }

    /// The bytes `encodeBytes` writes for `.object(fields)` as a member of a top-level array
    /// (pretty, one level in): what the read cache keeps for `list --json`.
    static func memberBytes(_ fields: OrderedDictionary<String, Value>) -> [UInt8] {
        var out: [UInt8] = []
        write(.object(fields), indent: 1, pretty: true, into: &out)
        return out
    }

    /// `encodeBytes(.array(objects))` in parts (written in order, they are the array's bytes), each
    /// object made and written on any core: `fields` with every `(key, value)` of `extras` set as
    /// `fields[key] = value` sets it (a key already there keeps its place, others follow in order),
    /// written without building the merged object (which copied every incident's fields).
    /// `written`, when given, is `memberBytes(fields)`, copied instead of written again.
    static func encodeObjectArrayParts(
        count: Int, pretty: Bool = true,
        item: (Int) -> (fields: OrderedDictionary<String, Value>, extras: [(String, Value)], written: Data?)
    ) -> [[UInt8]] {
        guard count > 0 else { return [Array("[]".utf8)] }
        var parts = Parallel.parts(count, minimumPerPart: 64) { range -> [UInt8] in
            var out: [UInt8] = []
            out.reserveCapacity(range.count * 1024)
            for index in range {
                out.append(UInt8(ascii: index == 0 ? "[" : ","))
                if pretty { out.append(contentsOf: "\n  ".utf8) }
                let (fields, extras, written) = item(index)
                if pretty, let written, appendWritten(written, fields, extras, into: &out) { continue }
                writeMerged(fields, extras, indent: 1, pretty: pretty, into: &out)
            }
            return out
        }
        parts.append(pretty ? Array("\n]".utf8) : Array("]".utf8))
        return parts
    }

    /// `writeMerged` (pretty, one level in) from the fields' bytes already written, when no
    /// extra replaces a field; false (nothing appended) otherwise.
    private static func appendWritten(
        _ written: Data, _ fields: OrderedDictionary<String, Value>, _ extras: [(String, Value)],
        into out: inout [UInt8]
    ) -> Bool {
        let close = Array("\n  }".utf8)
        guard !fields.isEmpty, written.count > close.count, written.suffix(close.count).elementsEqual(close),
            written.first == UInt8(ascii: "{"), extras.allSatisfy({ fields[$0.0] == nil })
        else { return false }
        out.append(contentsOf: written.dropLast(close.count))
        for (key, value) in extras {
            out.append(UInt8(ascii: ","))
            newline(2, into: &out)
            quote(key, into: &out)
            out.append(contentsOf: ": ".utf8)
            write(value, indent: 2, pretty: true, into: &out)
        }
        out.append(contentsOf: close)
        return true
    }

    private static func writeMerged(
        _ fields: OrderedDictionary<String, Value>, _ extras: [(String, Value)], indent: Int, pretty: Bool,
        into out: inout [UInt8]
    ) {
        var first = true
        func member(_ key: String, _ value: Value) {
            out.append(UInt8(ascii: first ? "{" : ","))
            first = false
            if pretty { newline(indent + 1, into: &out) }
            quote(key, into: &out)
            out.append(UInt8(ascii: ":"))
            if pretty { out.append(0x20) }
            write(value, indent: indent + 1, pretty: pretty, into: &out)
        }
        for (key, value) in fields {
            member(key, extras.first { $0.0 == key }?.1 ?? value)
        }
        for (key, value) in extras where fields[key] == nil { member(key, value) }
        if first {
            out.append(contentsOf: "{}".utf8)
            return
        }
        if pretty { newline(indent, into: &out) }
        out.append(UInt8(ascii: "}"))
    }

    private static func newline(_ depth: Int, into out: inout [UInt8]) {
        out.append(0x0A)
        if 2 * depth <= indentation.count {
            out.append(contentsOf: indentation[..<(2 * depth)])
        } else {
            out.append(contentsOf: repeatElement(0x20, count: 2 * depth))
        }
    }

    /// A long array (`list --json` of years of incidents) is written in parts on every core, then joined.
    private static func encodeLarge(_ items: [Value], pretty: Bool) -> [UInt8] {
        let partCount = 16
        let size = (items.count + partCount - 1) / partCount
        let parts = Parts(count: partCount)
        DispatchQueue.concurrentPerform(iterations: partCount) { part in
            var out: [UInt8] = []
            for index in (part * size)..<min(items.count, (part + 1) * size) {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { out.append(contentsOf: "\n  ".utf8) }
                write(items[index], indent: 1, pretty: pretty, into: &out)
            }
            parts.set(part, out)
        }
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(parts.values.reduce(2) { $0 + $1.count })
        for part in parts.values { out.append(contentsOf: part) }
        if pretty { out.append(0x0A) }
        out.append(UInt8(ascii: "]"))
        return out
    }

    private final class Parts: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [[UInt8]]
        init(count: Int) { storage = Array(repeating: [], count: count) }
        func set(_ index: Int, _ bytes: [UInt8]) { lock.withLock { storage[index] = bytes } }
        var values: [[UInt8]] { lock.withLock { storage } }
    }

    private static func write(_ value: Value, indent: Int, pretty: Bool, into out: inout [UInt8]) {
        func newline(_ depth: Int) {
            guard pretty else { return }
            out.append(0x0A)
            if 2 * depth <= indentation.count {
                out.append(contentsOf: indentation[..<(2 * depth)])
            } else {
                out.append(contentsOf: repeatElement(0x20, count: 2 * depth))
            }
        }
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case .string(let text): quote(text, into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(item, indent: indent + 1, pretty: pretty, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (index, (key, item)) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                quote(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(0x20) }
                write(item, indent: indent + 1, pretty: pretty, into: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        quote(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Spaces for indentation, appended as one slice.
    private static let indentation = [UInt8](repeating: 0x20, count: 64)

    /// The bytes `quote` looks at twice: controls, `"`, `\\`, DEL, and the lead bytes below.
    private static let needsLook: [Bool] = (0..<256).map { byte in
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xC2 || byte == 0xE2 || byte == 0xEF
    }

    /// Whether any byte is one `needsLook` marks: eight bytes at a time while they are ASCII
    /// and none is a control, `"`, `\\` or DEL (SWAR: a byte's high bit set by the subtraction
    /// marks it), then byte by byte.
    private static func mayNeedEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
        let raw = UnsafeRawBufferPointer(bytes)
        var offset = 0
        while offset + 8 <= raw.count {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let below20 = (word &- ones &* 0x20) & ~word & highs != 0
            if word & highs != 0 || below20 || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C))
                || hasZero(word ^ (ones &* 0x7F))
            {
                break
            }
            offset += 8
        }
        return needsLook.withUnsafeBufferPointer { table in
            bytes[offset...].contains { table[Int($0)] }
        }
    }

    private static func quote(_ text: String, into out: inout [UInt8]) {
        // Most strings need no escaping: copy them whole. The lead bytes 0xC2, 0xE2 and 0xEF may start
        // a character that is escaped for other readers' sake (C1, LS/PS, BOM, U+FFFE/FFFF).
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !mayNeedEscaping(bytes) else { return false }
            out.append(0x22)
            out.append(contentsOf: bytes)
            out.append(0x22)
            return true
        }
        if !plain { out.append(contentsOf: escaped(text).utf8) }
    }

    /// The quoted form of a string that holds something to escape.
    private static func escaped(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            // Controls, and what YAML readers (and JavaScript) take as line breaks or refuse.
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
