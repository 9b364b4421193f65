import Foundation
import OrderedCollections

/// What `incident advance` was asked to do.
public struct AdvanceRequest: Sendable {
    public var ref: String
    public var answersFile: String?
    public var sets: [String] = []
    public var edit = false
    public var yes = false
    public var checks: [String] = []
    public var skipReason: String?
    public var rerender: String?
    /// Answers as a value (an object keyed by field id), as a front end other than the CLI hands
    /// them over; text is taken as written (an '@path' is not read as a file).
    public var answerValues: Value?
    /// The log an `analyze-log` stage analyses (`advance --from-log`).
    public var log: LogSource?
    /// Render the section and check the gate without writing anything.
    public var preview = false
    /// Recorded as `stages.<stage>.by` (an MCP front end passes `agent:<client name>`).
    public var author: String?

    public init(ref: String) { self.ref = ref }
}

/// What `incident advance` did.
public struct AdvanceResult: Sendable {
    public var id: String
    public var path: String
    public var stage: String
    public var skipped: Bool
    public var rerendered: Bool
    public var nextStage: String
    public var status: String
    public var redactions: OrderedDictionary<String, Int>
    public var document: IncidentDocument
    /// Set when the stage was saved but an update to the GitHub issue failed (see `incident sync`).
    public var syncWarning: String? = nil
    /// What was sent to the GitHub issue.
    public var synced: [String] = []
    /// With `preview`, the stage's section as it would be written.
    public var section: String? = nil
    /// True when nothing was written (`preview`).
    public var preview = false

    /// The `--json` object (and what `incident mcp` returns).
    public func toValue() -> Value {
        [
            "id": .string(id), "path": .string(path), "stage": .string(stage), "skipped": .bool(skipped),
            "stage_now": .string(nextStage), "status": .string(status),
            "redactions": .object(redactions.mapValues(Value.int)), "preview": .bool(preview),
            "section": .optional(section ?? document.sections[stage]), "synced": .strings(synced),
            "sync_warning": .optional(syncWarning),
        ]
    }
}

/// Completes (or skips, or re-renders) the current stage of one incident.
public struct AdvanceWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(_ request: AdvanceRequest) throws -> AdvanceResult {
        let store = workspace.store
        let incident = try store.resolve(request.ref)
        if let stage = request.rerender { return try rerender(incident, stage: stage) }

        var document = incident.document
        var stage = document.stage
        if stage == "resolved" || stage == "closed" || document.status != Status.open.rawValue {
            throw IncidentError.failure(
                "\(document.id) is \(document.status) (stage \(stage)); there is nothing to advance. `incident reopen \(document.id)` reopens it."
            )
        }
        let order = try workspace.stageOrder()
        guard order.contains(stage) else {
            throw IncidentError.failure(
                "\(incident.relativePath) is at stage '\(stage)', which is not in the stages of \(Config.fileName) (\(order.joined(separator: ", "))); fix one of them."
            )
        }
        // The stage list can change under an open incident: a stage added before the current one is
        // asked for first (then the current stage again), and the user is told so, never silently.
        let drift = StageDrift.of(document, order: order)
        for sentence in drift.sentences(id: document.id, stage: stage) { workspace.env.diagnostics("note: " + sentence) }
        var next = try workspace.stage(after: stage)
        if let added = drift.added.first {
            next = stage
            stage = added
        }
        let template = try workspace.templates.stage(stage)
        if request.log != nil, template.action != .analyzeLog {
            throw IncidentError.usage(
                "--from-log gives the log to a stage whose template has action: analyze-log; \(document.id)'s stage \(stage) has \(template.action.map { "action: \($0.rawValue)" } ?? "no action")."
            )
        }
        let now = Time.format(workspace.env.now)

        // A stage run again (after `reopen`) replaces its section; a hand edit in it stops that first.
        try Self.refuseHandEdits(document, stage: stage, file: incident.relativePath, doing: "advance")

