import Foundation
import IncidentKit
import MCP
import OrderedCollections

/// What a tool call runs with: the repo as it is now and who is calling.
struct ToolContext: Sendable {
    let workspace: Workspace
    /// `agent:<client name>`, recorded as `stages.<stage>.by` of what the agent writes.
    let author: String
}

/// One tool: what a client sees (name, description, input schema) and the workflow call behind it.
struct ToolSpec: Sendable {
    let name: String
    let description: String
    let properties: OrderedDictionary<String, Tree>
    let required: [String]
    let annotations: Tool.Annotations
    let run: @Sendable (Arguments, ToolContext) throws -> Tree

    var tool: Tool {
        Tool(
            name: name, description: description,
            inputSchema: MCP.Value(
                tree: [
                    "type": "object", "properties": .object(properties), "required": .strings(required),
                    "additionalProperties": false,
                ] as Tree),
            annotations: annotations)
    }
}

private let refProperty: Tree = [
    "type": "string",
    "description":
        "The incident: an id (inc-7f3a2c), a unique id prefix, a file name, a unique part of it, or 'latest'.",
]

/// The tools, in the order a client lists them. Each only translates: arguments to a workflow
/// request, the workflow's result to a JSON object.
enum IncidentTools {
    static let all: [ToolSpec] = [
        analyzeLog, newIncident, listIncidents, showIncident, stageFields, advanceIncident, amendStage, fileIssue,
        closeIncident, doctor,
    ]

    static let analyzeLog = ToolSpec(
        name: "analyze_log",
        description:
            "Analyse a log excerpt without writing anything: the primary error, severity, occurrences, services, source location and the events, with secrets redacted. Give the log as `text` or as a `path` (relative to the repo root).",
        properties: [
            "text": ["type": "string", "description": "The log itself."],
            "path": ["type": "string", "description": "A log file (plain or .gz)."],
        ], required: [], annotations: .init(readOnlyHint: true),
        run: { arguments, context in
            let source = try logSource(arguments, text: "text", path: "path", required: true)!
            return try AnalyzeWorkflow(workspace: context.workspace).run(source: source, eventsOut: nil).toValue()
        })

    static let newIncident = ToolSpec(
        name: "new_incident",
        description:
            "Start an incident from a log (`log_text` or `log_path`) or from a `title`, completing its first stage (identify) from the analysis. A log whose error matches an open incident is added to that incident instead.",
        properties: [
            "log_text": ["type": "string", "description": "The log excerpt."],
            "log_path": ["type": "string", "description": "A log file, relative to the repo root."],
            "title": ["type": "string", "description": "The title (default: the log's primary error)."],
            "severity": ["type": "string", "enum": .strings(Severity.allCases.map(\.rawValue))],
            "environment": ["type": "string", "description": "Where it happened (production, staging, …)."],
            "services": ["type": "array", "items": ["type": "string"]],
            "no_dedupe": ["type": "boolean", "description": "Always start a new incident."],
        ], required: [], annotations: .init(destructiveHint: false),
        run: { arguments, context in
            var request = NewIncidentRequest()
            request.fromLog = try logSource(arguments, text: "log_text", path: "log_path", required: false)
            request.title = try arguments.string("title")
            if let severity = try arguments.string("severity") {
                guard let parsed = Severity(rawValue: severity) else {
                    throw ToolError.arguments(
                        "new_incident: severity '\(severity)' is not one of \(Severity.allCases.map(\.rawValue).joined(separator: ", "))."
                    )
                }
                request.severity = parsed
            }
            request.environment = try arguments.string("environment")
            request.services = try arguments.strings("services")
            request.noDedupe = try arguments.bool("no_dedupe")
            request.author = context.author
            return try NewIncidentWorkflow(workspace: context.workspace).run(request).toValue()
        })

