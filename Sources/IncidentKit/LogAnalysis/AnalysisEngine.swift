import Foundation
import OrderedCollections

/// Turns a log excerpt into `LogAnalysis`: redaction first, then headers, templates and facts.
public struct LogAnalyzer: Sendable {
    let redactor: Redactor
    let now: Date
    let recordLineEvents: Bool
    let signatures: SignatureCatalog
    let maxShapes: Int
    /// Past this many distinct line shapes, low-level lines are not mined (a dump of unique lines).
    public static let defaultMaxShapes = 50_000

    public init(
        redactor: Redactor, now: Date, recordLineEvents: Bool = true, signatures: SignatureCatalog = .builtIn,
        maxShapes: Int = LogAnalyzer.defaultMaxShapes
    ) {
        self.redactor = redactor
        self.now = now
        self.recordLineEvents = recordLineEvents
        self.signatures = signatures
        self.maxShapes = maxShapes
    }

    public func analyze(_ data: Data) -> LogAnalysis {
        let engine = AnalysisEngine(redactor: redactor, now: now, recordLineEvents: recordLineEvents, signatures: signatures, maxShapes: maxShapes)
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                var stop = end
                if stop > start, bytes[stop - 1] == 0x0D { stop -= 1 }
                engine.consume(UnsafeBufferPointer(rebasing: bytes[start..<min(stop, start + LineReader.maxLine)]))
                if stop - start > LineReader.maxLine { engine.cutLines += 1 }
                start = end + 1
            }
        }
        return engine.finish(bytes: data.count)
    }

    /// Streams a large plain file as two halves on two threads, then folds the second half's
    /// templates into the first's (the same Drain merge, applied to templates). `first` and
    /// `second` are two descriptors of the same file; `size` is its size in bytes.
    public func analyze(first: Int32, second: Int32, size: Int, progress: ((Int) -> Void)? = nil) throws -> LogAnalysis
    {
        // Split at the first line break after the middle.
        var probe = [UInt8](repeating: 0, count: 1 << 16)
        let read = probe.withUnsafeMutableBytes { pread(second, $0.baseAddress, $0.count, off_t(size / 2)) }
        guard read > 0, let newline = probe[0..<read].firstIndex(of: 0x0A) else {
            close(second)
            return try analyze(descriptor: first, progress: progress)
        }
        var split = size / 2 + newline + 1
        // Not inside a private key block: the second half's engine would not know to redact it.
        // The cut moves past the block's end (a key is a few KiB; the search stops at 1 MiB).
        var window = [UInt8](repeating: 0, count: PrivateKeyBlock.window + (1 << 20))
        let from = max(0, split - PrivateKeyBlock.window)
        let got = window.withUnsafeMutableBytes { pread(second, $0.baseAddress, $0.count, off_t(from)) }
        if got > 0 {
            window.withUnsafeBufferPointer { bytes in
                let bytes = UnsafeBufferPointer(rebasing: bytes[..<got])
                var end = split - from
                while end < bytes.count, PrivateKeyBlock.isOpen(before: end, in: bytes) {
                    guard let next = bytes[end...].firstIndex(of: 0x0A) else { break }
                    end = next + 1
                }
                split = from + end
            }
        }
        lseek(second, off_t(split), SEEK_SET)
        // Each half's reader and engine are touched by its own thread only.
        nonisolated(unsafe) let halves = [
            try LineReader(descriptor: first, limit: split), try LineReader(descriptor: second),
        ]
        try Self.refuseBinary(halves[0])
        nonisolated(unsafe) let engines = halves.map { _ in
            AnalysisEngine(redactor: redactor, now: now, recordLineEvents: recordLineEvents, signatures: signatures, maxShapes: maxShapes)
        }
        nonisolated(unsafe) let progress = progress
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            var next = 64 << 20
            // Taken out of the arrays once: each line's `engines[index]` retained and released the engine.
            let (half, engine) = (halves[index], engines[index])
            let progress = index == 0 ? progress : nil
            do {
                try half.forEachLine { line in
                    engine.consume(line)
                    if let progress, half.bytesRead >= next {
                        progress(half.bytesRead * 2)
                        next += 64 << 20
                    }
                }
            } catch {
                errors.set(error)
            }
            engine.cutLines += half.cutLines
        }
        if let error = errors.error { throw error }
        engines[0].absorb(engines[1])
        return engines[0].finish(bytes: halves[0].bytesRead + halves[1].bytesRead)
    }

    /// Streams a file descriptor (plain or gzip); `progress` gets the bytes read so far.
    ///
    /// A stream cannot be split in halves as a file can, so it is cut as it is read: reading (a
    /// pipe) or inflating (.gz) runs on a thread of its own, this thread gathers lines into
    /// segments of about `segmentBytes`, and two worker threads take the segments in turn (even
    /// and odd: the same input, the same result), each with one engine for all of its segments
    /// (numbered by the stream's line numbers), merged at the end (`merge(segmentsOf:)`): each
    /// shape is mined twice at most, however long the stream.
    /// A segment starts at a line that opens a record, so a stack trace's frames stay with its
    /// head (`startsRecord`). Input shorter than one segment is one engine's work, as before.
    public func analyze(
        descriptor: Int32, progress: ((Int) -> Void)? = nil, segmentBytes: Int = LogAnalyzer.segmentBytes
    ) throws -> LogAnalysis {
        let reader = try LineReader(descriptor: descriptor, readAhead: true)
        try Self.refuseBinary(reader)
        let segments = SegmentPipeline(workers: 2) {
            AnalysisEngine(redactor: redactor, now: now, recordLineEvents: recordLineEvents, signatures: signatures, maxShapes: maxShapes)
        }
        // Lines before the segment being gathered, and in it: each segment knows where it starts.
        var linesBefore = 0
        var linesIn = 0
        // Segments of 1 MiB: small enough that both cores start early and that the few in flight
        // stay small; each worker keeps one engine, so more segments do not mean more mining.
        // Room for a segment and the line that ends it is reserved up front (grown by appends, an
        // array doubles); the workers hand their buffers back, so a long stream reuses a few.
        var segment = segments.buffer(capacity: segmentBytes + segmentBytes / 4)
        var next = 64 << 20
        do {
            try reader.forEachLine { line in
                if segment.count >= segmentBytes, let first = line.first,
                    Self.startsRecord(first, pastDouble: segment.count >= 2 * segmentBytes),
                    !segment.withUnsafeBufferPointer({ PrivateKeyBlock.isOpen(before: $0.count, in: $0) })
                {
                    segments.submit(segment, firstLine: linesBefore)
                    linesBefore += linesIn
                    linesIn = 0
                    segment = segments.buffer(capacity: segmentBytes + segmentBytes / 4)
                }
                segment.append(contentsOf: line)
                segment.append(0x0A)
                linesIn += 1
                if let progress, reader.bytesRead >= next {
                    progress(reader.bytesRead)
                    next += 64 << 20
                }
            }
        } catch {
            _ = segments.finish()
            throw error
        }
        if !segment.isEmpty { segments.submit(segment, firstLine: linesBefore) }
        segment = []
        let engine =
            segments.finish()
            ?? AnalysisEngine(redactor: redactor, now: now, recordLineEvents: recordLineEvents, signatures: signatures, maxShapes: maxShapes)
        engine.cutLines += reader.cutLines
        var analysis = engine.finish(bytes: reader.bytesRead)
        analysis.truncated = reader.truncated
        return analysis
    }

    /// How much of a stream one worker reads before the next segment starts (at a line boundary).
    public static let segmentBytes = 1 << 20

    /// Whether a segment may start at a line beginning with `first`: a time, a bracket or a JSON
    /// object opens a record; an exception's last line ("pkg.Error: …", "Caused by: …") or an
    /// indented frame does not. A log with no such lines is cut at any unindented line, past
    /// twice the segment's size.
    @inline(__always) static func startsRecord(_ first: UInt8, pastDouble: Bool) -> Bool {
        if first &- 0x30 < 10 || first == 0x5B || first == 0x7B { return true }
        return pastDouble && first != 0x20 && first != 0x09
    }

    /// An image or a core dump is not a log: its first 64 KiB say so before anything is read.
    static func refuseBinary(_ reader: LineReader) throws {
        let head = try reader.head(1 << 16)
        if head.withUnsafeBufferPointer(BinaryData.isBinary) { throw LogInputError.binary }
    }
}

/// Why an input was not analysed at all.
public enum LogInputError: Error, Equatable {
    /// Mostly NUL, control bytes or invalid UTF-8 in its first 64 KiB.
    case binary
}

