import Foundation
import OrderedCollections

/// The repo's `.incident.yml`, with SPEC defaults for whatever it leaves out.
public struct Config: Sendable {
    public static let fileName = ".incident.yml"
    public static let defaultStages = ["identify", "five-whys", "test-plan", "issue", "fix", "verify"]

    /// One verification command.
    public struct Check: Equatable, Sendable {
        public var name: String
        public var run: String
        public var timeout: TimeInterval?
    }

    /// An extra redaction rule from `redact.patterns`.
    public struct RedactPattern: Equatable, Sendable {
        public var name: String
        public var regex: String
    }

    /// `github:`: where and how issues are filed. Each default is here and nowhere else.
    public struct GitHub: Equatable, Sendable {
        /// The API of github.com, used when nothing names another host.
        public static let defaultAPIURL = "https://api.github.com"
        public static let defaultSeverityLabels = ["critical": "sev1", "high": "sev2", "medium": "sev3", "low": "sev4"]

        public var repo: String?
        public var apiURL: String?
        public var labels = ["incident"]
        public var severityLabels = GitHub.defaultSeverityLabels
        public var assignees: [String] = []
        public var milestone: String?
        public var commentOnAdvance = true
        public var closeOnVerify = true

        public init() {}
    }

    /// `http:`: timeouts and the longest wait for a rate limit or a backoff, in seconds.
    public struct HTTP: Equatable, Sendable {
        public var connectTimeout: TimeInterval = 10
        public var timeout: TimeInterval = 30
        public var maxWait: TimeInterval = 60

        public init() {}
    }

    /// `review:`: whether verify waits for an approved review, and how far back a repeat is linked.
    public struct Review: Equatable, Sendable {
        public var requiredBeforeVerify = false
        public var repeatWindowDays: Double = 30

        public init() {}
    }

    /// `analysis:`: how far before the first error a commit is a suspect.
    public struct Analysis: Equatable, Sendable {
        public var suspectWindowHours: Double = 24

        public init() {}
    }

    public var stages: [String] = Config.defaultStages
    public var checks: [Check] = []
    public var redactPatterns: [RedactPattern] = []
    public var redactAllow: [String] = []
    public var redactPII = false
    public var github = GitHub()
    public var http = HTTP()
    public var review = Review()
    public var analysis = Analysis()
    /// The whole file as written (unknown keys included).
    public var raw: Value = .object([:])

    public init() {}

