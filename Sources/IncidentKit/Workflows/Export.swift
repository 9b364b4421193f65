import Foundation
import OrderedCollections

/// What `incident export` was asked to do.
public struct ExportRequest: Sendable {
    public enum Format: String, Sendable, CaseIterable { case html, md }
    public var ref: String
    public var format: Format
    /// For a status page or a customer: no raw excerpts or command output, no suspect commits or
    /// reviewers, hosts, IPs and e-mails masked, the config's `redact.patterns` applied.
    public var isPublic = false

    public init(ref: String, format: Format, isPublic: Bool = false) {
        self.ref = ref
        self.format = format
        self.isPublic = isPublic
    }
}

/// The exported document.
public struct ExportResult: Sendable {
    public var id: String
    /// Data's control characters in it are visible stand-ins (`Terminal.sanitized`), as on standard
    /// output: the file is read on terminals too (`cat postmortem.md`).
    public var text: String
}

/// `incident export`: the postmortem as clean markdown (no markers, the current timeline and review
/// added) or as one self-contained HTML page (styles and one script inline; the timeline drawn as
/// inline SVG by the tool, the five-whys flowchart by the script, other Mermaid charts kept as their
/// source in `<pre class="mermaid">`).
public struct ExportWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(_ request: ExportRequest) throws -> ExportResult {
        let incident = try workspace.store.resolve(request.ref)
        let document = incident.document
        var markdown = Self.markdown(document, isPublic: request.isPublic)
        if request.isPublic { markdown = try scrub(markdown) }
        switch request.format {
        case .md: return ExportResult(id: document.id, text: Terminal.sanitized(markdown))
        case .html:
            var entries = Self.entries(document, isPublic: request.isPublic)
            if request.isPublic {
                entries = try entries.map { entry in
                    var entry = entry
                    entry.event = try scrub(entry.event)
                    return entry
                }
            }
            let svg = TimelineSVG.render(entries, start: Timeline.start(document))
            let page = HTMLPage.render(title: document.title, markdown: markdown, timelineSVG: svg)
            return ExportResult(id: document.id, text: Terminal.sanitized(page))
        }
    }

    /// The body without the tool's markers, with a summary on top and the timeline and review at the end.
    static func markdown(_ document: IncidentDocument, isPublic: Bool) -> String {
        var lines: [String] = []
        var body = document.body.replacingOccurrences(of: "\r\n", with: "\n")
        body = body.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            !(line.hasPrefix(IncidentDocument.sectionPrefix) || line.hasPrefix(IncidentDocument.occurrencePrefix))
        }.joined(separator: "\n")
        if isPublic { body = withoutReviewers(publicBody(body), document) }
        var bodyLines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The summary goes under the title (the body's first heading), else on top.
        let titleIndex = bodyLines.firstIndex { $0.hasPrefix("# ") }
        var summary = ["**Incident** `\(document.id)` · severity **\(document.severity)** · \(document.status)"]
        if let environment = document.fields["environment"]?.string { summary[0] += " · \(environment)" }
        if !document.services.isEmpty { summary[0] += " · services: " + document.services.joined(separator: ", ") }
        if !isPublic { summary[0] += " · review: \(ReviewWorkflow.state(document))" }
        let durations = Timeline.durations(document)
        let spans = Timeline.milestoneNames.compactMap { name -> String? in
            durations[name].map {
                "time to \(name == "detected" ? "detect" : name == "mitigated" ? "mitigate" : "resolve"): \(Self.hours($0))"
            }
        }
        if !spans.isEmpty { summary.append(spans.joined(separator: " · ")) }
        if let index = titleIndex {
            bodyLines.insert(contentsOf: [""] + summary.flatMap { [$0, ""] }.dropLast(), at: index + 1)
        } else {
            bodyLines.insert(contentsOf: summary + [""], at: 0)
        }
        lines = bodyLines
        while lines.last?.isEmpty == true { lines.removeLast() }
        let entries = Self.entries(document, isPublic: isPublic)
        if !entries.isEmpty {
            lines += [
                "", "## Timeline", "", Timeline.table(entries), "", "```mermaid",
                Timeline.mermaid(entries, start: Timeline.start(document)), "```",
            ]
        }
        if !isPublic, let review = document.fields["review"], let history = review["history"]?.array, !history.isEmpty {
            lines += ["", "## Review", "", "State: **\(ReviewWorkflow.state(document))**", ""]
            for entry in history {
                let note = entry["note"]?.string.map { ": \($0)" } ?? ""
                lines.append(
                    "- \(entry["at"]?.string ?? "") \(entry["by"]?.string ?? "") \(entry["action"]?.string ?? "")\(note)"
                )
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The timeline's rows; public, a review step's row says what happened but not who did it.
    static func entries(_ document: IncidentDocument, isPublic: Bool) -> [Timeline.Entry] {
        let entries = Timeline.entries(document)
        guard isPublic else { return entries }
        return entries.map { entry in
            var entry = entry
            entry.event = ReviewWorkflow.withoutReviewer(entry.event)
            return entry
        }
    }

    /// `body` without the reviewers' names in review rows that a section rendered into it (a stage
    /// completed after a review, whose template shows the timeline): as text, as a table cell and as
    /// a gantt label.
    static func withoutReviewers(_ body: String, _ document: IncidentDocument) -> String {
        var body = body
        for name in ReviewWorkflow.reviewers(document) {
            for verb in ReviewWorkflow.verbs {
                let row = "\(verb) by \(name)"
                for (named, unnamed) in [
                    (Timeline.cell(row), Timeline.cell(verb)), (Timeline.label(row), Timeline.label(verb)), (row, verb),
                ] where body.contains(named) {
                    body = body.replacingOccurrences(of: named, with: unnamed)
                }
            }
        }
        return body
    }

    static func hours(_ value: Double) -> String {
        value < 1 ? "\(Int((value * 60).rounded())) min" : String(format: "%.1f h", value)
    }

    /// Drops what a public page must not carry: fenced blocks other than Mermaid (raw excerpts,
    /// command output), `<details>` blocks, the excerpt's caption, and the suspect-commit table.
    static func publicBody(_ body: String) -> String {
        var out: [Substring] = []
        var fence: Substring? = nil
        var keepFence = false
        var inDetails = false
        var inSuspects = false
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) && trimmed.drop(while: { $0 == open.first }).allSatisfy(\.isWhitespace) {
                    fence = nil
                    if keepFence { out.append(line) }
                } else if keepFence {
                    out.append(line)
                }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                let marker = trimmed.prefix { $0 == trimmed.first }
                fence = marker
                keepFence = trimmed.dropFirst(marker.count).trimmingCharacters(in: .whitespaces) == "mermaid"
                if keepFence { out.append(line) }
                continue
            }
            if trimmed.hasPrefix("<details") { inDetails = true }
            if inDetails {
                if trimmed.contains("</details>") { inDetails = false }
                continue
            }
            if trimmed.hasPrefix("**Excerpt**") { continue }
            if trimmed.hasPrefix("**Suspect commits**") {
                inSuspects = true
                continue
            }
            if inSuspects {
                if trimmed.hasPrefix("|") { continue }
                inSuspects = false
            }
            out.append(line)
        }
        // Blank lines left in pairs by what was dropped collapse to one.
        var collapsed: [Substring] = []
        for line in out where !(line.isEmpty && collapsed.last?.isEmpty == true) { collapsed.append(line) }
        return collapsed.joined(separator: "\n")
    }

    /// Masks e-mails and IPs (as `redact.pii` does), the config's patterns, URLs and host names.
    func scrub(_ text: String) throws -> String {
        var config = workspace.config
        config.redactPII = true
        var counts = OrderedDictionary<String, Int>()
        var result = try Redactor(config: config).redact(text, counts: &counts)
        let rules: [(String, String)] = [
            // A URL's host (and anything after it) says where things run.
            ("\\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\\s`|)\\]]+", "[url]"),
            // host:port
            // (a name starting with a letter, so a time such as 02:25:09 is not taken for one)
            ("(?<![\\w.-])[a-zA-Z][a-zA-Z0-9-]*(?:\\.[a-zA-Z0-9-]+)*:[0-9]{2,5}\\b", "[host]"),
            // Names under a top-level or internal domain.
            (
                "\\b(?:[a-zA-Z0-9-]+\\.)+(?:com|net|org|io|dev|cloud|internal|local|lan|corp|intra|svc|cluster|example|co|us|eu|de|uk)\\b",
                "[host]"
            ),
        ]
        for (pattern, replacement) in rules {
            result = result.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return result
    }
}

