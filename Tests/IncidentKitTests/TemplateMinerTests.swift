import Foundation
import Testing

@testable import IncidentKit

func maskedTokens(_ text: String) -> [String] {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { TemplateMiner.maskedTokens($0, 0, $0.count) }
}

/// Lines written for these tests; `analyze` is LogFormatTests' helper.
func templates(_ lines: [String]) -> [String: Int] {
    let analysis = analyze(lines.joined(separator: "\n") + "\n")
    return Dictionary(uniqueKeysWithValues: analysis.events.map { ($0.template, $0.count) })
}

/// How messages become templates: classes C (a variable of another shape) and B/D (whether a
/// word position is variable) of issue 7.
@Suite struct TemplateMinerTests {
    @Test func aPathOrURLIsOneVariableWhateverItsQueryHolds() {
        #expect(maskedTokens("GET /v1/a/b?x=1&y=2 done") == ["GET", "<*>", "done"])
        #expect(maskedTokens("GET /v1/c/d later") == ["GET", "<*>", "later"])
        #expect(maskedTokens("fetch hdfs://node-1:9000/user/x.jar") == ["fetch", "<*>"])
        #expect(maskedTokens(#"open "/etc/app/conf.d/a=b""#) == ["open", "<*>"])
        // One slash is not a path; key=value keeps its key.
        #expect(maskedTokens("and/or user=bob") == ["and/or", "user=bob"])
        let found = templates([
            "2025-09-09T02:25:11Z INFO 10.0.0.1 GET /v2/t1/servers/detail HTTP/1.1 status: 200",
            "2025-09-09T02:25:12Z INFO 10.0.0.1 GET /v2/t1/servers/detail?all=True&since=2025-09-09 HTTP/1.1 status: 200",
        ])
        #expect(found == ["<*> GET <*> <*> status: <*>": 2])
    }
}
