import Foundation
import OrderedCollections

/// An incident as read from disk, with the bytes it was read from (to detect changes before a write).
public struct LoadedIncident: Sendable {
    public var path: String
    public var relativePath: String
    public var document: IncidentDocument
    let original: Data
    /// Loaded from `ReadCache` (front-matter fields only, no body): for reading, never for a save.
    var readOnly = false
}

/// Reads and writes the incident files of one repo.
public struct IncidentStore: Sendable {
    public let root: String
    let env: Environment
    /// How much older than the read cache a file's stamp must be for its entry to be used.
    var readCacheMargin = ReadCache.defaultMargin
    var fileSystem: any FileSystem { env.fileSystem }

    public init(root: String, env: Environment) {
        self.root = root
        self.env = env
    }

    public var folder: String { root + "/incidents" }

    public func relative(_ path: String) -> String {
        // Cut by bytes: `dropFirst` on a String walks characters, which `list` paid per incident.
        path.utf8.starts(with: (root + "/").utf8) ? String(Substring(path.utf8.dropFirst(root.utf8.count + 1))) : path
    }

    /// The incident file names, sorted (hidden and temp files left out).
    public func fileNames() throws -> [String] {
        guard fileSystem.isDirectory(folder) else { return [] }
        return try fileSystem.contents(of: folder).filter { $0.hasSuffix(".md") && !$0.hasPrefix(".") }.sorted()
    }

    public func load(path: String) throws -> LoadedIncident {
        let data: Data
        do {
            data = try fileSystem.read(path)
        } catch let error as FileSystemError {
            throw IncidentError.failure("\(error).")
        }
        let name = relative(path)
        guard let text = String(validatingUTF8Data: data) else {
            throw IncidentError.failure("\(name) is not UTF-8; it was left as it is. Convert it to UTF-8 to use it.")
        }
        let document = try IncidentDocument.parse(text, name: name)
        return LoadedIncident(path: path, relativePath: name, document: document, original: data)
    }

