import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// Keys as a terminal sends them.
enum Key {
    static let left = "\u{1B}[D"
    static let up = "\u{1B}[A"
    static let home = "\u{1B}[H"
    static let end = "\u{1B}[F"
    static let ctrlA = "\u{01}"
    static let ctrlE = "\u{05}"
    static let ctrlU = "\u{15}"
    static let ctrlW = "\u{17}"
    static let ctrlV = "\u{16}"
    static let ctrlD = "\u{04}"
    static let escape = "\u{1B}"
}

/// A private folder for the editor's temp files, to see that none is left behind.
func privateTemp() throws -> String {
    let path = NSTemporaryDirectory() + "incident-tmp-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct InteractiveTests {
    /// Issue 8's "done when": a five-whys with a mistyped answer, a cursor-key correction, an invalid
    /// entry asked again, a long root cause written in vi, and an amend afterwards, on a real terminal.
    @Test func fiveWhysWithCorrectionsAnEditorAndAnAmendOnARealTerminal() throws {
        let (repo, id) = try startedRepo()
        let temp = try privateTemp()
        // vim (or Debian's vim-tiny, which make deps and .ci/run install), without any vimrc.
        let vim = ["/usr/bin/vim", "/usr/bin/vim.tiny"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(vim != nil, "this test needs vim or vim.tiny (make deps installs vim-tiny)")
        let env = ["EDITOR": "\(vim!) -u NONE -i NONE -N", "TMPDIR": temp, "HOME": temp]
        let session = try PTYSession(["advance", id], in: repo.root, env: env)

        // A typo mended with the cursor keys: Left ×3 to insert the missing "a", Ctrl-A to the start, Ctrl-E to the end.
        try session.expect("1. Why did this happen: ")
        session.send("edis was unreachble" + Key.left + Key.left + Key.left + "a" + Key.ctrlA + "R" + Key.ctrlE)
        session.sendLine(" from Cloud Run")
        try session.expect("2. Why did this happen: Redis was unreachable from Cloud Run? (2 of at least 3)")
        // An empty answer before the chain is long enough is refused, with the reason, and asked again.
        session.sendLine("")
        try session.expect("the chain needs at least 3 answers and this is answer 2; type it again.")
        try session.expect("(2 of at least 3)")
        // A mistyped answer: Ctrl-W deletes the last two words, then the right ones are typed.
        session.sendLine("The VPC connector was missing")
        try session.expect("(3 of at least 3)")
        session.send("Terraform droped it" + Key.ctrlW + Key.ctrlW)
        session.sendLine("dropped it")
        try session.expect("(4, empty line to stop)")
        // Up brings back the last answer; Ctrl-U clears it; an empty line ends the chain.
        session.send(Key.up)
        try session.expect("Terraform dropped it")
        session.send(Key.ctrlU)
        session.sendLine("")

        // The root cause, long, written in vi (which only works in the terminal's foreground group).
        try session.expect("? Root cause (required)")
        try session.expect("> ")
        session.sendLine(":e")
        let rootCause = [
            "The Terraform migration of 2025-09-08 moved the VPC connector into a module and the plan",
            "dropped the old resource before the new one existed, so Cloud Run lost its route to Redis.",
            "Nothing checked reachability after the apply, and the alert fired only on the error rate.",
        ]
        session.send("i" + rootCause.joined(separator: "\r"))
        try session.expect("only on the error rate.")
        session.send(Key.escape)
        session.sendLine(":wq")
        try session.expect("Contributing factor 1")
        session.sendLine("")
        try session.expect("Action 1")
        session.sendLine("")
        try session.expect("Write this section to")
        session.sendLine("y")
        try session.expect("Completed five-whys for \(id)")
        #expect(try session.wait() == 0)

        let path = try repo.incidentFiles()[0]
        var document = try IncidentDocument.parse(try repo.read(path), name: path)
        let answers = document.stages["five-whys"]?["answers"]
        #expect(
            answers?["whys"] == [
                "Redis was unreachable from Cloud Run", "The VPC connector was missing", "Terraform dropped it",
            ])
        #expect(answers?["root_cause"]?.string == rootCause.joined(separator: "\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty, "the editor's temp file is gone")

        // Amend: every answer offered pre-filled; Enter keeps one, Ctrl-U and typing replace one.
        let amend = try PTYSession(["amend", id, "five-whys"], in: repo.root, env: env)
        try amend.expect("1. Why did this happen: ")
        try amend.expect("Redis was unreachable from Cloud Run")
        amend.sendLine("")
        try amend.expect("(2 of at least 3)")
        amend.sendLine("")
        try amend.expect("(3 of at least 3)")
        try amend.expect("Terraform dropped it")
        amend.send(Key.ctrlU)
        amend.sendLine("A module refactor dropped it")
        try amend.expect("(4, empty line to stop)")
        amend.sendLine("")
        try amend.expect("Enter keeps it")
        amend.sendLine("")
        try amend.expect("Contributing factor 1")
        amend.sendLine("")
        try amend.expect("Action 1")
        amend.sendLine("")
        try amend.expect("Write this section to")
        amend.sendLine("y")
        try amend.expect("Amended five-whys for \(id) (whys)")
        #expect(try amend.wait() == 0)

        let text = try repo.read(path)
        document = try IncidentDocument.parse(text, name: path)
        #expect(
            document.stages["five-whys"]?["answers"]?["whys"] == [
                "Redis was unreachable from Cloud Run", "The VPC connector was missing", "A module refactor dropped it",
            ])
        #expect(document.stages["five-whys"]?["answers"]?["root_cause"]?.string == rootCause.joined(separator: "\n"))
        #expect(text.components(separatedBy: "<!-- incident:stage five-whys -->").count == 2)
        #expect(text.contains("1. **Why?** A module refactor dropped it"))
        #expect(!text.contains("Terraform dropped it"))
        #expect(document.stage == "test-plan")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
    }

    /// An editor that records whether it holds the terminal (its process group is the terminal's
    /// foreground group, from /proc) and its file's mode, then writes `text`.
    static func probeEditor(_ repo: TestRepo, writing text: String) throws -> String {
        let script = repo.path("probe-editor.sh")
        try repo.write(
            "probe-editor.sh",
            """
            #!/bin/sh
            set -- "$1" $(sed 's/^.*) //' /proc/$$/stat)
            # after the file: state ppid pgrp session tty_nr tpgid
            if [ "$4" = "$7" ]; then echo foreground >> "\(repo.path("probe.log"))"; else echo "background pgrp=$4 tpgid=$7" >> "\(repo.path("probe.log"))"; fi
            stat -c %a "$1" >> "\(repo.path("probe.log"))"
            printf '%s\n' '\(text)' > "$1"

            """)
        chmod(script, 0o755)
        return script
    }

    @Test func colonEOpensTheEditorInTheForegroundGroupAndRemovesItsFile() throws {
        let (repo, id) = try startedRepo()
        let temp = try privateTemp()
        let editor = try Self.probeEditor(repo, writing: "Written in the editor.")
        let session = try PTYSession(
            ["advance", id], in: repo.root, env: ["VISUAL": editor, "EDITOR": "false", "TMPDIR": temp])
        for answer in ["a", "b", "c", ""] {
            try session.expect("Why did this happen")
            session.sendLine(answer)
        }
        try session.expect("? Root cause")
        try session.expect("> ")
        session.sendLine(":e")
        try session.expect("Contributing factor 1")
        session.sendLine("")
        try session.expect("Action 1")
        session.sendLine("")
        try session.expect("Write this section to")
        session.sendLine("y")
        #expect(try session.wait() == 0)
        #expect(try repo.read("probe.log") == "foreground\n600\n")
        #expect(try repo.read(try repo.incidentFiles()[0]).contains("**Root cause**: Written in the editor."))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
    }

    @Test func advanceEditRunsTheEditorInTheForegroundGroup() throws {
        let (repo, id) = try startedRepo()
        let temp = try privateTemp()
        let editor = try Self.probeEditor(repo, writing: "{whys: [a, b, c], root_cause: from the editor}")
        let session = try PTYSession(
            ["advance", id, "--edit", "--yes"], in: repo.root, env: ["EDITOR": editor, "TMPDIR": temp])
        try session.expect("Completed five-whys")
        #expect(try session.wait() == 0)
        #expect(try repo.read("probe.log") == "foreground\n600\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
        // The terminal is ours again afterwards: a prompt that follows still reads keys.
        let next = try PTYSession(["advance", id, "--edit"], in: repo.root, env: ["EDITOR": "false", "TMPDIR": temp])
        try next.expect("exited with status 1")
        #expect(try next.wait() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
    }

    @Test func answersAreCheckedAsTheyAreTyped() throws {
        let (repo, id) = try startedRepo()
        let session = try PTYSession(["advance", id], in: repo.root)
        for answer in ["a", "b", "c", ""] {
            try session.expect("Why did this happen")
            session.sendLine(answer)
        }
        // A required text: '.' alone and an empty answer are refused; Ctrl-D ends a text as '.' does.
        try session.expect("? Root cause (required)")
        try session.expect("> ")
        session.sendLine(".")
        try session.expect("Root cause is required: write at least one line; type it again.")
        try session.expect("> ")
        session.sendLine("The connector was dropped")
        try session.expect("> ")
        session.send(Key.ctrlD)
        // A control character typed with Ctrl-V is refused; the rest of the line is offered again.
        try session.expect("Contributing factor 1")
        session.send("bad" + Key.ctrlV + Key.escape + "x\r")
        try session.expect("that answer holds a control character (^[); type it again without it.")
        try session.expect("badx")
        session.send(Key.ctrlU)
        session.sendLine("No reachability check")
        // Home and End: "ack" becomes "backs".
        try session.expect("Contributing factor 2")
        session.send("ack" + Key.home + "b" + Key.end)
        session.sendLine("s")
        try session.expect("Contributing factor 3")
        session.sendLine("")
        try session.expect("Action 1")
        session.sendLine("")
        try session.expect("Write this section to")
        session.sendLine("y")
        #expect(try session.wait() == 0)
        let text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.contains("**Root cause**: The connector was dropped"))
        #expect(text.contains("- No reachability check\n- backs\n"))
        #expect(!text.contains("\u{1B}"))
    }

    @Test func aURLFieldRefusesWhatIsNotAURL() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let skip = ["advance", id, "--skip", "--reason", "later"]
        #expect(try CLI.run(skip, in: repo.root).status == 0)  // test-plan
        #expect(try CLI.run(skip, in: repo.root).status == 0)  // issue
        let refused = try CLI.run(
            ["advance", id, "--set", "description=d", "--set", "pull_requests=see slack"], in: repo.root)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("'see slack' is not a URL"))
        let session = try PTYSession(["advance", id], in: repo.root)
        try session.expect("? What the fix changes (required)")
        try session.expect("> ")
        session.sendLine("Restore the connector")
        session.sendLine(".")
        try session.expect("Pull request URL 1")
        session.sendLine("github/pull/3")
        try session.expect("'github/pull/3' is not a URL")
        session.send(Key.ctrlU)
        session.sendLine("https://github.com/acme/api/pull/3")
        try session.expect("Pull request URL 2")
        session.sendLine("")
        try session.expect("Write this section to")
        session.sendLine("y")
        #expect(try session.wait() == 0)
        #expect(try repo.read(try repo.incidentFiles()[0]).contains("https://github.com/acme/api/pull/3"))
    }

    @Test func ctrlCMidInterviewKeepsADraftThatTheNextAdvanceOffers() throws {
        let (repo, id) = try startedRepo()
        let session = try PTYSession(["advance", id], in: repo.root)
        try session.expect("1. Why did this happen")
        session.sendLine("kept across a Ctrl-C")
        try session.expect("(2 of at least 3)")
        session.send("\u{03}")
        try session.expect("kept as a draft")
        #expect(try session.wait() == 2)
        let draft = repo.path(".git/incident/drafts/\(id)-five-whys.yml")
        let mode = try FileManager.default.attributesOfItem(atPath: draft)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try YAML.parse(String(contentsOfFile: draft, encoding: .utf8))["whys"] == ["kept across a Ctrl-C"])
        // A scripted run says it does not use the draft, and removes it once the stage completes.
        let scripted = try CLI.run(
            ["advance", id, "--set", "whys=a", "--set", "whys=b", "--set", "whys=c", "--set", "root_cause=r"],
            in: repo.root)
        #expect(scripted.status == 0)
        #expect(scripted.stderr.contains("is not used: the answers given replace it"))
        #expect(!FileManager.default.fileExists(atPath: draft))
    }

    @Test func theNextAdvanceOffersTheDraftPreFilled() throws {
        let (repo, id) = try startedRepo()
        let first = try PTYSession(["advance", id], in: repo.root)
        try first.expect("1. Why did this happen")
        first.sendLine("first answer")
        try first.expect("(2 of at least 3)")
        first.send("\u{03}")
        #expect(try first.wait() == 2)
        let again = try PTYSession(["advance", id], in: repo.root)
        try again.expect("A draft of this stage holds 1 answered field")
        again.sendLine("")
        try again.expect("first answer")
        again.sendLine("")
        for answer in ["b", "c", ""] {
            try again.expect("Why did this happen")
            again.sendLine(answer)
        }
        try again.expect("> ")
        again.sendLine("r")
        again.sendLine(".")
        try again.expect("Contributing factor 1")
        again.sendLine("")
        try again.expect("Action 1")
        again.sendLine("")
        try again.expect("Write this section to")
        again.sendLine("y")
        #expect(try again.wait() == 0)
        #expect(
            try YAML.parse(try repo.read(try repo.incidentFiles()[0]).components(separatedBy: "---")[1])["stages"]?[
                "five-whys"]?["answers"]?["whys"] == ["first answer", "b", "c"])
        #expect(!FileManager.default.fileExists(atPath: repo.path(".git/incident/drafts/\(id)-five-whys.yml")))
    }

    /// Colour per stream: stdout redirected to a file has no colour while stderr is a terminal,
    /// and the same command straight on the terminal has it.
    @Test func stdoutIsColouredOnlyWhenItIsATerminal() throws {
        let (repo, _) = try startedRepo()
        let env = ["NO_COLOR": ""]
        let redirected = try PTYSession(
            ["-c", "\"$0\" list > list.txt; \"$0\" show latest > show.txt; echo finished", CLI.binary],
            in: repo.root, env: env, program: "/bin/sh")
        try redirected.expect("finished")
        #expect(try redirected.wait() == 0)
        for file in ["list.txt", "show.txt"] {
            let text = try repo.read(file)
            #expect(!text.isEmpty && !text.contains("\u{1B}"), "\(file) holds escape bytes")
        }
        let direct = try PTYSession(["list"], in: repo.root, env: env)
        try direct.expect("\u{1B}[")
        #expect(try direct.wait() == 0)
    }

    /// An editor that is suspended (Ctrl-Z in vim) is not waited on for ever: the terminal comes
    /// back, and the editor is continued (here at once: the test's terminal has no shell job control).
    @Test func aSuspendedEditorIsContinuedNotWaitedOnForEver() throws {
        let (repo, id) = try startedRepo()
        try repo.write(
            "stopping-editor.sh",
            "#!/bin/sh\n# As vim does on Ctrl-Z: its whole process group stops.\nkill -TSTP 0\nprintf '%s\\n' '{whys: [a, b, c], root_cause: after a stop}' > \"$1\"\n"
        )
        chmod(repo.path("stopping-editor.sh"), 0o755)
        let session = try PTYSession(
            ["advance", id, "--edit", "--yes"], in: repo.root, env: ["EDITOR": repo.path("stopping-editor.sh")])
        try session.expect("Completed five-whys", timeout: 60)
        #expect(try session.wait() == 0)
        #expect(try repo.read(try repo.incidentFiles()[0]).contains("**Root cause**: after a stop"))
    }

    /// Edited answers that do not parse are kept as a draft, and the next --edit opens that text.
    @Test func editedAnswersThatDoNotParseAreKeptAndOpenedAgain() throws {
        let (repo, id) = try startedRepo()
        let temp = try privateTemp()
        try repo.write("broken-editor.sh", "#!/bin/sh\nprintf 'whys: [a, b\\nroot_cause: r\\n' > \"$1\"\n")
        chmod(repo.path("broken-editor.sh"), 0o755)
        let first = try PTYSession(
            ["advance", id, "--edit"], in: repo.root, env: ["EDITOR": repo.path("broken-editor.sh"), "TMPDIR": temp])
        try first.expect("kept in .git/incident/drafts/\(id)-five-whys.yml")
        #expect(try first.wait() == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
        // The next --edit starts from that text: this editor fixes the missing bracket in place.
        try repo.write("fixing-editor.sh", "#!/bin/sh\nsed -i 's/b$/b, c]/' \"$1\"\n")
        chmod(repo.path("fixing-editor.sh"), 0o755)
        let second = try PTYSession(
            ["advance", id, "--edit", "--yes"], in: repo.root,
            env: ["EDITOR": repo.path("fixing-editor.sh"), "TMPDIR": temp])
        try second.expect("Completed five-whys")
        #expect(try second.wait() == 0)
        let answers = try YAML.parse(try repo.read(try repo.incidentFiles()[0]).components(separatedBy: "---")[1])[
            "stages"]?["five-whys"]?["answers"]
        #expect(answers?["whys"] == ["a", "b", "c"])
        #expect(!FileManager.default.fileExists(atPath: repo.path(".git/incident/drafts/\(id)-five-whys.yml")))
    }

    /// An amend declined at the preview keeps what was typed; the next amend offers it.
    @Test func aDeclinedAmendKeepsItsAnswersForTheNextOne() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let first = try PTYSession(["amend", id, "five-whys"], in: repo.root)
        for _ in 0..<3 {
            try first.expect("Why did this happen")
            first.sendLine("")
        }
        try first.expect("(4, empty line to stop)")
        first.sendLine("")
        try first.expect("Enter keeps it")
        try first.expect("> ")
        first.sendLine("A root cause typed once")
        first.sendLine(".")
        try first.expect("Contributing factor 1")
        first.sendLine("")
        try first.expect("Action 1")
        first.sendLine("")
        try first.expect("Write this section to")
        first.sendLine("n")
        try first.expect("kept in .git/incident/drafts/\(id)-five-whys.amend.yml")
        #expect(try first.wait() == 2)
        #expect(!(try repo.read(try repo.incidentFiles()[0])).contains("A root cause typed once"))

        let second = try PTYSession(["amend", id, "five-whys"], in: repo.root)
        try second.expect("A draft of this amend holds")
        second.sendLine("y")
        for _ in 0..<3 {
            try second.expect("Why did this happen")
            second.sendLine("")
        }
        try second.expect("(4, empty line to stop)")
        second.sendLine("")
        try second.expect("A root cause typed once")
        try second.expect("> ")
        second.sendLine("")
        try second.expect("Contributing factor 1")
        second.sendLine("")
        try second.expect("Action 1")
        second.sendLine("")
        try second.expect("Write this section to")
        second.sendLine("y")
        try second.expect("Amended five-whys for \(id) (root_cause)")
        #expect(try second.wait() == 0)
        #expect(try repo.read(try repo.incidentFiles()[0]).contains("**Root cause**: A root cause typed once"))
        #expect(!FileManager.default.fileExists(atPath: repo.path(".git/incident/drafts/\(id)-five-whys.amend.yml")))
    }

    /// A terminal closed while the editor is open (SIGHUP) still removes the editor's temp file.
    @Test func aHangUpWhileTheEditorIsOpenRemovesItsTempFile() throws {
        let (repo, id) = try startedRepo()
        let temp = try privateTemp()
        try repo.write("waiting-editor.sh", "#!/bin/sh\necho editing\nsleep 60\n")
        chmod(repo.path("waiting-editor.sh"), 0o755)
        let session = try PTYSession(
            ["advance", id, "--edit"], in: repo.root, env: ["EDITOR": repo.path("waiting-editor.sh"), "TMPDIR": temp])
        try session.expect("editing")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).count == 1)
        session.hangUp()
        #expect(try session.waitWithoutReading() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
    }

    /// Amend shows a checkboxes field with its current ticks; Enter keeps them, 0 ticks none (and
    /// a required box is still required).
    @Test func amendShowsTheTicksAndEnterKeepsThem() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        try repo.write(
            "templates/test-plan.md",
            """
            ---
            stage: test-plan
            title: Test Plan
            fields:
              - {id: where, type: checkboxes, label: Tried in, options: [{label: staging, required: true}, prod, canary]}
            ---
            ## Test Plan

            {{#answers.where}}
            - {{.}}
            {{/answers.where}}

            """)
        let set = try CLI.run(["advance", id, "--set", "where=staging", "--set", "where=canary"], in: repo.root)
        #expect(set.status == 0, "\(set.stderr)")
        let keep = try PTYSession(["amend", id, "test-plan"], in: repo.root)
        try keep.expect("1) [x] staging (required)")
        try keep.expect("2) [ ] prod")
        try keep.expect("3) [x] canary")
        try keep.expect("empty keeps the [x] ones, 0 for none: ")
        keep.sendLine("")
        try keep.expect("No answer of test-plan changed")
        #expect(try keep.wait() == 0)

        let change = try PTYSession(["amend", id, "test-plan"], in: repo.root)
        try change.expect("0 for none: ")
        change.sendLine("0")
        try change.expect("'staging' must be ticked")
        try change.expect("0 for none: ")
        change.sendLine("1,2")
        try change.expect("Write this section to")
        change.sendLine("y")
        try change.expect("Amended test-plan for \(id) (where)")
        #expect(try change.wait() == 0)
        #expect(try repo.read(try repo.incidentFiles()[0]).contains("- staging\n- prod\n"))
    }
}
