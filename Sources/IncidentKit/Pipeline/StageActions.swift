import Foundation
import OrderedCollections

/// The built-in automation a stage attaches with `action:`.
struct StageActions: Sendable {
    let workspace: Workspace

    /// `link-commits`: commits whose message names the incident id, newest first, as "abc1234 subject".
    func commits(naming id: String) -> [String] {
        guard
            let result = try? workspace.env.processes.run(
                ["git", "log", "--format=%h %s", "--fixed-strings", "--grep=\(id)"], in: workspace.root, timeout: 30),
            result.status == 0
        else { return [] }
        return result.output.split(separator: "\n").map(String.init)
    }

    /// `run-checks`: runs each check, returns one record per check and whether all passed.
    func runChecks(
        _ checks: [Config.Check], redactor: Redactor, counts: inout OrderedDictionary<String, Int>
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
                result = try workspace.env.processes.shell(check.run, in: workspace.root, timeout: limit)
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
