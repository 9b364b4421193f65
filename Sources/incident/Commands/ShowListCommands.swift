import ArgumentParser
import Foundation
import IncidentKit

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one incident, rendered for reading.",
        discussion: """
            Headings, tables and the identify facts are laid out for a terminal, without the file's markers. --raw \
            prints the file as it is; --json the front-matter and sections.

            Examples:
              incident show latest
              incident show inc-7f3a2c --raw > copy.md
              incident show latest --json | jq .sections
            """)

    @Argument(
        help: "The incident: an id, id prefix, path, part of its file name, or 'latest'.",
        completion: .custom(Completions.incidents))
    var ref: String

    @Flag(help: "Print the front-matter, path and sections as JSON.")
    var json = false

    @Flag(help: "Print the file as it is (front-matter and markdown).")
    var raw = false

    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
            let query = QueryWorkflow(workspace: try live.workspace())
            let incident = try query.show(ref)
            let followUps = query.followUps(incident)
            if json {
                var object = QueryWorkflow.jsonObject(incident, sections: true)
                object["followups"] = .array(followUps.map { $0.toValue(now: live.env.now) })
                live.json(object)
                return
            }
            let document = incident.document
            if raw {
                live.out(String(decoding: try live.env.fileSystem.read(incident.path), as: UTF8.self), terminator: "")
                return
            }
            live.out("\(live.paint(document.id, 1))  \(document.title)")
            var facts = [document.severity, document.status, "stage \(document.stage)"]
            if let environment = document.fields["environment"]?.string { facts.append(environment) }
            if !document.services.isEmpty { facts.append(document.services.joined(separator: ", ")) }
            live.out(facts.joined(separator: " · "))
            live.out(incident.relativePath)
            if let github = document.fields["github"]?["url"]?.string { live.out(github) }
            for line in QueryWorkflow.githubNotes(document) { live.out(live.paint(line, 33)) }
            let open = followUps.filter { !$0.isClosed }
            if !followUps.isEmpty {
                live.out("Follow-ups: \(open.count) of \(followUps.count) open")
                for followUp in open {
                    live.out("  " + followUpLine(followUp, now: live.env.now))
                }
            }
            if document.fields["review"] != nil || ReviewWorkflow.matches(document, filter: "required") {
                live.out("Review: \(ReviewWorkflow.state(document))")
            }
            live.out("")
            live.out(MarkdownView.render(document.body))
            // The timeline as it stands now (the identify section holds it as it was at `new`).
            let entries = Timeline.entries(document)
            if entries.count > 1 {
                live.out("")
                live.out(MarkdownView.render("## Timeline now\n\n" + Timeline.table(entries)))
            }
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List incidents, newest first.",
        discussion: """
            Examples:
              incident list --status open --severity critical
              incident list --since 7d --json
            """)

    @Option(help: "Only incidents at this stage.") var stage: String?
    @Option(help: "Only open, resolved or closed incidents.") var status: String?
    @Option(help: "Only this severity.") var severity: Severity?
    @Option(help: "Only incidents affecting this service.") var service: String?
    @Option(help: ArgumentHelp("Only incidents created since a date, a time or an age (7d, 12h).", valueName: "when"))
    var since: String?
    @Option(
        help: ArgumentHelp(
            "Only incidents whose review is draft, in-review, approved, pending (not approved) or required.",
            valueName: "state"))
    var review: String?
    @Flag(help: "Print an array of front-matter objects, each with its path.") var json = false

    @OptionGroup var globals: GlobalOptions

    func validate() throws {
        if let status, !["open", "resolved", "closed"].contains(status) {
            throw ValidationError("--status '\(status)' is not one of open, resolved, closed.")
        }
        if let since { _ = try parseSince(since, now: Date()) }
        if let review, !ReviewWorkflow.filters.contains(review) {
            throw ValidationError(
                "--review '\(review)' is not one of \(ReviewWorkflow.filters.joined(separator: ", ")).")
        }
    }

    /// What the arguments ask of the workflow; `now` dates an age such as --since 7d.
    func request(now: Date) throws -> ListRequest {
        var request = ListRequest()
        request.review = review
        request.stage = stage
        request.status = status
        request.severity = severity
        request.service = service
        request.since = try since.map { try parseSince($0, now: now) }
        return request
    }

    func run() throws {
        try Live.perform(globals) { live in
            let request = try request(now: live.env.now)
            ProcessTuning.expectManyAllocations()
            let incidents = try QueryWorkflow(workspace: try live.workspace()).list(request, forJSON: json) { problem in
                live.warn("skipped one file: \(problem)")
            }
            live.keepUntilExit(incidents)
            if json {
                let open = QueryWorkflow(workspace: try live.workspace()).openFollowUps(incidents)
                // Each object made and encoded on any core, never all held at once.
                let parts = QueryWorkflow.listJSON(incidents, open: open)
                live.json(parts: parts)
                return
            }
            if incidents.isEmpty {
                live.out(
                    "No incidents\(request.stage == nil && request.status == nil && request.severity == nil && request.service == nil && request.since == nil && request.review == nil ? " yet; start one with `incident new`" : " match")."
                )
                return
            }
            let open = QueryWorkflow(workspace: try live.workspace()).openFollowUps(incidents)
            let now = live.env.now
            // Rows and their widths on all cores.
            let parts = incidents.withUnsafeBufferPointer { incidents in
                Parallel.parts(incidents.count) { range -> (rows: [[String]], widths: [Int], pending: Bool) in
                    var widths = Array(repeating: 0, count: 8)
                    var anyPending = false
                    let rows = range.map { index -> [String] in
                        let document = incidents[index].document
                        let pending = QueryWorkflow.hasPendingGitHubWork(document)
                        anyPending = anyPending || pending
                        let number =
                            document.fields["github"]?["number"]?.int.map { "#\($0)" } ?? (pending ? "filing" : "")
                        let row = [
                            document.id, document.severity, document.status, document.stage,
                            document.fields["created"]?.string.map { String($0.prefix(10)) } ?? "",
                            number + (pending ? "*" : ""), followUpCell(open[document.id] ?? [], now: now),
                            document.title,
                        ]
                        for (column, cell) in row.enumerated() {
                            // Characters counted, or bytes where each is one.
                            let count = Terminal.isPrintableASCII(cell) ? cell.utf8.count : cell.count
                            widths[column] = max(widths[column], count)
                        }
                        return row
                    }
                    return (rows, widths, anyPending)
                }
            }
            let header = ["ID", "SEVERITY", "STATUS", "STAGE", "CREATED", "GITHUB", "FOLLOW-UPS", "TITLE"]
            var widths = header.map(\.count)
            for part in parts {
                for column in widths.indices { widths[column] = max(widths[column], part.widths[column]) }
            }
            let anyPending = parts.contains { $0.pending }
            func line(_ cells: [String]) -> String {
                var line = ""
                for (index, cell) in cells.enumerated() {
                    if index > 0 { line += "  " }
                    line += index == cells.count - 1 ? cell : padded(cell, to: widths[index])
                }
                return line
            }
            live.out(live.paint(line(header), 1))
            let rows = parts.flatMap(\.rows)
            live.out(lines: Parallel.map(rows.count) { line(rows[$0]) })
            live.keepUntilExit(rows)
            if anyPending { live.out("* GitHub updates pending; `incident sync` sends them.") }
        }
    }
}

