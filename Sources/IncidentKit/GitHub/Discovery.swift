import Foundation

/// Finds the GitHub token and repository the way `gh` users expect (SPEC "GitHub").
public struct GitHubDiscovery: Sendable {
    let workspace: Workspace
    var env: Environment { workspace.env }

    public init(workspace: Workspace) { self.workspace = workspace }

    /// `OWNER/NAME` and the API base URL: `--repo`, then config, then git remotes
    /// (upstream > github > origin). The API host follows the repo's host (from `--repo HOST/OWNER/NAME`,
    /// `github.repo`, or the remote); a configured `api_url` on another host is a warning and loses,
    /// so an internal repo's name and body never go to a same-named repo elsewhere.
    public func repository(flag: String?) throws -> (repo: String, apiURL: String) {
        let configURL = workspace.config.github.apiURL
        let remotes = remoteURLs()
        var chosen: (host: String?, repo: String, source: String)
        if let flag {
            chosen = try Self.checkRepo(flag, source: "--repo")
        } else if let repo = workspace.config.github.repo {
            chosen = try Self.checkRepo(repo, source: "\(Config.fileName) github.repo")
        } else if let (name, url, host, repo) = ["upstream", "github", "origin"].lazy.compactMap({ name in
            remotes.first { $0.name == name }.flatMap { remote in
                Self.parseRemote(remote.url).map { (name, remote.url, $0.0, $0.1) }
            }
        }).first {
            chosen = (host, repo, "the git remote '\(name)' (\(url))")
        } else {
            throw IncidentError.usage(
                "no GitHub repository found: pass --repo OWNER/NAME, set github.repo in \(Config.fileName), or add a git remote (upstream, github or origin) on GitHub."
            )
        }
        // A repo named without a host lives where a remote of the same name lives.
        if chosen.host == nil,
            let match = remotes.lazy.compactMap({ Self.parseRemote($0.url) }).first(where: {
                $0.1.lowercased() == chosen.repo.lowercased()
            })
        {
            chosen.host = match.0
        }
        guard let host = chosen.host else {
            return (chosen.repo, workspace.config.resolvedAPIURL())
        }
        let derived = Self.apiURL(forHost: host)
        guard let configURL else { return (chosen.repo, derived) }
        // A local test server is this machine: nothing can leak there, so it is always honoured.
        if let configHost = URLComponents(string: configURL)?.host, GitHubClient.isLoopback(configHost) {
            return (chosen.repo, configURL)
        }
        let configWebHost = Self.host(ofAPI: configURL)
        if configWebHost == host { return (chosen.repo, configURL) }
        env.diagnostics(
            "warning: github.api_url in \(Config.fileName) is \(configURL) (\(configWebHost)), but \(chosen.repo) is on \(host) (from \(chosen.source)); using \(derived). Remove api_url from \(Config.fileName), or set it to \(host)'s API."
        )
        return (chosen.repo, derived)
    }

    /// The REST base URL for a GitHub host: api.github.com, `api.SUBDOMAIN.ghe.com` for GitHub
    /// Enterprise Cloud with data residency, else Enterprise Server's `https://HOST/api/v3`.
    public static func apiURL(forHost host: String) -> String {
        let host = host.lowercased()
        if host == "github.com" { return Config.GitHub.defaultAPIURL }
        if host.hasSuffix(".ghe.com") { return "https://api.\(host)" }
        return "https://\(host)/api/v3"
    }

    /// The configured remote URLs by name, in config order. Read from the config, not from
    /// `git remote -v`, which shows them after `insteadOf` rewriting.
    func remoteURLs() -> [(name: String, url: String)] {
        let output =
            (try? env.processes.run(
                ["git", "config", "--get-regexp", "^remote\\..*\\.url$"], in: workspace.root, timeout: 10))?.output
            ?? ""
        var result: [(name: String, url: String)] = []
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = String(parts[0].dropFirst("remote.".count).dropLast(".url".count))
            if !result.contains(where: { $0.name == name }) { result.append((name, String(parts[1]))) }
        }
        return result
    }

    /// `OWNER/NAME` or `HOST/OWNER/NAME` → (host, "OWNER/NAME").
    static func checkRepo(_ text: String, source: String) throws -> (host: String?, repo: String, source: String) {
        var parts = text.split(separator: "/", omittingEmptySubsequences: false)
        var host: String?
        let hostBytes = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:".utf8)
        if parts.count == 3, !parts[0].isEmpty, parts[0].contains("."), parts[0].utf8.allSatisfy(hostBytes.contains),
            !parts[0].hasPrefix("."), !parts[0].hasPrefix("-")
        {
            host = parts.removeFirst().lowercased()
        }
        // ASCII letters, digits, '-', '_' and '.', as GitHub allows; never "." or ".." (a path, not a name).
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.allSatisfy(allowed.contains) }),
            !parts[0].hasPrefix(".")
        else {
            throw IncidentError.usage(
                "\(source) '\(text)' is not OWNER/NAME (such as acme/netra) or HOST/OWNER/NAME (such as ghe.corp.example/acme/netra)."
            )
        }
        return (host, parts.joined(separator: "/"), source)
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

    /// The token: GH_TOKEN/GITHUB_TOKEN (for an Enterprise Server host only GH_ENTERPRISE_TOKEN/
    /// GITHUB_ENTERPRISE_TOKEN: a github.com token never goes to another host), then `gh auth token`,
    /// gh's hosts.yml and `git credential fill` (never prompting), each asked for that host alone.
    public func token(apiURL: String) throws -> String {
        let host = Self.host(ofAPI: apiURL)
        let names =
            host == "github.com" || host.hasSuffix(".ghe.com") || GitHubClient.isLoopback(host)
            ? ["GH_TOKEN", "GITHUB_TOKEN"] : ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]
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
        let fix =
            names[0] == "GH_TOKEN"
            ? "set GH_TOKEN or run `gh auth login`" : "set \(names[0]) or run `gh auth login --hostname \(host)`"
        throw IncidentError.auth(
            "no GitHub token for \(host): looked in \(names.joined(separator: ", ")), `gh auth token`, \(hostsFilePath() ?? "gh's hosts.yml") and `git credential fill`; \(fix)."
        )
    }

    /// The web host an API URL serves: github.com for api.github.com, `X.ghe.com` for `api.X.ghe.com`.
    static func host(ofAPI apiURL: String) -> String {
        let host = URLComponents(string: apiURL)?.host?.lowercased() ?? "github.com"
        if host == "api.github.com" { return "github.com" }
        if host.hasPrefix("api."), host.hasSuffix(".ghe.com") { return String(host.dropFirst(4)) }
        return host
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
