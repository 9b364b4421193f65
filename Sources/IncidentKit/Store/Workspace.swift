import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One repo as the tool sees it: its root, config, templates and incidents.
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

    /// Analyses a log (a file, standard input or text), streaming it: plain or gzip, any size.
    public func analyzeLog(_ source: LogSource, recordLineEvents: Bool) throws -> LogAnalysis {
        let analyzer = LogAnalyzer(
            redactor: try Redactor(config: config), now: env.now, recordLineEvents: recordLineEvents,
            signatures: try SignatureCatalog.load(root: root, fileSystem: env.fileSystem))
        let descriptor: Int32
        var path: String?
        switch source {
        case .text(let text):
            let data = Data(text.utf8)
            if data.prefix(1 << 16).withUnsafeBytes({ BinaryData.isBinary($0.bindMemory(to: UInt8.self)) }) {
                throw LogInputError.binary
            }
            return analyzer.analyze(data)
        case .standardInput:
            if env.stdinIsTerminal {
                throw IncidentError.usage(
                    "'-' reads a log from standard input, which is a terminal; pipe a log in (kubectl logs POD | incident …) or give a file."
                )
            }
            descriptor = try env.standardInputDescriptor()
        case .path(let given):
            let full = given.hasPrefix("/") ? given : env.workingDirectory + "/" + given
            do {
                descriptor = try env.fileSystem.openForReading(full)
            } catch let error as FileSystemError {
                throw Self.userFileError(error, path: given, what: "log file")
            }
            path = full
        }
        let progress = env.progress
        let report: (Int) -> Void = { bytes in progress?("analysing \(source.name): \(bytes >> 20) MiB read…") }
        // A large plain file is read as two halves on two threads; gzip and pipes stream in order.
        var info = stat()
        var magic: [UInt8] = [0, 0]
        if let path, fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 32 << 20,
            pread(descriptor, &magic, 2, 0) == 2, magic != [0x1F, 0x8B],
            let second = try? env.fileSystem.openForReading(path)
        {
            let analysis = try analyzer.analyze(
                first: descriptor, second: second, size: Int(info.st_size), progress: report)
            progress?("")
            return analysis
        }
        let analysis = try analyzer.analyze(descriptor: descriptor, progress: report)
        progress?("")
        return analysis
    }

    /// Reads a file named on the command line, relative to the working directory.
    public func readUserFile(_ path: String, what: String) throws -> Data {
        let full = path.hasPrefix("/") ? path : env.workingDirectory + "/" + path
        do {
            return try env.fileSystem.read(full)
        } catch let error as FileSystemError {
            throw Self.userFileError(error, path: path, what: what)
        }
    }

    /// One sentence for a file named on the command line that cannot be read.
    static func userFileError(_ error: FileSystemError, path: String, what: String) -> IncidentError {
        switch error {
        case .notFound: return .usage("\(what) '\(path)' does not exist; check the path.")
        case .isDirectory: return .usage("\(what) '\(path)' is a folder; give a file.")
        default: return .usage("\(what) '\(path)' cannot be read: \(error).")
        }
    }
}