    /// Every readable incident; each file that cannot be read is passed to `problem` and skipped.
    /// Files are parsed in parallel (they are independent); results keep file-name order.
    public func loadAll(problem: (String) -> Void = { _ in }) throws -> [LoadedIncident] {
        let names = try fileNames()
        let slots = ResultSlots(count: names.count)
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            do {
                slots.set(index, .success(try load(path: folder + "/" + names[index])))
            } catch {
                slots.set(index, .failure(error))
            }
        }
        var incidents: [LoadedIncident] = []
        incidents.reserveCapacity(names.count)
        for result in slots.values {
            switch result {
            case .success(let incident): incidents.append(incident)
            case .failure(let error): problem("\(error)")
            case nil: break
            }
        }
        return incidents
    }

    /// The repo's git folder: `.git` itself, or the folder a `.git` file names (`gitdir: …`, in a
    /// linked worktree or a submodule), which belongs to this checkout alone. Nil outside git.
    var gitFolder: String? {
        let dotGit = root + "/.git"
        if fileSystem.isDirectory(dotGit) { return dotGit }
        guard let data = try? fileSystem.read(dotGit), data.count < 4096,
            let text = String(validatingUTF8Data: data), text.hasPrefix("gitdir: ")
        else { return nil }
        let named = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !named.isEmpty else { return nil }
        let folder = named.hasPrefix("/") ? named : root + "/" + named
        return fileSystem.isDirectory(folder) ? folder : nil
    }

    /// The read cache's path, `incident/read-cache` in the repo's git folder. Nil outside git.
    var readCachePath: String? { gitFolder.map { $0 + "/incident/" + ReadCache.fileName } }

    /// Every readable incident's front-matter, as `loadAll` gives it, for commands that read the
    /// fields only (`list`, `stats`): files unchanged since the last such read come from
    /// `ReadCache`, the rest are parsed (and the cache brought up to date). The incidents returned
    /// have an empty body and are `readOnly`; `save` refuses them. With `json`, those from the
    /// cache bring the JSON of their fields as well (`list --json` copies it).
    public func loadAllForReading(
        json: Bool = false, problem: (String) -> Void = { _ in }
    ) throws
        -> [LoadedIncident]
    {
        guard let cachePath = readCachePath else { return try loadAll(problem: problem) }
        // The folder listed while the cache is read, on two cores.
        enum Start {
            case cache(ReadCache)
            case names(Result<[String], any Error>)
        }
        var read = ReadCache()
        var listed: Result<[String], any Error> = .success([])
        let margin = readCacheMargin
        for start in Parallel.map(
            2, minimumPerPart: 1,
            { part -> Start in
                part == 0
                    ? .cache(ReadCache.read(cachePath, fileSystem: fileSystem, margin: margin, json: json))
                    : .names(Result { try fileNames() })
            })
        {
            switch start {
            case .cache(let cache): read = cache
            case .names(let result): listed = result
            }
        }
        let names = try listed.get()
        let cache = read
        // Each part of the names, on all cores: a stat per file, then its cache entry when the
        // stamps agree, or else the file parsed. A stamp is taken before its file is read, so a
        // change after that gives a new stamp.
        let parts = names.count < 256 ? 1 : ProcessInfo.processInfo.activeProcessorCount * 4
        let results = PartSlots(count: parts)
        // Each incident is built in its slot and moved out at the end: copying thousands of them
        // (each copy retains every part of one) cost more than reading them.
        let slots = IncidentSlots(count: names.count)
        defer { slots.free() }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (names.count * part / parts)..<(names.count * (part + 1) / parts)
            var loaded = PartLoad()
            loaded.stamps = fileSystem.stamps(of: names[range], in: folder)
            loaded.loaded.reserveCapacity(range.count)
            for (offset, index) in range.enumerated() {
                let path = folder + "/" + names[index]
                let stamp = loaded.stamps[offset]
                if let stamp, let hit = cache.hit(for: names[index], stamp: stamp) {
                    var document = IncidentDocument(fields: hit.fields, body: "")
                    document.fieldsJSON = hit.json
                    slots.set(
                        index,
                        LoadedIncident(
                            path: path, relativePath: relative(path), document: document, original: Data(),
                            readOnly: true))
                    loaded.loaded.append(true)
                    loaded.cached += 1
                    continue
                }
                do {
                    var incident = try load(path: path)
                    incident.readOnly = true
                    slots.set(index, incident)
                    loaded.loaded.append(true)
                    if stamp != nil { loaded.parsed += 1 }
                } catch {
                    loaded.loaded.append(false)
                    loaded.failures.append(error)
                }
            }
            results.set(part, loaded)
        }
        let partsLoaded = results.values
        let stamps = partsLoaded.flatMap(\.stamps)
        let isLoaded = partsLoaded.flatMap(\.loaded)
        let cached = partsLoaded.reduce(0) { $0 + $1.cached }
        // Rewritten when a file was parsed that can be cached, or an entry was not used (its file
        // changed or left, or the entry was damaged).
        if partsLoaded.contains(where: { $0.parsed > 0 }) || cached != cache.count {
            var entries: [(name: String, stamp: FileStamp, fields: OrderedDictionary<String, Value>)] = []
            entries.reserveCapacity(names.count)
            for index in names.indices where isLoaded[index] {
                if let stamp = stamps[index] { entries.append((names[index], stamp, slots[index].document.fields)) }
            }
            // A cache that cannot be written (a read-only repo) only costs the next read its speed.
            if let bytes = ReadCache.encode(entries) {
                try? fileSystem.createDirectory((cachePath as NSString).deletingLastPathComponent)
                try? fileSystem.writeAtomically(Data(bytes), to: cachePath)
            }
        }
        for part in partsLoaded { for error in part.failures { problem("\(error)") } }
        return slots.moveOut(where: isLoaded)
    }

    // MARK: - Refs

    /// Finds one incident by SPEC's ref order: id, path, file name, id prefix, slug fragment, `latest`.
    public func resolve(_ ref: String) throws -> LoadedIncident {
        let ref = ref.trimmingCharacters(in: .whitespaces)
        guard !ref.isEmpty else {
            throw IncidentError.usage("the incident ref is empty; give an id, a path or 'latest'.")
        }
        var unreadable: [String] = []
        let all = try loadAll { unreadable.append($0) }
        let byID = all.filter { $0.document.id == ref }
        if byID.count > 1 {
            // A copied file keeps its id: which one a change should go to is the user's to say.
            let lines = byID.prefix(10).map { "  \($0.relativePath)" }.joined(separator: "\n")
            throw IncidentError.failure(
                "'\(ref)' is the id of \(byID.count) incident files; give the path of the one meant (and give the other a new id, `incident doctor` lists such files):\n\(lines)"
            )
        }
        if let match = byID.first { return match }

        for candidate in [ref.hasPrefix("/") ? ref : env.workingDirectory + "/" + ref, root + "/" + ref]
        where candidate.hasSuffix(".md") && fileSystem.fileExists(candidate) && !fileSystem.isDirectory(candidate) {
            // A path names an incident only inside this repo's incidents/ folder, links resolved:
            // `set /tmp/elsewhere/x.md title=…` must not rewrite a file outside the repo.
            let resolved = Self.realPath(candidate) ?? standardize(candidate)
            let inside = (Self.realPath(folder) ?? folder) + "/"
            guard resolved.hasPrefix(inside), !resolved.dropFirst(inside.count).contains("/") else {
                throw IncidentError.failure(
                    "'\(ref)' is not in this repo's \(relative(folder))/ folder; incident works only on its own incident files."
                )
            }
            return try load(path: folder + "/" + (resolved as NSString).lastPathComponent)
        }
        for name in [ref, ref + ".md"] where !ref.contains("/") {
            if fileSystem.fileExists(folder + "/" + name) && !fileSystem.isDirectory(folder + "/" + name) {
                return try load(path: folder + "/" + name)
            }
        }
        let lowered = ref.lowercased()
        let prefix = lowered.hasPrefix("inc-") ? lowered : "inc-" + lowered
        let byPrefix = all.filter { $0.document.id.hasPrefix(prefix) }
        if let match = try unique(byPrefix, ref: ref) { return match }
        let bySlug = all.filter { ($0.relativePath as NSString).lastPathComponent.lowercased().contains(lowered) }
        if let match = try unique(bySlug, ref: ref) { return match }
        if lowered == "latest" {
            if let newest = all.max(by: {
                ($0.document.created ?? .distantPast) < ($1.document.created ?? .distantPast)
            }) {
                return newest
            }
            throw IncidentError.failure(
                "there are no incidents in \(relative(folder)) yet; start one with `incident new`.")
        }
        // A file that could not be read may be the one meant: name it rather than say "no match".
        for problem in unreadable {
            // Problems begin with the file's path: "incidents/x.md:3: …", "incidents/x.md is not UTF-8; …".
            let name = String(problem.prefix { $0 != ":" && $0 != " " })
            let text =
                (try? fileSystem.read(name.hasPrefix("/") ? name : root + "/" + name)).map {
                    String(decoding: $0, as: UTF8.self)
                } ?? ""
            if name.lowercased().contains(lowered) || text.contains("id: \(ref)") {
                throw IncidentError.failure("'\(ref)' may be \(name), which cannot be read: \(problem)")
            }
        }
        let note =
            unreadable.isEmpty
            ? ""
            : " \(unreadable.count) incident file\(unreadable.count == 1 ? "" : "s") could not be read (`incident doctor` lists them)."
        throw IncidentError.failure(
            "no incident matches '\(ref)'; give an id (inc-…), a path, part of a file name, or 'latest' (`incident list` shows them)."
                + note
        )
    }

    /// The path with every link resolved, or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func unique(_ matches: [LoadedIncident], ref: String) throws -> LoadedIncident? {
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            let lines = matches.prefix(10).map { "  \($0.document.id)  \($0.relativePath)" }.joined(separator: "\n")
            throw IncidentError.failure(
                "'\(ref)' matches \(matches.count) incidents; give one of these ids:\n\(lines)")
        }
        return nil
    }

    private func standardize(_ path: String) -> String {
        (path as NSString).standardizingPath
    }

    // MARK: - Writing

    /// Rewrites an incident atomically, under a lock, unless the file changed since it was read.
    @discardableResult
    public func save(_ incident: LoadedIncident, document: IncidentDocument) throws -> LoadedIncident {
        guard !incident.readOnly else {
            throw IncidentError.failure(
                "\(incident.relativePath) was loaded for reading only; nothing was written (a defect: report it).")
        }
        let lock: any FileLock
        do {
            lock = try fileSystem.lock(incident.path)
        } catch FileSystemError.locked {
            throw IncidentError.failure(
                "\(incident.relativePath) is being written by another incident command; nothing was written; try again in a moment."
            )
        } catch FileSystemError.notFound {
            throw IncidentError.failure(
                "\(incident.relativePath) was removed while this command ran; nothing was written.")
        }
        defer { lock.release() }
        let current = try? fileSystem.read(incident.path)
        guard current == incident.original else {
            throw IncidentError.failure(
                "\(incident.relativePath) changed on disk since it was read (an editor or another incident command); nothing was written; run the command again."
            )
        }
        let data = Data(document.serialized().utf8)
        do {
            try fileSystem.writeAtomically(data, to: incident.path)
        } catch {
            throw IncidentError.failure("could not write \(incident.relativePath): \(error); the file is unchanged.")
        }
        return LoadedIncident(
            path: incident.path, relativePath: incident.relativePath, document: document, original: data)
    }

    /// Writes a new incident as `<date>-<slug>.md`, or `<date>-<slug>-<id>.md` when the name is taken.
    /// Runs `body` holding the repo-wide store lock, so that "look for a matching incident, then
    /// create one" is one step across processes (20 parallel `new` of one log make one incident).
    /// The lock file lives in `.git/incident/` (or `incidents/.lock` outside git); waits up to 30 s.
    public func withStoreLock<T>(_ body: () throws -> T) throws -> T {
        let gitFolder = root + "/.git"
        let folder = fileSystem.isDirectory(gitFolder) ? gitFolder + "/incident" : self.folder
        try fileSystem.createDirectory(folder)
        let path = folder + (folder == self.folder ? "/.lock" : "/store.lock")
        if !fileSystem.fileExists(path) {
            do { try fileSystem.create(Data(), at: path) } catch FileSystemError.exists {}
        }
        let lock: any FileLock
        do {
            lock = try fileSystem.lockWaiting(path, timeout: 30, sleep: env.sleep)
        } catch FileSystemError.locked {
            throw IncidentError.failure(
                "another incident command has held \(relative(path)) for 30 s; nothing was written; try again.")
        }
        defer { lock.release() }
        return try body()
    }

    public func create(_ document: IncidentDocument) throws -> LoadedIncident {
        try fileSystem.createDirectory(folder)
        let day = document.created.map(Time.day) ?? Time.day(env.now)
        let slug = Slug.make(document.title)
        let data = Data(document.serialized().utf8)
        for name in ["\(day)-\(slug).md", "\(day)-\(slug)-\(document.id).md"] {
            let path = folder + "/" + name
            do {
                try fileSystem.create(data, at: path)
                return LoadedIncident(path: path, relativePath: relative(path), document: document, original: data)
            } catch FileSystemError.exists {
                continue
            }
        }
        throw IncidentError.failure("could not find a free file name for \(document.id) in \(relative(folder)).")
    }

    /// A fresh id: "inc-" and 6 random characters of [0-9a-z], drawn again while taken. Pass the ids
    /// when the incidents are already loaded.
    public func newID(taken known: Set<String>? = nil) throws -> String {
        let taken = try known ?? Set(loadAll().map(\.document.id))
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        while true {
            var bits = env.random()
            var id = "inc-"
            for _ in 0..<6 {
                id.append(alphabet[Int(bits % 36)])
                bits /= 36
            }
            if !taken.contains(id) { return id }
        }
    }
}

