import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// The built binary on input that is not a clean text log, and on output it cannot write.
@Suite struct AnalyzeInputTests {
    /// Runs the binary through a shell, for redirections the test runner cannot make itself.
    func shell(_ command: String, in directory: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, "sh", CLI.binary]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = CLI.environment([:])
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func aWriteErrorOnStandardOutputFailsWithOneSentence() throws {
        let repo = try TestRepo()
        try repo.write("app.log", exampleLog)
        for flags in ["--json", ""] {
            let result = try shell("\"$1\" analyze app.log \(flags) > /dev/full", in: repo.root)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(
                result.stderr
                    == "error: standard output could not be written (No space left on device); the analysis was not printed in full.\n"
            )
        }
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        let created = try shell("\"$1\" new --from-log app.log --json > /dev/full", in: repo.root)
        #expect(created.status == 1)
        #expect(created.stderr.contains("but what was printed about it is incomplete"), "\(created.stderr)")
    }

    @Test func binaryInputIsRefusedByAnalyzeAndNewWithNothingWritten() throws {
        let repo = try TestRepo()
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<100_000 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes.append(UInt8(truncatingIfNeeded: state))
        }
        try repo.writeBytes("x.png", bytes)
        let sentence = "x.png does not look like a text log (binary data); nothing was written."
        let analyzed = try CLI.run(["analyze", "x.png", "--events-out", "rows.tsv"], in: repo.root)
        #expect(analyzed.status == 1 && analyzed.stderr == "error: \(sentence)\n" && analyzed.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: repo.path("rows.tsv")))
        let created = try CLI.run(["new", "--from-log", "x.png"], in: repo.root)
        #expect(created.status == 1 && created.stderr == "error: \(sentence)\n")
        let piped = try CLI.run(["new", "--from-log", "-"], in: repo.root, stdin: "")
        #expect(piped.status == 1 && piped.stderr == "error: standard input is empty; nothing was written.\n")
        #expect(try repo.incidentFiles().isEmpty)
    }

    @Test func aDeeplyNestedJSONLineDoesNotCrash() throws {
        let repo = try TestRepo(git: false)
        let result = try CLI.run(
            ["analyze", "-", "--json"], in: repo.root, stdin: "{\"a\":" + String(repeating: "[", count: 100_000) + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try YAML.parse(result.stdout)["input"]?["format"] == "plain")
    }

    @Test func aTruncatedGzipIsAnalysedWithAWarningOnStderr() throws {
        let repo = try TestRepo(git: false)
        var text = ""
        for index in 0..<4000 { text += "2026-11-30T10:00:01Z ERROR request \(index) failed: connection refused\n" }
        try repo.write("app.log", text)
        try TestRepo.run(["gzip", "app.log"], in: repo.root)
        let whole = try repo.bytes("app.log.gz")
        try repo.writeBytes("input.gz", Array(whole.prefix(whole.count / 2)))
        let result = try CLI.run(["analyze", "input.gz", "--json"], in: repo.root)
        #expect(result.status == 0)
        let lines = try YAML.parse(result.stdout)["input"]?["lines"]?.int ?? 0
        #expect(lines > 0 && lines < 4000)
        #expect(
            result.stderr
                == "warning: input.gz ends early (truncated gzip stream); analysed the \(lines) lines before that.\n")
    }
}
