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
