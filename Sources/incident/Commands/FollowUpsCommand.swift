import ArgumentParser
import Foundation
import IncidentKit

struct FollowUpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "followups",
        abstract: "Follow-ups across incidents (the tests and actions filed as issues), overdue first.",
        discussion: """
            A follow-up is an entry of a list declared `issue: true` in a stage template: the test plan's tests and \
            five-whys' actions. The state of each one last seen open is asked of GitHub and recorded (--offline shows \
            the states last recorded).

            Examples:
              incident followups --open
              incident followups --json | jq '.[] | select(.overdue)'
            """)

    @Flag(help: "Only follow-ups not closed on GitHub (including those not filed yet).") var open = false
    @Flag(help: "Ask GitHub nothing; show the states last recorded.") var offline = false
    @Flag(
        help:
            "Print [{incident, incident_title, path, key, stage, title, owner, due, overdue, blocking, filed, number, url, state}] as JSON."
    )
    var json = false
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    /// What the arguments ask of the workflow: only open follow-ups, and whether GitHub is asked.
    func request() -> (openOnly: Bool, refresh: Bool) { (open, !offline) }

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let request = request()
            let (rows, warnings) = try FollowUpsWorkflow(workspace: try live.workspace()).run(
                openOnly: request.openOnly, refresh: request.refresh
            ) { live.warn("skipped one file: \($0)") }
            for warning in warnings { live.warn(warning) }
            let now = live.env.now
            if json {
                live.json(.array(rows.map { $0.toValue(now: now) }))
                return
            }
            guard !rows.isEmpty else {
                live.out(
                    open ? "No open follow-ups." : "No follow-ups yet; they come from lists declared `issue: true`.")
                return
            }
            let table = rows.map { row -> [String] in
                let followUp = row.followUp
                let state =
                    row.overdue ? "overdue" : followUp.number == nil ? "not filed" : followUp.state ?? "open"
                return [
                    followUp.due ?? "-", state, followUp.number.map { "#\($0)" } ?? "-", followUp.owner ?? "-",
                    row.incident, followUp.title + (followUp.blocking ? "  [blocks verify]" : ""),
                ]
            }
            let header = ["DUE", "STATE", "ISSUE", "OWNER", "INCIDENT", "FOLLOW-UP"]
            var widths = header.map(\.count)
            for row in table {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { index, cell in
                    index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }
            live.out(live.paint(line(header), 1))
            for row in table {
                live.out(row[1] == "overdue" ? live.paint(line(row), 31) : line(row))
            }
        }
    }
}
