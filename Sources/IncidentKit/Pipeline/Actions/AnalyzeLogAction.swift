import Foundation

/// `analyze-log`: analyses a log (SPEC "Log analysis") and gives the stage's section the
/// `analysis` the identify template renders. `new --from-log` runs it for identify; in any other
/// stage `advance --from-log FILE|-` (or MCP's `log` text) gives the log, and the stage's record
/// keeps a summary of what was found.
struct AnalyzeLogAction: StageAction {
    var kind: StageActionName { .analyzeLog }
    var note: String {
        "advance_incident needs the log to analyse: pass its text as `log`."
    }

    func run(_ context: inout StageActionContext) throws {
        guard let source = context.request.log else {
            throw IncidentError.gate(
                stage: context.template.name,
                missing: [
                    "log: give the log to analyse with `incident advance \(context.document.id) --from-log FILE` (- for standard input)"
                ])
        }
        let analysis = try context.workspace.logs.analyzeText(source, recordLineEvents: false)
        for (kind, count) in analysis.redactions { context.redactions[kind, default: 0] += count }
        var value = analysis.toValue()
        if let events = value["events"]?.array, events.count > 10 { value["events"] = .array(Array(events.prefix(10))) }
        context.analysis = value
        let primary = analysis.primary
        context.answers["analysis"] = [
            "source": .string(source.name), "title": .string(analysis.title),
            "severity": .string(analysis.severity.rawValue), "services": .strings(analysis.services),
            "primary": .optional(primary?.template), "occurrences": primary.map { .int($0.count) } ?? .null,
            "signature": .optional(primary?.signature), "fingerprint": .optional(analysis.fingerprint),
        ]
    }
}
