import Foundation
import OrderedCollections

/// What `incident new` was asked to do.
public struct NewIncidentRequest: Sendable {
    public var fromLog: LogSource?
    public var title: String?
    public var severity: Severity?
    public var environment: String?
    public var services: [String] = []
    public var sets: [String] = []
    public var noDedupe = false
    /// Hours before the first error in which commits are suspects (`--suspect-window`); default:
    /// `analysis.suspect_window_hours` in the config, else 24.
    public var suspectWindowHours: Double?
    /// Recorded as `stages.<first stage>.by` (an MCP front end passes `agent:<client name>`).
    public var author: String?

    public init() {}
}

/// What `incident new` did: a new incident, or a recurrence added to an open one.
public struct NewIncidentResult: Sendable {
    public var incident: LoadedIncident
    public var deduplicated: Bool
    public var redactions: OrderedDictionary<String, Int>
    /// Set when a resolved incident had the same fingerprint: its fix regressed.
    public var regressionOf: String?
    /// On a deduplicated log: how many occurrences were new (0 when the log was seen already).
    public var newOccurrences: Int = 0
    /// The resolved incident this failure matches (`seen_before`), with its root cause and fix.
    public var seenBefore: Value? = nil

    public func toValue() -> Value {
        let fields = incident.document.fields
        return [
            "id": .string(incident.document.id), "path": .string(incident.relativePath),
            "title": fields["title"] ?? .null, "severity": fields["severity"] ?? .null,
            "stage": fields["stage"] ?? .null,
            "status": fields["status"] ?? .null, "fingerprint": fields["fingerprint"] ?? .null,
            "services": fields["services"] ?? .array([]), "occurrences": fields["occurrences"] ?? .null,
            "first_seen": fields["first_seen"] ?? .null, "last_seen": fields["last_seen"] ?? .null,
            "recurrence_of": fields["recurrence_of"] ?? .null, "deduplicated": .bool(deduplicated),
            "new_occurrences": deduplicated ? .int(newOccurrences) : .null,
            "redactions": .object(redactions.mapValues(Value.int)),
            "seen_before": fields["seen_before"] ?? .null,
            "suspect_commits": fields["suspect_commits"] ?? .array([]),
        ]
    }
}

/// Starts an incident (from a log excerpt or a title) and completes its first stage.
public struct NewIncidentWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(_ request: NewIncidentRequest) throws -> NewIncidentResult {
        let order = try workspace.stageOrder()
        let firstStage = order[0]
        let template = try workspace.templates.stage(firstStage)
        let redactor = try Redactor(config: workspace.config)
        var redactions = OrderedDictionary<String, Int>()

        // Values given as flags are stored and printed as they are: a control character in one is
        // refused, as in an answer (a log's are stripped by the analysis).
        try ControlCharacters.refuse(request.title, as: "--title")
        try ControlCharacters.refuse(request.environment, as: "--env")
        for service in request.services { try ControlCharacters.refuse(service, as: "--service") }

        var analysis: LogAnalysis?
        if let source = request.fromLog {
            let result = try workspace.logs.analyzeText(source, recordLineEvents: false)
            redactions = result.redactions
            analysis = result
        } else if (request.title ?? "").isEmpty {
            throw IncidentError.usage(
                "incident new needs --title TEXT, or --from-log FILE to take the title from a log.")
        }

        let rules = AnswerRules(
            template: template,
            readFile: { path in
                String(decoding: try workspace.readUserFile(path, what: "answer file"), as: UTF8.self)
            })
        var answers = Answers()
        for assignment in request.sets { try rules.apply(set: assignment, to: &answers) }
        try rules.checkLimits(answers)
        let missing = rules.missing(answers)
        if !missing.isEmpty { throw IncidentError.gate(stage: firstStage, missing: missing) }
        answers = answers.mapValues { redactor.redact($0, counts: &redactions) }

