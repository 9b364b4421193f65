import CZlib
import Foundation

/// Streams lines from a file descriptor through zlib's `gzread`, which reads gzip and plain input
/// alike. Memory stays bounded: one buffer, plus one line of at most `maxLine` bytes.
public final class LineReader {
    public static let maxLine = 1 << 20

    private let file: gzFile
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    private var carry: [UInt8] = []
    /// Lines longer than `maxLine`, cut to it.
    public private(set) var cutLines = 0
    /// Bytes read from the (possibly decompressed) input.
    public private(set) var bytesRead = 0
    /// Whether a gzip stream ended early (a truncated file): the lines before the break were read.
    public private(set) var truncated = false

    /// Stop after this many bytes (the first half of a file read in two halves).
    private let limit: Int

    /// Takes ownership of `descriptor`; reading starts at its current offset.
    public init(descriptor: Int32, bufferSize: Int = 1 << 20, limit: Int = .max) throws {
        self.limit = limit
        guard let file = gzdopen(descriptor, "rb") else {
            throw IncidentError.failure("could not open the log for reading.")
        }
        gzbuffer(file, 1 << 17)
        self.file = file
        buffer = [UInt8](repeating: 0, count: bufferSize)
    }

    deinit { gzclose(file) }

    private func fill() throws {
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { pointer in
                _ = memmove(pointer.baseAddress!, pointer.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        let want = min(buffer.count - end, limit - bytesRead)
        let count =
            want <= 0
            ? 0
            : buffer.withUnsafeMutableBufferPointer { pointer in
                gzread(file, pointer.baseAddress! + end, UInt32(want))
            }
        if count < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
            throw IncidentError.failure("the log could not be read: \(message).")
        }
        if count == 0 {
            eof = true
            // zlib reads a gzip stream cut short as far as it goes, then reports Z_BUF_ERROR.
            var code: Int32 = 0
            _ = gzerror(file, &code)
            if code == Z_BUF_ERROR { truncated = true }
        }
        end += Int(count)
        bytesRead += Int(count)
    }

    /// The first `count` bytes of the input (fewer when it is shorter), read ahead, not consumed.
    public func head(_ count: Int) throws -> [UInt8] {
        while end - start < count, !eof, end < buffer.count { try fill() }
        return Array(buffer[start..<min(end, start + count)])
    }

    /// Calls `body` with each line (without its `\n` or `\r\n`); the buffer is valid only during the call.
    public func forEachLine(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var skippingRest = false
        while true {
            if start == end {
                if eof {
                    // The last line, when the input does not end with a newline.
                    if !carry.isEmpty && !skippingRest {
                        if carry.last == 0x0D { carry.removeLast() }
                        try carry.withUnsafeBufferPointer { try body($0) }
                    }
                    carry.removeAll()
                    break
                }
                try fill()
                continue
            }
            let newline: Int? = buffer.withUnsafeBufferPointer { pointer in
                guard let found = memchr(pointer.baseAddress! + start, 0x0A, end - start) else { return nil }
                return pointer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            if let newline {
                if skippingRest {
                    skippingRest = false
                } else if carry.isEmpty {
                    try buffer.withUnsafeBufferPointer { pointer in
                        var length = newline - start
                        if length > 0 && pointer[newline - 1] == 0x0D { length -= 1 }
                        if length > Self.maxLine {
                            length = Self.maxLine
                            cutLines += 1
                        }
                        try body(UnsafeBufferPointer(rebasing: pointer[start..<start + length]))
                    }
                } else {
                    if appendCarry(newline) { cutLines += 1 }
                    if carry.last == 0x0D { carry.removeLast() }
                    try carry.withUnsafeBufferPointer { try body($0) }
                    carry.removeAll(keepingCapacity: true)
                }
                start = newline + 1
                continue
            }
            // No newline in what is buffered: keep it and read more (or finish the last line).
            let cut = !skippingRest && appendCarry(end)
            start = end
            if cut {
                cutLines += 1
                try carry.withUnsafeBufferPointer { try body($0) }
                carry.removeAll(keepingCapacity: true)
                skippingRest = true
            }
            // At the end of input the loop's top emits what is carried.
            if !eof { try fill() }
        }
    }

    /// Appends buffered bytes to the line being carried; true when they did not all fit (the line is cut).
    private func appendCarry(_ upTo: Int) -> Bool {
        let room = Self.maxLine - carry.count
        let take = min(room, upTo - start)
        if take > 0 { carry.append(contentsOf: buffer[start..<start + take]) }
        return upTo - start > room
    }
}