    static let listIncidents = ToolSpec(
        name: "list_incidents",
        description:
            "List incidents, newest first, with their front-matter; filter by status, stage, severity or service.",
        properties: [
            "status": ["type": "string", "enum": ["open", "resolved", "closed"]],
            "stage": ["type": "string"],
            "severity": ["type": "string", "enum": .strings(Severity.allCases.map(\.rawValue))],
            "service": ["type": "string"],
        ], required: [], annotations: .init(readOnlyHint: true),
        run: { arguments, context in
            var request = ListRequest()
            request.status = try arguments.string("status")
            request.stage = try arguments.string("stage")
            request.service = try arguments.string("service")
            if let severity = try arguments.string("severity") {
                guard let parsed = Severity(rawValue: severity) else {
                    throw ToolError.arguments("list_incidents: severity '\(severity)' is not a severity.")
                }
                request.severity = parsed
            }
            var problems: [String] = []
            let incidents = try QueryWorkflow(workspace: context.workspace).list(request) { problems.append($0) }
            return [
                "incidents": .array(incidents.map { QueryWorkflow.jsonObject($0, sections: false) }),
                "unreadable": .strings(problems),
            ]
        })

    static let showIncident = ToolSpec(
        name: "show_incident",
        description:
            "One incident: its front-matter, the stage it is at, each section as written, what GitHub is still owed, and its follow-ups.",
        properties: ["ref": refProperty], required: ["ref"], annotations: .init(readOnlyHint: true),
        run: { arguments, context in
            let query = QueryWorkflow(workspace: context.workspace)
            let incident = try query.show(try arguments.requiredString("ref"))
            var object = QueryWorkflow.jsonObject(incident, sections: true)
            object["notes"] = .strings(QueryWorkflow.githubNotes(incident.document))
            return object
        })

    static let stageFields = ToolSpec(
        name: "stage_fields",
        description:
            "The current stage of an incident and its fields as JSON Schema (generated from the stage's template): the shape of `answers` for advance_incident.",
        properties: ["ref": refProperty], required: ["ref"], annotations: .init(readOnlyHint: true),
        run: { arguments, context in
            let workspace = context.workspace
            let incident = try workspace.store.resolve(try arguments.requiredString("ref"))
            let document = incident.document
            let order = try workspace.stageOrder()
            guard document.status == "open", order.contains(document.stage) else {
                return [
                    "id": .string(document.id), "status": .string(document.status), "stage": .string(document.stage),
                    "stages": .strings(order), "schema": .null,
                ]
            }
            let template = try workspace.templates.stage(document.stage)
            let actionNote: Tree = StageActions.action(for: template).map { .string($0.note) } ?? .null
            return [
                "id": .string(document.id), "title": .string(document.title), "status": .string(document.status),
                "stage": .string(template.name), "stage_title": .string(template.title),
                "position": .int((order.firstIndex(of: template.name) ?? 0) + 1), "stages": .strings(order),
                "action": .optional(template.action?.rawValue), "action_note": actionNote,
                "schema": FieldSchema.schema(template),
            ]
        })

