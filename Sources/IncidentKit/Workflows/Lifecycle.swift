import Foundation
import OrderedCollections

/// What `incident close`, `reopen` or `set` did: the incident as saved and what reached its issue.
public struct LifecycleResult: Sendable {
    public var incident: LoadedIncident
    /// What was sent to the GitHub issue, one line each.
    public var synced: [String] = []
    /// Set when the change is saved but an update to the issue failed (`incident sync` retries).
    public var syncWarning: String?
    /// With `set`: the keys that changed.
    public var changed: [String] = []

    public func toValue() -> Value {
        let document = incident.document
        var fields: OrderedDictionary<String, Value> = [
            "id": .string(document.id), "path": .string(incident.relativePath), "status": .string(document.status),
            "stage": .string(document.stage),
        ]
        if !changed.isEmpty { fields["changed"] = .strings(changed) }
        fields["synced"] = .strings(synced)
        fields["pending_updates"] = .strings(GitHubSync.owed(document))
        fields["sync_warning"] = .optional(syncWarning)
        return .object(fields)
    }
}

/// `incident close` and `incident reopen`: ending an incident outside the pipeline, and undoing that.
/// A filed issue follows: closed as not planned or duplicate with a comment, reopened with one.
public struct LifecycleWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public static let reasons = ["false-alarm", "duplicate", "wont-fix"]

    public func close(_ ref: String, reason: String, duplicateOf: String?) throws -> LifecycleResult {
        guard Self.reasons.contains(reason) else {
            throw IncidentError.usage("--reason '\(reason)' is not one of \(Self.reasons.joined(separator: ", ")).")
        }
        if reason == "duplicate" && duplicateOf == nil {
            throw IncidentError.usage("--reason duplicate needs --duplicate-of REF naming the incident it duplicates.")
        }
        if reason != "duplicate" && duplicateOf != nil {
            throw IncidentError.usage("--duplicate-of goes with --reason duplicate.")
        }
        let incident = try workspace.store.resolve(ref)
        var update = GitHubUpdate(.close)
        update.reason = reason
        if let duplicateOf {
            let other = try workspace.store.resolve(duplicateOf)
            guard other.document.id != incident.document.id else {
                throw IncidentError.usage("an incident cannot duplicate itself (\(incident.document.id)).")
            }
            update.duplicateOf = other.document.id
            update.duplicateIssue = Self.reference(to: other.document, from: incident.document)
        }
        var document = incident.document
        guard document.status == Status.open.rawValue else {
            throw IncidentError.failure(
                "\(document.id) is already \(document.status); `incident reopen \(document.id)` reopens it.")
        }
        document.fields["status"] = "closed"
        document.fields["stage"] = "closed"
        var closed: OrderedDictionary<String, Value> = [
            "at": .string(Time.format(workspace.env.now)), "reason": .string(reason),
        ]
        if let original = update.duplicateOf { closed["duplicate_of"] = .string(original) }
        document.fields["closed"] = .object(closed)
        Timeline.record(&document, at: workspace.env.now, "closed (\(reason))")
        let sync = GitHubSync(workspace: workspace)
        sync.enqueue([update], in: &document)
        let saved = try workspace.store.save(incident, document: document)
        let outcome = sync.flush(saved, saved: "the incident is closed")
        return LifecycleResult(incident: outcome.incident, synced: outcome.sent, syncWarning: outcome.warning)
    }

    /// How the issue of `original` is written in a comment on `incident`'s issue: `#12` in the same
    /// repo, `owner/name#12` in another, nil without one.
    static func reference(to original: IncidentDocument, from incident: IncidentDocument) -> String? {
        guard let number = original.fields["github"]?["number"]?.int,
            let repo = original.fields["github"]?["repo"]?.string
        else { return nil }
        return repo == incident.fields["github"]?["repo"]?.string ? "#\(number)" : "\(repo)#\(number)"
    }

    /// Reopens at the first stage in the order that is neither completed nor skipped.
    public func reopen(_ ref: String) throws -> LifecycleResult {
        let incident = try workspace.store.resolve(ref)
        var document = incident.document
        guard document.status != Status.open.rawValue else {
            throw IncidentError.failure("\(document.id) is already open (stage \(document.stage)).")
        }
        let done = document.stages
        let next = try workspace.stageOrder().first { done[$0] == nil } ?? workspace.stageOrder().last!
        if done[next] != nil {
            // Every stage is done: reopening starts the last one again. Its section's hash is kept,
            // so that running the stage again still notices a hand edit before replacing it.
            var stages = done
            let hash = stages[next]?["section_hash"]
            stages.removeValue(forKey: next)
            document.fields["stages"] = .object(stages)
            if let hash { document.fields["reopened_section_hash"] = .object([next: hash]) }
        }
        document.fields["status"] = "open"
        document.fields["stage"] = .string(next)
        // An open incident has no close ({at, reason} beside status: open said two things); the
        // timeline keeps both the close and the reopening.
        document.fields["closed"] = nil
        document.fields["reopened"] = .string(Time.format(workspace.env.now))
        Timeline.record(&document, at: workspace.env.now, "reopened at stage \(next)")
        let sync = GitHubSync(workspace: workspace)
        var pending = GitHubSync.pending(document)
        if let last = pending.last, last.kind == .close, !last.commented {
            // The close never reached GitHub: the issue is still open, so there is nothing to reopen.
            pending.removeLast()
            sync.setPending(pending, in: &document)
        } else {
            sync.enqueue([GitHubUpdate(.reopen)], in: &document)
        }
        let saved = try workspace.store.save(incident, document: document)
        let outcome = sync.flush(saved, saved: "the incident is reopened")
        return LifecycleResult(incident: outcome.incident, synced: outcome.sent, syncWarning: outcome.warning)
    }
}

