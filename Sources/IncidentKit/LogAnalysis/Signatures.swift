import Foundation

/// One known failure shape (SPEC "Failure signatures"): data, not code.
public struct Signature: Sendable {
    public var id: String
    public var match: String
    public var category: String
    /// A literal service name, or `$N` for a capture group.
    public var service: String?
    public var severity: Severity?
    /// A symptom other failures explain (an image pull back-off, a crash loop): at equal severity
    /// an event with another signature is the primary before it.
    public var symptom = false
    public var hint: String
    public var examples: [String]
    public var counterexamples: [String]
    /// `built-in` or the repo's `signatures.yml`.
    public var origin: String
    let compiled: CompiledPattern

    /// What a signature found in one text: the service and hint with capture groups filled in.
    public struct Match: Sendable {
        public var signature: Signature
        public var service: String?
        public var hint: String
        /// The matched part of the text, for `signatures test`.
        public var matched: String
    }

    public func match(_ text: String) -> Match? {
        let whole = NSRange(text.startIndex..., in: text)
        guard let result = compiled.regex?.firstMatch(in: text, range: whole) else { return nil }
        func group(_ index: Int) -> String {
            guard index < result.numberOfRanges, let range = Range(result.range(at: index), in: text) else { return "" }
            return String(text[range])
        }
        func fill(_ template: String) -> String {
            var out = ""
            var characters = Array(template)
            var index = 0
            while index < characters.count {
                if characters[index] == "$", index + 1 < characters.count,
                    let digit = characters[index + 1].wholeNumberValue
                {
                    out += group(digit)
                    index += 2
                } else {
                    out.append(characters[index])
                    index += 1
                }
            }
            characters.removeAll()
            return out
        }
        let service = self.service.map { fill($0).lowercased().trimmingCharacters(in: .whitespaces) }
        return Match(
            signature: self, service: service?.isEmpty == false ? service : nil, hint: fill(hint), matched: group(0))
    }
}

/// The failure signatures in force, and the service clues (ports, URL schemes, client libraries):
/// the built-in catalog compiled into the binary, extended or overridden by the repo's file.
public struct SignatureCatalog: Sendable {
    public static let fileName = "signatures.yml"

    public var signatures: [Signature] = []
    public var ports: [String: String] = [:]
    public var schemes: [String: String] = [:]
    public var libraries: [String: String] = [:]

    public init() {}

    /// The built-in catalog, parsed once.
    public static let builtIn: SignatureCatalog = {
        do {
            // Its regexes are compiled when first used (the test suite compiles every one).
            return try parse(DefaultSignatureSource.text, origin: "built-in", compile: false)
        } catch {
            // The build embeds a file the test suite checks; a broken one is a bug of this binary.
            fatalError("the built-in signatures.yml does not load: \(error)")
        }
    }()

    /// The built-in catalog with the repo's `signatures.yml` (beside `.incident.yml`) applied:
    /// an entry with a known id replaces that signature, any other is added before the built-ins
    /// (a team's own signatures are the most specific); service maps are merged.
    public static func load(root: String, fileSystem: any FileSystem) throws -> SignatureCatalog {
        var catalog = builtIn
        let path = root + "/" + fileName
        guard fileSystem.fileExists(path) else { return catalog }
        let data = try fileSystem.read(path)
        let local = try parse(String(decoding: data, as: UTF8.self), origin: fileName)
        catalog.apply(local)
        return catalog
    }

    mutating func apply(_ local: SignatureCatalog) {
        var added: [Signature] = []
        for signature in local.signatures {
            if let index = signatures.firstIndex(where: { $0.id == signature.id }) {
                signatures[index] = signature
            } else {
                added.append(signature)
            }
        }
        signatures = added + signatures
        ports.merge(local.ports) { $1 }
        schemes.merge(local.schemes) { $1 }
        libraries.merge(local.libraries) { $1 }
    }

