import Foundation

#if canImport(Testing)
    import Testing
#endif

/// A GitHub REST API on loopback for tests and the demo: it checks requests the way GitHub does
/// (User-Agent, Accept, API version, Bearer auth, JSON bodies, required fields), keeps issues,
/// comments and labels in memory, and injects faults on demand.
///
/// Strict: `verify()` lists every request no route expected and every expected request that never
/// came, and every request GitHub would have rejected for its shape. Inside a test each of those
/// fails the test when the fake goes away, whether or not the test called `verify()` (set
/// `strict = false` only in a test that checks `verify()` itself).
public final class FakeGitHub: @unchecked Sendable {
    /// Failures GitHub (or the network in front of it) produces.
    public enum Fault: Sendable, Equatable {
        case badToken
        case noPermission
        case notFound
        case issuesDisabled
        case validationFailed
        /// 403 with `x-ratelimit-remaining: 0` and a reset this many seconds ahead.
        case primaryRateLimit(resetIn: Int)
        /// 429 (or 403) with `retry-after`.
        case secondaryRateLimit(retryAfter: Int)
        case badGateway
        /// An HTML error page instead of JSON.
        case htmlError(status: Int)
        /// The request is carried out, then the connection drops before any response.
        case lostResponse
        /// Carries the request out at once but answers only after this long (to trip client timeouts).
        case delay(seconds: Double)
    }

    public struct Issue: Sendable {
        public var number: Int
        public var title: String
        public var body: String
        public var state: String
        public var stateReason: String?
        public var labels: [String]
        public var assignees: [String]
        public var milestone: Int?
        public var comments: [String]
    }

    public struct Repo: Sendable {
        public var isPrivate: Bool
        public var hasIssues: Bool
        public var issues: [Issue] = []
        public var labels: Set<String> = []

        public init(isPrivate: Bool, hasIssues: Bool) {
            self.isPrivate = isPrivate
            self.hasIssues = hasIssues
        }
    }

    public let token: String
    private let lock = NSLock()
    private var repos: [String: Repo]
    private var faults: [(route: String?, fault: Fault, skip: Int)] = []
    private var expected: [String]?
    private var log: [String] = []
    private var violations: [String] = []
    private var server: LoopbackServer!
    /// The `x-ratelimit-remaining` reported on ordinary responses.
    public var rateRemaining = 4999
    /// The `state_reason` values accepted when closing or reopening; an older Enterprise server
    /// refuses `duplicate` with 422.
    public var stateReasons: Set<String> {
        get { lock.withLock { acceptedStateReasons } }
        set { lock.withLock { acceptedStateReasons = newValue } }
    }
    private var acceptedStateReasons: Set<String> = ["completed", "not_planned", "duplicate", "reopened"]

    public init(
        token: String = "test-token", repos: [String: Repo] = ["acme/netra": Repo(isPrivate: false, hasIssues: true)],
        port: UInt16 = 0
    ) throws {
        self.token = token
        self.repos = repos
        let box = HandlerBox()
        server = try LoopbackServer(port: port) { request in box.target?.handle(request) ?? .drop }
        box.target = self
    }

    /// Whether what `verify()` finds fails the running test when the fake goes away.
    public var strict: Bool {
        get { lock.withLock { isStrict } }
        set { lock.withLock { isStrict = newValue } }
    }
    private var isStrict = true

    deinit {
        server.stop()
        #if canImport(Testing)
            guard isStrict, Test.current != nil else { return }
            for problem in verify() { Testing.Issue.record("fake GitHub: \(problem)") }
        #endif
    }

    public var baseURL: String { server.baseURL }
    public var port: UInt16 { server.port }

    public func stop() { server.stop() }

    /// Makes the next `times` requests matching `route` ("POST /repos/acme/netra/issues", or nil for
    /// any) fail with `fault`, after letting `after` of them through.
    public func inject(_ fault: Fault, on route: String? = nil, times: Int = 1, after: Int = 0) {
        lock.withLock {
            for index in 0..<times { faults.append((route, fault, index == 0 ? after : 0)) }
        }
    }

    /// The exact requests ("METHOD /path", query left out) the test expects, in order.
    public func expect(_ requests: [String]) { lock.withLock { expected = requests } }

