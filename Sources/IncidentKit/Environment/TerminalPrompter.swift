import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Asks on the user's terminal: questions on stderr, answers from stdin, line by line.
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

    private func readAnswer() throws -> String {
        guard let line = readLine(strippingNewline: true) else {
            write("\n")
            throw IncidentError.cancelled("input ended; nothing was written.")
        }
        return line
    }

    public func line(_ question: String, help: String?, defaultValue: String?) throws -> String {
        if let help { write(dim("  \(help)") + "\n") }
        let suffix = defaultValue.map { dim(" [\($0)]") } ?? ""
        write(bold("? \(question)") + suffix + " ")
        let answer = try readAnswer().trimmingCharacters(in: .whitespaces)
        return answer.isEmpty ? (defaultValue ?? "") : answer
    }

    public func text(_ question: String, help: String?) throws -> String {
        if let help { write(dim("  \(help)") + "\n") }
        write(bold("? \(question)") + dim(" (end with a line holding only '.', or type ':e' to use $EDITOR)") + "\n")
        var lines: [String] = []
        while true {
            write(dim("> "))
            let line = try readAnswer()
            if line == "." { break }
            if line == ":e" && lines.isEmpty {
                if let edited = try openEditor("") { return edited.trimmingCharacters(in: .whitespacesAndNewlines) }
                continue
            }
            if line.isEmpty && lines.isEmpty { return "" }
            lines.append(line)
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func choose(_ question: String, options: [String], defaultIndex: Int?) throws -> Int {
        write(bold("? \(question)") + "\n")
        for (index, option) in options.enumerated() { write("  \(index + 1)) \(option)\n") }
        while true {
            let hint = defaultIndex.map { " [\($0 + 1)]" } ?? ""
            write(dim("  number or name\(hint): "))
            let answer = try readAnswer().trimmingCharacters(in: .whitespaces)
            if answer.isEmpty, let defaultIndex { return defaultIndex }
            if let number = Int(answer), number >= 1, number <= options.count { return number - 1 }
            if let index = options.firstIndex(where: { $0.lowercased() == answer.lowercased() }) { return index }
            write("  '\(answer)' is not one of the options; type 1 to \(options.count).\n")
        }
    }

    public func chooseMany(_ question: String, options: [String]) throws -> [Int] {
        write(bold("? \(question)") + "\n")
        for (index, option) in options.enumerated() { write("  \(index + 1)) \(option)\n") }
        while true {
            write(dim("  numbers separated by commas, empty for none: "))
            let answer = try readAnswer()
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
            write(bold("? \(question)") + (defaultYes ? " [Y/n] " : " [y/N] "))
            let answer = try readAnswer().trimmingCharacters(in: .whitespaces).lowercased()
            if answer.isEmpty { return defaultYes }
            if ["y", "yes"].contains(answer) { return true }
            if ["n", "no"].contains(answer) { return false }
        }
    }

    public func show(_ text: String) {
        write(text + "\n")
    }
}
