import ArgumentParser
import Testing

@testable import incident

/// argument-parser wraps abstracts and discussions to the terminal itself; text wrapped by hand
/// breaks again at another width and leaves ragged fragments (issue 8 point 9).
@Suite struct HelpTextTests {
    /// Every command, nested ones included, with the words that run it.
    static func commands(
        _ type: any ParsableCommand.Type = Incident.self, path: [String] = []
    ) -> [(path: [String], type: any ParsableCommand.Type)] {
        [(path, type)]
            + type.configuration.subcommands.flatMap { commands($0, path: path + [$0._commandName]) }
    }

    @Test func theWalkFindsTheNestedCommands() {
        let paths = Set(Self.commands().map { $0.path.joined(separator: " ") })
        for expected in ["", "advance", "templates eject", "signatures test", "mcp"] {
            #expect(paths.contains(expected), "\(expected)")
        }
    }

    @Test func proseIsOneLinePerParagraphAndExamplesFitEightyColumns() {
        for (path, type) in Self.commands() {
            let name = (["incident"] + path).joined(separator: " ")
            let configuration = type.configuration
            #expect(!configuration.abstract.contains("\n"), "\(name): the abstract is wrapped by hand")
            let lines = configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(lines, lines.dropFirst()) {
                let prose = !line.isEmpty && !line.hasPrefix(" ")
                let nextProse = !next.isEmpty && !next.hasPrefix(" ")
                // Lines of prose in a row are separate statements (Repo: … / Token: …), never one sentence broken.
                if prose && nextProse {
                    #expect(
                        line.hasSuffix(".") || line.hasSuffix(":"),
                        "\(name): a sentence is broken by hand after \"\(line.suffix(30))\"")
                }
            }
            // Indented lines (examples) are kept as written, so they must fit an 80-column terminal.
            for line in lines where line.hasPrefix(" ") {
                #expect(line.count <= 80, "\(name): the example \"\(line)\" is wider than 80 columns")
            }
        }
    }

    @Test func paragraphsFlowToTheTerminalsWidth() {
        for (path, type) in Self.commands() {
            let name = (["incident"] + path).joined(separator: " ")
            let paragraphs = type.configuration.discussion.split(separator: "\n").filter {
                !$0.hasPrefix(" ") && $0.count > 130
            }
            for columns in [80, 120] {
                let help = Incident.helpMessage(for: type, columns: columns)
                let rendered = help.split(separator: "\n")
                for line in rendered.prefix(while: { !$0.hasPrefix("USAGE:") }) {
                    #expect(line.count <= columns, "\(name) at \(columns) columns: \(line)")
                }
                // A long paragraph fills the width: its first line reaches past three quarters of it.
                for paragraph in paragraphs {
                    let first = rendered.first { paragraph.hasPrefix($0) && !$0.isEmpty }
                    #expect(
                        (first?.count ?? 0) > columns * 3 / 4,
                        "\(name) at \(columns) columns: \"\(paragraph.prefix(40))…\" starts with a short line")
                }
            }
        }
    }
}
