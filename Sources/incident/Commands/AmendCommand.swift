import ArgumentParser
import IncidentKit

struct AmendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amend",
        abstract: "Change the answers of a completed stage and render its section again in place.",
        discussion: """
            The stage's answers in the front-matter are the one source of its section. On a terminal each answer is \
            offered for editing; elsewhere give --answers, --set (the first --set of a list replaces it) or --edit. A \
            section edited by hand is not overwritten: amend stops and says so. When the incident has a GitHub issue, \
            the new section goes to it as a comment.

            Examples:
              incident amend latest
              incident amend 7f3a five-whys --set 'root_cause=The connector was removed'
              incident amend latest identify --set 'impact=Chat down for all for 40 min'
              incident amend latest test-plan --edit
            """)

    @Argument(
        help: "The incident: an id, id prefix, path, part of its file name, or 'latest'.",
        completion: .custom(Completions.incidents))
    var ref: String

    @Argument(
        help: "The completed stage to amend (default: the last completed one).", completion: .custom(Completions.stages)
    )
    var stage: String?

    @Option(help: ArgumentHelp("Answers as YAML or JSON keyed by field id; - for stdin.", valueName: "file"))
    var answers: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Set one field; on a list the first replaces it and more append.", valueName: "id=value"))
    var sets: [String] = []

    @Flag(help: "Edit the answers as YAML in $VISUAL or $EDITOR.")
    var edit = false

    @Flag(name: [.short, .long], help: "Write without asking for confirmation.")
    var yes = false

    @Flag(
        help:
            "Print {id, path, stage, changed, status, stage_now, synced, pending_updates, sync_warning, redactions} as JSON."
    )
    var json = false

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    /// What the arguments ask of the workflow (argv → request is tested in `CommandParsingTests`).
    func request() -> AmendRequest {
        var request = AmendRequest(ref: ref, stage: stage)
        request.answersFile = answers
        request.sets = sets
        request.edit = edit
        request.yes = yes
        return request
    }

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let result = try AmendWorkflow(workspace: try live.workspace()).run(request())
            if let warning = result.syncWarning { live.warn(warning) }
            if json {
                live.json(result.toValue())
                return
            }
            let id = result.incident.document.id
            if result.changed.isEmpty {
                live.out("No answer of \(result.stage) changed for \(id); nothing was written.")
                return
            }
            live.out(
                "Amended \(result.stage) for \(id) (\(result.changed.joined(separator: ", ")))  \(result.incident.relativePath)"
            )
            for line in result.synced { live.out("  GitHub: \(line)") }
        }
    }
}
