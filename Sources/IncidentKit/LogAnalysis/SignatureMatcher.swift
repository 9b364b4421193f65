import Foundation

/// The catalog made ready for matching many texts (the ranked events of one analysis): each
/// signature's regex runs only on a text that holds one of the strings every match of it must
/// hold, found by a byte search, and the client-library clues are sorted once. It gives exactly
/// what `SignatureCatalog.match` and `services(in:)` give (`SignatureMatcherTests`).
struct SignatureMatcher {
    let catalog: SignatureCatalog
    /// For each signature, lower-case ASCII strings one of which any text it matches contains
    /// (nil: none could be read from its regex, so the regex always runs).
    let required: [[[UInt8]]?]
    let libraries: [(name: String, bytes: [UInt8]?, service: String)]
    /// The same strings laid end to end, so that testing them retains nothing: signature `s`'s
    /// needles are `needles[needleStart[s]..<needleStart[s + 1]]` (none when `unfiltered[s]`).
    private let needles: [Needle]
    private let needleStart: [Int]
    private let needleBytes: [UInt8]
    private let unfiltered: [Bool]

    /// Where one needle's bytes are, and the bit of its least common pair of adjacent bytes:
    /// the one pair tested first, which a text seldom holds (most needles end there).
    private struct Needle {
        var start: Int
        var count: Int
        var keyPair: Int
    }

    init(_ catalog: SignatureCatalog) {
        self.init(catalog, required: catalog.signatures.map { RequiredText.of($0.match) })
    }

    /// Only the service clues prepared (for one text).
    init(librariesOf catalog: SignatureCatalog) {
        self.init(catalog, required: [])
    }

    private init(_ catalog: SignatureCatalog, required: [[[UInt8]]?]) {
        self.catalog = catalog
        self.required = required
        libraries = catalog.libraries.sorted { $0.key < $1.key }.map { name, service in
            (name, name.utf8.allSatisfy { $0 < 0x80 } ? Array(name.utf8) : nil, service)
        }
        var needles: [Needle] = []
        var needleStart: [Int] = [0]
        var needleBytes: [UInt8] = []
        for strings in required {
            for needle in strings ?? [] {
                needles.append(Needle(start: needleBytes.count, count: needle.count, keyPair: Self.keyPair(needle)))
                needleBytes += needle
            }
            needleStart.append(needles.count)
        }
        self.needles = needles
        self.needleStart = needleStart
        self.needleBytes = needleBytes
        unfiltered = required.map { $0 == nil }
    }

    func match(_ text: String) -> Signature.Match? {
        // Only ASCII text is filtered: with (?i), ICU also matches 'k' to U+212A and 's' to U+017F.
        guard let lowered = Self.asciiLowercased(text) else { return catalog.match(text) }
        let pairs = Self.bytePairs(lowered)
        for (index, signature) in catalog.signatures.enumerated() {
            if !unfiltered[index], !mayMatch(index, lowered, pairs) { continue }
            if let found = signature.match(text) { return found }
        }
        return nil
    }

    /// Whether the text holds one of signature `index`'s required strings.
    private func mayMatch(_ index: Int, _ lowered: [UInt8], _ pairs: [UInt64]) -> Bool {
        needles.withUnsafeBufferPointer { needles in
            needleBytes.withUnsafeBufferPointer { bytes in
                for needle in needles[needleStart[index]..<needleStart[index + 1]] {
                    if needle.keyPair >= 0, pairs[needle.keyPair >> 6] & (1 << UInt64(needle.keyPair & 63)) == 0 {
                        continue
                    }
                    let pin = UnsafeBufferPointer(rebasing: bytes[needle.start..<(needle.start + needle.count)])
                    if Self.mayHold(pin, pairs) && Self.find(pin, in: lowered) != nil { return true }
                }
                return false
            }
        }
    }

