import ArgumentParser
import Foundation
import IncidentKit

struct CloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close", abstract: "End an incident outside the pipeline: a false alarm, a duplicate, won't fix.",
        discussion: """
            A filed GitHub issue is closed too, with a comment saying why: as not planned for a false alarm or won't \
            fix, as a duplicate ("Duplicate of #N") for a duplicate. A failed update is kept in the incident and sent \
            by `incident sync`.

            Examples:
              incident close inc-7f3a2c --reason false-alarm
              incident close latest --reason duplicate --duplicate-of inc-k2m4p6
            """)

    @Argument(help: "The incident.", completion: .custom(Completions.incidents)) var ref: String
    @Option(help: "false-alarm, duplicate or wont-fix.") var reason: String
    @Option(
        name: .customLong("duplicate-of"), help: ArgumentHelp("The incident this one duplicates.", valueName: "ref"))
    var duplicateOf: String?
    @Flag(help: "Print {id, path, status, stage, synced, pending_updates, sync_warning} as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let result = try LifecycleWorkflow(workspace: try live.workspace()).close(
                ref, reason: reason, duplicateOf: duplicateOf)
            report(result, live: live, json: json) { incident in
                "Closed \(incident.document.id) (\(reason))  \(incident.relativePath)"
            }
        }
    }
}

struct ReopenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen", abstract: "Reopen a closed or resolved incident at its first unfinished stage.",
        discussion: """
            A filed GitHub issue is reopened too, with a comment. When every stage was done, the last one is asked \
            again, and its section is replaced when it is written.

            Examples:
              incident reopen inc-7f3a2c
              incident reopen latest --json
            """)

    @Argument(help: "The incident.", completion: .custom(Completions.incidents)) var ref: String
    @Flag(help: "Print {id, path, status, stage, synced, pending_updates, sync_warning} as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var github: GitHubOptions

    func run() throws {
        try Live.perform(globals, github: github) { live in
            let result = try LifecycleWorkflow(workspace: try live.workspace()).reopen(ref)
            report(result, live: live, json: json) { incident in
                "Reopened \(incident.document.id) at stage \(incident.document.stage)  \(incident.relativePath)"
            }
        }
    }
}

