import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

@Suite struct PostmortemUnitTests {
    @Test func aSpikeIsAMinuteWithThreeTimesTheUsualErrors() {
        let base = Date(timeIntervalSince1970: 1_757_385_600)  // 2025-09-09T02:40:00Z
        // Two errors a minute for ten minutes, then 12 in the eleventh.
        var times = (0..<10).flatMap { minute in [0, 30].map { base.addingTimeInterval(Double(minute * 60 + $0)) } }
        times += (0..<12).map { base.addingTimeInterval(600 + Double($0)) }
        let spikes = Timeline.spikes(times)
        #expect(spikes.count == 1)
        #expect(
            spikes.first?.start == base.addingTimeInterval(600) && spikes.first?.count == 12 && spikes.first?.usual == 2
        )
        // Sampled times stand for the occurrences they were drawn from.
        let weighted = times.map { ($0, 10.0) }
        #expect(Timeline.spikes(weighted).first?.count == 120 && Timeline.spikes(weighted).first?.usual == 20)
        // A steady rate has none.
        #expect(Timeline.spikes(Array(times.prefix(20))).isEmpty)
    }

    @Test func theLogTimelineNamesFirstAndLastErrorsAndSpikes() throws {
        let base = "2025-09-09T02:"
        var lines = (0..<10).map {
            "\(base)\(String(format: "%02d", $0)):00Z ERROR upstream returned 503 for /checkout"
        }
        lines += (0..<9).map {
            "\(base)10:\(String(format: "%02d", $0 * 5))Z ERROR upstream returned 503 for /checkout"
        }
        lines.append("\(base)10:50Z CRITICAL payment queue is full")
        lines.append("\(base)03:30Z WARN slow response")
        let repo = try TestRepo(git: false)
        try repo.write("app.log", lines.joined(separator: "\n") + "\n")
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        let analysis = try workspace.logs.analyzeText("app.log", recordLineEvents: false)
        let rows = Timeline.fromLog(analysis)
        let events = rows.map(\.event)
        #expect(
            events.first == "first error: upstream returned <*> for <*>"
                || events.first?.hasPrefix("first error: upstream") == true, "\(events)")
        #expect(rows.first.map { Time.format($0.at) } == "2025-09-09T02:00:00Z")
        #expect(events.contains { $0.hasPrefix("first critical: payment queue is full") })
        #expect(events.contains { $0.hasPrefix("spike: 10 errors in the minute from 02:10") }, "\(events)")
        #expect(
            events.last?.hasPrefix("last error:") == true
                && rows.last.map { Time.format($0.at) } == "2025-09-09T02:10:50Z")
        #expect(!events.contains { $0.contains("slow response") })
    }

    @Test func aSpikeInABigLogIsCountedFromTheSampledTimes() throws {
        // 20 minutes of 1,000 errors, then one of 20,000: more than the analysis keeps times for.
        var text = ""
        for minute in 0..<21 {
            let count = minute == 20 ? 20_000 : 1_000
            for index in 0..<count {
                let second = index * 60 / count
                text += "2025-09-09T03:\(String(format: "%02d:%02d", minute, second))Z ERROR upstream timed out\n"
            }
        }
        let repo = try TestRepo(git: false)
        try repo.write("big.log", text)
        let workspace = try Workspace.open(repo.environment(), directory: nil)
        let analysis = try workspace.logs.analyzeText("big.log", recordLineEvents: false)
        #expect(analysis.primary?.count == 40_000 && (analysis.primary?.times.count ?? 0) < 40_000)
        let spike = Timeline.fromLog(analysis).first { $0.event.hasPrefix("spike: ") }
        #expect(spike.map { Time.format($0.at) } == "2025-09-09T03:20:00Z")
        let number = spike?.event.dropFirst(7).prefix { $0.isNumber }
        #expect(number.flatMap { Int($0) }.map { abs($0 - 20_000) < 2_000 } == true, "\(spike?.event ?? "none")")
    }

    @Test func theMermaidGanttHasNoCharactersItsParserRejects() {
        let at = Date(timeIntervalSince1970: 1_757_385_600)
        let entries = [
            Timeline.Entry(at: at, kind: "log", event: "first error: a: b; c #1"),
            Timeline.Entry(at: at.addingTimeInterval(600), kind: "milestone", event: "mitigated"),
        ]
        let chart = Timeline.mermaid(entries, start: at)
        let tasks = chart.split(separator: "\n").filter { $0.contains(": milestone,") }
        #expect(tasks.count == 2)
        for task in tasks {
            let name = task.split(separator: ":", maxSplits: 1)[0]
            #expect(!name.contains(";") && !name.contains("#"), "\(task)")
        }
        #expect(chart.contains("failing : crit, 2025-09-09 02:40:00, 2025-09-09 02:50:00"))
    }

    @Test func patternSimilarityIgnoresMasksAndCatchesRewording() {
        #expect(
            SeenBefore.similarity(
                "Redis connection failed: Error <*> connecting to <*>",
                "Redis connection failed: Error <*> connecting to <*>") == 1)
        #expect(
            SeenBefore.similarity("Redis connection failed: timeout <*>", "Redis connection failed: timeout after <*>")
                >= SeenBefore.threshold)
        #expect(SeenBefore.similarity("disk quota exceeded on <*>", "Redis connection failed") == 0)
        #expect(SeenBefore.similarity("<*>", "<*>") == 0)
    }

    @Test func filePathsInTracesAreFoundWithoutLineNumbers() {
        #expect(
            SuspectCommitFinder.filePaths(in: #"  File "/app/netra/app/smd.py", line 412, in _validate"#) == [
                "/app/netra/app/smd.py"
            ])
        #expect(SuspectCommitFinder.filePaths(in: "\tat com.acme.Cart.add(Cart.java:42)") == ["Cart.java"])
        #expect(SuspectCommitFinder.filePaths(in: "main.go:73: dial tcp 10.0.0.1:6379: i/o timeout") == ["main.go"])
        #expect(SuspectCommitFinder.filePaths(in: "connecting to redis://10.0.0.1:6379/0 v2.0.1").isEmpty)
        let clues = SuspectCommitFinder.Clues(
            paths: ["/app/netra/app/smd.py", "Cart.java"], modules: ["app.redis_manager.connect"], services: ["redis"])
        #expect(SuspectCommitFinder.reason(for: "netra/app/smd.py", clues: clues)?.score == 10)
        #expect(SuspectCommitFinder.reason(for: "src/main/java/com/acme/Cart.java", clues: clues)?.score == 5)
        #expect(SuspectCommitFinder.reason(for: "app/redis_manager.py", clues: clues)?.score == 8)
        #expect(SuspectCommitFinder.reason(for: "charts/redis/values.yaml", clues: clues)?.score == 3)
        #expect(SuspectCommitFinder.reason(for: "docs/index.md", clues: clues) == nil)
    }

    @Test func theHTMLPageEscapesTheDocument() {
        let html = Markdown.html(
            """
            # Title <script>alert(1)</script>

            **Root cause**: `a<b` and [x](javascript:alert(1)) and [ok](https://example.com)
            | a | b |
            | --- | ---: |
            | 1 \\| 2 | <img src=x> |

            - [ ] **unit**: test
            ```mermaid
            flowchart TD
              A["x"] --> B
            ```
            """)
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;"))
        #expect(!html.contains("href=\"javascript:") && html.contains("<a href=\"https://example.com\">ok</a>"))
        #expect(html.contains("<td>1 | 2</td>") && html.contains("&lt;img src=x&gt;"))
        #expect(html.contains("<input type=\"checkbox\" disabled> <strong>unit</strong>: test"))
        #expect(html.contains("<pre class=\"mermaid\">flowchart TD\n  A[&quot;x&quot;] --&gt; B</pre>"))
    }

    @Test func blamefulPhrasesAreFoundOnWordBoundaries() {
        let document = IncidentDocument(fields: ["owner": "sam"], body: "")
        let warnings = Blameless.warnings(
            in: ["root_cause": "Sam forgot to rotate it", "whys": ["unforgotten history", "ask @lee"]],
            document: document)
        #expect(warnings.contains { $0.contains("\"forgot\"") })
        #expect(warnings.contains { $0.contains("names sam") })
        #expect(warnings.contains { $0.contains("mentions @lee") })
        #expect(!warnings.contains { $0.contains("unforgotten") })
        #expect(
            Blameless.warnings(in: ["actions": [["action": "add a check", "owner": "sam"]]], document: document).isEmpty
        )
    }
}
