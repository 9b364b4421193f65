import Foundation
import FuzzSupport
import IncidentKit

// The log analyzer over any bytes: as they are, and with each line wrapped as a JSON log line
// (and PII redaction on), and once with each line coloured. Nothing may crash, every input line
// gets an event id, and colour changes nothing.
// Static members rather than top-level constants: LeakSanitizer takes an optimised-away global for a leak.
enum Analyzers {
    static let now = Date(timeIntervalSince1970: 1_757_400_000)  // 2025-09-09, so year-less timestamps resolve
    static let plain = LogAnalyzer(redactor: try! Redactor(config: Config()), now: now)
    static let withPII: LogAnalyzer = {
        var config = Config()
        config.redactPII = true
        return LogAnalyzer(redactor: try! Redactor(config: config), now: now)
    }()
}

func check(_ analysis: LogAnalysis, _ input: Data, _ what: String) {
    if analysis.lineEvents.count != analysis.lines {
        finding(
            "\(what): \(analysis.lines) lines but \(analysis.lineEvents.count) event ids for \(shown(String(decoding: input, as: UTF8.self)))"
        )
    }
    if analysis.bytes != input.count {
        finding("\(what): \(input.count) bytes read as \(analysis.bytes)")
    }
    _ = JSON.encode(analysis.toValue())
}

fuzz { data, size in
    let input = Data(bytes(data, size))
    let analysis = Analyzers.plain.analyze(input)
    check(analysis, input, "plain")

    // Colour is stripped before anything is parsed: each line coloured gives the same events.
    if !input.contains(0x1B) {
        var coloured = Data()
        var lines = input.split(separator: 0x0A, omittingEmptySubsequences: false)
        if input.last == 0x0A { lines.removeLast() }
        for var line in lines {
            let cr = line.last == 0x0D
            if cr { line.removeLast() }
            coloured += Data("\u{1B}[1;31m".utf8) + line + Data("\u{1B}[0m".utf8) + (cr ? [0x0D, 0x0A] : [0x0A])
        }
        let again = Analyzers.plain.analyze(coloured)
        if again.events.map(\.template) != analysis.events.map(\.template) || again.fingerprint != analysis.fingerprint
        {
            finding(
                "colour changed the analysis: \(analysis.events.map(\.template)) -> \(again.events.map(\.template)) for \(shown(String(decoding: input, as: UTF8.self)))"
            )
        }
    }

    var wrapped = ""
    for line in input.split(separator: 0x0A, omittingEmptySubsequences: false) {
        let message = JSON.encode(.string(String(decoding: line, as: UTF8.self)), pretty: false)
        wrapped +=
            #"{"timestamp":"2025-09-09T02:25:04Z","severity":"ERROR","logger":"app","message":\#(message)}"# + "\n"
    }
    let json = Data(wrapped.utf8)
    check(Analyzers.withPII.analyze(json), json, "json lines")
    return 0
}
