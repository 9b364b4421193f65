import FakeGitHub
import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct AmendAndSectionTests {
    func frontMatter(_ repo: TestRepo) throws -> Value {
        let path = try repo.incidentFiles()[0]
        return .object(try IncidentDocument.parse(try repo.read(path), name: path).fields)
    }

    @Test func impactIsSetLaterAndRenderedInPlaceKeepingTheLogAnalysis() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)  // the timeline grows after the identify section was written
        let set = try CLI.run(["set", id, "impact=Chat is down for every user.", "--json"], in: repo.root)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try YAML.parse(set.stdout)["changed"] == ["impact"])
        var text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.contains("**Impact**: Chat is down for every user."))
        #expect(text.contains("**Error pattern**"), "the analysis part of the section is kept")
        #expect(try frontMatter(repo)["stages"]?["identify"]?["answers"]?["impact"] == "Chat is down for every user.")
        let amend = try CLI.run(["amend", id, "identify", "--set", "impact=Chat is down in staging"], in: repo.root)
        #expect(amend.status == 0, "\(amend.stderr)")
        text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.contains("**Impact**: Chat is down in staging"))
        #expect(!text.contains("every user"))
        #expect(text.contains("**Error pattern**"))
        #expect(text.components(separatedBy: "<!-- incident:stage identify -->").count == 2)
        let timeline = try frontMatter(repo)["timeline"]?.array?.compactMap { $0["event"]?.string } ?? []
        #expect(timeline.filter { $0 == "amended identify (impact)" }.count == 2)
        #expect(try CLI.run(["doctor"], in: repo.root).status == 0)
    }

    @Test func aHandEditInAGeneratedSectionStopsAmendAndNothingIsWritten() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let path = try repo.incidentFiles()[0]
        let edited = try repo.read(path).replacingOccurrences(
            of: "**Root cause**: r", with: "**Root cause**: r, and a sentence typed into the file")
        try repo.write(path, edited)
        let result = try CLI.run(["amend", id, "five-whys", "--set", "root_cause=new"], in: repo.root)
        #expect(result.status == 1)
        #expect(result.stderr.contains("was edited by hand after it was generated"))
        #expect(result.stderr.contains("nothing was written"))
        #expect(try repo.read(path) == edited)
        // --rerender would have reverted it silently; it stops too.
        let rerender = try CLI.run(["advance", id, "--rerender", "five-whys"], in: repo.root)
        #expect(rerender.status == 1 && rerender.stderr.contains("edited by hand"))
        #expect(try repo.read(path) == edited)
    }

    @Test func amendOffATerminalNeedsAnswersAndSaysNothingChangedWhenNothingDid() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let bare = try CLI.run(["amend", id], in: repo.root)
        #expect(bare.status == 64 && bare.stderr.contains("amend needs --answers FILE, --set id=value or --edit"))
        let same = try CLI.run(["amend", id, "--set", "root_cause=r"], in: repo.root)
        #expect(same.status == 0 && same.stdout.contains("nothing was written"))
        let missing = try CLI.run(["amend", id, "verify", "--set", "notes=x"], in: repo.root)
        #expect(missing.status == 64 && missing.stderr.contains("has no completed stage 'verify'"))
        // The first --set of a list replaces it; the gate still holds.
        let short = try CLI.run(["amend", id, "--set", "whys=only one"], in: repo.root)
        #expect(short.status == 3 && short.stderr.contains("at least 3 entries, have 1"))
    }

    @Test func anAmendIsCommentedOnTheGitHubIssue() throws {
        let (repo, id) = try startedRepo()
        let fake = try FakeGitHub(repos: ["acme/netra": .init(isPrivate: true, hasIssues: true)])
        try repo.write(".incident.yml", "github:\n  repo: acme/netra\n  api_url: \(fake.baseURL)\n")
        let env = ["GH_TOKEN": fake.token, "GH_CONFIG_DIR": repo.path("no-gh"), "HOME": repo.root]
        try completeFiveWhys(repo, id, env: env)
        #expect(try CLI.run(["issue", id], in: repo.root, env: env).status == 0)
        let amend = try CLI.run(
            ["amend", id, "five-whys", "--set", "root_cause=The connector was deleted by a refactor", "--json"],
            in: repo.root, env: env)
        #expect(amend.status == 0, "\(amend.stderr)")
        let json = try YAML.parse(amend.stdout)
        #expect(json["changed"] == ["root_cause"] && json["pending_updates"] == [])
        let comment = fake.issues("acme/netra").first?.comments.last ?? ""
        #expect(comment.contains("amended stage `five-whys`"))
        #expect(comment.contains("**Root cause**: The connector was deleted by a refactor"))
    }

    @Test func aStageRunAgainAfterReopenReplacesItsSectionAndTableCellsAreEscaped() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        for _ in 0..<3 {
            #expect(try CLI.run(["advance", id, "--skip", "--reason", "not now"], in: repo.root).status == 0)
        }
        #expect(try CLI.run(["advance", id, "--check", "true"], in: repo.root).status == 0)
        #expect(try CLI.run(["reopen", id], in: repo.root).status == 0)
        let again = try CLI.run(["advance", id, "--check", "printf 'a|b\\n' | grep -c 'a|b'"], in: repo.root)
        #expect(again.status == 0, "\(again.stderr)")
        let text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.components(separatedBy: "<!-- incident:stage verify -->").count == 2)
        #expect(text.contains("| printf 'a\\|b\\n' \\| grep -c 'a\\|b' | passed |"))
        #expect(!text.contains("reopened_section_hash"))
        #expect(try CLI.run(["doctor"], in: repo.root).status == 0)
    }

    @Test func amendingVerifyKeepsItsCheckResults() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        for _ in 0..<3 {
            #expect(try CLI.run(["advance", id, "--skip", "--reason", "not now"], in: repo.root).status == 0)
        }
        #expect(try CLI.run(["advance", id, "--check", "true"], in: repo.root).status == 0)
        let amend = try CLI.run(["amend", id, "verify", "--set", "notes=Watched for a day."], in: repo.root)
        #expect(amend.status == 0, "\(amend.stderr)")
        let text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.contains("| true | passed |"))
        #expect(text.contains("Watched for a day."))
        #expect(try frontMatter(repo)["stages"]?["verify"]?["answers"]?["checks"]?.array?.count == 1)
    }

    @Test func aHandEditInTheSectionOfAReopenedStageIsNotReplaced() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        for _ in 0..<4 {
            #expect(try CLI.run(["advance", id, "--skip", "--reason", "not now"], in: repo.root).status == 0)
        }
        #expect(try CLI.run(["reopen", id], in: repo.root).status == 0)
        let path = try repo.incidentFiles()[0]
        let edited = try repo.read(path).replacingOccurrences(of: "_Skipped on", with: "_Skipped (by hand) on")
        try repo.write(path, edited)
        let again = try CLI.run(["advance", id, "--skip", "--reason", "again"], in: repo.root)
        #expect(again.status == 1 && again.stderr.contains("the verify section of \(path) was edited by hand"))
        #expect(try repo.read(path) == edited)
    }

    @Test func doctorReportsDuplicateMarkersAndControlBytes() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let path = try repo.incidentFiles()[0]
        try repo.write(
            path,
            try repo.read(path) + "\n<!-- incident:stage five-whys -->\nan old copy\n\nA note with \u{1B}[31mcolour\n")
        let result = try CLI.run(["doctor"], in: repo.root)
        #expect(result.status == 1)
        #expect(result.stdout.contains("has 2 sections marked <!-- incident:stage five-whys -->"))
        #expect(result.stdout.contains("holds a control character (^[)"))
        #expect(!result.stdout.contains("\u{1B}"))
    }
}

