import Foundation

/// Finds the GitHub token and repository the way `gh` users expect (SPEC "GitHub").
public struct GitHubDiscovery: Sendable {
    let workspace: Workspace
    var env: Environment { workspace.env }

    public init(workspace: Workspace) { self.workspace = workspace }

    /// `OWNER/NAME` and the API base URL: `--repo`, then config, then git remotes
    /// (upstream > github > origin).
    public func repository(flag: String?) throws -> (repo: String, apiURL: String) {
        let configured = workspace.config.raw["github"]
        let configURL = configured?["api_url"]?.string
        if let flag {
            return (try Self.checkRepo(flag, source: "--repo"), configURL ?? "https://api.github.com")
        }
        if let repo = configured?["repo"]?.string, !repo.isEmpty {
            return (
                try Self.checkRepo(repo, source: "\(Config.fileName) github.repo"),
                configURL ?? "https://api.github.com"
            )
        }
        // The configured URLs, not `git remote -v`, which shows them after `insteadOf` rewriting.
        let remotes =
            (try? env.processes.run(
                ["git", "config", "--get-regexp", "^remote\\..*\\.url$"], in: workspace.root, timeout: 10))?.output
            ?? ""
        var byName: [String: String] = [:]
        for line in remotes.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].dropFirst("remote.".count).dropLast(".url".count)
            if byName[String(name)] == nil { byName[String(name)] = String(parts[1]) }
        }
        for name in ["upstream", "github", "origin"] {
            guard let url = byName[name], let (host, repo) = Self.parseRemote(url) else { continue }
            let api = configURL ?? (host == "github.com" ? "https://api.github.com" : "https://\(host)/api/v3")
            return (repo, api)
        }
        throw IncidentError.usage(
            "no GitHub repository found: pass --repo OWNER/NAME, set github.repo in \(Config.fileName), or add a git remote (upstream, github or origin) on GitHub."
        )
    }

    static func checkRepo(_ text: String, source: String) throws -> String {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        // ASCII letters, digits, '-', '_' and '.', as GitHub allows; never "." or ".." (a path, not a name).
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.allSatisfy(allowed.contains) }),
            !parts[0].hasPrefix(".")
        else {
            throw IncidentError.usage("\(source) '\(text)' is not OWNER/NAME, such as acme/netra.")
        }
        return text
    }

    /// `https://github.com/o/r(.git)`, `ssh://git@host[:port]/o/r.git`, `git@host:o/r.git` → (host, "o/r").
    static func parseRemote(_ url: String) -> (String, String)? {
        var host: String
        var path: String
        if let components = URLComponents(string: url), let scheme = components.scheme,
            ["https", "http", "ssh", "git"].contains(scheme),
            let h = components.host
        {
            host = h
            path = components.path
        } else if let at = url.firstIndex(of: "@"), let colon = url[at...].firstIndex(of: ":") {
            host = String(url[url.index(after: at)..<colon])
            path = String(url[url.index(after: colon)...])
        } else {
            return nil
        }
        path = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if path.hasSuffix(".git") { path = String(path.dropLast(4)) }
        let parts = path.split(separator: "/")
        guard parts.count == 2 else { return nil }
        return (host.lowercased(), parts.joined(separator: "/"))
    }

    /// The token: GH_TOKEN/GITHUB_TOKEN (GH_ENTERPRISE_TOKEN/GITHUB_ENTERPRISE_TOKEN for other hosts),
    /// then `gh auth token`, then gh's hosts.yml, then `git credential fill` (never prompting).
    public func token(apiURL: String) throws -> String {
        let host = Self.host(ofAPI: apiURL)
        let names =
            host == "github.com" || GitHubClient.isLoopback(host)
            ? ["GH_TOKEN", "GITHUB_TOKEN"] : ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_TOKEN"]
        for name in names {
            if let value = env.variables[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return value
            }
        }
        if let result = try? env.processes.run(
            ["gh", "auth", "token", "--hostname", host], in: workspace.root, timeout: 10, input: nil,
            extra: ["GH_PROMPT_DISABLED": "1"],
            stdoutOnly: true),
            result.status == 0
        {
            let token = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        if let token = hostsFileToken(host: host) { return token }
        if let result = try? env.processes.run(
            ["git", "credential", "fill"], in: workspace.root, timeout: 10,
            input: Data("protocol=https\nhost=\(host)\n\n".utf8),
            extra: ["GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "", "GCM_INTERACTIVE": "never"],
            stdoutOnly: true),
            result.status == 0
        {
            for line in result.output.split(separator: "\n") where line.hasPrefix("password=") {
                let token = String(line.dropFirst("password=".count))
                if !token.isEmpty { return token }
            }
        }
        throw IncidentError.auth(
            "no GitHub token for \(host): looked in \(names.joined(separator: ", ")), `gh auth token`, \(hostsFilePath() ?? "gh's hosts.yml") and `git credential fill`; set GH_TOKEN or run `gh auth login`."
        )
    }

    static func host(ofAPI apiURL: String) -> String {
        let host = URLComponents(string: apiURL)?.host?.lowercased() ?? "github.com"
        return host == "api.github.com" ? "github.com" : host
    }

    func hostsFilePath() -> String? {
        let folder: String?
        if let dir = env.variables["GH_CONFIG_DIR"], !dir.isEmpty {
            folder = dir
        } else if let xdg = env.variables["XDG_CONFIG_HOME"], !xdg.isEmpty {
            folder = xdg + "/gh"
        } else {
            folder = env.variables["HOME"].map { $0 + "/.config/gh" }
        }
        return folder.map { $0 + "/hosts.yml" }
    }

    /// `oauth_token` for the host in gh's hosts.yml (older gh, or `--insecure-storage`).
    func hostsFileToken(host: String) -> String? {
        guard let path = hostsFilePath(), env.fileSystem.fileExists(path),
            let text = try? String(validatingUTF8Data: env.fileSystem.read(path)) ?? "",
            let value = try? YAML.parse(text), let entry = value[host]
        else { return nil }
        if let token = entry["oauth_token"]?.string, !token.isEmpty { return token }
        if let user = entry["user"]?.string, let token = entry["users"]?[user]?["oauth_token"]?.string, !token.isEmpty {
            return token
        }
        return nil
    }
}
