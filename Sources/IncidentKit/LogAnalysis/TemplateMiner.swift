import Foundation

/// Masks variable parts of a message and groups messages into templates in the manner of Drain:
/// a tree by token count and first token, then the most similar template at the leaf, merged
/// position by position into `<*>`. One configuration for every input.
///
/// Hot path: a message whose masked token sequence was seen before is matched by its hash alone.
struct TemplateMiner {
    static let wildcard = "<*>"
    /// Drain's similarity threshold: the share of a template's fixed tokens a message must match.
    static let threshold = 0.6

    struct Cluster {
        var tokens: [String] {
            didSet { variable = tokens.map { $0.contains(TemplateMiner.wildcard) } }
        }
        /// Which positions hold a variable (kept beside the tokens: the similarity loop is hot).
        var variable: [Bool]

        init(tokens: [String]) {
            self.tokens = tokens
            variable = tokens.map { $0.contains(TemplateMiner.wildcard) }
        }
    }

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

    /// Units that belong to the number before them: `7.51 s`, `<1 sec`, `12 ms`, `(18.4 KB)`; each
    /// packed into a UInt64 (lowercased bytes) so the check allocates nothing.
    static let units: Set<UInt64> = Set(
        [
            "s", "sec", "secs", "second", "seconds", "ms", "msec", "us", "ns", "min", "mins", "minute", "minutes", "h",
            "hr",
            "hrs", "hour", "hours", "day", "days", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "b", "%",
        ].map { word in
            word.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        })

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
        return units.contains(key)
    }

    /// The tokens of a message after masking: a token is literal text with `<*>` for variable segments.
    /// `host:port`, a parenthesised number and a unit after a number are one variable.
    static func forEachToken(
        _ line: Bytes, _ start: Int, _ end: Int, _ body: (_ start: Int, _ end: Int, _ whole: Bool) -> Void
    ) {
        var index = start
        var previousVariable = false
        while index < end {
            while index < end, isSpace(line[index]) { index += 1 }
            if index >= end { break }
            var tokenEnd = index
            while tokenEnd < end, !isSpace(line[tokenEnd]) { tokenEnd += 1 }
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
                    body(index, stop, true)
                    previousVariable = true
                    index = stop
                    continue
                }
            }
            if line[index] == 0x5B, index + 1 < end,
                let (_, stop) = HeaderParser.timestamp(line, index + 1, year: 2000),
                stop < end, line[stop] == 0x5D
            {
                body(index, stop + 1, true)  // "[09/Sep/2025:02:25:11 +0000]"
                previousVariable = true
                index = stop + 1
                continue
            }
            // A date inside the message ("at Fri Jun 17 07:07:00 2005") is one variable.
            if tokenEnd - index == 3, (line[index] | 0x20) &- 0x61 < 26,
                HeaderParser.month(line, index) != nil || isWeekday(line, index),
                let (_, stop) = HeaderParser.timestamp(line, index, year: 2000), stop <= end
            {
                body(index, stop, true)
                previousVariable = true
                index = stop
                continue
            }
            if previousVariable && isUnit(line, index, tokenEnd) {
                index = tokenEnd
                continue
            }
            let whole = isHostPort(line, index, tokenEnd) || isPathOrURL(line, index, tokenEnd)
            body(index, tokenEnd, whole)
            previousVariable = whole || isVariable(line, index, tokenEnd)
            index = tokenEnd
        }
    }

    static let weekdays: Set<UInt32> = Set(
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map { name in
            let b = Array(name.utf8)
            return UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
        })

    @inline(__always) static func isWeekday(_ line: Bytes, _ at: Int) -> Bool {
        weekdays.contains(
            UInt32(line[at] | 0x20) << 16 | UInt32(line[at + 1] | 0x20) << 8 | UInt32(line[at + 2] | 0x20))
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
        guard colon > start, colon < stop - 1, line[colon] == 0x3A else { return false }
        var dots = 0
        for index in start..<colon {
            let byte = line[index]
            if byte == 0x2E {
                dots += 1
            } else if !(byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 26 || byte == 0x2D || byte == 0x5F || byte == 0x2F)
            {
                return false
            }
        }
        return dots >= 1 || line[start] == 0x2F
    }

    /// A path (`/v2/servers/detail?all=True&since=2017-05-16`, two slashes at least) or a URL
    /// (`hdfs://host/x`): one variable, whatever its query or port holds.
    @inline(__always) static func isPathOrURL(_ line: Bytes, _ start: Int, _ end: Int) -> Bool {
        var first = start
        if first < end, line[first] == 0x22 || line[first] == 0x27 || line[first] == 0x28 { first += 1 }
        guard first + 2 < end else { return false }
        var slashes = 0
        var schemeSlashes = false
        for index in first..<end {
            let byte = line[index]
            if byte == 0x2F {
                slashes += 1
            } else if byte == 0x3A, index + 2 < end, line[index + 1] == 0x2F, line[index + 2] == 0x2F, index > first {
                schemeSlashes = true
            } else if isSpace(byte) {
                return false
            }
        }
        return (line[first] == 0x2F && slashes >= 2) || schemeSlashes
    }

    /// FNV-1a step.
    @inline(__always) static func mix(_ hash: inout UInt64, _ byte: UInt8) {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
    }

    /// The hash of the masked token sequence of `line[start..<end]`, and its token count.
    static func signature(_ line: Bytes, _ start: Int, _ end: Int, seed: UInt64) -> (UInt64, Int) {
        var hash = seed
        var count = 0
        forEachToken(line, start, end) { tokenStart, tokenEnd, whole in
            count += 1
            mix(&hash, 0x20)
            if whole {
                mix(&hash, 0x01)
                return
            }
            var segment = tokenStart
            for index in tokenStart..<tokenEnd where isDelimiter(line[index]) {
                hashSegment(line, segment, index, &hash)
                mix(&hash, line[index])
                segment = index + 1
            }
            hashSegment(line, segment, tokenEnd, &hash)
        }
        return (hash, count)
    }

    @inline(__always) private static func hashSegment(_ line: Bytes, _ start: Int, _ end: Int, _ hash: inout UInt64) {
        guard end > start else { return }
        if isVariable(line, start, end) {
            mix(&hash, 0x01)
        } else {
            for index in start..<end { mix(&hash, line[index]) }
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
            var segment = tokenStart
            func flush(_ upTo: Int) {
                guard upTo > segment else { return }
                if isVariable(line, segment, upTo) {
                    token += Array(wildcard.utf8)
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

    /// The cluster of a message already seen in this masked shape, if any.
    func cluster(forSignature signature: UInt64) -> Int? { bySignature[signature] }

    /// Files a new masked shape under the most similar cluster, or a new one.
    mutating func add(signature: UInt64, tokens: [String]) -> Int {
        let length = tokens.count
        let first = tokens.first.map { $0.utf8.contains(0x3C) && $0.contains(Self.wildcard) ? Self.wildcard : $0 } ?? ""
        var best: Int?
        var bestScore = -1.0
        var bestParams = -1
        for candidate in tree[length]?[first] ?? [] {
            let (score, params) = similarity(clusters[candidate], tokens)
            if score > bestScore || (score == bestScore && params > bestParams) {
                best = candidate
                bestScore = score
                bestParams = params
            }
        }
        let index: Int
        if let best, bestScore >= Self.threshold {
            index = best
            var template = clusters[best].tokens
            for position in template.indices where template[position] != tokens[position] {
                template[position] = Self.generalize(template[position], tokens[position])
            }
            clusters[best].tokens = template
        } else {
            index = clusters.count
            clusters.append(Cluster(tokens: tokens))
            tree[length, default: [:]][first, default: []].append(index)
        }
        bySignature[signature] = index
        return index
    }

    /// Drain's similarity: matching fixed tokens over length; tokens holding a variable count as
    /// parameters (for ties), not as evidence that two messages are the same event.
    private func similarity(_ cluster: Cluster, _ tokens: [String]) -> (Double, Int) {
        let template = cluster.tokens
        guard !template.isEmpty else { return (1, 0) }
        var same = 0
        var params = 0
        for index in template.indices {
            if cluster.variable[index] {
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
        let split = { (text: String) -> ([Substring], [Character]) in
            var parts: [Substring] = []
            var delimiters: [Character] = []
            var start = text.startIndex
            for index in text.indices where "=:,()[]{}\"';|".contains(text[index]) {
                parts.append(text[start..<index])
                delimiters.append(text[index])
                start = text.index(after: index)
            }
            parts.append(text[start...])
            return (parts, delimiters)
        }
        let (partsA, delimitersA) = split(a)
        let (partsB, delimitersB) = split(b)
        guard !delimitersA.isEmpty, delimitersA == delimitersB else { return wildcard }
        var out = ""
        for index in partsA.indices {
            out += partsA[index] == partsB[index] ? String(partsA[index]) : wildcard
            if index < delimitersA.count { out.append(delimitersA[index]) }
        }
        return out
    }

    func template(_ index: Int) -> String { clusters[index].tokens.joined(separator: " ") }

    /// The fixed tokens of a template, in order: clusters that share them are one event whose
    /// variable parts differ in length (`lifetime <*>` for `00:01` and `<1 sec`).
    func constantKey(_ index: Int) -> String {
        clusters[index].tokens.compactMap { token -> String? in
            let fixed = token.replacingOccurrences(of: Self.wildcard, with: "")
            return fixed.contains(where: \.isLetter) ? fixed : nil
        }.joined(separator: " ")
    }
}
