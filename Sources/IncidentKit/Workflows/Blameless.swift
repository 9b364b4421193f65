import Foundation
import OrderedCollections

/// Blameful wording in answers (a person as the cause, "forgot", "human error", "should have",
/// "careless"), each with a one-line suggestion. Warnings only: the words are the team's to choose.
public enum Blameless {
    /// Phrases (matched on word boundaries, case-insensitive) and what to write instead.
    static let phrases: [(pattern: String, suggestion: String)] = [
        ("forgot|forgotten|forgetting", "say which step or safeguard was missing, not who forgot"),
        ("human error|operator error|user error", "name the condition that made the error easy to make"),
        (
            "should have|shouldn't have|should not have",
            "describe what the system or process allowed, not what someone ought to have done"
        ),
        (
            "careless|carelessness|sloppy|lazy|negligen\\w*|incompeten\\w*",
            "describe the conditions, not a person's care"
        ),
        ("blame\\w*|(?:his|her|their) fault|fault of", "a postmortem looks for causes, not culprits"),
        ("dropped the ball|screwed up|messed up", "state what happened and which safeguard did not catch it"),
    ]

    /// One warning per blameful phrase or named person, as `FIELD: "phrase" … suggestion`.
    public static func warnings(in answers: Answers, document: IncidentDocument) -> [String] {
        var names = Set<String>()
        if let owner = document.fields["owner"]?.string { names.insert(owner) }
        for suspect in document.fields["suspect_commits"]?.array ?? [] {
            if let author = suspect["author"]?.string { names.insert(author) }
        }
        for entry in document.fields["review"]?["history"]?.array ?? [] {
            if let by = entry["by"]?.string { names.insert(by) }
        }
        var result: [String] = []
        for (field, value) in answers {
            for text in strings(value) { result += check(text, field: field, names: names) }
        }
        return result
    }

    static func strings(_ value: Value) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .array(let items): return items.flatMap(strings)
        case .object(let fields):
            // An owner of an action item is not blame.
            return fields.filter { $0.key != "owner" }.values.flatMap(strings)
        default: return []
        }
    }

    static func check(_ text: String, field: String, names: Set<String>) -> [String] {
        var result: [String] = []
        for (pattern, suggestion) in phrases {
            if let range = text.range(of: "\\b(" + pattern + ")\\b", options: [.regularExpression, .caseInsensitive]) {
                result.append("\(field): \"\(text[range])\" reads as blame; \(suggestion).")
            }
        }
        for name in names.sorted() where name.count >= 2 {
            let escaped = NSRegularExpression.escapedPattern(for: name)
            if text.range(of: "\\b" + escaped + "\\b", options: [.regularExpression, .caseInsensitive]) != nil {
                result.append(
                    "\(field): names \(name) in the analysis; describe the change or decision, not the person who made it."
                )
            }
        }
        if let mention = text.range(of: "(?<![\\w.])@[A-Za-z0-9][A-Za-z0-9-]{0,38}\\b", options: .regularExpression) {
            result.append(
                "\(field): mentions \(text[mention]) in the analysis; describe the change or decision, not the person.")
        }
        return result
    }
}
