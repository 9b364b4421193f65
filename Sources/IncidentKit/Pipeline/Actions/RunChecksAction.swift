import Foundation
import OrderedCollections

/// `run-checks`: runs the configured checks (or `--check` commands), each in its own process group
/// with its timeout; records exit status, duration and a redacted output tail. Only a passing run
/// completes the stage; a failed run is kept as an attempt. A review the config requires, and
/// blocking follow-ups still open, come first.
struct RunChecksAction: StageAction {
    var kind: StageActionName { .runChecks }
    var note: String {
        "advance_incident runs the checks configured in .incident.yml (verify.checks); a failing check is a gate failure."
    }

    func run(_ context: inout StageActionContext) throws {
        let workspace = context.workspace
        let stage = context.template.name
        let unreviewed = ReviewWorkflow.gate(context.document, config: workspace.config, stage: stage)
        if !unreviewed.isEmpty { throw IncidentError.gate(stage: stage, missing: unreviewed) }
        let blocking = try FollowUps(workspace: workspace).blockingOpen(context.document)
        if !blocking.isEmpty { throw IncidentError.gate(stage: stage, missing: blocking) }
        let checks = workspace.config.resolvedChecks(flags: context.request.checks)
        guard !checks.isEmpty else {
            throw IncidentError.gate(
                stage: stage,
                missing: ["checks: none configured; add verify.checks to \(Config.fileName) or pass --check CMD"])
        }
        let (records, passed) = try Self.run(
            checks, workspace: workspace, redactor: context.redactor, counts: &context.redactions)
        guard passed else {
            let failed = records.filter { $0["result"]?.string != "passed" }.map { record in
                let name = record["name"]?.string ?? ""
                let how =
                    record["result"]?.string == "timed out"
                    ? "timed out after \(record["timeout_seconds"]?.string ?? "?") s (it and every process it started were killed)"
                    : "\(record["result"]?.string ?? "failed") with exit status \(record["exit_status"]?.int ?? -1)"
                return "check '\(name)' \(how):\n"
                    + (record["output_tail"]?.string ?? "").split(separator: "\n").suffix(10).map { "      \($0)" }
                    .joined(separator: "\n")
            }
            // The failed run is kept (an attempt in the record), though the stage does not complete;
            // a preview writes nothing.
            guard !context.request.preview else { throw IncidentError.gate(stage: stage, missing: failed) }
            let loaded = try workspace.store.resolve(context.document.id)
            var attempted = loaded.document
            WorkRecord.attempt(&attempted, checks: records, passed: false, at: workspace.env.now)
            _ = try workspace.store.save(loaded, document: attempted)
            throw IncidentError.gate(stage: stage, missing: failed)
        }
        context.answers["checks"] = .array(records)
        WorkRecord.attempt(&context.document, checks: records, passed: true, at: workspace.env.now)
    }

    /// Runs each check; one record per check and whether all passed.
    static func run(
        _ checks: [Config.Check], workspace: Workspace, redactor: Redactor, counts: inout OrderedDictionary<String, Int>
    ) throws
        -> (records: [Value], passed: Bool)
    {
        var records: [Value] = []
        var passed = true
        for check in checks {
            workspace.env.diagnostics("running check '\(check.name)': \(check.run)")
            let limit = check.timeout ?? 600
            let result: ProcessResult
            do {
                // On a terminal the output shows as it comes, line by line (made safe by diagnostics).
                let lines = workspace.env.progress == nil ? nil : LiveLines(workspace.env.diagnostics)
                result = try workspace.env.processes.shell(
                    check.run, in: workspace.root, timeout: limit,
                    live: lines.map { lines in { @Sendable chunk in lines.feed(chunk) } })
                lines?.finish()
            } catch {
                throw IncidentError.failure("could not start check '\(check.name)' (\(check.run)): \(error).")
            }
            let ok = result.status == 0 && !result.timedOut
            passed = passed && ok
            let tail = result.output.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).joined(
                separator: "\n")
            var record: OrderedDictionary<String, Value> = [
                "name": .string(check.name), "run": .string(check.run),
                "result": .string(result.timedOut ? "timed out" : ok ? "passed" : "failed"),
                "exit_status": .int(Int(result.status)),
                "duration_seconds": .double((result.duration * 10).rounded() / 10),
                "output_tail": .string(
                    redactor.redact(tail.trimmingCharacters(in: .whitespacesAndNewlines), counts: &counts)),
            ]
            if result.timedOut {
                record["timeout_seconds"] = limit == limit.rounded() ? .int(Int(limit)) : .double(limit)
            }
            records.append(.object(record))
        }
        return (records, passed)
    }
}

/// Output split into lines as it arrives, each shown indented.
final class LiveLines: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = Data()
    private let show: @Sendable (String) -> Void

    init(_ show: @escaping @Sendable (String) -> Void) { self.show = show }

    func feed(_ chunk: Data) {
        lock.withLock {
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<newline]
                pending.removeSubrange(pending.startIndex...newline)
                show("  | " + String(decoding: line, as: UTF8.self))
            }
        }
    }

    func finish() {
        lock.withLock {
            if !pending.isEmpty { show("  | " + String(decoding: pending, as: UTF8.self)) }
            pending.removeAll()
        }
    }
}
