import Foundation

/// The templates in force for a repo: its `templates/NAME.md` where present, else the built-in default.
public struct TemplateLibrary: Sendable {
    public let root: String
    let fileSystem: any FileSystem

    public init(root: String, fileSystem: any FileSystem) {
        self.root = root
        self.fileSystem = fileSystem
    }

    /// The compiled-in defaults, by name.
    public static let defaults: [String: String] = Dictionary(
        uniqueKeysWithValues: DefaultTemplateSources.all.map { ($0.name, $0.text) })

    public static var defaultNames: [String] { DefaultTemplateSources.all.map(\.name) }

    public var folder: String { root + "/templates" }

    static let nameBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)

    /// A template's text and where it came from; nil when neither the repo nor the defaults have it.
    public func source(named name: String) throws -> (text: String, origin: String)? {
        // A template name is a file name in templates/, never a path: `../../x` reads nothing.
        guard !name.isEmpty, name.utf8.allSatisfy({ Self.nameBytes.contains($0) }), !name.hasPrefix(".") else {
            throw IncidentError.usage(
                "'\(name)' is not a template name; names are letters, digits, '-', '_' and '.' (`incident templates list`).")
        }
        let path = folder + "/" + name + ".md"
        if fileSystem.fileExists(path) {
            let data = try fileSystem.read(path)
            guard let text = String(validatingUTF8Data: data) else {
                throw IncidentError.failure("templates/\(name).md is not UTF-8; save it as UTF-8.")
            }
            return (text, "templates/\(name).md")
        }
        if let text = Self.defaults[name] { return (text, "built-in \(name).md") }
        return nil
    }

    public func stage(_ name: String) throws -> StageTemplate {
        guard let source = try source(named: name) else {
            throw IncidentError.failure(
                "stage '\(name)' has no template: add templates/\(name).md or remove '\(name)' from stages in .incident.yml."
            )
        }
        return try StageTemplate.parse(source.text, name: name, origin: source.origin)
    }

    /// The names of every template in force: the defaults and the repo's own.
    public func names() throws -> [String] {
        var names = Set(Self.defaultNames)
        if fileSystem.isDirectory(folder) {
            for file in try fileSystem.contents(of: folder) where file.hasSuffix(".md") && !file.hasPrefix(".") {
                names.insert(String(file.dropLast(3)))
            }
        }
        return names.sorted()
    }
}

extension String {
    /// Decodes UTF-8 strictly: nil when the bytes are not valid UTF-8.
    public init?(validatingUTF8Data data: Data) {
        guard let text = data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) })
        else { return nil }
        self = text
    }
}
