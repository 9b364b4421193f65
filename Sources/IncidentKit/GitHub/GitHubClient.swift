import Foundation
import OrderedCollections

/// Where and how to reach GitHub's REST API.
public struct GitHubSettings: Sendable {
    public var apiURL: String
    public var token: String
    public var connectTimeout: TimeInterval = 10
    public var timeout: TimeInterval = 30
    /// The longest single wait for a rate limit or a backoff.
    public var maxWait: TimeInterval = 60
    /// Tries per request (the first and the retries); a connect failure (refused, DNS) gets at most two.
    public var attempts = 4

    public init(apiURL: String, token: String) {
        self.apiURL = apiURL
        self.token = token
    }
}

/// An issue as GitHub reports it.
public struct GitHubIssue: Sendable, Equatable {
    public var number: Int
    public var url: String
    public var state: String
    public var body: String
    public var title: String = ""
    public var labels: [String] = []
}

/// A request whose outcome is unknown (timeout, dropped connection, 5xx after it was sent): the
/// server may have acted on it. Creation callers look for their marker before posting again.
public struct UnknownOutcome: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// GitHub's REST API v3 over an `HTTPClient`, with GitHub's retry rules and one-sentence errors.
public struct GitHubClient: Sendable {
    let http: any HTTPClient
    let settings: GitHubSettings
    let env: Environment
    /// `--verbose`: one line per request and per response, token masked.
    let trace: (@Sendable (String) -> Void)?

    public init(
        http: any HTTPClient, settings: GitHubSettings, env: Environment, trace: (@Sendable (String) -> Void)?
    ) throws {
        self.http = http
        self.settings = settings
        self.env = env
        self.trace = trace
        try Self.checkTransport(settings.apiURL)
    }