/// The state of one analysis while lines stream through it.
final class AnalysisEngine {
    let redactor: Redactor
    /// Gives year-less dates their year, relative to the analysis' `now`.
    let year: YearlessDates
    let recordLineEvents: Bool
    var miner = TemplateMiner()
    var redactions = OrderedDictionary<String, Int>()
    var cutLines = 0
    /// Lines of binary data, skipped.
    var binaryLines = 0
    var lines = 0
    /// The line formats seen (json, logfmt, plain): a bit each, set on every line.
    var formats = LineFormats()

    /// One masked shape of message (with its level and source): facts are read once per shape.
    struct Shape {
        var cluster: Int
        var count = 0
        var level: Severity?
        var severity: Severity
        var source: String?
        var example: String
        var message: String
        /// Whether unindented frames after this message may belong to it (computed once per shape).
        var opensTrace = false
        /// The line signature that made it (`rareLines` for the shape past `maxShapes`): engines
        /// folded together merge their shapes by it.
        var signature: UInt64 = 0
    }

    /// The signature of the one "rare lines" shape past `maxShapes`.
    static let rareLines: UInt64 = 0x7261_7265_6C69_6E65

    struct ClusterStats {
        var count = 0
        var severity = Severity.low
        var first: Int64?
        var last: Int64?
        var times: [Int64] = []
        var seen = 0
        var lastLine = 0
        /// The line of the first occurrence (the first failure usually causes the rest).
        var firstLine = 0
        var example = ""
        var source: String?
        var frame: String?
        /// Up to `contextLines` lines before the first occurrence, and the lines that continued it.
        var context: [String] = []
        var detail: [String] = []
    }

    var shapes: [Shape] = []
    var shapeIndex = HashIndex()
    var stats: [ClusterStats] = []
    var lineClusters: [Int32] = []
    var services: [String] = []
    var current: Int?  // the shape of the event that continuation lines join
    var inTrace = false
    /// Whether this file's lines carry a `docker compose` prefix, and the containers it named.
    var composePrefixed = false
    /// Lines past `maxShapes` that were not mined, and the shape they share.
    var overflowLines = 0
    var overflowShape: Int?
    /// Whether the current event began with an indented line (a trace whose head is not in the
    /// input) or with Python's bare "Traceback (most recent call last):": either way the exception
    /// line that closes the trace heads the event.
    var orphanFrames = false
    /// Whether the last line was an exception line that closed a trace: a bare traceback after it
    /// is another failure (chained ones come after "During handling of the above exception…").
    var traceClosed = false
    /// Whether the last line was a head line, or a line of its message after it: in a file whose
    /// lines carry times, an exception's message may go on over lines of its own before the frames.
    var afterHead = false
    var containerNames: [String] = []
    /// A header line with no message ("crit: Category[6]"), waiting for the next line to carry it.
    var pendingHead: (line: [UInt8], number: Int)?
    /// The pending head names a logger and method only (java.util.logging): its next line, which
    /// starts with the level ("SEVERE: …"), is its message.
    var pendingHeadTakesLevel = false
    /// The last lines read, for the context before an event's first occurrence.
    var recent: [[UInt8]] = Array(repeating: [], count: AnalysisEngine.contextLines)
    var recentNext = 0
    var recentCount = 0
    /// The cluster whose first occurrence is still being read (its continuation lines are kept).
    var capturing: Int?
    /// The stream segments this engine read (see `SegmentPipeline`): their order in the stream
    /// and where their rows begin in `lineClusters`.
    var segments: [(index: Int, rows: Int)] = []
    static let contextLines = 5
    /// Events listed at most; and clusters past which only medium-or-worse first occurrences keep context.
    static let maxEvents = 2000
    /// Distinct shapes mined at most (`LogAnalyzer.maxShapes`).
    let maxShapes: Int
    static let contextBudget = 2000
    static let detailLines = 60
    static let keptLineLength = 500
    var inPrivateKey = false
    static let timeSample = 16384
    /// A deterministic generator for reservoir sampling: same input, same sample, no syscalls.
    var sampler: UInt64 = 0x9E37_79B9_7F4A_7C15

    let signatures: SignatureCatalog

    init(
        redactor: Redactor, now: Date, recordLineEvents: Bool, signatures: SignatureCatalog = .builtIn,
        maxShapes: Int = LogAnalyzer.defaultMaxShapes
    ) {
        self.maxShapes = maxShapes
        self.redactor = redactor
        self.signatures = signatures
        year = YearlessDates(now: now)
        self.recordLineEvents = recordLineEvents
    }

    /// A line's bytes once its control sequences are gone (reused from line to line).
    private var cleaned: [UInt8] = []

