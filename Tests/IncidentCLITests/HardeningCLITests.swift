import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// Issue 13's repros on the built binary: each ran in a scratch repo after `git init && incident init`.
@Suite struct HardeningCLITests {
    func initialised() throws -> TestRepo {
        let repo = try TestRepo()
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        return repo
    }

    static func controlBytes(_ text: String) -> [UInt32] {
        text.unicodeScalars.map(\.value).filter { ($0 < 0x20 && $0 != 0x0A && $0 != 0x09) || (0x7F...0x9F).contains($0) }
    }

    @Test func aTitleWithALineSeparatorStaysListedAndDedupable() throws {
        let repo = try initialised()
        for separator in ["\u{2028}", "\u{2029}", "\u{FFFE}", "\u{FFFF}"] {
            let made = try CLI.run(["new", "--title", "a\(separator)b", "--json"], in: repo.root)
            #expect(made.status == 0, "\(made.stderr)")
        }
        // NEL is a C1 control: refused on the command line as an answer's is.
        let nel = try CLI.run(["new", "--title", "a\u{85}b", "--json"], in: repo.root)
        #expect(nel.status == 64, "\(nel.stderr)")
        #expect(nel.stderr.contains("--title is refused: it holds a control character (U+0085)."), "\(nel.stderr)")
        let listed = try CLI.run(["list", "--json"], in: repo.root)
        #expect(listed.status == 0)
        #expect(try YAML.parse(listed.stdout).array?.count == 4, "\(listed.stderr)")
        #expect(try CLI.run(["doctor"], in: repo.root).status == 0)
    }

