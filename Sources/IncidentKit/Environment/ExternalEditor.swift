import Foundation

/// The user's editor ($VISUAL, then $EDITOR, then vi) on a temp file of its own: mode 0600,
/// removed on every path. The process runner puts it in the terminal's foreground process group.
public struct ExternalEditor: Sendable {
    let env: Environment
    let directory: String

    public init(env: Environment, directory: String) {
        self.env = env
        self.directory = directory
    }

    /// The command line that runs the editor (a shell word list, as git reads it).
    public var command: String {
        for name in ["VISUAL", "EDITOR"] {
            if let value = env.variables[name], !value.trimmingCharacters(in: .whitespaces).isEmpty { return value }
        }
        return "vi"
    }

    /// Opens `text` in the editor; the text saved, or nil when the editor exited with a failure status.
    public func edit(_ text: String, name: String, suffix: String) throws -> (text: String?, status: Int32) {
        let folder = env.variables["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        let path = "\(folder)/incident-\(safeName)-\(String(env.random() % 1_000_000_000, radix: 36)).\(suffix)"
        try env.fileSystem.writePrivately(Data(text.utf8), to: path)
        defer { try? env.fileSystem.remove(path) }
        let status = try Interrupts.removing(path) {
            try env.processes.interactive(
                "/bin/sh", arguments: ["-c", command + " \"$1\"", "sh", path], in: directory)
        }
        guard status == 0 else { return (nil, status) }
        let data = try env.fileSystem.read(path)
        guard let edited = String(validatingUTF8Data: data) else {
            throw IncidentError.usage("the editor saved text that is not UTF-8; nothing was taken from it.")
        }
        return (edited, status)
    }
}