    func consume(_ raw: UnsafeBufferPointer<UInt8>) {
        lines += 1
        var finding = Triggers.scan(raw)
        if finding == .plain && !inPrivateKey && !redactor.checksEveryLine {
            consumeClean(raw)
            return
        }
        // Binary data amid a log (a core dump pasted in, NUL padding) is skipped, not mined: each
        // such line would be a template of its own. Whatever the scan found first (a secret's
        // start, a colour), a line with control bytes is checked.
        let hasControl = finding == .control || (finding == .secret && ControlSequences.present(raw))
        if hasControl, BinaryData.isBinary(raw) {
            binaryLines += 1
            flushPendingHead()
            current = nil
            inTrace = false
            capturing = nil
            record(-1)
            return
        }
        // Colour and control sequences go before anything else looks at the line.
        var line: [UInt8]? = nil
        if hasControl {
            cleaned.removeAll(keepingCapacity: true)
            ControlSequences.strip(raw, into: &cleaned)
            finding = cleaned.withUnsafeBufferPointer { Triggers.scan($0) }
            line = cleaned
        }
        if finding == .secret || inPrivateKey || redactor.checksEveryLine {
            var text = line.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: raw, as: UTF8.self)
            text = redactLine(text, builtIn: finding == .secret || inPrivateKey)
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBufferPointer { consumeClean(UnsafeBufferPointer($0)) }
        } else if let line {
            line.withUnsafeBufferPointer { consumeClean($0) }
        } else {
            consumeClean(raw)
        }
    }

    /// PEM blocks span lines: everything from BEGIN to END is one secret. `builtIn` is false when
    /// the prefilter found no built-in kind: only `redact.patterns` and `redact.pii` then apply.
    private func redactLine(_ text: String, builtIn: Bool) -> String {
        guard builtIn else { return redactor.redactAlways(text, counts: &redactions) }
        if inPrivateKey {
            if text.contains("-----END") && text.contains("PRIVATE KEY-----") { inPrivateKey = false }
            return "[REDACTED:private-key]"
        }
        if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") && !text.contains("-----END") {
            inPrivateKey = true
            redactions["private-key", default: 0] += 1
            let prefix = text.components(separatedBy: "-----BEGIN").first ?? ""
            return redactor.redact(prefix, counts: &redactions) + "[REDACTED:private-key]"
        }
        return redactor.redact(text, counts: &redactions)
    }

    private func record(_ cluster: Int) {
        if recordLineEvents { lineClusters.append(Int32(cluster)) }
    }

    /// The file's header layout, learned from its first lines; until then they are held here.
    var layout: HeaderLayout?
    var held: [(line: [UInt8], number: Int)] = []
    var heldBytes = 0

    private func consumeClean(_ line: UnsafeBufferPointer<UInt8>) {
        if layout == nil {
            held.append((Array(line), lines))
            heldBytes += line.count
            if held.count >= HeaderLayout.sampleLines || heldBytes >= HeaderLayout.sampleBytes { releaseHeldLines() }
            return
        }
        consumeWithLayout(line)
    }

    /// Whether what follows the header is blank or only bracketed context (`{Thread-1} [pid:42]
    /// [redis.py:132 - reconnect()]`): a header whose message is on the next line.
    /// What is left after a header: nothing but a dotted logger and a method name
    /// (java.util.logging's first record line, "… AM org.apache.catalina.core.StandardContext startInternal").
    static func onlyLoggerAndMethod(_ line: UnsafeBufferPointer<UInt8>, from start: Int, loggerRead: Bool) -> Bool {
        // One or two words: a third is looked for only to say no (this runs on many lines: no array).
        var ranges: (Range<Int>, Range<Int>) = (0..<0, 0..<0)
        var count = 0
        var index = min(start, line.count)
        while index < line.count {
            while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
            guard index < line.count else { break }
            var end = index
            while end < line.count, line[end] != 0x20, line[end] != 0x09 { end += 1 }
            if count == 0 { ranges.0 = index..<end } else if count == 1 { ranges.1 = index..<end } else { return false }
            count += 1
            index = end
        }
        guard count == 1 || count == 2 else { return false }
        let words = count == 1 ? [line[ranges.0]] : [line[ranges.0], line[ranges.1]]
        if words.count == 1 {
            // The header took the logger already: one method name is left after a dotted name.
            var end = min(start, line.count)
            while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
            var begin = end
            while begin > 0, line[begin - 1] != 0x20, line[begin - 1] != 0x09 { begin -= 1 }
            guard loggerRead || (end > begin && line[begin..<end].contains(0x2E)) else { return false }
        } else {
            guard words.count == 2, words[0].contains(0x2E) else { return false }
        }
        guard words.allSatisfy({ $0.last != 0x3A }) else { return false }
        return words.allSatisfy { word in word.allSatisfy { HeaderParser.isFieldByte($0) && $0 != 0x3A } }
    }

    static func onlyBracketedFields(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var index = min(start, line.count)
        while index < line.count {
            let byte = line[index]
            if byte == 0x20 || byte == 0x09 {
                index += 1
                continue
            }
            let close: UInt8
            switch byte {
            case UInt8(ascii: "["): close = UInt8(ascii: "]")
            case UInt8(ascii: "{"): close = UInt8(ascii: "}")
            default: return false
            }
            var end = index + 1
            while end < line.count, line[end] != close { end += 1 }
            guard end < line.count else { return false }
            index = end + 1
        }
        return true
    }

    /// Reads a held header line as it is (its next line was not its message).
    private func flush(_ pending: (line: [UInt8], number: Int)) {
        let number = lines
        lines = pending.number
        pending.line.withUnsafeBufferPointer { consumeWithLayout($0, headOnly: true) }
        lines = number
        pending.line.withUnsafeBufferPointer { remember($0) }
    }

    func flushPendingHead() {
        if let pending = pendingHead {
            pendingHead = nil
            flush(pending)
        }
    }

    /// Keeps a line for the context of a later first occurrence (the last `contextLines` lines).
    private func remember(_ line: UnsafeBufferPointer<UInt8>) {
        recent[recentNext].removeAll(keepingCapacity: true)
        recent[recentNext].append(contentsOf: UnsafeBufferPointer(rebasing: line[..<min(line.count, Self.keptLineLength)]))
        recentNext = (recentNext + 1) % Self.contextLines
        recentCount = min(recentCount + 1, Self.contextLines)
    }

    private func recentLines() -> [String] {
        (0..<recentCount).map { offset in
            String(decoding: recent[(recentNext - recentCount + offset + Self.contextLines) % Self.contextLines], as: UTF8.self)
        }
    }

    /// A line that continues the event whose first occurrence is being read.
    private func appendDetail(_ line: UnsafeBufferPointer<UInt8>) {
        guard let cluster = capturing, stats[cluster].detail.count < Self.detailLines else { return }
        stats[cluster].detail.append(
            String(decoding: UnsafeBufferPointer(rebasing: line[..<min(line.count, Self.keptLineLength)]), as: UTF8.self))
    }

    /// Learns the layout from the held lines, then reads them as if they had just arrived.
    func releaseHeldLines() {
        guard layout == nil else { return }
        // `docker compose logs` puts "service-1  | " before every line: when most lines of the
        // sample carry such a prefix, it is the container's name, not part of the message.
        let prefixed = held.filter { Self.composePrefix($0.line) != nil }.count
        composePrefixed = held.count >= 2 && prefixed * 5 >= held.count * 4
        layout = HeaderLayout.learn(
            held.map { line in composePrefixed ? Self.composePrefix(line.line).map { Array(line.line[$0.end...]) } ?? line.line : line.line },
            year: year)
        let total = lines
        for (line, number) in held {
            lines = number
            line.withUnsafeBufferPointer { consumeWithLayout($0) }
        }
        lines = total
        held = []
        heldBytes = 0
    }

    /// "name  | " at the start of a line (docker compose): where the name ends and the line resumes.
    static func composePrefix<C: RandomAccessCollection>(_ line: C) -> (nameEnd: Int, end: Int)?
    where C.Element == UInt8, C.Index == Int {
        let start = line.startIndex
        var index = start
        while index < line.endIndex, index - start < 64 {
            let byte = line[index]
            let nameByte =
                (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".")
            if !nameByte { break }
            index += 1
        }
        let nameEnd = index
        guard nameEnd > start else { return nil }
        while index < line.endIndex, line[index] == 0x20 { index += 1 }
        guard index > nameEnd, index < line.endIndex, line[index] == UInt8(ascii: "|") else { return nil }
        index += 1
        if index < line.endIndex, line[index] == 0x20 { index += 1 }
        return (nameEnd - start, index - start)
    }

    private func consumeWithLayout(_ line: UnsafeBufferPointer<UInt8>, headOnly: Bool = false) {
        if composePrefixed, !headOnly, let prefix = Self.composePrefix(line) {
            let name = String(decoding: UnsafeBufferPointer(rebasing: line[..<prefix.nameEnd]), as: UTF8.self)
                .lowercased()
            if containerNames.count < 16, !containerNames.contains(name) { containerNames.append(name) }
            composePrefixed = false
            defer { composePrefixed = true }
            consumeWithLayout(UnsafeBufferPointer(rebasing: line[prefix.end...]))
            return
        }
        // Raw input lines are kept for context; a joined or replayed head line is not one of them.
        var keep = !headOnly
        defer { if keep { remember(line) } }
        let layout = layout ?? .none
        var first = 0
        while first < line.count, line[first] == 0x20 || line[first] == 0x09 { first += 1 }
        if first == line.count {
            flushPendingHead()
            record(current.map { shapes[$0].cluster } ?? -1)
            return
        }
        // A plain line's header is parsed once: it decides both "continuation?" and the message.
        let isJSON = line[first] == 0x7B
        let plainHeader: LineHeader? = isJSON ? nil : HeaderParser.parse(line, year: year, layout: layout)
        if let pending = pendingHead {
            pendingHead = nil
            let takesLevel = pendingHeadTakesLevel
            pendingHeadTakesLevel = false
            if !isJSON, first > 0 || (plainHeader?.time == nil && (plainHeader?.level == nil || takesLevel)) {
                // The message of the header line before: read the two as one line.
                var joined = pending.line
                joined.append(0x20)
                joined += UnsafeBufferPointer(rebasing: line[first...])
                let number = lines
                lines = pending.number
                joined.withUnsafeBufferPointer { consumeWithLayout($0, headOnly: true) }
                lines = number
                pending.line.withUnsafeBufferPointer { remember($0) }
                record(current.map { shapes[$0].cluster } ?? -1)
                return
            }
            flush(pending)
        }
        // A header and nothing after it: the message is on the next line.
        let loggerAndMethod =
            plainHeader.map {
                $0.time != nil && $0.level == nil
                    && Self.onlyLoggerAndMethod(line, from: $0.messageStart, loggerRead: $0.source != nil)
            } ?? false
        if !headOnly, !isJSON, let header = plainHeader, header.time != nil || header.level != nil,
            Self.onlyBracketedFields(line, from: header.messageStart) || loggerAndMethod
        {
            pendingHeadTakesLevel = loggerAndMethod
            pendingHead = (Array(line), lines)
            keep = false
            return
        }
        // A row of a Kubernetes event table is an event of its own, indented or not.
        let kubernetesRow = isJSON || plainHeader?.time != nil ? nil : KubernetesEventRow.parse(line)
        if kubernetesRow == nil, let shape = current,
            (first > 0 && (inTrace || plainHeader?.time == nil)) || (plainHeader.map { $0.time == nil } ?? false),
            StackTrace.mayContinue(line, inTrace: inTrace)
        {
            let text = String(decoding: line, as: UTF8.self)
            // An excerpt that starts inside a trace opens with a frame; the exception line that
            // ends that trace is the event, not one more frame of it.
            // A bare head line (no time, no level: a label like "Show raw exception details") does
            // not take the exception line after it: that line says what failed, and heads the event.
            // (Read from the head's shape and cluster, not kept per line: no time seen on it, no level.)
            let head = shapes[shape]
            let labelBeforeException =
                !inTrace && first == 0 && head.level == nil && stats[head.cluster].last == nil
                && head.example.utf8.first.map { $0 != 0x20 && $0 != 0x09 && $0 != 0x7B } == true
                && StackTrace.exceptionLine(text)
            // Python's bare "Traceback (most recent call last):" is the interpreter's report of an
            // uncaught exception, not more of the event before it, once that event's trace has
            // closed or when its head is an info or debug line ("Booting worker …").
            let newTraceback =
                first == 0 && StackTrace.isBareTracebackOpener(line)
                && (traceClosed || (!inTrace && (head.level.map { $0 < .medium } ?? false)))
            let continues = StackTrace.continues(text, inTrace: inTrace)
            let messageGoesOn =
                !continues && inTrace && afterHead && first == 0 && stats[head.cluster].last != nil
                && plainHeader?.time == nil && plainHeader?.level == nil && line.first != 0x7B
                && !StackTrace.isBareTracebackOpener(line)
                // (a record whose time did not parse still has its level word among its first fields)
                && !HeaderParser.levelAhead(line, from: 0, within: 5)
            if continues || messageGoesOn, !labelBeforeException, !newTraceback,
                !(orphanFrames && (StackTrace.exceptionLine(text) || text.hasPrefix("Caused by:")))
            {
                afterHead = messageGoesOn
                traceClosed = first == 0 && StackTrace.exceptionLine(text)
                inTrace = inTrace || StackTrace.opens(text)
                let cluster = shapes[shape].cluster
                appendDetail(line)
                // The innermost application frame: the first listed, or for Python the last.
                if stats[cluster].frame == nil || (stats[cluster].count == 1 && StackTrace.outermostFirst(text)),
                    let frame = StackTrace.frame(text)
                {
                    stats[cluster].frame = frame
                }
                // A trace under a head line without a level is an error; a level the software gave
                // its own line (a WARN with the exception it tolerated) stands (SPEC "Severity").
                if shapes[shape].level == nil,
                    text.hasPrefix("Traceback") || text.hasPrefix("Caused by")
                        || StackTrace.exceptionLine(first > 0 ? String(text.dropFirst(first)) : text)
                {
                    stats[cluster].severity = max(stats[cluster].severity, .high)
                }
                record(cluster)
                return
            }
        }
        // The frames of an excerpt that starts inside a trace belong to the failure its closing
        // exception (or "Caused by:") line names: that event inherits their application frame.
        var carriedFrame: String? = nil
        var closedOpener: Int? = nil
        traceClosed = false
        afterHead = true
        if orphanFrames, let shape = current, first == 0 {
            carriedFrame = stats[shapes[shape].cluster].frame
            // The opener said only that a traceback follows: the event is the exception's, and
            // the opener's own event is no failure of its own (it stays one while unclosed).
            if shapes[shape].level == nil, StackTrace.isOpener(shapes[shape].message) {
                closedOpener = shape
            }
            traceClosed = StackTrace.exceptionLine(String(decoding: line, as: UTF8.self))
        }
        var header: LineHeader
        var repeats = 1
        var messageBytes: [UInt8]? = nil
        var structured: StructuredLine?
        if isJSON, let entry = Structured.json(UnsafeBufferPointer(rebasing: line[first...])) {
            formats.insert(.json)
            structured = entry
        } else if Triggers.looksLogfmt(line), let entry = Structured.logfmt(line) {
            formats.insert(.logfmt)
            structured = entry
        } else {
            formats.insert(.plain)
        }
        if let entry = structured {
            // A Docker/Kubernetes "log" field often holds a plain line with its own header.
            var bytes = Array(entry.message.utf8)
            let inner = bytes.withUnsafeBufferPointer { HeaderParser.parse($0, year: year) }
            header = LineHeader(
                time: entry.time ?? inner.time, level: entry.level ?? inner.level, source: nil,
                messageStart: inner.messageStart)
            // The message's own header is read off only when the entry has no level of its own or
            // the message carries a time: {"s":"F","msg":"Fatal assertion"} keeps its first word.
            if (entry.level == nil && inner.level == nil) || (entry.level != nil && inner.time == nil) {
                header.messageStart = 0
            }
            bytes = Array(bytes[min(header.messageStart, bytes.count)...])
            header.messageStart = 0
            messageBytes = bytes
            for name in entry.services where !services.contains(name) { services.append(name) }
        } else {
            header = plainHeader ?? HeaderParser.parse(line, year: year, layout: layout)
            if let row = kubernetesRow {
                header.level = row.level
                header.messageStart = row.messageStart
                repeats = row.count
            }
        }
        let process = { (message: UnsafeBufferPointer<UInt8>, start: Int) in
            var seed: UInt64 = 0xcbf2_9ce4_8422_2325
            TemplateMiner.mix(
                &seed, UInt8(truncatingIfNeeded: (header.level.map { Severity.allCases.firstIndex(of: $0)! + 1 } ?? 0)))
            // The source's digits (pids, line numbers) vary per line: they are left out of the shape.
            // Its bytes are hashed where they lie; a String is made only for a new shape.
            if let source = structured?.source {
                for byte in source.utf8 where byte &- 0x30 >= 10 { TemplateMiner.mix(&seed, byte) }
            } else if let range = header.source {
                for index in range where line[index] &- 0x30 >= 10 { TemplateMiner.mix(&seed, line[index]) }
            }
            let (signature, _) = TemplateMiner.signature(message, start, message.count, seed: seed)
            let shape: Int
            if let known = self.shapeIndex[signature] {
                shape = known
            } else {
                let sourceText: String? =
                    structured?.source
                    ?? header.source.map { String(decoding: UnsafeBufferPointer(rebasing: line[$0]), as: UTF8.self) }
                shape = self.newShape(signature, message, start, header: header, source: sourceText, line: line)
            }
            self.update(shape, time: header.time, repeats: repeats)
        }
        orphanFrames =
            structured == nil
            && (first > 0
                || (header.time == nil && header.level == nil
                    && (StackTrace.isBareTracebackOpener(line) || StackTrace.isLocationOnly(line))))
        if let bytes = messageBytes {
            bytes.withUnsafeBufferPointer { process($0, 0) }
        } else if header.level == nil, let status = Self.requestStatus(line, from: header.messageStart) {
            // (A request log's lines have no level; looking only there keeps the search off most lines.)
            // A request log's status is its outcome, not a variable like a byte count: its class
            // is a word of the shape ("success" and "server-error" lines are two events, whichever
            // comes first; a number would be masked). The example keeps the status as it was.
            var message = Array(line[header.messageStart..<status])
            message += Self.statusClasses[Int(line[status] - 0x31)]
            message += line[(status + 3)...]
            message.withUnsafeBufferPointer { process($0, 0) }
        } else {
            process(line, header.messageStart)
        }
        if let carriedFrame, let shape = current, stats[shapes[shape].cluster].frame == nil {
            stats[shapes[shape].cluster].frame = carriedFrame
        }
        if let opener = closedOpener {
            shapes[opener].severity = .low
            stats[shapes[opener].cluster].severity = .low
        }
    }

    private static let httpVersion = Array("HTTP/".utf8)
    /// The words for 1xx-5xx.
    private static let statusClasses = ["informational", "success", "redirect", "client-error", "server-error"].map {
        Array($0.utf8)
    }

    /// Where the status of a request log's line starts (`"GET /api HTTP/1.1" 503 …`: three digits,
    /// 100-599, after the request's protocol and its closing quote), or nil.
    static func requestStatus(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < line.count,
            let version = httpVersion.withUnsafeBufferPointer({
                ByteSearch.first($0, in: UnsafeBufferPointer(rebasing: line[start...]))
            })
        else { return nil }
        // "HTTP/1.1", "HTTP/2", "HTTP/2.0": digits and a dot, then the request's closing quote.
        var index = start + version + 5
        while index < line.count, index < start + version + 9, line[index] &- 0x30 < 10 || line[index] == 0x2E {
            index += 1
        }
        if index < line.count, line[index] == 0x22 { index += 1 }
        guard index < line.count, line[index] == 0x20 else { return nil }
        index += 1
        guard index + 3 <= line.count, line[index] &- 0x31 < 5, line[index + 1] &- 0x30 < 10,
            line[index + 2] &- 0x30 < 10, index + 3 == line.count || line[index + 3] == 0x20
        else { return nil }
        return index
    }

    /// How many characters of a line an example keeps.
    static let exampleLength = 600

    /// The first `exampleLength` characters of a line decoded from `bytes` bytes. A line of no
    /// more bytes than that is whole: counting its characters (grapheme by grapheme) was 7% of
    /// making a shape.
    static func example(_ text: String, bytes: Int) -> String {
        bytes <= exampleLength ? text : String(text.prefix(exampleLength))
    }

    private func newShape(
        _ signature: UInt64, _ message: UnsafeBufferPointer<UInt8>, _ start: Int, header: LineHeader, source: String?,
        line: UnsafeBufferPointer<UInt8>
    ) -> Int {
        // Past `maxShapes` distinct shapes (random data, a dump of unique lines) a new shape is
        // not mined: it joins one "rare lines" event, so time and memory stay bounded (and it is said).
        if shapes.count >= maxShapes, header.level.map({ $0 < .medium }) ?? true {
            overflowLines += 1
            if let overflow = overflowShape {
                shapeIndex[signature] = overflow
                return overflow
            }
            let cluster = miner.add(signature: Self.rareLines, tokens: ["<rare", "lines>"])
            if cluster == stats.count { stats.append(ClusterStats()) }
            if stats[cluster].example.isEmpty {
                stats[cluster].example = Self.example(String(decoding: line, as: UTF8.self), bytes: line.count)
            }
            shapes.append(
                Shape(
                    cluster: cluster, level: nil, severity: .low, source: nil, example: stats[cluster].example,
                    message: "<rare lines>", signature: Self.rareLines))
            overflowShape = shapes.count - 1
            shapeIndex[signature] = shapes.count - 1
            return shapes.count - 1
        }
        let tokens = TemplateMiner.maskedTokens(message, start, message.count)
        let cluster = miner.cluster(forSignature: signature) ?? miner.add(signature: signature, tokens: tokens)
        if cluster == stats.count { stats.append(ClusterStats()) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: message[start...]), as: UTF8.self)
        var severity = header.level ?? .low
        // Severity here is the level's (SPEC "Severity"); signature floors are applied per event in
        // `finish`. A stack trace's head line without a level is an error.
        let whole = String(decoding: line, as: UTF8.self)
        // "System.InvalidOperationException: …" with no time reads like "logger: message"; the
        // line is still an exception (checked once per shape, not per line).
        if header.level == nil,
            StackTrace.exceptionLine(text) || text.hasPrefix("Traceback") || text.hasPrefix("Caused by:")
                || (header.time == nil && StackTrace.exceptionLine(whole))
        {
            severity = max(severity, .high)
        }
        let example = Self.example(whole, bytes: line.count)
        shapes.append(
            Shape(
                cluster: cluster, level: header.level, severity: severity, source: source, example: example,
                message: text,
                // The exception may stand in what the header read as its logger ("… [pool-1]
                // com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure").
                opensTrace: StackTrace.opens(text) || (source != nil && StackTrace.opens(whole)), signature: signature))
        shapeIndex[signature] = shapes.count - 1
        if stats[cluster].example.isEmpty {
            stats[cluster].example = example
            stats[cluster].source = source
        }
        return shapes.count - 1
    }

    private func update(_ shape: Int, time: Int64?, repeats: Int = 1) {
        shapes[shape].count += repeats
        let cluster = shapes[shape].cluster
        let severity = shapes[shape].severity
        current = shape
        inTrace = shapes[shape].opensTrace
        record(cluster)
        capturing = nil
        if stats[cluster].count == 0 {
            stats[cluster].firstLine = lines
            // Context costs up to a few KB a cluster: past the budget, only for warnings and worse.
            if cluster < Self.contextBudget || severity >= .medium {
                stats[cluster].context = recentLines()
                capturing = cluster
            }
        }
        // One access to the cluster's stats for all the counting (each `stats[cluster].x = …` on
        // this class's array was an exclusivity check of its own, on every line).
        Self.count(&stats[cluster], repeats: repeats, severity: severity, line: lines, time: time, sampler: &sampler)
    }

    private static func count(
        _ stats: inout ClusterStats, repeats: Int, severity: Severity, line: Int, time: Int64?, sampler: inout UInt64
    ) {
        stats.count += repeats
        stats.severity = max(stats.severity, severity)
        stats.lastLine = line
        if let time {
            stats.first = min(stats.first ?? time, time)
            stats.last = max(stats.last ?? time, time)
            stats.seen += 1
            if stats.times.count < timeSample {
                stats.times.append(time)
            } else {
                // Reservoir sampling keeps a fair sample of a very frequent event's times.
                sampler ^= sampler << 13
                sampler ^= sampler >> 7
                sampler ^= sampler << 17
                let slot = Int(sampler % UInt64(stats.seen))
                if slot < timeSample { stats.times[slot] = time }
            }
        }
    }

    /// Adds the lines another engine read after this one's: its templates are filed into this
    /// miner as if they were messages, and its counts, times and shapes follow them.
    /// Where each of `other`'s clusters goes among these: the one with the same template, or a
    /// new one (Drain's merge, applied to templates).
    private func clusterMap(of other: AnalysisEngine) -> [Int] {
        var map = [Int](repeating: 0, count: other.miner.clusters.count)
        for index in other.miner.clusters.indices {
            let tokens = other.miner.tokens(index)
            var signature: UInt64 = 0x6A09_E667_F3BC_C908
            for token in tokens {
                for byte in token.utf8 { TemplateMiner.mix(&signature, byte) }
                TemplateMiner.mix(&signature, 0x20)
            }
            let target = miner.cluster(forSignature: signature) ?? miner.add(signature: signature, tokens: tokens)
            while stats.count <= target { stats.append(ClusterStats()) }
            map[index] = target
        }
        return map
    }

    /// Folds in the engine that read the lines after these (the second half of a file): its
    /// line numbers count on from these.
    func absorb(_ other: AnalysisEngine) { merge(other, lineOffset: lines) }

    /// One fair sample of at most `timeSample` times from two: each side gives a share in
    /// proportion to the lines it saw (a spike late in a big log is not crowded out by the early
    /// segments), drawn at random from its own sample (which is itself fair). In place: a stream
    /// folds hundreds of segments, and a new array per cluster per fold only fragments the heap.
    static func mergeSamples(
        into mine: inout [Int64], of mineSeen: Int, _ theirs: [Int64], of theirSeen: Int, sampler: inout UInt64
    ) {
        if mine.count + theirs.count <= timeSample {
            mine.append(contentsOf: theirs)
            return
        }
        let share = Double(timeSample) * Double(mineSeen) / Double(max(1, mineSeen + theirSeen))
        let fromMine = min(mine.count, Int(share.rounded()))
        let fromTheirs = min(theirs.count, timeSample - fromMine)
        drawInPlace(&mine, fromMine, &sampler)
        if fromTheirs == theirs.count {
            mine.append(contentsOf: theirs)
        } else {
            var drawn = theirs
            drawInPlace(&drawn, fromTheirs, &sampler)
            mine.append(contentsOf: drawn)
        }
    }

    /// Keeps `count` of `values` at random (a partial Fisher–Yates shuffle on the engine's generator).
    static func drawInPlace(_ values: inout [Int64], _ count: Int, _ sampler: inout UInt64) {
        guard count < values.count else { return }
        for index in 0..<count {
            sampler ^= sampler << 13
            sampler ^= sampler >> 7
            sampler ^= sampler << 17
            values.swapAt(index, index + Int(sampler % UInt64(values.count - index)))
        }
        values.removeLast(values.count - count)
    }

    /// Starts one segment of a stream, `firstLine` lines into it: what joined lines (a trace, a
    /// header waiting for its message, the context before a first occurrence) ends here, as the
    /// segment before is elsewhere in the stream; line numbers go on from the stream's.
    func beginSegment(index: Int, firstLine: Int) {
        // Lines held to learn the layout are read now (not with the next segment's); with none
        // held there is nothing to learn from yet, and the layout waits for this segment's lines.
        if !held.isEmpty { releaseHeldLines() }
        flushPendingHead()
        current = nil
        inTrace = false
        capturing = nil
        orphanFrames = false
        traceClosed = false
        afterHead = false
        recentCount = 0
        lines = firstLine
        segments.append((index, lineClusters.count))
    }

    /// Merges the engine that read the other segments of the same stream (numbered alike).
    func merge(segmentsOf other: AnalysisEngine) { merge(other, lineOffset: 0) }

    /// Merges `other`, whose line `n` is line `n + lineOffset` here: templates by Drain's merge,
    /// counts and time samples summed, the first occurrence (example, context, trace) taken from
    /// whichever engine saw it first, shapes kept once, the per-line rows in the input's order
    /// (after these, or interleaved by segment for a stream). `other` is used up: each of its
    /// clusters is let go once merged, and the merged one is taken out of `stats` while it grows,
    /// so no sample of times is held twice (1 GiB: thousands of 16,384-time samples).
    private func merge(_ other: AnalysisEngine, lineOffset: Int) {
        releaseHeldLines()
        other.releaseHeldLines()
        flushPendingHead()
        other.flushPendingHead()
        let map = clusterMap(of: other)
        for index in other.stats.indices where index < map.count && other.stats[index].count > 0 {
            var theirs = other.stats[index]
            other.stats[index] = ClusterStats()
            theirs.firstLine += lineOffset
            theirs.lastLine += lineOffset
            var mine = stats[map[index]]
            stats[map[index]] = ClusterStats()
            if mine.count == 0 {
                mine = theirs
            } else {
                if theirs.firstLine < mine.firstLine {
                    mine.firstLine = theirs.firstLine
                    mine.example = theirs.example
                    mine.source = theirs.source
                    mine.frame = theirs.frame ?? mine.frame
                    mine.context = theirs.context
                    mine.detail = theirs.detail
                } else {
                    if mine.frame == nil { mine.frame = theirs.frame }
                    // Past the context budget a first occurrence keeps none: a later one's will do.
                    if mine.context.isEmpty && mine.detail.isEmpty {
                        mine.context = theirs.context
                        mine.detail = theirs.detail
                    }
                }
                mine.count += theirs.count
                mine.severity = max(mine.severity, theirs.severity)
                mine.first = [mine.first, theirs.first].compactMap { $0 }.min()
                mine.last = [mine.last, theirs.last].compactMap { $0 }.max()
                Self.mergeSamples(into: &mine.times, of: mine.seen, theirs.times, of: theirs.seen, sampler: &sampler)
                mine.seen += theirs.seen
                mine.lastLine = max(mine.lastLine, theirs.lastLine)
            }
            stats[map[index]] = mine
        }
        mergeShapes(of: other, map: map)
        for (kind, count) in other.redactions { redactions[kind, default: 0] += count }
        for name in other.services where !services.contains(name) { services.append(name) }
        for name in other.containerNames where !containerNames.contains(name) { containerNames.append(name) }
        overflowLines += other.overflowLines
        formats.formUnion(other.formats)
        cutLines += other.cutLines
        binaryLines += other.binaryLines
        let theirs = other.lineClusters.map { $0 >= 0 ? Int32(map[Int($0)]) : $0 }
        other.lineClusters = []
        if segments.isEmpty || other.segments.isEmpty {
            lineClusters += theirs
        } else {
            (lineClusters, segments) = Self.interleave(lineClusters, segments, theirs, other.segments)
        }
        lines = lineOffset > 0 ? lines + other.lines : max(lines, other.lines)
    }

    /// Two engines' per-line rows, segment by segment, back in the stream's order, and the
    /// segments of the result (where each one's rows now begin).
    static func interleave(
        _ mine: [Int32], _ mySegments: [(index: Int, rows: Int)], _ theirs: [Int32],
        _ theirSegments: [(index: Int, rows: Int)]
    ) -> ([Int32], [(index: Int, rows: Int)]) {
        var slices: [(index: Int, mine: Bool, range: Range<Int>)] = []
        for (rows, segments, isMine) in [(mine, mySegments, true), (theirs, theirSegments, false)] {
            for (position, segment) in segments.enumerated() {
                let end = position + 1 < segments.count ? segments[position + 1].rows : rows.count
                slices.append((segment.index, isMine, segment.rows..<end))
            }
        }
        var result: [Int32] = []
        var segments: [(index: Int, rows: Int)] = []
        result.reserveCapacity(mine.count + theirs.count)
        for slice in slices.sorted(by: { $0.index < $1.index }) {
            segments.append((slice.index, result.count))
            result += slice.mine ? mine[slice.range] : theirs[slice.range]
        }
        return (result, segments)
    }

    /// `other`'s shapes joined to these: a shape both engines saw is one shape (the first seen
    /// keeps its example); `map` takes `other`'s clusters to these.
    private func mergeShapes(of other: AnalysisEngine, map: [Int]) {
        defer { other.shapes = [] }
        for var shape in other.shapes {
            let known = shape.signature == Self.rareLines ? overflowShape : shapeIndex[shape.signature]
            if let known {
                shapes[known].count += shape.count
                shapes[known].severity = max(shapes[known].severity, shape.severity)
                continue
            }
            shape.cluster = map[shape.cluster]
            shapes.append(shape)
            if shape.signature == Self.rareLines {
                overflowShape = shapes.count - 1
            } else {
                shapeIndex[shape.signature] = shapes.count - 1
            }
        }
    }

    func finish(bytes: Int) -> LogAnalysis {
        releaseHeldLines()
        flushPendingHead()
        var analysis = LogAnalysis()
        analysis.lines = lines
        analysis.bytes = bytes
        analysis.cutLines = cutLines
        analysis.binaryLines = binaryLines
        analysis.unminedLines = overflowLines
        analysis.redactions = redactions
        analysis.format = formats.name
        // Variants that differ only where words proved variable, and templates with the same
        // fixed tokens, are one event (TemplateMiner.settle).
        let representative = miner.settle(counts: stats.map(\.count))
        let ids = miner.clusters.indices.map { LogAnalyzer.hash(miner.template(representative[$0])) }
        // Clusters whose templates came out the same are one event.
        var events = OrderedDictionary<String, LogAnalysis.Event>()
        for index in stats.indices where stats[index].count > 0 {
            let stat = stats[index]
            // Each sample of times is let go as it becomes the event's (finish is the engine's last step).
            stats[index].times = []
            let id = ids[index]
            let times = stat.times.map { Date(timeIntervalSince1970: TimeInterval($0)) }
            let source = stat.frame ?? stat.source
            if var event = events[id] {
                event.count += stat.count
                event.severity = max(event.severity, stat.severity)
                event.times += times
                event.firstSeen = [event.firstSeen, stat.first.map { Date(timeIntervalSince1970: TimeInterval($0)) }]
                    .compactMap { $0 }.min()
                event.lastSeen = [event.lastSeen, stat.last.map { Date(timeIntervalSince1970: TimeInterval($0)) }]
                    .compactMap { $0 }.max()
                event.lastLine = max(event.lastLine, stat.lastLine)
                event.firstLine = min(event.firstLine, stat.firstLine)
                events[id] = event
            } else {
                events[id] = LogAnalysis.Event(
                    id: id, template: miner.template(representative[index]), example: stat.example, count: stat.count,
                    severity: stat.severity,
                    firstSeen: stat.first.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                    lastSeen: stat.last.map { Date(timeIntervalSince1970: TimeInterval($0)) }, lastLine: stat.lastLine,
                    firstLine: stat.firstLine, times: times, source: source, context: stat.context,
                    detail: stat.detail)
            }
        }
        // A log of mostly unique lines (random data, a dump) makes as many events as lines: the
        // rarest beyond `maxEvents` are not listed (every line keeps its row in --events-out).
        var listed = Array(events.values)
        if listed.count > Self.maxEvents {
            listed.sort { ($0.severity, $0.count, $1.firstLine) > ($1.severity, $1.count, $0.firstLine) }
            analysis.omittedEvents = listed.count - Self.maxEvents
            listed.removeLast(listed.count - Self.maxEvents)
        }
        analysis.events = Ranking.rank(listed, signatures: signatures)
        if recordLineEvents {
            analysis.lineEventIDs = ids
            analysis.lineEventIndices = lineClusters
            lineClusters = []
        }
        let kept = Set(analysis.events.map(\.id))
        let factShapes = analysis.omittedEvents == 0 ? shapes : shapes.filter { kept.contains(ids[$0.cluster]) }
        Facts.fill(&analysis, shapes: factShapes, clusterIDs: ids, extraServices: services + containerNames)
        return analysis
    }
}

