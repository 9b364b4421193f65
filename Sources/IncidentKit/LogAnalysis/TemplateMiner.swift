import Foundation

/// Masks variable parts of a message and groups messages into templates in the manner of Drain:
/// a tree by token count and first token, then the most similar template at the leaf, merged
/// position by position into `<*>`. One configuration for every input.
///
/// Whether a word position is variable is decided at the end, from how many distinct words it
/// took and how often each occurred (the signal the Brain parser uses): until then, messages
/// that differ in such a word are kept apart as variants of one group (`Failed password` and
/// `Failed none`), and a position whose words prove variable joins them (`tag="View Lock"`).
///
/// Hot path: a message whose masked token sequence was seen before is matched by its hash alone.
struct TemplateMiner {
    static let wildcard = "<*>"
    static let wildcardBytes = Array(wildcard.utf8)
    /// Drain's similarity threshold: the share of a template's fixed tokens a message must match.
    static let threshold = 0.6
    /// A position that took this many distinct words is variable whatever their counts: it is
    /// closed as soon as they are seen, so a group keeps few variants.
    static let manyWords = 5

    /// A Drain cluster: the template, with `<*>` wherever messages differed.
    struct Group {
        var tokens: [String] {
            didSet { variable = tokens.map { $0.asciiFastContains(TemplateMiner.wildcard) } }
        }
        /// Which positions hold a variable (kept beside the tokens: the similarity loop is hot).
        var variable: [Bool]
        /// Positions where messages differed in words only, with the words seen there: each
        /// combination of words is a variant until `settle` decides.
        var open: [Int: Set<String>] = [:]
        /// The group's variants by their words at the open positions (most groups have none
        /// open and one variant, kept without a dictionary).
        var variants: [[Int: String]: Int] = [:]
        var plain: Int?

        func variant(_ words: [Int: String]) -> Int? { words.isEmpty ? plain : variants[words] }

        mutating func setVariant(_ words: [Int: String], _ index: Int) {
            if words.isEmpty { plain = index } else { variants[words] = index }
        }

        var allVariants: [Int] { ((plain.map { [$0] } ?? []) + variants.values).sorted() }
        /// Whether an open position was decided variable (set by `settle`).
        var decidedVariable: Set<Int> = []
        /// Positions where messages differed in a variable: variable for good.
        var generalized: Set<Int> = []

        init(tokens: [String]) {
            self.tokens = tokens
            variable = tokens.map { $0.asciiFastContains(TemplateMiner.wildcard) }
        }
    }

    /// A variant: one group and one word at each of its open positions. Lines are counted by variant.
    struct Cluster {
        var group: Int
        var words: [Int: String]
        /// The variant this one was merged into when a position proved variable (itself if none).
        var parent: Int
    }

    private(set) var groups: [Group] = []
    private(set) var clusters: [Cluster] = []
    private var tree: [Int: [String: [Int]]] = [:]
    private var bySignature: [UInt64: Int] = [:]

    // MARK: - Masking (bytes)

