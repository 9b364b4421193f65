import ArgumentParser
import Foundation
import IncidentKit

extension ExportRequest.Format: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "The postmortem as one self-contained HTML page or as clean markdown.",
        discussion: """
            The page loads nothing: styles and its one script are inline. The timeline is drawn as inline SVG; the \
            script draws the five-whys flowchart from its Mermaid source. It is not Mermaid: other charts (the \
            timeline's gantt) stay as their source in <pre class="mermaid">, readable as text.

            --public is for a status page or a customer: it leaves out the raw log excerpt, command output, suspect \
            commits and reviewers, and masks hosts, URLs, IPs, e-mails and whatever redact.patterns in .incident.yml \
            match.

            Examples:
              incident export latest --format html > postmortem.html
              incident export inc-7f3a2c --format md --public --output status.md
            """)

    @Argument(help: "The incident.") var ref: String
    @Option(help: "html or md.") var format: ExportRequest.Format
    @Flag(name: .customLong("public"), help: "Leave out internal details (see above).") var isPublic = false
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?
    @OptionGroup var globals: GlobalOptions

    func request() -> ExportRequest { ExportRequest(ref: ref, format: format, isPublic: isPublic) }

    func run() throws {
        try Live.perform(globals) { live in
            let result = try ExportWorkflow(workspace: try live.workspace()).run(request())
            if let output {
                let path = output.hasPrefix("/") ? output : live.env.workingDirectory + "/" + output
                try live.env.fileSystem.writeAtomically(Data(result.text.utf8), to: path)
                live.err("Exported \(result.id) to \(output)")
            } else {
                live.out(result.text, terminator: "")
            }
        }
    }
}
