import Testing

@testable import IncidentKit

/// The month names, level words and number units are looked up by switches on packed constants (no hashing on
/// the per-token path): every word of the lists is found, and nothing else of its length is.
@Suite struct PackedKeyTests {
    static func pack(_ word: String) -> UInt64 { word.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }

    /// Every word of up to `length` bytes over `alphabet`.
    static func words(upTo length: Int, over alphabet: [Character]) -> [String] {
        var all: [String] = [""]
        var frontier: [String] = [""]
        for _ in 0..<length {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            all += frontier
        }
        return all.filter { !$0.isEmpty }
    }

    @Test func monthKeysAreExactlyTheTwelveNames() {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        for word in Self.words(upTo: 3, over: letters) where word.count == 3 {
            let expected = HeaderParser.monthNames.firstIndex(of: word).map { $0 + 1 }
            #expect(HeaderParser.month(key: UInt32(Self.pack(word))) == expected, "\(word)")
        }
        // Any case, read from a line.
        let line = Array("Sep DEC jUn Foo".utf8)
        line.withUnsafeBufferPointer { bytes in
            #expect(HeaderParser.month(bytes, 0) == 9)
            #expect(HeaderParser.month(bytes, 4) == 12)
            #expect(HeaderParser.month(bytes, 8) == 6)
            #expect(HeaderParser.month(bytes, 12) == nil)
            #expect(HeaderParser.month(bytes, 13) == nil)  // past the end
        }
    }

    @Test func unitKeysAreExactlyTheUnitWords() {
        for word in TemplateMiner.unitWords {
            #expect(TemplateMiner.isUnitKey(Self.pack(word)), "\(word)")
        }
        // Every word of up to four letters (and %) is a unit exactly when it is listed.
        for word in Self.words(upTo: 4, over: Array("abcdeghikmnorstuwy%")) {
            #expect(TemplateMiner.isUnitKey(Self.pack(word)) == TemplateMiner.unitWords.contains(word), "\(word)")
        }
        for word in ["seconds", "minutes", "secondz", "minute", "hour"] {
            #expect(TemplateMiner.isUnitKey(Self.pack(word)) == TemplateMiner.unitWords.contains(word), "\(word)")
        }
        // Case and trailing punctuation, read from a line.
        let line = Array("12 MS, 3 Secs) 4 sex".utf8)
        line.withUnsafeBufferPointer { bytes in
            #expect(TemplateMiner.isUnit(bytes, 3, 6))
            #expect(TemplateMiner.isUnit(bytes, 9, 14))
            #expect(!TemplateMiner.isUnit(bytes, 17, 20))
        }
    }

    @Test func levelKeysAreExactlyTheLevelWords() {
        let words = HeaderParser.levels.filter { (3...8).contains($0.0.utf8.count) }
        for (word, severity) in words {
            #expect(HeaderParser.level(key: Self.pack(word)) == severity, "\(word)")
        }
        // Every upper-case word of three letters, and of four over the letters of the level words.
        let expected = Dictionary(uniqueKeysWithValues: words.map { ($0.0, $0.1) })
        for word in Self.words(upTo: 3, over: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) where word.count == 3 {
            #expect(HeaderParser.level(key: Self.pack(word)) == expected[word], "\(word)")
        }
        for word in Self.words(upTo: 4, over: Array("ACDEFGILNORTW")) where word.count == 4 {
            #expect(HeaderParser.level(key: Self.pack(word)) == expected[word], "\(word)")
        }
        // Any case, read from a line; only letters, three to eight of them, or EMERGENCY.
        let line = Array("warn Error fatal ER INFORMATION err1 Emergency EMERGENCE".utf8)
        line.withUnsafeBufferPointer { bytes in
            #expect(HeaderParser.level(bytes, 0, 4) == .medium)
            #expect(HeaderParser.level(bytes, 5, 10) == .high)
            #expect(HeaderParser.level(bytes, 11, 16) == .critical)
            #expect(HeaderParser.level(bytes, 17, 19) == nil)
            #expect(HeaderParser.level(bytes, 20, 31) == nil)
            #expect(HeaderParser.level(bytes, 32, 36) == nil)
            #expect(HeaderParser.level(bytes, 37, 46) == .critical)
            #expect(HeaderParser.level(bytes, 47, 56) == nil)
        }
    }

    /// An example keeps a line's first 600 characters: a line of up to 600 bytes whole, a longer
    /// one cut by characters, not bytes (600 "é" are 1,200 bytes and stay whole).
    @Test func examplesAreCutByCharacters() {
        func example(_ text: String) -> String { AnalysisEngine.example(text, bytes: text.utf8.count) }
        let short = String(repeating: "a", count: 600)
        #expect(example(short) == short)
        #expect(example(short + "b") == short)
        let accented = String(repeating: "é", count: 600)
        #expect(example(accented) == accented)
        #expect(example(accented + "x").count == 600)
        let combined = String(repeating: "e\u{301}", count: 700)  // 700 characters of 3 bytes each
        #expect(example(combined) == String(combined.prefix(600)))
    }
}
