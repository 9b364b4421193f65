import Foundation
import FuzzSupport
import IncidentKit
import OrderedCollections

// An incident file: front-matter and sections. What parses survives a rewrite (fields and body),
// also with its front-matter written afresh and with an entry changed and one added; the sections
// are the marker lines; appending a section leaves every byte before it alone; replacing the last
// section puts the new text in it.
fuzz { data, size in
    guard let text = String(validating: bytes(data, size), as: UTF8.self) else { return 0 }
    guard let document = try? IncidentDocument.parse(text, name: "fuzz.md") else { return 0 }
    let sections = document.sections
    _ = (document.id, document.title, document.stage, document.created, document.services, document.stageAnswers)

    rewrite(document, expecting: document.fields, "as read")
    rewrite(IncidentDocument(fields: document.fields, body: document.body), expecting: document.fields, "afresh")
    var changed = document
    if let key = changed.fields.keys.first { changed.fields[key] = "changed: value" }
    changed.fields["fuzz_added"] = ["a", "b: c"]
    rewrite(changed, expecting: changed.fields, "with an entry changed and one added")

    // The sections a byte-level reading finds (a line ends at LF or CRLF), in order.
    let expected = markerNames(document.body)
    if Array(sections.keys) != expected.uniqued() {
        finding("sections \(Array(sections.keys)) where the marker lines name \(expected) in \(shown(document.body))")
    }

    var appended = document
    appended.appendSection(stage: "fuzz-stage", markdown: "new section\n")
    if !appended.body.utf8.starts(with: document.body.utf8) {
        finding("appending a section changed what was before it: \(shown(document.body)) -> \(shown(appended.body))")
    }
    if !["new section\n", "new section\r\n"].contains(appended.sections["fuzz-stage"]) {
        finding(
            "an appended section reads back as \(appended.sections["fuzz-stage"].map(shown) ?? "nothing") in \(shown(appended.body))"
        )
    }

    if let stage = sections.keys.last {
        var replaced = document
        guard replaced.replaceSection(stage: stage, markdown: "replaced") else {
            finding("section \(shown(stage)) is listed but cannot be replaced in \(shown(document.body))")
        }
        let content = replaced.sections[stage] ?? ""
        if !content.utf8.starts(with: "replaced\n".utf8) && !content.utf8.starts(with: "replaced\r\n".utf8) {
            finding(
                "section \(shown(stage)) reads back as \(shown(content)) after replacing it in \(shown(document.body)), giving \(shown(replaced.body))"
            )
        }
    }
    return 0
}

/// Writes the document, reads it back, and requires the fields (as YAML stores them) and the body.
func rewrite(_ document: IncidentDocument, expecting fields: OrderedDictionary<String, Value>, _ how: String) {
    let written = document.serialized()
    let reread: IncidentDocument
    do {
        reread = try IncidentDocument.parse(written, name: "fuzz.md")
    } catch {
        finding("an incident written \(how) as \(shown(written)) does not parse: \(error)")
    }
    if reread.body != document.body {
        finding("rewriting \(how) changed the body: \(shown(document.body)) -> \(shown(reread.body))")
    }
    if !same(.object(reread.fields), storable(.object(fields))) {
        finding("rewriting \(how) changed the front-matter: \(fields) -> \(reread.fields) via \(shown(written))")
    }
}

/// The stage names of the marker lines, found in bytes: a line that starts with the marker prefix
/// and holds a "-->" after it.
func markerNames(_ body: String) -> [String] {
    let prefix = Array(IncidentDocument.sectionPrefix.utf8)
    var names: [String] = []
    for var line in body.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
        if line.last == 0x0D { line = line.dropLast() }
        guard line.starts(with: prefix) else { continue }
        let rest = Array(line.dropFirst(prefix.count))
        guard let close = (0..<max(0, rest.count - 2)).first(where: { rest[$0..<$0 + 3].elementsEqual("-->".utf8) })
        else { continue }
        names.append(String(decoding: rest[..<close], as: UTF8.self).trimmingCharacters(in: .whitespaces))
    }
    return names
}

extension Array where Element: Hashable {
    /// Each element once, where it first appears (as an ordered dictionary keeps a reassigned key).
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
