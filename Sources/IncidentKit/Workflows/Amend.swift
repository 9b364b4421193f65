import Foundation
import OrderedCollections

/// What `incident amend` was asked to do.
public struct AmendRequest: Sendable {
    public var ref: String
    /// The stage to amend; nil for the last completed one.
    public var stage: String?
    public var answersFile: String?
    public var sets: [String] = []
    public var edit = false
    public var yes = false
    /// Answers as values (MCP): strings are text, never `@file` reads.
    public var answerValues: Value?
    /// Recorded as `amended_by` (MCP: `agent:<client name>`).
    public var author: String?

    public init(ref: String, stage: String? = nil) {
        self.ref = ref
        self.stage = stage
    }
}

/// What `incident amend` did.
public struct AmendResult: Sendable {
    public var incident: LoadedIncident
    public var stage: String
    /// The field ids whose answers changed (empty: nothing was written).
    public var changed: [String]
    public var synced: [String] = []
    public var syncWarning: String?
    public var redactions: OrderedDictionary<String, Int> = [:]

    public func toValue() -> Value {
        let document = incident.document
        return [
            "id": .string(document.id), "path": .string(incident.relativePath), "stage": .string(stage),
            "changed": .strings(changed), "status": .string(document.status), "stage_now": .string(document.stage),
            "synced": .strings(synced), "pending_updates": .strings(GitHubSync.owed(document)),
            "sync_warning": .optional(syncWarning),
            "redactions": .object(redactions.mapValues(Value.int)),
        ]
    }
}

/// `incident amend`: changes a completed stage's answers (the one source of its section), renders
/// the section again in place, and sends it to the GitHub issue as a comment when there is one.
public struct AmendWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(_ request: AmendRequest) throws -> AmendResult {
        let incident = try workspace.store.resolve(request.ref)
        let document = incident.document
        let order = try workspace.stageOrder()
        let completed = order.filter { document.stages[$0]?["completed"] != nil }
        guard let stage = request.stage ?? completed.last else {
            throw IncidentError.usage("\(document.id) has no completed stage to amend.")
        }
        guard let record = document.stages[stage]?.object, record["completed"] != nil else {
            let skipped = document.stages[stage]?["skipped"] != nil
            throw IncidentError.usage(
                skipped
                    ? "stage \(stage) of \(document.id) was skipped, so it has no answers to amend; `incident reopen` and `advance` give it some."
                    : "\(document.id) has no completed stage '\(stage)'; its completed stages are \(completed.isEmpty ? "none" : completed.joined(separator: ", "))."
            )
        }
        let template = try workspace.templates.stage(stage)
        let file = incident.relativePath
        let old = record["answers"]?.object ?? [:]
        let analyzed = template.action == .analyzeLog

        // The section must be as the tool wrote it, or amend would silently drop a hand edit.
        try AdvanceWorkflow.refuseHandEdits(document, stage: stage, file: file, doing: "amend")
        guard let section = document.sections[stage] else {
            throw IncidentError.failure(
                "\(file) has no \(stage) section (its `<!-- incident:stage \(stage) -->` marker is gone); nothing was written. Put the marker back, or `incident advance \(document.id) --rerender \(stage)`."
            )
        }
        let oldRender = try StageSection.render(
            template, document: document, answers: old, analysis: nil, file: file)
        if !analyzed && StageSection.editedByHand(document, stage: stage) == nil
            && StageSection.hash(section) != StageSection.hash(oldRender)
        {
            throw handEdited(document, stage: stage, file: file)
        }

