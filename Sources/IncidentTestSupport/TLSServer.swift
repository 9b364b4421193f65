import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `openssl s_server -WWW` on loopback with a certificate from a CA made for the test: files in
/// `folder` are served over HTTPS; `caFile` verifies them.
public final class TLSServer: @unchecked Sendable {
    public let folder: String
    public let caFile: String
    public private(set) var port: UInt16 = 0
    private let process = Process()

    public init() throws {
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("incident-tls-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        caFile = folder + "/ca.pem"
        try Data("subjectAltName=DNS:localhost,IP:127.0.0.1\n".utf8).write(
            to: URL(fileURLWithPath: folder + "/ext.cnf"))
        for step in [
            "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=incident-test-CA",
            "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost",
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile ext.cnf",
        ] {
            _ = try TestRepo.run(["openssl"] + step.split(separator: " ").map(String.init), in: folder)
        }
        let output = folder + "/s_server.out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "s_server", "-accept", "0", "-cert", "server.pem", "-key", "server.key", "-WWW",
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        process.standardInput = Pipe()
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while port == 0 && Date() < deadline {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }),
                let colon = line.lastIndex(of: ":")
            {
                port = UInt16(line[line.index(after: colon)...]) ?? 0
            }
            usleep(20_000)
        }
        guard port != 0 else { throw POSIXError(.ETIMEDOUT) }
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(atPath: folder)
    }

    public func url(_ file: String) -> String { "https://localhost:\(port)/\(file)" }

    public func serve(_ file: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + file))
    }
}

/// An HTTP CONNECT proxy on loopback that records the tunnels it opened.
public final class ConnectProxy: @unchecked Sendable {
    public let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var targets: [String] = []

    public var tunnels: [String] { lock.withLock { targets } }

    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        listen(listener, 16)
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = UInt16(bigEndian: actual.sin_port)
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                Thread { [self] in tunnel(client) }.start()
            }
        }.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    private func tunnel(_ client: Int32) {
        var head = Data()
        var byte = [UInt8](repeating: 0, count: 1)
        while !head.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            guard read(client, &byte, 1) == 1 else { close(client); return }
            head.append(byte[0])
        }
        let line = String(decoding: head, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"),
            let port = UInt16(parts[1][parts[1].index(after: colon)...])
        else {
            _ = "HTTP/1.1 405 Method Not Allowed\r\n\r\n".withCString { write(client, $0, strlen($0)) }
            close(client)
            return
        }
        lock.withLock { targets.append(String(parts[1])) }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")  // loopback only: tests never leave the machine
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            _ = "HTTP/1.1 502 Bad Gateway\r\n\r\n".withCString { write(client, $0, strlen($0)) }
            close(client)
            close(upstream)
            return
        }
        _ = "HTTP/1.1 200 Connection Established\r\n\r\n".withCString { write(client, $0, strlen($0)) }
        let done = DispatchSemaphore(value: 0)
        for (from, to) in [(client, upstream), (upstream, client)] {
            Thread {
                var buffer = [UInt8](repeating: 0, count: 16384)
                while true {
                    let count = read(from, &buffer, buffer.count)
                    if count <= 0 || write(to, buffer, count) <= 0 { break }
                }
                shutdown(to, Int32(SHUT_WR))
                done.signal()
            }.start()
        }
        done.wait()
        done.wait()
        close(client)
        close(upstream)
    }
}
