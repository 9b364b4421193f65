import Foundation

extension StringProtocol {
    /// `contains(needle)` as Foundation answers it (a search that respects canonical equivalence),
    /// by a byte search when the text and the needle are ASCII: there no two different byte
    /// sequences are equivalent. Foundation's search, which converts to UTF-16 on every call, is
    /// kept for any other text. Log shapes, templates and tokens are nearly always ASCII.
    func asciiFastContains(_ needle: String) -> Bool {
        let answer = utf8.withContiguousStorageIfAvailable { hay -> Bool? in
            var needle = needle
            return needle.withUTF8 { pin -> Bool? in
                guard !pin.isEmpty, pin.allSatisfy({ $0 < 0x80 }), hay.allSatisfy({ $0 < 0x80 }) else { return nil }
                guard pin.count <= hay.count else { return false }
                let first = pin[0]
                var start = 0
                let last = hay.count - pin.count
                while start <= last {
                    guard let offset = hay[start...last].firstIndex(of: first) else { return false }
                    if memcmp(hay.baseAddress! + offset, pin.baseAddress!, pin.count) == 0 { return true }
                    start = offset + 1
                }
                return false
            }
        }
        if let answer = answer ?? nil { return answer }
        return contains(needle)
    }
}