    /// `compile: false` leaves each regex to be compiled when first used (and does not check it).
    public static func parse(_ text: String, origin: String, compile: Bool = true) throws -> SignatureCatalog {
        let value: Value
        do {
            value = try YAML.parse(text)
        } catch {
            throw IncidentError.failure("\(origin):\(error.line): malformed YAML: \(error.problem).")
        }
        var catalog = SignatureCatalog()
        func strings(_ key: String) -> [String: String] {
            var map: [String: String] = [:]
            for (name, service) in value["services"]?[key]?.object ?? [:] {
                if let service = service.string { map[name.lowercased()] = service.lowercased() }
            }
            return map
        }
        catalog.ports = strings("ports")
        catalog.schemes = strings("schemes")
        catalog.libraries = strings("libraries")
        var seen: Set<String> = []
        for (index, entry) in (value["signatures"]?.array ?? []).enumerated() {
            let label = entry["id"]?.string ?? "entry \(index + 1)"
            func fail(_ problem: String) -> IncidentError {
                .failure("\(origin): signature '\(label)' \(problem).")
            }
            guard let id = entry["id"]?.string, !id.isEmpty else { throw fail("has no id") }
            guard seen.insert(id).inserted else { throw fail("appears twice") }
            guard let match = entry["match"]?.string, !match.isEmpty else { throw fail("has no match regex") }
            var compiled = CompiledPattern(match)
            if compile {
                do {
                    compiled = CompiledPattern(try NSRegularExpression(pattern: match))
                } catch {
                    throw fail("has a match that is not a valid regex ('\(match)')")
                }
            }
            var severity: Severity?
            if let text = entry["severity"]?.string {
                guard let parsed = Severity(rawValue: text) else {
                    throw fail("has severity '\(text)', not one of critical, high, medium, low")
                }
                severity = parsed
            }
            var symptom = false
            if let flag = entry["symptom"] {
                guard case .bool(let value) = flag else {
                    throw fail("has symptom '\(flag.string ?? "?")', not true or false")
                }
                symptom = value
            }
            catalog.signatures.append(
                Signature(
                    id: id, match: match, category: entry["category"]?.string ?? "other",
                    service: entry["service"]?.string, severity: severity, symptom: symptom,
                    hint: entry["hint"]?.string ?? "",
                    examples: entry["examples"]?.array?.compactMap(\.string) ?? [],
                    counterexamples: entry["counterexamples"]?.array?.compactMap(\.string) ?? [], origin: origin,
                    compiled: compiled))
        }
        return catalog
    }

    /// The first signature matching the text, most specific first.
    public func match(_ text: String) -> Signature.Match? {
        for signature in signatures {
            if let found = signature.match(text) { return found }
        }
        return nil
    }

    /// Services a text names through the clues: URL schemes (`redis://`), well-known ports
    /// (`:6379`, `port 6379`), and client libraries in module paths, loggers and frames.
    public func services(in text: String) -> [String] {
        SignatureMatcher(librariesOf: self).services(in: text)
    }

