import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

/// `.git/incident/read-cache`: what `list` and `stats` read of each incident file, kept between runs.
@Suite struct ReadCacheTests {
    /// A store that trusts any entry older than the cache file (the default wants 2 s, which
    /// freshly written test files never are).
    func store(_ repo: TestRepo, margin: Int64 = 0) -> IncidentStore {
        var store = IncidentStore(root: repo.root, env: repo.environment())
        store.readCacheMargin = margin
        return store
    }

    func seeded() throws -> TestRepo {
        let repo = try TestRepo()
        try repo.write(
            "incidents/2025-09-09-redis-down.md",
            incidentText(
                id: "inc-7f3a2c", title: "Redis down — «quoted» ünïcode", created: "2025-09-09T02:40:11Z",
                extra: """
                    services: [redis, api]
                    occurrences: 412
                    ratio: 0.25
                    flag: true
                    nothing: null
                    stages:
                      identify:
                        completed: 2025-09-09T03:00:00Z
                        answers:
                          impact: "checkout: 5xx"
                          tests:
                            - {name: a, due: 2025-10-01}
                    milestones:
                      resolved: 2025-09-09T05:00:00Z

                    """))
        try repo.write(
            "incidents/2025-09-10-redis-slow.md",
            incidentText(id: "inc-7f9b00", title: "Redis slow", created: "2025-09-10T02:40:11Z"))
        try repo.write(
            "incidents/2025-09-08-postgres-full.md",
            incidentText(id: "inc-k2m4p6", title: "Postgres full", created: "2025-09-08T00:00:00Z"))
        try repo.write("incidents/2025-09-11-broken.md", "no front-matter here\n")
        // Coarse file-system clocks: the cache must be written in a later tick than the files.
        usleep(20_000)
        return repo
    }

    func cachePath(_ repo: TestRepo) -> String { repo.path(".git/incident/read-cache") }

    /// Fields by file, and the problems reported, as `loadAllForReading` gives them.
    func read(_ store: IncidentStore) throws -> (fields: [String: Value], problems: [String], cached: Int) {
        var problems: [String] = []
        let loaded = try store.loadAllForReading { problems.append($0) }
        var fields: [String: Value] = [:]
        for incident in loaded { fields[incident.relativePath] = .object(incident.document.fields) }
        return (fields, problems, loaded.filter { $0.readOnly && $0.document.body.isEmpty }.count)
    }

    func parsed(_ store: IncidentStore) throws -> [String: Value] {
        var fields: [String: Value] = [:]
        for incident in try store.loadAll() { fields[incident.relativePath] = .object(incident.document.fields) }
        return fields
    }

    @Test func aCachedReadGivesWhatParsingGives() throws {
        let repo = try seeded()
        let store = store(repo)
        let first = try read(store)
        #expect(first.cached == 0)
        #expect(FileManager.default.fileExists(atPath: cachePath(repo)))
        let second = try read(store)
        #expect(second.cached == 3)
        #expect(first.fields == second.fields)
        #expect(second.fields == (try parsed(store)))
        #expect(second.problems == first.problems)
        #expect(second.problems.count == 1 && second.problems[0].contains("2025-09-11-broken.md"))
        // A double keeps its exact bits, a string its exact bytes.
        let redis = second.fields["incidents/2025-09-09-redis-down.md"]
        #expect(redis?["ratio"] == .double(0.25) && redis?["nothing"] == .null && redis?["flag"] == .bool(true))
        #expect(redis?["title"]?.string == "Redis down — «quoted» ünïcode")
    }

    @Test func listAndStatsPrintTheSameWithAndWithoutTheCache() throws {
        let repo = try seeded()
        let opened = try Workspace.open(repo.environment(), directory: nil)
        let workspace = Workspace(
            root: opened.root, env: opened.env, config: opened.config, templates: opened.templates,
            store: store(repo))
        func outputs() throws -> (String, String, [UInt8], Int) {
            let listed = try QueryWorkflow(workspace: workspace).list(ListRequest()) { _ in }
            let json = JSON.encode(.array(listed.map { QueryWorkflow.jsonObject($0, sections: false) }))
            // As `list --json` writes it: from the JSON the cache kept, where it did.
            let forJSON = try QueryWorkflow(workspace: workspace).list(ListRequest(), forJSON: true) { _ in }
            let open = QueryWorkflow(workspace: workspace).openFollowUps(forJSON)
            let written = QueryWorkflow.listJSON(forJSON, open: open).flatMap { $0 }
            return (
                json, JSON.encode(try StatsWorkflow(workspace: workspace).run(since: nil)), written,
                forJSON.filter { $0.document.fieldsJSON != nil }.count
            )
        }
        let parsedOutputs = try outputs()
        #expect(try read(workspace.store).cached == 3)
        let cachedOutputs = try outputs()
        #expect(cachedOutputs.3 == 3)
        #expect(parsedOutputs.0 == cachedOutputs.0 && parsedOutputs.1 == cachedOutputs.1)
        #expect(parsedOutputs.2 == cachedOutputs.2)
        let listed = try QueryWorkflow(workspace: workspace).list(ListRequest()) { _ in }
        let open = QueryWorkflow(workspace: workspace).openFollowUps(listed)
        let expected = listed.map { incident -> Value in
            var object = QueryWorkflow.jsonObject(incident, sections: false)
            object["open_followups"] = .int(open[incident.document.id]?.count ?? 0)
            return object
        }
        #expect(cachedOutputs.2 == JSON.encodeBytes(.array(expected)))
        #expect(parsedOutputs.0.contains("inc-7f3a2c") && parsedOutputs.1.contains("\"incidents\": 3"))
    }

