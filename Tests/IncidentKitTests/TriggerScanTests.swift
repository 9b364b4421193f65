import Foundation
import Testing

@testable import IncidentKit

/// `Triggers.scan` looks for each secret kind at one rare anchor byte, looking back as well as
/// forward. It must decide exactly as the first version did, which tried every byte that may
/// start a kind and looked forward only: that version is kept here as the reference, and the two
/// are run side by side on lines dense in near-misses of every kind.
@Suite struct TriggerScanTests {
    /// The first version of the scan, the reference the faster one is held to.
    enum Reference {
        /// Bytes that can start a trigger (letters case-folded), plus the control bytes (not TAB) and
        /// 0xC2, the lead byte of the C1 controls U+0080–U+009F: everything else is skipped at once.
        static let starts: [Bool] = {
            var table = [Bool](repeating: false, count: 256)
            for byte in Array("ghaxebpstk-:".utf8) {
                table[Int(byte)] = true
                if byte >= 0x61 && byte <= 0x7A { table[Int(byte - 0x20)] = true }
            }
            for byte in 0..<0x20 where byte != 0x09 { table[byte] = true }
            table[0x7F] = true
            table[0x23] = true  // rsyslog's "#011"
            table[0xC2] = true
            return table
        }()

        /// `starts` as a 256-bit mask held in locals: the per-byte test is two shifts, no array access.
        static let startMask: (UInt64, UInt64, UInt64, UInt64) = {
            var words: [UInt64] = [0, 0, 0, 0]
            for (byte, flag) in starts.enumerated() where flag { words[byte >> 6] |= 1 << UInt64(byte & 63) }
            return (words[0], words[1], words[2], words[3])
        }()

        /// One pass over the line: control bytes, or something that may start a secret. Key words
        /// count only where a key ends with them and a `=` or `:` follows (`DB_PASSWORD=`, `api-key:`,
        /// `"client_secret": `), as the redaction rules require: `keyguardActive=` and `auth_request:`
        /// do not call the redactor.
        static func scan(_ line: UnsafeBufferPointer<UInt8>) -> Triggers.Finding {
            let n = line.count
            let (m0, m1, m2, m3) = startMask
            var i = 0
            while i < n {
                let byte = line[i]
                let word = byte < 64 ? m0 : byte < 128 ? m1 : byte < 192 ? m2 : m3
                if (word >> UInt64(byte & 63)) & 1 == 0 {
                    i += 1
                    continue
                }
                if byte < 0x20 || byte == 0x7F { return .control }
                if byte == 0xC2 {
                    if i + 1 < n, line[i + 1] &- 0x80 < 0x20 { return .control }
                    i += 1
                    continue
                }
                if i + 3 >= n {
                    i += 1
                    continue
                }
                if byte == 0x23 {
                    if ControlSequences.syslogEscape(line, i) != nil { return .control }
                    i += 1
                    continue
                }
                let a = byte | 0x20
                let b = line[i + 1] | 0x20
                let c = line[i + 2] | 0x20
                let d = line[i + 3]
                switch a {
                case 0x67:
                    if b == 0x68 && d == 0x5F { return .secret }  // gh?_
                    if b == 0x69 && c == 0x74 && Triggers.matches(line, i, "github_pat_") { return .secret }
                case 0x61:
                    if byte == 0x41 {
                        let (b1, c1) = (line[i + 1], line[i + 2])
                        if b1 == 0x49 && c1 == 0x7A && d == 0x61 { return .secret }  // AIza
                        // AKIA, ASIA, ABIA, ACCA
                        if (b1 == 0x4B || b1 == 0x53 || b1 == 0x42) && c1 == 0x49 && d == 0x41 { return .secret }
                        if b1 == 0x43 && c1 == 0x43 && d == 0x41 { return .secret }
                    }
                    // ya29. (Google OAuth)
                    if i > 0, line[i - 1] == 0x79, line[i + 1] == 0x32, line[i + 2] == 0x39, d == 0x2E { return .secret }
                    if b == 0x75 && c == 0x74 && Triggers.matches(line, i, "authoriz", caseless: true), Triggers.keyed(line, i, run: 16) {
                        return .secret  // authorization
                    }
                case 0x78:
                    if b == 0x6F && c == 0x78 { return .secret }  // xox?-
                    if b == 0x61 && c == 0x70 && d | 0x20 == 0x70 { return .secret }  // xapp-
                case 0x68: if b == 0x6F && c == 0x6F && d | 0x20 == 0x6B { return .secret }  // hooks.slack
                case 0x65: if b == 0x79 && line[i + 2] == 0x4A { return .secret }  // eyJ
                case 0x62: if b == 0x65 && c == 0x61 && d | 0x20 == 0x72 { return .secret }  // bearer
                case 0x2D: if line[i + 1] == 0x2D && line[i + 2] == 0x2D && d == 0x2D { return .secret }  // -----BEGIN
                case 0x3A:
                    // scheme://user:pass@ and its JSON-escaped form scheme:\/\/
                    let slashes =
                        (line[i + 1] == 0x2F && line[i + 2] == 0x2F)
                        || (line[i + 1] == 0x5C && line[i + 2] == 0x2F && d == 0x5C)
                    if slashes {
                        var j = i + 3
                        while j < n, j < i + 512, line[j] != 0x20, line[j] != 0x22 {
                            if line[j] == 0x40 { return .secret }
                            j += 1
                        }
                    }
                case 0x70:
                    if b == 0x61 && c == 0x73, Triggers.keyed(line, i, run: 10) { return .secret }  // pass, passwd, password…
                    if b == 0x77 && c == 0x64, Triggers.keyed(line, i + 3) { return .secret }  // pwd
                    // npm_
                    if i > 0, line[i - 1] == 0x6E, line[i + 1] == 0x6D, line[i + 2] == 0x5F,
                        i < 2 || !Triggers.continuesWord(line[i - 2])
                    {
                        return .secret
                    }
                case 0x73:
                    if b == 0x65 && c == 0x63 {
                        if Triggers.matches(line, i, "secret", caseless: true), Triggers.keyed(line, i + 6) { return .secret }
                        if d == 0x5F, i >= 2, line[i - 2] == 0x77, line[i - 1] == 0x68 { return .secret }  // whsec_
                    }
                    if byte == 0x53 && line[i + 1] == 0x47 && line[i + 2] == 0x2E { return .secret }  // SG.
                    if b == 0x69 && c == 0x67 && d == 0x3D { return .secret }  // sig=
                case 0x74:
                    if b == 0x6F && c == 0x6B && Triggers.matches(line, i, "token", caseless: true), Triggers.keyed(line, i + 5) {
                        return .secret
                    }
                case 0x6B:
                    if b == 0x65 && c == 0x79, Triggers.keyed(line, i + 3) { return .secret }  // api_key, AccountKey
                    // sk- (OpenAI), sk_ and rk_ (Stripe)
                    if i > 0, line[i + 1] == 0x5F || (line[i + 1] == 0x2D && line[i - 1] == 0x73),
                        line[i - 1] == 0x73 || line[i - 1] == 0x72, i < 2 || !Triggers.continuesWord(line[i - 2])
                    {
                        return .secret
                    }
                default: break
                }
                i += 1
            }
            return .plain
        }
    }

