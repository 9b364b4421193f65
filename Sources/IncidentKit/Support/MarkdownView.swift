/// An incident body as a person reads it in a terminal: the tool's markers gone, headings and
/// bold in style marks (`Terminal.styled`), tables aligned, code kept as written and indented.
public enum MarkdownView {
    public static func render(_ markdown: String) -> String {
        var out: [String] = []
        var table: [[String]] = []
        var inCode = false
        var listNumber = 0
        func flushTable() {
            guard !table.isEmpty else { return }
            let columns = table.map(\.count).max() ?? 0
            var widths = [Int](repeating: 0, count: columns)
            for row in table {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            for (number, row) in table.enumerated() {
                let cells = row.enumerated().map { index, cell in
                    cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }
                var line = "  " + cells.joined(separator: "  ")
                while line.hasSuffix(" ") { line.removeLast() }
                out.append(number == 0 ? Terminal.styled(line, 1) : line)
            }
            table.removeAll()
        }
        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.hasPrefix("```") {
                flushTable()
                inCode.toggle()
                continue
            }
            if inCode {
                out.append("    " + line)
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("<!--") && trimmed.hasSuffix("-->") { continue }
            if trimmed.hasPrefix("|") {
                let cells = cells(of: trimmed)
                // The |---|---| row only says where the header ends.
                if !cells.allSatisfy({ $0.allSatisfy { "-:| ".contains($0) } }) { table.append(cells.map(inline)) }
                continue
            }
            flushTable()
            if let level = headingLevel(line) {
                let text = inline(String(line.dropFirst(level + 1)))
                if out.last.map({ !$0.isEmpty }) == true { out.append("") }
                out.append(Terminal.styled(level == 1 ? text.uppercased() : text, 1))
                continue
            }
            // Markdown numbers "1. 1. 1." itself; a reader in a terminal needs the numbers written.
            let digits = line.prefix { $0.isNumber }
            if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") {
                listNumber += 1
                out.append("\(listNumber). " + inline(String(line.dropFirst(digits.count + 2))))
                continue
            }
            listNumber = 0
            out.append(inline(line))
        }
        flushTable()
        // No runs of blank lines where markers stood.
        var result: [String] = []
        for line in out where !(line.isEmpty && result.last?.isEmpty == true) { result.append(line) }
        while result.first?.isEmpty == true { result.removeFirst() }
        while result.last?.isEmpty == true { result.removeLast() }
        return result.joined(separator: "\n")
    }

    static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard hashes > 0, hashes <= 6, line.dropFirst(hashes).first == " " else { return nil }
        return hashes
    }

    /// The cells of a table row; `\|` is a pipe inside a cell.
    static func cells(of row: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var escaped = false
        for character in row.dropFirst() {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { cells.append(current.trimmingCharacters(in: .whitespaces)) }
        return cells
    }

    /// `**bold**` in bold, `code` without its backticks in cyan.
    static func inline(_ text: String) -> String {
        guard text.contains("**") || text.contains("`") else { return text }
        var out = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("**"), let close = rest.dropFirst(2).range(of: "**") {
                out += Terminal.styled(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close.lowerBound]), 1)
                rest = rest[close.upperBound...]
            } else if rest.hasPrefix("`"), let close = rest.dropFirst().firstIndex(of: "`") {
                out += Terminal.styled(String(rest[rest.index(after: rest.startIndex)..<close]), 36)
                rest = rest[rest.index(after: close)...]
            } else {
                out.append(rest.removeFirst())
            }
        }
        return out
    }
}