    /// Loads `.incident.yml` from `root`; a missing file gives the defaults.
    public static func load(root: String, fileSystem: any FileSystem) throws -> Config {
        let path = root + "/" + fileName
        guard fileSystem.fileExists(path) else { return Config() }
        guard let text = String(validatingUTF8Data: try fileSystem.read(path)) else {
            throw IncidentError.failure("\(fileName) is not UTF-8; save it as UTF-8.")
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws -> Config {
        let value: Value
        do {
            value = try YAML.parse(text)
        } catch {
            throw IncidentError.failure("\(fileName):\(error.line): malformed YAML: \(error.problem).")
        }
        var config = Config()
        if value.isNull { return config }
        guard value.object != nil else {
            throw IncidentError.failure("\(fileName) must be a mapping of settings (see `incident init`).")
        }
        config.raw = value
        if let stages = value["stages"], !stages.isNull {
            guard let names = stages.array?.compactMap(\.string), names.count == stages.array?.count,
                !names.isEmpty
            else {
                throw IncidentError.failure(
                    "\(fileName): 'stages' must be a list of stage names, such as [identify, five-whys].")
            }
            for name in names where !isValidStageName(name) {
                throw IncidentError.failure(
                    "\(fileName): stage name '\(name)' may use only a-z, 0-9, '-' and '_'.")
            }
            if Set(names).count != names.count {
                throw IncidentError.failure("\(fileName): 'stages' names a stage twice.")
            }
            config.stages = names
        }
        for (index, item) in (value["verify"]?["checks"]?.array ?? []).enumerated() {
            guard let run = item["run"]?.string ?? item.string else {
                throw IncidentError.failure("\(fileName): verify.checks[\(index)] needs a 'run' command.")
            }
            config.checks.append(
                Check(
                    name: item["name"]?.string ?? run, run: run,
                    timeout: item["timeout"]?.int.map(TimeInterval.init)))
        }
        for (index, item) in (value["redact"]?["patterns"]?.array ?? []).enumerated() {
            guard let regex = item["regex"]?.string else {
                throw IncidentError.failure("\(fileName): redact.patterns[\(index)] needs a 'regex'.")
            }
            config.redactPatterns.append(RedactPattern(name: item["name"]?.string ?? "custom", regex: regex))
        }
        config.redactAllow = value["redact"]?["allow"]?.array?.compactMap(\.string) ?? []
        config.redactPII = value["redact"]?["pii"] == .bool(true)
        if let github = value["github"] {
            config.github.repo = github["repo"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            config.github.apiURL = github["api_url"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            // Written but empty (or null) means no labels; left out means the default.
            if let labels = github["labels"] { config.github.labels = labels.array?.compactMap(\.string) ?? [] }
            if let configured = github["severity_labels"]?.object {
                config.github.severityLabels = configured.reduce(into: [:]) { $0[$1.key] = $1.value.string }
            }
            config.github.assignees = github["assignees"]?.array?.compactMap(\.string) ?? []
            config.github.milestone = github["milestone"]?.string
            config.github.commentOnAdvance = github["comment_on_advance"] != .bool(false)
            config.github.closeOnVerify = github["close_on_verify"] != .bool(false)
        }
        if let http = value["http"] {
            if let seconds = http["connect_timeout"]?.numeric { config.http.connectTimeout = seconds }
            if let seconds = http["timeout"]?.numeric { config.http.timeout = seconds }
            if let seconds = http["max_wait"]?.numeric { config.http.maxWait = seconds }
        }
        config.review.requiredBeforeVerify = value["review"]?["required_before_verify"] == .bool(true)
        if let days = value["review"]?["repeat_window_days"]?.numeric { config.review.repeatWindowDays = days }
        if let hours = value["analysis"]?["suspect_window_hours"]?.numeric {
            config.analysis.suspectWindowHours = hours
        }
        return config
    }

    // MARK: - Flag, then config, then default

    /// `--suspect-window`, else `analysis.suspect_window_hours`, else 24.
    public func resolvedSuspectWindowHours(flag: Double?) -> Double { flag ?? analysis.suspectWindowHours }

    /// `--milestone`, else `github.milestone`.
    public func resolvedMilestone(flag: String?) -> String? { flag ?? github.milestone }

    /// `github.labels` (default `incident`), the severity's label, the template's, then `--label`s; no repeats.
    public func resolvedLabels(severity: String, template: [String], flags: [String]) -> [String] {
        var labels: [String] = []
        for label in github.labels + [github.severityLabels[severity]].compactMap({ $0 }) + template + flags
        where !label.isEmpty && !labels.contains(label) {
            labels.append(label)
        }
        return labels
    }

    /// `github.assignees`, the template's, then `--assignee`s; no repeats.
    public func resolvedAssignees(template: [String], flags: [String]) -> [String] {
        var assignees: [String] = []
        for name in github.assignees + template + flags where !assignees.contains(name) { assignees.append(name) }
        return assignees
    }

    /// `--check`s (each its own name), else `verify.checks`.
    public func resolvedChecks(flags: [String]) -> [Check] {
        flags.isEmpty ? checks : flags.map { Check(name: $0, run: $0, timeout: nil) }
    }

    /// `github.api_url`, else github.com's API.
    public func resolvedAPIURL() -> String { github.apiURL ?? GitHub.defaultAPIURL }

    static func isValidStageName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
            }
            && name != "resolved" && name != "closed"
    }

    /// The text `incident init` writes: the defaults, with what each key does. It names an API only
    /// when asked (`init --api-url`): otherwise the API follows the repo's host.
    public static func starter(apiURL: String? = nil) -> String {
        guard let apiURL else { return starter }
        return starter.replacingOccurrences(
            of: "  # api_url: https://HOST/api/v3    # only to override; by default it follows the repo's host\n",
            with: "  " + YAML.emit(["api_url": .string(apiURL)]))
    }

    static let starter = """
        # incident configuration (see the README of incident for every key).
        # The pipeline: each name is a template in templates/ (or a built-in one).
        stages: [identify, five-whys, test-plan, issue, fix, verify]
        github:
          # repo: acme/netra                 # default: from git remotes, upstream > github > origin
          # api_url: https://HOST/api/v3    # only to override; by default it follows the repo's host
          labels: [incident]
          severity_labels: {critical: sev1, high: sev2, medium: sev3, low: sev4}
          assignees: []
          milestone: null
          comment_on_advance: true
          close_on_verify: true
        http: {connect_timeout: 10, timeout: 30, max_wait: 60}
        redact:
          patterns: []                       # extra regexes to redact, as {name, regex}
          allow: []                          # literal strings never redacted
          pii: false                         # also redact e-mail and IP addresses
        verify:
          checks: []                         # e.g. {name: unit tests, run: swift test, timeout: 600}
        review:
          required_before_verify: false      # verify completes only after `incident review REF --approve`
          repeat_window_days: 30             # a repeat of a resolved incident within this many days needs review
        analysis:
          suspect_window_hours: 24           # commits this long before the first error are suspects

        """
}
