import Foundation
import OrderedCollections

/// A commit made shortly before the failure that touches what the log points at.
public struct SuspectCommit: Equatable, Sendable {
    public var sha: String
    public var shortSHA: String
    public var subject: String
    public var author: String
    public var date: Date
    public var files: [String]
    /// Why it is suspected, one short clause each.
    public var why: [String]
    public var score: Int

    public func toValue() -> Value {
        [
            "sha": .string(shortSHA), "subject": .string(subject), "author": .string(author),
            "date": .string(Time.format(date)), "why": .string(why.joined(separator: "; ")),
        ]
    }
}

/// `new`: the local repo's commits in a window before the first error that change files named in
/// the log (stack frames, source locations, loggers) or paths named after the services, ranked.
/// Offline: `git log` through the Environment's process runner.
public struct SuspectCommitFinder: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    /// What the log points at: file paths and dotted module names from traces and source locations.
    public struct Clues: Sendable, Equatable {
        public var paths: [String] = []
        public var modules: [String] = []
        public var services: [String] = []
    }

    public static func clues(_ analysis: LogAnalysis, services: [String]) -> Clues {
        var clues = Clues()
        var texts: [String] = []
        for event in analysis.events where event.severity >= .high {
            texts.append(event.example)
            texts += event.detail
        }
        texts += analysis.sourceLocations
        for text in texts {
            for path in filePaths(in: text) where !clues.paths.contains(path) { clues.paths.append(path) }
        }
        for location in analysis.sourceLocations {
            // `pkg.module.function` (Python loggers, loguru): a dotted module, not a file with an extension.
            let parts = location.split(separator: ".")
            if parts.count >= 2, !location.contains("/"), filePaths(in: location).isEmpty,
                !clues.modules.contains(location)
            {
                clues.modules.append(location)
            }
        }
        clues.services = services.map { $0.lowercased() }.filter { $0.count >= 3 }
        return clues
    }

    static let sourceExtensions: Set<String> = [
        "py", "go", "java", "kt", "scala", "js", "mjs", "cjs", "ts", "tsx", "jsx", "rb", "swift", "cs", "fs", "rs",
        "php", "c", "cc", "cpp", "h", "hpp", "m", "ex", "exs", "erl", "clj", "groovy", "lua", "pl", "sh", "yaml", "yml",
        "tf", "json", "toml",
    ]

    /// Path-like tokens with a source file extension: `a/b/c.py`, `main.go`, `Foo.java`.
    static func filePaths(in text: String) -> [String] {
        var result: [String] = []
        let separators = CharacterSet(charactersIn: " \t\"'()[]{}<>,;=")
        for raw in text.components(separatedBy: separators) {
            var token = Substring(raw)
            // `file.py:12` and `file.go:12:3`: the line (and column) go.
            while let colon = token.lastIndex(of: ":"), token[token.index(after: colon)...].allSatisfy(\.isNumber) {
                token = token[..<colon]
            }
            if token.hasPrefix("file://") { token = token.dropFirst(7) }
            guard let dot = token.lastIndex(of: "."), !token.contains("://"), !token.contains(":") else { continue }
            let ext = token[token.index(after: dot)...].lowercased()
            let stem = token[..<dot]
            guard sourceExtensions.contains(ext), !stem.isEmpty, stem.last != "/",
                token.allSatisfy({ $0.isLetter || $0.isNumber || "/._-@+".contains($0) })
            else { continue }
            let path = String(token)
            if !result.contains(path) { result.append(path) }
        }
        return result
    }

    /// Why a changed file is suspected, or nil.
    static func reason(for file: String, clues: Clues) -> (why: String, score: Int)? {
        let lower = file.lowercased()
        let base = (file as NSString).lastPathComponent
        for path in clues.paths {
            let trimmed = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
            // A bare file name (`Cart.java`) may be any of several files: the weaker rule below takes it.
            if file == trimmed || trimmed.hasSuffix("/" + file)
                || (trimmed.contains("/") && file.hasSuffix("/" + trimmed))
            {
                return ("changes \(file), named in the log's trace", 10)
            }
        }
        // A dotted module: the file's last two path parts (without extension) run inside it.
        var parts = file.split(separator: "/").map(String.init)
        if let last = parts.last, let dot = last.lastIndex(of: ".") { parts[parts.count - 1] = String(last[..<dot]) }
        if parts.count >= 2 {
            let tail = parts.suffix(2).joined(separator: ".")
            for module in clues.modules
            where module == tail || module.hasPrefix(tail + ".")
                || module.contains("." + tail + ".") || module.hasSuffix("." + tail)
            {
                return ("changes \(file), the module \(module) in the log", 8)
            }
        }
        for path in clues.paths where !path.contains("/") && (path as NSString).lastPathComponent == base {
            return ("changes \(file), whose name \(base) is in the log's trace", 5)
        }
        let words = Set(lower.split { "/._-".contains($0) }.map(String.init))
        for service in clues.services where words.contains(service) || lower.contains("/" + service) {
            return ("changes \(file), a path of service \(service)", 3)
        }
        return nil
    }

    /// The suspects, best first (at most `limit`); nothing when the root is not a git work tree.
    public func find(_ clues: Clues, before firstError: Date, windowHours: Double, limit: Int = 5) -> [SuspectCommit] {
        let since = firstError.addingTimeInterval(-windowHours * 3600)
        func gitDate(_ date: Date) -> String {
            let text = Time.format(date)
            return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(8)) + " +0000"
        }
        guard
            let result = try? workspace.env.processes.run(
                [
                    "git", "-c", "log.showSignature=false", "log", "--no-merges", "--no-color",
                    "--since=\(gitDate(since))", "--until=\(gitDate(firstError))",
                    "--format=%x1e%H%x1f%h%x1f%an%x1f%ct%x1f%s", "--name-only",
                ], in: workspace.root, timeout: 30, input: nil, extra: ["GIT_TERMINAL_PROMPT": "0"], stdoutOnly: true),
            result.status == 0
        else { return [] }
        var suspects: [SuspectCommit] = []
        for record in result.output.split(separator: "\u{1E}") {
            let lines = record.split(separator: "\n", omittingEmptySubsequences: true)
            guard let head = lines.first else { continue }
            let fields = head.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5, let seconds = TimeInterval(fields[3]) else { continue }
            let date = Date(timeIntervalSince1970: seconds)
            guard date <= firstError, date >= since else { continue }
            let files = lines.dropFirst().map(String.init)
            var why: [String] = []
            var score = 0
            for file in files {
                guard let found = Self.reason(for: file, clues: clues) else { continue }
                if why.count < 3 { why.append(found.why) }
                score += found.score
            }
            guard score > 0 else { continue }
            let hours = firstError.timeIntervalSince(date) / 3600
            why.append(
                hours < 1 ? "\(Int(hours * 60)) min before the first error" : "\(Int(hours)) h before the first error")
            suspects.append(
                SuspectCommit(
                    sha: fields[0], shortSHA: fields[1], subject: fields[4...].joined(separator: "\u{1F}"),
                    author: fields[2], date: date, files: files, why: why, score: score))
        }
        // More evidence first, then the one closest to the failure.
        return Array(suspects.sorted { ($0.score, $0.date) > ($1.score, $1.date) }.prefix(limit))
    }
}
