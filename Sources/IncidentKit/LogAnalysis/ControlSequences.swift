/// Terminal colour and control sequences, as `kubectl logs` and many loggers emit them (SPEC "Log
/// analysis"): removed from a line before it is parsed, redacted, stored or printed, so that a
/// coloured log and the same log uncoloured read the same.
enum ControlSequences {
    /// rsyslog writes a control byte it receives as `#` and three octal digits (`#011` a tab,
    /// `#033` an ESC): the byte such an escape at `at` stands for, if it is one.
    @inline(__always) static func syslogEscape(_ line: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt8? {
        guard at + 3 < line.count else { return nil }
        let (a, b, c) = (line[at + 1] &- 0x30, line[at + 2] &- 0x30, line[at + 3] &- 0x30)
        guard a < 2, b < 8, c < 8 else { return nil }
        let value = a * 64 + b * 8 + c
        return value < 0x20 || value == 0x7F ? value : nil
    }

    /// A control byte other than TAB: C0 or DEL.
    @inline(__always) static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    /// Whether `line` holds anything `strip` removes.
    static func present(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = line.count
        while i < n {
            let byte = line[i]
            if isControl(byte) { return true }
            if byte == 0x23, syslogEscape(line, i) != nil { return true }
            if byte == 0xC2, i + 1 < n, line[i + 1] &- 0x80 < 0x20 { return true }
            i += 1
        }
        return false
    }

    /// Appends `line` to `out` without its escape sequences (CSI, including SGR colours and cursor
    /// moves; OSC, DCS, SOS, PM and APC strings ended by BEL or ST; two- and three-byte ESC
    /// sequences), its C1 controls (U+0080–U+009F, as UTF-8) and its other control bytes but TAB.
    static func strip(_ line: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let n = line.count
        var i = 0
        while i < n {
            let byte = line[i]
            if byte == 0x1B {
                i = skipEscape(line, i + 1)
                continue
            }
            if byte == 0xC2, i + 1 < n, line[i + 1] &- 0x80 < 0x20 {
                let c1 = line[i + 1]
                i += 2
                switch c1 {
                case 0x9B: i = skipCSI(line, i)  // CSI
                case 0x90, 0x98, 0x9D, 0x9E, 0x9F: i = skipString(line, i)  // DCS, SOS, OSC, PM, APC
                default: break
                }
                continue
            }
            if isControl(byte) {
                i += 1
                continue
            }
            if byte == 0x23, let escaped = syslogEscape(line, i) {
                switch escaped {
                case 0x09: out.append(0x09)  // rsyslog's "#011" between fields is a tab
                case 0x1B: i = skipEscape(line, i + 4) - 4  // "#033[0;31m": a colour, as ESC [ would be
                default: break
                }
                i += 4
                continue
            }
            // Copy the run up to the next byte that needs a look.
            var end = i + 1
            while end < n {
                let next = line[end]
                if (next < 0x20 && next != 0x09) || next == 0x7F || next == 0xC2 || next == 0x23 { break }
                end += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: line[i..<end]))
            i = end
        }
    }

    /// Past the sequence that the ESC just before `at` starts.
    static func skipEscape(_ line: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
        guard at < line.count else { return at }
        switch line[at] {
        case 0x5B: return skipCSI(line, at + 1)  // ESC [
        case 0x5D, 0x50, 0x58, 0x5E, 0x5F: return skipString(line, at + 1)  // ESC ] P X ^ _
        default:
            // ESC, intermediates (0x20–0x2F), one final byte (0x30–0x7E): ESC ( B, ESC 7, ESC =.
            var i = at
            while i < line.count, line[i] &- 0x20 < 0x10 { i += 1 }
            if i < line.count, line[i] &- 0x30 < 0x4F { return i + 1 }
            return i  // a lone or broken ESC: only it (and its intermediates) go
        }
    }

    /// Past a CSI's parameters (0x30–0x3F), intermediates (0x20–0x2F) and final byte (0x40–0x7E).
    private static func skipCSI(_ line: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
        var i = at
        while i < line.count, line[i] &- 0x30 < 0x10 { i += 1 }
        while i < line.count, line[i] &- 0x20 < 0x10 { i += 1 }
        if i < line.count, line[i] &- 0x40 < 0x3F { return i + 1 }
        return i
    }

    /// Past a control string ended by BEL, ESC \ or C1 ST; to the line's end when unterminated.
    private static func skipString(_ line: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
        var i = at
        while i < line.count {
            switch line[i] {
            case 0x07: return i + 1
            case 0x1B where i + 1 < line.count && line[i + 1] == 0x5C: return i + 2
            case 0xC2 where i + 1 < line.count && line[i + 1] == 0x9C: return i + 2
            default: i += 1
            }
        }
        return i
    }
}

/// Input that is not text: an image, a core dump, random bytes (SPEC "Log analysis").
enum BinaryData {
    /// Whether more than 10% of `bytes` are NUL, or more than 30% are control bytes (not TAB, LF,
    /// CR, FF or ESC) or bytes of no valid UTF-8 sequence. Latin-1 text and coloured logs pass.
    static func isBinary(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        guard n > 0 else { return false }
        var nul = 0
        var odd = 0
        // Bytes of escape sequences are not counted either way: colour added to a line must not
        // decide whether it is binary (the ratio is of the text that remains once they are stripped).
        var sequences = 0
        var controls = 0
        var i = 0
        while i < n {
            let byte = bytes[i]
            if byte == 0x1B {
                let end = max(i + 1, ControlSequences.skipEscape(bytes, i + 1))
                sequences += end - i
                i = end
                continue
            }
            if byte < 0x80 {
                if byte == 0 {
                    nul += 1
                    odd += 1
                    controls += 1
                } else if (byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D && byte != 0x0C && byte != 0x1B)
                    || byte == 0x7F
                {
                    odd += 1
                    controls += 1
                }
                i += 1
                continue
            }
            let need = byte >= 0xF5 ? 0 : byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC2 ? 1 : 0
            var valid = need > 0 && i + need < n
            if valid {
                for offset in 1...need where bytes[i + offset] &- 0x80 >= 0x40 { valid = false }
            }
            if valid {
                i += need + 1
            } else {
                odd += 1
                i += 1
            }
        }
        // A line whose only control content is escape sequences is judged as the same line without
        // them is: lines with no control byte are never checked (see `Triggers`), so neither is it.
        guard controls > 0 else { return false }
        let text = n - sequences
        return text > 0 && (nul * 10 > text || odd * 10 > text * 3)
    }
}
