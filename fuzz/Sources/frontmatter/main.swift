import Foundation
import FuzzSupport
import IncidentKit

// An incident file: front-matter and sections. What parses must survive a rewrite unchanged (fields
// and body), and appending a section must leave every byte before it alone.
fuzz { data, size in
    guard let text = String(validating: bytes(data, size), as: UTF8.self) else { return 0 }
    guard let document = try? IncidentDocument.parse(text, name: "fuzz.md") else { return 0 }
    let sections = document.sections
    _ = (document.id, document.title, document.stage, document.created, document.services, document.stageAnswers)

    let written = document.serialized()
    let reread: IncidentDocument
    do {
        reread = try IncidentDocument.parse(written, name: "fuzz.md")
    } catch {
        finding("a parsed incident is written as \(shown(written)), which does not parse: \(error)")
    }
    if reread.body != document.body {
        finding("rewriting changed the body: \(shown(document.body)) -> \(shown(reread.body))")
    }
    if reread.fields != document.fields {
        finding("rewriting changed the front-matter: \(document.fields) -> \(reread.fields) via \(shown(written))")
    }

    var appended = document
    appended.appendSection(stage: "fuzz-stage", markdown: "new section\n")
    if !appended.body.hasPrefix(document.body) {
        finding("appending a section changed what was before it: \(shown(document.body)) -> \(shown(appended.body))")
    }
    if appended.sections["fuzz-stage"] != "new section\n" {
        finding(
            "an appended section reads back as \(appended.sections["fuzz-stage"].map(shown) ?? "nothing") in \(shown(appended.body))"
        )
    }

    if let stage = sections.keys.last {
        var replaced = document
        guard replaced.replaceSection(stage: stage, markdown: "replaced") else {
            finding("section \(shown(stage)) is listed but cannot be replaced in \(shown(document.body))")
        }
        if replaced.sections[stage]?.hasPrefix("replaced\n") != true {
            finding(
                "section \(shown(stage)) reads back as \(replaced.sections[stage].map(shown) ?? "nothing") after replacing it in \(shown(document.body))"
            )
        }
    }
    return 0
}
