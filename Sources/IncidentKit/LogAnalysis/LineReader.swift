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
    /// With `readAhead`, a thread of its own reads (and inflates) while the caller parses.
    private let ahead: ReadAhead?
    private var pending: [UInt8] = []
    private var pendingStart = 0

    /// Takes ownership of `descriptor`; reading starts at its current offset. `readAhead` reads on
    /// a second thread (for standard input and .gz, where reading or inflating is work of its own).
    public init(descriptor: Int32, bufferSize: Int = 1 << 20, limit: Int = .max, readAhead: Bool = false) throws {
        self.limit = limit
        guard let file = gzdopen(descriptor, "rb") else {
            throw IncidentError.failure("could not open the log for reading.")
        }
        gzbuffer(file, 1 << 17)
        self.file = file
        // Not zeroed: only what was read is looked at, and untouched pages cost nothing (a small log).
        buffer = [UInt8](unsafeUninitializedCapacity: bufferSize) { _, count in count = bufferSize }
        ahead = readAhead ? ReadAhead(file: file, chunkSize: 1 << 20) : nil
    }

    deinit {
        // The reading thread closes the file itself once it sees the stop (it may be inside gzread).
        if let ahead { ahead.stop() } else { gzclose(file) }
    }

    private func fill() throws {
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { pointer in
                _ = memmove(pointer.baseAddress!, pointer.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if let ahead {
            try fill(from: ahead)
            return
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

    /// `fill` from the reading thread's chunks: the next chunk (or what is left of one) is copied in.
    private func fill(from ahead: ReadAhead) throws {
        if pendingStart == pending.count {
            guard let chunk = try ahead.next() else {
                eof = true
                truncated = ahead.truncated
                return
            }
            pending = chunk
            pendingStart = 0
        }
        let take = min(buffer.count - end, pending.count - pendingStart)
        guard take > 0 else { return }
        buffer.withUnsafeMutableBufferPointer { target in
            pending.withUnsafeBufferPointer { source in
                _ = memcpy(target.baseAddress! + end, source.baseAddress! + pendingStart, take)
            }
        }
        pendingStart += take
        end += take
        bytesRead += take
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
            if carry.isEmpty && !skippingRest {
                // Every whole line in the buffer, with one access to it and its bounds: each line's
                // own look at this object's properties cost an exclusivity check and a retain.
                var position = start
                let stop = end
                var cut = 0
                defer {
                    start = position
                    cutLines += cut
                }
                try buffer.withUnsafeBufferPointer { pointer in
                    let base = pointer.baseAddress!
                    while position < stop, let found = memchr(base + position, 0x0A, stop - position) {
                        let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                        var length = newline - position
                        if length > 0 && base[newline - 1] == 0x0D { length -= 1 }
                        if length > Self.maxLine {
                            length = Self.maxLine
                            cut += 1
                        }
                        let line = UnsafeBufferPointer(start: base + position, count: length)
                        position = newline + 1
                        try body(line)
                    }
                }
                if position == stop { continue }
            }
            let newline: Int? = buffer.withUnsafeBufferPointer { pointer in
                guard let found = memchr(pointer.baseAddress! + start, 0x0A, end - start) else { return nil }
                return pointer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            // Here a line is being carried or skipped (a whole line in the buffer went above).
            if let newline {
                if skippingRest {
                    skippingRest = false
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

/// Reads a gzFile on a thread of its own into a few chunks ahead of the reader (at most
/// `capacity` of `chunkSize` bytes wait, so memory stays bounded). After `stop`, the thread
/// closes the file when its current read returns.
private final class ReadAhead: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var finished = false
    private var stopped = false
    private var failure: String?
    private var wasTruncated = false
    private let capacity = 2

    init(file: gzFile, chunkSize: Int) {
        nonisolated(unsafe) let file = file
        let thread = Thread { [self] in self.run(file, chunkSize) }
        thread.start()
    }

    private func run(_ file: gzFile, _ chunkSize: Int) {
        defer { gzclose(file) }
        while true {
            var chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { _, count in count = chunkSize }
            let count = chunk.withUnsafeMutableBufferPointer { gzread(file, $0.baseAddress, UInt32(chunkSize)) }
            condition.lock()
            defer { condition.unlock() }
            if stopped { return }
            if count <= 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) }
                if count < 0 {
                    failure = message ?? "read error"
                } else if code == Z_BUF_ERROR {
                    // zlib reads a gzip stream cut short as far as it goes, then reports Z_BUF_ERROR.
                    wasTruncated = true
                }
                finished = true
                condition.broadcast()
                return
            }
            chunk.removeLast(chunkSize - Int(count))
            while chunks.count >= capacity && !stopped { condition.wait() }
            if stopped { return }
            chunks.append(chunk)
            condition.broadcast()
        }
    }

    /// The next chunk, or nil at the end of the input.
    func next() throws -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        if !chunks.isEmpty {
            condition.broadcast()
            return chunks.removeFirst()
        }
        if let failure { throw IncidentError.failure("the log could not be read: \(failure).") }
        return nil
    }

    var truncated: Bool { condition.withLock { wasTruncated } }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }
}