/// The formats of a log's lines: one bit each, so marking a line costs no hashing.
struct LineFormats: OptionSet {
    let rawValue: UInt8
    static let json = LineFormats(rawValue: 1)
    static let logfmt = LineFormats(rawValue: 2)
    static let plain = LineFormats(rawValue: 4)

    /// `mixed` when lines came in more than one format.
    var name: String {
        switch self {
        case .json: "json"
        case .logfmt: "logfmt"
        case .plain, []: "plain"
        default: "mixed"
        }
    }
}

/// Byte-level pre-checks that keep the slow paths off ordinary lines.
enum Triggers {
    /// What one look at a line's bytes found first.
    enum Finding: Equatable {
        /// Nothing: the line goes straight to parsing.
        case plain
        /// Something that may start a built-in secret kind: the line goes through the redactor.
        case secret
        /// A terminal control sequence or control byte: the line is cleaned first.
        case control
    }

    /// Which byte pairs call for a look (index: the first byte plus 256 times the second), one
    /// pass over the line testing eight pairs with one branch. Each secret kind and control byte
    /// has an anchor byte (the `=` or `:` after a key word, the `_` or `-` or `.` inside a prefix,
    /// an uncommon letter of it); `check` looks at an anchor, back as well as forward. A pair is
    /// flagged only when one of its bytes is an anchor and the other allows what `check` asks of
    /// that neighbour: `12:34` and `2024-01` are not looked at, `password=` and `://` are.
    /// `here` asks for `check` at the pair's first byte, `next` at its second.
    static let here: UInt8 = 1
    static let next: UInt8 = 2
    static let pairs: [UInt8] = {
        func letter(_ byte: Int) -> Bool { (byte | 0x20) &- 0x61 >= 0 && (byte | 0x20) &- 0x61 < 26 }
        func folded(_ byte: Int, is ascii: Character) -> Bool { UInt8(byte | 0x20) == ascii.asciiValue! }
        func forward(_ x: Int, _ y: Int) -> Bool {
            switch x {
            case 0..<0x20 where x != 0x09, 0x7F: return true
            case 0xC2: return y &- 0x80 >= 0 && y &- 0x80 < 0x20
            case 0x23: return y == 0x30 || y == 0x31  // #011
            case 0x3A: return y == 0x2F || y == 0x5C  // :// and :\/
            case 0x2D: return y == 0x2D  // -----BEGIN
            case 0x41: return [0x49, 0x4B, 0x53, 0x42, 0x43].contains(y)  // AIza, AKIA, ASIA, ABIA, ACCA
            case 0x78, 0x58: return folded(y, is: "o") || folded(y, is: "a")  // xox?-, xapp-
            case 0x62, 0x42: return folded(y, is: "e")  // bearer
            default: return false
            }
        }
        func backward(_ x: Int, _ y: Int) -> Bool {
            switch y {
            // A key word's last letter or the quotes and spaces after it; sig=
            case 0x3D, 0x3A: return letter(x) || x == 0x20 || x == 0x22 || x == 0x27 || x == 0x5C
            case 0x5F: return true  // gh?_ leaves the byte before `_` free
            case 0x2D: return folded(x, is: "k")  // sk-
            case 0x2E: return x == 0x39 || x == 0x47  // ya29., SG.
            case 0x4A: return folded(x, is: "y")  // eyJ
            case 0x6B, 0x4B: return folded(x, is: "o")  // hooks.slack
            case 0x7A, 0x5A: return folded(x, is: "i")  // authoriz
            default: return false
            }
        }
        // Only pairs with an anchor in them can be flagged: 22 rows of 256, not all 65,536 pairs
        // (this runs at every start).
        let anchors = Array(0..<0x20).filter { $0 != 0x09 } + [0x7F, 0xC2] + Array("#=:_-.AJxXkKbBzZ".utf8).map(Int.init)
        var table = [UInt8](repeating: 0, count: 1 << 16)
        for anchor in anchors {
            for other in 0..<256 {
                if forward(anchor, other) { table[anchor | other << 8] |= here }
                if backward(other, anchor) { table[other | anchor << 8] |= next }
            }
        }
        return table
    }()

