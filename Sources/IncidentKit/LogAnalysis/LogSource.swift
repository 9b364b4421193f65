import Foundation

/// Where a log comes from: a file, standard input, or text handed over as a value (by an MCP client).
public enum LogSource: Sendable, Equatable, ExpressibleByStringLiteral {
    case path(String)
    case standardInput
    case text(String)

    /// A command-line argument: `-` is standard input, anything else a path.
    public init(argument: String) { self = argument == "-" ? .standardInput : .path(argument) }

    public init(stringLiteral value: String) { self.init(argument: value) }

    /// How messages name it.
    public var name: String {
        switch self {
        case .path(let path): return path
        case .standardInput: return "standard input"
        case .text: return "the log text"
        }
    }
}