        if let reason = request.skipReason {
            try ControlCharacters.refuse(reason, as: "--reason", allowNewline: true)
            var counts = OrderedDictionary<String, Int>()
            let redacted = try Redactor(config: workspace.config).redact(reason, counts: &counts)
            var stages = document.stages
            var record: OrderedDictionary<String, Value> = ["skipped": .string(now), "reason": .string(redacted)]
            if let author = request.author { record["by"] = .string(author) }
            stages[stage] = .object(record)
            document.fields["stages"] = .object(stages)
            moveOn(&document, to: next)
            WorkRecord.stageDone(&document, stage: stage, skipped: true, answers: [:], at: workspace.env.now)
            document.writeSection(stage: stage, markdown: "## \(template.title)\n\n_Skipped on \(now): \(redacted)_")
            StageSection.recordHash(&document, stage: stage)
            return try saveAndSync(incident, document, template: template, skipped: true, redactions: counts)
        }

        let rules = workspace.answerRules(for: template)
        let drafts = Drafts(workspace: workspace)
        let typed = TypedAnswers()
        let scripted = request.answersFile != nil || !request.sets.isEmpty || request.answerValues != nil
        var draft = drafts.text(id: document.id, stage: stage)
        if draft != nil && scripted {
            workspace.env.diagnostics(
                "note: the draft of stage \(stage) in \(drafts.shown(id: document.id, stage: stage)) is not used: the answers given replace it, and it is removed once the stage completes."
            )
            draft = nil
        }
        var answers: Answers
        var redactions = OrderedDictionary<String, Int>()
        let markdown: String
        do {
            answers = try collectAnswers(
                request, template: template, rules: rules, document: document, draft: draft, typed: typed)
            let redactor = try Redactor(config: workspace.config)
            var analysis: Value? = nil
            if let action = StageActions.action(for: template) {
                var context = StageActionContext(
                    workspace: workspace, template: template, document: document, request: request,
                    redactor: redactor, answers: answers, redactions: redactions)
                try action.run(&context)
                (document, answers, redactions, analysis) =
                    (context.document, context.answers, context.redactions, context.analysis)
            }
            for warning in Blameless.warnings(in: answers, document: document) {
                workspace.env.diagnostics("warning: " + warning)
            }

            try rules.checkLimits(answers)
            let missing = rules.missing(answers)
            if !missing.isEmpty { throw IncidentError.gate(stage: stage, missing: missing) }
            let recurrence = SeenBefore.recurrenceGate(template, answers: answers, document: document)
            if !recurrence.isEmpty { throw IncidentError.gate(stage: stage, missing: recurrence) }

            answers = answers.mapValues { redactor.redact($0, counts: &redactions) }
            var stages = document.stages
            var record: OrderedDictionary<String, Value> = ["completed": .string(now)]
            if let author = request.author { record["by"] = .string(author) }
            if !answers.isEmpty { record["answers"] = .object(answers) }
            stages[stage] = .object(record)
            document.fields["stages"] = .object(stages)
            markdown = try StageSection.render(
                template, document: document, answers: answers, analysis: analysis, file: incident.relativePath)
            if request.preview {
                moveOn(&document, to: next)
                var outcome = AdvanceResult(
                    id: document.id, path: incident.relativePath, stage: stage, skipped: false, rerendered: false,
                    nextStage: document.stage, status: document.status, redactions: redactions, document: document)
                outcome.section = markdown
                outcome.preview = true
                return outcome
            }

            if let prompter = workspace.env.prompter, !request.yes {
                prompter.show("\n" + markdown + "\n")
                guard try prompter.confirm("Write this section to \(incident.relativePath)?", defaultYes: true) else {
                    throw IncidentError.cancelled("nothing was written to \(incident.relativePath).")
                }
            }
        } catch {
            throw drafts.keep(
                after: error, typed: typed.answers, id: document.id, stage: stage,
                resume: "incident advance \(document.id)")
        }
        moveOn(&document, to: next)
        WorkRecord.stageDone(&document, stage: stage, skipped: false, answers: answers, at: workspace.env.now)
        document.writeSection(stage: stage, markdown: markdown)
        StageSection.recordHash(&document, stage: stage)
        let outcome: AdvanceResult
        do {
            outcome = try saveAndSync(incident, document, template: template, skipped: false, redactions: redactions)
        } catch let error as IncidentError {
            // The save failed (the file changed on disk, a lock): what was typed is not lost.
            guard drafts.keep(typed.answers, id: document.id, stage: stage) else { throw error }
            throw error.noting(
                "Your answers are kept in \(drafts.shown(id: document.id, stage: stage)); `incident advance \(document.id)` offers to start from them."
            )
        }
        drafts.discard(id: document.id, stage: stage)
        return outcome
    }

    /// Writes the stage with the GitHub updates it owes (and its follow-up issues) recorded as pending,
    /// then sends them (a failure there never loses the stage; `incident sync` retries).
    private func saveAndSync(
        _ incident: LoadedIncident, _ document: IncidentDocument, template: StageTemplate, skipped: Bool,
        redactions: OrderedDictionary<String, Int>
    ) throws -> AdvanceResult {
        var document = document
        let sync = GitHubSync(workspace: workspace)
        // The stage's follow-ups (entries of `issue: true` lists) are filed once the incident has an issue.
        FollowUps(workspace: workspace).queueUnfiled(in: &document, stages: [template.name])
        sync.enqueue(sync.owed(afterStage: template.name, action: template.action, document: document), in: &document)
        let saved = try workspace.store.save(incident, document: document)
        let synced = sync.flush(saved, saved: "the stage is saved")
        var outcome = result(synced.incident, stage: template.name, skipped: skipped, redactions: redactions)
        outcome.syncWarning = synced.warning
        outcome.synced = synced.sent
        return outcome
    }

    private func moveOn(_ document: inout IncidentDocument, to next: String?) {
        if let next {
            document.fields["stage"] = .string(next)
        } else {
            document.fields["stage"] = "resolved"
            document.fields["status"] = "resolved"
        }
    }

    private func result(
        _ saved: LoadedIncident, stage: String, skipped: Bool, rerendered: Bool = false,
        redactions: OrderedDictionary<String, Int>
    ) -> AdvanceResult {
        AdvanceResult(
            id: saved.document.id, path: saved.relativePath, stage: stage, skipped: skipped, rerendered: rerendered,
            nextStage: saved.document.stage, status: saved.document.status, redactions: redactions,
            document: saved.document)
    }

    private func collectAnswers(
        _ request: AdvanceRequest, template: StageTemplate, rules: AnswerRules, document: IncidentDocument,
        draft: String?, typed: TypedAnswers
    ) throws -> Answers {
        var answers = Answers()
        if let path = request.answersFile {
            let value = try workspace.readAnswers(path)
            answers = try rules.normalize(value, source: "answers file '\(path)'")
        }
        if let given = request.answerValues {
            let literal = AnswerRules(template: template, readFile: { "@" + $0 })
            for (id, value) in try literal.normalize(given, source: "answers") { answers[id] = value }
        }
        for assignment in request.sets { try rules.apply(set: assignment, to: &answers) }
        let drafts = Drafts(workspace: workspace)
        let shownDraft = drafts.shown(id: document.id, stage: template.name)
        if request.edit {
            if draft != nil { workspace.env.diagnostics("opening the draft in \(shownDraft) in the editor…") }
            answers = try EditAnswers(workspace: workspace).edit(
                answers, template: template, rules: rules, id: document.id, startingFrom: draft)
            typed.answers = answers
        }
        if let prompter = workspace.env.prompter, !request.edit,
            template.fields.contains(where: { answers[$0.id] == nil })
        {
            let order = (try? workspace.stageOrder()) ?? []
            let position = order.firstIndex(of: template.name).map { " (stage \($0 + 1) of \(order.count))" } ?? ""
            prompter.show("\(document.id) · \(document.title)\n\(template.title)\(position)\n")
            var interview = Interview(
                prompter: prompter, template: template, rules: rules, incidentTitle: document.title)
            if let draft {
                let parsed = (try? YAML.parse(draft)).flatMap { try? rules.normalize($0, source: shownDraft) }
                if let parsed {
                    if try prompter.confirm(
                        "A draft of this stage holds \(parsed.count) answered \(parsed.count == 1 ? "field" : "fields") (\(shownDraft)). Start from it?",
                        defaultYes: true)
                    {
                        interview.previous = parsed
                    }
                } else {
                    prompter.show(
                        "The draft in \(shownDraft) does not read as answers; `incident advance \(document.id) --edit` opens it.")
                }
            }
            interview.keep = { so in
                typed.answers = so
                drafts.keep(so, id: document.id, stage: template.name)
            }
            try interview.run(into: &answers)
        }
        // Template order, so the stored record reads like the form.
        var ordered = Answers()
        for field in template.fields {
            if let value = answers[field.id] { ordered[field.id] = value }
        }
        return ordered
    }

    /// Stops before a generated section edited by hand would be overwritten.
    static func refuseHandEdits(_ document: IncidentDocument, stage: String, file: String, doing: String) throws {
        guard StageSection.editedByHand(document, stage: stage) == true else { return }
        throw IncidentError.failure(
            "the \(stage) section of \(file) was edited by hand after it was generated, and \(doing) would overwrite that edit; nothing was written. Put the change into the answers (`incident amend \(document.id) \(stage) --edit`), or undo it (`git diff \(file)`), then run this again."
        )
    }

    private func rerender(_ incident: LoadedIncident, stage: String) throws -> AdvanceResult {
        var document = incident.document
        guard let record = document.stages[stage], record["completed"] != nil else {
            throw IncidentError.usage(
                "--rerender \(stage): \(document.id) has no completed stage '\(stage)' to render again.")
        }
        let template = try workspace.templates.stage(stage)
        try Self.refuseHandEdits(document, stage: stage, file: incident.relativePath, doing: "--rerender")
        let markdown = try StageSection.render(
            template, document: document, answers: record["answers"]?.object ?? [:], analysis: nil,
            file: incident.relativePath)
        document.writeSection(stage: stage, markdown: markdown)
        StageSection.recordHash(&document, stage: stage)
        let saved = try workspace.store.save(incident, document: document)
        return result(saved, stage: stage, skipped: false, rerendered: true, redactions: [:])
    }
}

