import Foundation
import IncidentTestSupport
import OrderedCollections
import Testing

@testable import IncidentKit

/// Every secret kind SPEC "Secrets" lists, in every place a log puts one, through the whole
/// engine (prefilter, redactor, parsing, templates, facts) and into the incident file. The test
/// secrets are built at run time from repeated characters, so no secret scanner flags this file.
@Suite struct SecretMatrixTests {
    /// How a secret is found: by its own shape (a token), or by the key in front of it.
    enum Shape: Sendable {
        /// Recognised anywhere: the line carries it under a neutral name.
        case token
        /// Recognised by `key`: the line carries `key=secret`, `"key": "secret"`, `key: secret`.
        case keyed(String)
        /// The line carries `text`, in which `secret` stands (URL credentials, auth headers, PEM).
        case phrase(String)
    }

    struct Kind: Sendable, CustomTestStringConvertible {
        var kind: String
        var secret: String
        var shape: Shape
        var testDescription: String { "\(kind) \(secret.prefix(12))…" }
    }

    static func repeated(_ text: String, _ count: Int) -> String { String(repeating: text, count: count) }

    static let kinds: [Kind] = [
        Kind(kind: "github-token", secret: "ghp_" + repeated("a1", 18), shape: .token),
        Kind(kind: "github-token", secret: "gho_" + repeated("b2", 18), shape: .token),
        Kind(
            kind: "github-token", secret: "github_pat_11" + repeated("C", 20) + "_" + repeated("d4", 29), shape: .token),
        Kind(kind: "aws-access-key-id", secret: "AKIA" + repeated("Q7", 8), shape: .token),
        Kind(kind: "aws-access-key-id", secret: "ASIA" + repeated("Z3", 8), shape: .token),
        Kind(kind: "aws-secret-access-key", secret: repeated("wJ/7", 10), shape: .keyed("aws_secret_access_key")),
        Kind(kind: "aws-secret-access-key", secret: repeated("Xk+9", 10), shape: .keyed("SecretAccessKey")),
        Kind(kind: "gcp-api-key", secret: "AIza" + repeated("Sy", 17) + "Q", shape: .token),
        Kind(kind: "google-oauth-token", secret: "ya29." + repeated("a0Ad", 8), shape: .token),
        Kind(kind: "slack-token", secret: "xoxb-" + repeated("1", 12) + "-" + repeated("x7", 12), shape: .token),
        Kind(kind: "slack-token", secret: "xoxp-" + repeated("2", 12) + "-" + repeated("y8", 12), shape: .token),
        Kind(kind: "slack-token", secret: "xoxa-" + repeated("3", 12) + "-" + repeated("z9", 12), shape: .token),
        Kind(kind: "slack-token", secret: "xoxr-" + repeated("4", 12) + "-" + repeated("w6", 12), shape: .token),
        Kind(
            kind: "slack-webhook",
            secret: "https://hooks.slack.com/services/T" + repeated("0", 8) + "/B" + repeated("1", 8) + "/"
                + repeated("hK", 12), shape: .token),
        Kind(kind: "stripe-key", secret: "sk_live_" + repeated("51Hq", 6), shape: .token),
        Kind(kind: "stripe-key", secret: "rk_live_" + repeated("62Jr", 6), shape: .token),
        Kind(kind: "stripe-key", secret: "sk_test_" + repeated("73Ks", 6), shape: .token),
        Kind(kind: "openai-key", secret: "sk-" + repeated("T3Bl", 12), shape: .token),
        Kind(kind: "openai-key", secret: "sk-proj-" + repeated("a9_B", 12), shape: .token),
        Kind(kind: "npm-token", secret: "npm_" + repeated("n5", 18), shape: .token),
        Kind(kind: "sendgrid-key", secret: "SG." + repeated("sG", 11) + "." + repeated("k1", 21), shape: .token),
        Kind(
            kind: "jwt", secret: "eyJ" + repeated("hb", 10) + ".eyJ" + repeated("zd", 10) + "." + repeated("Sf", 12),
            shape: .token),
        Kind(kind: "azure-key", secret: repeated("Az0+", 11) + "==", shape: .keyed("AccountKey")),
        Kind(kind: "password", secret: "Hunter2-Orange-Violet", shape: .keyed("password")),
        Kind(kind: "password", secret: "Hunter3-Lemon-Teal", shape: .keyed("passwd")),
        Kind(kind: "password", secret: "Hunter4-Plum-Amber", shape: .keyed("DB_PASSWORD")),
        Kind(kind: "password", secret: "Hunter5-Pear-Cobalt", shape: .keyed("POSTGRES_PASSWORD")),
        Kind(kind: "password", secret: "Hunter6-Fig-Scarlet", shape: .keyed("SECRET_KEY")),
        Kind(kind: "password", secret: "Hunter7-Kiwi-Indigo", shape: .keyed("client_secret")),
        Kind(kind: "password", secret: repeated("k3Y", 8), shape: .keyed("api_key")),
        Kind(kind: "password", secret: repeated("x4P", 8), shape: .keyed("x-api-key")),
        Kind(kind: "password", secret: repeated("t0K", 8), shape: .keyed("access_token")),
        Kind(kind: "password", secret: repeated("g1T", 8), shape: .keyed("GITHUB_TOKEN")),
        Kind(
            kind: "url-credentials", secret: "p@ss/w0rd-Mango",
            shape: .phrase("postgres://svc:p@ss/w0rd-Mango@db.internal:5432/app")),
        Kind(
            kind: "url-credentials", secret: "R3d1s-Melon-Key", shape: .phrase("redis://:R3d1s-Melon-Key@cache:6379/0")),
        Kind(
            kind: "bearer-token", secret: repeated("bE4r", 8),
            shape: .phrase("Authorization: Bearer " + repeated("bE4r", 8))),
        Kind(
            kind: "basic-auth", secret: repeated("dXNl", 6) + "==",
            shape: .phrase("Authorization: Basic " + repeated("dXNl", 6) + "==")),
        Kind(
            kind: "private-key", secret: "MIIEowIBAAKCAQEA" + repeated("q8", 20),
            shape: .phrase(
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + repeated("q8", 20)
                    + "\n-----END RSA PRIVATE KEY-----")),
    ]

