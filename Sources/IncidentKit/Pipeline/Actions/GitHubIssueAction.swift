/// `github-issue`: the stage completes when the incident has a GitHub issue (`incident issue`).
struct GitHubIssueAction: StageAction {
    var kind: StageActionName { .githubIssue }
    var note: String { "This stage completes when the incident's GitHub issue exists: use file_issue." }

    func run(_ context: inout StageActionContext) throws {
        let document = context.document
        guard document.fields["github"]?["number"] == nil else { return }
        throw IncidentError.gate(
            stage: context.template.name,
            missing: [
                "github: the incident has no GitHub issue yet; file one with `incident issue \(document.id)`, or `incident advance \(document.id) --skip --reason TEXT`"
            ])
    }
}
