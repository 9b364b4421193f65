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
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