/// What was typed so far, for the draft kept when a stage does not complete.
final class TypedAnswers: @unchecked Sendable {
    var answers = Answers()
}

/// `advance --edit`: the answers as YAML in $VISUAL or $EDITOR, read back when the editor exits.
struct EditAnswers: Sendable {
    let workspace: Workspace

    func edit(
        _ answers: Answers, template: StageTemplate, rules: AnswerRules, id: String, startingFrom draft: String? = nil
    ) throws -> Answers {
        let env = workspace.env
        var text =
            "# \(id) · stage \(template.name): answer each field, save and quit. Lines starting with # are ignored.\n"
        for field in template.fields {
            text += "\n# \(field.label) (\(field.type.rawValue)\(field.required ? ", required" : ""))"
            if let description = field.description { text += ": \(description)" }
            if !field.options.isEmpty { text += " Options: \(field.options.map(\.label).joined(separator: ", "))." }
            text += "\n"
            let value = answers[field.id] ?? (field.type.isListLike ? .array([]) : .string(""))
            text += YAML.emit([field.id: value])
        }
        if let draft { text = draft }
        let editor = ExternalEditor(env: env, directory: workspace.root)
        let (edited, status) = try editor.edit(text, name: "\(id)-\(template.name)", suffix: "yml")
        guard let edited else {
            throw IncidentError.cancelled("the editor (\(editor.command)) exited with status \(status); nothing was written.")
        }
        let value: Value
        do {
            value = try YAML.parse(edited)
        } catch {
            throw EditedAnswersError(
                text: edited, problem: "the edited answers, line \(error.line): \(error.problem)")
        }
        var result: Answers
        do {
            result = try rules.normalize(value, source: "the edited answers")
        } catch let error as IncidentError {
            throw EditedAnswersError(text: edited, problem: error.description)
        }
        for (key, item) in result where item.isBlank { result[key] = nil }
        return result
    }
}

/// Edited answers that do not parse: the text is kept as a draft before the error is reported.
struct EditedAnswersError: Error {
    var text: String
    var problem: String
}