    /// Problems: shape violations, unexpected requests, expected requests that never came.
    public func verify() -> [String] {
        lock.withLock {
            var problems = violations
            if let expected, expected != log {
                problems.append("expected requests \(expected), got \(log)")
            }
            return problems
        }
    }

    public var requests: [String] { lock.withLock { log } }

    public func issues(_ repo: String) -> [Issue] { lock.withLock { repos[repo]?.issues ?? [] } }

    public func labels(_ repo: String) -> Set<String> { lock.withLock { repos[repo]?.labels ?? [] } }

    /// Adds an existing issue (for marker and pagination tests).
    public func seedIssue(_ repo: String, title: String, body: String) {
        lock.withLock {
            let number = (repos[repo]?.issues.count ?? 0) + 1
            repos[repo]?.issues.append(
                Issue(
                    number: number, title: title, body: body, state: "open", stateReason: nil, labels: [],
                    assignees: [], milestone: nil, comments: []))
        }
    }

    /// Closes an issue as someone on GitHub would (a merged pull request, a person).
    public func closeIssue(_ repo: String, number: Int, reason: String = "completed") {
        lock.withLock {
            guard let index = repos[repo]?.issues.firstIndex(where: { $0.number == number }) else { return }
            repos[repo]?.issues[index].state = "closed"
            repos[repo]?.issues[index].stateReason = reason
        }
    }

    // MARK: - Handling

    private func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> ServerReply {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        let reset = Int(Date().timeIntervalSince1970) + 3600
        return .response(
            status: status,
            headers: [
                ("Content-Type", "application/json; charset=utf-8"), ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-remaining", String(rateRemaining)), ("x-ratelimit-reset", String(reset)),
                ("x-github-api-version-selected", "2022-11-28"),
            ] + headers, body: body)
    }

