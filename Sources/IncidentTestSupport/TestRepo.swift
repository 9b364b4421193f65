import Foundation
import IncidentKit

/// A real git repo in a temp folder, with helpers to build an `Environment` around it.
public final class TestRepo: @unchecked Sendable {
    public let root: String

    public init(git: Bool = true) throws {
        let base = FileManager.default.temporaryDirectory.path
        root = (base as NSString).appendingPathComponent("incident-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if git {
            _ = try Self.run(["git", "init", "-q"], in: root)
            _ = try Self.run(["git", "config", "user.email", "test@example.com"], in: root)
            _ = try Self.run(["git", "config", "user.name", "Test"], in: root)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    public func path(_ relative: String) -> String { root + "/" + relative }

    public func write(_ relative: String, _ text: String) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    public func writeBytes(_ relative: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path(relative)))
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    public func bytes(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(relative))) }

    /// The incident files, relative to the root, sorted.
    public func incidentFiles() throws -> [String] {
        let folder = path("incidents")
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".md") && !$0.hasPrefix(".") }.sorted().map { "incidents/" + $0 }
    }

    /// An environment over this repo with a fixed clock and seeded ids; non-interactive unless a prompter is given.
    /// Its variables are `Hermetic.variables` plus `variables`; its HTTP reaches loopback only.
    public func environment(
        now: Date = Date(timeIntervalSince1970: 1_757_385_611),  // 2025-09-09T02:40:11Z
        prompter: (any Prompter)? = nil, stdin: Data = Data(), seed: UInt64 = 42,
        variables: [String: String] = [:], diagnostics: Diagnostics = Diagnostics(),
        http: any HTTPClient = LoopbackOnlyHTTPClient(), sleeps: Sleeps = Sleeps()
    ) -> Environment {
        let generator = SeededGenerator(seed: seed)
        let clock = MovingClock(start: now)
        var merged = Hermetic.variables
        for (key, value) in variables { merged[key] = value }
        var env = Environment(
            fileSystem: LocalFileSystem(), clock: { clock.tick() }, random: { generator.next() }, variables: merged,
            workingDirectory: root, processes: LocalProcessRunner(variables: merged), prompter: prompter,
            diagnostics: { diagnostics.append($0) }, stdinIsTerminal: false, readStandardInput: { stdin },
            http: http, sleep: { sleeps.append($0) })
        let folder = root
        env.standardInputDescriptor = {
            let path = folder + "/.stdin-\(UUID().uuidString)"
            try stdin.write(to: URL(fileURLWithPath: path))
            defer { unlink(path) }
            return open(path, O_RDONLY)
        }
        return env
    }

    @discardableResult
    public static func run(_ arguments: [String], in directory: String) throws -> String {
        let result = try LocalProcessRunner(variables: Hermetic.variables).run(
            arguments, in: directory, timeout: 60)
        guard result.status == 0 else {
            throw IncidentError.failure("\(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result.output
    }
}

/// Records what a workflow hands to the environment (diagnostics, waits), safe across threads.
public final class Recorder<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    public init() {}
    public func append(_ item: Element) { lock.withLock { items.append(item) } }
    public var all: [Element] { lock.withLock { items } }
}

extension Recorder where Element == String {
    public var lines: [String] { all }
}

/// The diagnostics a workflow reported.
public typealias Diagnostics = Recorder<String>
/// The waits a workflow asked for, recorded instead of waited.
public typealias Sleeps = Recorder<TimeInterval>

/// A deterministic id source.
public final class SeededGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public func next() -> UInt64 {
        lock.withLock {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
    }
}

/// A clock that starts at a fixed time and moves one second per reading, so order is visible.
public final class MovingClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    public init(start: Date) { current = start }
    public func tick() -> Date {
        lock.withLock {
            defer { current = current.addingTimeInterval(1) }
            return current
        }
    }
}

/// A loopback port that refuses connections: a bound socket that never listens, held until
/// this object goes, so no other test (they run in parallel) can take the port meanwhile.
public final class RefusedPort: @unchecked Sendable {
    public let port: UInt16
    private let holder: Int32

    public init() {
        holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = holder
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 ? getsockname(descriptor, $0, &length) : -1
            }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(holder) }
}