/// File-name slugs: ASCII `[a-z0-9-]`, at most 60 characters, cut at a word boundary.
public enum Slug {
    public static func make(_ title: String, limit: Int = 60) -> String {
        var slug = ""
        var pendingDash = false
        let folded = title.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        for scalar in folded.unicodeScalars {
            if scalar.isASCII
                && (CharacterSet.lowercaseLetters.contains(scalar) || CharacterSet.decimalDigits.contains(scalar))
            {
                if pendingDash && !slug.isEmpty { slug.append("-") }
                slug.unicodeScalars.append(scalar)
                pendingDash = false
            } else {
                pendingDash = true
            }
        }
        if slug.count > limit {
            let cut = slug.prefix(limit)
            slug =
                cut.last == "-"
                ? String(cut.dropLast()) : (cut.lastIndex(of: "-").map { String(cut[..<$0]) } ?? String(cut))
        }
        return slug.isEmpty ? "incident" : slug
    }
}

/// What one part of `loadAllForReading` found, in name order: each file's stamp, whether it
/// was loaded (into its slot) or why not, and how many came from the cache or were parsed with a
/// stamp.
private struct PartLoad {
    var stamps: [FileStamp?] = []
    var loaded: [Bool] = []
    var failures: [any Error] = []
    var cached = 0
    var parsed = 0
}

