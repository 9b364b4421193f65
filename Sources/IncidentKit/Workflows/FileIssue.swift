import Foundation
import OrderedCollections

/// What `incident issue` was asked to do.
public struct FileIssueRequest: Sendable {
    public var ref: String
    public var repo: String?
    public var labels: [String] = []
    public var assignees: [String] = []
    public var milestone: String?
    public var yes = false
    public var dryRun = false
    /// Any public repository needs `yes`, not only an issue carrying a log excerpt (an agent's
    /// explicit `allow_public: true`); `consent` names that switch in the refusal.
    public var publicNeedsConsent = false
    public var consent = "--yes"
    /// Recorded as `stages.<stage>.by` of the stage the issue completes.
    public var author: String?

    public init(ref: String) { self.ref = ref }
}

/// What `incident issue` did.
public struct FileIssueResult: Sendable {
    public var number: Int?
    public var url: String?
    public var created: Bool
    public var repo: String
    /// With `--dry-run`: the exact requests that would be sent (the issue, then one per follow-up), token masked.
    public var dryRun: [PlannedRequest]?
    /// The stage completed because the issue now exists, if any.
    public var completedStage: String?
    public var incident: LoadedIncident
    /// The incident's follow-ups (entries of `issue: true` lists) as they stand after this run.
    public var followUps: [FollowUp] = []
    /// What else reached GitHub (follow-up issues filed, the task list linking them, other pending updates).
    public var synced: [String] = []
    /// Set when the issue is filed but something after it failed (`incident sync` retries).
    public var syncWarning: String?

    /// `--json`: with `--dry-run`, `{dry_run: [exact request…]}`; otherwise what was filed.
    public func toValue() -> Value {
        if let planned = dryRun { return ["dry_run": .array(planned.map { $0.toValue() })] }
        return [
            "number": number.map(Value.int) ?? .null, "url": .optional(url), "created": .bool(created),
            "followups": .array(
                followUps.map { followUp in
                    [
                        "key": .string(followUp.key), "title": .string(followUp.title),
                        "number": followUp.number.map(Value.int) ?? .null, "url": .optional(followUp.url),
                        "state": .optional(followUp.state),
                    ]
                }),
            "sync_warning": .optional(syncWarning),
        ]
    }
}

/// One HTTP request `--dry-run` shows instead of sending: everything but the token, which is masked.
public struct PlannedRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    /// In the order they are sent.
    public var headers: [(name: String, value: String)]
    /// The JSON body: `title`, `body`, `labels`, …
    public var fields: Value

    public static func == (a: PlannedRequest, b: PlannedRequest) -> Bool {
        a.method == b.method && a.url == b.url && a.fields == b.fields
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// The exact request: `{method, url, headers: {name: value}, body}` (body as sent, a JSON object).
    public func toValue() -> Value {
        var headerMap = OrderedDictionary<String, Value>()
        for header in headers { headerMap[header.name] = .string(header.value) }
        return ["method": .string(method), "url": .string(url), "headers": .object(headerMap), "body": fields]
    }

    /// For a person: the request line and headers, then the title, labels and assignees each on a line,
    /// and the issue body as the markdown it is, not one JSON-escaped string.
    public func review() -> String {
        var lines = ["\(method) \(url)"]
        lines += headers.map { "\($0.name): \($0.value)" }
        lines.append("")
        lines.append("Title: \(fields["title"]?.string ?? "")")
        for key in ["labels", "assignees"] {
            if let items = fields[key]?.array?.compactMap(\.string), !items.isEmpty {
                lines.append("\(key.prefix(1).uppercased() + key.dropFirst()): \(items.joined(separator: ", "))")
            }
        }
        if let milestone = fields["milestone"], milestone != .null {
            lines.append("Milestone: \(milestone.string ?? JSON.encode(milestone))")
        }
        lines.append("")
        lines.append(fields["body"]?.string ?? "")
        return lines.joined(separator: "\n")
    }
}

