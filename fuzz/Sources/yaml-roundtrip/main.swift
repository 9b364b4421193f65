import FuzzSupport
import IncidentKit

// Any string written by the project's YAML emitter reads back as the same string (as
// `YAML.storable` keeps it: NUL becomes U+FFFD, a leading BOM goes): as a block value, a flow
// list element, a flow mapping value, a mapping key, and a nested block value.
fuzz { data, size in
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    let shapes: [(String, Value)] = [
        ("value", ["v": .string(text)]),
        ("list element", ["l": [.string(text), "x"]]),
        ("flow mapping value", ["m": ["k": .string(text), "n": 1]]),
        ("key", ["k": [text: "x"]]),
        ("nested value", ["n": ["a": ["b": .string(text), "c": [1, 2]]]]),
    ]
    for (shape, value) in shapes {
        let yaml = YAML.emit(value.object!)
        let back: Value
        do throws(YAML.SyntaxError) {
            back = try YAML.parse(yaml)
        } catch {
            finding(
                "the \(shape) \(shown(text)) is written as \(shown(yaml)), which does not parse: line \(error.line): \(error.problem)"
            )
        }
        if back != storable(value) {
            finding("the \(shape) \(shown(text)) is written as \(shown(yaml)), which reads back as \(back)")
        }
    }
    return 0
}
