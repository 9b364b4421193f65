import Foundation
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
}
