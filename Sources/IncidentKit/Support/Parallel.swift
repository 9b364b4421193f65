import Foundation

/// Per-item work over thousands of incidents (`list`, `stats`) spread over every core, results in
/// the items' order. Runs on `DispatchQueue.concurrentPerform`'s threads, not Swift's concurrency
/// pool; fewer than `minimumPerPart` items run on the calling thread alone.
public enum Parallel {
    /// `(0..<count).map(transform)`, computed in parts on all cores.
    public static func map<T>(_ count: Int, minimumPerPart: Int = 128, _ transform: (Int) -> T) -> [T] {
        parts(count, minimumPerPart: minimumPerPart) { range in range.map(transform) }.flatMap { $0 }
    }

    /// `items.map { transform(item) }`, computed in parts on all cores; `transform` is lent each
    /// item where it lies (`pointee`), never a copy (a copy of an incident retains each of its
    /// parts, which cost `list` more than the work itself).
    public static func map<T, U>(
        _ items: [T], minimumPerPart: Int = 128, _ transform: (_ item: UnsafePointer<T>) -> U
    ) -> [U] {
        items.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress
            return map(buffer.count, minimumPerPart: minimumPerPart) { transform(base.unsafelyUnwrapped + $0) }
        }
    }

    /// `body` of each consecutive range of `0..<count` (a few per core, for balance), in order.
    /// `body` runs on several threads at once: it may only read what it shares.
    public static func parts<T>(_ count: Int, minimumPerPart: Int = 128, _ body: (Range<Int>) -> T) -> [T] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let parts = max(1, min(cores * 4, count / max(1, minimumPerPart)))
        if parts == 1 || cores == 1 { return [body(0..<count)] }
        return withoutActuallyEscaping(body) { body in
            let shared = Shared(body: body, slots: Array(repeating: nil, count: parts))
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                shared.set(part, shared.body((count * part / parts)..<(count * (part + 1) / parts)))
            }
            return shared.values
        }
    }

    /// The work and its results, shared with `concurrentPerform`'s workers (each slot set once).
    private final class Shared<T>: @unchecked Sendable {
        let body: (Range<Int>) -> T
        private let lock = NSLock()
        private var slots: [T?]

        init(body: @escaping (Range<Int>) -> T, slots: [T?]) {
            self.body = body
            self.slots = slots
        }

        func set(_ index: Int, _ value: T) { lock.withLock { slots[index] = value } }

        var values: [T] { lock.withLock { slots.map { $0! } } }
    }
}
