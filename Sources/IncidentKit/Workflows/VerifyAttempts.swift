import Foundation
import OrderedCollections

/// What `advance` adds to the record besides the section: a timeline row per stage, and each verify
/// run kept as an attempt (failed ones included) under `verify_attempts`.
enum WorkRecord {
    /// A timeline row for a completed or skipped stage; the fix stage names the commits it linked.
    static func stageDone(
        _ document: inout IncidentDocument, stage: String, skipped: Bool, answers: Answers, at date: Date
    ) {
        var text = skipped ? "stage \(stage) skipped" : "stage \(stage) completed"
        let commits = answers["commits"]?.array?.compactMap(\.string) ?? []
        if !commits.isEmpty {
            let shas = commits.map { String($0.split(separator: " ").first ?? "") }.prefix(5)
            text += "; commits linked: " + shas.joined(separator: ", ")
        }
        Timeline.record(&document, at: date, text)
        if document.status == Status.resolved.rawValue {
            Timeline.setMilestone(&document, "resolved", date, keep: true)
        }
    }

    /// Appends one verify run: when, whether it passed, and each check's result, exit status and duration.
    static func attempt(_ document: inout IncidentDocument, checks: [Value], passed: Bool, at date: Date) {
        var attempts = document.fields["verify_attempts"]?.array ?? []
        let summary = checks.map { check -> Value in
            [
                "name": check["name"] ?? .null, "result": check["result"] ?? .null,
                "exit_status": check["exit_status"] ?? .null, "duration_seconds": check["duration_seconds"] ?? .null,
            ]
        }
        attempts.append([
            "at": .string(Time.format(date)), "number": .int(attempts.count + 1),
            "result": .string(passed ? "passed" : "failed"), "checks": .array(summary),
        ])
        document.fields["verify_attempts"] = .array(attempts)
        let failed = checks.filter { $0["result"]?.string != "passed" }.compactMap { $0["name"]?.string }
        Timeline.record(
            &document, at: date,
            passed
                ? "checks passed (attempt \(attempts.count), \(checks.count) check\(checks.count == 1 ? "" : "s"))"
                : "checks failed (attempt \(attempts.count): \(failed.joined(separator: ", ")))")
    }
}
