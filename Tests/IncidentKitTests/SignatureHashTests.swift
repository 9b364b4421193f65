import Foundation
import Testing

@testable import IncidentKit

/// `TemplateMiner.signature` runs on every line, so it reads each token once: it finds the
/// delimiters and counts what decides "variable" for each segment and for the whole token in
/// the same pass. Its hash must be exactly the one of the first version, which asked the
/// questions one at a time over `forEachToken`: that version is kept here as the reference
/// (hashing a literal segment with the same `mixLiteral`).
@Suite struct SignatureHashTests {
    enum Reference {
        static func signature(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, seed: UInt64) -> (
            UInt64, Int
        ) {
            var hash = seed
            var count = 0
            TemplateMiner.forEachToken(line, start, end) { tokenStart, tokenEnd, whole in
                count += 1
                TemplateMiner.mix(&hash, 0x20)
                if whole {
                    TemplateMiner.mix(&hash, 0x01)
                    return
                }
                var segment = tokenStart
                for index in tokenStart..<tokenEnd where TemplateMiner.isDelimiter(line[index]) {
                    hashSegment(line, segment, index, &hash)
                    TemplateMiner.mix(&hash, line[index])
                    segment = index + 1
                }
                hashSegment(line, segment, tokenEnd, &hash)
            }
            return (hash, count)
        }

        static func hashSegment(_ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ hash: inout UInt64) {
            guard end > start else { return }
            if TemplateMiner.isVariable(line, start, end) {
                TemplateMiner.mix(&hash, 0x01)
            } else {
                TemplateMiner.mixLiteral(line, start, end, &hash)
            }
        }
    }

    /// Pieces of every shape the masking tells apart: numbers, hex, paths, URLs, host:port, hex
    /// groups, units, dates, quantities in brackets, words with a trailing digit, delimiters.
    static let fragments: [String] = [
        "user=bob", "rhost=10.0.0.1", "port", ":", "=", ",", "(", ")", "[", "]", "{", "}", "\"", "'", ";", "|",
        "/var/log/app.log", "/v", "/var", "and/or", "//x", "hdfs://node-1:9000/a", "x://", "\"http://a/b\"",
        "(http://x)", "db-1.internal:5432", "10.0.0.1:80,", "name:12", "offset:-1", "a.b:", "FF:F2:9F:AB:E2:CD",
        "00-1A-2B-3C-4D-5E", "ab:cd", "deadbeefcafe", "deadbeef", "DEADBEEF0", "abcdefab", "SOCKS5", "HTTP2",
        "utf8", "a1", "blk_-1608999687919862906", "7.51", "s", "sec", "ms", "KB", "(18.4 KB)", "(3)", "(x)",
        "[09/Sep/2025:02:25:11 +0000]", "Fri Jun 17 07:07:00 2005", "Jun", "Mon", "at", "Failed", "password",
        "none", "for", "invalid", "from", "é", "日本", "<*>", "\u{01}", "x=1,y=2", "a=/b/c", "k:v", "k=\"v w\"",
        "12", "-3", "0x1F", "v2", "id:42)", "  ", "\t", "user@host", "$HOME", "%", "100%", "a_b", "1e9",
    ]

    static func bothHashes(_ line: [UInt8], start: Int = 0) -> ((UInt64, Int), (UInt64, Int)) {
        line.withUnsafeBufferPointer { bytes in
            let start = min(start, bytes.count)
            return (
                TemplateMiner.signature(bytes, start, bytes.count, seed: 7),
                Reference.signature(bytes, start, bytes.count, seed: 7)
            )
        }
    }

    @Test func equalsTheReferenceOnRandomLines() {
        let lines = fragmentLines(Self.fragments, count: 100_000, seed: 9, maxPieces: 10, spaceOdds: 3)
        let differing = lines.enumerated().filter { index, line in
            let (new, old) = Self.bothHashes(line, start: index % 4)
            return new != old
        }
        #expect(differing.count == 0, "\(differing.prefix(5).map { String(decoding: $0.element, as: UTF8.self) })")
        // The lines are not all one shape.
        #expect(Set(lines.prefix(1000).map { Self.bothHashes($0).0.0 }).count > 500)
    }

