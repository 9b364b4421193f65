import Foundation
import Logging
import MCP

/// The stdio transport, counting requests received against responses written, so the server can
/// stop (input closed, SIGINT) without cutting a response short or dropping one owed.
actor TrackingTransport: Transport {
    private let inner: StdioTransport
    nonisolated let logger: Logger
    private var owed = 0
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation

    init(_ inner: StdioTransport) {
        self.inner = inner
        logger = inner.logger
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        try await inner.connect()
        let upstream = await inner.receive()
        Task {
            do {
                for try await data in upstream {
                    self.received(data)
                    continuation.yield(data)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    func disconnect() async { await inner.disconnect() }

    func send(_ data: Data) async throws {
        try await inner.send(data)
        owed = max(0, owed - Self.count(in: data) { $0["id"] != nil && $0["method"] == nil })
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> { stream }

    private func received(_ data: Data) {
        owed += Self.count(in: data) { $0["id"] != nil && $0["method"] != nil }
    }

    /// Returns once every request received so far has had its response written.
    func waitUntilAnswered() async {
        while owed > 0 { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// The JSON-RPC messages in `data` (one, or a batch) that `match`.
    private static func count(in data: Data, where match: ([String: Any]) -> Bool) -> Int {
        switch try? JSONSerialization.jsonObject(with: data) {
        case let message as [String: Any]: return match(message) ? 1 : 0
        case let batch as [Any]: return batch.compactMap { $0 as? [String: Any] }.filter(match).count
        default: return 0
        }
    }
}