/// One slot per file for `loadAllForReading`'s workers, each set at most once by one worker;
/// the incidents are then moved out (no copy) and the slots freed.
private final class IncidentSlots: @unchecked Sendable {
    private let base: UnsafeMutablePointer<LoadedIncident>
    private let count: Int
    private var moved = false

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
    }

    func set(_ index: Int, _ incident: LoadedIncident) { (base + index).initialize(to: incident) }

    subscript(index: Int) -> LoadedIncident { base[index] }

    /// The incidents of the slots that were set (`isSet`), in order, moved out.
    func moveOut(where isSet: [Bool]) -> [LoadedIncident] {
        let total = isSet.lazy.filter { $0 }.count
        moved = true
        return [LoadedIncident](unsafeUninitializedCapacity: total) { buffer, initialized in
            var next = 0
            for index in 0..<count where isSet[index] {
                (buffer.baseAddress! + next).moveInitialize(from: base + index, count: 1)
                next += 1
            }
            initialized = next
        }
    }

    /// Frees the slots; those not moved out yet (an error thrown on the way) are left as they are
    /// (leaked, never freed twice).
    func free() {
        if moved { base.deallocate() }
    }
}

/// Per-part results written from `concurrentPerform` workers.
private final class PartSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [PartLoad]

    init(count: Int) { storage = Array(repeating: PartLoad(), count: count) }

    func set(_ index: Int, _ value: PartLoad) { lock.withLock { storage[index] = value } }

    var values: [PartLoad] { lock.withLock { storage } }
}

/// Per-index results written from `concurrentPerform` workers.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<LoadedIncident, any Error>?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<LoadedIncident, any Error>) { lock.withLock { storage[index] = value } }

    var values: [Result<LoadedIncident, any Error>?] { lock.withLock { storage } }
}
