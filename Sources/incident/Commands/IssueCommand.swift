import ArgumentParser
import IncidentKit

struct IssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "File the incident's GitHub issue (or find the one already filed), at any stage.",
        discussion: """
            Renders templates/github-issue.md, files it through the GitHub REST API and writes github: {repo, number, \
            url} into the incident; at the issue stage, completes it. Then files one issue per follow-up (each entry \
            of a list declared `issue: true`: the test plan's tests, five-whys' actions) and links them from the issue \
            as a task list. Safe to run twice: a filed incident prints its issue, and a lost answer is looked for (by \
            a hidden marker in the body) before anything is posted again.

            Repo: --repo, github.repo in .incident.yml, then git remotes (upstream > github > origin).
            The API follows the repo's host (https://HOST/api/v3 for an Enterprise server).
            Token: GH_TOKEN, GITHUB_TOKEN (an Enterprise host: GH_ENTERPRISE_TOKEN only), then `gh auth token`, gh's \
            hosts.yml and `git credential fill`, each for that host.

            Examples:
              incident issue latest --dry-run
              incident issue inc-7f3a2c --label redis --assignee dana
              incident issue latest --repo acme/netra --yes --json
            """)

    @Argument(
        help: "The incident: an id, id prefix, path, part of its file name, or 'latest'.",
        completion: .custom(Completions.incidents))
    var ref: String

    @Option(help: ArgumentHelp("The repository, as OWNER/NAME or HOST/OWNER/NAME.", valueName: "owner/name"))
    var repo: String?

    @Option(name: .customLong("label"), help: ArgumentHelp("An extra label (repeatable).", valueName: "label"))
    var labels: [String] = []

    @Option(name: .customLong("assignee"), help: ArgumentHelp("An assignee's login (repeatable).", valueName: "login"))
    var assignees: [String] = []

    @Option(help: ArgumentHelp("The milestone's number.", valueName: "number"))
    var milestone: String?

    @Flag(
        name: [.short, .long],
        help: "File without asking; needed off a terminal when a log excerpt goes to a public repo.")
    var yes = false

    @Flag(name: .customLong("dry-run"), help: "Show the request (token masked) and the issue as it would read, and send nothing; with --json, the exact requests.")
    var dryRun = false

    @Flag(help: "Print {number, url, created, followups: [{key, title, number, url, state}], sync_warning} as JSON.")
    var json = false

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func request() -> FileIssueRequest {
        var request = FileIssueRequest(ref: ref)
        request.repo = repo
        request.labels = labels
        request.assignees = assignees
        request.milestone = milestone
        request.yes = yes
        request.dryRun = dryRun
        return request
    }

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let result = try FileIssueWorkflow(workspace: try live.workspace()).run(request())
            if let planned = result.dryRun {
                if json {
                    live.json(result.toValue())
                } else {
                    live.out(planned.map { $0.review() }.joined(separator: "\n\n" + String(repeating: "-", count: 40) + "\n\n"))
                }
                return
            }
            if let warning = result.syncWarning { live.warn(warning) }
            if json {
                live.json(result.toValue())
                return
            }
            let verb = result.created ? "Filed" : "Already filed:"
            live.out("\(verb) \(result.repo)#\(result.number ?? 0)  \(result.url ?? "")")
            for line in result.synced { live.out("  GitHub: \(line)") }
            if let stage = result.completedStage {
                live.out(
                    "Completed \(stage) for \(result.incident.document.id); next: incident advance \(result.incident.document.id)   (stage \(result.incident.document.stage))"
                )
            }
        }
    }
}
