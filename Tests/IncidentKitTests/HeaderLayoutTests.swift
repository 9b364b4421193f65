import Foundation
import Testing

@testable import IncidentKit

/// The header of one line as the parser reads it: time, level, source and the message after it.
struct ParsedHeader {
    var time: Int64?
    var level: Severity?
    var source: String?
    var message: String
}

func parseHeader(_ text: String, year: Int = 2025, layout: HeaderLayout = .none) -> ParsedHeader {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { line in
        let header = HeaderParser.parse(line, year: YearlessDates(integerLiteral: year), layout: layout)
        return ParsedHeader(
            time: header.time, level: header.level,
            source: header.source.map { String(decoding: UnsafeBufferPointer(rebasing: line[$0]), as: UTF8.self) },
            message: String(decoding: UnsafeBufferPointer(rebasing: line[header.messageStart...]), as: UTF8.self))
    }
}

/// Class A of issue 7: header text left in the message splits one event. Each test is one layout
/// rule, with lines written for it.
@Suite struct HeaderLayoutTests {
    @Test func clockFieldsWithoutLeadingZerosAreStillATime() throws {
        let padded = parseHeader("20240102-10:15:27:120|Comp_A|4242|tick 2")
        let unpadded = parseHeader("20240102-9:5:7:12|Comp_A|4242|tick 1")
        let later = try #require(padded.time)
        let earlier = try #require(unpadded.time)
        #expect(later - earlier == 3600 + 600 + 20)
        #expect(padded.message == "tick 2" && unpadded.message == "tick 1")
        #expect(parseHeader("2024-01-02 9:05:07 INFO ready").time != nil)
    }

    @Test func pipeClosedFieldsAfterTheTimeAreHeader() {
        let line = parseHeader("20240102-10:15:27:120|Svc_Main|77| startup complete")
        #expect(line.source == "Svc_Main")
        #expect(line.message == "startup complete")
        // A pipe inside the message is left alone.
        let later = parseHeader("20240102-10:15:27:120|Svc_Main|77|key=a|b|c")
        #expect(later.message == "key=a|b|c")
    }

    @Test func aLoggerAndItsRequestContextAfterTheLevelAreHeader() {
        let line = parseHeader(
            #"api.log.3 2024-03-01 10:00:00.123 311 INFO app.web.server [req-1a2b 99aa - - -] 10.0.0.7 "GET /v1/items HTTP/1.1" status: 200"#
        )
        #expect(line.level == .low)
        #expect(line.source == "app.web.server")
        #expect(line.message.hasPrefix("10.0.0.7 "))
        let bare = parseHeader("api.log.3 2024-03-01 10:00:00.123 311 WARNING app.virt.driver [-] Instance gone.")
        #expect(bare.source == "app.virt.driver" && bare.message == "Instance gone.")
        // A dash inside the brackets does not make "name - message".
        let log4j = parseHeader("2025-09-09 02:25:11,531 ERROR [main] com.acme.OrderService - order 42 rejected")
        #expect(log4j.source == "com.acme.OrderService" && log4j.message == "order 42 rejected")
    }

    @Test func fieldsUpToASecondTimestampAreHeader() {
        let machine = parseHeader(
            "- 1710000000 2024.03.09 rk7-n12 2024-03-09-16.00.00.123456 rk7-n12 SYS CORE INFO cache refilled")
        #expect(machine.time == 1_710_000_000 && machine.level == .low)
        #expect(machine.message == "cache refilled")
        let unknownNode = parseHeader(
            "- 1710000000 2024.03.09 NO_NODE 2024-03-09-16.00.00.123456 NO_NODE SYS CORE FATAL cache lost")
        #expect(unknownNode.level == .critical && unknownNode.message == "cache lost")
        let syslog = parseHeader("- 1710000000 2024.03.09 rack7 Mar 9 16:00:00 rack7/rack7 cron[12]: job ran")
        #expect(syslog.source == "cron[12]" && syslog.message == "job ran")
        // Words before a later date are the message.
        #expect(parseHeader("2024-03-09T16:00:00Z backup of 2024-03-08 12:00:00 done").message.hasPrefix("backup"))
    }

