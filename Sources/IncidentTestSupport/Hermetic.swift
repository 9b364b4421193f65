import Foundation
import IncidentKit

#if canImport(Glibc)
    import Glibc
#endif

/// The world a test sees: never the developer's tokens, HOME, gh login, git credential helpers
/// or proxies. Every child process and every test `Environment` starts from `variables`.
public enum Hermetic {
    /// What running programs needs, passed through from the test process; nothing personal.
    static let passedThrough = [
        "PATH", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "SWIFT_BACKTRACE", "ASAN_OPTIONS", "LSAN_OPTIONS",
        "TSAN_OPTIONS", "UBSAN_OPTIONS", "LLVM_PROFILE_FILE",
    ]

    /// A HOME for this test process: an empty gh config and a git config holding only an identity
    /// (commits in test repos work on a clean CI machine) and no credential helper.
    public static let home: String = {
        let home = homePath()
        // Removed when the test process ends (a C callback: it captures nothing, so it asks again).
        atexit { try? FileManager.default.removeItem(atPath: Hermetic.homePath()) }
        try? FileManager.default.createDirectory(atPath: home + "/.config/gh", withIntermediateDirectories: true)
        let gitconfig = "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
        try? Data(gitconfig.utf8).write(to: URL(fileURLWithPath: home + "/.gitconfig"))
        return home
    }()

    static func homePath() -> String {
        (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/incident-test-home-\(getpid())"
    }

    /// A loopback port that refuses connections, held for the process: the proxy every request
    /// off this machine is sent to, so one that a test forgot to point at a fake fails at once.
    static let nowhere = RefusedPort()

    /// The variables a test process or a test `Environment` gets.
    public static var variables: [String: String] {
        let real = ProcessInfo.processInfo.environment
        var variables: [String: String] = [:]
        for name in passedThrough { variables[name] = real[name] }
        variables["HOME"] = home
        variables["XDG_CONFIG_HOME"] = home + "/.config"
        variables["GH_CONFIG_DIR"] = home + "/.config/gh"
        variables["GH_PROMPT_DISABLED"] = "1"
        variables["GIT_CONFIG_NOSYSTEM"] = "1"
        variables["GIT_CONFIG_GLOBAL"] = home + "/.gitconfig"
        variables["GIT_TERMINAL_PROMPT"] = "0"
        variables["GCM_INTERACTIVE"] = "never"
        let proxy = "http://127.0.0.1:\(nowhere.port)"
        for name in ["https_proxy", "http_proxy", "HTTPS_PROXY", "HTTP_PROXY"] { variables[name] = proxy }
        variables["no_proxy"] = "127.0.0.1,localhost,::1"
        return variables
    }
}

/// libcurl for loopback only: the default HTTP client of a test `Environment`, so a test that
/// forgot its fake GitHub fails at once rather than reaching the internet.
public struct LoopbackOnlyHTTPClient: HTTPClient {
    let inner: CurlHTTPClient

    public init(caFile: String? = nil) { inner = CurlHTTPClient(caFile: caFile) }

    public struct OffMachine: Error, CustomStringConvertible {
        public let url: String
        public var description: String { "a test sent a request off this machine (\(url)); point it at a fake." }
    }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let host = URLComponents(string: request.url)?.host?.lowercased() ?? ""
        guard ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) else { throw OffMachine(url: request.url) }
        return try inner.send(request)
    }
}
