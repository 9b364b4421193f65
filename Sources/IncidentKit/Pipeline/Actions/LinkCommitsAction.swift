/// `link-commits`: adds the commits whose message names the incident id to the `commits` field
/// (asking first on a terminal; off one, all that are found).
struct LinkCommitsAction: StageAction {
    var kind: StageActionName { .linkCommits }
    var note: String { "advance_incident adds the commits whose messages name the incident id to `commits`." }

    func run(_ context: inout StageActionContext) throws {
        let id = context.document.id
        let found = Self.commits(naming: id, in: context.workspace)
        guard !found.isEmpty, context.template.field("commits") != nil else { return }
        var include = true
        if let prompter = context.workspace.env.prompter, !context.request.yes {
            prompter.show("Commits naming \(id):\n" + found.map { "  \($0)" }.joined(separator: "\n"))
            include = try prompter.confirm("Link these \(found.count) commits?", defaultYes: true)
        }
        if include {
            let given = context.answers["commits"]?.array ?? []
            context.answers["commits"] = .array(given + found.map(Value.string).filter { !given.contains($0) })
        }
    }

    /// Commits whose message names the incident id, newest first, as "abc1234 subject".
    static func commits(naming id: String, in workspace: Workspace) -> [String] {
        guard
            let result = try? workspace.env.processes.run(
                ["git", "log", "--format=%h %s", "--fixed-strings", "--grep=\(id)"], in: workspace.root, timeout: 30),
            result.status == 0
        else { return [] }
        return result.output.split(separator: "\n").map(String.init)
    }
}
