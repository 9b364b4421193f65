import Foundation

/// Sets a repo up: `.incident.yml`, `incidents/`, `templates/`. Never overwrites a file.
public struct InitWorkflow {
    let env: Environment

    public init(env: Environment) { self.env = env }

    /// Returns the paths written and the paths kept as they were, relative to the root.
    public func run(directory: String?) throws -> (root: String, created: [String], kept: [String]) {
        let root = try Workspace.findRoot(env, directory: directory)
        let fs = env.fileSystem
        var created: [String] = []
        var kept: [String] = []
        func write(_ relative: String, _ text: String) throws {
            let path = root + "/" + relative
            do {
                try fs.create(Data(text.utf8), at: path)
                created.append(relative)
            } catch FileSystemError.exists {
                kept.append(relative)
            }
        }
        try write(Config.fileName, Config.starter)
        try fs.createDirectory(root + "/incidents")
        if try fs.contents(of: root + "/incidents").isEmpty { try write("incidents/.gitkeep", "") }
        try fs.createDirectory(root + "/templates")
        for name in TemplateLibrary.defaultNames {
            try write("templates/\(name).md", TemplateLibrary.defaults[name]!)
        }
        return (root, created, kept)
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
