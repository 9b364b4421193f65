import Foundation
import OrderedCollections

#if canImport(Glibc)
    import Glibc
#endif

/// Replaces secrets with `[REDACTED:<kind>]` and counts them by kind (SPEC "Secrets").
public struct Redactor: Sendable {
    struct Rule: @unchecked Sendable {
        var kind: String
        /// Compiled when a line first holds one of its hints: a log whose lines hold a `password=`
        /// compiles that rule, not all twenty (they cost about a millisecond together).
        let compiled: CompiledPattern
        var regex: NSRegularExpression {
            guard let regex = compiled.regex else { preconditionFailure("redaction rule '\(kind)' does not compile") }
            return regex
        }
        /// The capture groups that may hold the secret; the first one that took part in the match
        /// is replaced. `[0]` is the whole match.
        var groups: [Int]
        /// Lower-case ASCII literals one of which every match contains: without any, the regex is not run.
        var hints: [[UInt8]]
        var check: Check
        /// Every match begins at the start of a run of key characters (`[A-Za-z0-9_.-]`, a
        /// lookbehind says so) and holds a hint in that run: in ASCII text the regex is tried only
        /// at such runs, anchored there, not at every position of the line (see `firstMatch`).
        var startsAtHintRuns = false
    }

    /// What a match must also pass to be a secret, beyond its regex.
    enum Check {
        case none
        /// `KEY = VALUE` where group 1 is the key: only keys that name a secret (see `secretKey`).
        case keyValue
        /// The password of `scheme://user:password@host`, not a port and path.
        case urlPassword
        /// A candidate IPv6 address, validated by `inet_pton`.
        case ipv6
    }

    /// The built-in kinds, which the engine's byte prefilter may skip on lines that cannot hold
    /// them. Each regex is compiled when a line first needs it (see `Rule.compiled`).
    var builtIn: [Rule] { Self.builtInRules }
    /// `redact.patterns` and `redact.pii`: run on every line, never prefiltered.
    let always: [Rule]
    let allow: [String]

    public init(config: Config = Config()) throws {
        var always: [Rule] = []
        for pattern in config.redactPatterns {
            do {
                always.append(
                    Rule(
                        kind: pattern.name, compiled: CompiledPattern(try NSRegularExpression(pattern: pattern.regex)),
                        groups: [0], hints: [], check: .none))
            } catch {
                throw IncidentError.failure(
                    "\(Config.fileName): redact pattern '\(pattern.name)' is not a valid regular expression: \(pattern.regex)"
                )
            }
        }
        if config.redactPII { always += Self.pii }
        self.always = always
        allow = config.redactAllow.filter { !$0.isEmpty }
    }

    /// Whether some rule must look at every line, whatever the prefilter says.
    public var checksEveryLine: Bool { !always.isEmpty }

    private static func rule(
        _ kind: String, _ pattern: String, groups: [Int] = [0], hints: [String], check: Check = .none,
        startsAtHintRuns: Bool = false
    ) -> Rule {
        Rule(
            kind: kind, compiled: CompiledPattern(pattern), groups: groups, hints: hints.map { Array($0.utf8) },
            check: check, startsAtHintRuns: startsAtHintRuns)
    }

    /// An assignment between a key and its value: `=`, `:`, `=>`, `:=`, with the key's closing
    /// quote, escaped or not (`"password": "…"`, `\"password\": \"…\"`, `password=…`).
    static let assign = #"\\*["']?\s*(?:=>|:=|[:=])\s*"#
    /// A value: an escaped-quoted string inside a JSON string, a quoted one, or a bare word.
    static let value = #"(?:\\+"((?:[^"\\]|\\+[^"\\])*)\\+"|"((?:[^"\\]|\\.)*)"|'([^'\n]*)'|(?![\[{])([^\s"',;&}\\]+))"#