    @Test func afterASyslogHostAnyProgramNameClosedByAColonIsTheSource() {
        let bare = parseHeader("Mar  9 16:00:00 box7 kernel: eth0: link up")
        #expect(bare.source == "kernel" && bare.message == "eth0: link up")
        let detail = parseHeader("Mar  9 16:00:00 box7 agentd[215] (com.example.agent): probe done")
        #expect(detail.source == "agentd[215]" && detail.message == "probe done")
        // Without a syslog host a bare word and colon stay in the message.
        #expect(parseHeader("2025-09-09T02:25:11Z note: disk at 91%").message == "note: disk at 91%")
    }

    static let hostFirst = [
        "7001 node-3 unix.hw state_change.up 1710000000 1 Component State Change: fan0 is up",
        "7002 node-9 action start 1710000005 1 clusterAddMember (command 12)",
        "7003 node-3 unix.hw state_change.down 1710000010 1 Component State Change: fan0 is down",
        "7004 gw2 boot_cmd new 1710000012 1 Targeting domains:node-3 child of command 12",
    ]

    @Test func aTimestampAtTheSameFieldOfMostLinesMakesTheFieldsBeforeItHeader() {
        let lines = (Self.hostFirst + Self.hostFirst).map { Array($0.utf8) }
        let layout = HeaderLayout.learn(lines, year: 2025)
        #expect(layout.timeField == 4)
        let line = parseHeader(Self.hostFirst[1], layout: layout)
        #expect(line.time == 1_710_000_005 && line.message == "clusterAddMember (command 12)")
        // Without the layout one line alone says nothing of its header.
        #expect(parseHeader(Self.hostFirst[1]).message == Self.hostFirst[1])
        // Too few lines teach nothing.
        #expect(HeaderLayout.learn(Array(lines.prefix(3)), year: 2025) == .none)
    }

    @Test func theLevelWhereMostLinesHaveItEndsTheHeaderOfALineNoRuleReads() {
        let usual = "- 1710000000 2024.03.09 rk7-n12 2024-03-09-16.00.00.123456 rk7-n12 SYS CORE INFO cache refilled"
        let odd = "- 1710000000 2024.03.09 headnode 2024-03-09-16.00.00.123456 headnode SYS CORE INFO cache refilled"
        let layout = HeaderLayout.learn(Array(repeating: Array(usual.utf8), count: 9) + [Array(odd.utf8)], year: 2025)
        #expect(layout.levelField == 8)
        #expect(parseHeader(odd).message != "cache refilled")
        let read = parseHeader(odd, layout: layout)
        #expect(read.level == .low && read.message == "cache refilled")
        // A line without the file's timestamp is not cut there: it is a message's own text.
        let untimed = "the job ran at the end of day INFO banner follows"
        #expect(parseHeader(untimed, layout: layout).message == untimed)
    }

    @Test func theAnalysisLearnsTheLayoutFromAFilesFirstLines() throws {
        let analysis = analyze((Self.hostFirst + Self.hostFirst).joined(separator: "\n") + "\n")
        let templates = Set(analysis.events.map(\.template))
        #expect(!templates.contains { $0.contains("unix.hw") || $0.contains("state_change") }, "\(templates)")
        #expect(analysis.lineEvents.count == 8)
        #expect(try #require(analysis.events.first).firstSeen != nil)
    }

    @Test func klogLinesHaveTheirLevelLetterTimeAndSource() {
        let error = parseHeader("E0102 15:04:05.000000   12345 reflector.go:138] failed to list pods")
        #expect(error.level == .high && error.source == "reflector.go:138" && error.message == "failed to list pods")
        #expect(error.time == Time.parse("2025-01-02T15:04:05Z").map { Int64($0.timeIntervalSince1970) })
        let info = parseHeader("I0102 15:04:06.5 1 server.go:42] Starting server")
        #expect(info.level == .low && info.message == "Starting server")
        // A word that starts like one is not klog.
        #expect(parseHeader("I0102 was the code").time == nil)
    }

    @Test func aZoneNameAfterTheTimeIsHeader() {
        let line = parseHeader("2025-09-09 02:25:11.531 UTC [1234] ERROR:  relation \"users\" does not exist")
        #expect(line.level == .high && line.message == "relation \"users\" does not exist")
    }
}
