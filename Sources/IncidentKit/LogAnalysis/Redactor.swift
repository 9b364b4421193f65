import Foundation
import OrderedCollections

/// Replaces secrets with `[REDACTED:<kind>]` and counts them by kind (SPEC "Secrets").
public struct Redactor: Sendable {
    struct Rule: @unchecked Sendable {
        var kind: String
        var regex: NSRegularExpression
        /// The capture group holding the secret; 0 is the whole match.
        var group: Int
    }

    let rules: [Rule]
    let allow: Set<String>

    public init(config: Config = Config()) throws {
        var rules = Self.builtIn
        for pattern in config.redactPatterns {
            do {
                rules.append(Rule(kind: pattern.name, regex: try NSRegularExpression(pattern: pattern.regex), group: 0))
            } catch {
                throw IncidentError.failure(
                    "\(Config.fileName): redact pattern '\(pattern.name)' is not a valid regular expression: \(pattern.regex)"
                )
            }
        }
        if config.redactPII { rules += Self.pii }
        self.rules = rules
        self.allow = Set(config.redactAllow)
    }

    private static func rule(_ kind: String, _ pattern: String, group: Int = 0) -> Rule {
        Rule(kind: kind, regex: try! NSRegularExpression(pattern: pattern), group: group)
    }

    static let builtIn: [Rule] = [
        rule("private-key", "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
        rule("github-token", "\\bgh[pousr]_[A-Za-z0-9]{36,255}\\b"),
        rule("github-token", "\\bgithub_pat_[A-Za-z0-9_]{22,255}\\b"),
        rule("aws-access-key-id", "\\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\\b"),
        rule(
            "aws-secret-access-key",
            "(?i)aws_?secret_?(?:access_?)?key[\"']?\\s*[:=]\\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", group: 1),
        rule("gcp-api-key", "\\bAIza[0-9A-Za-z_\\-]{35}(?![0-9A-Za-z_\\-])"),
        rule("slack-webhook", "https://hooks\\.slack\\.com/(?:services|workflows)/[A-Za-z0-9/_\\-]+"),
        rule("slack-token", "\\bxox[abposr]-[A-Za-z0-9\\-]{10,}"),
        rule("jwt", "\\beyJ[A-Za-z0-9_\\-]{5,}\\.eyJ[A-Za-z0-9_\\-]{5,}\\.[A-Za-z0-9_\\-]{5,}"),
        rule("bearer-token", "(?i)\\bbearer\\s+([A-Za-z0-9._~+/\\-]{8,}=*)", group: 1),
        rule("url-credentials", "\\b[a-zA-Z][a-zA-Z0-9+.\\-]*://[^:/@\\s\"']*:([^@/\\s\"']+)@", group: 1),
        rule(
            "password",
            "(?i)[\"']?\\b(?:password|passwd|pwd|pass|secret|client_secret|api_key|apikey|access_token|auth_token|private_key)\\b[\"']?\\s*[:=]\\s*[\"']?([^\\s\"',;&}]+)",
            group: 1),
    ]

    static let pii: [Rule] = [
        rule("email", "\\b[A-Za-z0-9._%+\\-]+@[A-Za-z0-9.\\-]+\\.[A-Za-z]{2,}\\b"),
        rule(
            "ip-address", "\\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\b"),
    ]

    /// Redacts `text`, adding what it replaced to `counts`.
    public func redact(_ text: String, counts: inout OrderedDictionary<String, Int>) -> String {
        var result = text
        for rule in rules {
            let ns = result as NSString
            let matches = rule.regex.matches(in: result, range: NSRange(location: 0, length: ns.length))
            guard !matches.isEmpty else { continue }
            var rebuilt = ""
            var cursor = 0
            for match in matches {
                let range = match.range(at: rule.group)
                guard range.location != NSNotFound else { continue }
                let secret = ns.substring(with: range)
                if allow.contains(secret) || secret.hasPrefix("[REDACTED:") { continue }
                rebuilt += ns.substring(with: NSRange(location: cursor, length: range.location - cursor))
                rebuilt += "[REDACTED:\(rule.kind)]"
                cursor = range.location + range.length
                counts[rule.kind, default: 0] += 1
            }
            rebuilt += ns.substring(from: cursor)
            result = rebuilt
        }
        return result
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
