import Foundation

/// A ready GitHub client for one repo: settings from config, token and repo discovered.
struct GitHubConnection {
    let client: GitHubClient
    let repo: String
    let apiURL: String

    static func settings(_ workspace: Workspace, apiURL: String, token: String) -> GitHubSettings {
        var settings = GitHubSettings(apiURL: apiURL, token: token)
        let http = workspace.config.http
        settings.connectTimeout = http.connectTimeout
        settings.timeout = http.timeout
        settings.maxWait = http.maxWait
        return settings
    }

    /// The API URL for an issue already filed: its URL's host decides; a configured `api_url` is used
    /// when it serves that host (or is a local test server).
    static func apiURL(_ workspace: Workspace, issueURL: String?) -> String {
        let configured = workspace.config.github.apiURL
        guard let host = issueURL.flatMap({ URLComponents(string: $0)?.host?.lowercased() }) else {
            return workspace.config.resolvedAPIURL()
        }
        if let configured {
            if let configHost = URLComponents(string: configured)?.host, GitHubClient.isLoopback(configHost) {
                return configured
            }
            if GitHubDiscovery.host(ofAPI: configured) == host { return configured }
        }
        return GitHubDiscovery.apiURL(forHost: host)
    }

    static func open(_ workspace: Workspace, repo: String, apiURL: String) throws -> GitHubConnection {
        let token = try GitHubDiscovery(workspace: workspace).token(apiURL: apiURL)
        let client = try GitHubClient(
            http: workspace.env.http, settings: settings(workspace, apiURL: apiURL, token: token), env: workspace.env,
            trace: workspace.env.trace)
        return GitHubConnection(client: client, repo: repo, apiURL: apiURL)
    }
}

extension Value {
    /// An int or a double, as a Double.
    public var numeric: Double? {
        switch self {
        case .int(let number): return Double(number)
        case .double(let number): return number
        case .string(let text): return Double(text)
        default: return nil
        }
    }
}
