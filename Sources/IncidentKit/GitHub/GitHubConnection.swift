import Foundation

/// A ready GitHub client for one repo: settings from config, token and repo discovered.
struct GitHubConnection {
    let client: GitHubClient
    let repo: String
    let apiURL: String

    static func settings(_ workspace: Workspace, apiURL: String, token: String) -> GitHubSettings {
        var settings = GitHubSettings(apiURL: apiURL, token: token)
        let http = workspace.config.raw["http"]
        if let value = http?["connect_timeout"]?.numeric { settings.connectTimeout = value }
        if let value = http?["timeout"]?.numeric { settings.timeout = value }
        if let value = http?["max_wait"]?.numeric { settings.maxWait = value }
        return settings
    }

    /// The API URL for a repo already filed: config, else from the issue URL's host.
    static func apiURL(_ workspace: Workspace, issueURL: String?) -> String {
        if let configured = workspace.config.raw["github"]?["api_url"]?.string { return configured }
        let host = issueURL.flatMap { URLComponents(string: $0)?.host } ?? "github.com"
        return host == "github.com" ? "https://api.github.com" : "https://\(host)/api/v3"
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