    static let builtInRules: [Rule] = [
        rule(
            "private-key", "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
            hints: ["private key-----"]),
        rule("github-token", "\\bgh[pousr]_[A-Za-z0-9]{36,255}\\b", hints: ["gh"]),
        rule("github-token", "\\bgithub_pat_[A-Za-z0-9_]{22,255}\\b", hints: ["github_pat_"]),
        rule(
            "aws-access-key-id", "\\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\\b", hints: ["akia", "asia", "abia", "acca"]),
        rule(
            "aws-secret-access-key",
            "(?i)(?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key" + assign
                + #"\\*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"#,
            groups: [1], hints: ["secret"]),
        rule("gcp-api-key", "\\bAIza[0-9A-Za-z_\\-]{35}(?![0-9A-Za-z_\\-])", hints: ["aiza"]),
        rule("google-oauth-token", "\\bya29\\.[0-9A-Za-z_\\-]{20,}", hints: ["ya29."]),
        rule(
            "slack-webhook",
            #"https:(?:\\?/){2}hooks\.slack\.com\\?/(?:services|workflows|triggers)(?:\\?/[A-Za-z0-9_\-]+)+"#,
            hints: ["hooks.slack.com"]),
        rule("slack-token", "\\b(?:xox[abposr]|xapp)-[A-Za-z0-9\\-]{10,}", hints: ["xox", "xapp-"]),
        rule(
            "stripe-key", "\\b(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}|whsec_[0-9A-Za-z]{20,})\\b",
            hints: ["sk_", "rk_", "whsec_"]),
        rule("openai-key", "\\bsk-(?=[A-Za-z0-9_\\-]*[0-9])[A-Za-z0-9_\\-]{20,}", hints: ["sk-"]),
        rule("npm-token", "\\bnpm_[A-Za-z0-9]{36}\\b", hints: ["npm_"]),
        rule("sendgrid-key", "\\bSG\\.[A-Za-z0-9_\\-]{16,32}\\.[A-Za-z0-9_\\-]{16,64}", hints: ["sg."]),
        rule(
            "azure-key", "(?i)\\b(?:AccountKey|SharedAccessKey)" + assign + #"\\*["']?([^;\s"'\\&]+)"#, groups: [1],
            hints: ["accountkey", "sharedaccesskey"]),
        rule("azure-key", "[?&]sig=([A-Za-z0-9%+/=]{16,})", groups: [1], hints: ["sig="]),
        rule(
            "jwt", "\\beyJ[A-Za-z0-9_\\-]{5,}\\.eyJ[A-Za-z0-9_\\-]{5,}\\.[A-Za-z0-9_\\-]{5,}", hints: ["eyj"]),
        rule(
            "basic-auth", "(?i)\\b(?:proxy-)?authorization" + assign + #"\\*["']?basic\s+([A-Za-z0-9+/._~\-]+=*)"#,
            groups: [1], hints: ["basic"]),
        // A bearer credential has a digit or a symbol, or is long: "Bearer authentication" is prose.
        rule(
            "bearer-token", "(?i)\\bbearer\\s+((?=[A-Za-z]*[0-9._~+/\\-]|[A-Za-z]{20})[A-Za-z0-9._~+/\\-]{8,}=*)",
            groups: [1], hints: ["bearer"]),
        rule(
            "authorization",
            "(?i)\\b(?:proxy-)?authorization" + assign
                + #"\\*["']?(?!bearer\b|basic\b)(?:(?:token|digest|negotiate|ntlm|apikey|key|hmac|sso-key|aws4-hmac-sha256)\s+)?((?!\[REDACTED)[^\s"',;\\]{8,})"#,
            groups: [1], hints: ["authorization"]),
        // The password may hold "@" or "/" (`postgres://svc:p@ss/w0rd@db`): it runs to the last "@"
        // before the host, but not into a query or fragment.
        rule(
            "url-credentials",
            #"\b[a-zA-Z][a-zA-Z0-9+.\-]*:(?:\\?/){2}[^:/@\s"'\\]*:((?:[^\s"'?#@\\]|\\/|@(?=(?:[^\s"'?#\\]|\\/)*@))+)@"#,
            groups: [1], hints: ["@"], check: .urlPassword),
        rule(
            "password",
            #"(?<![A-Za-z0-9_.\-])([A-Za-z0-9_.\-]*(?i:pass|pwd|secret|token|key)[A-Za-z0-9_.\-]*)"# + assign + value,
            groups: [2, 3, 4, 5], hints: ["pass", "pwd", "secret", "token", "key"], check: .keyValue,
            startsAtHintRuns: true),
    ]