/// Files an incident's GitHub issue exactly once.
public struct FileIssueWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public static func marker(_ id: String) -> String { "<!-- incident-id: \(id) -->" }

    public func run(_ request: FileIssueRequest) throws -> FileIssueResult {
        var incident = try workspace.store.resolve(request.ref)
        let document = incident.document
        if let github = document.fields["github"], let number = github["number"]?.int {
            let result = FileIssueResult(
                number: number, url: github["url"]?.string, created: false, repo: github["repo"]?.string ?? "",
                completedStage: nil, incident: incident)
            return request.dryRun ? result : try fileFollowUps(result)
        }
        let (repo, apiURL) = try GitHubDiscovery(workspace: workspace).repository(flag: request.repo)
        let fields = try issueFields(
            document, request: request, file: incident.relativePath,
            fileURL: Self.webURL(apiURL: apiURL, repo: repo) + "/blob/HEAD/" + incident.relativePath)

        if request.dryRun {
            let token =
                (try? GitHubDiscovery(workspace: workspace).token(apiURL: apiURL)) != nil ? "****" : "(no token found)"
            let base = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
            func post(_ fields: Value) -> PlannedRequest {
                PlannedRequest(
                    method: "POST", url: "\(base)/repos/\(repo)/issues",
                    headers: [
                        ("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"),
                        ("User-Agent", "incident/0.1 (+libcurl)"), ("Authorization", "Bearer \(token)"),
                        ("Content-Type", "application/json"),
                    ], fields: fields)
            }
            // Then one issue per follow-up, each linking the new issue.
            let followUps = FollowUps(workspace: workspace)
            let planned =
                [post(fields)]
                + followUps.all(document).map { post(followUps.fields($0, document: document, parent: "#NEW")) }
            return FileIssueResult(number: nil, url: nil, created: false, repo: repo, dryRun: planned, incident: incident)
        }

        let connection = try GitHubConnection.open(workspace, repo: repo, apiURL: apiURL)
        let client = connection.client
        let info = try client.repo(repo)
        guard info.hasIssues else {
            throw IncidentError.failure(
                "issues are disabled on \(repo); enable them in the repository settings, or use --repo.")
        }
        try confirm(fields, repo: repo, isPublic: !info.isPrivate, request: request)
        try client.ensureLabels(repo, fields["labels"]?.array?.compactMap(\.string) ?? [])

        let marker = Self.marker(document.id)
        if document.fields["github"]?["pending"] != nil, let found = try client.findIssue(repo, marker: marker) {
            workspace.env.diagnostics("found \(repo)#\(found.number), filed by an earlier run whose answer was lost.")
            return try record(found, repo: repo, in: incident, created: false, author: request.author)
        }
        // Record the attempt before sending, so a lost answer is looked for, not posted again.
        var pending = document
        pending.fields["github"] = ["repo": .string(repo), "pending": .string(Time.format(workspace.env.now))]
        incident = try workspace.store.save(incident, document: pending)

        var lastUnknown = ""
        for attempt in 1...3 {
            do {
                let issue = try client.createIssue(repo, fields: fields)
                return try record(issue, repo: repo, in: incident, created: true, author: request.author)
            } catch let unknown as UnknownOutcome {
                lastUnknown = unknown.message
                workspace.env.diagnostics("\(unknown.message); looking for the issue before posting again…")
                if let found = try client.findIssue(repo, marker: marker) {
                    return try record(found, repo: repo, in: incident, created: true, author: request.author)
                }
                if attempt < 3 { workspace.env.sleep(Double(attempt)) }
            } catch {
                // A definite refusal: nothing was created, so the pending mark goes.
                var restored = incident.document
                restored.fields["github"] = document.fields["github"]
                if document.fields["github"] == nil { restored.fields.removeValue(forKey: "github") }
                _ = try? workspace.store.save(incident, document: restored)
                throw error
            }
        }
        throw IncidentError.network(
            "could not confirm that the issue was filed on \(repo) (\(lastUnknown)); run `incident issue \(document.id)` again: it looks for the issue before posting."
        )
    }

    /// The title, body (with the hidden marker), labels, assignees and milestone, rendered and redacted.
    /// The repository's web address: github.com for api.github.com, `https://HOST` for Enterprise's `/api/v3`.
    static func webURL(apiURL: String, repo: String) -> String {
        guard let components = URLComponents(string: apiURL), let host = components.host else {
            return "https://github.com/\(repo)"
        }
        if host == "api.github.com" { return "https://github.com/\(repo)" }
        let port = components.port.map { ":\($0)" } ?? ""
        return "\(components.scheme ?? "https")://\(host)\(port)/\(repo)"
    }

    func issueFields(
        _ document: IncidentDocument, request: FileIssueRequest, file: String, fileURL: String
    ) throws -> Value {
        guard let source = try workspace.templates.source(named: "github-issue") else {
            throw IncidentError.failure("templates/github-issue.md is missing and there is no built-in one.")
        }
        let (header, body) = try TemplateFile.split(source.text, origin: source.origin)
        var context: OrderedDictionary<String, Value> = [
            "incident": .object(document.fields),
            "stages": .object(document.stageAnswers.mapValues { ["answers": $0] }),
            "file": .string(file), "file_url": .string(fileURL), "excerpt": .optional(Self.excerpt(document)),
        ]
        context["sections"] = .object(document.sections.mapValues { .string($0) })
        let render = { (text: String) in try Renderer.render(text, context: .object(context), origin: source.origin) }
        let redactor = try Redactor(config: workspace.config)
        var counts = OrderedDictionary<String, Int>()
        let title = redactor.redact(try render(header["title"]?.string ?? "{{incident.title}}"), counts: &counts)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var text = redactor.redact(try render(body), counts: &counts).trimmingCharacters(in: .whitespacesAndNewlines)
        text += "\n\n" + Self.marker(document.id) + "\n"

        let config = workspace.config
        let labels = config.resolvedLabels(
            severity: document.severity,
            template: try (header["labels"]?.array ?? []).compactMap { try $0.string.map(render) },
            flags: request.labels)
        let assignees = config.resolvedAssignees(
            template: header["assignees"]?.array?.compactMap(\.string) ?? [], flags: request.assignees)
        var fields: OrderedDictionary<String, Value> = [
            "title": .string(title), "body": .string(text), "labels": .strings(labels),
            "assignees": .strings(assignees),
        ]
        if let milestone = config.resolvedMilestone(flag: request.milestone) {
            guard let number = Int(milestone) else {
                throw IncidentError.usage(
                    "--milestone '\(milestone)' must be the milestone's number, as in its URL (…/milestone/3).")
            }
            fields["milestone"] = .int(number)
        }
        return .object(fields)
    }

    /// The title the template gives the issue now (after `incident set` changed the incident).
    func currentTitle(_ document: IncidentDocument, file: String) throws -> String {
        try issueFields(document, request: FileIssueRequest(ref: document.id), file: file, fileURL: "")["title"]?
            .string ?? document.title
    }

    /// The identify section's first code block: the log excerpt.
    static func excerpt(_ document: IncidentDocument) -> String? {
        guard let section = document.sections.values.first, let open = section.range(of: "```\n"),
            let close = section.range(of: "\n```", range: open.upperBound..<section.endIndex)
        else { return nil }
        return String(section[open.upperBound..<close.lowerBound])
    }

    private func confirm(_ fields: Value, repo: String, isPublic: Bool, request: FileIssueRequest) throws {
        let yes = request.yes
        let body = fields["body"]?.string ?? ""
        let carriesLog = body.contains("```")
        if isPublic && request.publicNeedsConsent && !yes {
            throw IncidentError.cancelled(
                "\(repo) is public; nothing was sent. Review the issue with a dry run, then pass \(request.consent).")
        }
        if isPublic && carriesLog && !yes && workspace.env.prompter == nil {
            throw IncidentError.cancelled(
                "\(repo) is public and the issue carries a log excerpt; nothing was sent. Review it with --dry-run, then pass \(request.consent)."
            )
        }
        guard let prompter = workspace.env.prompter, !yes else { return }
        prompter.show("\n\(fields["title"]?.string ?? "")\n\n\(body)")
        if isPublic && carriesLog {
            prompter.show("warning: \(repo) is public, and this issue includes a log excerpt (secrets were redacted).")
        }
        guard try prompter.confirm("File this issue on \(repo)?", defaultYes: !isPublic) else {
            throw IncidentError.cancelled("nothing was sent.")
        }
    }

    private func record(
        _ issue: GitHubIssue, repo: String, in incident: LoadedIncident, created: Bool, author: String?
    ) throws -> FileIssueResult {
        var document = incident.document
        document.fields["github"] = ["repo": .string(repo), "number": .int(issue.number), "url": .string(issue.url)]
        Timeline.record(
            &document, at: workspace.env.now,
            "GitHub issue \(repo)#\(issue.number) \(created ? "filed" : "found and linked")")
        var saved = try workspace.store.save(incident, document: document)
        var completed: String?
        let stage = saved.document.stage
        if saved.document.status == Status.open.rawValue,
            (try? workspace.templates.stage(stage))?.action == .githubIssue
        {
            var advance = AdvanceRequest(ref: saved.document.id)
            advance.yes = true
            advance.author = author
            let result = try AdvanceWorkflow(workspace: workspace).run(advance)
            saved = try workspace.store.resolve(result.path)
            completed = stage
        }
        return try fileFollowUps(
            FileIssueResult(
                number: issue.number, url: issue.url, created: created, repo: repo, completedStage: completed,
                incident: saved))
    }

    /// Files the follow-ups not filed yet (each recorded as owed before anything is sent), links them
    /// from the issue, and sends whatever else the issue is owed. Nothing is sent when all is filed.
    private func fileFollowUps(_ result: FileIssueResult) throws -> FileIssueResult {
        var result = result
        var document = result.incident.document
        if !FollowUps(workspace: workspace).queueUnfiled(in: &document).isEmpty {
            result.incident = try workspace.store.save(result.incident, document: document)
        }
        let outcome = GitHubSync(workspace: workspace).flush(result.incident, saved: "the issue is filed")
        result.incident = outcome.incident
        result.synced = outcome.sent
        result.syncWarning = outcome.warning
        result.followUps = FollowUps(workspace: workspace).all(outcome.incident.document)
        return result
    }
}
