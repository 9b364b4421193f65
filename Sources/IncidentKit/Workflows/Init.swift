import Foundation

/// What `incident init` did.
public struct InitResult: Sendable {
    public var root: String
    /// Paths written, relative to the root.
    public var created: [String]
    /// Paths that existed and were kept as they were.
    public var kept: [String]
    /// The `github.api_url` written, if any.
    public var apiURL: String?
    /// Things the user should know (an `--api-url` that could not be written into a kept config).
    public var warnings: [String] = []

    public func toValue() -> Value {
        [
            "root": .string(root), "created": .strings(created), "kept": .strings(kept),
            "api_url": .optional(apiURL), "warnings": .strings(warnings),
        ]
    }
}

/// A stage set shaped after a well-known postmortem template, built from the same stage templates.
public enum Preset: String, CaseIterable, Sendable {
    /// Google SRE: summary and impact, trigger apart from root cause, lessons (went well, went
    /// wrong, got lucky) with action items, a test plan.
    case google
    /// PagerDuty: impact, detection, response and recovery, contributing factors, lessons and actions.
    case pagerduty
    /// Atlassian: impact and response, five whys, lessons and actions, a test plan.
    case atlassian
    /// Identify, five whys, fix.
    case minimal

    public var stages: [String] {
        switch self {
        case .google: ["identify", "impact", "causes", "lessons", "test-plan", "issue", "fix", "verify"]
        case .pagerduty: ["identify", "impact", "causes", "lessons", "issue", "fix", "verify"]
        case .atlassian: ["identify", "impact", "five-whys", "lessons", "test-plan", "issue", "fix", "verify"]
        case .minimal: ["identify", "five-whys", "fix"]
        }
    }
}

/// Sets a repo up: `.incident.yml` and `incidents/`, and `templates/` only when asked
/// (a copied built-in never receives later fixes). Never overwrites a file.
public struct InitWorkflow {
    let env: Environment

    public init(env: Environment) { self.env = env }

    /// `apiURL` (`--api-url`) goes into the config; without it the config names no API, so the API
    /// follows the repo's host (github.com or an Enterprise server).
    /// `preset` chooses the stage set (default: the seed's pipeline). The stage templates stay built
    /// in; `ejectTemplates` copies that set's templates and the issue body's into `templates/`.
    public func run(directory: String?, apiURL: String? = nil, preset: Preset? = nil, ejectTemplates: Bool = false)
        throws -> InitResult
    {
        if let apiURL { try GitHubClient.checkTransport(apiURL, source: "--api-url") }
        let root = try Workspace.findRoot(env, directory: directory)
        let fs = env.fileSystem
        var result = InitResult(root: root, created: [], kept: [], apiURL: nil)
        func write(_ relative: String, _ text: String) throws -> Bool {
            let path = root + "/" + relative
            do {
                try fs.create(Data(text.utf8), at: path)
                result.created.append(relative)
                return true
            } catch FileSystemError.exists {
                result.kept.append(relative)
                return false
            }
        }
        var starter = Config.starter(apiURL: apiURL)
        if let preset {
            starter = starter.replacingOccurrences(
                of: "stages: [\(Config.defaultStages.joined(separator: ", "))]",
                with: "stages: [\(preset.stages.joined(separator: ", "))]   # preset \(preset.rawValue)")
        }
        if try write(Config.fileName, starter) {
            result.apiURL = apiURL
        } else {
            if let apiURL {
                result.warnings.append(
                    "\(Config.fileName) exists and was kept, so --api-url was not written; set github.api_url: \(apiURL) in it yourself."
                )
            }
            if let preset {
                result.warnings.append(
                    "\(Config.fileName) exists and was kept, so the \(preset.rawValue) preset's stages were not written; set stages: [\(preset.stages.joined(separator: ", "))] in it yourself."
                )
            }
        }
        try fs.createDirectory(root + "/incidents")
        if try fs.contents(of: root + "/incidents").isEmpty { _ = try write("incidents/.gitkeep", "") }
        if ejectTemplates {
            try fs.createDirectory(root + "/templates")
            let wanted = Set((preset?.stages ?? TemplateLibrary.defaultNames) + ["github-issue"])
            for name in TemplateLibrary.defaultNames where wanted.contains(name) {
                _ = try write("templates/\(name).md", TemplateLibrary.defaults[name]!)
            }
        }
        return result
    }
}

/// `incident templates list|show|eject`.
public struct TemplatesWorkflow {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public struct Entry: Sendable {
        public var name: String
        public var origin: String
        public var title: String
        public var fields: [String]
        public var action: String?
        public var inStages: Bool
        /// For a file in templates/ that overrides a built-in: whether it differs from the built-in
        /// (a copy that differs does not receive the built-in's later fixes). Nil otherwise.
        public var differsFromBuiltIn: Bool?
        /// Set when the template does not parse.
        public var problem: String?

        /// One element of `templates list --json`.
        public func toValue() -> Value {
            [
                "name": .string(name), "origin": .string(origin), "title": .string(title), "action": .optional(action),
                "fields": .strings(fields), "in_stages": .bool(inStages), "problem": .optional(problem),
                "differs_from_built_in": differsFromBuiltIn.map(Value.bool) ?? .null,
            ]
        }
    }

    public func list() throws -> [Entry] {
        let stages = workspace.config.stages
        return try workspace.templates.names().map { name in
            let source = try workspace.templates.source(named: name)
            let origin = source?.origin ?? "?"
            let differs: Bool? =
                source.flatMap { source in
                    guard !source.origin.hasPrefix("built-in"), let builtIn = TemplateLibrary.defaults[name] else {
                        return nil
                    }
                    return source.text != builtIn
                }
            if name == "github-issue" {
                return Entry(
                    name: name, origin: origin, title: "GitHub issue title and body", fields: [], action: nil,
                    inStages: false, differsFromBuiltIn: differs)
            }
            do {
                let template = try workspace.templates.stage(name)
                return Entry(
                    name: name, origin: origin, title: template.title, fields: template.fields.map(\.id),
                    action: template.action?.rawValue, inStages: stages.contains(name), differsFromBuiltIn: differs)
            } catch {
                return Entry(
                    name: name, origin: origin, title: "", fields: [], action: nil, inStages: stages.contains(name),
                    differsFromBuiltIn: differs, problem: "\(error)")
            }
        }
    }

    public func show(_ name: String) throws -> String {
        guard let source = try workspace.templates.source(named: name) else {
            throw IncidentError.usage(
                "there is no template '\(name)'; `incident templates list` shows them.")
        }
        return source.text
    }

    /// Copies built-in templates into `templates/` (the named ones, or all of them when `names` is empty),
    /// keeping files that exist unless `force`.
    public func eject(_ names: [String] = [], force: Bool) throws -> (written: [String], kept: [String]) {
        for name in names where TemplateLibrary.defaults[name] == nil {
            throw IncidentError.usage(
                "there is no built-in template '\(name)'; the built-ins are \(TemplateLibrary.defaultNames.joined(separator: ", ")).")
        }
        let fs = workspace.env.fileSystem
        try fs.createDirectory(workspace.templates.folder)
        var written: [String] = []
        var kept: [String] = []
        for name in names.isEmpty ? TemplateLibrary.defaultNames : names {
            let path = workspace.templates.folder + "/" + name + ".md"
            let data = Data(TemplateLibrary.defaults[name]!.utf8)
            if fs.fileExists(path) && !force {
                kept.append("templates/\(name).md")
                continue
            }
            try fs.writeAtomically(data, to: path)
            written.append("templates/\(name).md")
        }
        return (written, kept)
    }
}