/// The result of close, reopen or set: a line, what reached GitHub, and a warning when something did not.
func report(_ result: LifecycleResult, live: Live, json: Bool, line: (LoadedIncident) -> String) {
    if let warning = result.syncWarning { live.warn(warning) }
    if json {
        live.json(result.toValue())
        return
    }
    live.out(line(result.incident))
    for sent in result.synced { live.out("  GitHub: \(sent)") }
}

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check every incident file, template and the config; exit 1 on a problem.",
        discussion: """
            Reports, among others: front-matter that does not parse, unknown stages, duplicate ids, a stage marker \
            that appears twice, control characters in a file, and GitHub updates still pending. Nothing is changed.

            Examples:
              incident doctor
              incident doctor --json
            """)

    @Flag(
        help:
            "Print {checked, problems: [{file, message}], warnings: [{file, message}]} as JSON; warnings (blameful wording) do not fail the check."
    ) var json = false
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
            let result = try DoctorWorkflow(workspace: try live.workspace()).run()
            let (checked, problems, warnings) = (result.checked, result.problems, result.warnings)
            if json {
                live.json(result.toValue())
            } else {
                for warning in warnings { live.warn("\(warning.file): \(warning.message)") }
                if problems.isEmpty {
                    live.out("\(checked) files checked; no problems.")
                } else {
                    for problem in problems { live.out("\(problem.file): \(problem.message)") }
                    live.out("\(checked) files checked; \(problems.count) problem\(problems.count == 1 ? "" : "s").")
                }
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Counts, time to resolve and time per stage, by severity and service.",
        discussion: """
            Two clocks: the time to resolve and the time per stage run from the record's opening (the team's \
            work; median_hours_to_resolve in --json); the time to detect, mitigate and resolve (TTD, TTM, TTR; \
            time_to in --json) runs from the failure's start (the earliest time its log shows, else the opening) to each milestone \
            (`incident set REF detected=… mitigated=… resolved=…`).

            Examples:
              incident stats
              incident stats --json
            """)

    @Option(help: ArgumentHelp("Only incidents created since a date, a time or an age (30d).", valueName: "when"))
    var since: String?
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions

    func validate() throws { if let since { _ = try parseSince(since, now: Date()) } }

    /// The date --since names; `now` dates an age such as 30d.
    func sinceDate(now: Date) throws -> Date? { try since.map { try parseSince($0, now: now) } }

    func run() throws {
        try Live.perform(globals) { live in
            ProcessTuning.expectManyAllocations()
            let workflow = StatsWorkflow(workspace: try live.workspace())
            let incidents = try workflow.incidents(since: try sinceDate(now: live.env.now))
            live.keepUntilExit(incidents)
            let stats = workflow.summary(of: incidents)
            if json {
                live.json(stats)
                return
            }
            func list(_ value: Value?) -> String {
                (value?.object ?? [:]).map { "\($0.key) \($0.value.int ?? 0)" }.joined(separator: ", ")
            }
            let count = stats["incidents"]?.int ?? 0
            live.out("\(count) incident\(count == 1 ? "" : "s"): \(list(stats["by_status"]))")
            live.out("By severity: \(list(stats["by_severity"]))")
            if !(stats["by_service"]?.object ?? [:]).isEmpty { live.out("By service: \(list(stats["by_service"]))") }
            // Two clocks: this one runs from the record's opening (the team's work); the chart's
            // TTD/TTM/TTR from the failure's first sign in the log (what users lived through).
            if let hours = stats["median_hours_to_resolve"]?.numeric {
                live.out("Median time to resolve, from the record's opening: \(hours) h")
            }
            for (stage, hours) in stats["median_hours_per_stage"]?.object ?? [:] {
                if let value = hours.numeric { live.out("  \(stage): median \(value) h") }
            }
            for line in statsChart(stats) { live.out(line) }
        }
    }
}

/// A terminal bar chart of incidents by severity and by service, each bar with its median times to
/// detect, mitigate and resolve; then the recurrence rate and open follow-ups.
func statsChart(_ stats: Value) -> [String] {
    var lines: [String] = []
    func times(_ value: Value?) -> String {
        let parts = [("detect", "TTD"), ("mitigate", "TTM"), ("resolve", "TTR")].compactMap { key, short -> String? in
            value?["median_hours_to_\(key)"]?.numeric.map { "\(short) \($0) h" }
        }
        return parts.joined(separator: " · ")
    }
    for (title, counts, timesKey) in [
        ("severity", stats["by_severity"], "time_to_by_severity"),
        ("service", stats["by_service"], "time_to_by_service"),
    ] {
        let rows = counts?.object ?? [:]
        guard let most = rows.values.compactMap(\.int).max(), most > 0 else { continue }
        let width = rows.keys.map(\.count).max() ?? 0
        lines.append("")
        lines.append("Incidents by \(title) (median hours from the failure's start to detect, mitigate, resolve):")
        for (name, value) in rows {
            let count = value.int ?? 0
            let bar = String(repeating: "█", count: max(1, count * 30 / most))
            let detail = times(stats[timesKey]?[name])
            lines.append(
                "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(bar) \(count)"
                    + (detail.isEmpty ? "" : "   " + detail))
        }
    }
    let overall = times(stats["time_to"])
    if !overall.isEmpty { lines.append("Median over all: " + overall) }
    if let rate = stats["recurrence_rate"]?.numeric {
        lines.append(
            "Recurrences: \(stats["recurrences"]?.int ?? 0) (\(Int((rate * 100).rounded()))% of incidents repeat a resolved one)"
        )
    }
    if let open = stats["open_followups"]?.int {
        lines.append(
            "Open follow-ups: \(open)\((stats["overdue_followups"]?.int ?? 0) > 0 ? ", \(stats["overdue_followups"]!.int!) overdue" : "")"
        )
    }
    return lines
}
