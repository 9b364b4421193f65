import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

func incidentText(id: String, title: String, created: String, extra: String = "") -> String {
    """
    ---
    id: \(id)
    title: \(title)
    severity: high
    status: open
    stage: five-whys
    created: \(created)
    \(extra)---
    # \(title)

    """
}

@Suite struct StoreTests {
    func store(_ repo: TestRepo) -> IncidentStore { IncidentStore(root: repo.root, env: repo.environment()) }

    func seeded() throws -> TestRepo {
        let repo = try TestRepo()
        try repo.write(
            "incidents/2025-09-09-redis-down.md",
            incidentText(id: "inc-7f3a2c", title: "Redis down", created: "2025-09-09T02:40:11Z"))
        try repo.write(
            "incidents/2025-09-10-redis-slow.md",
            incidentText(id: "inc-7f9b00", title: "Redis slow", created: "2025-09-10T02:40:11Z"))
        try repo.write(
            "incidents/2025-09-08-postgres-full.md",
            incidentText(id: "inc-k2m4p6", title: "Postgres full", created: "2025-09-08T00:00:00Z"))
        return repo
    }

    @Test func refsResolveInSPECOrder() throws {
        let repo = try seeded()
        let store = store(repo)
        #expect(try store.resolve("inc-7f3a2c").document.id == "inc-7f3a2c")
        #expect(try store.resolve("incidents/2025-09-08-postgres-full.md").document.id == "inc-k2m4p6")
        #expect(try store.resolve(repo.path("incidents/2025-09-08-postgres-full.md")).document.id == "inc-k2m4p6")
        #expect(try store.resolve("2025-09-10-redis-slow.md").document.id == "inc-7f9b00")
        #expect(try store.resolve("2025-09-10-redis-slow").document.id == "inc-7f9b00")
        #expect(try store.resolve("7f3a").document.id == "inc-7f3a2c")
        #expect(try store.resolve("inc-k2").document.id == "inc-k2m4p6")
        #expect(try store.resolve("postgres").document.id == "inc-k2m4p6")
        #expect(try store.resolve("latest").document.id == "inc-7f9b00")
    }

    @Test func ambiguousRefsListTheCandidates() throws {
        let repo = try seeded()
        let store = store(repo)
        #expect { try store.resolve("7f") } throws: { error in
            let text = "\(error)"
            return text.contains("matches 2 incidents") && text.contains("inc-7f3a2c") && text.contains("inc-7f9b00")
                && (error as? IncidentError)?.exitCode == 1
        }
        #expect { try store.resolve("redis") } throws: { "\($0)".contains("matches 2") }
        #expect { try store.resolve("kafka") } throws: { "\($0)".contains("no incident matches 'kafka'") }
    }

    /// A copied file keeps its id: a change given by that id goes to neither, and the error names
    /// both files; each is still reached by its path.
    @Test func anIDTwoFilesShareIsAmbiguous() throws {
        let repo = try seeded()
        try repo.write(
            "incidents/copy.md", incidentText(id: "inc-7f3a2c", title: "Redis down", created: "2025-09-09T02:40:11Z"))
        let store = store(repo)
        #expect { try store.resolve("inc-7f3a2c") } throws: { error in
            let text = "\(error)"
            return text.contains("id of 2 incident files") && text.contains("incidents/copy.md")
                && text.contains("incidents/2025-09-09-redis-down.md") && (error as? IncidentError)?.exitCode == 1
        }
        #expect(try store.resolve("incidents/copy.md").relativePath == "incidents/copy.md")
    }

    @Test func saveRefusesAFileChangedSinceItWasRead() throws {
        let repo = try seeded()
        let store = store(repo)
        let loaded = try store.resolve("inc-7f3a2c")
        try repo.write(
            "incidents/2025-09-09-redis-down.md",
            incidentText(id: "inc-7f3a2c", title: "Edited by hand", created: "2025-09-09T02:40:11Z"))
        var document = loaded.document
        document.fields["severity"] = "low"
        #expect { try store.save(loaded, document: document) } throws: {
            "\($0)".contains("changed on disk since it was read")
        }
        #expect(try repo.read("incidents/2025-09-09-redis-down.md").contains("Edited by hand"))
    }

    @Test func saveRefusesWhileAnotherWriterHoldsTheLock() throws {
        let repo = try seeded()
        let store = store(repo)
        let loaded = try store.resolve("inc-7f3a2c")
        let before = try repo.bytes("incidents/2025-09-09-redis-down.md")
        let held = try LocalFileSystem().lock(loaded.path)
        var document = loaded.document
        document.fields["severity"] = "low"
        #expect { try store.save(loaded, document: document) } throws: {
            "\($0)".contains("being written by another incident command")
        }
        #expect(try repo.bytes("incidents/2025-09-09-redis-down.md") == before)
        held.release()
        try store.save(loaded, document: document)
        #expect(try repo.read("incidents/2025-09-09-redis-down.md").contains("severity: low"))
    }

    @Test func aTakenNameGetsTheIdAppended() throws {
        let repo = try seeded()
        let store = store(repo)
        var document = try IncidentDocument.parse(
            incidentText(id: "inc-zzzzzz", title: "Redis down", created: "2025-09-09T05:00:00Z"), name: "x")
        let first = try store.create(document)
        #expect(first.relativePath == "incidents/2025-09-09-redis-down-inc-zzzzzz.md")
        document.fields["id"] = "inc-yyyyyy"
        #expect(try store.create(document).relativePath == "incidents/2025-09-09-redis-down-inc-yyyyyy.md")
    }

    @Test func newIDsAreWellFormedAndFresh() throws {
        let repo = try seeded()
        let store = store(repo)
        var seen = Set<String>()
        for _ in 0..<200 {
            let id = try store.newID()
            #expect(id.range(of: "^inc-[0-9a-z]{6}$", options: .regularExpression) != nil)
            seen.insert(id)
        }
        #expect(seen.count > 1)
    }

    @Test func nonUTF8FilesAreReportedAndLeftAlone() throws {
        let repo = try seeded()
        try repo.writeBytes(
            "incidents/2025-09-11-latin1.md",
            Array("---\nid: inc-latin1\ntitle: caf".utf8) + [0xE9] + Array("\n---\n".utf8))
        let before = try repo.bytes("incidents/2025-09-11-latin1.md")
        var problems: [String] = []
        let all = try store(repo).loadAll { problems.append($0) }
        #expect(all.count == 3)
        #expect(
            problems == [
                "incidents/2025-09-11-latin1.md is not UTF-8; it was left as it is. Convert it to UTF-8 to use it."
            ])
        #expect { try store(repo).resolve("2025-09-11-latin1.md") } throws: { "\($0)".contains("is not UTF-8") }
        #expect(try repo.bytes("incidents/2025-09-11-latin1.md") == before)
    }

    @Test func rootIsFoundByWalkingUp() throws {
        let repo = try TestRepo()
        try repo.write(".incident.yml", "stages: [identify, verify]\n")
        try repo.write("services/api/README", "x")
        var env = repo.environment()
        env.workingDirectory = repo.path("services/api")
        let workspace = try Workspace.open(env, directory: nil)
        #expect(workspace.root == repo.root)
        #expect(workspace.config.stages == ["identify", "verify"])
    }
}