    static let pii: [Rule] = [
        rule("email", "\\b[A-Za-z0-9._%+\\-]+@[A-Za-z0-9.\\-]+\\.[A-Za-z]{2,}\\b", hints: ["@"]),
        rule(
            "ip-address", "\\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\b",
            hints: ["."]),
        rule(
            "ip-address", "(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f:]*[0-9])[0-9A-Fa-f:]{2,39}(?![0-9A-Za-z.])", hints: [":"],
            check: .ipv6),
    ]

    /// Redacts `text` with every rule, adding what it replaced to `counts`.
    public func redact(_ text: String, counts: inout OrderedDictionary<String, Int>) -> String {
        apply(builtIn + always, to: text, counts: &counts)
    }

    /// Redacts `text` with the rules no prefilter may skip (`redact.patterns`, `redact.pii`).
    func redactAlways(_ text: String, counts: inout OrderedDictionary<String, Int>) -> String {
        always.isEmpty ? text : apply(always, to: text, counts: &counts)
    }

    func apply(_ rules: [Rule], to text: String, counts: inout OrderedDictionary<String, Int>) -> String {
        var result = text
        // The hints are ASCII: case-folding the bytes is enough.
        let lowered = text.utf8.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }
        var marked = Self.contains(lowered, Array("[redacted:".utf8))
        for rule in rules {
            if !rule.hints.isEmpty, !rule.hints.contains(where: { Self.contains(lowered, $0) }) { continue }
            let ns = result as NSString
            let length = ns.length
            // Places no match may touch: earlier redactions, and the allowed literals.
            var kept: [NSRange] = marked ? Self.placeholders(in: result) : []
            for literal in allow {
                var from = 0
                while from < length {
                    let found = ns.range(of: literal, range: NSRange(location: from, length: length - from))
                    guard found.location != NSNotFound else { break }
                    kept.append(found)
                    from = found.location + max(1, found.length)
                }
            }
            let keptSpans = Self.disjointSpans(kept)
            var rebuilt = ""
            var cursor = 0
            var changed = false
            /// Replaces `range` unless it is empty, a placeholder, allowed or already redacted.
            func replace(_ range: NSRange) {
                guard range.length > 0, range.location >= cursor else { return }
                let secret = ns.substring(with: range)
                if secret.hasPrefix("[REDACTED") || allow.contains(secret) { return }
                if Self.overlaps(range, keptSpans) { return }
                rebuilt += ns.substring(with: NSRange(location: cursor, length: range.location - cursor))
                rebuilt += "[REDACTED:\(rule.kind)]"
                cursor = range.location + range.length
                counts[rule.kind, default: 0] += 1
                changed = true
            }
            // Where a match may begin, for a rule that begins at the runs holding its hints.
            let runs = rule.startsAtHintRuns ? Self.hintRuns(result, hints: rule.hints) : nil
            var next = 0
            var start = 0
            while start < length,
                let match = Self.firstMatch(rule, in: result, from: start, length: length, runs: runs, next: &next)
            {
                start = match.range.location + max(1, match.range.length)
                guard let group = rule.groups.first(where: { match.range(at: $0).location != NSNotFound }) else {
                    continue
                }
                var range = match.range(at: group)
                let secret = ns.substring(with: range)
                switch rule.check {
                case .none: break
                case .keyValue:
                    let key = match.range(at: 1)
                    guard Self.secretKey(ns.substring(with: key), value: secret) else {
                        // The value may itself hold a pair ("service:password=…"): look again after the key.
                        start = key.location + key.length
                        continue
                    }
                case .urlPassword:
                    // `http://host:8080/a@b` has a port and a path, not a password.
                    let digits = secret.prefix { $0.isASCII && $0.isNumber }
                    if !digits.isEmpty, digits.count <= 5, let after = secret.dropFirst(digits.count).first,
                        after == "/" || after == "\\"
                    {
                        continue
                    }
                case .ipv6:
                    // A trailing ":" belongs to the sentence, not the address.
                    guard let address = Self.ipv6(secret) else { continue }
                    range.length = address.utf16.count
                }
                replace(range)
            }
            guard changed else { continue }
            rebuilt += ns.substring(from: cursor)
            result = rebuilt
            marked = true
        }
        return result
    }

    /// The first match of `rule` in `text` at or after `start`. With `runs` (ASCII text, a rule
    /// that begins at the runs holding its hints), the regex is tried anchored at each run that
    /// holds a hint at or after `start` (at `start` itself when that run began before it), in
    /// order: the first to match is the match an unanchored search would find, as no match can
    /// begin anywhere else. ICU's search tries every position, each over the run after it: 23 µs
    /// a line for `password` on lines such as Android's `token=Token{…}`, against a few here.
    /// `next` is the first of `runs` not yet passed: the searches of one line go forward, and
    /// each starts where the last stopped.
    static func firstMatch(
        _ rule: Rule, in text: String, from start: Int, length: Int, runs: [(start: Int, hint: Int)]?, next: inout Int,
        window: Int = searchWindow
    ) -> NSTextCheckingResult? {
        guard let runs else { return search(rule.regex, in: text, from: start, length: length, window: window) }
        while next < runs.count, runs[next].hint < start { next += 1 }
        var tried = -1
        var index = next
        while index < runs.count {
            let at = max(runs[index].start, start)
            index += 1
            guard at > tried else { continue }
            tried = at
            if let match = search(rule.regex, in: text, from: at, length: length, anchored: true, window: window) {
                return match
            }
        }
        return nil
    }

    /// Where `text` holds a placeholder, from `[REDACTED:` to the `]` after it (or the end), as
    /// Foundation's search from each one onwards finds them (`RedactorSearchTests` holds it to that), in
    /// one pass over the text: that search copied the rest of a line of thousands of redactions
    /// each time. Foundation compares composed characters (a `]` with an accent after it is not
    /// a `]`, one with a joiner after it is): where what follows is not ASCII, its own search
    /// decides, over the text up to the next ASCII character.
    static func placeholders(in text: String) -> [NSRange] {
        let units = Array(text.utf16)
        let ns = text as NSString
        /// Whether Foundation's search for `needle` finds it at `start`, where it ends at `last`.
        func found(_ needle: String, _ start: Int, last: Int) -> Bool {
            guard last + 1 < units.count, units[last + 1] >= 0x80 else { return true }
            var end = last + 1
            while end < units.count, units[end] >= 0x80 { end += 1 }
            return ns.range(of: needle, range: NSRange(location: start, length: end - start)).location == start
        }
        let marker = Array("[REDACTED:".utf16)
        var spans: [NSRange] = []
        var index = 0
        while index + marker.count <= units.count {
            guard units[index] == marker[0], units[index..<(index + marker.count)].elementsEqual(marker),
                found("[REDACTED:", index, last: index + marker.count - 1)
            else {
                index += 1
                continue
            }
            var end = index + marker.count
            while end < units.count, units[end] != 0x5D || !found("]", end, last: end) { end += 1 }
            end = min(end + 1, units.count)
            spans.append(NSRange(location: index, length: end - index))
            index = end
        }
        return spans
    }

    /// `ranges` sorted and joined where they overlap or touch: what `overlaps` searches. (A line
    /// may hold tens of thousands of earlier redactions; each match was tested against them all.)
    static func disjointSpans(_ ranges: [NSRange]) -> [NSRange] {
        var spans: [NSRange] = []
        for range in ranges.sorted(by: { $0.location < $1.location }) where range.length > 0 {
            if let last = spans.last, range.location <= last.location + last.length {
                let end = max(last.location + last.length, range.location + range.length)
                spans[spans.count - 1].length = end - last.location
            } else {
                spans.append(range)
            }
        }
        return spans
    }

    /// Whether `range` shares a character with one of `spans` (sorted, disjoint): a binary search.
    static func overlaps(_ range: NSRange, _ spans: [NSRange]) -> Bool {
        var low = 0
        var high = spans.count
        // The first span that ends after `range` begins.
        while low < high {
            let middle = (low + high) / 2
            if spans[middle].location + spans[middle].length <= range.location { low = middle + 1 } else { high = middle }
        }
        return low < spans.count && spans[low].location < range.location + range.length
    }

    /// UTF-16 units a search looks at first (see `search`).
    static let searchWindow = 256

    /// The first match of `regex` in `text[start..<length]` (beginning at `start` when `anchored`):
    /// the one a search of all of the rest of the line finds, looked for in a window after `start`
    /// first, doubled while too small. A search copies its range into UTF-16 for ICU; copying the
    /// rest of the line at every search took time in the square of a line's length when it held
    /// many matches (a 1 MiB line of `key=a` pairs: minutes). A search that did not reach the
    /// window's end (ICU's hitEnd, and requireEnd), whether it found a match or not, has the
    /// answer more text after the window could not change.
    static func search(
        _ regex: NSRegularExpression, in text: String, from start: Int, length: Int, anchored: Bool = false,
        window: Int = searchWindow
    ) -> NSTextCheckingResult? {
        var size = max(1, window)
        if anchored, length - start <= size {
            // The rest of the line fits one window: searched in place. Foundation's `.anchored` may
            // then find a match past `start` (see below), which means there is none at `start`.
            let match = regex.firstMatch(in: text, options: .anchored, range: NSRange(location: start, length: length - start))
            return match?.range.location == start ? match : nil
        }
        while true {
            let end = length - start <= size ? length : start + size
            var found: NSTextCheckingResult?
            var reachedEnd = false
            // An anchored search runs on its own copy of the window, which it begins: Foundation's
            // `.anchored` compares the copy's positions with the string's, and lets a search whose
            // range does not begin the string run on past its start. (Either way no byte before
            // the range is seen, and a look-behind at its start sees nothing.)
            let piece = anchored ? (text as NSString).substring(with: NSRange(location: start, length: end - start)) : text
            // With `reportCompletion`, a search that found nothing says whether it reached the end.
            regex.enumerateMatches(
                in: piece, options: anchored ? [.anchored, .reportCompletion] : [.reportCompletion],
                range: anchored ? NSRange(location: 0, length: end - start) : NSRange(location: start, length: end - start)
            ) { match, flags, stop in
                found = found ?? match
                reachedEnd = flags.contains(.hitEnd) || flags.contains(.requiredEnd)
                if match != nil { stop.pointee = true }
            }
            if end == length || !reachedEnd { return anchored ? found?.adjustingRanges(offset: start) : found }
            size *= 2
        }
    }

    /// For ASCII `text`: each place a hint (lower-case ASCII) occurs, any case, with the start of
    /// the run of key characters (`[A-Za-z0-9_.-]`) it lies in, ordered by place. Nil for other
    /// text: ICU's case folding matches more there than ASCII does (`ſ`, `K`), so the whole
    /// regex runs.
    static func hintRuns(_ text: String, hints: [[UInt8]]) -> [(start: Int, hint: Int)]? {
        var bytes = Array(text.utf8)
        for index in bytes.indices {
            let byte = bytes[index]
            if byte >= 0x80 { return nil }
            if byte &- 0x41 < 26 { bytes[index] = byte | 0x20 }
        }
        @inline(__always) func keyCharacter(_ byte: UInt8) -> Bool {
            byte &- 0x61 < 26 || byte &- 0x30 < 10 || byte == 0x5F || byte == 0x2E || byte == 0x2D
        }
        var places: [Int] = []
        for hint in hints {
            var from = 0
            while let found = ByteSearch.first(hint, in: bytes, from: from) {
                places.append(found)
                from = found + 1
            }
        }
        places.sort()
        // One pass forward: the run a place lies in began after the last byte before it that is
        // not a key character (a walk back from each place took the square of a long run's length).
        var runs: [(start: Int, hint: Int)] = []
        runs.reserveCapacity(places.count)
        var runStart = 0
        var scanned = 0
        for place in places {
            while scanned < place {
                if !keyCharacter(bytes[scanned]) { runStart = scanned + 1 }
                scanned += 1
            }
            runs.append((runStart, place))
        }
        return runs
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        ByteSearch.first(needle, in: haystack) != nil
    }

    /// Words that name a secret when a key ends with them: `DB_PASSWORD`, `client_secret`, `GITHUB_TOKEN`.
    static let secretWords: Set<String> = [
        "password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "apikey", "accesskey", "secretkey",
        "privatekey", "accountkey",
    ]
    /// Words that make a following `key` name a secret: `api_key`, `SecretAccessKey`, `x-api-key`.
    static let keyQualifiers: Set<String> = [
        "api", "access", "secret", "private", "account", "client", "master", "encryption", "signing", "shared",
        "auth",
    ]
    /// Values that stand for no secret.
    static let placeholders: Set<String> = ["null", "nil", "none", "true", "false", "undefined", "[filtered]"]

    /// Whether `key` (with `value`) names a secret. Keys are split into words at `_`, `-`, `.` and
    /// lower-to-upper case changes; the last word decides, so `DB_PASSWORD`, `SECRET_KEY` and
    /// `SecretAccessKey` count, and `password_length`, `token_count` and `keyguardActive` do not.
    static func secretKey(_ key: String, value: String) -> Bool {
        var words: [String] = []
        var word = ""
        var previousLower = false
        for character in key {
            if character == "_" || character == "-" || character == "." {
                if !word.isEmpty { words.append(word) }
                word = ""
                previousLower = false
                continue
            }
            if character.isUppercase, previousLower {
                words.append(word)
                word = ""
            }
            previousLower = character.isLowercase || character.isNumber
            word += character.lowercased()
        }
        if !word.isEmpty { words.append(word) }
        guard let last = words.last else { return false }
        let lowered = value.lowercased()
        if value.isEmpty || placeholders.contains(lowered) || value.allSatisfy({ $0 == "*" }) { return false }
        let passwordLike =
            ["password", "passwd", "pass", "passphrase", "secret"].contains(last)
            || last.hasSuffix("password") || last.hasSuffix("secret")
        if passwordLike { return true }
        if last == "pwd" {
            return !value.hasPrefix("/") && !value.hasPrefix("~")  // sudo's PWD=/home/…: a folder
        }
        let tokenLike =
            secretWords.contains(last) || last.hasSuffix("token") || last.hasSuffix("apikey")
            || (last == "key" && words.count >= 2 && keyQualifiers.contains(words[words.count - 2]))
        guard tokenLike else { return false }
        // A token or key looks like one: `token=Token{a64f992 …}` and `token: android.os.BinderProxy@1`
        // are objects printed by name, not credentials.
        return value.count >= 8
            && value.utf8.allSatisfy { byte in
                (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10 || "._~+/=:-".utf8.contains(byte) || byte == 0x5F
            }
    }

    /// The IPv6 address `text` is (or is with one trailing ":" less), as it stands in the text.
    static func ipv6(_ text: String) -> String? {
        var candidate = text
        for _ in 0..<2 {
            guard candidate.contains("::") || candidate.filter({ $0 == ":" }).count == 7 else { return nil }
            var address = in6_addr()
            if inet_pton(AF_INET6, candidate, &address) == 1 { return candidate }
            guard candidate.hasSuffix(":") else { return nil }
            candidate.removeLast()
        }
        return nil
    }

    /// Redacts every string inside a value.
    public func redact(_ value: Value, counts: inout OrderedDictionary<String, Int>) -> Value {
        switch value {
        case .string(let text): return .string(redact(text, counts: &counts))
        case .array(let items): return .array(items.map { redact($0, counts: &counts) })
        case .object(let fields): return .object(fields.mapValues { redact($0, counts: &counts) })
        default: return value
        }
    }
}