/// `incident doctor`: every incident file, template and the config, checked; nothing is changed.
public struct DoctorWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public struct Problem: Sendable {
        public var file: String
        public var message: String
    }

    /// What was checked and what is wrong; warnings (blameful wording) do not fail the check.
    public struct Result: Sendable {
        public var checked: Int
        public var problems: [Problem]
        public var warnings: [Problem] = []

        /// `{checked, problems: [{file, message}], warnings: [{file, message}]}`.
        public func toValue() -> Value {
            func list(_ items: [Problem]) -> Value {
                .array(items.map { ["file": .string($0.file), "message": .string($0.message)] })
            }
            return ["checked": .int(checked), "problems": list(problems), "warnings": list(warnings)]
        }
    }

    /// Warnings that do not fail the check: blameful wording in recorded answers, one line each.
    public func warnings() throws -> [Problem] {
        var result: [Problem] = []
        for incident in try workspace.store.loadAll(problem: { _ in }) {
            for (stage, answers) in incident.document.stageAnswers {
                for warning in Blameless.warnings(in: answers.object ?? [:], document: incident.document) {
                    result.append(Problem(file: incident.relativePath, message: "\(stage).\(warning)"))
                }
            }
        }
        return result
    }

    /// Checks everything; the warnings are those `warnings()` finds (none when it cannot look).
    public func run() throws -> Result {
        var problems: [Problem] = []
        var checked = 0
        var order: [String] = []
        do {
            order = try workspace.stageOrder()
        } catch {
            problems.append(Problem(file: Config.fileName, message: "\(error)"))
        }
        // What `new` and `analyze` load first: a redaction pattern that is no regex, a signature
        // file that does not load, fails them; doctor says so before they do.
        do {
            _ = try Redactor(config: workspace.config)
        } catch {
            problems.append(Problem(file: Config.fileName, message: "\(error)"))
        }
        do {
            _ = try SignatureCatalog.load(root: workspace.root, fileSystem: workspace.env.fileSystem)
        } catch {
            problems.append(Problem(file: SignatureCatalog.fileName, message: "\(error)"))
        }
        for name in try workspace.templates.names() {
            checked += 1
            do {
                if name == "github-issue" {
                    if let source = try workspace.templates.source(named: name) {
                        let (header, body) = try TemplateFile.split(source.text, origin: source.origin)
                        _ = try Renderer.render(
                            body + (header["title"]?.string ?? ""), context: [:], origin: source.origin)
                    }
                } else {
                    let template = try workspace.templates.stage(name)
                    _ = try Renderer.render(template.body, context: [:], origin: template.origin)
                }
            } catch {
                problems.append(Problem(file: "templates/\(name).md", message: "\(error)"))
            }
        }
        var ids: [String: String] = [:]
        let names = try workspace.store.fileNames()
        for name in names {
            checked += 1
            let path = workspace.store.folder + "/" + name
            let relative = workspace.store.relative(path)
            let incident: LoadedIncident
            do {
                incident = try workspace.store.load(path: path)
            } catch {
                problems.append(Problem(file: relative, message: "\(error)"))
                continue
            }
            let document = incident.document
            func problem(_ message: String) { problems.append(Problem(file: relative, message: message)) }
            if document.id.range(of: "^inc-[0-9a-z]{6}$", options: .regularExpression) == nil {
                problem("id '\(document.id)' is not inc- and 6 characters of [0-9a-z].")
            } else if let other = ids[document.id] {
                problem("id \(document.id) is also used by \(other); give one of them a new id.")
            }
            ids[document.id] = relative
            if document.title.isEmpty { problem("has no title.") }
            var seen: [String: Int] = [:]
            for section in document.sectionRanges() where section.kind == .stage { seen[section.name, default: 0] += 1 }
            for (stage, count) in seen.sorted(by: { $0.key < $1.key }) where count > 1 {
                problem(
                    "has \(count) sections marked <!-- incident:stage \(stage) -->; keep one (the tool writes to the last)."
                )
            }
            // Control bytes (C0 but tab and line ends, and DEL): a terminal acts on them.
            var line = 1
            for (index, byte) in incident.original.enumerated() {
                if byte == 0x0A { line += 1 }
                let lineEnd =
                    byte == 0x0D && index + 1 < incident.original.count
                    && incident.original[incident.original.index(incident.original.startIndex, offsetBy: index + 1)]
                        == 0x0A
                if (byte < 0x20 && byte != 0x09 && byte != 0x0A && !lineEnd) || byte == 0x7F {
                    let shown = byte == 0x7F ? "^?" : "^" + String(UnicodeScalar(byte + 0x40))
                    problem("line \(line) holds a control character (\(shown)); a terminal would act on it.")
                    break
                }
            }
            if Severity(rawValue: document.severity) == nil {
                problem("severity '\(document.severity)' is not one of critical, high, medium, low.")
            }
            if Status(rawValue: document.status) == nil {
                problem("status '\(document.status)' is not one of open, resolved, closed.")
            }
            if !order.isEmpty, !(order + ["resolved", "closed"]).contains(document.stage) {
                problem("stage '\(document.stage)' is not in the stages of \(Config.fileName).")
            }
            if !order.isEmpty {
                for sentence in StageDrift.of(document, order: order).sentences(id: document.id, stage: document.stage)
                {
                    problem(sentence)
                }
            }
            if document.created == nil { problem("created is missing or not an RFC 3339 time.") }
            if let github = document.fields["github"] {
                if github["pending"] != nil, github["number"] == nil {
                    problem(
                        "a GitHub issue creation did not finish; run `incident issue \(document.id)` (it looks for the issue first)."
                    )
                }
                for (key, record) in github["followups"]?.object ?? [:] where record["number"] == nil {
                    problem(
                        "follow-up issue \(key) is not filed yet (recorded \((record["pending"] ?? record["queued"])?.string ?? "earlier")); `incident sync` files it."
                    )
                }
                for update in GitHubSync.pending(document) {
                    let failed = update.error.map { "; it failed: \($0)" } ?? ""
                    problem(
                        "a GitHub update is pending (\(update.summary), since \(update.queued ?? "an earlier run")\(failed)); `incident sync` sends it."
                    )
                }
            }
        }
        for folder in [workspace.store.folder, workspace.templates.folder] {
            for path in workspace.env.fileSystem.staleTemporaryFiles(in: folder) {
                problems.append(
                    Problem(
                        file: workspace.store.relative(path),
                        message: "a temp file left by an interrupted write; the next write removes it, or delete it."))
            }
        }
        return Result(checked: checked, problems: problems, warnings: (try? warnings()) ?? [])
    }
}