        return try workspace.store.withStoreLock {
            try create(request, analysis: analysis, answers: answers, redactions: redactions, template: template)
        }
    }

    /// Looks for an open incident with the same failure and adds to it, else creates one: under
    /// the store lock, so parallel runs on one log agree.
    private func create(
        _ request: NewIncidentRequest, analysis: LogAnalysis?, answers: Answers,
        redactions: OrderedDictionary<String, Int>, template: StageTemplate
    ) throws -> NewIncidentResult {
        var redactions = redactions
        let env = workspace.env
        let order = try workspace.stageOrder()
        let firstStage = order[0]
        let redactor = try Redactor(config: workspace.config)
        let existing = try workspace.store.loadAll()
        let fingerprint = analysis?.primary == nil ? nil : analysis?.fingerprint
        if let fingerprint, !request.noDedupe,
            let open = existing.first(where: {
                $0.document.fingerprint == fingerprint && $0.document.status == Status.open.rawValue
            })
        {
            return try addOccurrence(to: open, analysis: analysis!, redactions: redactions)
        }
        let seen =
            analysis?.primary == nil
            ? nil
            : SeenBefore.match(
                fingerprint: fingerprint, pattern: analysis?.primary?.template, among: existing)
        let resolved = seen?.0

        let now = env.now
        let stamp = Time.format(now)
        let title = request.title ?? analysis?.title ?? "Untitled incident"
        var fields = OrderedDictionary<String, Value>()
        fields["id"] = .string(try workspace.store.newID(taken: Set(existing.map(\.document.id))))
        fields["title"] = .string(redactor.redact(title, counts: &redactions))
        fields["severity"] = .string((request.severity ?? analysis?.severity ?? .medium).rawValue)
        fields["status"] = "open"
        fields["stage"] = .string(order.count > 1 ? order[1] : "resolved")
        if order.count == 1 { fields["status"] = "resolved" }
        // Flags are typed or pasted by people, and pasted text carries secrets as a log does.
        fields["environment"] = .optional(
            request.environment.map { redactor.redact($0, counts: &redactions) } ?? analysis?.environment)
        let services =
            request.services.isEmpty
            ? analysis?.services ?? [] : request.services.map { redactor.redact($0, counts: &redactions) }
        fields["services"] = .strings(services)
        fields["source"] = .optional(analysis?.sourceLocations.first)
        fields["fingerprint"] = .optional(fingerprint)
        fields["occurrences"] = analysis?.primary.map { .int($0.count) } ?? .null
        fields["first_seen"] = .optional(analysis?.primary?.firstSeen.map(Time.format))
        fields["last_seen"] = .optional(analysis?.primary?.lastSeen.map(Time.format))
        fields["recurrence_of"] = .optional(resolved?.document.id)
        fields["created"] = .string(stamp)
        if let pattern = analysis?.primary?.template { fields["pattern"] = .string(pattern) }
        if let seen { fields["seen_before"] = SeenBefore.record(seen.0, why: seen.1) }
        if let earlier = resolved, let when = SeenBefore.resolvedAt(earlier.document),
            now.timeIntervalSince(when) <= repeatWindowDays * 86400
        {
            fields["review"] = [
                "state": "draft", "required": true,
                "reason": .string(
                    "a repeat of \(earlier.document.id) within \(Int(repeatWindowDays)) days of its resolution"),
            ]
        }
        if let analysis, let first = analysis.events.filter({ $0.severity >= .high }).compactMap(\.firstSeen).min() {
            let clues = SuspectCommitFinder.clues(analysis, services: services)
            let suspects = SuspectCommitFinder(workspace: workspace).find(
                clues, before: first, windowHours: suspectWindowHours(request))
            if !suspects.isEmpty {
                fields["suspect_commits"] = .array(
                    suspects.map { suspect in
                        var value = suspect.toValue()
                        for key in ["subject", "author"] {
                            value[key] = .string(redactor.redact(value[key]?.string ?? "", counts: &redactions))
                        }
                        return value
                    })
            }
        }
        var timeline = analysis.map { Timeline.fromLog($0) } ?? []
        timeline.append(Timeline.Entry(at: now, kind: "work", event: "incident record opened"))
        fields["timeline"] = .array(
            timeline.map { ["at": .string(Time.format($0.at)), "kind": .string($0.kind), "event": .string($0.event)] })
        fields["milestones"] = ["detected": .string(stamp)]
        var record: OrderedDictionary<String, Value> = ["completed": .string(stamp)]
        if let author = request.author { record["by"] = .string(author) }
        if !answers.isEmpty { record["answers"] = .object(answers) }
        fields["stages"] = .object([firstStage: .object(record)])

        var document = IncidentDocument(fields: fields, body: "# \(fields["title"]!.string!)\n")
        let day = Time.day(now)
        // The section lists the ten most important events; `incident analyze` shows them all.
        var analysisValue = analysis?.toValue()
        if let events = analysisValue?["events"]?.array, events.count > 10 {
            analysisValue?["events"] = .array(Array(events.prefix(10)))
        }
        let markdown = try StageSection.render(
            template, document: document, answers: answers, analysis: analysisValue,
            file: "incidents/\(day)-\(Slug.make(document.title)).md")
        document.appendSection(stage: firstStage, markdown: markdown)
        StageSection.recordHash(&document, stage: firstStage)
        let created = try workspace.store.create(document)
        var result = NewIncidentResult(
            incident: created, deduplicated: false, redactions: redactions, regressionOf: resolved?.document.id)
        result.seenBefore = fields["seen_before"]
        return result
    }

    private var repeatWindowDays: Double {
        workspace.config.review.repeatWindowDays
    }

    private func suspectWindowHours(_ request: NewIncidentRequest) -> Double {
        workspace.config.resolvedSuspectWindowHours(flag: request.suspectWindowHours)
    }

    /// The same error is still happening: count what is new and note it at the end of the file.
    private func addOccurrence(
        to incident: LoadedIncident, analysis: LogAnalysis, redactions: OrderedDictionary<String, Int>
    )
        throws -> NewIncidentResult
    {
        var document = incident.document
        let lastSeen = document.fields["last_seen"]?.string.flatMap(Time.parse)
        let times = analysis.primary?.times ?? []
        let fresh = lastSeen.map { cutoff in times.filter { $0 > cutoff } } ?? times
        let added = times.isEmpty ? (analysis.primary?.count ?? 0) : fresh.count
        // The same lines fed again: nothing to count and nothing to note.
        if added == 0 {
            return NewIncidentResult(
                incident: incident, deduplicated: true, redactions: redactions, regressionOf: nil, newOccurrences: 0)
        }
        document.fields["occurrences"] = .int((document.fields["occurrences"]?.int ?? 0) + added)
        if let newest = fresh.max() { document.fields["last_seen"] = .string(Time.format(newest)) }
        let when = fresh.max().map(Time.format) ?? Time.format(workspace.env.now)
        var note = "**Seen again**: \(added) new occurrence\(added == 1 ? "" : "s")"
        if let first = fresh.min(), let last = fresh.max() {
            note += first == last ? " at \(Time.format(first))" : " from \(Time.format(first)) to \(Time.format(last))"
        }
        note += " (added \(Time.format(workspace.env.now)))."
        document.appendOccurrence(at: when, markdown: note)
        if let first = fresh.min() {
            Timeline.record(
                &document, at: first, kind: "log",
                "seen again: \(added) new occurrence\(added == 1 ? "" : "s") of the primary error")
        }
        let saved = try workspace.store.save(incident, document: document)
        return NewIncidentResult(
            incident: saved, deduplicated: true, redactions: redactions, regressionOf: nil, newOccurrences: added)
    }
}