    /// The bit of the needle's least common pair of adjacent bytes (-1 for a single byte): by a
    /// rough rank of how often a byte appears in log text (space, vowels and common consonants
    /// most; digits next; other letters and punctuation least). Any pair would be correct.
    static func keyPair(_ needle: [UInt8]) -> Int {
        guard needle.count >= 2 else { return -1 }
        func commonness(_ byte: UInt8) -> Int {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"),
                UInt8(ascii: "i"), UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"):
                return 4
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "l"), UInt8(ascii: "c"), UInt8(ascii: "d"),
                UInt8(ascii: "u"), UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "."), UInt8(ascii: ":"):
                return 3
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "="):
                return 2
            default:
                return 1
            }
        }
        var best = 1
        var bestScore = Int.max
        for index in 1..<needle.count {
            let score = commonness(needle[index - 1]) + commonness(needle[index])
            if score < bestScore {
                best = index
                bestScore = score
            }
        }
        return pairBit(needle[best - 1], needle[best])
    }

    /// `SignatureCatalog.services(in:)`, with the library clues found by byte search in ASCII text.
    func services(in text: String) -> [String] {
        catalog.services(in: text, libraries: libraries)
    }

    /// Which pairs of adjacent bytes the text holds, hashed to one of 4,096 bits (512 bytes to
    /// clear per text, not 8 KiB: the ranking asks this of every event it matches): a needle with
    /// a pair whose bit is not set cannot be in the text, which spares most of the byte searches.
    static func bytePairs(_ text: [UInt8]) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: 64)
        guard text.count >= 2 else { return bits }
        for index in 1..<text.count {
            let pair = pairBit(text[index - 1], text[index])
            bits[pair >> 6] |= 1 << UInt64(pair & 63)
        }
        return bits
    }

    /// The bit of a pair of bytes: for ASCII, the first byte's seven bits above the second's five
    /// low ones, the second's high bits folded in.
    @inline(__always) static func pairBit(_ first: UInt8, _ second: UInt8) -> Int {
        (Int(first) << 5 ^ Int(second)) & 4095
    }

    /// False when some pair of adjacent bytes of `needle` is not among `pairs`.
    static func mayHold(_ needle: [UInt8], _ pairs: [UInt64]) -> Bool {
        needle.withUnsafeBufferPointer { mayHold($0, pairs) }
    }

    static func mayHold(_ needle: UnsafeBufferPointer<UInt8>, _ pairs: [UInt64]) -> Bool {
        guard needle.count >= 2 else { return true }
        for index in 1..<needle.count {
            let pair = pairBit(needle[index - 1], needle[index])
            if pairs[pair >> 6] & (1 << UInt64(pair & 63)) == 0 { return false }
        }
        return true
    }

    static func asciiLowercased(_ text: String) -> [UInt8]? {
        var bytes = Array(text.utf8)
        for index in bytes.indices {
            let byte = bytes[index]
            if byte >= 0x80 { return nil }
            if byte >= 0x41 && byte <= 0x5A { bytes[index] = byte | 0x20 }
        }
        return bytes
    }

    /// Where `needle` first occurs in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        ByteSearch.first(needle, in: haystack)
    }

    static func find(_ pin: UnsafeBufferPointer<UInt8>, in haystack: [UInt8]) -> Int? {
        haystack.withUnsafeBufferPointer { ByteSearch.first(pin, in: $0) }
    }
}

/// Reads, from a regex, strings one of which every match contains: the longest literal run of
/// each alternative, or the strongest requirement of a group every alternative must pass through.
/// Lower-cased (a necessary condition with or without (?i) for ASCII text). Anything it does not
/// know (\Q…\E, \p{…}, (?x), comments, nested sets) gives nil: no requirement, the regex runs.
enum RequiredText {
    static func of(_ pattern: String) -> [[UInt8]]? {
        var parser = Parser(Array(pattern.utf8))
        guard let result = parser.alternation(), parser.position == parser.bytes.count, let strings = result else {
            return nil
        }
        return strings.contains(where: \.isEmpty) ? nil : strings
    }

    private enum Occurrence { case once, optional, repeated }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        /// Outer nil: a construct this reader does not know. Inner nil: no requirement.
        mutating func alternation() -> [[UInt8]]?? {
            var union: [[UInt8]] = []
            var anyUnknown = false
            while true {
                guard let branch = sequence() else { return .none }
                if let strings = branch { union += strings } else { anyUnknown = true }
                guard peek == UInt8(ascii: "|") else { break }
                position += 1
            }
            return .some(anyUnknown ? nil : union)
        }

        /// A quantifier after an atom: whether the atom may be absent; nil for a malformed one.
        mutating func quantifier() -> Bool? {
            guard let byte = peek else { return false }
            var optional = false
            switch byte {
            case UInt8(ascii: "?"), UInt8(ascii: "*"):
                optional = true
                position += 1
            case UInt8(ascii: "+"):
                position += 1
            case UInt8(ascii: "{"):
                var end = position + 1
                var digits: [UInt8] = []
                while end < bytes.count, bytes[end] >= 0x30, bytes[end] <= 0x39 {
                    digits.append(bytes[end])
                    end += 1
                }
                while end < bytes.count, bytes[end] != UInt8(ascii: "}") {
                    guard (bytes[end] >= 0x30 && bytes[end] <= 0x39) || bytes[end] == UInt8(ascii: ",") else {
                        return nil
                    }
                    end += 1
                }
                guard !digits.isEmpty, end < bytes.count else { return nil }
                optional = digits.allSatisfy { $0 == 0x30 }
                position = end + 1
            default:
                return false
            }
            // Lazy or possessive.
            if let next = peek, next == UInt8(ascii: "?") || next == UInt8(ascii: "+") { position += 1 }
            return optional
        }

