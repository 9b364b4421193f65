import Foundation
import OrderedCollections

/// Renders a stage's section: the template body with `incident`, `answers`, `analysis`, `stages`, `file`,
/// `timeline` (`rows`, `table`, `mermaid`: see `Timeline`).
enum StageSection {
    static func render(
        _ template: StageTemplate, document: IncidentDocument, answers: Answers, analysis: Value?, file: String
    ) throws -> String {
        var context: OrderedDictionary<String, Value> = [
            "incident": .object(document.fields),
            "answers": .object(answers),
            "stages": .object(
                document.stageAnswers.mapValues { answers in ["answers": answers] }),
            "file": .string(file),
            "timeline": Timeline.templateValue(document),
        ]
        context["analysis"] = analysis ?? .null
        return try Renderer.render(template.body, context: .object(context), origin: template.origin)
            .trimmingCharacters(in: .newlines)
    }

    /// A hash of a section as written (line endings and surrounding blank lines aside), kept as
    /// `stages.NAME.section_hash` so that a hand edit inside a generated section is noticed before
    /// anything would overwrite it. FNV-1a, 64 bits: it guards against accidents, not attackers.
    static func hash(_ text: String) -> String {
        let normal = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in normal.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        let hex = String(value, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Stores the hash of the stage's section as it is now in `document`.
    static func recordHash(_ document: inout IncidentDocument, stage: String) {
        if var kept = document.fields["reopened_section_hash"]?.object, kept[stage] != nil {
            kept[stage] = nil
            document.fields["reopened_section_hash"] = kept.isEmpty ? nil : .object(kept)
        }
        guard let section = document.sections[stage], var record = document.stages[stage]?.object else { return }
        record["section_hash"] = .string(hash(section))
        var stages = document.stages
        stages[stage] = .object(record)
        document.fields["stages"] = .object(stages)
    }

    /// True when the stage's section no longer matches the hash stored when it was written; nil
    /// when no hash is stored (a file from before hashes were kept) or the section is gone.
    static func editedByHand(_ document: IncidentDocument, stage: String) -> Bool? {
        let record = document.stages[stage]?["section_hash"] ?? document.fields["reopened_section_hash"]?[stage]
        guard let stored = record?.string, let section = document.sections[stage] else { return nil }
        return hash(section) != stored
    }

    /// `section` with the part that changes between `oldRender` and `newRender` replaced, found by
    /// their common ending; nil when the section does not end as `oldRender` does. Used for a
    /// section whose beginning cannot be rendered again (identify's log analysis is not stored).
    static func splice(_ section: String, oldRender: String, newRender: String) -> String? {
        let old = Array(oldRender)
        let new = Array(newRender)
        let current = section.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(
            in: .whitespacesAndNewlines)
        var longest = 0
        while longest < old.count && longest < new.count
            && old[old.count - 1 - longest] == new[new.count - 1 - longest]
        {
            longest += 1
        }
        // The longest common ending can run into the new text by chance (both end with '.'); a
        // shorter one is tried until the section ends as the old render's changed part does.
        for suffix in stride(from: longest, through: 0, by: -1) {
            var prefix = 0
            while prefix < old.count - suffix && prefix < new.count - suffix && old[prefix] == new[prefix] {
                prefix += 1
            }
            let oldTail = String(old[prefix...])
            if current.hasSuffix(oldTail) {
                return String(current.dropLast(oldTail.count)) + String(new[prefix...])
            }
        }
        return nil
    }
}
