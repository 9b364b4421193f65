import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One repo as the tool sees it: its root, config, templates and incidents, and where its logs
/// come from (`logs`).
public struct Workspace: Sendable {
    public let root: String
    public let env: Environment
    public let config: Config
    public let templates: TemplateLibrary
    public let store: IncidentStore

    /// Finds the root (`--dir`, else the nearest folder with `.incident.yml`, else `.git`, else the
    /// working directory) and loads its config.
    public static func open(_ env: Environment, directory: String?) throws -> Workspace {
        let root = try findRoot(env, directory: directory)
        let config = try Config.load(root: root, fileSystem: env.fileSystem)
        return Workspace(
            root: root, env: env, config: config, templates: TemplateLibrary(root: root, fileSystem: env.fileSystem),
            store: IncidentStore(root: root, env: env))
    }

    static func findRoot(_ env: Environment, directory: String?) throws -> String {
        if let directory {
            let path = directory.hasPrefix("/") ? directory : env.workingDirectory + "/" + directory
            let standard = (path as NSString).standardizingPath
            guard env.fileSystem.isDirectory(standard) else {
                throw IncidentError.usage("--dir '\(directory)' is not a folder.")
            }
            return standard
        }
        let start = (env.workingDirectory as NSString).standardizingPath
        for marker in [Config.fileName, ".git"] {
            var folder = start
            while true {
                if env.fileSystem.fileExists(folder + "/" + marker) { return folder }
                let parent = (folder as NSString).deletingLastPathComponent
                if parent == folder || parent.isEmpty { break }
                folder = parent
            }
        }
        return start
    }

    /// The stage order, each name checked to have a template.
    public func stageOrder() throws -> [String] {
        for name in config.stages where try templates.source(named: name) == nil {
            throw IncidentError.failure(
                "\(Config.fileName) lists stage '\(name)', which has no template: add templates/\(name).md or remove it from stages."
            )
        }
        return config.stages
    }

    /// The stage after `stage`, or nil when it is the last.
    public func stage(after stage: String) throws -> String? {
        let order = try stageOrder()
        guard let index = order.firstIndex(of: stage) else { return nil }
        return index + 1 < order.count ? order[index + 1] : nil
    }

    /// Where logs are read from (a file, standard input or text) and analysed.
    public var logs: LogInput { LogInput(root: root, env: env, config: config) }

    /// Reads a file named on the command line, relative to the working directory.
    public func readUserFile(_ path: String, what: String) throws -> Data {
        let full = path.hasPrefix("/") ? path : env.workingDirectory + "/" + path
        do {
            return try env.fileSystem.read(full)
        } catch let error as FileSystemError {
            throw IncidentError.userFile(error, path: path, what: what)
        }
    }
}
