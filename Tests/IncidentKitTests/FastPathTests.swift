import Foundation
import Testing

@testable import IncidentKit

/// Hand-written replacements for Foundation calls on hot paths give Foundation's answers.
@Suite struct FastPathTests {
    @Test func timeFormatMatchesPrintf() {
        var generator = SeededGenerator(seed: 3)
        var seconds: [Int] = [
            0, -1, 86399, 86400, -86401, 253_402_300_799, 253_402_300_800, -62_167_219_200, -62_167_219_201,
        ]
        for _ in 0..<2000 { seconds.append(Int.random(in: -80_000_000_000...400_000_000_000, using: &generator)) }
        for value in seconds {
            let date = Date(timeIntervalSince1970: TimeInterval(value))
            let days = value >= 0 ? value / 86400 : (value - 86399) / 86400
            let inDay = value - days * 86400
            let (year, month, day) = Time.civil(fromDays: days)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, inDay / 3600, inDay % 3600 / 60, inDay % 60)
            #expect(Time.format(date) == expected)
        }
    }

    @Test func asciiLetterAndNumberMatchCharacterProperties() {
        var characters: [Character] = (0...0x2FF).compactMap { Unicode.Scalar($0).map(Character.init) }
        characters += ["\r\n", "é", "٣", "Ⅻ", "🚨", "e\u{301}"]
        for character in characters {
            #expect(Facts.isLetter(character) == character.isLetter, "\(character.unicodeScalars.map(\.value))")
            #expect(Facts.isNumber(character) == character.isNumber, "\(character.unicodeScalars.map(\.value))")
        }
    }

    @Test func removingWildcardsMatchesFoundation() {
        let tokens = [
            "<*>", "a<*>b", "<*><*>", "<<*>", "<*>>", "<*<*>>", "<*", "*>", "", "plain", "x<*>y<*>z", "é<*>",
            "<*>\u{338}",
            "\u{226E}*>",
        ]
        for token in tokens {
            #expect(
                TemplateMiner.removingWildcards(token)
                    == token.replacingOccurrences(of: TemplateMiner.wildcard, with: ""),
                "\(token)")
        }
    }

    /// The settled event's key, byte by byte, against the Character-level definition it replaced.
    @Test func constantKeyMatchesCharacterDefinition() {
        func reference(_ tokens: [String]) -> String {
            tokens.compactMap { token -> String? in
                let fixed = token.replacingOccurrences(of: TemplateMiner.wildcard, with: "")
                return fixed.contains(where: \.isLetter) ? fixed : nil
            }.joined(separator: " ")
        }
        let alphabet = ["a", "Z", "<", "*", ">", "<*>", "0", "_", "@", "[", "`", "{", "é", "e\u{301}", "\u{338}", "٣", "\r\n"]
        var generator = SeededGenerator(seed: 5)
        var cases = [[String]](), tokens = randomTexts(4000, seed: 17, alphabet: alphabet)
        while !tokens.isEmpty {
            let count = min(tokens.count, Int.random(in: 0...6, using: &generator))
            cases.append(Array(tokens.prefix(count)))
            tokens.removeFirst(count)
        }
        cases += [[], ["<*>"], ["<*>", "x"], ["x<*>y", "<*>", "9"], ["\u{226E}*>a"]]
        for tokens in cases {
            #expect(TemplateMiner.constantKey(of: tokens) == reference(tokens), "\(tokens)")
        }
    }

    /// Random texts over a small alphabet, so that needles occur, with non-ASCII and combining marks.
    func randomTexts(_ count: Int, seed: UInt64, alphabet: [String]) -> [String] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
                .joined()
        }
    }

    @Test func asciiFastContainsMatchesFoundation() {
        let alphabet = ["a", "b", "<", "*", ">", " ", "\"", "e", "\u{301}", "é", "\r\n", "I", "image"]
        let texts = randomTexts(3000, seed: 11, alphabet: alphabet)
        let needles = ["<*>", "a", "ab", "image \"", "e", "é", "", "b<", "imagea", "\u{301}", "e\u{301}"]
        for text in texts {
            for needle in needles {
                #expect(text.asciiFastContains(needle) == text.contains(needle), "\(Array(text.utf8)) \(needle)")
                let tail = text.dropFirst(text.count / 2)
                #expect(tail.asciiFastContains(needle) == tail.contains(needle))
            }
        }
    }

    @Test func asciiWordsMatchTheCharacterSplit() {
        let alphabet = ["a", "Z", "q", "7", "0", "-", " ", ".", "\r\n", "\t", "é", "_", "@", "[", "`", "{"]
        for text in randomTexts(3000, seed: 12, alphabet: alphabet) {
            for digits in [false, true] {
                var words: [String] = []
                let ascii = Facts.forEachASCIIWord(text, digits: digits) { words.append(String(decoding: $0, as: UTF8.self)) }
                #expect(ascii == text.utf8.allSatisfy { $0 < 0x80 })
                guard ascii else { continue }
                let expected = text.lowercased().split(whereSeparator: {
                    !(Facts.isLetter($0) || (digits && Facts.isNumber($0)))
                }).map(String.init)
                #expect(words == expected, "\(text)")
            }
        }
    }

    @Test func bytePairsNeverHideANeedleThatIsThere() {
        let alphabet = ["a", "b", "c", ":", "5", "4", "3", "2", " "]
        var generator = SeededGenerator(seed: 13)
        for text in randomTexts(2000, seed: 14, alphabet: alphabet) {
            let bytes = Array(text.utf8)
            let pairs = SignatureMatcher.bytePairs(bytes)
            for _ in 0..<10 {
                let length = Int.random(in: 1...4, using: &generator)
                let needle = (0..<length).map { _ in Array(alphabet.randomElement(using: &generator)!.utf8)[0] }
                if SignatureMatcher.find(needle, in: bytes) != nil {
                    #expect(SignatureMatcher.mayHold(needle, pairs), "\(text) \(needle)")
                }
            }
            if bytes.count >= 3 { #expect(SignatureMatcher.mayHold(Array(bytes[1..<3]), pairs)) }
        }
        #expect(!SignatureMatcher.mayHold(Array("zq".utf8), SignatureMatcher.bytePairs(Array("abc".utf8))))
    }
}
