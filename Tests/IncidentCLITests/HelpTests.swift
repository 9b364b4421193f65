import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

@Suite struct HelpTests {
    static let commands = [
        "init", "new", "advance", "amend", "show", "list", "set", "templates", "issue", "sync", "analyze", "close",
        "reopen", "doctor", "stats", "signatures", "followups",
    ]

    @Test func aMistypedCommandIsRefusedWithTheNearestOneSuggested() throws {
        let repo = try TestRepo()
        let typo = try CLI.run(["advnce", "latest"], in: repo.root)
        #expect(typo.status == 64)
        #expect(
            typo.stderr
                == "error: 'advnce' is not an incident command; did you mean 'advance'? `incident --help` lists them.\n"
        )
        let far = try CLI.run(["zzzzzz"], in: repo.root)
        #expect(far.status == 64 && !far.stderr.contains("did you mean"))
        let help = try CLI.run(["help", "amnd"], in: repo.root)
        #expect(help.status == 64 && help.stderr.contains("did you mean 'amend'?"))
        #expect(try CLI.run(["help", "amend"], in: repo.root).status == 0)
    }

    @Test func everyCommandHasExamplesAndEveryChangeHasJSON() throws {
        let repo = try TestRepo()
        // Every subcommand `incident --help` lists, so a command added later is held to it too.
        let overview = try CLI.run(["--help"], in: repo.root).stdout
        let listed =
            overview.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n").compactMap {
                line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                    word.allSatisfy({ $0.isLowercase || $0 == "-" })
                else { return nil }
                return String(word)
            } ?? []
        #expect(Set(Self.commands).isSubset(of: Set(listed)), "\(listed)")
        for command in listed {
            let help = try CLI.run([command, "--help"], in: repo.root)
            #expect(help.status == 0)
            #expect(help.stdout.contains("Examples:"), "incident \(command) --help has no examples")
        }
        for command in ["set", "amend", "close", "reopen", "sync", "init"] {
            #expect(try CLI.run([command, "--help"], in: repo.root).stdout.contains("--json"), "\(command)")
        }
    }

    @Test func githubOptionsAreOfferedOnlyByCommandsThatTalkToGitHub() throws {
        let repo = try TestRepo()
        let list = try CLI.run(["list", "--help"], in: repo.root)
        #expect(list.status == 0 && list.stdout.contains("--no-color"))
        #expect(!list.stdout.contains("--cacert") && !list.stdout.contains("--verbose"))
        let issue = try CLI.run(["issue", "--help"], in: repo.root)
        #expect(issue.status == 0 && issue.stdout.contains("--cacert <file>") && issue.stdout.contains("--verbose"))
        let refused = try CLI.run(["list", "--cacert", "ca.pem"], in: repo.root)
        #expect(refused.status == 64 && refused.stderr.contains("Unknown option '--cacert'"))
    }

    @Test func aBlankTitleIsRefusedAndNothingIsCreated() throws {
        let repo = try TestRepo()
        #expect(try CLI.run(["init"], in: repo.root).status == 0)
        let result = try CLI.run(["new", "--title", "  "], in: repo.root)
        #expect(result.status == 64 && result.stderr.contains("--title is blank"))
        #expect(try repo.incidentFiles().isEmpty)
    }

    @Test func completionOffersTheIncidentsAndTheStages() throws {
        let (repo, id) = try startedRepo()
        let script = try CLI.run(["--generate-completion-script", "bash"], in: repo.root)
        #expect(script.status == 0 && script.stdout.contains("---completion amend -- positional@1"))
        let refs = try CLI.run(["---completion", "amend", "--", "positional@0", "2", "0", ""], in: repo.root)
        #expect(refs.stdout.split(separator: "\n").map(String.init) == ["latest", id])
        let stages = try CLI.run(["---completion", "amend", "--", "positional@1", "3", "0", ""], in: repo.root)
        #expect(stages.stdout.split(separator: "\n").first == "identify")
        #expect(stages.stdout.contains("five-whys"))
    }
}
