import Foundation
import IncidentKit
import MCP

/// Resources: each incident file (`incident://incidents/FILE.md`) and each stage template in force
/// (`incident://templates/NAME`), read as they are on disk (redacted on the way out).
enum IncidentResources {
    static let incidentPrefix = "incident://incidents/"
    static let templatePrefix = "incident://templates/"

    /// Titles and descriptions come from files people edit: they are redacted like everything else sent.
    static func list(_ workspace: Workspace, redactor: Redactor) throws -> [Resource] {
        var resources: [Resource] = []
        for incident in try workspace.store.loadAll() {
            let file = (incident.relativePath as NSString).lastPathComponent
            resources.append(
                Resource(
                    name: redactor.scrub(incident.document.id), uri: incidentPrefix + file,
                    title: redactor.scrub(incident.document.title),
                    description: redactor.scrub(
                        "\(incident.relativePath): \(incident.document.status), stage \(incident.document.stage)"),
                    mimeType: "text/markdown"))
        }
        let stages = workspace.config.stages
        for name in try workspace.templates.names() {
            let origin = (try? workspace.templates.source(named: name))??.origin ?? "?"
            let role =
                name == "github-issue"
                ? "the GitHub issue's title and body"
                : stages.contains(name) ? "stage template" : "template not in stages"
            resources.append(
                Resource(
                    name: name, uri: templatePrefix + name, title: "\(name) (\(role))",
                    description: "\(origin); front-matter declares the fields, the body is Mustache.",
                    mimeType: "text/markdown"))
        }
        return resources
    }

    static func read(_ uri: String, workspace: Workspace) throws -> (text: String, mimeType: String) {
        if uri.hasPrefix(incidentPrefix) {
            let file = String(uri.dropFirst(incidentPrefix.count))
            // Only a file the store lists: a URI is never a path of its choosing.
            guard try workspace.store.fileNames().contains(file) else {
                throw MCPError.invalidParams("\(uri) is not an incident file of this repo; resources/list names them.")
            }
            let data = try workspace.env.fileSystem.read(workspace.store.folder + "/" + file)
            guard let text = String(validatingUTF8Data: data) else {
                throw MCPError.invalidParams("\(uri) is not UTF-8 text.")
            }
            return (text, "text/markdown")
        }
        if uri.hasPrefix(templatePrefix) {
            let name = String(uri.dropFirst(templatePrefix.count))
            guard let source = try? workspace.templates.source(named: name) else {
                throw MCPError.invalidParams("\(uri) is not a template of this repo; resources/list names them.")
            }
            return (source.text, "text/markdown")
        }
        throw MCPError.invalidParams("\(uri) is not a resource of this server; resources/list names them.")
    }
}

/// The prompt "work this incident": the stages in order, with the tools for each.
enum WorkIncidentPrompt {
    static let prompt = Prompt(
        name: "work_incident", title: "Work this incident",
        description: "Walk an incident through its remaining stages, in order, through the same gates as a person.",
        arguments: [.init(name: "ref", description: "The incident (default: latest).", required: false)])

    static func render(ref: String, workspace: Workspace) throws -> (String, String) {
        let incident = try workspace.store.resolve(ref)
        let document = incident.document
        let order = try workspace.stageOrder()
        let remaining = order.firstIndex(of: document.stage).map { Array(order[$0...]) } ?? []
        var lines = [
            "Work incident \(document.id), \"\(document.title)\" (\(incident.relativePath)), with the incident tools.",
            "It is \(document.status) at stage \(document.stage). The stages are \(order.joined(separator: " → ")).",
        ]
        if document.status != "open" || remaining.isEmpty {
            lines.append("There is nothing left to advance; show_incident shows what was written.")
            return ("Work incident \(document.id)", lines.joined(separator: "\n"))
        }
        lines += [
            "",
            "Start with show_incident to read what is known. Then, for each stage in order (\(remaining.joined(separator: ", "))):",
            "1. Call stage_fields with ref \(document.id): it gives the stage's fields as JSON Schema.",
            "2. Answer each field from evidence: the incident, the log, the code and its history. Do not invent facts; when a required field cannot be answered from evidence, ask the user.",
            "3. Call advance_incident with the answers and preview: true, read the section it would write, then call it again without preview.",
            "4. A gate failure names the fields still missing: supply them; never work around a gate.",
            "",
        ]
        for name in remaining {
            guard let template = try? workspace.templates.stage(name) else { continue }
            switch template.action {
            case .githubIssue:
                lines.append(
                    "- \(name): call file_issue with dry_run: true and show the user the request; file only when they agree. A public repository needs allow_public: true, which only the user can give. Without GitHub, advance_incident with skip_reason."
                )
            case .runChecks:
                lines.append(
                    "- \(name): advance_incident runs the configured checks; a failing check is a gate failure to fix in the code, not to skip."
                )
            case .linkCommits:
                lines.append(
                    "- \(name): commit the fix with \(document.id) in the message first; advance_incident links those commits."
                )
            case .analyzeLog, nil:
                let fields = template.fields.map(\.id).joined(separator: ", ")
                lines.append("- \(name) (\(template.title)): \(fields.isEmpty ? "no fields" : fields).")
            }
        }
        return (
            "Work incident \(document.id) through \(remaining.joined(separator: ", "))", lines.joined(separator: "\n")
        )
    }
}
