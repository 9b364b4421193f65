import Foundation
import OrderedCollections

/// Writes `Value` as JSON with key order kept, for the stable `--json` contracts.
public enum JSON {
    public static func encode(_ value: Value, pretty: Bool = true) -> String {
        var out = ""
        write(value, indent: 0, pretty: pretty, into: &out)
        return out
    }

    private static func write(_ value: Value, indent: Int, pretty: Bool, into out: inout String) {
        let newline = pretty ? "\n" : ""
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closingPad = pretty ? String(repeating: "  ", count: indent) : ""
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? String(number) : "null"
        case .string(let text): out += quote(text)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[" + newline
            for (index, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, pretty: pretty, into: &out)
                out += (index < items.count - 1 ? "," : "") + newline
            }
            out += closingPad + "]"
        case .object(let fields):
            if fields.isEmpty {
                out += "{}"
                return
            }
            out += "{" + newline
            for (index, (key, item)) in fields.enumerated() {
                out += pad + quote(key) + (pretty ? ": " : ":")
                write(item, indent: indent + 1, pretty: pretty, into: &out)
                out += (index < fields.count - 1 ? "," : "") + newline
            }
            out += closingPad + "}"
        }
    }

    static func quote(_ text: String) -> String {
        // Most strings need no escaping: copy them whole. The lead bytes 0xC2, 0xE2 and 0xEF may start
        // a character that is escaped for other readers' sake (C1, LS/PS, BOM, U+FFFE/FFFF).
        if !text.utf8.contains(where: {
            $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 || $0 == 0xEF
        }) {
            return "\"" + text + "\""
        }
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
