import Foundation

/// Where a run of bytes stands in others: memchr finds the needle's first byte, memcmp the rest.
/// The one search the analysis's byte scans share (signature matching, redaction hints, private
/// key blocks, `asciiFastContains`).
enum ByteSearch {
    /// Where `needle` first stands in `haystack` at or after `from` (`from` itself for an empty needle).
    static func first(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>, from: Int = 0)
        -> Int?
    {
        guard from + needle.count <= haystack.count else { return nil }
        guard let pin = needle.baseAddress, let base = haystack.baseAddress, !needle.isEmpty else { return from }
        let last = haystack.count - needle.count
        var start = from
        while start <= last {
            guard let hit = memchr(base + start, Int32(pin[0]), last - start + 1) else { return nil }
            let offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + offset, pin, needle.count) == 0 { return offset }
            start = offset + 1
        }
        return nil
    }

    static func first(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        needle.withUnsafeBufferPointer { pin in haystack.withUnsafeBufferPointer { first(pin, in: $0, from: from) } }
    }
}

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
                return ByteSearch.first(pin, in: hay) != nil
            }
        }
        if let answer = answer ?? nil { return answer }
        return contains(needle)
    }
}