    /// The places a log puts a secret; each returns the log text for (kind) in it.
    enum Context: String, CaseIterable, Sendable {
        case plain, jsonLine, escapedJSON, logfmt, url, header

        func line(_ kind: Kind) -> String {
            let time = "2026-11-30T10:00:01Z"
            let (key, value): (String, String)
            switch kind.shape {
            case .token: (key, value) = ("detail", kind.secret)
            case .keyed(let name): (key, value) = (name, kind.secret)
            case .phrase(let text):
                // The phrase as it stands: in a message, a JSON field, an escaped JSON string, a header.
                switch self {
                case .plain, .header: return "\(time) ERROR upstream call failed: \(text)\n"
                case .jsonLine:
                    return
                        "{\"time\":\"\(time)\",\"level\":\"error\",\"msg\":\"upstream call failed: \(escape(text))\"}\n"
                case .escapedJSON:
                    let inner = "{\"conn\": \"\(escape(text))\"}"
                    return "{\"time\":\"\(time)\",\"level\":\"error\",\"msg\":\"upstream replied \(escape(inner))\"}\n"
                case .logfmt:
                    return "time=\(time) level=error msg=\"upstream call failed\" detail=\"\(escape(text))\"\n"
                case .url: return "\(time) ERROR GET https://api.example.com/v1/x?next=\(text) failed\n"
                }
            }
            switch self {
            case .plain: return "\(time) ERROR upstream call failed with \(key)=\(value) for svc\n"
            case .jsonLine:
                return
                    "{\"time\":\"\(time)\",\"level\":\"error\",\"msg\":\"upstream call failed\",\"\(key)\":\"\(value)\"}\n"
            case .escapedJSON:
                let inner = "{\"\(key)\": \"\(value)\", \"user\": \"svc\"}"
                return "{\"time\":\"\(time)\",\"level\":\"error\",\"msg\":\"upstream replied \(escape(inner))\"}\n"
            case .logfmt: return "time=\(time) level=error msg=\"upstream call failed\" \(key)=\(value) user=svc\n"
            case .url: return "\(time) ERROR GET https://api.example.com/v1/items?\(key)=\(value)&page=2 failed\n"
            case .header: return "\(time) ERROR request failed; headers: \(key): \(value)\n"
            }
        }

        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
    }

    static let now = Time.parse("2026-12-01T00:00:00Z")!

    /// Every text the analysis hands on: what `analyze --json` prints and what the incident file is built from.
    static func outputs(_ analysis: LogAnalysis) -> String {
        var texts = [JSON.encode(analysis.toValue()), analysis.title, analysis.environment ?? ""]
        texts += analysis.services + analysis.sourceLocations + analysis.warnings
        for event in analysis.events { texts += [event.template, event.example, event.source ?? ""] }
        return texts.joined(separator: "\n")
    }