    /// Fragments of every kind, whole and cut short, in both cases, with separators and
    /// look-alikes: random lines of them reach every branch of both scans.
    static let fragments: [String] = [
        "ghp_", "gho_", "GHS_", "gh", "github_pat_", "github_", "_pat_", "AKIA", "ASIA", "ABIA", "ACCA", "AIza",
        "AKI", "ya29.", "YA29.", "a29.", "y", "authorization", "Authorization", "authoriz", "authorizationheadertoolong",
        "xoxb-", "xoxp-", "XOX", "xapp-", "XAPP", "xap", "hooks.slack", "HOOK", "hoo", "eyJ", "EYJ", "ey", "J",
        "bearer", "BEAR", "bea", "-----BEGIN", "---", "-", "://", ":\\/\\/", ":/", "@", "password", "PASSWD",
        "passphrase", "bypass", "pas", "pwd", "PWD", "secret", "Secret", "secrets", "whsec_", "wh", "sec_", "SG.",
        "sg.", "S", "G.", "sig=", "SIG", "token", "TOKEN", "tokens", "token_count", "key", "KEY", "apikey", "keys",
        "monkey", "npm_", "NPM_", "nPm_", "sk_", "rk_", "sk-", "SK_", "k_", "_", "=", ":", "\"", "'", "\\", " ",
        "  ", ".", "x", "a", "b", "k", "z", "Z", "#011", "#033", "#", "#1", "é", "\u{85}", "\u{1b}[31m", "\t",
        "db", "DB_", "2", "9", "a1", "-x", ".length", "=>",
    ]

    /// Without control bytes the two scans agree exactly. With one, both send the line to be
    /// cleaned (which of `.control` and `.secret` comes first is not promised: either leads there).
    static func agree(_ line: [UInt8]) -> Bool {
        line.withUnsafeBufferPointer { bytes in
            let old = Reference.scan(bytes)
            let new = Triggers.scan(bytes)
            if ControlSequences.present(bytes) { return new != .plain && old != .plain }
            return old == new
        }
    }

    @Test func agreesWithTheReferenceOnDenseRandomLines() {
        let lines = fragmentLines(Self.fragments, count: 200_000, seed: 42, maxPieces: 8)
        let disagreeing = lines.filter { !Self.agree($0) }
        // The count, not the array: a failure shows five lines, not thousands.
        #expect(disagreeing.count == 0, "\(disagreeing.prefix(5).map { String(decoding: $0, as: UTF8.self) })")
        // The corpus is not all one answer: it holds plain lines, secrets and control bytes.
        let findings = Set(lines.prefix(5000).map { line in line.withUnsafeBufferPointer { Triggers.scan($0) } })
        #expect(findings == [.plain, .secret, .control])
    }

    @Test(arguments: [
        ("DB_PASSWORD=hunter2", Triggers.Finding.secret), ("bypass=1", .secret), ("passwordless mode", .plain),
        ("keyguardActive=true", .plain), ("token_count=3", .plain), ("\\\"token\\\": \\\"x\\\"", .secret),
        ("sig=abc", .secret), ("Authorization: Basic x", .secret), ("authorizationheadertoolong: x", .plain),
        ("id=ghp_abc", .secret), ("hooks.slack.com/services", .secret), ("npm_abc", .secret), ("xnpm_abc", .plain),
        ("sk-proj-abc", .secret), ("task-1", .plain), ("a ya29.x", .secret), ("SG.x", .secret), ("eyJhbGci", .secret),
        ("postgres://u:p@db", .secret), ("http://example.com/a", .plain), ("#011tab", .control), ("é ok", .plain),
    ])
    func decidesKnownLines(line: String, expected: Triggers.Finding) {
        #expect(Array(line.utf8).withUnsafeBufferPointer { Triggers.scan($0) } == expected)
        #expect(Self.agree(Array(line.utf8)))
    }
}