    static let advanceIncident = ToolSpec(
        name: "advance_incident",
        description:
            "Complete the current stage of an incident with `answers` (an object keyed by field id; stage_fields gives the schema), writing its section. The stage's gate applies as in the CLI: a missing required field is an error naming it. `preview: true` renders the section and checks the gate without writing. `skip_reason` skips the stage on the record instead.",
        properties: [
            "ref": refProperty,
            "answers": ["type": "object", "description": "Answers keyed by field id (see stage_fields)."],
            "preview": ["type": "boolean", "description": "Render and check only; write nothing."],
            "skip_reason": ["type": "string", "description": "Skip the stage, saying why (no answers)."],
            "log": ["type": "string", "description": "For a stage with action analyze-log: the log's text."],
        ], required: ["ref"], annotations: .init(destructiveHint: false),
        run: { arguments, context in
            var request = AdvanceRequest(ref: try arguments.requiredString("ref"))
            request.answerValues = try arguments.object("answers")
            request.log = try arguments.string("log").map(LogSource.text)
            request.preview = try arguments.bool("preview")
            request.author = context.author
            request.yes = true
            if let reason = try arguments.string("skip_reason") {
                guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw ToolError.arguments("advance_incident: skip_reason must say why the stage is skipped.")
                }
                guard request.answerValues == nil, !request.preview else {
                    throw ToolError.arguments("advance_incident: skip_reason takes no answers and no preview.")
                }
                request.skipReason = reason
            }
            return try AdvanceWorkflow(workspace: context.workspace).run(request).toValue()
        })

    static let amendStage = ToolSpec(
        name: "amend_stage",
        description:
            "Change answers of a completed stage (the last completed one unless `stage` is given) and render its section again in place; the change is commented on the GitHub issue when there is one. Fields not in `answers` keep their answers. The stage's gate applies; a section edited by hand since it was generated is never overwritten (an error says so).",
        properties: [
            "ref": refProperty,
            "stage": ["type": "string", "description": "The completed stage to amend (default: the last completed)."],
            "answers": ["type": "object", "description": "The answers that change, keyed by field id (see stage_fields)."],
        ], required: ["ref", "answers"], annotations: .init(destructiveHint: false),
        run: { arguments, context in
            var request = AmendRequest(ref: try arguments.requiredString("ref"), stage: try arguments.string("stage"))
            guard let answers = try arguments.object("answers") else {
                throw ToolError.arguments("amend_stage: answers is required (an object keyed by field id).")
            }
            request.answerValues = answers
            request.author = context.author
            request.yes = true
            return try AmendWorkflow(workspace: context.workspace).run(request).toValue()
        })

    static let fileIssue = ToolSpec(
        name: "file_issue",
        description:
            "File the incident's GitHub issue (once: a second call reports the same issue), then its follow-ups. `dry_run: true` returns the exact request without sending anything. A public repository is refused unless `allow_public: true`: ask the user first.",
        properties: [
            "ref": refProperty,
            "dry_run": ["type": "boolean", "description": "Show the request (token masked); send nothing."],
            "allow_public": [
                "type": "boolean",
                "description": "Consent to file on a public repository (the issue may carry a redacted log excerpt).",
            ],
            "repo": [
                "type": "string", "description": "OWNER/NAME or HOST/OWNER/NAME (default: config, then git remotes).",
            ],
            "labels": ["type": "array", "items": ["type": "string"]],
        ], required: ["ref"], annotations: .init(destructiveHint: false, openWorldHint: true),
        run: { arguments, context in
            var request = FileIssueRequest(ref: try arguments.requiredString("ref"))
            request.dryRun = try arguments.bool("dry_run")
            request.yes = try arguments.bool("allow_public")
            request.publicNeedsConsent = true
            request.consent = "allow_public: true"
            request.repo = try arguments.string("repo")
            request.labels = try arguments.strings("labels")
            request.author = context.author
            let result = try FileIssueWorkflow(workspace: context.workspace).run(request)
            var object = result.toValue()
            object["repo"] = .string(result.repo)
            object["dry_run"] = result.dryRun.map { .array($0.map { $0.toValue() }) } ?? .null
            object["completed_stage"] = .optional(result.completedStage)
            object["stage_now"] = .string(result.incident.document.stage)
            object["synced"] = .strings(result.synced)
            return object
        })

    static let closeIncident = ToolSpec(
        name: "close_incident",
        description:
            "Close an open incident outside the pipeline: false-alarm, wont-fix, or duplicate (with `duplicate_of`). Its GitHub issue, if any, is closed with a comment saying why.",
        properties: [
            "ref": refProperty,
            "reason": ["type": "string", "enum": .strings(LifecycleWorkflow.reasons)],
            "duplicate_of": ["type": "string", "description": "With reason duplicate: the incident it duplicates."],
        ], required: ["ref", "reason"], annotations: .init(destructiveHint: false, openWorldHint: true),
        run: { arguments, context in
            try LifecycleWorkflow(workspace: context.workspace).close(
                try arguments.requiredString("ref"), reason: try arguments.requiredString("reason"),
                duplicateOf: try arguments.string("duplicate_of")
            ).toValue()
        })

    static let doctor = ToolSpec(
        name: "doctor",
        description: "Check every incident file, template and the config; changes nothing.",
        properties: [:], required: [], annotations: .init(readOnlyHint: true),
        run: { _, context in
            try DoctorWorkflow(workspace: context.workspace).run().toValue()
        })

    /// Exactly one of the two arguments (or neither, when not `required`).
    static func logSource(_ arguments: Arguments, text: String, path: String, required: Bool) throws -> LogSource? {
        switch (try arguments.string(text), try arguments.string(path)) {
        case (let given?, nil): return .text(given)
        case (nil, let file?): return .path(file)
        case (.some, .some):
            throw ToolError.arguments("\(arguments.tool) takes '\(text)' or '\(path)', not both.")
        case (nil, nil):
            if required { throw ToolError.arguments("\(arguments.tool) needs '\(text)' (the log) or '\(path)'.") }
            return nil
        }
    }
}
