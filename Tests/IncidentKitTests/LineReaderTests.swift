import Foundation
import Testing

@testable import IncidentKit

/// LineReader with and without its reading thread gives the same lines, counts and flags.
@Suite struct LineReaderTests {
    static func lines(_ path: String, readAhead: Bool, bufferSize: Int = 1 << 20) throws -> ([String], Int, Bool) {
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        let reader = try LineReader(descriptor: descriptor, bufferSize: bufferSize, readAhead: readAhead)
        var lines: [String] = []
        try reader.forEachLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        return (lines, reader.bytesRead, reader.truncated)
    }

    static func temporaryFile(_ bytes: [UInt8], suffix: String) throws -> String {
        let path = NSTemporaryDirectory() + "linereader-\(UUID().uuidString)\(suffix)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// 3 MB of lines of many lengths (some longer than the 1 MiB chunks), CRLF and a last line
    /// without a break; plain, gzip and a gzip stream cut in half.
    @Test func readingAheadGivesTheSameLines() throws {
        var text = ""
        var generator = SeededGenerator(seed: 5)
        while text.utf8.count < 3_000_000 {
            let length = [0, 1, 80, 300, 70_000, 1_300_000].randomElement(using: &generator)!
            text += String(repeating: "x", count: length) + (Bool.random(using: &generator) ? "\r\n" : "\n")
        }
        text += "last line without a break"
        let plain = try Self.temporaryFile(Array(text.utf8), suffix: ".log")
        defer { unlink(plain) }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", "-f", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = plain + ".gz"
        defer { unlink(compressed) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: compressed))
        let cut = try Self.temporaryFile(Array(whole.prefix(whole.count / 2)), suffix: ".gz")
        defer { unlink(cut) }
        for path in [plain, compressed, cut] {
            for bufferSize in [1 << 20, 4096] {
                let direct = try Self.lines(path, readAhead: false, bufferSize: bufferSize)
                let ahead = try Self.lines(path, readAhead: true, bufferSize: bufferSize)
                #expect(direct.0 == ahead.0, "\(path) \(bufferSize)")
                #expect(direct.1 == ahead.1 && direct.2 == ahead.2, "\(path) \(bufferSize)")
            }
        }
        #expect(try Self.lines(cut, readAhead: true).2)
    }

    /// A reader dropped before the end stops its thread, which closes the file.
    @Test func aReaderLeftEarlyClosesItsFile() throws {
        let path = try Self.temporaryFile(Array(String(repeating: "line\n", count: 2_000_000).utf8), suffix: ".log")
        defer { unlink(path) }
        var info = stat()
        stat(path, &info)
        let descriptor = open(path, O_RDONLY)
        do {
            let reader = try LineReader(descriptor: descriptor, readAhead: true)
            #expect(try reader.head(5) == Array("line\n".utf8))
        }
        // Closed, or its number already reused for another file by a test running alongside.
        func stillOurs() -> Bool {
            var now = stat()
            return fstat(descriptor, &now) == 0 && now.st_ino == info.st_ino && now.st_dev == info.st_dev
        }
        var waited = 0
        while stillOurs() && waited < 200 {
            usleep(10_000)
            waited += 1
        }
        #expect(!stillOurs())
    }

    /// The lines as a plain split gives them: at each `\n`, one `\r` before it dropped, a line
    /// longer than `maxLine` cut to it and counted, a last line without a break kept.
    static func reference(_ bytes: [UInt8]) -> (lines: [String], cut: Int) {
        var pieces = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if bytes.last == 0x0A || bytes.isEmpty { pieces.removeLast() }
        var cut = 0
        let lines = pieces.map { piece -> String in
            var piece = piece
            if piece.last == 0x0D { piece.removeLast() }
            if piece.count > LineReader.maxLine {
                piece = Array(piece.prefix(LineReader.maxLine))
                cut += 1
            }
            return String(decoding: piece, as: UTF8.self)
        }
        return (lines, cut)
    }

    /// Lines of many lengths (empty, short, across buffer ends, beyond `maxLine`), with `\n` or
    /// `\r\n`, read with buffers smaller and larger than the lines: the same lines and cut count
    /// as the plain split, whether whole lines come from the buffer or across reads.
    @Test func linesAreThoseOfAPlainSplit() throws {
        var generator = SeededGenerator(seed: 11)
        for round in 0..<3 {
            var bytes: [UInt8] = []
            while bytes.count < 2_500_000 {
                let length = [0, 1, 2, 79, 300, 4095, 5000, 70_000, LineReader.maxLine + 5000].randomElement(
                    using: &generator)!
                bytes += (0..<length).map { UInt8(0x61 + ($0 + round) % 26) }
                bytes += Bool.random(using: &generator) ? [0x0D, 0x0A] : [0x0A]
            }
            if round == 1 { bytes += Array("no break at the end".utf8) }
            let path = try Self.temporaryFile(bytes, suffix: ".log")
            defer { unlink(path) }
            let expected = Self.reference(bytes)
            for bufferSize in [4096, 65536, 1 << 20] {
                let descriptor = open(path, O_RDONLY)
                let reader = try LineReader(descriptor: descriptor, bufferSize: bufferSize)
                var lines: [String] = []
                try reader.forEachLine { lines.append(String(decoding: $0, as: UTF8.self)) }
                #expect(lines.count == expected.lines.count, "round \(round), buffer \(bufferSize)")
                #expect(lines == expected.lines, "round \(round), buffer \(bufferSize)")
                #expect(reader.cutLines == expected.cut, "round \(round), buffer \(bufferSize)")
                #expect(reader.bytesRead == bytes.count)
            }
        }
    }
}
