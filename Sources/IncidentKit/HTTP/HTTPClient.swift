import Foundation

/// One HTTP request, with its own timeouts.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?
    public var connectTimeout: TimeInterval = 10
    public var timeout: TimeInterval = 30

    public init(method: String, url: String, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }
}

/// One HTTP response; header names are lowercased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var duration: TimeInterval
    public var httpVersion: String

    public init(
        status: Int, headers: [String: String], body: Data, duration: TimeInterval = 0, httpVersion: String = "1.1"
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.duration = duration
        self.httpVersion = httpVersion
    }
}

/// A request that got no HTTP response; `message` is one plain sentence.
public struct HTTPTransportError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Never reached the server (DNS, refused, TLS): nothing was sent.
        case connect
        /// Timed out or the connection dropped: the server may have acted on the request.
        case unknownOutcome
        /// Anything else libcurl reports.
        case other
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }
}

/// Sends HTTP requests. The live one is `CurlHTTPClient`; it blocks the calling thread.
public protocol HTTPClient: Sendable {
    func send(_ request: HTTPRequest) throws -> HTTPResponse
}
