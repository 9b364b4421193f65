import ArgumentParser
import IncidentKit

struct AdvanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advance",
        abstract: "Complete the current stage of an incident and write its section.",
        discussion: """
            On a terminal, asks for each field the stage's template declares, shows the section and asks before \
            writing. Elsewhere, answers come from --answers, --set or --edit, and a missing required answer fails with \
            exit 3 naming the field.

            Examples:
              incident advance latest
              incident advance inc-7f3a2c --answers whys.yml
              incident advance 7f3a --set 'tests={name: reconnects, kind: integration}'
              incident advance latest --skip --reason "no GitHub for this one"
              incident advance latest --check "swift test"
              incident advance latest --preview --answers whys.yml   # writes nothing
              incident advance latest --from-log app.log  # a stage with action: analyze-log
            """)

    @Argument(
        help: "The incident: an id, id prefix, path, part of its file name, or 'latest'.",
        completion: .custom(Completions.incidents))
    var ref: String

    @Option(help: ArgumentHelp("Answers as YAML or JSON keyed by field id; - for stdin.", valueName: "file"))
    var answers: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Set one field; repeated, appends to lists.", valueName: "id=value"))
    var sets: [String] = []

    @Flag(help: "Edit the answers as YAML in $EDITOR.")
    var edit = false

    @Flag(name: [.short, .long], help: "Write without asking for confirmation.")
    var yes = false

    @Option(
        name: .customLong("check"),
        help: ArgumentHelp("verify: run this command instead of the configured checks (repeatable).", valueName: "cmd"))
    var checks: [String] = []

    @Flag(help: "Skip the current stage, on the record (needs --reason).")
    var skip = false

    @Option(help: "Why the stage is skipped.")
    var reason: String?

    @Option(
        help: ArgumentHelp("Render a completed stage's section again from its stored answers.", valueName: "stage"),
        completion: .custom(Completions.stages))
    var rerender: String?

    @Option(
        name: .customLong("from-log"),
        help: ArgumentHelp("The log a stage with action analyze-log analyses; - for stdin.", valueName: "file"))
    var fromLog: String?

    @Flag(help: "Check the answers and show the section without writing anything.")
    var preview = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func validate() throws {
        if skip && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--skip needs --reason TEXT saying why the stage is skipped.")
        }
        if reason != nil && !skip { throw ValidationError("--reason goes with --skip.") }
        if preview && (skip || rerender != nil) { throw ValidationError("--preview goes with answers, not --skip or --rerender.") }
        if rerender != nil && (skip || answers != nil || !sets.isEmpty || edit) {
            throw ValidationError("--rerender renders stored answers; it takes no --answers, --set, --edit or --skip.")
        }
    }

    /// What the arguments ask of the workflow (argv → request is tested in `CommandParsingTests`).
    func request() -> AdvanceRequest {
        var request = AdvanceRequest(ref: ref)
        request.answersFile = answers
        request.sets = sets
        request.edit = edit
        request.yes = yes || preview
        request.checks = checks
        request.skipReason = skip ? reason : nil
        request.rerender = rerender
        request.log = fromLog.map(LogSource.init(argument:))
        request.preview = preview
        return request
    }

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let result = try AdvanceWorkflow(workspace: try live.workspace()).run(request())
            if let warning = result.syncWarning { live.warn(warning) }
            if json {
                live.json(result.toValue())
                return
            }
            if result.preview {
                live.out(MarkdownView.render(result.section ?? ""))
                live.out("Preview of \(result.stage) for \(result.id): nothing was written.")
                return
            }
            let verb = result.rerendered ? "Re-rendered" : result.skipped ? "Skipped" : "Completed"
            live.out("\(verb) \(result.stage) for \(result.id)  \(result.path)")
            for line in result.synced { live.out("  GitHub: \(line)") }
            if !result.redactions.isEmpty {
                live.out("  redacted: " + result.redactions.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            }
            if result.status == "open" {
                live.out("Next: incident advance \(result.id)   (stage \(result.nextStage))")
            } else if !result.rerendered {
                live.out("\(result.id) is \(result.status).")
            }
        }
    }
}