    @Test func aLogLineWithALineSeparatorMakesOneIncidentNotTwo() throws {
        let repo = try initialised()
        try repo.write(
            "app.log", "2025-09-09 02:25:04 ERROR payment failed for user\u{2028}bob\n"
                + "2025-09-09 02:25:05 ERROR payment failed for user\u{2028}bob\n")
        let first = try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try YAML.parse(second.stdout)["deduplicated"] == .bool(true))
        #expect(try repo.incidentFiles().count == 1)
    }

    @Test func nothingFromDataReachesTheTerminalAsAControlSequence() throws {
        let repo = try initialised()
        let made = try CLI.run(["new", "--title", "placeholder", "--json"], in: repo.root)
        #expect(made.status == 0, "\(made.stderr)")
        let id = try YAML.parse(made.stdout)["id"]?.string ?? ""
        // The command line refuses them (below); a file edited by hand can still hold them, in the
        // front-matter (YAML escapes) and as raw bytes in the body.
        let hostile = "boom \u{1B}[2J\u{1B}]52;c;aGVsbG8=\u{07}\u{1B}]8;;http://evil.example\u{1B}\\link\u{9B}31m end"
        let file = try repo.incidentFiles()[0]
        let yamlTitle = "\"boom \\x1B[2J\\x1B]52;c;aGVsbG8=\\x07\\x1B]8;;http://evil.example\\x1B\\\\link\\x9B31m end\""
        let text = try repo.read(file).replacingOccurrences(of: "title: placeholder", with: "title: \(yamlTitle)")
            .replacingOccurrences(of: "# placeholder", with: "# \(hostile)")
        try repo.write(file, text + "\n\(hostile)\n")
        let json = try CLI.run(["show", id, "--json"], in: repo.root)
        #expect(try YAML.parse(json.stdout)["title"]?.string == hostile, "the hand-written title: \(json.stdout)")
        // JSON escapes them; everything for a person shows them as visible stand-ins.
        for arguments in [
            ["list"], ["show", id], ["stats"], ["doctor"], ["export", id, "--format", "md"],
            ["export", id, "--format", "md", "--public"], ["issue", id, "--dry-run", "--repo", "a/b"],
        ] {
            for env in [["NO_COLOR": "1"], ["CLICOLOR_FORCE": "1", "NO_COLOR": ""]] {
                let result = try CLI.run(arguments, in: repo.root, env: env)
                if !["stats", "doctor"].contains(arguments[0]) {
                    #expect(result.stdout.contains("boom"), "\(arguments) \(env): the title is shown")
                }
                #expect(!result.stdout.unicodeScalars.contains("\u{07}"), "\(arguments) \(env)")
                #expect(!result.stdout.contains("\u{1B}]"), "\(arguments) \(env): OSC from data")
                #expect(!result.stdout.contains("\u{1B}[2J"), "\(arguments) \(env): CSI from data")
                #expect(!result.stdout.unicodeScalars.contains("\u{9B}"), "\(arguments) \(env): C1 from data")
            }
        }
        // A ref echoed in an error, and a flag value echoed by the argument parser.
        let badRef = try CLI.run(["show", "\u{1B}[2Jnope"], in: repo.root)
        #expect(badRef.status == 1)
        #expect(Self.controlBytes(badRef.stderr).isEmpty, "\(badRef.stderr.debugDescription)")
        let badFlag = try CLI.run(["list", "--since", "\u{1B}]52;c;eA==\u{07}"], in: repo.root)
        #expect(badFlag.status == 64)
        #expect(Self.controlBytes(badFlag.stderr).isEmpty, "\(badFlag.stderr.debugDescription)")
        // The text of a malformed .incident.yml quoted in its error.
        try repo.write(".incident.yml", "stages: [\u{1B}]0;X\u{07}\n")
        let badConfig = try CLI.run(["list"], in: repo.root)
        #expect(badConfig.status == 1)
        #expect(badConfig.stderr.contains("malformed YAML"), "\(badConfig.stderr)")
        #expect(Self.controlBytes(badConfig.stderr).isEmpty, "\(badConfig.stderr.debugDescription)")
    }

    /// The exported document is read on a terminal too (`cat postmortem.md`): written to a file it
    /// carries data's control characters as the same visible stand-ins as on standard output.
    @Test func anExportedFileHoldsNoControlSequenceFromData() throws {
        let repo = try initialised()
        #expect(try CLI.run(["new", "--title", "placeholder"], in: repo.root).status == 0)
        let file = try repo.incidentFiles()[0]
        try repo.write(file, try repo.read(file) + "\nA note \u{1B}]0;HACK\u{07}\u{1B}[31mred\u{9B}2J\n")
        let printed = try CLI.run(["export", "latest", "--format", "md"], in: repo.root)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("A note ^[]0;HACK^G^[[31mred"), "\(printed.stdout)")
        for format in ["md", "html"] {
            for extra in [[], ["--public"]] {
                let output = "out-\(extra.count).\(format)"
                let result = try CLI.run(
                    ["export", "latest", "--format", format, "--output", output] + extra, in: repo.root)
                #expect(result.status == 0, "\(result.stderr)")
                let written = try repo.read(output)
                #expect(written.contains(format == "md" ? "A note ^[]0;HACK^G^[[31mred" : "HACK"), "\(format) \(extra)")
                #expect(Self.controlBytes(written).isEmpty, "\(format) \(extra): \(Self.controlBytes(written))")
            }
        }
        #expect(try CLI.run(["export", "latest", "--format", "md", "--output", "same.md"], in: repo.root).status == 0)
        #expect(try repo.read("same.md") == printed.stdout, "the file is what standard output shows")
    }

    /// Issue: ESC and BEL given in flags and `set` values were stored and written raw into the
    /// file's body. They are refused as an answer's are (`set impact=`), exit 64, nothing written.
    @Test func controlCharactersInFlagAndFieldValuesAreRefusedLikeAnAnswers() throws {
        let repo = try initialised()
        func refused(_ arguments: [String], _ name: String, _ character: String = "^[") throws {
            let result = try CLI.run(arguments, in: repo.root)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(
                result.stderr.contains("\(name) is refused: it holds a control character (\(character))."),
                "\(arguments): \(result.stderr)")
            #expect(Self.controlBytes(result.stderr).isEmpty, "\(arguments): \(result.stderr.debugDescription)")
        }
        try refused(["new", "--title", "T \u{1B}]0;PWNED\u{07}\u{1B}[31mRED"], "--title")
        try refused(["new", "--title", "T", "--service", "svc\u{1B}[1m"], "--service")
        try refused(["new", "--title", "T", "--env", "prod\u{07}"], "--env", "^G")
        try refused(["new", "--title", "T", "--service", "a", "--service", "b\u{9B}1m"], "--service", "U+009B")
        #expect(try repo.incidentFiles().isEmpty, "a refused new writes nothing")

        #expect(try CLI.run(["new", "--title", "T"], in: repo.root).status == 0)
        let file = try repo.incidentFiles()[0]
        let before = try repo.read(file)
        // The answer's refusal, for the wording every other value now shares.
        let impact = try CLI.run(["set", "latest", "impact=a\u{1B}[31mb"], in: repo.root)
        #expect(impact.status == 64, "\(impact.stderr)")
        #expect(impact.stderr.contains("is refused: it holds a control character (^[)."), "\(impact.stderr)")
        try refused(["set", "latest", "title=New \u{1B}[31mtitle"], "title")
        try refused(["set", "latest", "owner=x\u{1B}[31my"], "owner")
        try refused(["set", "latest", "services=a\u{1B}[31mb"], "services")
        try refused(["set", "latest", "environment=p\u{1B}[5m"], "environment")
        // One bad value among good ones: none is written.
        try refused(["set", "latest", "owner=dana", "title=ok\u{7F}"], "title", "^?")
        try refused(["review", "latest", "--approve", "--by", "l\u{1B}[31mee"], "--by")
        try refused(["review", "latest", "--request-changes", "--by", "lee", "--note", "n\u{1B}]0;x\u{07}"], "--note")
        try refused(["advance", "latest", "--skip", "--reason", "r\u{1B}[2J"], "--reason")
        #expect(try repo.read(file) == before, "nothing was written")
        // Tabs and (in notes and reasons) newlines are text, not control characters.
        #expect(try CLI.run(["set", "latest", "owner=dana\tops"], in: repo.root).status == 0)
        let noted = try CLI.run(
            ["review", "latest", "--request-changes", "--by", "lee", "--note", "line one\nline two"], in: repo.root)
        #expect(noted.status == 0, "\(noted.stderr)")
    }

    @Test func colourFollowsEachStreamAndTheUsualVariables() throws {
        let repo = try initialised()
        #expect(try CLI.run(["new", "--title", "t"], in: repo.root).status == 0)
        // stdout is a pipe here: no colour unless forced.
        #expect(!(try CLI.run(["list"], in: repo.root, env: ["NO_COLOR": ""]).stdout.contains("\u{1B}[")))
        #expect(try CLI.run(["list"], in: repo.root, env: ["NO_COLOR": "", "CLICOLOR_FORCE": "1"]).stdout.contains("\u{1B}[1m"))
        #expect(!(try CLI.run(["list", "--no-color"], in: repo.root, env: ["NO_COLOR": "", "CLICOLOR_FORCE": "1"]).stdout.contains("\u{1B}[")))
    }

    /// Runs a command with a deadline: a hang is a failure, not a stuck suite.
    func runBounded(_ arguments: [String], in repo: TestRepo, stdin: String? = nil) throws -> CLI.Result {
        let started = Date()
        let result = try CLI.run(arguments + ["--no-color"], in: repo.root, stdin: stdin)
        #expect(Date().timeIntervalSince(started) < 10, "\(arguments) took too long")
        return result
    }

    @Test func aFIFOOrADeviceWhereAFileBelongsIsRefusedNotWaitedOn() throws {
        let repo = try initialised()
        #expect(try CLI.run(["new", "--title", "fine"], in: repo.root).status == 0)
        #expect(mkfifo(repo.path("incidents/2025-01-01-fifo.md"), 0o644) == 0)
        try FileManager.default.createDirectory(atPath: repo.path("templates"), withIntermediateDirectories: true)
        unlink(repo.path("templates/five-whys.md"))
        #expect(mkfifo(repo.path("templates/five-whys.md"), 0o644) == 0)
        #expect(symlink("/dev/zero", repo.path("incidents/2025-01-02-zero.md")) == 0)
        try repo.write("answers.yml", "")
        unlink(repo.path("answers.yml"))
        #expect(mkfifo(repo.path("answers.yml"), 0o644) == 0)

        let listed = try runBounded(["list"], in: repo)
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("fine"))
        #expect(listed.stderr.contains("FIFO") && listed.stderr.contains("character device"), "\(listed.stderr)")
        let doctor = try runBounded(["doctor"], in: repo)
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("five-whys.md") || doctor.stderr.contains("five-whys.md"))
        let advance = try runBounded(["advance", "latest", "--answers", "answers.yml"], in: repo)
        #expect(advance.status != 0)
        #expect(advance.stderr.contains("not a regular file"), "\(advance.stderr)")
    }

    @Test func pathsOutsideTheRepoAreNeitherReadNorWritten() throws {
        let repo = try initialised()
        let elsewhere = try TestRepo()
        #expect(try CLI.run(["init"], in: elsewhere.root).status == 0)
        #expect(try CLI.run(["new", "--title", "victim"], in: elsewhere.root).status == 0)
        let victim = try elsewhere.incidentFiles()[0]
        let before = try elsewhere.read(victim)
        let set = try runBounded(["set", elsewhere.path(victim), "title=owned"], in: repo)
        #expect(set.status == 1, "\(set.stderr)")
        #expect(set.stderr.contains("not in this repo"))
        #expect(try elsewhere.read(victim) == before)
        // A link inside incidents/ that leads outside is refused the same way.
        #expect(symlink(elsewhere.path(victim), repo.path("incidents/2025-01-01-link.md")) == 0)
        #expect(try runBounded(["set", "incidents/2025-01-01-link.md", "title=owned"], in: repo).status == 1)
        #expect(try elsewhere.read(victim) == before)

        try elsewhere.write("secret.md", "top secret\n")
        let template = try runBounded(["templates", "show", "../../../../" + elsewhere.path("secret")], in: repo)
        #expect(template.status == 64)
        #expect(!template.stdout.contains("top secret"))
        let issue = try runBounded(["issue", "latest", "--repo", "../..", "--dry-run"], in: repo)
        #expect(issue.status == 64, "\(issue.stderr)")
    }

    @Test func showOfAMalformedFileNamesTheFile() throws {
        let repo = try initialised()
        try repo.write("incidents/2025-01-01-broken.md", "---\nid: inc-abc123\ntitle: [unclosed\n---\n")
        let shown = try runBounded(["show", "inc-abc123"], in: repo)
        #expect(shown.status == 1)
        #expect(shown.stderr.contains("incidents/2025-01-01-broken.md"), "\(shown.stderr)")
        let other = try runBounded(["show", "nothing-like-it"], in: repo)
        #expect(other.stderr.contains("1 incident file could not be read"), "\(other.stderr)")
    }

    @Test func parallelNewOfOneLogMakesOneIncident() throws {
        let repo = try initialised()
        try repo.write("app.log", "2025-09-09 02:25:04 ERROR redis connection refused at 10.0.0.5:6379\n")
        let statuses = Recorder<Int32>()
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            let result = try? CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root)
            statuses.append(result?.status ?? -1)
        }
        #expect(statuses.all.allSatisfy { $0 == 0 }, "\(statuses.all)")
        #expect(try repo.incidentFiles().count == 1)
        let listed = try YAML.parse(try CLI.run(["list", "--json"], in: repo.root).stdout)
        #expect(listed.array?.first?["occurrences"] == .int(1), "re-feeding the same lines adds no occurrences")
        #expect(!(try repo.read(try repo.incidentFiles()[0])).contains("Seen again"), "nor an empty note")
        let again = try CLI.run(["new", "--from-log", "app.log"], in: repo.root)
        #expect(again.stdout.contains("No new occurrences"), "\(again.stdout)")
    }

    @Test func anAnswerCannotForgeASection() throws {
        let repo = try initialised()
        let made = try CLI.run(["new", "--title", "t", "--json"], in: repo.root)
        let id = try YAML.parse(made.stdout)["id"]?.string ?? ""
        let forged = "<!-- incident:stage test-plan -->"
        let result = try CLI.run(
            [
                "advance", id, "--set", "whys=a", "--set", "whys=b", "--set", "whys=c",
                "--set", "root_cause=first line\n\(forged)\nlast line",
            ],
            in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        let shown = try YAML.parse(try CLI.run(["show", id, "--json"], in: repo.root).stdout)
        #expect(shown["sections"]?.object?.keys.contains("test-plan") == false)
        for _ in 0..<2 { #expect(try CLI.run(["advance", id, "--rerender", "five-whys"], in: repo.root).status == 0) }
        let text = try repo.read(try repo.incidentFiles()[0])
        let lines = text.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("<!-- incident:stage test-plan") }, "a marker line from an answer")
        #expect(lines.filter { $0.hasPrefix("&lt;!-- incident:stage test-plan") }.count == 1, "rerender added copies")
    }

    @Test func deeplyNestedTemplateSectionsAreRefusedNotACrash() throws {
        let repo = try initialised()
        let original = try #require(TemplateLibrary.defaults["five-whys"])
        try repo.write(
            "templates/five-whys.md",
            original + String(repeating: "{{#a}}", count: 3000) + String(repeating: "{{/a}}", count: 3000) + "\n")
        let doctor = try CLI.run(["doctor"], in: repo.root)
        #expect(doctor.status == 1)
        #expect((doctor.stdout + doctor.stderr).contains("nests sections more than"), "\(doctor.stdout)")
    }
}

