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
}
