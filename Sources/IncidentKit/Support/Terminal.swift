/// The one way text reaches a person's terminal: control characters that came from data (ESC,
/// OSC, CSI, C1, bidi overrides) are shown as visible stand-ins, and only the tool's own style
/// marks become colour, and only where the stream takes colour.
public enum Terminal {
    private static let markOpen: Unicode.Scalar = "\u{E000}"
    private static let markClose: Unicode.Scalar = "\u{E001}"

    /// Marks text for an SGR style (1 bold, 2 dim, 31 red, 33 yellow, …); `render` decides.
    public static func styled(_ text: String, _ code: Int) -> String {
        "\u{E000}\(code)\u{E001}\(text)\u{E000}0\u{E001}"
    }

    /// Text without colour and without any control character from data.
    public static func sanitized(_ text: String) -> String { render(text, color: false) }

    /// `text` as it may be written to a terminal: style marks as SGR sequences when `color`,
    /// dropped otherwise; every other control character replaced by a visible stand-in.
    public static func render(_ text: String, color: Bool) -> String {
        // Printable ASCII (most lines of a long table) has nothing to replace: told by bytes.
        if isPrintableASCII(text) { return text }
        let scalars = text.unicodeScalars
        guard scalars.contains(where: needsWork) else { return text }
        var out = String.UnicodeScalarView()
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == markOpen {
                // A style mark is U+E000, digits, U+E001; anything else is not ours and is dropped.
                var digits = ""
                var cursor = scalars.index(after: index)
                while cursor < scalars.endIndex, let value = Optional(scalars[cursor].value), value >= 0x30, value <= 0x39,
                    digits.count < 3
                {
                    digits.unicodeScalars.append(scalars[cursor])
                    cursor = scalars.index(after: cursor)
                }
                if !digits.isEmpty, cursor < scalars.endIndex, scalars[cursor] == markClose {
                    if color { out.append(contentsOf: "\u{1B}[\(digits)m".unicodeScalars) }
                    index = scalars.index(after: cursor)
                    continue
                }
                out.append("\u{FFFD}")
            } else if scalar == markClose {
                out.append("\u{FFFD}")
            } else if let standIn = standIn(for: scalar) {
                out.append(contentsOf: standIn.unicodeScalars)
            } else {
                out.append(scalar)
            }
            index = scalars.index(after: index)
        }
        return String(out)
    }

    /// Whether every byte is printable ASCII (space to `~`): no control, no style mark, one
    /// column per byte.
    public static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
            ?? false
    }

    private static func needsWork(_ scalar: Unicode.Scalar) -> Bool {
        scalar == markOpen || scalar == markClose || standIn(for: scalar) != nil
    }

    /// Caret notation for C0 and DEL (`^[` for ESC), U+FFFD for C1 and bidirectional overrides.
    private static func standIn(for scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x0A, 0x09: return nil
        case 0x00...0x1F: return "^" + String(Unicode.Scalar(UInt8(scalar.value) + 0x40))
        case 0x7F: return "^?"
        case 0x80...0x9F, 0x202A...0x202E, 0x2066...0x2069: return "\u{FFFD}"
        default: return nil
        }
    }
}
