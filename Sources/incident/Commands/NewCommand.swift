import ArgumentParser
import IncidentKit

struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start an incident from a log excerpt (or a title) and complete its identify stage.",
        discussion: """
            The log is analysed: the primary error, its severity, occurrences, services, source and config warnings; \
            secrets are redacted before anything is written. A log whose error matches an open incident is added to it \
            instead (--no-dedupe opts out).

            Examples:
              kubectl logs api-7f9 | incident new --from-log - --env staging
              incident new --from-log app.log --severity high --service redis
              incident new --title "Checkout latency over SLO" --severity medium
            """)

    @Option(
        name: .customLong("from-log"), help: ArgumentHelp("A log file, or - for standard input.", valueName: "file"))
    var fromLog: String?

    @Option(help: "The title; default: suggested from the log.")
    var title: String?

    @Option(help: "critical, high, medium or low; default: from the log.")
    var severity: Severity?

    @Option(help: ArgumentHelp("The environment, such as staging or production.", valueName: "name"))
    var env: String?

    @Option(name: .customLong("service"), help: ArgumentHelp("An affected service (repeatable).", valueName: "name"))
    var services: [String] = []

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Answer an identify field, such as impact=TEXT (repeatable).", valueName: "id=value"))
    var sets: [String] = []

    @Flag(
        name: .customLong("no-dedupe"), help: "Always start a new incident, even when an open one has the same error.")
    var noDedupe = false

    @Option(
        name: .customLong("suspect-window"),
        help: ArgumentHelp(
            "How far before the first error to look for suspect commits: hours, or 30m, 12h, 2d (default 24h).",
            valueName: "age"))
    var suspectWindow: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    @OptionGroup var globals: GlobalOptions

    func validate() throws {
        if let title, title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError(
                "--title is blank; give the incident a title, or leave --title out to have one suggested from the log.")
        }
        _ = try suspectWindow.map(parseHours)
    }

    func request() throws -> NewIncidentRequest {
        var request = NewIncidentRequest()
        request.fromLog = fromLog.map(LogSource.init(argument:))
        request.title = title
        request.severity = severity
        request.environment = env
        request.services = services
        request.sets = sets
        request.noDedupe = noDedupe
        request.suspectWindowHours = try suspectWindow.map(parseHours)
        return request
    }

    func run() throws {
        try Live.perform(globals) { live in
            let result = try NewIncidentWorkflow(workspace: try live.workspace()).run(try request())
            let document = result.incident.document
            if let previous = result.regressionOf {
                let seen = result.seenBefore
                live.warn(
                    "seen before: \(previous) (\(seen?["match"]?.string ?? "same fingerprint")) was resolved; the failure is back. Recorded as recurrence_of: \(previous)."
                )
                if let cause = seen?["root_cause"]?.string { live.err("  root cause then: \(cause)") }
                if let fix = seen?["fix"]?.string { live.err("  fix then: \(fix)") }
                if document.fields["review"]?["required"] == .bool(true) {
                    live.err("  review required: \(document.fields["review"]?["reason"]?.string ?? "a repeat")")
                }
            }
            if result.deduplicated {
                // What describes a new incident does not change the open one the log was added to.
                let given = [
                    ("--title", title != nil), ("--severity", severity != nil), ("--env", env != nil),
                    ("--service", !services.isEmpty), ("--set", !sets.isEmpty),
                ].filter(\.1).map(\.0)
                if !given.isEmpty {
                    live.warn(
                        "\(given.joined(separator: ", ")) not applied: the log went to the open incident \(document.id) (same error); change it with `incident set \(document.id) …`, or start a new one with --no-dedupe."
                    )
                }
            }
            if json {
                live.json(result.toValue())
            } else {
                if result.deduplicated && result.newOccurrences == 0 {
                    live.out(
                        "No new occurrences: \(document.id) already has this log up to \(document.fields["last_seen"]?.string ?? "its last entry")  \(result.incident.relativePath)"
                    )
                } else if result.deduplicated {
                    live.out(
                        "Added \(result.newOccurrences) occurrence\(result.newOccurrences == 1 ? "" : "s") to open incident \(document.id)  \(result.incident.relativePath)"
                    )
                    live.out(
                        "  same error as before; \(occurrences(document.fields["occurrences"]?.int ?? 0))"
                            + (document.fields["last_seen"]?.string.map { ", last seen \($0)" } ?? "")
                    )
                } else {
                    live.out("Created \(live.paint(document.id, 1))  \(result.incident.relativePath)")
                    live.out("  \(document.title)")
                    var facts = ["severity \(document.severity)"]
                    if let count = document.fields["occurrences"]?.int { facts.append(occurrences(count)) }
                    if !document.services.isEmpty {
                        facts.append("services \(document.services.joined(separator: ", "))")
                    }
                    if let environment = document.fields["environment"]?.string { facts.append(environment) }
                    live.out("  " + facts.joined(separator: " · "))
                }
                if !result.redactions.isEmpty {
                    live.out("  redacted: " + result.redactions.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
                }
                if document.status == "open" {
                    live.out("Next: incident advance \(document.id)   (stage \(document.stage))")
                }
            }
            try live.finishOutput(
                "\(document.id) was saved in \(result.incident.relativePath), but what was printed about it is incomplete"
            )
        }
    }
}

/// `24`, `90m`, `12h`, `2d` as hours; anything else is a usage error.
func parseHours(_ text: String) throws -> Double {
    let units: [Character: Double] = ["m": 1.0 / 60, "h": 1, "d": 24]
    var number = Substring(text)
    var scale = 1.0
    if let last = text.last, let unit = units[last] {
        number = number.dropLast()
        scale = unit
    }
    guard let value = Double(number), value > 0, value.isFinite else {
        throw ValidationError("--suspect-window '\(text)' is not a positive number of hours, or 30m, 12h, 2d.")
    }
    return value * scale
}

/// "1 occurrence", "7 occurrences".
func occurrences(_ count: Int) -> String { count == 1 ? "1 occurrence" : "\(count) occurrences" }