        /// A concatenation up to '|' or ')'. Its requirement is the strongest of its parts': the
        /// literal runs between other atoms, and the groups that cannot be skipped.
        mutating func sequence() -> [[UInt8]]?? {
            var candidates: [[[UInt8]]] = []
            var run: [UInt8] = []
            func flush() {
                if !run.isEmpty { candidates.append([run]) }
                run = []
            }
            // "ab?" needs only "a"; "ab+" needs "ab", and what follows is not next to it.
            func add(_ byte: UInt8, _ occurrence: Occurrence) {
                if occurrence != .optional { run.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
                if occurrence != .once { flush() }
            }
            while let byte = peek, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
                switch byte {
                case UInt8(ascii: "("):
                    position += 1
                    var discard = false
                    if peek == UInt8(ascii: "?") {
                        position += 1
                        guard let kind = peek else { return .none }
                        switch kind {
                        case UInt8(ascii: ":"), UInt8(ascii: ">"):
                            position += 1
                        case UInt8(ascii: "="), UInt8(ascii: "!"):
                            position += 1
                            discard = true
                        case UInt8(ascii: "<"):
                            position += 1
                            if peek == UInt8(ascii: "=") || peek == UInt8(ascii: "!") {
                                position += 1
                                discard = true
                            } else {
                                // A named group: (?<name>…)
                                while let next = peek, next != UInt8(ascii: ">") { position += 1 }
                                guard peek != nil else { return .none }
                                position += 1
                            }
                        case UInt8(ascii: "i"), UInt8(ascii: "m"), UInt8(ascii: "s"), UInt8(ascii: "w"),
                            UInt8(ascii: "-"):
                            // Flags (case, multi-line, dot-all, word boundaries) change nothing here;
                            // (?x) would change what a space means.
                            while let next = peek, next != UInt8(ascii: ")"), next != UInt8(ascii: ":") {
                                guard next != UInt8(ascii: "x") else { return .none }
                                position += 1
                            }
                            guard let end = peek else { return .none }
                            position += 1
                            if end == UInt8(ascii: ")") {
                                flush()
                                continue
                            }
                        default:
                            return .none
                        }
                    }
                    guard let inner = alternation(), peek == UInt8(ascii: ")") else { return .none }
                    position += 1
                    guard let optional = quantifier() else { return .none }
                    flush()
                    if !discard, !optional, let strings = inner { candidates.append(strings) }
                case UInt8(ascii: "["):
                    guard skipSet(), quantifier() != nil else { return .none }
                    flush()
                case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                    position += 1
                    guard quantifier() != nil else { return .none }
                    flush()
                case UInt8(ascii: "\\"):
                    position += 1
                    guard let escaped = peek else { return .none }
                    position += 1
                    let isPunctuation =
                        escaped < 0x80 && !(escaped >= 0x30 && escaped <= 0x39)
                        && !(escaped >= 0x41 && escaped <= 0x5A) && !(escaped >= 0x61 && escaped <= 0x7A)
                    if isPunctuation {
                        guard let occurrence = occurrence() else { return .none }
                        add(escaped, occurrence)
                    } else {
                        // Classes, boundaries and control escapes; a backreference (\1) is an atom too.
                        guard "bBdDwWsSAzZGntr123456789".utf8.contains(escaped) else { return .none }
                        guard quantifier() != nil else { return .none }
                        flush()
                    }
                case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "{"), UInt8(ascii: "}"),
                    UInt8(ascii: "]"):
                    return .none  // a quantifier with nothing before it, or a stray bracket
                default:
                    position += 1
                    if byte >= 0x80 {
                        // Part of a non-ASCII character: not compared, and its quantifier is its own.
                        while let next = peek, next >= 0x80, next < 0xC0 { position += 1 }
                        guard quantifier() != nil else { return .none }
                        flush()
                    } else {
                        guard let occurrence = occurrence() else { return .none }
                        add(byte, occurrence)
                    }
                }
            }
            flush()
            // The candidate whose shortest string is longest narrows the most.
            guard let best = candidates.max(by: { $0.map(\.count).min()! < $1.map(\.count).min()! }) else {
                return .some(nil)
            }
            return .some(best)
        }

        /// How often a literal byte occurs, read from the quantifier after it; nil for a malformed one.
        mutating func occurrence() -> Occurrence? {
            let before = position
            guard let optional = quantifier() else { return nil }
            return optional ? .optional : position == before ? .once : .repeated
        }

        /// A bracketed set, skipped; false for a nested set or one that does not close.
        mutating func skipSet() -> Bool {
            position += 1
            if peek == UInt8(ascii: "^") { position += 1 }
            if peek == UInt8(ascii: "]") { position += 1 }
            while let byte = peek {
                position += 1
                switch byte {
                case UInt8(ascii: "\\"):
                    guard peek != nil else { return false }
                    position += 1
                case UInt8(ascii: "["):
                    return false
                case UInt8(ascii: "]"):
                    return true
                default:
                    break
                }
            }
            return false
        }
    }
}