    /// One pass over the line: control bytes, or something that may start a secret. Key words
    /// count only where a key ends with them and a `=` or `:` follows (`DB_PASSWORD=`, `api-key:`,
    /// `"client_secret": `), as the redaction rules require: `keyguardActive=` and `auth_request:`
    /// do not call the redactor. Which of the two is found first is not promised: a line with a
    /// control byte is cleaned and scanned again whichever is returned.
    static func scan(_ line: UnsafeBufferPointer<UInt8>) -> Finding {
        pairs.withUnsafeBufferPointer { scan(line, pairs: $0.baseAddress!) }
    }

    private static func scan(_ line: UnsafeBufferPointer<UInt8>, pairs: UnsafePointer<UInt8>) -> Finding {
        let n = line.count
        guard n > 1, let base = line.baseAddress else { return n == 1 ? controlAtEnd(line) : .plain }
        @inline(__always) func flags(_ j: Int) -> UInt8 { pairs[Int(base[j]) | Int(base[j + 1]) << 8] }
        var j = 0
        while j < n - 1 {
            // Eight pairs (nine bytes) with nothing flagged are passed with one branch.
            if j + 8 < n {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self))
                let any =
                    pairs[Int(truncatingIfNeeded: word & 0xFFFF)] | pairs[Int(truncatingIfNeeded: (word >> 8) & 0xFFFF)]
                    | pairs[Int(truncatingIfNeeded: (word >> 16) & 0xFFFF)] | pairs[Int(truncatingIfNeeded: (word >> 24) & 0xFFFF)]
                    | pairs[Int(truncatingIfNeeded: (word >> 32) & 0xFFFF)] | pairs[Int(truncatingIfNeeded: (word >> 40) & 0xFFFF)]
                    | pairs[Int(truncatingIfNeeded: (word >> 48) & 0xFFFF)] | pairs[Int(truncatingIfNeeded: word >> 56) | Int(base[j + 8]) << 8]
                if any == 0 {
                    j += 8
                    continue
                }
            }
            let found = flags(j)
            if found & here != 0, let finding = check(line, j) { return finding }
            if found & next != 0, let finding = check(line, j + 1) { return finding }
            j += 1
        }
        // The last byte has no pair of its own: only a control byte counts there.
        return controlAtEnd(line)
    }

    @inline(__always) private static func controlAtEnd(_ line: UnsafeBufferPointer<UInt8>) -> Finding {
        let byte = line[line.count - 1]
        return ControlSequences.isControl(byte) ? .control : .plain
    }

    /// What the anchor at `i` starts, if anything (`nil`: go on).
    @inline(__always) static func check(_ line: UnsafeBufferPointer<UInt8>, _ i: Int) -> Finding? {
        let n = line.count
        let byte = line[i]
        if ControlSequences.isControl(byte) { return .control }
        switch byte {
        case 0xC2:
            if i + 1 < n, line[i + 1] &- 0x80 < 0x20 { return .control }
        case 0x23:  // rsyslog's "#011"
            if ControlSequences.syslogEscape(line, i) != nil { return .control }
        case 0x3D, 0x3A:  // = :
            if keyBefore(line, i) { return .secret }
            // sig=
            if byte == 0x3D, i >= 3, line[i - 3] | 0x20 == 0x73, line[i - 2] | 0x20 == 0x69,
                line[i - 1] | 0x20 == 0x67
            {
                return .secret
            }
            // scheme://user:pass@ and its JSON-escaped form scheme:\/\/
            if byte == 0x3A, i + 3 < n {
                let slashes =
                    (line[i + 1] == 0x2F && line[i + 2] == 0x2F)
                    || (line[i + 1] == 0x5C && line[i + 2] == 0x2F && line[i + 3] == 0x5C)
                if slashes {
                    var j = i + 3
                    while j < n, j < i + 512, line[j] != 0x20, line[j] != 0x22 {
                        if line[j] == 0x40 { return .secret }
                        j += 1
                    }
                }
            }
        case 0x5F:  // _
            if i >= 3 {
                let (p3, p2, p1) = (line[i - 3], line[i - 2], line[i - 1])
                if p3 | 0x20 == 0x67, p2 | 0x20 == 0x68 { return .secret }  // gh?_
                if i + 1 < n, p3 == 0x6E, p2 | 0x20 == 0x70, p1 == 0x6D, i < 4 || !continuesWord(line[i - 4]) {
                    return .secret  // npm_
                }
                if i >= 5, line[i - 5] == 0x77, line[i - 4] == 0x68, p3 | 0x20 == 0x73, p2 | 0x20 == 0x65,
                    p1 | 0x20 == 0x63
                {
                    return .secret  // whsec_
                }
            }
            if i >= 6, matches(line, i - 6, "github_pat_") { return .secret }
            if stripeOrOpenAI(line, i, dash: false) { return .secret }  // sk_, rk_
        case 0x2D:  // -
            if i + 3 < n, line[i + 1] == 0x2D, line[i + 2] == 0x2D, line[i + 3] == 0x2D { return .secret }  // -----BEGIN
            if stripeOrOpenAI(line, i, dash: true) { return .secret }  // sk-
        case 0x2E:  // .
            // ya29. (Google OAuth)
            if i >= 4, line[i - 4] == 0x79, line[i - 3] | 0x20 == 0x61, line[i - 2] == 0x32,
                line[i - 1] == 0x39
            {
                return .secret
            }
            if i >= 2, i + 1 < n, line[i - 2] == 0x53, line[i - 1] == 0x47 { return .secret }  // SG.
        case 0x41:  // A: AKIA, ASIA, ABIA, ACCA, AIza
            if i + 3 < n {
                let (b1, c1, d) = (line[i + 1], line[i + 2], line[i + 3])
                if b1 == 0x49 && c1 == 0x7A && d == 0x61 { return .secret }
                if (b1 == 0x4B || b1 == 0x53 || b1 == 0x42) && c1 == 0x49 && d == 0x41 { return .secret }
                if b1 == 0x43 && c1 == 0x43 && d == 0x41 { return .secret }
            }
        case 0x4A:  // J of eyJ
            if i >= 2, i + 1 < n, line[i - 2] | 0x20 == 0x65, line[i - 1] | 0x20 == 0x79 { return .secret }
        case 0x78, 0x58:  // x: xox?-, xapp-
            if i + 3 < n {
                let (b, c, d) = (line[i + 1] | 0x20, line[i + 2] | 0x20, line[i + 3] | 0x20)
                if b == 0x6F && c == 0x78 { return .secret }
                if b == 0x61 && c == 0x70 && d == 0x70 { return .secret }
            }
        case 0x6B, 0x4B:  // k of hooks.slack
            if i >= 3, line[i - 3] | 0x20 == 0x68, line[i - 2] | 0x20 == 0x6F, line[i - 1] | 0x20 == 0x6F {
                return .secret
            }
        case 0x62, 0x42:  // bearer
            if i + 3 < n, line[i + 1] | 0x20 == 0x65, line[i + 2] | 0x20 == 0x61, line[i + 3] | 0x20 == 0x72 {
                return .secret
            }
        case 0x7A, 0x5A:  // z of authoriz…, with a key's `=` or `:` after it
            if i >= 7, matches(line, i - 7, "authoriz", caseless: true), keyed(line, i - 7, run: 16) {
                return .secret
            }
        default: break
        }
        return nil
    }

    /// Whether a key word (password, passwd, pwd, secret, token, key) ends just before the `=` or
    /// `:` at `at`, past up to three spaces, quotes or backslashes (`"password": `, `\"token\": `).
    @inline(__always) static func keyBefore(_ line: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
        var end = at - 1
        var gap = 0
        while end >= 0, gap < 4 {
            let byte = line[end]
            if byte == 0x20 || byte == 0x22 || byte == 0x27 || byte == 0x5C {
                end -= 1
                gap += 1
                continue
            }
            guard (byte | 0x20) &- 0x61 < 26 else { return false }
            return keyWord(line, endingAt: end)
        }
        return false
    }

    /// The key words, ending at `end` (a letter): pwd, secret, token, key exactly there; "pas…"
    /// (password, passwd, passphrase) within the last ten letters of the word.
    @inline(__always) static func keyWord(_ line: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> Bool {
        @inline(__always) func folded(_ index: Int) -> UInt8 { line[index] | 0x20 }
        let last = folded(end)
        if end >= 2, last == 0x64, folded(end - 1) == 0x77, folded(end - 2) == 0x70 { return true }  // pwd
        if end >= 2, last == 0x79, folded(end - 1) == 0x65, folded(end - 2) == 0x6B { return true }  // key
        if end >= 4, last == 0x6E, matches(line, end - 4, "token", caseless: true) { return true }
        if end >= 5, last == 0x74, matches(line, end - 5, "secret", caseless: true) { return true }
        // pas…: the word's letters from "pas" to the end number at most ten.
        var start = end
        while start > 0, end - start < 9, (line[start - 1] | 0x20) &- 0x61 < 26 { start -= 1 }
        var index = end - 2
        while index >= start {
            if folded(index) == 0x70, folded(index + 1) == 0x61, folded(index + 2) == 0x73 { return true }
            index -= 1
        }
        return false
    }

    /// `sk_`, `rk_` (Stripe) or `sk-` (OpenAI) with the `_` or `-` at `at`, at the start of a word.
    @inline(__always) static func stripeOrOpenAI(_ line: UnsafeBufferPointer<UInt8>, _ at: Int, dash: Bool) -> Bool {
        guard at >= 2, at + 2 < line.count, line[at - 1] | 0x20 == 0x6B else { return false }
        let first = line[at - 2]
        guard first == 0x73 || (!dash && first == 0x72) else { return false }
        return at < 3 || !continuesWord(line[at - 3])
    }

    /// Letters, digits, `_`: what continues a word.
    @inline(__always) static func continuesWord(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10 || byte == 0x5F
    }

    /// Whether `text` (ASCII; lower case when `caseless`) stands at `start`.
    @inline(__always) static func matches(
        _ line: UnsafeBufferPointer<UInt8>, _ start: Int, _ text: StaticString, caseless: Bool = false
    ) -> Bool {
        let count = text.utf8CodeUnitCount
        guard start + count <= line.count else { return false }
        let bytes = text.utf8Start
        for offset in 0..<count {
            let byte = caseless ? line[start + offset] | 0x20 : line[start + offset]
            if byte != bytes[offset] { return false }
        }
        return true
    }

    /// Whether a key ends at `end` (after at most `run` more letters) and a `=` or `:` follows
    /// within a few bytes, past a closing quote, escaped or not (`"password": `, `\"token\": `).
    @inline(__always) static func keyed(_ line: UnsafeBufferPointer<UInt8>, _ end: Int, run: Int = 0) -> Bool {
        var j = end
        while j < line.count, j < end + run, (line[j] | 0x20) &- 0x61 < 26 { j += 1 }
        // The key goes on ("token_count", "password.length"): it does not end with the word.
        if j < line.count, continuesWord(line[j]) || line[j] == 0x2D || line[j] == 0x2E { return false }
        var gap = 0
        while j < line.count, gap < 4 {
            if line[j] == 0x3D || line[j] == 0x3A { return true }
            if line[j] != 0x20 && line[j] != 0x22 && line[j] != 0x27 && line[j] != 0x5C { return false }
            j += 1
            gap += 1
        }
        return false
    }

    /// A `level=` or `msg=` key (logfmt's own) and at least three `key=value` pairs, or both keys.
    static func looksLogfmt(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var pairs = 0
        // The keys logfmt names its level and message with: one of them and three pairs, or both.
        var level = false
        var message = false
        let n = line.count
        guard n > 1, let base = line.baseAddress else { return false }
        var i = 1
        while i < n {
            // memchr jumps to the next "=" (most lines have none).
            guard let found = memchr(base + i, 0x3D, n - i) else { return false }
            i = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
            if line[i - 1] != 0x20 {
                pairs += 1
                if !(level && message) {
                    // The key is the run of letters before "=", preceded by a space or the line start.
                    var k = i
                    while k > 0, (line[k - 1] | 0x20) &- 0x61 < 26 { k -= 1 }
                    if k == 0 || line[k - 1] == 0x20 {
                        let length = i - k
                        // msg
                        if length == 3, line[k] == 0x6D, line[k + 1] == 0x73, line[k + 2] == 0x67 { message = true }
                        if length == 5, line[k] == 0x6C, line[k + 1] == 0x65, line[k + 2] == 0x76, line[k + 3] == 0x65,
                            line[k + 4] == 0x6C
                        {
                            level = true  // level
                        }
                    }
                }
                if (level || message) && pairs >= 3 || (level && message) { return true }
            }
            i += 1
        }
        return false
    }
}

