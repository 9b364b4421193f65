import ArgumentParser
import Foundation
import IncidentKit

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a log excerpt without starting an incident: the primary error, events, services, secrets.",
        discussion: """
            Reads plain, JSON-lines and logfmt logs, stack traces and .gz files, of any size.

            Examples:
              incident analyze app.log
              kubectl logs api-7f9 | incident analyze - --json | jq .primary
              incident analyze big.log.gz --events-out events.tsv
            """)

    @Argument(help: "A log file, or - for standard input.") var source: String
    @Flag(help: "Print the analysis as JSON.") var json = false
    @Option(
        name: .customLong("events-out"),
        help: ArgumentHelp("Write LINE<TAB>EVENT_ID for every input line.", valueName: "file"))
    var eventsOut: String?
    @OptionGroup var globals: GlobalOptions

    /// What the arguments ask of the workflow: the log (`-` is standard input) and where the events go.
    func request() -> (source: LogSource, eventsOut: String?) {
        (LogSource(argument: source), eventsOut)
    }

    func run() throws {
        try Live.perform(globals) { live in
            let request = request()
            let analysis = try AnalyzeWorkflow(workspace: try live.workspace()).run(
                source: request.source, eventsOut: request.eventsOut)
            if json {
                live.json(analysis.toValue())
            } else {
                live.out(AnalysisReport.render(analysis, color: live.color))
            }
            try live.finishOutput("the analysis was not printed in full")
        }
    }
}

/// The short human report of `incident analyze`.
enum AnalysisReport {
    static func render(_ analysis: LogAnalysis, color: Bool) -> String {
        func bold(_ text: String) -> String { Terminal.styled(text, 1) }
        var lines: [String] = []
        lines.append(bold(analysis.title))
        lines.append(
            "\(analysis.lines) lines, \(analysis.bytes) bytes, \(analysis.format); \(analysis.events.count) distinct events"
        )
        guard let primary = analysis.primary else { return lines.joined(separator: "\n") }
        lines.append("")
        lines.append("\(bold("Primary error")) (\(primary.severity.rawValue), \(primary.count)×)")
        lines.append("  \(primary.example)")
        if let first = primary.firstSeen, let last = primary.lastSeen {
            var when = "  \(Time.format(first)) → \(Time.format(last))"
            if let interval = analysis.intervalSeconds { when += ", about every \(interval) s" }
            lines.append(when)
        }
        let spark = Sparkline.render(primary.times, width: 40)
        if !spark.isEmpty { lines.append("  \(spark)") }
        if let environment = analysis.environment { lines.append("\(bold("Environment")): \(environment)") }
        if !analysis.services.isEmpty {
            lines.append("\(bold("Services")): \(analysis.services.joined(separator: ", "))")
        }
        if !analysis.sourceLocations.isEmpty {
            lines.append("\(bold("Sources")): \(analysis.sourceLocations.joined(separator: ", "))")
        }
        if !analysis.warnings.isEmpty {
            lines.append(bold("Config warnings") + ":")
            for warning in analysis.warnings { lines.append("  - \(warning)") }
        }
        if !analysis.redactions.isEmpty {
            lines.append(
                "\(bold("Redacted")): " + analysis.redactions.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        lines.append("")
        lines.append(bold("Top events"))
        for event in analysis.events.prefix(8) {
            let count = String(event.count).padding(toLength: 7, withPad: " ", startingAt: 0)
            let severity = event.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            lines.append("  \(count)\(severity)\(event.template.prefix(100))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Occurrences over time as a row of block characters.
enum Sparkline {
    static func render(_ times: [Date], width: Int) -> String {
        guard let first = times.min(), let last = times.max(), times.count > 1, last > first else { return "" }
        var buckets = [Int](repeating: 0, count: width)
        let span = last.timeIntervalSince(first)
        for time in times {
            let index = min(width - 1, Int(time.timeIntervalSince(first) / span * Double(width)))
            buckets[index] += 1
        }
        let bars = Array(" ▁▂▃▄▅▆▇█")
        let peak = buckets.max() ?? 1
        return String(buckets.map { $0 == 0 ? bars[0] : bars[max(1, $0 * 8 / peak)] })
    }
}