/// Issue 13 items 7 and 8: --events-out writes through devices and links, refuses folders, and
/// streams; a log of unique lines lists a bounded number of events and says so.
@Suite struct EventsOutTests {
    @Test func eventsOutFollowsLinksWritesThroughDevicesAndRefusesFolders() throws {
        let repo = try TestRepo()
        try repo.write("app.log", "2025-09-09 02:25:04 ERROR boom 1\n2025-09-09 02:25:05 ERROR boom 2\n")
        // A device is written through, not replaced by a regular file.
        let null = try CLI.run(["analyze", "app.log", "--events-out", "/dev/null"], in: repo.root)
        #expect(null.status == 0, "\(null.stderr)")
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR)
        let full = try CLI.run(["analyze", "app.log", "--events-out", "/dev/full"], in: repo.root)
        #expect(full.status == 1 && full.stderr.contains("cannot be written"), "\(full.stderr)")
        // A link is followed: the file it names gets the rows, the link stays a link.
        try repo.write("real.tsv", "")
        #expect(symlink(repo.path("real.tsv"), repo.path("link.tsv")) == 0)
        #expect(try CLI.run(["analyze", "app.log", "--events-out", "link.tsv"], in: repo.root).status == 0)
        #expect(lstat(repo.path("link.tsv"), &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
        #expect(try repo.read("real.tsv").split(separator: "\n").count == 2)
        try FileManager.default.createDirectory(atPath: repo.path("folder"), withIntermediateDirectories: true)
        let folder = try CLI.run(["analyze", "app.log", "--events-out", "folder"], in: repo.root)
        #expect(folder.status == 64 && folder.stderr.contains("is a folder"), "\(folder.stderr)")
    }

    @Test func aLogOfUniqueLinesListsABoundedNumberOfEventsAndSaysSo() throws {
        let repo = try TestRepo()
        let generator = SeededGenerator(seed: 7)
        var text = ""
        for _ in 0..<2600 {
            let words = (0..<6).map { _ in
                String((0..<7).map { _ in Character(Unicode.Scalar(UInt8(97 + generator.next() % 26))) })
            }
            text += words.joined(separator: " ") + "\n"
        }
        try repo.write("unique.log", text)
        let result = try CLI.run(["analyze", "unique.log", "--json", "--events-out", "rows.tsv"], in: repo.root)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try YAML.parse(result.stdout)
        #expect((json["events"]?.array?.count ?? 0) <= 2000)
        #expect((json["input"]?["omitted_events"]?.int ?? 0) > 0)
        #expect(result.stderr.contains("rarest events are not listed"))
        #expect(try repo.read("rows.tsv").split(separator: "\n").count == 2600)
    }
}
