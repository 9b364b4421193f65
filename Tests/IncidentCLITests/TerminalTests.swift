import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

@Suite struct TerminalTests {
    @Test func advanceAsksEachFieldOnARealTerminalAndWritesOnConfirm() throws {
        let (repo, id) = try startedRepo()
        let session = try PTYSession(["advance", id], in: repo.root)
        try session.expect("1. Why did this happen: ")
        session.sendLine("Redis was unreachable from Cloud Run")
        try session.expect("2. Why did this happen: Redis was unreachable from Cloud Run? (2 of at least 3)")
        session.sendLine("The VPC connector was missing")
        try session.expect("3. Why did this happen: The VPC connector was missing? (3 of at least 3)")
        session.sendLine("Terraform dropped it")
        try session.expect("(4, empty line to stop)")
        session.sendLine("")
        try session.expect("? Root cause")
        session.sendLine("The Terraform migration dropped the connector")
        session.sendLine("and nothing checked reachability.")
        session.sendLine(".")
        try session.expect("Contributing factor 1")
        session.sendLine("")
        try session.expect("Action 1")
        session.sendLine("")
        try session.expect("## Five Whys Analysis")
        try session.expect("Write this section to")
        session.sendLine("y")
        try session.expect("Completed five-whys for \(id)")
        #expect(try session.wait() == 0)
        let text = try repo.read(try repo.incidentFiles()[0])
        #expect(text.contains("stage: test-plan"))
        #expect(
            text.contains("The Terraform migration dropped the connector\n        and nothing checked reachability."))
        #expect(text.contains("1. **Why?** Terraform dropped it"))
    }

    @Test func ctrlCAtAPromptLeavesTheFileAsItWasAndExits2() throws {
        let (repo, id) = try startedRepo()
        let path = try repo.incidentFiles()[0]
        let before = try repo.bytes(path)
        let session = try PTYSession(["advance", id], in: repo.root)
        try session.expect("1. Why did this happen: ")
        session.sendLine("first answer")
        try session.expect("Why did this happen: first answer?")
        session.send("\u{03}")
        try session.expect("cancelled")
        #expect(try session.wait() == 2)
        #expect(try repo.bytes(path) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repo.path("incidents")).filter {
            $0.hasSuffix(".tmp")
        }
        #expect(leftovers.isEmpty)
    }

    /// The test plan asked on a terminal, its first test named, at the prompt for its kind.
    func atTheFirstTestsKind() throws -> (TestRepo, PTYSession) {
        let (repo, id) = try startedRepo()
        try completeFiveWhys(repo, id)
        let session = try PTYSession(["advance", id], in: repo.root)
        try session.expect("Test name")
        session.sendLine("reconnects after failover")
        try session.expect("number or name [1]:")
        return (repo, session)
    }

    /// Enter at an optional dropdown with no default leaves it unset, as at other optional fields.
    @Test func enterAtAnOptionalDropdownLeavesItUnset() throws {
        let (repo, session) = try atTheFirstTestsKind()
        session.sendLine("")
        try session.expect("What it proves")
        session.sendLine("")
        // The prompt says Enter is none (matched whole: what follows a match may be read with it).
        try session.expect("Blocks verify until its issue is closed (optional)")
        try session.expect("number or name, empty for none:")
        session.sendLine("")
        let asked = try session.expect("Test to add 2")
        #expect(!asked.contains("is not one of the options"))
        session.sendLine("")
        try session.expect("? Notes")
        try session.expect("> ")
        session.sendLine(".")
        try session.expect("Write this section to")
        session.sendLine("y")
        #expect(try session.wait() == 0)
        let stored = try YAML.parse(try repo.read(try repo.incidentFiles()[0]).components(separatedBy: "---")[1])
        #expect(
            stored["stages"]?["test-plan"]?["answers"]?["tests"] == [
                ["name": "reconnects after failover", "kind": "unit"]
            ])
    }

    @Test func aDropdownTakesANumberOrAName() throws {
        let (repo, session) = try atTheFirstTestsKind()
        session.sendLine("banana")
        try session.expect("is not one of the options")
        session.sendLine("2")
        try session.expect("What it proves")
        session.sendLine("the client retries")
        try session.expect("Blocks verify")
        session.sendLine("false")
        try session.expect("Test name")
        session.sendLine("")
        try session.expect("Notes")
        session.sendLine("")
        try session.expect("Write this section to")
        session.sendLine("")
        #expect(try session.wait() == 0)
        #expect(
            try repo.read(try repo.incidentFiles()[0]).contains(
                "- [ ] **integration**: reconnects after failover: the client retries"))
    }
}
