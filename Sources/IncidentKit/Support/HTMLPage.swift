import Foundation

/// A self-contained HTML page from the markdown the tool writes: headings, paragraphs, lists
/// (checklists too), tables, fenced code, `<details>` from the verify template, and inline bold,
/// italics, code and links. Everything from the document is escaped; the page loads nothing (its
/// one script is inline and draws the five-whys flowchart from its Mermaid source).
enum HTMLPage {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
        body{font:15px/1.5 -apple-system,system-ui,"Segoe UI",Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
        h1,h2,h3{line-height:1.25}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3em;margin-top:2em}
        table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #d0d7de;padding:.3em .6em;vertical-align:top}
        th{background:#f6f8fa}code{background:#f6f8fa;padding:.1em .3em;border-radius:4px;font-size:90%}
        pre{background:#f6f8fa;padding:1em;overflow:auto;border-radius:6px}pre code{background:none;padding:0}
        pre.mermaid{border-left:4px solid #8250df}pre.mermaid::before{content:"Mermaid chart (source; paste it into a Mermaid renderer to draw it)";display:block;color:#57606a;font:italic 12px sans-serif;margin-bottom:.5em}
        figure.timeline{margin:1em 0;overflow:auto}ul.checklist{list-style:none;padding-left:1.2em}
        td:first-child{white-space:nowrap}
        figure.flowchart{margin:1em 0}figure.flowchart .node{border:1px solid #8250df;border-radius:6px;padding:.4em .8em;max-width:40rem;margin:0 auto;text-align:center;background:#fbf8ff}
        figure.flowchart .arrow{text-align:center;color:#8250df;line-height:1.6}
        """

    /// Draws, in the browser, the one Mermaid shape the tool writes that is not drawn already: a
    /// `flowchart TD` that is a single chain (the five-whys chart), as boxes and arrows. Anything
    /// else it does not understand stays as its source. Inline, so the page still loads nothing.
    static let script = """
        (function () {
          var pres = document.querySelectorAll('pre.mermaid');
          for (var p = 0; p < pres.length; p++) {
            var pre = pres[p];
            var lines = pre.textContent.split('\\n').map(function (l) { return l.trim(); }).filter(Boolean);
            if (!/^flowchart\\s+(TD|TB)$/.test(lines[0] || '')) continue;
            var labels = {}, order = [], edges = [], known = true;
            for (var i = 1; i < lines.length && known; i++) {
              var parts = lines[i].split('-->'), ids = [];
              for (var j = 0; j < parts.length; j++) {
                var m = /^([A-Za-z]\\w*)(?:\\["(.*)"\\])?$/.exec(parts[j].trim());
                if (!m) { known = false; break; }
                if (m[2] !== undefined) labels[m[1]] = m[2].replace(/#quot;/g, '"').replace(/#lt;/g, '<').replace(/#gt;/g, '>');
                if (order.indexOf(m[1]) < 0) order.push(m[1]);
                ids.push(m[1]);
              }
              for (j = 1; j < ids.length; j++) edges.push(ids[j - 1] + '>' + ids[j]);
            }
            for (i = 1; i < order.length && known; i++) known = edges.indexOf(order[i - 1] + '>' + order[i]) >= 0;
            if (!known || edges.length !== order.length - 1) continue;
            var figure = document.createElement('figure');
            figure.className = 'flowchart';
            for (i = 0; i < order.length; i++) {
              if (i > 0) { var arrow = document.createElement('div'); arrow.className = 'arrow'; arrow.textContent = '\\u2193'; figure.appendChild(arrow); }
              var node = document.createElement('div'); node.className = 'node'; node.textContent = labels[order[i]] || order[i];
              figure.appendChild(node);
            }
            var details = document.createElement('details'), summary = document.createElement('summary');
            summary.textContent = 'Mermaid source';
            pre.parentNode.insertBefore(figure, pre);
            pre.parentNode.insertBefore(details, pre);
            details.appendChild(summary);
            details.appendChild(pre);
          }
        })();
        """

    static func render(title: String, markdown: String, timelineSVG: String) -> String {
        var body = Markdown.html(markdown)
        // The drawn timeline goes right under the exported "Timeline" heading, above its table.
        if !timelineSVG.isEmpty, let range = body.range(of: "<h2>Timeline</h2>", options: .backwards) {
            body.insert(
                contentsOf: "\n<figure class=\"timeline\">\n\(timelineSVG)\n</figure>", at: range.upperBound)
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body)
            <script>
            \(script)
            </script>
            </body>
            </html>

            """
    }
}

/// The small markdown subset the templates produce, as HTML.
enum Markdown {
    static func html(_ markdown: String) -> String {
        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false
        ).map(String.init)
        var out: [String] = []
        var paragraph: [String] = []
        var index = 0
        func flush() {
            if !paragraph.isEmpty { out.append("<p>" + paragraph.map(inline).joined(separator: "<br>\n") + "</p>") }
            paragraph = []
        }
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                flush()
                let marker = String(trimmed.prefix { $0 == trimmed.first })
                let language = trimmed.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)
                var code: [String] = []
                index += 1
                while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).hasPrefix(marker) {
                    code.append(lines[index])
                    index += 1
                }
                index += 1
                let text = HTMLPage.escape(code.joined(separator: "\n"))
                out.append(
                    language == "mermaid" ? "<pre class=\"mermaid\">\(text)</pre>" : "<pre><code>\(text)</code></pre>")
                continue
            }
            if trimmed.isEmpty {
                flush()
                index += 1
                continue
            }
            if let level = headingLevel(trimmed) {
                flush()
                out.append("<h\(level)>\(inline(String(trimmed.dropFirst(level + 1))))</h\(level)>")
                index += 1
                continue
            }
            if trimmed.hasPrefix("<details><summary>"), let close = trimmed.range(of: "</summary>") {
                flush()
                let summary = trimmed[trimmed.index(trimmed.startIndex, offsetBy: 18)..<close.lowerBound]
                out.append("<details><summary>\(inline(String(summary)))</summary>")
                index += 1
                continue
            }
            if trimmed == "</details>" {
                flush()
                out.append("</details>")
                index += 1
                continue
            }
            if trimmed.hasPrefix("|"), index + 1 < lines.count, isDelimiterRow(lines[index + 1]) {
                flush()
                let header = cells(trimmed)
                let aligns = cells(lines[index + 1]).map { $0.hasSuffix(":") ? " style=\"text-align:right\"" : "" }
                var table = ["<table>", "<thead><tr>"]
                for (column, cell) in header.enumerated() {
                    table.append("<th\(column < aligns.count ? aligns[column] : "")>\(inline(cell))</th>")
                }
                table.append("</tr></thead>\n<tbody>")
                index += 2
                while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("|") {
                    table.append(
                        "<tr>"
                            + cells(lines[index]).enumerated().map { column, cell in
                                "<td\(column < aligns.count ? aligns[column] : "")>\(inline(cell))</td>"
                            }.joined() + "</tr>")
                    index += 1
                }
                table.append("</tbody></table>")
                out.append(table.joined(separator: "\n"))
                continue
            }
            if let item = listItem(trimmed) {
                flush()
                let ordered = item.ordered
                var items: [String] = []
                var checklist = false
                while index < lines.count, let next = listItem(lines[index].trimmingCharacters(in: .whitespaces)),
                    next.ordered == ordered
                {
                    var text = next.text
                    if text.hasPrefix("[ ] ") || text.hasPrefix("[x] ") || text.hasPrefix("[X] ") {
                        checklist = true
                        let done = !text.hasPrefix("[ ]")
                        text = String(text.dropFirst(4))
                        items.append(
                            "<li><input type=\"checkbox\" disabled\(done ? " checked" : "")> \(inline(text))</li>")
                    } else {
                        items.append("<li>\(inline(text))</li>")
                    }
                    index += 1
                }
                let tag = ordered ? "ol" : "ul"
                out.append(
                    "<\(tag)\(checklist ? " class=\"checklist\"" : "")>\n" + items.joined(separator: "\n")
                        + "\n</\(tag)>")
                continue
            }
            paragraph.append(trimmed)
            index += 1
        }
        flush()
        return out.joined(separator: "\n")
    }

    static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return hashes
    }

    static func isDelimiterRow(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("|") && trimmed.contains("-")
            && trimmed.allSatisfy { "|-: ".contains($0) }
    }

    /// A table row's cells; `\|` is a pipe inside a cell.
    static func cells(_ line: String) -> [String] {
        var trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("|") { trimmed.removeFirst() }
        if trimmed.hasSuffix("|") && !trimmed.hasSuffix("\\|") { trimmed.removeLast() }
        var result: [String] = []
        var current = ""
        var escaped = false
        for character in trimmed {
            if escaped {
                if character != "|" { current.append("\\") }
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                result.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        result.append(current.trimmingCharacters(in: .whitespaces))
        return result
    }

    static func listItem(_ line: String) -> (ordered: Bool, text: String)? {
        if line.hasPrefix("- ") || line.hasPrefix("* ") { return (false, String(line.dropFirst(2))) }
        let digits = line.prefix { $0.isNumber }
        if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") {
            return (true, String(line.dropFirst(digits.count + 2)))
        }
        return nil
    }

    /// Inline markup: `code`, **bold**, _italic_, [text](url); the rest escaped.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("`"), let end = rest.dropFirst().firstIndex(of: "`") {
                out += "<code>" + HTMLPage.escape(String(rest[rest.index(after: rest.startIndex)..<end])) + "</code>"
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("**"), let end = rest.dropFirst(2).range(of: "**") {
                out +=
                    "<strong>" + inline(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound]))
                    + "</strong>"
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("_"), out.last.map({ !$0.isLetter && !$0.isNumber }) ?? true,
                let end = rest.dropFirst().firstIndex(of: "_"), end > rest.index(after: rest.startIndex),
                rest[rest.index(after: end)...].first.map({ !$0.isLetter && !$0.isNumber }) ?? true
            {
                out += "<em>" + inline(String(rest[rest.index(after: rest.startIndex)..<end])) + "</em>"
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
                rest[rest.index(after: close)...].hasPrefix("("),
                let paren = rest[rest.index(after: close)...].firstIndex(of: ")")
            {
                let label = String(rest[rest.index(after: rest.startIndex)..<close])
                let url = String(rest[rest.index(close, offsetBy: 2)..<paren])
                let safe = url.hasPrefix("http://") || url.hasPrefix("https://") || !url.contains(":")
                out +=
                    safe
                    ? "<a href=\"\(HTMLPage.escape(url))\">\(inline(label))</a>"
                    : HTMLPage.escape(String(rest[...paren]))
                rest = rest[rest.index(after: paren)...]
            } else {
                out += HTMLPage.escape(String(rest.first!))
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