/// The timeline as an inline SVG: one axis, a dot and a label per row, milestones in red.
enum TimelineSVG {
    static func render(_ entries: [Timeline.Entry], start: Date?) -> String {
        guard let first = entries.first?.at, let last = entries.last?.at else { return "" }
        let rowHeight = 22
        let left = 170
        let width = 760
        let height = 40 + rowHeight * entries.count
        let span = max(1, last.timeIntervalSince(first))
        func x(_ date: Date) -> Int { left + Int(Double(width - left - 20) * date.timeIntervalSince(first) / span) }
        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" role=\"img\" aria-label=\"Incident timeline\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">",
            "<line x1=\"\(left)\" y1=\"20\" x2=\"\(width - 20)\" y2=\"20\" stroke=\"#888\"/>",
            "<text x=\"\(left)\" y=\"14\" font-size=\"11\">\(HTMLPage.escape(Time.format(first)))</text>",
            "<text x=\"\(width - 20)\" y=\"14\" font-size=\"11\" text-anchor=\"end\">\(HTMLPage.escape(Time.format(last)))</text>",
        ]
        let end = entries.first { $0.kind == "milestone" && ($0.event == "mitigated" || $0.event == "resolved") }?.at
        if let start, let end, end > start {
            svg.append(
                "<rect class=\"impact\" x=\"\(x(max(start, first)))\" y=\"16\" width=\"\(max(2, x(end) - x(max(start, first))))\" height=\"8\" fill=\"#f3b0b0\"/>"
            )
        }
        for (index, entry) in entries.enumerated() {
            let y = 40 + index * rowHeight
            let color = entry.kind == "milestone" ? "#c0392b" : entry.kind == "log" ? "#d68910" : "#2e86c1"
            svg.append(
                "<line x1=\"\(x(entry.at))\" y1=\"20\" x2=\"\(x(entry.at))\" y2=\"\(y - 4)\" stroke=\"\(color)\" stroke-dasharray=\"2,2\"/>"
            )
            svg.append("<circle class=\"event\" cx=\"\(x(entry.at))\" cy=\"\(y - 4)\" r=\"4\" fill=\"\(color)\"/>")
            let time = String(Time.format(entry.at).dropFirst(11).prefix(8))
            svg.append("<text x=\"4\" y=\"\(y)\" font-size=\"11\" fill=\"#555\">\(time)</text>")
            let label = HTMLPage.escape(Timeline.short(entry.event, 70))
            let anchor = x(entry.at) > width / 2 ? "end" : "start"
            let labelX = anchor == "end" ? x(entry.at) - 8 : x(entry.at) + 8
            svg.append(
                "<text x=\"\(labelX)\" y=\"\(y)\" font-size=\"12\" text-anchor=\"\(anchor)\">\(label)</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }
}