    /// The token goes over plain http only to this machine (a local test server).
    public static func checkTransport(_ apiURL: String, source: String = "github.api_url") throws {
        guard let components = URLComponents(string: apiURL), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw IncidentError.usage("\(source) '\(apiURL)' is not a URL such as https://api.github.com.")
        }
        if scheme == "http" && !isLoopback(host) {
            throw IncidentError.usage(
                "\(source) '\(apiURL)' is plain http; the token is sent only over https (plain http only to 127.0.0.1 or localhost)."
            )
        }
        if scheme != "http" && scheme != "https" {
            throw IncidentError.usage("\(source) '\(apiURL)' must be an https URL.")
        }
    }

    /// Only a parsed 127.0.0.0/8 address, `::1` or `localhost` is this machine; `127.evil.example`
    /// and `127.0.0.1.evil.example` are names anybody can point anywhere.
    static func isLoopback(_ rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "localhost." { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
        }
        return false
    }

    // MARK: - Endpoints

    public struct RepoInfo: Sendable {
        public var isPrivate: Bool
        public var hasIssues: Bool
    }

    public func repo(_ repo: String) throws -> RepoInfo {
        let value = try call("GET", "/repos/\(repo)", repo: repo).value
        return RepoInfo(isPrivate: value["private"] != .bool(false), hasIssues: value["has_issues"] != .bool(false))
    }

    /// Creates an issue. Never retried after an unknown outcome: that throws `UnknownOutcome`.
    public func createIssue(_ repo: String, fields: Value) throws -> GitHubIssue {
        try issue(from: call("POST", "/repos/\(repo)/issues", body: fields, repo: repo, retryUnknown: false).value)
    }

    public func getIssue(_ repo: String, number: Int) throws -> GitHubIssue {
        try issue(from: call("GET", "/repos/\(repo)/issues/\(number)", repo: repo).value)
    }

    public func updateIssue(_ repo: String, number: Int, fields: Value) throws -> GitHubIssue {
        try issue(from: call("PATCH", "/repos/\(repo)/issues/\(number)", body: fields, repo: repo).value)
    }

    /// Closes an issue with a `state_reason`. A server that refuses `duplicate` (an older Enterprise
    /// Server) gets `not_planned` instead. Returns the reason GitHub took.
    public func closeIssue(_ repo: String, number: Int, reason: String) throws -> String {
        do {
            _ = try call(
                "PATCH", "/repos/\(repo)/issues/\(number)",
                body: ["state": "closed", "state_reason": .string(reason)], repo: repo,
                unprocessableIsError: reason != "duplicate")
            return reason
        } catch GitHubUnprocessable.refused {
            _ = try updateIssue(repo, number: number, fields: ["state": "closed", "state_reason": "not_planned"])
            return "not_planned"
        }
    }

    /// Adds labels to an issue (GitHub creates a label it does not know).
    public func addLabels(_ repo: String, number: Int, _ labels: [String]) throws {
        _ = try call(
            "POST", "/repos/\(repo)/issues/\(number)/labels", body: ["labels": .strings(labels)], repo: repo)
    }

    /// Removes a label from an issue; one it does not carry is no error.
    public func removeLabel(_ repo: String, number: Int, _ label: String) throws {
        do {
            _ = try call(
                "DELETE", "/repos/\(repo)/issues/\(number)/labels/\(Self.pathSegment(label))", repo: repo,
                notFoundIsError: false)
        } catch GitHubNotFound.notFound {}
    }

    /// A label or other name as one URL path segment.
    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? text
    }

    /// Adds a comment. A comment posted twice is a nuisance, not a corruption: retried like a read.
    public func comment(_ repo: String, number: Int, body: String) throws {
        _ = try call("POST", "/repos/\(repo)/issues/\(number)/comments", body: ["body": .string(body)], repo: repo)
    }

    /// The repo's issues, newest first, following `Link: rel="next"` for at most `pages` pages.
    public func recentIssues(_ repo: String, pages: Int = 3) throws -> [GitHubIssue] {
        var issues: [GitHubIssue] = []
        var path: String? = "/repos/\(repo)/issues?state=all&sort=created&direction=desc&per_page=100"
        var page = 0
        while let current = path, page < pages {
            let result = try call("GET", current, repo: repo)
            issues += try (result.value.array ?? []).map(issue(from:))
            // A next page on another origin is not followed: the token goes only to the API it is for.
            path = Self.nextLink(result.headers["link"]).flatMap { sameOriginPath($0) }
            page += 1
        }
        return issues
    }

    /// The issue whose body carries `marker`, among the most recent ones (search lags; listing does not).
    public func findIssue(_ repo: String, marker: String) throws -> GitHubIssue? {
        try recentIssues(repo).first { $0.body.contains(marker) }
    }

    /// Creates each label the repo does not have yet.
    public func ensureLabels(_ repo: String, _ labels: [String]) throws {
        for label in labels {
            do {
                _ = try call(
                    "GET", "/repos/\(repo)/labels/\(Self.pathSegment(label))", repo: repo, notFoundIsError: false)
            } catch GitHubNotFound.notFound {
                do {
                    _ = try call(
                        "POST", "/repos/\(repo)/labels", body: ["name": .string(label), "color": "d73a4a"], repo: repo)
                } catch let error as IncidentError where "\(error)".contains("already_exists") {
                    continue  // created meanwhile by someone else
                }
            }
        }
    }

    func issue(from value: Value) throws -> GitHubIssue {
        guard let number = value["number"]?.int else {
            throw IncidentError.network("GitHub answered without an issue number; try again later.")
        }
        return GitHubIssue(
            number: number, url: value["html_url"]?.string ?? "", state: value["state"]?.string ?? "",
            body: value["body"]?.string ?? "", title: value["title"]?.string ?? "",
            labels: (value["labels"]?.array ?? []).compactMap { $0["name"]?.string ?? $0.string })
    }

    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") {
            if let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">") {
                return String(part[part.index(after: open)..<close])
            }
        }
        return nil
    }

    /// The path of a URL on the API's own origin (scheme, host and port, and under its base path), else nil.
    func sameOriginPath(_ url: String) -> String? {
        guard url.hasPrefix(base + "/") || url.hasPrefix(base + "?") else {
            trace?("not following a next-page link to another origin: \(Terminal.sanitized(url))")
            return nil
        }
        return String(url.dropFirst(base.count))
    }

    private var base: String { settings.apiURL.hasSuffix("/") ? String(settings.apiURL.dropLast()) : settings.apiURL }

    // MARK: - Requests

    enum GitHubNotFound: Error { case notFound }
    enum GitHubUnprocessable: Error { case refused }

    struct Result {
        var status: Int
        var value: Value
        var headers: [String: String]
    }

    func call(
        _ method: String, _ path: String, body: Value? = nil, repo: String, retryUnknown: Bool = true,
        notFoundIsError: Bool = true, unprocessableIsError: Bool = true
    ) throws -> Result {
        var request = HTTPRequest(method: method, url: path.hasPrefix("http") ? path : base + path)
        request.headers = [
            ("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28"),
            ("User-Agent", "incident/0.1 (+libcurl)"), ("Authorization", "Bearer \(settings.token)"),
        ]
        if let body {
            request.headers.append(("Content-Type", "application/json"))
            request.body = Data(JSON.encode(body, pretty: false).utf8)
        }
        request.connectTimeout = settings.connectTimeout
        request.timeout = settings.timeout

        var attempt = 0
        while true {
            attempt += 1
            trace?("→ \(method) \(request.url)")
            let response: HTTPResponse
            do {
                response = try http.send(request)
            } catch let error as HTTPTransportError {
                trace?("← \(error.message)")
                // Nothing reached the server on a connect failure, so any request may be retried, but
                // only once: a refused port or an unknown host rarely heals within seconds, and the
                // user should hear so at once, not after the whole backoff.
                let tries = error.kind == .connect ? min(2, settings.attempts) : settings.attempts
                let mayRetry = error.kind == .connect || retryUnknown
                if mayRetry && attempt < tries {
                    try backoff(attempt, of: tries, because: error.message)
                    continue
                }
                if error.kind == .unknownOutcome { throw UnknownOutcome(message: error.message) }
                throw IncidentError.network("\(error.message) `incident` can be run again safely.")
            }
            trace?(traceLine(response))
            let value = (try? YAMLJSON.parse(response.body)) ?? .null
            if (200..<300).contains(response.status) {
                return Result(status: response.status, value: value, headers: response.headers)
            }
            if let wait = rateLimitWait(response, value: value) {
                guard wait <= settings.maxWait else {
                    let reset = Time.format(env.now.addingTimeInterval(wait))
                    throw IncidentError.network(
                        "GitHub's rate limit holds until \(reset) (\(Int(wait.rounded())) s), longer than http.max_wait (\(Int(settings.maxWait)) s); run the command again after \(reset)."
                    )
                }
                if attempt < settings.attempts {
                    env.diagnostics("GitHub rate limit reached; waiting \(Int(wait.rounded())) s before trying again…")
                    env.sleep(wait)
                    continue
                }
            }
            if response.status >= 500 {
                let message = "GitHub answered \(response.status)\(Self.detail(value, response))"
                if retryUnknown && attempt < settings.attempts {
                    try backoff(attempt, of: settings.attempts, because: message)
                    continue
                }
                if !retryUnknown { throw UnknownOutcome(message: message) }
                throw IncidentError.network("\(message); GitHub may be having trouble, try again later.")
            }
            if response.status == 404 && !notFoundIsError { throw GitHubNotFound.notFound }
            if response.status == 422 && !unprocessableIsError { throw GitHubUnprocessable.refused }
            throw explain(response, value: value, repo: repo)
        }
    }

    private func backoff(_ attempt: Int, of tries: Int, because reason: String) throws {
        let base = min(pow(2.0, Double(attempt - 1)), settings.maxWait)
        let jitter = base * Double(env.random() % 1000) / 2000  // up to +50%
        let wait = min(base + jitter, settings.maxWait)
        env.diagnostics(
            "\(reason); retrying in \(String(format: "%.1f", wait)) s (try \(attempt + 1) of \(tries))…")
        env.sleep(wait)
    }

    /// How long GitHub asks us to wait, when the response is a rate limit.
    func rateLimitWait(_ response: HTTPResponse, value: Value) -> TimeInterval? {
        guard response.status == 403 || response.status == 429 else { return nil }
        if let retryAfter = response.headers["retry-after"].flatMap(Double.init) { return max(retryAfter, 0) }
        if response.headers["x-ratelimit-remaining"] == "0",
            let reset = response.headers["x-ratelimit-reset"].flatMap(Double.init)
        {
            return max(reset - env.now.timeIntervalSince1970, 0) + 1
        }
        let message = value["message"]?.string?.lowercased() ?? ""
        if response.status == 429 || message.contains("rate limit") { return 60 }
        return nil
    }

    private func explain(_ response: HTTPResponse, value: Value, repo: String) -> IncidentError {
        let detail = Self.detail(value, response)
        switch response.status {
        case 401:
            return .auth("GitHub rejected the token (401\(detail)); set a valid GH_TOKEN or run `gh auth login`.")
        case 403:
            return .auth(
                "the token may not do this on \(repo) (403\(detail)); it needs Issues read and write (fine-grained token) or the repo scope (classic)."
            )
        case 404:
            return .auth(
                "\(repo) was not found, or the token cannot see it (404); check --repo and the token's repository access."
            )
        case 410:
            return .failure(
                "issues are disabled on \(repo) (410); enable them in the repository settings, or use --repo.")
        case 422:
            let errors = (value["errors"]?.array ?? []).map { error -> String in
                let field = error["field"]?.string.map { "'\($0)'" } ?? "a field"
                let code = error["code"]?.string ?? "invalid"
                let bad = error["value"]?.string.map { " (\($0))" } ?? ""
                return error["message"]?.string ?? "\(field) is \(code.replacingOccurrences(of: "_", with: " "))\(bad)"
            }
            let list = errors.isEmpty ? "" : ": " + errors.joined(separator: "; ")
            return .failure(
                "GitHub rejected the request (422 \(value["message"]?.string ?? "Unprocessable Entity"))\(list).")
        default:
            return .failure("GitHub answered \(response.status)\(detail).")
        }
    }

    /// GitHub's own message, or a note that the body was not JSON.
    static func detail(_ value: Value, _ response: HTTPResponse) -> String {
        if let message = value["message"]?.string { return ": \(message)" }
        if response.body.isEmpty { return "" }
        let type = response.headers["content-type"] ?? "unknown type"
        return " with a non-JSON body (\(type.split(separator: ";").first ?? ""))"
    }

    private func traceLine(_ response: HTTPResponse) -> String {
        var parts = [
            "← \(response.status) in \(String(format: "%.2f", response.duration)) s (HTTP/\(response.httpVersion))"
        ]
        if let remaining = response.headers["x-ratelimit-remaining"] {
            parts.append("x-ratelimit-remaining=\(remaining)")
        }
        if let reset = response.headers["x-ratelimit-reset"].flatMap(Double.init) {
            parts.append("x-ratelimit-reset=\(Time.format(Date(timeIntervalSince1970: reset)))")
        }
        if let retry = response.headers["retry-after"] { parts.append("retry-after=\(retry)") }
        return parts.joined(separator: " ")
    }
}

/// JSON response bodies read into `Value` with Foundation's decoder.
enum YAMLJSON {
    static func parse(_ data: Data) throws -> Value {
        try JSONDecoder().decode(DecodedValue.self, from: data).value
    }
}

private struct DecodedValue: Decodable {
    let value: Value

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let flag = try? container.decode(Bool.self) {
            value = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            value = .int(number)
        } else if let number = try? container.decode(Double.self) {
            value = .double(number)
        } else if let text = try? container.decode(String.self) {
            value = .string(text)
        } else if let items = try? container.decode([DecodedValue].self) {
            value = .array(items.map(\.value))
        } else {
            let fields = try container.decode([String: DecodedValue].self)
            value = .object(
                OrderedDictionary(uniqueKeysWithValues: fields.keys.sorted().map { ($0, fields[$0]!.value) }))
        }
    }
}