    @Test func equalsTheReferenceOnTheExampleLog() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../examples/redis-staging.log")
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n").map { Array($0.utf8) }
        #expect(lines.count > 10)
        for line in lines {
            let (new, old) = Self.bothHashes(line)
            #expect(new == old, "\(String(decoding: line, as: UTF8.self))")
        }
    }

    /// Tokens longer than one run of the counting lanes (16,384 bytes) are counted in parts.
    @Test func equalsTheReferenceOnTokensLongerThanALaneRun() {
        let long = [
            String(repeating: "abcdef", count: 7000),
            String(repeating: "a", count: 40_000) + "7",
            String(repeating: "ab/", count: 9000) + "=" + String(repeating: "x1", count: 9000),
            "key=" + String(repeating: "deadbeef", count: 5000) + ":9",
        ]
        for token in long {
            let (new, old) = Self.bothHashes(Array(("start " + token + " end").utf8))
            #expect(new == old, "\(token.prefix(20))… (\(token.count) bytes)")
        }
    }

    /// Lines that differ only in a variable share a signature; a different word does not.
    @Test func variablesShareAHashWordsDoNot() {
        func hash(_ text: String) -> UInt64 { Self.bothHashes(Array(text.utf8)).0.0 }
        #expect(hash("connect to db-1:5432 failed after 30 ms") == hash("connect to db-2:6543 failed after 7 ms"))
        #expect(hash("GET /a/b 200") == hash("GET /c/d 404"))
        #expect(hash("user=bob id=12") != hash("user=eve id=12"))
        #expect(hash("Failed password") != hash("Failed none"))
    }

    /// A literal segment hashes the same wherever it lies in the buffer (read eight bytes at a
    /// time inside it, gathered byte by byte at its end), and different segments (lengths 0 to
    /// 24, bytes of all values, zeros included) hash differently.
    @Test func literalSegmentsHashByContentAlone() {
        var generator = SeededGenerator(seed: 3)
        var seen: [UInt64: [UInt8]] = [:]
        var segments: [[UInt8]] = [[], [0], [0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]]
        for length in 0...24 {
            for _ in 0..<200 { segments.append((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        }
        for length in 1...3 { segments += (0..<256).map { [UInt8](repeating: UInt8($0), count: length) } }
        for segment in segments {
            // In the middle of a buffer, and as its last bytes.
            let padded = [0x41, 0x42] + segment + [UInt8](repeating: 0x43, count: 16)
            let ending = [0x41, 0x42] + segment
            var inside: UInt64 = 7
            var atEnd: UInt64 = 7
            padded.withUnsafeBufferPointer { TemplateMiner.mixLiteral($0, 2, 2 + segment.count, &inside) }
            ending.withUnsafeBufferPointer { TemplateMiner.mixLiteral($0, 2, 2 + segment.count, &atEnd) }
            #expect(inside == atEnd, "\(segment)")
            if let other = seen[inside] {
                #expect(other == segment, "\(segment) and \(other) hash alike")
            }
            seen[inside] = segment
        }
    }
}

/// The per-line map from a signature to its shape.
@Suite struct HashIndexTests {
    @Test func holdsWhatADictionaryHolds() {
        var index = HashIndex(capacity: 4)
        var reference: [UInt64: Int] = [:]
        var state: UInt64 = 1
        for step in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Keys that collide in the low bits, keys that are 0, and overwrites.
            let key = step % 7 == 0 ? UInt64(step) << 40 : step % 11 == 0 ? 0 : state % 5000
            index[key] = step
            reference[key] = step
        }
        #expect(index.count == reference.count)
        for (key, value) in reference { #expect(index[key] == value) }
        #expect(index[0xFFFF_FFFF_FFFF_FFFF] == nil)
    }
}

/// A token's end found eight bytes at a time is where a loop over its bytes finds it.
@Suite struct SpaceOrEndTests {
    @Test func findsTheFirstSpaceOrTabAsAByteLoopDoes() {
        var generator = SeededGenerator(seed: 9)
        // Spaces and tabs, bytes that differ from them in one bit, high bytes, and zeros.
        let alphabet: [UInt8] = [0x20, 0x09, 0x21, 0x1F, 0x08, 0x0B, 0x29, 0xA0, 0x89, 0x00, 0xFF, 0x61, 0x30]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...40, using: &generator)
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator) ? 0x61 : alphabet.randomElement(using: &generator)!
            }
            bytes.withUnsafeBufferPointer { line in
                let start = count == 0 ? 0 : Int.random(in: 0...count, using: &generator)
                let end = Int.random(in: start...count, using: &generator)
                var expected = start
                while expected < end, line[expected] != 0x20, line[expected] != 0x09 { expected += 1 }
                #expect(TemplateMiner.spaceOrEnd(line, from: start, end) == expected, "\(bytes) \(start)..<\(end)")
            }
        }
    }
}
