import ArgumentParser
import IncidentKit

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Review the postmortem: submit it, approve it, or request changes.",
        discussion: """
            Each incident's review goes draft → in-review → approved; a request for changes sends it back to draft. \
            Every step is recorded in the file (review.history) and on the timeline. With \
            review.required_before_verify in .incident.yml, or when a repeat failure flagged the incident \
            (review.required), verify does not complete until the review is approved.

            Examples:
              incident review latest --submit --by dana
              incident review 7f3a --request-changes --by lee --note "name the 2nd factor"
              incident review inc-7f3a2c --approve --by lee
              incident list --review pending
            """)

    @Argument(help: "The incident.") var ref: String
    @Flag(help: "Submit the draft for review.") var submit = false
    @Flag(help: "Approve the postmortem.") var approve = false
    @Flag(name: .customLong("request-changes"), help: "Send it back to draft; --note says what to change.")
    var requestChanges = false
    @Option(help: ArgumentHelp("Who reviews.", valueName: "name")) var by: String
    @Option(help: ArgumentHelp("What the reviewer says.", valueName: "text")) var note: String?
    @Flag(help: "Print {id, path, status, stage, review, changed, synced, pending_updates, sync_warning} as JSON.")
    var json = false
    @OptionGroup var globals: GlobalOptions

    func validate() throws {
        if [submit, approve, requestChanges].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of --submit, --approve, --request-changes.")
        }
    }

    func request() -> ReviewRequest {
        let action: ReviewRequest.Action = submit ? .submit : approve ? .approve : .requestChanges
        return ReviewRequest(ref: ref, action: action, by: by, note: note)
    }

    func run() throws {
        try Live.perform(globals) { live in
            let result = try ReviewWorkflow(workspace: try live.workspace()).run(request())
            if json {
                var value = result.toValue()
                value["review"] = result.incident.document.fields["review"] ?? .null
                live.json(value)
                return
            }
            let document = result.incident.document
            live.out("Review of \(document.id): \(ReviewWorkflow.state(document))  \(result.incident.relativePath)")
        }
    }
}