/// Segments of a stream analysed on worker threads: each worker has one engine for the
/// segments it is given, told where each starts (`beginSegment`); `finish` merges the engines.
/// Segment `k` goes to worker `k % workers`, whichever is free first: which lines an engine
/// sees decides some templates, and the same input must give the same analysis every time.
/// One segment waits per worker at most, so memory stays bounded; `submit` blocks until there
/// is room.
final class SegmentPipeline: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [[(index: Int, firstLine: Int, bytes: [UInt8])]]
    private var closed = false
    private var submitted = 0
    private var running: Int
    private var engines: [AnalysisEngine] = []
    /// Buffers a worker is done with, emptied, for the next segments: the same few are reused
    /// instead of a new one per segment (freed large blocks stay in the allocator's arenas).
    private var spare: [[UInt8]] = []

    init(workers: Int, makeEngine: @escaping () -> AnalysisEngine) {
        running = workers
        waiting = Array(repeating: [], count: workers)
        for worker in 0..<workers {
            let engine = makeEngine()
            engines.append(engine)
            nonisolated(unsafe) let owned = engine
            let thread = Thread { [self] in work(worker, owned) }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// An empty buffer of at least `capacity` bytes, reused when one is spare.
    func buffer(capacity: Int) -> [UInt8] {
        var buffer = condition.withLock { spare.popLast() } ?? []
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// Hands a segment (whole lines, each ending with a line feed; `firstLine` lines come before
    /// it in the stream) to its worker.
    func submit(_ bytes: [UInt8], firstLine: Int) {
        condition.lock()
        defer { condition.unlock() }
        let worker = submitted % waiting.count
        while !waiting[worker].isEmpty { condition.wait() }
        waiting[worker].append((submitted, firstLine, bytes))
        submitted += 1
        condition.broadcast()
    }

    /// Waits for every segment to be analysed; the engines merged, or nil if no segment was given.
    func finish() -> AnalysisEngine? {
        condition.lock()
        closed = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
        // Worker 0 read the stream's first segment: its engine leads (its layout, its first lines).
        var used = engines.filter { !$0.segments.isEmpty }
        // Nothing but the merged engine outlives this: the others (each as soon as it is merged)
        // and the buffers go now, before the analysis is summed up.
        engines = []
        spare = []
        guard !used.isEmpty else { return nil }
        let merged = used.removeFirst()
        while !used.isEmpty { merged.merge(segmentsOf: used.removeFirst()) }
        return merged
    }

    private func work(_ worker: Int, _ engine: AnalysisEngine) {
        while true {
            condition.lock()
            while waiting[worker].isEmpty && !closed { condition.wait() }
            guard !waiting[worker].isEmpty else {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            var (index, firstLine, bytes) = waiting[worker].removeFirst()
            condition.broadcast()
            condition.unlock()

            engine.beginSegment(index: index, firstLine: firstLine)
            bytes.withUnsafeBufferPointer { buffer in
                var start = 0
                while start < buffer.count {
                    let newline = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start)
                    let end = newline.map { UnsafeRawPointer(buffer.baseAddress!).distance(to: UnsafeRawPointer($0)) } ?? buffer.count
                    engine.consume(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                    start = end + 1
                }
            }
            bytes.removeAll(keepingCapacity: true)
            condition.withLock { spare.append(bytes) }
        }
    }
}

/// The first error thrown by a worker thread.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    func set(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
    var error: (any Error)? { lock.withLock { stored } }
}
