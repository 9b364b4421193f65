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
        func outputs() throws -> (String, String) {
            let listed = try QueryWorkflow(workspace: workspace).list(ListRequest()) { _ in }
            let json = JSON.encode(.array(listed.map { QueryWorkflow.jsonObject($0, sections: false) }))
            return (json, JSON.encode(try StatsWorkflow(workspace: workspace).run(since: nil)))
        }
        let parsedOutputs = try outputs()
        #expect(try read(workspace.store).cached == 3)
        let cachedOutputs = try outputs()
        #expect(parsedOutputs == cachedOutputs)
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
        var damaged: [Data] = [Data("garbage".utf8), Data(), good.prefix(good.count / 2)]
        var flipped = good
        flipped[good.count - 20] ^= 0x01  // inside a value: caught by the checksum
        damaged.append(flipped)
        var foreign = good
        foreign[ReadCache.magic.count] &+= 1  // another format version
        damaged.append(foreign)
        for bytes in damaged {
            try bytes.write(to: URL(fileURLWithPath: cachePath(repo)))
            usleep(20_000)
            let read1 = try read(store)
            #expect(read1.cached == 0)
            #expect(read1.fields == expected)
            usleep(20_000)
            #expect(try read(store).cached == 3)  // rewritten whole
        }
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
            #expect(cache.entries.count == 43)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repo.path(".git/incident"))
        #expect(leftovers == ["read-cache"])
        #expect(try read(store).fields == (try parsed(store)))
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