    /// The secret, and eight characters from its middle and its end (a partial leak is a leak).
    static func leaks(_ secret: String, in text: String) -> [String] {
        var pieces = [secret]
        if secret.count >= 16 {
            pieces += [String(secret.dropFirst(secret.count / 2 - 4).prefix(8)), String(secret.suffix(8))]
        }
        return pieces.filter { text.contains($0) }
    }

    @Test(arguments: kinds, Context.allCases)
    func eachKindIsRedactedInEachContext(kind: Kind, context: Context) {
        let line = context.line(kind)
        let analysis = LogAnalyzer(redactor: try! Redactor(), now: Self.now).analyze(
            Data(("2026-11-30T10:00:00Z INFO warming up\n" + line).utf8))
        let out = Self.outputs(analysis)
        #expect(Self.leaks(kind.secret, in: out).isEmpty, "\(line)→\n\(analysis.primary?.example ?? "")")
        #expect(analysis.redactions[kind.kind] ?? 0 >= 1, "\(line)→ \(analysis.redactions)")
        #expect(out.contains("[REDACTED:\(kind.kind)]"))
    }

    /// The incident file `new` writes from a log holding the kind in every context.
    @Test(arguments: kinds)
    func theIncidentFileHoldsNoSecret(kind: Kind) throws {
        let repo = try TestRepo(git: false)
        try repo.write("app.log", Context.allCases.map { $0.line(kind) }.joined())
        let workspace = try Workspace.open(repo.environment(now: Self.now), directory: nil)
        var request = NewIncidentRequest()
        request.fromLog = "app.log"
        let result = try NewIncidentWorkflow(workspace: workspace).run(request)
        let file = try repo.read(result.incident.relativePath)
        #expect(Self.leaks(kind.secret, in: file).isEmpty, "\(file)")
        #expect(Self.leaks(kind.secret, in: JSON.encode(result.toValue())).isEmpty)
        #expect(result.redactions[kind.kind] ?? 0 >= Context.allCases.count - 1, "\(result.redactions)")
    }

    @Test func newRedactsTheEnvironmentAndServicesItIsGiven() throws {
        let repo = try TestRepo(git: false)
        let secret = "Hunter8-Lime-Ochre"
        let workspace = try Workspace.open(repo.environment(now: Self.now), directory: nil)
        var request = NewIncidentRequest()
        request.title = "Checkout down"
        request.environment = "prod password=\(secret)"
        request.services = ["redis://:\(secret)@cache:6379", "api"]
        let result = try NewIncidentWorkflow(workspace: workspace).run(request)
        let file = try repo.read(result.incident.relativePath)
        #expect(!file.contains(secret), "\(file)")
        #expect(result.redactions == ["password": 1, "url-credentials": 1])
        #expect(result.incident.document.services.last == "api")
    }

    // MARK: - The config's patterns, PII and allow list, never skipped by the prefilter

    func analyze(_ text: String, config: Config) -> LogAnalysis {
        LogAnalyzer(redactor: try! Redactor(config: config), now: Self.now).analyze(Data(text.utf8))
    }

    @Test(arguments: Context.allCases)
    func configPatternsApplyToLinesThePrefilterPasses(context: Context) {
        var config = Config()
        config.redactPatterns = [.init(name: "ticket", regex: "INT-[0-9]{4}")]
        let kind = Kind(kind: "ticket", secret: "INT-4242", shape: .phrase("INT-4242"))
        let line = context.line(kind)
        #expect(Array(line.dropLast().utf8).withUnsafeBufferPointer { Triggers.scan($0) } == .plain, "\(line)")
        let analysis = analyze(line, config: config)
        #expect(!Self.outputs(analysis).contains("INT-4242"), "\(line)")
        #expect(analysis.redactions["ticket"] == 1)
    }

    @Test(arguments: [
        ("dana@example.com", "email"), ("10.1.2.3", "ip-address"), ("2001:db8::8a2e:370:7334", "ip-address"),
        ("fe80::1", "ip-address"), ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip-address"),
    ])
    func piiIsRedactedOnEveryLineWhenAskedAndOnlyThen(value: String, kind: String) {
        var config = Config()
        config.redactPII = true
        for context in Context.allCases {
            let line = context.line(Kind(kind: kind, secret: value, shape: .phrase(value)))
            let analysis = analyze(line, config: config)
            #expect(!Self.outputs(analysis).contains(value), "\(context): \(line)")
            #expect(analysis.redactions[kind] ?? 0 >= 1, "\(context): \(analysis.redactions)")
            #expect(analyze(line, config: Config()).redactions.isEmpty, "\(line)")
        }
    }

