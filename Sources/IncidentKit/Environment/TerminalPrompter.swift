import CLineEdit
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Asks on the user's terminal with line editing (libedit: cursor keys, Home/End, Ctrl-A/E/W/U and
/// Up/Down through this session's answers). Questions go to stderr; answers come from the terminal.
public struct TerminalPrompter: Prompter {
    let color: Bool
    let openEditor: @Sendable (String) throws -> String?

    /// `openEditor` takes the text so far and returns the edited text (nil when no editor ran).
    public init(color: Bool, openEditor: @escaping @Sendable (String) throws -> String?) {
        self.color = color
        self.openEditor = openEditor
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(Terminal.render(text, color: color).utf8))
    }

    private func bold(_ text: String) -> String { Terminal.styled(text, 1) }
    private func dim(_ text: String) -> String { Terminal.styled(text, 2) }

    /// One edited line after `prompt` (whose earlier lines are written first), or nil at end of input.
    /// A line holding a control character (a stray escape sequence, Ctrl-V …) is refused and asked again.
    private func readLine(_ prompt: String, initial: String = "") throws -> String? {
        var lines = prompt.components(separatedBy: "\n")
        let last = lines.removeLast()
        if !lines.isEmpty { write(lines.joined(separator: "\n") + "\n") }
        // libedit measures the prompt's width; colour sequences are marked as taking none.
        let rendered = Terminal.render(last, color: color).replacingOccurrences(
            of: "\u{1B}\\[[0-9;]*m", with: "\u{01}$0\u{01}", options: .regularExpression)
        var initial = initial
        while true {
            guard let pointer = cle_gets(rendered, initial) else { return nil }
            let line = String(cString: pointer)
            free(pointer)
            if let bad = ControlCharacters.first(in: line) {
                write("  that answer holds a control character (\(bad)); type it again without it.\n")
                initial = ControlCharacters.removed(from: line)
                continue
            }
            cle_remember(line)
            return line
        }
    }

    private func readAnswer(_ prompt: String, initial: String = "") throws -> String {
        guard let line = try readLine(prompt, initial: initial) else {
            write("\n")
            throw IncidentError.cancelled("input ended; nothing was written.")
        }
        return line
    }

    public func line(_ question: String, help: String?, defaultValue: String?) throws -> String {
        try line(question, help: help, defaultValue: defaultValue, initial: "")
    }

    public func line(_ question: String, help: String?, defaultValue: String?, initial: String) throws -> String {
        let helpLine = help.map { dim("  \($0)") + "\n" } ?? ""
        let suffix = defaultValue.map { dim(" [\($0)]") } ?? ""
        let answer = try readAnswer(helpLine + bold("? \(question)") + suffix + " ", initial: initial)
            .trimmingCharacters(in: .whitespaces)
        return answer.isEmpty ? (defaultValue ?? "") : answer
    }

    public func text(_ question: String, help: String?) throws -> String {
        try text(question, help: help, initial: "")
    }

    /// Lines until one holding only "." or Ctrl-D; ":e" opens the editor on what is typed so far.
    /// With `initial`, an empty first line keeps it and ":e" edits it.
    public func text(_ question: String, help: String?, initial: String) throws -> String {
        try text(question, help: help, initial: initial, partial: { _ in })
    }

    public func text(_ question: String, help: String?, initial: String, partial: (String) -> Void) throws -> String {
        if let help { write(dim("  \(help)") + "\n") }
        let how =
            initial.isEmpty
            ? " (end with a line holding only '.' or Ctrl-D; ':e' opens $EDITOR)"
            : " (Enter keeps it; type new text ending with '.', or ':e' to edit it in $EDITOR)"
        write(bold("? \(question)") + dim(how) + "\n")
        if !initial.isEmpty {
            write(
                initial.split(separator: "\n", omittingEmptySubsequences: false).map { dim("  | ") + $0 }.joined(
                    separator: "\n") + "\n")
        }
        var lines: [String] = []
        while true {
            guard let line = try readLine(dim("> ")) else {
                write("\n")
                break
            }
            if line == "." { break }
            if line == ":e" {
                let start = lines.isEmpty ? initial : lines.joined(separator: "\n")
                if let edited = try openEditor(start) { return edited.trimmingCharacters(in: .whitespacesAndNewlines) }
                write(dim("  the editor did not save; go on typing, or ':e' to try again.") + "\n")
                continue
            }
            if line.isEmpty && lines.isEmpty { return initial }
            lines.append(line)
            partial(lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func choose(_ question: String, options: [String], defaultIndex: Int?) throws -> Int {
        // Not optional: an empty answer with no default is asked again, so there is always an index.
        try choose(question, options: options, defaultIndex: defaultIndex, optional: false)!
    }

    public func choose(_ question: String, options: [String], defaultIndex: Int?, optional: Bool) throws -> Int? {
        write(bold("? \(question)") + "\n")
        for (index, option) in options.enumerated() { write("  \(index + 1)) \(option)\n") }
        while true {
            let hint = defaultIndex.map { " [\($0 + 1)]" } ?? (optional ? ", empty for none" : "")
            let answer = try readAnswer(dim("  number or name\(hint): ")).trimmingCharacters(in: .whitespaces)
            if answer.isEmpty, let defaultIndex { return defaultIndex }
            if answer.isEmpty && optional { return nil }
            if let number = Int(answer), number >= 1, number <= options.count { return number - 1 }
            if let index = options.firstIndex(where: { $0.lowercased() == answer.lowercased() }) { return index }
            write("  '\(answer)' is not one of the options; type 1 to \(options.count).\n")
        }
    }

    public func chooseMany(_ question: String, options: [String]) throws -> [Int] {
        try chooseMany(question, options: options, ticked: [])
    }

    /// With `ticked`, those are marked [x] and an empty answer keeps them; 0 ticks none.
    public func chooseMany(_ question: String, options: [String], ticked: [Int]) throws -> [Int] {
        write(bold("? \(question)") + "\n")
        for (index, option) in options.enumerated() {
            write("  \(index + 1)) " + (ticked.isEmpty ? "" : ticked.contains(index) ? "[x] " : "[ ] ") + option + "\n")
        }
        while true {
            let hint =
                ticked.isEmpty
                ? "numbers separated by commas, empty for none: "
                : "numbers separated by commas, empty keeps the [x] ones, 0 for none: "
            let answer = try readAnswer(dim("  " + hint))
            if !ticked.isEmpty {
                let trimmed = answer.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { return ticked }
                if trimmed == "0" { return [] }
            }
            let parts = answer.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            let numbers = parts.compactMap(Int.init)
            if numbers.count == parts.count, numbers.allSatisfy({ $0 >= 1 && $0 <= options.count }) {
                return Array(Set(numbers.map { $0 - 1 })).sorted()
            }
            write("  use numbers from 1 to \(options.count), such as 1,3.\n")
        }
    }

    public func confirm(_ question: String, defaultYes: Bool) throws -> Bool {
        while true {
            let answer = try readAnswer(bold("? \(question)") + (defaultYes ? " [Y/n] " : " [y/N] "))
                .trimmingCharacters(in: .whitespaces).lowercased()
            if answer.isEmpty { return defaultYes }
            if ["y", "yes"].contains(answer) { return true }
            if ["n", "no"].contains(answer) { return false }
        }
    }

    public func show(_ text: String) {
        write(text + "\n")
    }
}

/// Control characters in typed or stored text: C0 (but tab and, in files, newline), DEL and C1.
public enum ControlCharacters {
    static func isControl(_ scalar: Unicode.Scalar, allowNewline: Bool) -> Bool {
        let value = scalar.value
        if value == 0x09 || (allowNewline && (value == 0x0A)) { return false }
        return value < 0x20 || value == 0x7F || (0x80...0x9F).contains(value)
    }

    /// The first control character in a one-line answer, spelled visibly (^[ for escape), or nil.
    public static func first(in text: String, allowNewline: Bool = false) -> String? {
        guard let scalar = text.unicodeScalars.first(where: { isControl($0, allowNewline: allowNewline) }) else {
            return nil
        }
        if scalar.value < 0x20 { return "^" + String(Character(Unicode.Scalar(scalar.value + 0x40)!)) }
        if scalar.value == 0x7F { return "^?" }
        return String(format: "U+%04X", scalar.value)
    }

    /// Why a value given by a person is refused ("it holds a control character (^[)"), or nil: the
    /// one wording for answers, `--set`, flag values and `set KEY=VALUE`.
    public static func problem(in text: String, allowNewline: Bool = false) -> String? {
        first(in: text, allowNewline: allowNewline).map { "it holds a control character (\($0))" }
    }

    /// Refuses (exit 64) a value given on the command line or by an agent that holds a control
    /// character, before it is stored: `name` is how the person gave it (`--title`, `owner`).
    public static func refuse(_ text: String?, as name: String, allowNewline: Bool = false) throws {
        guard let text, let problem = problem(in: text, allowNewline: allowNewline) else { return }
        throw IncidentError.usage("\(name) is refused: \(problem).")
    }

    /// The text without its control characters (what is left is offered for editing again).
    static func removed(from text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter { !isControl($0, allowNewline: false) })
        return String(scalars)
    }
}