@Suite struct CheckProcessTests {
    /// A check that starts a child and waits: the timeout ends both, and says after how long.
    @Test func aTimeoutKillsTheCheckAndEverythingItStarted() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        for _ in 0..<3 {
            #expect(try CLI.run(["advance", id, "--skip", "--reason", "not now"], in: repo.root).status == 0)
        }
        let pidFile = repo.path("child.pid")
        try repo.write(
            ".incident.yml",
            try repo.read(".incident.yml").replacingOccurrences(
                of: "  checks: []",
                with: "  checks: [{name: slow, run: 'sleep 30 & echo $! > \(pidFile); wait; echo done', timeout: 2}]"))
        let started = Date()
        let result = try CLI.run(["advance", id], in: repo.root)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(result.status == 3)
        #expect(result.stderr.contains("check 'slow' timed out after 2 s"), "\(result.stderr)")
        let child = Int32(try repo.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(child > 0 && !alive(child), "the check's child \(child) is still running")
    }

    @Test func ctrlCDuringACheckKillsItsProcessesAndExits2() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        for _ in 0..<3 {
            #expect(try CLI.run(["advance", id, "--skip", "--reason", "not now"], in: repo.root).status == 0)
        }
        let pidFile = repo.path("child.pid")
        let session = try PTYSession(
            ["advance", id, "--check", "sleep 30 & echo $! > \(pidFile).tmp; mv \(pidFile).tmp \(pidFile); wait"],
            in: repo.root)
        try session.expect("Verification notes (optional)")
        try session.expect("> ")
        session.send(Key.ctrlD)
        try session.expect("running check")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: pidFile) && Date() < deadline { usleep(20_000) }
        let child = Int32(try repo.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(child > 0 && alive(child))
        session.send("\u{03}")
        try session.expect("cancelled")
        #expect(try session.wait() == 2)
        let gone = Date().addingTimeInterval(10)
        while alive(child) && Date() < gone { usleep(20_000) }
        #expect(!alive(child), "the check's child \(child) outlived Ctrl-C")
    }
}

extension CheckProcessTests {
    /// On a terminal a check's output shows while it runs: the check waits for a file the test
    /// creates only after it has seen the first line.
    @Test func aChecksOutputShowsAsItComesOnATerminal() throws {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        for _ in 0..<3 {
            #expect(try CLI.run(["advance", id, "--skip", "--reason", "not now"], in: repo.root).status == 0)
        }
        let go = repo.path("go")
        let session = try PTYSession(
            [
                "advance", id, "--yes", "--check",
                "echo first line; while [ ! -f \(go) ]; do sleep 0.05; done; echo second line",
            ],
            in: repo.root)
        try session.expect("Verification notes (optional)")
        try session.expect("> ")
        session.send(Key.ctrlD)
        try session.expect("  | first line")
        FileManager.default.createFile(atPath: go, contents: Data())
        try session.expect("  | second line")
        try session.expect("Completed verify")
        #expect(try session.wait() == 0)
    }
}

/// Running (not gone and not a zombie waiting for a parent to reap it).
func alive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.range(of: ") ", options: .backwards) else { return false }
    return !stat[close.upperBound...].hasPrefix("Z")
}