    private func message(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ServerReply {
        json(
            status, ["message": text, "documentation_url": "https://docs.github.com/rest", "status": String(status)],
            headers: headers)
    }

    private func takeFault(for route: String) -> Fault? {
        lock.withLock {
            guard let index = faults.firstIndex(where: { $0.route == nil || $0.route == route }) else { return nil }
            if faults[index].skip > 0 {
                faults[index].skip -= 1
                return nil
            }
            return faults.remove(at: index).fault
        }
    }

    func handle(_ request: ServerRequest) -> ServerReply {
        let key = "\(request.method) \(request.path)"
        lock.withLock { log.append(key) }

        // Shape checks first: GitHub rejects these whatever the fault plan says.
        if (request.headers["user-agent"] ?? "").isEmpty {
            violation("\(key): no User-Agent")
            return message(
                403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header."
            )
        }
        if request.headers["accept"] != "application/vnd.github+json" {
            violation("\(key): Accept was \(request.headers["accept"] ?? "missing")")
        }
        if request.headers["x-github-api-version"] != "2022-11-28" {
            violation("\(key): X-GitHub-Api-Version was \(request.headers["x-github-api-version"] ?? "missing")")
            return message(400, "Invalid API version")
        }
        let fault = takeFault(for: key)
        if fault == .badToken || request.headers["authorization"] != "Bearer \(token)" {
            return message(401, "Bad credentials")
        }
        var body: [String: Any] = [:]
        if request.method == "POST" || request.method == "PATCH" {
            guard let parsed = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] else {
                violation("\(key): body is not a JSON object")
                return message(400, "Problems parsing JSON")
            }
            body = parsed
        }
        if case .delay(let seconds) = fault {
            // Carried out at once, answered late: the client times out on a request that succeeded.
            let reply = route(request, body: body, path: request.path)
            Thread.sleep(forTimeInterval: seconds)
            return reply
        }
        switch fault {
        case .noPermission: return message(403, "Resource not accessible by personal access token")
        case .notFound: return message(404, "Not Found")
        case .issuesDisabled: return message(410, "Issues are disabled for this repo")
        case .validationFailed:
            return json(
                422,
                [
                    "message": "Validation Failed",
                    "errors": [["resource": "Issue", "code": "invalid", "field": "assignees", "value": "ghost"]],
                ])
        case .primaryRateLimit(let resetIn):
            let reset = Int(Date().timeIntervalSince1970) + resetIn
            return .response(
                status: 403,
                headers: [
                    ("Content-Type", "application/json"), ("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", String(reset)),
                ],
                body: Data(#"{"message":"API rate limit exceeded for user ID 1."}"#.utf8))
        case .secondaryRateLimit(let retryAfter):
            return message(
                429, "You have exceeded a secondary rate limit.", headers: [("retry-after", String(retryAfter))])
        case .badGateway:
            return .response(
                status: 502, headers: [("Content-Type", "text/html")],
                body: Data("<html><body><h1>502 Bad Gateway</h1></body></html>".utf8))
        case .htmlError(let status):
            return .response(
                status: status, headers: [("Content-Type", "text/html")],
                body: Data("<!DOCTYPE html><html><body>Unicorn! Something went wrong.</body></html>".utf8))
        case .lostResponse:
            _ = route(request, body: body, path: request.path)
            return .drop
        default:
            return route(request, body: body, path: request.path)
        }
    }

    private func violation(_ text: String) { lock.withLock { violations.append(text) } }

    private func issueJSON(_ repo: String, _ issue: Issue) -> [String: Any] {
        [
            "number": issue.number, "title": issue.title, "body": issue.body, "state": issue.state,
            "state_reason": issue.stateReason as Any? ?? NSNull(),
            "html_url": "https://github.com/\(repo)/issues/\(issue.number)",
            "labels": issue.labels.map { ["name": $0] }, "assignees": issue.assignees.map { ["login": $0] },
            "comments": issue.comments.count,
        ]
    }

    private func route(_ request: ServerRequest, body: [String: Any], path: String) -> ServerReply {
        let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        guard parts.count >= 3, parts[0] == "repos" else {
            violation("unexpected request \(request.method) \(path)")
            return message(404, "Not Found")
        }
        let repo = parts[1] + "/" + parts[2]
        return lock.withLock { () -> ServerReply in
            guard var state = repos[repo] else { return message(404, "Not Found") }
            defer { repos[repo] = state }
            let rest = Array(parts.dropFirst(3))
            let number = rest.count >= 2 && rest[0] == "issues" ? rest[1] : ""
            let labelName =
                rest.count == 2 && rest[0] == "labels" ? rest[1] : rest.count == 4 && rest[2] == "labels" ? rest[3] : ""
            let shape = rest.enumerated().map {
                $0.offset == 1 || ($0.offset == 3 && rest[2] == "labels") ? "*" : $0.element
            }.joined(separator: "/")
            switch (request.method, shape) {
            case ("GET", ""):
                return json(
                    200,
                    [
                        "full_name": repo, "private": state.isPrivate, "has_issues": state.hasIssues,
                        "html_url": "https://github.com/\(repo)",
                    ])
            case ("GET", "issues"):
                let perPage = min(Int(request.query["per_page"] ?? "30") ?? 30, 100)
                let page = max(Int(request.query["page"] ?? "1") ?? 1, 1)
                let sorted = state.issues.sorted { $0.number > $1.number }
                let slice = sorted.dropFirst((page - 1) * perPage).prefix(perPage)
                let last = max(1, (sorted.count + perPage - 1) / perPage)
                var headers: [(String, String)] = []
                if page < last {
                    let base = "\(baseURL)/repos/\(repo)/issues?state=all&per_page=\(perPage)"
                    headers.append(
                        ("Link", "<\(base)&page=\(page + 1)>; rel=\"next\", <\(base)&page=\(last)>; rel=\"last\""))
                }
                return json(200, slice.map { issueJSON(repo, $0) }, headers: headers)
            case ("POST", "issues"):
                guard state.hasIssues else { return message(410, "Issues are disabled for this repo") }
                guard let title = body["title"] as? String, !title.isEmpty else {
                    return json(
                        422,
                        [
                            "message": "Validation Failed",
                            "errors": [["resource": "Issue", "code": "missing_field", "field": "title"]],
                        ])
                }
                let labels = body["labels"] as? [String] ?? []
                for label in labels { state.labels.insert(label) }
                let issue = Issue(
                    number: state.issues.count + 1, title: title, body: body["body"] as? String ?? "", state: "open",
                    stateReason: nil, labels: labels, assignees: body["assignees"] as? [String] ?? [],
                    milestone: body["milestone"] as? Int, comments: [])
                state.issues.append(issue)
                return json(201, issueJSON(repo, issue))
            case ("GET", "issues/*"):
                guard let issue = state.issues.first(where: { String($0.number) == number }) else {
                    return message(404, "Not Found")
                }
                return json(200, issueJSON(repo, issue))
            case ("PATCH", "issues/*"):
                guard let index = state.issues.firstIndex(where: { String($0.number) == number }) else {
                    return message(404, "Not Found")
                }
                if let value = body["state"] as? String {
                    guard ["open", "closed"].contains(value) else {
                        return json(
                            422,
                            [
                                "message": "Validation Failed",
                                "errors": [["resource": "Issue", "code": "invalid", "field": "state"]],
                            ])
                    }
                    state.issues[index].state = value
                }
                if let value = body["state_reason"] as? String {
                    guard acceptedStateReasons.contains(value) else {
                        return json(
                            422,
                            [
                                "message": "Validation Failed",
                                "errors": [
                                    ["resource": "Issue", "code": "invalid", "field": "state_reason", "value": value]
                                ],
                            ])
                    }
                    state.issues[index].stateReason = value
                }
                if let value = body["title"] as? String { state.issues[index].title = value }
                if let value = body["body"] as? String { state.issues[index].body = value }
                return json(200, issueJSON(repo, state.issues[index]))
            case ("POST", "issues/*/labels"):
                guard let index = state.issues.firstIndex(where: { String($0.number) == number }) else {
                    return message(404, "Not Found")
                }
                guard let names = body["labels"] as? [String] else {
                    return json(
                        422,
                        [
                            "message": "Validation Failed",
                            "errors": [["resource": "Label", "code": "missing_field", "field": "labels"]],
                        ])
                }
                for name in names where !state.issues[index].labels.contains(name) {
                    state.issues[index].labels.append(name)
                    state.labels.insert(name)
                }
                return json(200, state.issues[index].labels.map { ["name": $0] })
            case ("DELETE", "issues/*/labels/*"):
                guard let index = state.issues.firstIndex(where: { String($0.number) == number }),
                    state.issues[index].labels.contains(labelName)
                else {
                    return message(404, "Label does not exist")
                }
                state.issues[index].labels.removeAll { $0 == labelName }
                return json(200, state.issues[index].labels.map { ["name": $0] })
            case ("POST", "issues/*/comments"):
                guard let index = state.issues.firstIndex(where: { String($0.number) == number }) else {
                    return message(404, "Not Found")
                }
                guard let text = body["body"] as? String, !text.isEmpty else {
                    return json(
                        422,
                        [
                            "message": "Validation Failed",
                            "errors": [["resource": "IssueComment", "code": "missing_field", "field": "body"]],
                        ])
                }
                state.issues[index].comments.append(text)
                return json(
                    201,
                    [
                        "id": state.issues[index].comments.count, "body": text,
                        "html_url":
                            "https://github.com/\(repo)/issues/\(number)#issuecomment-\(state.issues[index].comments.count)",
                    ])
            case ("GET", "labels/*"):
                return state.labels.contains(labelName) ? json(200, ["name": labelName]) : message(404, "Not Found")
            case ("POST", "labels"):
                guard let name = body["name"] as? String else {
                    return json(
                        422,
                        [
                            "message": "Validation Failed",
                            "errors": [["resource": "Label", "code": "missing_field", "field": "name"]],
                        ])
                }
                if state.labels.contains(name) {
                    return json(
                        422,
                        [
                            "message": "Validation Failed",
                            "errors": [["resource": "Label", "code": "already_exists", "field": "name"]],
                        ])
                }
                state.labels.insert(name)
                return json(201, ["name": name])
            default:
                violations.append("unexpected request \(request.method) \(path)")
                return message(404, "Not Found")
            }
        }
    }
}

private final class HandlerBox: @unchecked Sendable {
    weak var target: FakeGitHub?
}
