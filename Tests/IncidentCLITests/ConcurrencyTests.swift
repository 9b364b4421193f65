import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ConcurrencyTests {
    /// Both processes read the incident, then meet in their editor before either writes.
    @Test func twoConcurrentAdvancesOneWinsTheOtherFailsCleanly() throws {
        let (repo, id) = try startedRepo()
        let barrier = repo.path("barrier")
        try FileManager.default.createDirectory(atPath: barrier, withIntermediateDirectories: true)
        try repo.write("answers.yml", "whys: [a, b, c]\nroot_cause: r\n")
        let editor = """
            sh -c 'touch "\(barrier)/$$"; n=0; while [ $(ls "\(barrier)" | wc -l) -lt 2 ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done; cat "\(repo.path("answers.yml"))" > "$0"'
            """
        nonisolated(unsafe) var results: [CLI.Result] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let result = try! CLI.run(["advance", id, "--edit"], in: repo.root, env: ["EDITOR": editor])
            lock.withLock { results.append(result) }
        }
        let statuses = results.map(\.status).sorted()
        #expect(statuses == [0, 1], "\(results.map(\.stderr))")
        let loser = results.first { $0.status == 1 }!
        #expect(
            loser.stderr.contains("changed on disk since it was read")
                || loser.stderr.contains("being written by another"))
        let text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.components(separatedBy: "<!-- incident:stage five-whys -->").count == 2)
        #expect(text.contains("stage: test-plan"))
    }

    /// SIGKILL at random moments during a rewrite of a large file: it is always the old or the new file.
    @Test func aWriterKilledMidWriteLeavesTheOldFileOrTheNew() throws {
        let (repo, id) = try startedRepo()
        let path = try repo.incidentFiles()[0]
        try repo.write(
            path, try repo.read(path) + String(repeating: "A long body line the user wrote by hand.\n", count: 200_000))
        var generator = SystemRandomNumberGenerator()
        var sawOld = false
        var sawNew = false
        for round in 0..<12 {
            let before = try repo.bytes(path)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["set", id, "title=Round \(round)"]
            process.currentDirectoryURL = URL(fileURLWithPath: repo.root)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 2_000...60_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let after = try repo.bytes(path)
            let document = try IncidentDocument.parse(String(decoding: after, as: UTF8.self), name: path)
            if after == before {
                sawOld = true
            } else {
                #expect(document.title == "Round \(round)")
                #expect(
                    document.body
                        == (try IncidentDocument.parse(String(decoding: before, as: UTF8.self), name: path)).body)
                sawNew = true
            }
        }
        #expect(sawOld || sawNew)
    }
}
