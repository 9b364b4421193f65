import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// "Nothing typed is lost": what a cancelled interview leaves in its draft, on a real terminal.
@Suite struct DraftTests {
    func draft(_ repo: TestRepo, _ relative: String) throws -> Value {
        try YAML.parse(String(contentsOfFile: repo.path(relative), encoding: .utf8))
    }

    /// Ctrl-C: the run ends with exit 2 and the draft holds the three whys and both root-cause lines.
    func cancelKeepingWhysAndRootCause(_ session: PTYSession, _ repo: TestRepo, _ path: String) throws {
        session.send("\u{03}")
        try session.expect("kept as a draft")
        #expect(try session.wait() == 2)
        #expect(try draft(repo, path)["whys"] == ["a", "b", "c"])
        #expect(try draft(repo, path)["root_cause"] == "first line\nsecond line")
    }

    func answerWhys(_ session: PTYSession, _ answers: [String] = ["a", "b", "c", ""]) throws {
        for answer in answers {
            try session.expect("Why did this happen")
            session.sendLine(answer)
        }
    }

    /// Lines of a text answer entered before Ctrl-C are in the draft, the next advance offers them
    /// as that field's text, and a second cancel of the resumed draft loses none of it.
    @Test func linesOfATextAnswerAreKeptOnCtrlCAndOfferedAgain() throws {
        let (repo, id) = try startedRepo()
        let path = ".git/incident/drafts/\(id)-five-whys.yml"
        let first = try PTYSession(["advance", id], in: repo.root)
        try answerWhys(first)
        try first.expect("? Root cause")
        try first.expect("> ")
        first.sendLine("first line")
        try first.expect("> ")
        first.sendLine("second line")
        try first.expect("> ")
        try cancelKeepingWhysAndRootCause(first, repo, path)

        // Resumed, then cancelled again after the first why: the rest of the draft stays.
        let second = try PTYSession(["advance", id], in: repo.root)
        try second.expect("A draft of this stage holds 2 answered fields")
        second.sendLine("")
        try second.expect("(1 of at least 3)")
        second.sendLine("")
        try second.expect("Why did this happen: a? (2 of at least 3)")
        try cancelKeepingWhysAndRootCause(second, repo, path)

        // Resumed to the end: Enter keeps each offered answer, the root cause included.
        let third = try PTYSession(["advance", id], in: repo.root)
        try third.expect("Start from it?")
        third.sendLine("")
        try answerWhys(third, ["", "", "", ""])
        try third.expect("  | second line")
        try third.expect("> ")
        third.sendLine("")
        try third.expect("Contributing factor 1")
        third.sendLine("")
        try third.expect("Action 1")
        third.sendLine("")
        try third.expect("Write this section to")
        third.sendLine("y")
        #expect(try third.wait() == 0)
        let stored = try YAML.parse(try repo.read(try repo.incidentFiles()[0]).components(separatedBy: "---")[1])
        #expect(stored["stages"]?["five-whys"]?["answers"]?["root_cause"] == "first line\nsecond line")
        #expect(!FileManager.default.fileExists(atPath: repo.path(path)))
    }

    /// Lines typed before ':e' are kept when the terminal closes while the editor is open.
    @Test func linesTypedBeforeTheEditorAreKeptWhenTheTerminalCloses() throws {
        let (repo, id) = try startedRepo()
        let temp = try privateTemp()
        try repo.write("waiting-editor.sh", "#!/bin/sh\necho editing\nsleep 60\n")
        chmod(repo.path("waiting-editor.sh"), 0o755)
        let session = try PTYSession(
            ["advance", id], in: repo.root, env: ["EDITOR": repo.path("waiting-editor.sh"), "TMPDIR": temp])
        try answerWhys(session)
        try session.expect("? Root cause")
        try session.expect("> ")
        session.sendLine("typed before the editor")
        try session.expect("> ")
        session.sendLine(":e")
        try session.expect("editing")
        session.hangUp()
        #expect(try session.waitWithoutReading() == 2)
        let kept = try draft(repo, ".git/incident/drafts/\(id)-five-whys.yml")
        #expect(kept["root_cause"] == "typed before the editor")
        #expect(kept["whys"] == ["a", "b", "c"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp).isEmpty)
    }

    /// Outside git the draft lives in incidents/.drafts; answers of a list entry not finished yet
    /// (a test's name and kind) are in it after Ctrl-C, and the next advance offers them.
    @Test func anUnfinishedListEntryIsKeptOutsideGit() throws {
        let repo = try TestRepo(git: false)
        try repo.write("app.log", exampleLog)
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        let created = try CLI.run(["new", "--from-log", "app.log", "--json"], in: repo.root)
        let id = try YAML.parse(created.stdout)["id"]?.string ?? ""
        try completeFiveWhys(repo, id)
        let path = "incidents/.drafts/\(id)-test-plan.yml"
        let first = try PTYSession(["advance", id], in: repo.root)
        try first.expect("Test name")
        first.sendLine("reconnects after failover")
        try first.expect("number or name [1]:")
        first.sendLine("2")
        try first.expect("What it proves")
        first.send("\u{03}")
        try first.expect("kept as a draft")
        #expect(try first.wait() == 2)
        #expect(try draft(repo, path)["tests"] == [["name": "reconnects after failover", "kind": "integration"]])
        let mode = try FileManager.default.attributesOfItem(atPath: repo.path(path))[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let again = try PTYSession(["advance", id], in: repo.root)
        try again.expect("A draft of this stage holds 1 answered field")
        again.sendLine("")
        try again.expect("reconnects after failover")
        again.send("\u{03}")
        #expect(try again.wait() == 2)
        #expect(try draft(repo, path)["tests"] == [["name": "reconnects after failover", "kind": "integration"]])
    }

    /// In a linked worktree (`.git` is a file) the draft goes to that worktree's own git folder,
    /// not into the work tree, where `git status` would show it and `git add` could take it.
    @Test func aLinkedWorktreeKeepsItsDraftInItsGitFolder() throws {
        let repo = try TestRepo()
        try repo.write("README", "x")
        _ = try TestRepo.run(["git", "add", "README"], in: repo.root)
        _ = try TestRepo.run(["git", "commit", "-q", "-m", "init"], in: repo.root)
        let tree = repo.path("tree")
        _ = try TestRepo.run(["git", "worktree", "add", "-q", tree], in: repo.root)
        try Data(exampleLog.utf8).write(to: URL(fileURLWithPath: tree + "/app.log"))
        #expect(try CLI.run(["init"], in: tree).status == 0)
        let created = try CLI.run(["new", "--from-log", "app.log", "--json"], in: tree)
        let id = try YAML.parse(created.stdout)["id"]?.string ?? ""
        let session = try PTYSession(["advance", id], in: tree)
        try session.expect("1. Why did this happen")
        session.sendLine("kept in the worktree's git folder")
        try session.expect("(2 of at least 3)")
        session.send("\u{03}")
        try session.expect("kept as a draft")
        #expect(try session.wait() == 2)
        #expect(!FileManager.default.fileExists(atPath: tree + "/incidents/.drafts"))
        let kept = try draft(repo, ".git/worktrees/tree/incident/drafts/\(id)-five-whys.yml")
        #expect(kept["whys"] == ["kept in the worktree's git folder"])
        let again = try PTYSession(["advance", id], in: tree)
        try again.expect("A draft of this stage holds 1 answered field")
        again.send("\u{03}")
        #expect(try again.wait() == 2)
    }
}
