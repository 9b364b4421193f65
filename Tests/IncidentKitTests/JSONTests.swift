import Foundation
import OrderedCollections
import Testing

@testable import IncidentKit

@Suite struct JSONTests {
    static func item(_ index: Int) -> Value {
        [
            "id": .string("inc-\(index)"), "n": .int(index), "quote\"d": .string("a\nb\u{1}é"),
            "list": .array([.null, .bool(true), .double(1.5)]), "empty": .object([:]),
        ]
    }

    /// A long array is written in parts on several threads: the text is the one written in order.
    @Test func aLongArrayIsWrittenAsInOrder() throws {
        for count in [1023, 1024, 1500, 4099] {
            let items = (0..<count).map(Self.item)
            let pretty =
                "[\n  "
                + items.map { JSON.encode($0).replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: ",\n  ")
                + "\n]"
            #expect(JSON.encode(.array(items)) == pretty)
            let compact = "[" + items.map { JSON.encode($0, pretty: false) }.joined(separator: ",") + "]"
            #expect(JSON.encode(.array(items), pretty: false) == compact)
            let parsed = try JSONSerialization.jsonObject(with: Data(JSON.encode(.array(items)).utf8)) as? [Any]
            #expect(parsed?.count == count)
        }
    }

    @Test func nestedValuesKeepTheirLayout() {
        #expect(
            JSON.encode(["a": [1, 2], "b": [:], "c": []])
                == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}")
        #expect(JSON.encode(["a": [1, 2]], pretty: false) == "{\"a\":[1,2]}")
    }

    /// `list --json` writes each object as its fields with additions set, without building it:
    /// the bytes are those of the merged objects' array, at every length, pretty or not.
    @Test func objectsWrittenWithAdditionsAreTheMergedObjects() {
        func fields(_ index: Int) -> OrderedDictionary<String, Value> {
            switch index % 4 {
            case 0: return Self.item(index).object!
            case 1: return [:]  // no fields: the additions alone
            case 2: return ["path": .string("old"), "x": .int(index), "open_followups": .null]  // kept in place
            default: return ["nested": ["a": [1, ["b": "c"]]], "pending_updates": .array([])]
            }
        }
        func additions(_ index: Int) -> [(String, Value)] {
            [
                ("path", .string("incidents/\(index).md")), ("pending_updates", .strings(["u\(index)"])),
                ("open_followups", .int(index)),
            ]
        }
        for count in [0, 1, 7, 64, 65, 300, 2001] {
            let merged = (0..<count).map { index -> Value in
                var object = fields(index)
                for (key, value) in additions(index) { object[key] = value }
                return .object(object)
            }
            for pretty in [true, false] {
                let parts = JSON.encodeObjectArrayParts(count: count, pretty: pretty) {
                    (fields($0), additions($0), nil)
                }
                #expect(parts.flatMap { $0 } == JSON.encodeBytes(.array(merged), pretty: pretty))
                // From the fields' bytes written before (the read cache's), where no addition
                // replaces a field; the same bytes either way.
                let fromWritten = JSON.encodeObjectArrayParts(count: count, pretty: pretty) {
                    (fields($0), additions($0), Data(JSON.memberBytes(fields($0))))
                }
                #expect(fromWritten.flatMap { $0 } == JSON.encodeBytes(.array(merged), pretty: pretty))
            }
            // The written bytes are copied, not checked against the fields: shown by other bytes.
            let marked = JSON.encodeObjectArrayParts(count: count) {
                (fields($0), additions($0), Data(JSON.memberBytes(["marker": .int($0)])))
            }.flatMap { $0 }
            let markers = String(decoding: marked, as: UTF8.self).components(separatedBy: "\"marker\"").count - 1
            // Used only for the objects with fields none of which an addition replaces (case 0).
            #expect(markers == (0..<count).filter { $0 % 4 == 0 }.count)
        }
    }
}