    @Test func aFileEditedInPlaceToTheSameSizeIsReadAgain() throws {
        let repo = try seeded()
        let store = store(repo)
        _ = try read(store)
        let path = repo.path("incidents/2025-09-10-redis-slow.md")
        var before = stat()
        stat(path, &before)
        // Same inode, same size, one letter changed: only the times tell.
        let text = try repo.read("incidents/2025-09-10-redis-slow.md")
        let edited = text.replacingOccurrences(of: "severity: high", with: "severity: higx")
        #expect(edited.utf8.count == text.utf8.count)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.write(Data(edited.utf8))
        handle.closeFile()
        var after = stat()
        stat(path, &after)
        #expect(after.st_ino == before.st_ino && after.st_size == before.st_size)
        usleep(20_000)
        let again = try read(store)
        #expect(again.fields["incidents/2025-09-10-redis-slow.md"]?["severity"] == .string("higx"))
        #expect(again.cached == 2)
        #expect(again.fields == (try parsed(store)))
    }

    @Test func aDeletedOrRenamedFileLeavesTheList() throws {
        let repo = try seeded()
        let store = store(repo)
        _ = try read(store)
        try FileManager.default.removeItem(atPath: repo.path("incidents/2025-09-08-postgres-full.md"))
        try FileManager.default.moveItem(
            atPath: repo.path("incidents/2025-09-10-redis-slow.md"), toPath: repo.path("incidents/renamed.md"))
        let after = try read(store)
        #expect(Set(after.fields.keys) == ["incidents/2025-09-09-redis-down.md", "incidents/renamed.md"])
        #expect(after.fields["incidents/renamed.md"]?["id"] == .string("inc-7f9b00"))
        #expect(after.fields == (try parsed(store)))
    }

