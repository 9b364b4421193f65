/// Every failure a user can meet, each carrying what they need to act on it; `exitCode` follows SPEC.
public enum IncidentError: Error, Equatable, CustomStringConvertible {
    /// Exit 1: a malformed file or template, a ref problem, a lock, a stale file.
    case failure(String)
    /// Exit 2: cancelled at a prompt or a declined confirmation.
    case cancelled(String)
    /// Exit 3: a stage gate not met; each entry names one missing field or failing check.
    case gate(stage: String, missing: [String])
    /// Exit 4: GitHub authentication or permission (no token, 401, 403, 404 on the repo).
    case auth(String)
    /// Exit 5: the network or GitHub unavailable (timeouts, 5xx, a rate limit past `http.max_wait`).
    case network(String)
    /// Exit 64: an unknown flag, field id or a bad value.
    case usage(String)

    public var exitCode: Int32 {
        switch self {
        case .failure: return 1
        case .cancelled: return 2
        case .gate: return 3
        case .auth: return 4
        case .network: return 5
        case .usage: return 64
        }
    }

    /// The same error with one more sentence for the user (a kept draft).
    public func noting(_ note: String) -> IncidentError {
        switch self {
        case .failure(let message): return .failure(message + " " + note)
        case .cancelled(let message): return .cancelled(message + " " + note)
        case .auth(let message): return .auth(message + " " + note)
        case .network(let message): return .network(message + " " + note)
        case .usage(let message): return .usage(message + " " + note)
        case .gate(let stage, let missing): return .gate(stage: stage, missing: missing + [note])
        }
    }

    public var description: String {
        switch self {
        case .failure(let message), .cancelled(let message), .usage(let message), .auth(let message),
            .network(let message):
            return message
        case .gate(let stage, let missing):
            let list = missing.map { "  - \($0)" }.joined(separator: "\n")
            return "stage \(stage) is not complete; missing:\n\(list)"
        }
    }
}

extension IncidentError {
    /// One sentence for a file named on the command line that cannot be read.
    static func userFile(_ error: FileSystemError, path: String, what: String) -> IncidentError {
        switch error {
        case .notFound: return .usage("\(what) '\(path)' does not exist; check the path.")
        case .isDirectory: return .usage("\(what) '\(path)' is a folder; give a file.")
        default: return .usage("\(what) '\(path)' cannot be read: \(error).")
        }
    }
}