/// `cell.padding(toLength:withPad:" ",startingAt:0)` (which counts UTF-16 units), without Foundation
/// when the cell fits: a list of thousands of incidents pads eight cells a row.
func padded(_ cell: String, to width: Int) -> String {
    let length = cell.utf16.count
    guard length <= width else { return cell.padding(toLength: width, withPad: " ", startingAt: 0) }
    return length == width ? cell : cell + String(repeating: " ", count: width - length)
}

/// "2 open, 1 overdue", or nothing.
func followUpCell(_ open: [FollowUp], now: Date) -> String {
    guard !open.isEmpty else { return "" }
    let overdue = open.filter { $0.isOverdue(at: now) }.count
    return "\(open.count) open" + (overdue > 0 ? ", \(overdue) overdue" : "")
}

/// One follow-up on a line: its issue (or that it is not filed), title, owner, due date, whether it blocks.
func followUpLine(_ followUp: FollowUp, now: Date) -> String {
    var notes: [String] = []
    if let owner = followUp.owner { notes.append(owner) }
    if let due = followUp.due { notes.append("due \(due)" + (followUp.isOverdue(at: now) ? ", overdue" : "")) }
    if followUp.blocking { notes.append("blocks verify") }
    let issue = followUp.number.map { "#\($0)" } ?? "not filed (\(followUp.key))"
    return "\(issue)  \(followUp.title)" + (notes.isEmpty ? "" : "  (\(notes.joined(separator: ", ")))")
}

struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change an incident's title, severity, owner, environment, services, impact or milestones.",
        discussion: """
            A new title or severity also changes the file's heading and identify line, and a filed GitHub issue's \
            title and severity label (a failed update is sent by `incident sync`). impact is an answer of the identify \
            stage: it is changed as `incident amend REF identify` would, its section rendered again and the issue \
            told.

            Examples:
              incident set latest severity=high owner=dana
              incident set inc-7f3a2c services=redis,postgres
              incident set latest 'impact=Chat down for every user in staging for 40 min'
              incident set latest mitigated=2025-09-09T03:10Z   # on the timeline, for stats
            """)

    @Argument(help: "The incident.", completion: .custom(Completions.incidents)) var ref: String
    @Argument(
        help:
            "KEY=VALUE pairs; KEY is title, severity, owner, environment, services (comma-separated), impact (the identify answer, as amend identify changes it), or a milestone: detected, mitigated, resolved (an ISO 8601 time; empty clears it)."
    )
    var assignments: [String] = []

    @Flag(help: "Print {id, path, status, stage, changed, synced, pending_updates, sync_warning} as JSON.")
    var json = false

    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let result = try SetFieldsWorkflow(workspace: try live.workspace()).run(
                ref: ref, assignments: assignments)
            report(result, live: live, json: json) { incident in
                let what = result.changed.isEmpty ? "nothing changed" : result.changed.joined(separator: ", ")
                return "Updated \(incident.document.id) (\(what))  \(incident.relativePath)"
            }
        }
    }
}

struct TemplatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates", abstract: "List, show or eject the stage templates.",
        discussion: """
            A file in the repo's templates/ overrides the built-in template of the same name. Add a stage by writing \
            templates/NAME.md and listing NAME under stages in .incident.yml.

            Examples:
              incident templates list
              incident templates show five-whys
              incident templates eject verify
            """,
        subcommands: [List.self, Show.self, Eject.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The templates in force and where each comes from.")
        @OptionGroup var globals: GlobalOptions
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            try Live.perform(globals) { live in
                let entries = try TemplatesWorkflow(workspace: try live.workspace()).list()
                if json {
                    live.json(.array(entries.map { $0.toValue() }))
                    return
                }
                func origin(_ entry: TemplatesWorkflow.Entry) -> String {
                    entry.origin + (entry.differsFromBuiltIn == true ? " (edited)" : "")
                }
                let width = max(28, (entries.map { origin($0).count }.max() ?? 0) + 2)
                for entry in entries {
                    let role = entry.name == "github-issue" ? "issue body" : entry.inStages ? "stage" : "unused"
                    var line =
                        entry.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + role.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + origin(entry).padding(toLength: width, withPad: " ", startingAt: 0)
                    if let problem = entry.problem {
                        line += live.paint("broken: \(problem)", 31)
                    } else {
                        line += entry.title + (entry.fields.isEmpty ? "" : " (\(entry.fields.joined(separator: ", ")))")
                    }
                    live.out(line)
                }
                if entries.contains(where: { $0.differsFromBuiltIn == true }) {
                    live.out(
                        "\n(edited): a local copy that differs from the built-in; it does not receive the built-in's fixes."
                    )
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a template as it is in force.")
        @Argument(help: "The template name, such as five-whys.") var name: String
        @OptionGroup var globals: GlobalOptions

        func run() throws {
            try Live.perform(globals) { live in
                live.out(try TemplatesWorkflow(workspace: try live.workspace()).show(name), terminator: "")
            }
        }
    }

    struct Eject: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy built-in templates into templates/ to edit them.",
            discussion: """
                A copy overrides the built-in and no longer receives its fixes after an upgrade, so eject only what \
                you change.

                Examples:
                  incident templates eject five-whys
                  incident templates eject            (every built-in)
                """)
        @Argument(help: "Templates to copy (default: all of them).") var names: [String] = []
        @Flag(help: "Overwrite templates that exist.") var force = false
        @OptionGroup var globals: GlobalOptions

        func run() throws {
            try Live.perform(globals) { live in
                let result = try TemplatesWorkflow(workspace: try live.workspace()).eject(names, force: force)
                for path in result.written { live.out("wrote  \(path)") }
                for path in result.kept { live.out("kept   \(path) (exists; --force overwrites)") }
            }
        }
    }
}
