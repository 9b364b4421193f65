import ArgumentParser
import Foundation
import IncidentKit

struct CloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close", abstract: "End an incident outside the pipeline: a false alarm, a duplicate, won't fix.",
        discussion: """
            A filed GitHub issue is closed too, with a comment saying why: as not planned for a false
            alarm or won't fix, as a duplicate ("Duplicate of #N") for a duplicate. A failed update is
            kept in the incident and sent by `incident sync`.

            Examples:
              incident close inc-7f3a2c --reason false-alarm
              incident close latest --reason duplicate --duplicate-of inc-k2m4p6
            """)

    @Argument(help: "The incident.") var ref: String
    @Option(help: "false-alarm, duplicate or wont-fix.") var reason: String
    @Option(
        name: .customLong("duplicate-of"), help: ArgumentHelp("The incident this one duplicates.", valueName: "ref"))
    var duplicateOf: String?
    @Flag(help: "Print {id, path, status, stage, synced, pending_updates, sync_warning} as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
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
        discussion: "A filed GitHub issue is reopened too, with a comment.")

    @Argument(help: "The incident.") var ref: String
    @Flag(help: "Print {id, path, status, stage, synced, pending_updates, sync_warning} as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
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
        commandName: "doctor", abstract: "Check every incident file, template and the config; exit 1 on a problem.")

    @Flag(help: "Print {checked, problems: [{file, message}]} as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions

    func run() throws {
        try Live.perform(globals) { live in
            let result = try DoctorWorkflow(workspace: try live.workspace()).run()
            let (checked, problems) = (result.checked, result.problems)
            if json {
                live.json(result.toValue())
            } else if problems.isEmpty {
                live.out("\(checked) files checked; no problems.")
            } else {
                for problem in problems { live.out("\(problem.file): \(problem.message)") }
                live.out("\(checked) files checked; \(problems.count) problem\(problems.count == 1 ? "" : "s").")
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Counts, time to resolve and time per stage, by severity and service.")

    @Option(help: ArgumentHelp("Only incidents created since a date, a time or an age (30d).", valueName: "when"))
    var since: String?
    @Flag(help: "Print as JSON.") var json = false
    @OptionGroup var globals: GlobalOptions

    func validate() throws { if let since { _ = try parseSince(since, now: Date()) } }

    func run() throws {
        try Live.perform(globals) { live in
            let stats = try StatsWorkflow(workspace: try live.workspace()).run(
                since: try since.map { try parseSince($0, now: live.env.now) })
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
            if let hours = stats["median_hours_to_resolve"]?.numeric { live.out("Median time to resolve: \(hours) h") }
            for (stage, hours) in stats["median_hours_per_stage"]?.object ?? [:] {
                if let value = hours.numeric { live.out("  \(stage): median \(value) h") }
            }
        }
    }
}