    @Test(arguments: [
        "2026-11-30T10:00:01Z INFO took 12:34:56 at 00:1a:2b:3c:4d:5e", "std::vector<int> at A::B",
        "version 1.2.3 build 4",
    ])
    func piiLeavesTimesMACsAndCodeAlone(line: String) {
        var config = Config()
        config.redactPII = true
        #expect(analyze(line + "\n", config: config).redactions.isEmpty)
    }

    /// The built-in rules compile when a line first needs them: each must compile, whether or not
    /// a test above reaches it.
    @Test func everyBuiltInRuleCompiles() {
        let rules = Redactor.builtInRules + Redactor.pii
        #expect(rules.count >= 20)
        for rule in rules { #expect(rule.compiled.regex != nil, "\(rule.kind): \(rule.compiled.pattern)") }
    }

    @Test func allowedLiteralsAreNeverRedacted() {
        var config = Config()
        let token = "ghp_" + Self.repeated("0", 36)
        config.redactAllow = [token, "postgres://app:devpass@localhost:5432/app", "dev@example.com"]
        config.redactPII = true
        let log = """
            2026-11-30T10:00:01Z ERROR sample token \(token) rejected
            {"level":"error","msg":"sample token \(token) rejected"}
            2026-11-30T10:00:02Z ERROR connect postgres://app:devpass@localhost:5432/app failed; mail dev@example.com
            2026-11-30T10:00:03Z ERROR connect postgres://app:Hunter9-Rose@db:5432/app failed; mail ops@example.com

            """
        let analysis = analyze(log, config: config)
        let out = Self.outputs(analysis)
        #expect(out.contains(token) && out.contains("app:devpass@localhost") && out.contains("dev@example.com"))
        #expect(!out.contains("Hunter9-Rose") && !out.contains("ops@example.com"))
        #expect(analysis.redactions == ["url-credentials": 1, "email": 1])
    }

    // MARK: - No false redactions

    @Test(arguments: [
        "2026-11-30T10:00:01Z INFO token=Token{a64f992 u0 com.android/.Main t12}",  // Android objects
        "2026-11-30T10:00:01Z INFO sudo: dana : TTY=pts/0 ; PWD=/home/dana ; USER=root ; COMMAND=/bin/ls",
        "2026-11-30T10:00:01Z INFO keyguardActive=false keycode=3 key=0|com.tencent.mm|409",
        "2026-11-30T10:00:01Z INFO password_length=12 token_count=5 bypass=true max_tokens=100",
        "2026-11-30T10:00:01Z WARN Bearer authentication failed: token expired",
        "2026-11-30T10:00:01Z INFO pip install scikit-learn sk-learn task-runner disk-usage",
        "2026-11-30T10:00:01Z INFO fetched http://mirror:8080/pkgs/@scope/pkg",
        "2026-11-30T10:00:01Z INFO the password field was empty; Failed password for invalid user admin",
        "2026-11-30T10:00:01Z INFO token: android.os.BinderProxy@7e8f1a2",
        #"{"level":"info","msg":"login ok","password":"","token":null,"secret":"***"}"#,
        "2026-11-30T10:00:01Z INFO secretName=db-creds secret_ref=vault://kv/app authorization_mode=rbac",
    ])
    func ordinaryLogContentIsNotRedacted(line: String) {
        let analysis = LogAnalyzer(redactor: try! Redactor(), now: Self.now).analyze(Data((line + "\n").utf8))
        #expect(analysis.redactions.isEmpty, "\(analysis.primary?.example ?? "")")
    }

    /// The prefilter sees every kind, so no kind depends on a line happening to hold another trigger.
    @Test(arguments: kinds)
    func thePrefilterLetsEveryKindThrough(kind: Kind) {
        for context in Context.allCases {
            let line = context.line(kind)
            let first = line.split(separator: "\n").first.map(String.init) ?? line
            let finding = Array(first.utf8).withUnsafeBufferPointer { Triggers.scan($0) }
            #expect(finding == .secret, "\(context): \(first)")
        }
    }
}
