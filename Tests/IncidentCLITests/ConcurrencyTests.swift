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
        // A fixed seed: the same delays every run, so a failure reproduces.
        let seeded = SeededGenerator(seed: 0x51_6B11)
        for round in 0..<12 {
            let before = try repo.bytes(path)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["set", id, "title=Round \(round)"]
            process.currentDirectoryURL = URL(fileURLWithPath: repo.root)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(2_000 + UInt32(seeded.next() % 58_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let after = try repo.bytes(path)
            // Whichever it is, it parses: never a torn file.
            let document = try IncidentDocument.parse(String(decoding: after, as: UTF8.self), name: path)
            if after != before {
                #expect(document.title == "Round \(round)")
                // The body is kept, but for its heading, which follows the new title.
                let old = try IncidentDocument.parse(String(decoding: before, as: UTF8.self), name: path)
                #expect(document.body.hasPrefix("# Round \(round)\n"))
                #expect(document.body.drop { $0 != "\n" } == old.body.drop { $0 != "\n" })
            }
        }
    }

    /// Ctrl-C at moments spread over a rewrite: the message is true. "nothing was written" only
    /// when the file is as it was; otherwise exit 0, or the message that the save was kept.
    @Test func ctrlCDuringAWriteNeverClaimsNothingWasWrittenWhenItWas() throws {
        let (repo, id) = try startedRepo()
        let path = try repo.incidentFiles()[0]
        try repo.write(
            path, try repo.read(path) + String(repeating: "A long body line the user wrote by hand.\n", count: 50_000))
        for round in 0..<30 {
            let before = try repo.bytes(path)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["set", id, "title=Round \(round)"]
            process.currentDirectoryURL = URL(fileURLWithPath: repo.root)
            process.environment = CLI.environment([:])
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            usleep(UInt32(5_000 + round * 2_000))
            kill(process.processIdentifier, SIGINT)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let after = try repo.bytes(path)
            let title = try IncidentDocument.parse(String(decoding: after, as: UTF8.self), name: path).title
            if process.terminationReason == .uncaughtSignal {
                // Interrupted before the handler was installed: nothing can have been written.
                #expect(after == before, "round \(round): killed early, yet the file changed")
            } else if stderr.contains("nothing was written") {
                #expect(after == before, "round \(round): said nothing was written, but the file changed")
                #expect(process.terminationStatus == 2)
            } else if process.terminationStatus == 2 {
                #expect(stderr.contains("already saved is kept"), "round \(round): \(stderr)")
                #expect(title == "Round \(round)")
            } else {
                #expect(process.terminationStatus == 0, "round \(round): \(stderr)")
                #expect(title == "Round \(round)")
            }
        }
    }

    @Test func tempFilesOfKilledWritesAreReportedAndCleanedOnTheNextWrite() throws {
        let (repo, id) = try startedRepo()
        // PID 2^22+1 is above Linux's pid_max: no such process. An hour old.
        let stale = repo.path("incidents/.2025-01-01-x.md.4194305.12345.tmp")
        try repo.write("incidents/.2025-01-01-x.md.4194305.12345.tmp", "half a file")
        var times = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        #expect(utimes(stale, &times) == 0)
        // One of a live process (this one) is left alone.
        let live = "incidents/.2025-01-01-y.md.\(getpid()).777.tmp"
        try repo.write(live, "in progress")
        let doctor = try CLI.run(["doctor"], in: repo.root)
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains(".2025-01-01-x.md.4194305.12345.tmp"), "\(doctor.stdout)")
        #expect(!doctor.stdout.contains(live))
        #expect(try CLI.run(["set", id, "owner=dana"], in: repo.root).status == 0)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: repo.path(live)))
    }
}