/// `incident stats`: counts, time to resolve and time per stage, by severity and service.
public struct StatsWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(since: Date?) throws -> Value { summary(of: try incidents(since: since)) }

    /// The incidents `run` counts, front-matter only: a caller that holds them until the process
    /// exits spares freeing thousands of values one by one.
    public func incidents(since: Date?) throws -> [LoadedIncident] {
        try workspace.store.loadAllForReading().filter {
            since == nil || ($0.document.created ?? .distantPast) >= since!
        }
    }

    /// What one incident adds to the figures, worked out on any thread.
    private struct Sample {
        var durations: [String: Double]
        /// Hours of each completed stage, in the incident's stage order.
        var stageHours: [(String, Double)] = []
        var resolveHours: Double?
    }

    private static func sample(_ document: IncidentDocument) -> Sample {
        var sample = Sample(durations: Timeline.durations(document))
        guard var previous = document.created else { return sample }
        for (stage, record) in document.stages {
            guard let when = (record["completed"] ?? record["skipped"])?.string.flatMap(Time.parse) else {
                continue
            }
            // A skipped stage took no work: it is not a 0 h sample of that stage.
            if record["completed"] != nil {
                sample.stageHours.append((stage, max(0, when.timeIntervalSince(previous)) / 3600))
            }
            previous = when
        }
        if document.status == Status.resolved.rawValue, let created = document.created {
            sample.resolveHours = max(0, previous.timeIntervalSince(created)) / 3600
        }
        return sample
    }

    /// The figures of `run` for these incidents.
    public func summary(of incidents: [LoadedIncident]) -> Value {
        var byStatus = OrderedDictionary<String, Value>()
        var bySeverity = OrderedDictionary<String, Value>()
        var byService = OrderedDictionary<String, Value>()
        var resolveHours: [Double] = []
        var stageHours: OrderedDictionary<String, [Double]> = [:]
        // Hours from the failure's start to each milestone: overall, by severity, by service.
        var milestoneHours: [String: [Double]] = [:]
        var milestoneBySeverity: [String: [String: [Double]]] = [:]
        var milestoneByService: [String: [String: [Double]]] = [:]
        var recurrences = 0
        // Times parsed on all cores; added up in the incidents' order.
        let samples = Parallel.map(incidents) { Self.sample($0.pointee.document) }
        for (incident, sample) in zip(incidents, samples) {
            let document = incident.document
            let services = document.services
            if document.fields["recurrence_of"]?.string != nil { recurrences += 1 }
            for (name, hours) in sample.durations {
                milestoneHours[name, default: []].append(hours)
                milestoneBySeverity[document.severity, default: [:]][name, default: []].append(hours)
                for service in services {
                    milestoneByService[service, default: [:]][name, default: []].append(hours)
                }
            }
            byStatus[document.status] = .int((byStatus[document.status]?.int ?? 0) + 1)
            bySeverity[document.severity] = .int((bySeverity[document.severity]?.int ?? 0) + 1)
            for service in services { byService[service] = .int((byService[service]?.int ?? 0) + 1) }
            for (stage, hours) in sample.stageHours { stageHours[stage, default: []].append(hours) }
            if let hours = sample.resolveHours { resolveHours.append(hours) }
        }
        func median(_ values: [Double]) -> Value {
            guard !values.isEmpty else { return .null }
            let sorted = values.sorted()
            return .double((sorted[sorted.count / 2] * 100).rounded() / 100)
        }
        // Severities from worst to least, statuses in life order, services by count: how people read them.
        func ordered(_ counts: OrderedDictionary<String, Value>, _ order: [String]) -> OrderedDictionary<String, Value>
        {
            var result = OrderedDictionary<String, Value>()
            for key in order where counts[key] != nil { result[key] = counts[key] }
            for (key, value) in counts where result[key] == nil { result[key] = value }
            return result
        }
        let services = byService.elements.sorted { ($0.value.int ?? 0, $1.key) > ($1.value.int ?? 0, $0.key) }
        let spans = ["detected": "detect", "mitigated": "mitigate", "resolved": "resolve"]
        func times(_ samples: [String: [Double]]) -> Value {
            var result = OrderedDictionary<String, Value>()
            for name in Timeline.milestoneNames {
                result["median_hours_to_\(spans[name]!)"] = median(samples[name] ?? [])
            }
            return .object(result)
        }
        var bySeverityTimes = OrderedDictionary<String, Value>()
        for severity in Severity.allCases.reversed().map(\.rawValue) where milestoneBySeverity[severity] != nil {
            bySeverityTimes[severity] = times(milestoneBySeverity[severity]!)
        }
        var byServiceTimes = OrderedDictionary<String, Value>()
        for (service, _) in services where milestoneByService[service] != nil {
            byServiceTimes[service] = times(milestoneByService[service]!)
        }
        let followUps = QueryWorkflow(workspace: workspace).openFollowUps(incidents)
        let openFollowUps = followUps.values.map(\.count).reduce(0, +)
        let overdue = followUps.values.flatMap { $0 }.filter { $0.isOverdue(at: workspace.env.now) }.count
        return [
            "incidents": .int(incidents.count),
            "by_status": .object(ordered(byStatus, Status.allCases.map(\.rawValue))),
            "by_severity": .object(ordered(bySeverity, Severity.allCases.reversed().map(\.rawValue))),
            "by_service": .object(OrderedDictionary(uniqueKeysWithValues: services.map { ($0.key, $0.value) })),
            "median_hours_to_resolve": median(resolveHours),
            "median_hours_per_stage": .object(stageHours.mapValues(median)),
            "time_to": times(milestoneHours), "time_to_by_severity": .object(bySeverityTimes),
            "time_to_by_service": .object(byServiceTimes),
            "recurrences": .int(recurrences),
            "recurrence_rate": incidents.isEmpty
                ? .null : .double((Double(recurrences) / Double(incidents.count) * 1000).rounded() / 1000),
            "open_followups": .int(openFollowUps), "overdue_followups": .int(overdue),
        ]
    }
}