    @Test func aDamagedOrForeignCacheIsIgnoredAndRewritten() throws {
        let repo = try seeded()
        let store = store(repo)
        let expected = try read(store).fields
        let good = try Data(contentsOf: URL(fileURLWithPath: cachePath(repo)))
        // (bytes, entries still used): a damaged header or index loses the whole cache; a damaged
        // entry only itself (its file is parsed).
        var damaged: [(Data, Int)] = [(Data("garbage".utf8), 0), (Data(), 0), (good.prefix(good.count / 2), 0)]
        let entriesEnd = good.withUnsafeBytes {
            Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: ReadCache.headerSize - 16, as: UInt64.self)))
        }
        var flipped = good
        flipped[entriesEnd - 20] ^= 0x01  // inside the last entry's value: caught by its checksum
        damaged.append((flipped, 2))
        var flippedJSON = good
        flippedJSON[good.count - 20] ^= 0x01  // inside the last entry's JSON: only that JSON is dropped
        damaged.append((flippedJSON, 3))
        var index = good
        index[ReadCache.headerSize + 3] ^= 0x01  // the first entry's offset: caught by the index's checksum
        damaged.append((index, 0))
        var foreign = good
        foreign[ReadCache.magic.count] &+= 1  // another format version
        damaged.append((foreign, 0))
        var beyond = good
        beyond[ReadCache.headerSize - 12] = 0x01  // entries said to end past 4 GiB: never allocated
        damaged.append((beyond, 0))
        for (bytes, used) in damaged {
            try bytes.write(to: URL(fileURLWithPath: cachePath(repo)))
            usleep(20_000)
            let withJSON = try store.loadAllForReading(json: true)
            #expect(withJSON.filter { $0.document.fieldsJSON != nil }.count == (bytes == flippedJSON ? 2 : used))
            for incident in withJSON where incident.document.fieldsJSON != nil {
                #expect(incident.document.fieldsJSON.map(Array.init) == JSON.memberBytes(incident.document.fields))
            }
            try bytes.write(to: URL(fileURLWithPath: cachePath(repo)))
            usleep(20_000)
            let read1 = try read(store)
            #expect(read1.cached == used)
            #expect(read1.fields == expected)
            usleep(20_000)
            #expect(try read(store).cached == 3)  // rewritten whole
        }
    }

    @Test func aLinkedWorktreeKeepsItsCacheInItsOwnGitFolder() throws {
        // A linked worktree's `.git` is a file naming its own folder under the main repo's .git.
        let repo = try seeded()
        _ = try read(self.store(repo))
        let own = repo.path(".git/worktrees/second")
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        let tree = repo.path("second")
        try FileManager.default.createDirectory(atPath: tree + "/incidents", withIntermediateDirectories: true)
        try "gitdir: \(own)\n".write(toFile: tree + "/.git", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            atPath: repo.path("incidents/2025-09-10-redis-slow.md"), toPath: tree + "/incidents/a.md")
        usleep(20_000)
        var store = IncidentStore(root: tree, env: repo.environment())
        store.readCacheMargin = 0
        #expect(store.readCachePath == own + "/incident/read-cache")
        #expect(try read(store).cached == 0)
        #expect(FileManager.default.fileExists(atPath: own + "/incident/read-cache"))
        #expect(try read(store).cached == 1)
        #expect(try read(store).fields == (try parsed(store)))
        // The main checkout's cache is its own: it still holds its three files.
        #expect(try read(self.store(repo)).cached == 3)
        // A `.git` file naming no folder: no cache, every file parsed.
        try "gitdir: \(repo.path("nowhere"))\n".write(toFile: tree + "/.git", atomically: true, encoding: .utf8)
        #expect(store.readCachePath == nil)
        #expect(try read(store).fields == (try parsed(store)))
    }

    @Test func freshFilesAreNotTrustedWithinTheMargin() throws {
        let repo = try seeded()
        let store = store(repo, margin: ReadCache.defaultMargin)
        _ = try read(store)
        // Files changed less than 2 s before the cache was written could change again unseen.
        #expect(try read(store).cached == 0)
    }

    @Test func concurrentReadersNeverLeaveATornCache() throws {
        let repo = try seeded()
        let names = (0..<40).map { "incidents/2025-10-\(String(format: "%02d", $0 % 28 + 1))-n\($0).md" }
        for (index, name) in names.enumerated() {
            try repo.write(
                name, incidentText(id: "inc-n\(index)", title: "N \(index)", created: "2025-10-01T00:00:00Z"))
        }
        usleep(20_000)
        let store = store(repo)
        // Each round changes a file and reads from 8 threads at once: each writes a cache.
        for round in 0..<5 {
            try repo.write(
                names[round], incidentText(id: "inc-n\(round)", title: "R\(round)", created: "2025-10-01T00:00:00Z"))
            usleep(20_000)
            DispatchQueue.concurrentPerform(iterations: 8) { _ in _ = try? store.loadAllForReading() }
            let cache = ReadCache.read(cachePath(repo), fileSystem: LocalFileSystem(), margin: 0)
            #expect(cache.count == 43)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repo.path(".git/incident"))
        #expect(leftovers == ["read-cache"])
        #expect(try read(store).fields == (try parsed(store)))
    }

    @Test func manyFilesReadInPartsKeepTheirOrder() throws {
        // Enough files for the read to be split over threads; names whose byte order and
        // String order could differ (upper and lower case, digits, non-ASCII).
        let repo = try TestRepo()
        var names: [String] = []
        for index in 0..<700 {
            let stem = ["a", "B", "é", "z", "0", "Z"][index % 6]
            names.append("incidents/\(stem)-\(String(format: "%04d", (index * 7919) % 1000)).md")
        }
        for (index, name) in names.enumerated() {
            try repo.write(
                name,
                incidentText(
                    id: "inc-m\(index)", title: "M \(index)",
                    created: "2025-\(String(format: "%02d", index % 12 + 1))-01T00:00:00Z"))
        }
        usleep(20_000)
        let store = store(repo)
        let parsedOrder = try store.loadAll().map(\.relativePath)
        #expect(parsedOrder.count == 700)
        let first = try store.loadAllForReading()
        #expect(first.map(\.relativePath) == parsedOrder)
        let second = try store.loadAllForReading()
        #expect(second.map(\.relativePath) == parsedOrder)
        #expect(second.filter { $0.document.body.isEmpty }.count == 700)
        #expect(second.map(\.document.fields) == (try store.loadAll()).map(\.document.fields))
        // One file added, one removed, one changed at the same size: each seen, the rest cached.
        try repo.write(
            "incidents/m-added.md", incidentText(id: "inc-added", title: "Added", created: "2025-01-01T00:00:00Z"))
        try FileManager.default.removeItem(atPath: repo.path(names[350]))
        let changedText = try repo.read(names[10]).replacingOccurrences(of: "title: M 10", with: "title: X 10")
        let handle = try #require(FileHandle(forWritingAtPath: repo.path(names[10])))
        handle.write(Data(changedText.utf8))
        handle.closeFile()
        usleep(20_000)
        let third = try store.loadAllForReading()
        let expected = try store.loadAll()
        #expect(third.map(\.relativePath) == expected.map(\.relativePath))
        #expect(third.map(\.document.fields) == expected.map(\.document.fields))
        #expect(third.filter { $0.document.body.isEmpty }.count == 698)
        #expect(third.contains { $0.document.title == "X 10" } && third.contains { $0.document.id == "inc-added" })
    }

    @Test func listSortsByMovingIncidentsIntoPlace() {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 3, 10, 257] {
            let items = (0..<count).map { "item \($0)" }
            for _ in 0..<20 {
                let order = Array(items.indices).shuffled(using: &generator)
                var moved = items
                QueryWorkflow.permute(&moved, to: order)
                #expect(moved == order.map { items[$0] })
            }
        }
    }

    @Test func theFieldsJSONKeptByTheCacheGoesWithAnyChangeToTheFields() throws {
        let repo = try seeded()
        let store = store(repo)
        _ = try read(store)
        let loaded = try store.loadAllForReading(json: true)
        #expect(loaded.count == 3 && loaded.allSatisfy { $0.document.fieldsJSON != nil })
        for incident in loaded {
            #expect(incident.document.fieldsJSON.map(Array.init) == JSON.memberBytes(incident.document.fields))
        }
        var document = loaded[0].document
        document.fields["title"] = "changed"
        #expect(document.fieldsJSON == nil)
        var whole = loaded[1].document
        whole.fields = [:]
        #expect(whole.fieldsJSON == nil)
        // Not part of equality: a document with it equals the same without.
        var bare = loaded[2].document
        bare.fieldsJSON = nil
        #expect(bare == loaded[2].document)
        // Without json, the cache's JSON is not read.
        #expect(try store.loadAllForReading().allSatisfy { $0.document.fieldsJSON == nil })
    }

    @Test func anObjectWithTheSameKeyTwiceIsDamage() {
        // Keys told apart by bytes (ASCII) and by String equality (others: "é" composed or not).
        func object(_ keys: [String]) -> [UInt8] {
            var writer = ReadCache.Writer()
            writer.bytes.append(7)  // object
            writer.u32(UInt32(keys.count))
            for key in keys {
                writer.string(key)
                writer.bytes.append(0)  // null
            }
            return writer.bytes
        }
        func decoded(_ bytes: [UInt8]) -> Value? {
            bytes.withUnsafeBytes { raw in
                var reader = ReadCache.Reader(bytes: raw)
                return reader.value(depth: 0)
            }
        }
        #expect(decoded(object(["a", "bb", "c"])) == ["a": .null, "bb": .null, "c": .null])
        #expect(decoded(object(["é", "e\u{301}x"]))?.object?.keys.count == 2)
        #expect(decoded(object(["a", "bb", "a"])) == nil)
        #expect(decoded(object(["", ""])) == nil)
        #expect(decoded(object(["é", "e\u{301}"])) == nil)
        #expect(decoded(object((0..<100).map { "k\($0)" }))?.object?.count == 100)
        #expect(decoded(object((0..<100).map { "k\($0 % 99)" })) == nil)
        // The writer's own bytes read back, whatever the keys.
        let fields: Value = ["a": ["é": 1, "e\u{301}x": [.bool(true), .double(2.5)]], "": "x"]
        var writer = ReadCache.Writer()
        let written = writer.value(fields, depth: 0)
        #expect(written)
        #expect(decoded(writer.bytes) == fields)
    }

    @Test func anIncidentFromTheCacheIsNeverSaved() throws {
        let repo = try seeded()
        let store = store(repo)
        _ = try read(store)
        let cached = try #require(try store.loadAllForReading().first { $0.document.id == "inc-7f9b00" })
        #expect(cached.readOnly)
        let before = try repo.read("incidents/2025-09-10-redis-slow.md")
        #expect(throws: IncidentError.self) { try store.save(cached, document: cached.document) }
        #expect(try repo.read("incidents/2025-09-10-redis-slow.md") == before)
    }

    @Test func aRepoWithoutGitFolderParsesEachTime() throws {
        let repo = try TestRepo(git: false)
        try repo.write(
            "incidents/a.md", incidentText(id: "inc-aaaaaa", title: "A", created: "2025-09-08T00:00:00Z"))
        let store = store(repo)
        #expect(try read(store).fields.count == 1)
        #expect(try read(store).cached == 0)
        #expect(!FileManager.default.fileExists(atPath: repo.path(".git")))
    }
}