    /// `services(in:)` with the library clues sorted by name, each with its bytes when ASCII
    /// (`SignatureMatcher` prepares them once for many texts).
    func services(
        in text: String, libraries sortedLibraries: [(name: String, bytes: [UInt8]?, service: String)]
    )
        -> [String]
    {
        var found: [String] = []
        func add(_ name: String?) {
            if let name, !found.contains(name) { found.append(name) }
        }
        let lowered = text.lowercased()
        let bytes = Array(lowered.utf8)
        // scheme://
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"),
                bytes[index + 2] == UInt8(ascii: "/")
            {
                var start = index
                while start > 0, Self.schemeByte(bytes[start - 1]) { start -= 1 }
                if start < index {
                    let scheme = String(decoding: bytes[start..<index], as: UTF8.self)
                    add(schemes[scheme] ?? scheme.split(separator: ":").last.flatMap { schemes[String($0)] })
                }
            }
            index += 1
        }
        // :PORT or "port PORT", the digits not part of a longer number
        index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x30, byte <= 0x39, index > 0, !(bytes[index - 1] >= 0x30 && bytes[index - 1] <= 0x39) {
                var end = index
                while end < bytes.count, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
                let portWord = index >= 5 && bytes[(index - 5)..<index].elementsEqual("port ".utf8)
                // host:PORT, not a clock (02:25:53) or a ratio: what precedes the colon is a name,
                // a bracketed IPv6 address or the last part of a dotted address.
                var hostLike = false
                if bytes[index - 1] == UInt8(ascii: ":"), index >= 2 {
                    var back = index - 2
                    let last = bytes[back]
                    if (last >= 0x61 && last <= 0x7A) || last == UInt8(ascii: "]") || last == UInt8(ascii: "-") {
                        hostLike = true
                    } else if last >= 0x30, last <= 0x39 {
                        while back > 0, bytes[back - 1] >= 0x30, bytes[back - 1] <= 0x39 { back -= 1 }
                        hostLike = back > 0 && bytes[back - 1] == UInt8(ascii: ".")
                    }
                }
                let nextIsDigitOrDot =
                    end < bytes.count && (bytes[end] == UInt8(ascii: "."))
                    && end + 1 < bytes.count && bytes[end + 1] >= 0x30 && bytes[end + 1] <= 0x39
                if (hostLike || portWord) && !nextIsDigitOrDot {
                    add(ports[String(decoding: bytes[index..<end], as: UTF8.self)])
                }
                index = end
                continue
            }
            index += 1
        }
        // Library clues and package directories are looked for byte by byte in ASCII text (no
        // character is more than one byte there), and through String search otherwise.
        let ascii = bytes.allSatisfy { $0 < 0x80 }
        // A package directory in a Python trace: ".../site-packages/redis/connection.py".
        for marker in ["site-packages/", "dist-packages/"] {
            if ascii, SignatureMatcher.find(Array(marker.utf8), in: bytes) == nil { continue }
            var rest = lowered[...]
            while let range = rest.range(of: marker) {
                let name = rest[range.upperBound...].prefix { $0 != "/" && $0 != "\"" && $0 != " " }
                add(libraries[String(name)] ?? (serviceNames.contains(String(name)) ? String(name) : nil))
                rest = rest[range.upperBound...]
            }
        }
        // client libraries, as whole path or word segments
        for (library, libraryBytes, service) in sortedLibraries {
            if ascii, let libraryBytes {
                guard let offset = SignatureMatcher.find(libraryBytes, in: bytes) else { continue }
                let end = offset + libraryBytes.count
                let beforeOK = offset == 0 || !Self.wordByte(bytes[offset - 1])
                let afterOK =
                    end == bytes.count || !Self.wordByte(bytes[end]) || library.hasSuffix("::")
                    || library.hasSuffix(".")
                if beforeOK && afterOK { add(service) }
                continue
            }
            guard lowered.contains(library) else { continue }
            if let range = lowered.range(of: library) {
                let beforeOK =
                    range.lowerBound == lowered.startIndex
                    || !Self.wordCharacter(lowered[lowered.index(before: range.lowerBound)])
                let afterOK =
                    range.upperBound == lowered.endIndex || !Self.wordCharacter(lowered[range.upperBound])
                    || library.hasSuffix("::") || library.hasSuffix(".")
                if beforeOK && afterOK { add(service) }
            }
        }
        return found
    }

    /// Every service name the clues can give.
    var serviceNames: Set<String> { Set(ports.values).union(schemes.values).union(libraries.values) }

    static func schemeByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    /// `wordCharacter` for a byte of ASCII text.
    static func wordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "_")
    }

    static func wordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }
}

/// A signature's regex, compiled once when first used: an analysis runs few of them
/// (`SignatureMatcher` skips those whose required text is absent). Nil if it does not compile.
final class CompiledPattern: @unchecked Sendable {
    let pattern: String
    private let lock = NSLock()
    private var compiled: NSRegularExpression??

    init(_ pattern: String) { self.pattern = pattern }

    init(_ regex: NSRegularExpression) {
        pattern = regex.pattern
        compiled = .some(regex)
    }

    var regex: NSRegularExpression? {
        lock.withLock {
            if let compiled { return compiled }
            let regex = try? NSRegularExpression(pattern: pattern)
            compiled = .some(regex)
            return regex
        }
    }
}
