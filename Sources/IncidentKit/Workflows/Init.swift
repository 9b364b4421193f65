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

/// Sets a repo up: `.incident.yml`, `incidents/`, `templates/`. Never overwrites a file.
public struct InitWorkflow {
    let env: Environment

    public init(env: Environment) { self.env = env }

    /// `apiURL` (`--api-url`) goes into the config; without it the config names no API, so the API
    /// follows the repo's host (github.com or an Enterprise server).
    public func run(directory: String?, apiURL: String? = nil) throws -> InitResult {
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
        if try write(Config.fileName, Config.starter(apiURL: apiURL)) {
            result.apiURL = apiURL
        } else if let apiURL {
            result.warnings.append(
                "\(Config.fileName) exists and was kept, so --api-url was not written; set github.api_url: \(apiURL) in it yourself."
            )
        }
        try fs.createDirectory(root + "/incidents")
        if try fs.contents(of: root + "/incidents").isEmpty { _ = try write("incidents/.gitkeep", "") }
        try fs.createDirectory(root + "/templates")
        for name in TemplateLibrary.defaultNames {
            _ = try write("templates/\(name).md", TemplateLibrary.defaults[name]!)
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
        /// Set when the template does not parse.
        public var problem: String?

        /// One element of `templates list --json`.
        public func toValue() -> Value {
            [
                "name": .string(name), "origin": .string(origin), "title": .string(title), "action": .optional(action),
                "fields": .strings(fields), "in_stages": .bool(inStages), "problem": .optional(problem),
            ]
        }
    }

    public func list() throws -> [Entry] {
        let stages = workspace.config.stages
        return try workspace.templates.names().map { name in
            let source = try workspace.templates.source(named: name)
            let origin = source?.origin ?? "?"
            if name == "github-issue" {
                return Entry(
                    name: name, origin: origin, title: "GitHub issue title and body", fields: [], action: nil,
                    inStages: false)
            }
            do {
                let template = try workspace.templates.stage(name)
                return Entry(
                    name: name, origin: origin, title: template.title, fields: template.fields.map(\.id),
                    action: template.action?.rawValue, inStages: stages.contains(name))
            } catch {
                return Entry(
                    name: name, origin: origin, title: "", fields: [], action: nil, inStages: stages.contains(name),
                    problem: "\(error)")
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

    /// Copies the built-in templates into `templates/`, keeping files that exist unless `force`.
    public func eject(force: Bool) throws -> (written: [String], kept: [String]) {
        let fs = workspace.env.fileSystem
        try fs.createDirectory(workspace.templates.folder)
        var written: [String] = []
        var kept: [String] = []
        for name in TemplateLibrary.defaultNames {
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