        let rules = workspace.answerRules(for: template)
        // Answers typed for an amend that does not complete are kept, as advance keeps its own.
        let drafts = Drafts(workspace: workspace)
        let key = stage + ".amend"
        let typed = TypedAnswers()
        let context = Context(
            incident: incident, record: record, stage: stage, template: template, rules: rules, old: old,
            oldRender: oldRender, section: section, analyzed: analyzed, file: file, typed: typed,
            draft: drafts.text(id: document.id, stage: key), drafts: drafts, key: key)
        do {
            let result = try apply(request, context, document: document)
            drafts.discard(id: document.id, stage: key)
            return result
        } catch {
            throw drafts.keep(
                after: error, typed: typed.answers, id: document.id, stage: key,
                resume: "incident amend \(document.id) \(stage)")
        }
    }

    /// What `run` found out, for the part that asks and writes.
    private struct Context {
        var incident: LoadedIncident
        var record: OrderedDictionary<String, Value>
        var stage: String
        var template: StageTemplate
        var rules: AnswerRules
        var old: Answers
        var oldRender: String
        var section: String
        var analyzed: Bool
        var file: String
        var typed: TypedAnswers
        var draft: String?
        var drafts: Drafts
        var key: String
    }

    private func apply(_ request: AmendRequest, _ context: Context, document: IncidentDocument) throws -> AmendResult {
        var document = document
        let (incident, record, stage, template) = (context.incident, context.record, context.stage, context.template)
        let (rules, old, oldRender, section) = (context.rules, context.old, context.oldRender, context.section)
        let (analyzed, file) = (context.analyzed, context.file)
        var answers = try collect(request, context, document: document)
        try rules.checkLimits(answers)
        let missing = rules.missing(answers)
        if !missing.isEmpty { throw IncidentError.gate(stage: stage, missing: missing) }
        var redactions = OrderedDictionary<String, Int>()
        let redactor = try Redactor(config: workspace.config)
        answers = answers.mapValues { redactor.redact($0, counts: &redactions) }

        let changed = Set(old.keys).union(answers.keys).filter { old[$0] != answers[$0] }
        let ordered = template.fields.map(\.id).filter(changed.contains)
        guard !ordered.isEmpty else {
            return AmendResult(incident: incident, stage: stage, changed: [], redactions: redactions)
        }
        var newRecord = record
        newRecord["answers"] = answers.isEmpty ? nil : .object(answers)
        newRecord["amended"] = .string(Time.format(workspace.env.now))
        if let author = request.author { newRecord["amended_by"] = .string(author) }
        var stages = document.stages
        stages[stage] = .object(newRecord)
        document.fields["stages"] = .object(stages)
        let newRender = try StageSection.render(
            template, document: document, answers: answers, analysis: nil, file: file)
        let markdown: String
        if analyzed {
            // identify's log analysis is not stored, so only the part the answers change is redone.
            guard let spliced = StageSection.splice(section, oldRender: oldRender, newRender: newRender) else {
                throw handEdited(document, stage: stage, file: file)
            }
            markdown = spliced
        } else {
            markdown = newRender
        }
        if let prompter = workspace.env.prompter, !request.yes {
            prompter.show("\n" + markdown + "\n")
            guard try prompter.confirm("Write this section to \(file)?", defaultYes: true) else {
                throw IncidentError.cancelled("nothing was written to \(file).")
            }
        }
        document.writeSection(stage: stage, markdown: markdown)
        StageSection.recordHash(&document, stage: stage)
        Timeline.record(&document, at: workspace.env.now, "amended \(stage) (\(ordered.joined(separator: ", ")))")
        let sync = GitHubSync(workspace: workspace)
        if workspace.config.github.commentOnAdvance {
            var update = GitHubUpdate(.comment, stage: stage)
            update.reason = "amended"
            sync.enqueue([update], in: &document)
        }
        let saved = try workspace.store.save(incident, document: document)
        let outcome = sync.flush(saved, saved: "the amended stage is saved")
        return AmendResult(
            incident: outcome.incident, stage: stage, changed: ordered, synced: outcome.sent,
            syncWarning: outcome.warning, redactions: redactions)
    }

    private func handEdited(_ document: IncidentDocument, stage: String, file: String) -> IncidentError {
        .failure(
            "the \(stage) section of \(file) differs from what its answers render (edited by hand?), and amend would overwrite it; nothing was written. Put the change into the answers (`incident amend \(document.id) \(stage) --edit`) after undoing it (`git diff \(file)`)."
        )
    }

    private func collect(_ request: AmendRequest, _ context: Context, document: IncidentDocument) throws -> Answers {
        let (template, rules, old) = (context.template, context.rules, context.old)
        let shownDraft = context.drafts.shown(id: document.id, stage: context.key)
        var answers = old
        let scripted = request.answersFile != nil || !request.sets.isEmpty || request.answerValues != nil
        if let path = request.answersFile {
            let value = try workspace.readAnswers(path)
            for (id, item) in try rules.normalize(value, source: "answers file '\(path)'") {
                answers[id] = item.isBlank ? nil : item
            }
        }
        if let given = request.answerValues {
            let literal = AnswerRules(template: template, readFile: { "@" + $0 })
            for (id, item) in try literal.normalize(given, source: "answers") { answers[id] = item.isBlank ? nil : item }
        }
        // On a list, the first --set of an id replaces the old entries and the next ones append.
        var cleared = Set<String>()
        for assignment in request.sets {
            let id = String(assignment.prefix { $0 != "=" })
            if !cleared.contains(id), template.field(id)?.type.isListLike == true {
                answers[id] = nil
                cleared.insert(id)
            }
            try rules.apply(set: assignment, to: &answers)
            if answers[id]?.isBlank == true { answers[id] = nil }
        }
        if request.edit {
            if context.draft != nil { workspace.env.diagnostics("opening the draft in \(shownDraft) in the editor…") }
            answers = try EditAnswers(workspace: workspace).edit(
                answers, template: template, rules: rules, id: document.id, startingFrom: context.draft)
            context.typed.answers = answers
        } else if !scripted {
            guard let prompter = workspace.env.prompter else {
                throw IncidentError.usage(
                    "amend needs --answers FILE, --set id=value or --edit when it is not run on a terminal.")
            }
            prompter.show("\(document.id) · \(document.title)\nAmend: \(template.title)\n")
            var interview = Interview(
                prompter: prompter, template: template, rules: rules, incidentTitle: document.title)
            interview.previous = old
            if let draft = context.draft,
                let parsed = (try? YAML.parse(draft)).flatMap({ try? rules.normalize($0, source: shownDraft) }),
                try prompter.confirm(
                    "A draft of this amend holds \(parsed.count) answered \(parsed.count == 1 ? "field" : "fields") (\(shownDraft)). Start from it?",
                    defaultYes: true)
            {
                // The draft holds the fields answered before it stopped; the rest are as they were.
                interview.previous = old.merging(parsed) { _, typed in typed }
            }
            let (drafts, key, typed) = (context.drafts, context.key, context.typed)
            interview.keep = { so in
                typed.answers = so
                drafts.keep(so, id: document.id, stage: key)
            }
            var fresh = Answers()
            if template.action == .linkCommits, let commits = old["commits"] { fresh["commits"] = commits }
            try interview.run(into: &fresh)
            answers = fresh
        }
        var ordered = Answers()
        for field in template.fields {
            if let value = answers[field.id] { ordered[field.id] = value }
        }
        // What the stage's action recorded beside the fields (verify's check results) stays as it was.
        for (key, value) in old where template.field(key) == nil { ordered[key] = value }
        return ordered
    }
}