    typealias Bytes = UnsafeBufferPointer<UInt8>

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Bytes that split a token into segments, each masked on its own (`rhost=10.0.0.1` → `rhost=<*>`).
    @inline(__always) static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        // = : , ( ) [ ] { } " ' ; |
        case 0x3D, 0x3A, 0x2C, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x22, 0x27, 0x3B, 0x7C: return true
        default: return false
        }
    }

    /// Whether a segment is a variable: it holds a digit, is a long hex run, or is a path or URL.
    @inline(__always) static func isVariable(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var hex = 0
        var slashes = 0
        var digits = 0
        var firstDigit = -1
        for index in start..<end {
            let byte = line[index]
            if byte &- 0x30 < 10 {
                digits += 1
                if firstDigit < 0 { firstDigit = index }
            }
            if (byte | 0x20) &- 0x61 < 6 { hex += 1 }
            if byte == 0x2F { slashes += 1 }
        }
        let length = end - start
        if digits > 0 {
            // A word with one trailing digit names a thing (SOCKS5, HTTP2, IPv4, utf8), not a value.
            return !(digits == 1 && firstDigit == end - 1 && length >= 4 && isLetters(line, start, end - 1))
        }
        if length >= 8 && hex == length { return true }
        return slashes >= 2 && line[start] == 0x2F
    }

    @inline(__always) static func isLetters(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        for index in start..<end where (line[index] | 0x20) &- 0x61 >= 26 { return false }
        return true
    }

    /// Units that belong to the number before them: `7.51 s`, `<1 sec`, `12 ms`, `(18.4 KB)`.
    static let unitWords = [
        "s", "sec", "secs", "second", "seconds", "ms", "msec", "us", "ns", "min", "mins", "minute", "minutes", "h",
        "hr", "hrs", "hour", "hours", "day", "days", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "b", "%",
    ]

    @inline(__always) static func isUnit(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var stop = end
        while stop > start,
            line[stop - 1] == 0x29 || line[stop - 1] == 0x2C || line[stop - 1] == 0x2E || line[stop - 1] == 0x3B
        { stop -= 1 }
        guard stop > start, stop - start <= 7 else { return false }
        var key: UInt64 = 0
        for index in start..<stop {
            let byte = line[index]
            key = key << 8 | UInt64((byte &- 0x41 < 26) ? byte | 0x20 : byte)
        }
        return isUnitKey(key)
    }

    /// Whether `key` is one of `unitWords`, its lower-case bytes packed into a UInt64 (a switch on
    /// constants: no hashing and no table, as this is asked of every word after a number;
    /// `PackedKeyTests` checks the constants against the words).
    @inline(__always) static func isUnitKey(_ key: UInt64) -> Bool {
        switch key {
        case 0x73: true  // "s"
        case 0x736563: true  // "sec"
        case 0x73656373: true  // "secs"
        case 0x7365636F6E64: true  // "second"
        case 0x7365636F6E6473: true  // "seconds"
        case 0x6D73: true  // "ms"
        case 0x6D736563: true  // "msec"
        case 0x7573: true  // "us"
        case 0x6E73: true  // "ns"
        case 0x6D696E: true  // "min"
        case 0x6D696E73: true  // "mins"
        case 0x6D696E757465: true  // "minute"
        case 0x6D696E75746573: true  // "minutes"
        case 0x68: true  // "h"
        case 0x6872: true  // "hr"
        case 0x687273: true  // "hrs"
        case 0x686F7572: true  // "hour"
        case 0x686F757273: true  // "hours"
        case 0x646179: true  // "day"
        case 0x64617973: true  // "days"
        case 0x6B62: true  // "kb"
        case 0x6D62: true  // "mb"
        case 0x6762: true  // "gb"
        case 0x7462: true  // "tb"
        case 0x6B6962: true  // "kib"
        case 0x6D6962: true  // "mib"
        case 0x676962: true  // "gib"
        case 0x62: true  // "b"
        case 0x25: true  // "%"
        default: false
        }
    }

    /// The tokens of a message after masking: a token is literal text with `<*>` for variable segments.
    /// `host:port`, a parenthesised number and a unit after a number are one variable.
    /// A token the masking reads as a whole before looking inside it.
    enum SpecialToken {
        /// One variable from the token's start to `stop` (which may pass the token's end: a date).
        case variable(stop: Int)
        /// A unit after a variable (`7.51 s`): it belongs to the number and is left out.
        case unit
    }

    /// "(18.4 KB)", "[09/Sep/2025:02:25:11 +0000]", a date in the message, or a unit after a
    /// variable: what `forEachToken` and `signature` both read before a token's segments.
    @inline(__always) static func special(
        _ line: Bytes, _ index: Int, _ tokenEnd: Int, _ end: Int, previousVariable: Bool
    ) -> SpecialToken? {
        if line[index] == 0x28, index + 1 < end, line[index + 1] &- 0x30 < 10 {
            // "(18.4 KB)": a quantity in brackets, a number and at most a unit.
            var numberEnd = index + 1
            while numberEnd < end, !isSpace(line[numberEnd]), line[numberEnd] != 0x29 { numberEnd += 1 }
            var close = numberEnd
            if close < end, isSpace(line[close]) {
                var unitEnd = close + 1
                while unitEnd < end, !isSpace(line[unitEnd]), line[unitEnd] != 0x29 { unitEnd += 1 }
                close = unitEnd < end && line[unitEnd] == 0x29 && isUnit(line, close + 1, unitEnd) ? unitEnd : -1
            }
            if close > 0, close < end, line[close] == 0x29 {
                var stop = close + 1
                while stop < end, !isSpace(line[stop]) { stop += 1 }
                return .variable(stop: stop)
            }
        }
        if line[index] == 0x5B, index + 1 < end,
            let (_, stop) = HeaderParser.timestamp(line, index + 1, year: 2000),
            stop < end, line[stop] == 0x5D
        {
            return .variable(stop: stop + 1)  // "[09/Sep/2025:02:25:11 +0000]"
        }
        // A date inside the message ("at Fri Jun 17 07:07:00 2005") is one variable.
        if tokenEnd - index == 3, (line[index] | 0x20) &- 0x61 < 26,
            HeaderParser.month(line, index) != nil || isWeekday(line, index),
            let (_, stop) = HeaderParser.timestamp(line, index, year: 2000), stop <= end
        {
            return .variable(stop: stop)
        }
        if previousVariable && isUnit(line, index, tokenEnd) { return .unit }
        return nil
    }

    /// The next token at or after `index` (spaces passed over, `index` moved to its start): where
    /// it ends, or nil at the end of the message.
    @inline(__always) static func nextToken(_ line: Bytes, _ index: inout Int, _ end: Int) -> Int? {
        while index < end, isSpace(line[index]) { index += 1 }
        guard index < end else { return nil }
        return spaceOrEnd(line, from: index, end)
    }

    /// The first space or tab in `line[from..<end]`, or `end`: eight bytes at a time (a loop per
    /// byte paid a mispredicted exit at every token's end, a tenth of a large analysis).
    @inline(__always) static func spaceOrEnd(_ line: Bytes, from start: Int, _ end: Int) -> Int {
        var position = start
        if let base = line.baseAddress {
            while position + 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let spaces = zeroBytes(word ^ 0x2020_2020_2020_2020) | zeroBytes(word ^ 0x0909_0909_0909_0909)
                if spaces != 0 { return position + spaces.trailingZeroBitCount / 8 }
                position += 8
            }
        }
        while position < end, !isSpace(line[position]) { position += 1 }
        return position
    }

    /// The high bit of each zero byte of `word` set (and perhaps of bytes above the first zero
    /// byte, by the borrow: only the lowest set bit is to be read).
    @inline(__always) static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// Walks the tokens of `line[start..<end]`: `variable` gets a special token read as one
    /// variable (its range, which may pass the token's end: a date), `plain` every other token,
    /// and says whether it was a variable (a unit after one belongs to it and is passed over).
    /// `forEachToken` and `signature` both read a message through this.
    @inline(__always) static func walkTokens(
        _ line: Bytes, _ start: Int, _ end: Int, variable: (_ start: Int, _ stop: Int) -> Void,
        plain: (_ start: Int, _ end: Int) -> Bool
    ) {
        var index = start
        var previousVariable = false
        while let tokenEnd = nextToken(line, &index, end) {
            switch special(line, index, tokenEnd, end, previousVariable: previousVariable) {
            case .variable(let stop):
                variable(index, stop)
                previousVariable = true
                index = stop
            case .unit:
                index = tokenEnd
            case nil:
                previousVariable = plain(index, tokenEnd)
                index = tokenEnd
            }
        }
    }

    /// Calls `body` with each token of `line[start..<end]`: its range, and whether it is one
    /// variable as a whole (a host:port, a path or URL, hex groups, or a special token).
    static func forEachToken(
        _ line: Bytes, _ start: Int, _ end: Int, _ body: (_ start: Int, _ end: Int, _ whole: Bool) -> Void
    ) {
        walkTokens(line, start, end) { start, stop in
            body(start, stop, true)
        } plain: { start, end in
            let whole = isHostPort(line, start, end) || isPathOrURL(line, start, end) || isHexGroups(line, start, end)
            body(start, end, whole)
            return whole || isVariable(line, start, end)
        }
    }

    /// mon … sun, any case (a switch on the three bytes: this runs on every three-letter word).
    @inline(__always) static func isWeekday(_ line: Bytes, _ at: Int) -> Bool {
        switch (line[at] | 0x20, line[at + 1] | 0x20, line[at + 2] | 0x20) {
        case (0x6D, 0x6F, 0x6E), (0x74, 0x75, 0x65), (0x77, 0x65, 0x64), (0x74, 0x68, 0x75), (0x66, 0x72, 0x69),
            (0x73, 0x61, 0x74), (0x73, 0x75, 0x6E):
            return true
        default: return false
        }
    }

    /// `name:1234` or `10.0.0.1:5432` (an address with a numeric port), trailing punctuation allowed.
    @inline(__always) static func isHostPort(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var stop = end
        while stop > start,
            line[stop - 1] == 0x2C || line[stop - 1] == 0x2E || line[stop - 1] == 0x29 || line[stop - 1] == 0x3A
        {
            stop -= 1
        }
        var colon = stop - 1
        while colon > start, line[colon] &- 0x30 < 10 { colon -= 1 }
        guard colon > start, colon < stop - 1 else { return false }
        // A sign does not change a number's shape: `offset:-1` is `offset:180`'s kind.
        if line[colon] == 0x2D, colon - 1 > start { colon -= 1 }
        guard line[colon] == 0x3A else { return false }
        var dots = 0
        for index in start..<colon {
            let byte = line[index]
            if byte == 0x2E {
                dots += 1
            } else if !(byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 26 || byte == 0x2D || byte == 0x5F || byte == 0x2F
                || byte == 0x24)
            {
                return false
            }
        }
        return dots >= 1 || line[start] == 0x2F
    }

    /// Four or more pairs of hex digits joined by `:` or `-` (a MAC or EUI address,
    /// `FF:F2:9F:AB:E2:CD`): one variable even where no pair holds a digit.
    @inline(__always) static func isHexGroups(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var groups = 1
        var run = 0
        var separator: UInt8 = 0
        var stop = end
        while stop > start, line[stop - 1] == 0x2C || line[stop - 1] == 0x2E || line[stop - 1] == 0x29 { stop -= 1 }
        for index in start..<stop {
            let byte = line[index]
            if byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 6 {
                run += 1
                if run > 2 { return false }
            } else if (byte == 0x3A || byte == 0x2D) && run > 0 && (separator == 0 || separator == byte) {
                separator = byte
                groups += 1
                run = 0
            } else {
                return false
            }
        }
        return groups >= 4 && run > 0
    }

    /// A path (`/v2/servers/detail?all=True&since=2017-05-16`, or one segment such as `/var`) or a URL
    /// (`hdfs://host/x`): one variable, whatever its query or port holds.
    @inline(__always) static func isPathOrURL(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var first = start
        if first < end, line[first] == 0x22 || line[first] == 0x27 || line[first] == 0x28 { first += 1 }
        guard first + 2 < end else { return false }
        // "/var" is as much a path as "/var/log": a lone absolute segment counts too (guarded above:
        // at least two characters after the slash).
        if line[first] == 0x2F { return true }
        // A token holds no space: look for "://" after a scheme.
        var index = first + 1
        while index + 2 < end {
            if line[index] == 0x3A, line[index + 1] == 0x2F, line[index + 2] == 0x2F { return true }
            index += 1
        }
        return false
    }

    /// FNV-1a step.
    @inline(__always) static func mix(_ hash: inout UInt64, _ byte: UInt8) {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
    }

    /// Mixes the bytes of `line[start..<end]` into `hash` eight at a time, with each group's
    /// length: a literal segment costs one multiply per eight bytes, not one per byte (hashing
    /// byte by byte, each step waiting for the last, was most of `signature`'s time). Near the
    /// end of the buffer the group is gathered byte by byte: the same value, no read past it.
    @inline(__always) static func mixLiteral(_ line: Bytes, _ start: Int, _ end: Int, _ hash: inout UInt64) {
        guard end > start, let base = line.baseAddress else { return }
        var index = start
        while index < end {
            let count = min(8, end - index)
            var word: UInt64 = 0
            if index + 8 <= line.count {
                word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                if count < 8 { word &= (1 << (UInt64(count) &* 8)) &- 1 }
            } else {
                for offset in 0..<count { word |= UInt64(base[index + offset]) << (UInt64(offset) &* 8) }
            }
            hash = ((hash ^ word) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(count)
            hash ^= hash >> 29
            index += count
        }
    }

    /// What the one-pass signature counts of a byte, one 16-bit lane each (digit, hex letter, slash,
    /// letter), so that counting a byte is one addition; a delimiter is marked by `delimiterMark`
    /// instead and counted in no lane. Lanes are summed over at most `laneRun` bytes at a time.
    static let byteLanes: [UInt64] = (0..<256).map { value in
        let byte = UInt8(value)
        if isDelimiter(byte) { return delimiterMark }
        var lanes: UInt64 = 0
        if byte &- 0x30 < 10 { lanes |= 1 }
        if (byte | 0x20) &- 0x61 < 6 { lanes |= 1 << 16 }
        if byte == 0x2F { lanes |= 1 << 32 }
        if (byte | 0x20) &- 0x61 < 26 { lanes |= 1 << 48 }
        return lanes
    }
    static let delimiterMark: UInt64 = 1 << 15
    /// Bytes summed into the lanes before they are read out: no lane reaches `delimiterMark`.
    static let laneRun = 16_384

    /// What `isVariable` counts over a run of bytes, gathered in the same pass that finds the
    /// delimiters.
    struct RunCounts {
        var digits = 0
        var hex = 0
        var slashes = 0
        var letters = 0

        /// Adds the lanes summed over a run of bytes.
        @inline(__always) mutating func add(lanes: UInt64) {
            digits += Int(lanes & 0xFFFF)
            hex += Int((lanes >> 16) & 0xFFFF)
            slashes += Int((lanes >> 32) & 0xFFFF)
            letters += Int(lanes >> 48)
        }

        @inline(__always) mutating func merge(_ other: RunCounts) {
            digits += other.digits
            hex += other.hex
            slashes += other.slashes
            letters += other.letters
        }

        /// `isVariable` of `line[start..<end]`, from its counts.
        @inline(__always) func variable(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
            let length = end - start
            if digits > 0 {
                // A word with one trailing digit names a thing (SOCKS5, HTTP2, IPv4, utf8), not a
                // value: one digit, and the last byte is a digit, so it is that one.
                return !(digits == 1 && line[end - 1] &- 0x30 < 10 && length >= 4 && letters == length - 1)
            }
            if length >= 8 && hex == length { return true }
            return slashes >= 2 && line[start] == 0x2F
        }
    }

    /// The hash of the masked token sequence of `line[start..<end]`, and its token count: the
    /// tokens `forEachToken` gives, each segment hashed as its bytes or as one variable mark.
    /// One pass over a token finds its delimiters and counts what `isVariable` needs for each
    /// segment and for the whole token (this runs on every line; `maskedTokens` is the slow path
    /// that makes the strings, and the two must agree).
    static func signature(_ line: Bytes, _ start: Int, _ end: Int, seed: UInt64) -> (UInt64, Int) {
        byteLanes.withUnsafeBufferPointer { table in
            var hash = seed
            var count = 0
            walkTokens(line, start, end) { _, _ in
                count += 1
                mix(&hash, 0x20)
                mix(&hash, 0x01)
            } plain: { index, tokenEnd in
                count += 1
                mix(&hash, 0x20)
                let atToken = hash
                // isPathOrURL: a leading quote or bracket is passed over; a scheme's "://" may
                // stand anywhere after the first byte.
                var first = index
                if line[first] == 0x22 || line[first] == 0x27 || line[first] == 0x28 { first += 1 }
                var scheme = false
                var colon = false
                var whole = RunCounts()
                var segment = RunCounts()
                var segmentStart = index
                var offset = index
                while offset < tokenEnd {
                    let stop = min(tokenEnd, offset + laneRun)
                    var lanes: UInt64 = 0
                    while offset < stop {
                        let byte = line[offset]
                        let value = table[Int(byte)]
                        offset += 1
                        if value != delimiterMark {
                            lanes &+= value
                            continue
                        }
                        let at = offset - 1
                        if byte == 0x3A {
                            colon = true
                            if at > first, at + 2 < tokenEnd, line[at + 1] == 0x2F, line[at + 2] == 0x2F { scheme = true }
                        }
                        segment.add(lanes: lanes)
                        lanes = 0
                        hashSegment(line, segmentStart, at, segment, &hash)
                        mix(&hash, byte)
                        whole.merge(segment)
                        segment = RunCounts()
                        segmentStart = offset
                    }
                    segment.add(lanes: lanes)
                }
                hashSegment(line, segmentStart, tokenEnd, segment, &hash)
                whole.merge(segment)
                let pathOrURL = first + 2 < tokenEnd && (line[first] == 0x2F || scheme)
                // What the counts already rule out is not looked for: a host:port has a colon and
                // a digit, hex groups no letter past f.
                let hostPort = colon && whole.digits > 0 && isHostPort(line, index, tokenEnd)
                if pathOrURL || hostPort || (whole.letters == whole.hex && isHexGroups(line, index, tokenEnd)) {
                    hash = atToken
                    mix(&hash, 0x01)
                    return true
                }
                return whole.variable(line, index, tokenEnd)
            }
            return (hash, count)
        }
    }

    @inline(__always) private static func hashSegment(
        _ line: Bytes, _ start: Int, _ end: Int, _ counts: RunCounts, _ hash: inout UInt64
    ) {
        guard end > start else { return }
        if counts.variable(line, start, end) {
            mix(&hash, 0x01)
        } else {
            mixLiteral(line, start, end, &hash)
        }
    }

    /// The masked tokens of a message, as strings (slow path only).
    static func maskedTokens(_ line: Bytes, _ start: Int, _ end: Int) -> [String] {
        var tokens: [String] = []
        forEachToken(line, start, end) { tokenStart, tokenEnd, whole in
            if whole {
                tokens.append(wildcard)
                return
            }
            var token: [UInt8] = []
            token.reserveCapacity(tokenEnd - tokenStart + 3)
            var segment = tokenStart
            func flush(_ upTo: Int) {
                guard upTo > segment else { return }
                if isVariable(line, segment, upTo) {
                    token += wildcardBytes
                } else {
                    token += line[segment..<upTo]
                }
            }
            for index in tokenStart..<tokenEnd where isDelimiter(line[index]) {
                flush(index)
                token.append(line[index])
                segment = index + 1
            }
            flush(tokenEnd)
            tokens.append(String(decoding: token, as: UTF8.self))
        }
        return tokens
    }

    // MARK: - Grouping

    /// The variant a message already seen in this masked shape went to, if any.
    func cluster(forSignature signature: UInt64) -> Int? { bySignature[signature].map(root) }

    func root(_ index: Int) -> Int {
        var index = index
        while clusters[index].parent != index { index = clusters[index].parent }
        return index
    }

    /// Whether a token is only literal text: no variable in it.
    static func isLiteral(_ token: String) -> Bool { !token.contains(wildcard) }

    /// The literal segments of a token and the delimiters between them (`user=<*>,` gives
    /// `user`, `<*>`, `` and `=`, `,`).
    static func segments(_ token: String) -> ([Substring], [Character]) {
        var parts: [Substring] = []
        var delimiters: [Character] = []
        var start = token.startIndex
        for index in token.indices where "=:,()[]{}\"';|".contains(token[index]) {
            parts.append(token[start..<index])
            delimiters.append(token[index])
            start = token.index(after: index)
        }
        parts.append(token[start...])
        return (parts, delimiters)
    }

    /// Whether two differing tokens differ in a word rather than only in a variable:
    /// `(uid=<*>)` and `LOGIN(uid=<*>)` do, `user=<*>` and `user=root` do not.
    static func differInWords(_ a: String, _ b: String) -> Bool {
        if isLiteral(a) && isLiteral(b) { return a != b }
        let (partsA, delimitersA) = segments(a)
        let (partsB, delimitersB) = segments(b)
        guard delimitersA == delimitersB else { return false }
        return partsA.indices.contains { index in
            partsA[index] != partsB[index] && isLiteral(String(partsA[index])) && isLiteral(String(partsB[index]))
        }
    }

    /// Files a new masked shape under the most similar group (or a new one) and returns its variant.
    mutating func add(signature: UInt64, tokens: [String]) -> Int {
        let length = tokens.count
        let first = tokens.first.map { $0.utf8.contains(0x3C) && $0.asciiFastContains(Self.wildcard) ? Self.wildcard : $0 } ?? ""
        var best: Int?
        var bestScore = -1.0
        var bestParams = -1
        for candidate in tree[length]?[first] ?? [] {
            let (score, params) = similarity(groups[candidate], tokens)
            if score > bestScore || (score == bestScore && params > bestParams) {
                best = candidate
                bestScore = score
                bestParams = params
            }
        }
        let group: Int
        if let best, bestScore >= Self.threshold {
            group = best
            merge(tokens, into: best)
        } else {
            group = groups.count
            groups.append(Group(tokens: tokens))
            tree[length, default: [:]][first, default: []].append(group)
        }
        var words: [Int: String] = [:]
        for position in groups[group].open.keys { words[position] = tokens[position] }
        let index: Int
        if let known = groups[group].variant(words) {
            index = known
        } else {
            index = clusters.count
            clusters.append(Cluster(group: group, words: words, parent: index))
            groups[group].setVariant(words, index)
        }
        bySignature[signature] = index
        return index
    }

    /// Generalises a group's template with a message: a position where both hold words only
    /// opens (its words tell variants apart); one where either holds a variable is variable.
    private mutating func merge(_ tokens: [String], into index: Int) {
        var template = groups[index].tokens
        var opened: [Int: String] = [:]
        var closed: [Int] = []
        for position in template.indices {
            let open = groups[index].open[position]
            if let open {
                let word = tokens[position]
                if open.contains(word) { continue }
                if open.count + 1 >= Self.manyWords || !open.allSatisfy({ Self.differInWords($0, word) }) {
                    closed.append(position)
                    groups[index].generalized.insert(position)
                    template[position] = Self.generalize(template[position], word)
                } else {
                    groups[index].open[position]!.insert(word)
                }
            } else if template[position] != tokens[position] {
                if !groups[index].generalized.contains(position)
                    && Self.differInWords(template[position], tokens[position])
                {
                    opened[position] = template[position]
                    groups[index].open[position] = [template[position], tokens[position]]
                } else {
                    groups[index].generalized.insert(position)
                }
                template[position] = Self.generalize(template[position], tokens[position])
            }
        }
        groups[index].tokens = template
        guard !opened.isEmpty || !closed.isEmpty else { return }
        for position in closed { groups[index].open[position] = nil }
        // Every variant so far held the template's word at a newly opened position; a closed
        // position no longer tells variants apart, so those that then agree become one.
        let variants = groups[index].allVariants
        groups[index].variants = [:]
        groups[index].plain = nil
        for variant in variants {
            for (position, word) in opened { clusters[variant].words[position] = word }
            for position in closed { clusters[variant].words[position] = nil }
            if let earlier = groups[index].variant(clusters[variant].words) {
                clusters[variant].parent = earlier
            } else {
                groups[index].setVariant(clusters[variant].words, variant)
            }
        }
    }

    /// Drain's similarity: matching fixed tokens over length; tokens holding a variable count as
    /// parameters (for ties), not as evidence that two messages are the same event.
    private func similarity(_ group: Group, _ tokens: [String]) -> (Double, Int) {
        let template = group.tokens
        guard !template.isEmpty else { return (1, 0) }
        var same = 0
        var params = 0
        for index in template.indices {
            if group.variable[index] {
                params += 1
            } else if template[index] == tokens[index] {
                same += 1
            }
        }
        return (Double(same) / Double(template.count), params)
    }

    /// Two differing tokens with the same delimiter shape keep their fixed segments
    /// (`user=root` and `user=admin` give `user=<*>`); otherwise the token becomes `<*>`.
    static func generalize(_ a: String, _ b: String) -> String {
        let (partsA, delimitersA) = segments(a)
        let (partsB, delimitersB) = segments(b)
        guard !delimitersA.isEmpty, delimitersA == delimitersB else { return wildcard }
        var out = ""
        for index in partsA.indices {
            out += partsA[index] == partsB[index] ? String(partsA[index]) : wildcard
            if index < delimitersA.count { out.append(delimitersA[index]) }
        }
        return out
    }

    /// Whether an open position is variable, from the lines that took each word there: many
    /// distinct words, or several of which none dominates, are values; a few words one of which
    /// dominates, or two, are different events (`Failed password` / `Failed none`, start / end).
    static func isVariable(counts: [Int]) -> Bool {
        let sorted = counts.sorted(by: >)
        let total = sorted.reduce(0, +)
        guard sorted.count >= 3, total > 0 else { return false }
        if sorted.count >= manyWords { return true }
        return Double(sorted[0]) < 0.9 * Double(total)
    }

    /// Decides each open position from the lines counted per variant (`counts[variant]`) and
    /// returns, for every variant, the variant that stands for its event: variants that differ
    /// only at variable positions are one event, and so are templates with the same fixed tokens.
    mutating func settle(counts: [Int]) -> [Int] {
        var total = [Int](repeating: 0, count: clusters.count)
        for index in clusters.indices where index < counts.count { total[root(index)] += counts[index] }
        var representative = Array(clusters.indices)
        for index in groups.indices {
            let variants = groups[index].allVariants
            var decided: Set<Int> = []
            for position in groups[index].open.keys {
                var byWord: [String: Int] = [:]
                for variant in variants {
                    byWord[clusters[variant].words[position] ?? "", default: 0] += total[variant]
                }
                if Self.isVariable(counts: Array(byWord.values)) { decided.insert(position) }
            }
            groups[index].decidedVariable = decided
            var events: [[Int: String]: Int] = [:]
            for variant in variants {
                let key = clusters[variant].words.filter { !decided.contains($0.key) }
                if let event = events[key] {
                    representative[variant] = event
                    total[event] += total[variant]
                } else {
                    events[key] = variant
                }
            }
        }
        for index in clusters.indices { representative[index] = representative[root(index)] }
        // Templates with the same fixed tokens are one event whose variable parts differ in
        // length (`lifetime <*>` for `00:01` and `<1 sec`); the most frequent one's stands.
        var byKey: [String: [Int]] = [:]
        for index in clusters.indices where representative[index] == index {
            let key = constantKey(index)
            byKey[key.isEmpty ? "#\(index)" : key, default: []].append(index)
        }
        for members in byKey.values where members.count > 1 {
            let best = members.max { a, b in (total[a], template(b)) < (total[b], template(a)) }!
            for index in clusters.indices where members.contains(representative[index]) {
                representative[index] = best
            }
        }
        return representative
    }

    /// A variant's tokens: the group's template with the variant's word at each open position
    /// not decided variable.
    func tokens(_ index: Int) -> [String] {
        let cluster = clusters[root(index)]
        let group = groups[cluster.group]
        var tokens = group.tokens
        for (position, word) in cluster.words where !group.decidedVariable.contains(position) {
            tokens[position] = word
        }
        return tokens
    }

    func template(_ index: Int) -> String { tokens(index).joined(separator: " ") }

    /// The fixed tokens of a template, in order: clusters that share them are one event whose
    /// variable parts differ in length (`lifetime <*>` for `00:01` and `<1 sec`).
    /// The token without its `<*>`s; ASCII tokens byte by byte, others through Foundation as before.
    static func removingWildcards(_ token: String) -> String {
        let utf8 = token.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return token.replacingOccurrences(of: wildcard, with: "") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = Array(utf8)[...]
        while let first = iterator.first {
            if first == UInt8(ascii: "<"), iterator.starts(with: "<*>".utf8) {
                iterator = iterator.dropFirst(3)
            } else {
                bytes.append(first)
                iterator = iterator.dropFirst()
            }
        }
        return bytes.count == utf8.count ? token : String(decoding: bytes, as: UTF8.self)
    }

    /// The tokens without their `<*>`s that hold a letter, joined: settle asks it of every
    /// cluster, so an ASCII token's letters are looked for byte by byte (`Character.isLetter`
    /// only for others).
    func constantKey(_ index: Int) -> String { Self.constantKey(of: tokens(index)) }

    static func constantKey(of tokens: [String]) -> String {
        var key: [UInt8] = []
        for token in tokens {
            let fixed = removingWildcards(token)
            let utf8 = fixed.utf8
            let letter =
                utf8.allSatisfy { $0 < 0x80 } ? utf8.contains { ($0 | 0x20) &- 0x61 < 26 } : fixed.contains(where: \.isLetter)
            guard letter else { continue }
            if !key.isEmpty { key.append(0x20) }
            key += utf8
        }
        return String(decoding: key, as: UTF8.self)
    }
}
