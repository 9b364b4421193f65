import FakeGitHub
import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

@Suite(.serialized) struct HTTPClientTests {
    @Test func tlsIsVerifiedAgainstTheGivenCA() throws {
        let server = try TLSServer()
        try server.serve("hello.txt", "hello over TLS\n")
        let response = try CurlHTTPClient(caFile: server.caFile).send(
            HTTPRequest(method: "GET", url: server.url("hello.txt")))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hello over TLS\n")

        // SSL_CERT_FILE is read by the client, not by libcurl; --cacert wins over it.
        let fromVariable = CurlHTTPClient(variables: ["SSL_CERT_FILE": server.caFile], cacert: nil)
        #expect(try fromVariable.send(HTTPRequest(method: "GET", url: server.url("hello.txt"))).status == 200)
        #expect(CurlHTTPClient(variables: ["SSL_CERT_FILE": "/nope"], cacert: server.caFile).caFile == server.caFile)

        #expect {
            try CurlHTTPClient().send(HTTPRequest(method: "GET", url: server.url("hello.txt")))
        } throws: { error in
            let transport = error as? HTTPTransportError
            return transport?.kind == .connect && transport!.message.contains("could not be verified")
                && transport!.message.contains("--cacert")
        }
    }

    @Test func httpsGoesThroughTheProxyUnlessNoProxySaysOtherwise() throws {
        let server = try TLSServer()
        try server.serve("hello.txt", "via proxy\n")
        let proxy = try ConnectProxy()
        let client = CurlHTTPClient(variables: ["https_proxy": proxy.url], cacert: server.caFile)
        let response = try client.send(HTTPRequest(method: "GET", url: server.url("hello.txt")))
        #expect(String(decoding: response.body, as: UTF8.self) == "via proxy\n")
        #expect(proxy.tunnels == ["localhost:\(server.port)"])

        let bypass = CurlHTTPClient(
            variables: ["HTTPS_PROXY": proxy.url, "no_proxy": "localhost"], cacert: server.caFile)
        #expect(try bypass.send(HTTPRequest(method: "GET", url: server.url("hello.txt"))).status == 200)
        #expect(proxy.tunnels.count == 1)
    }

    @Test func connectFailuresAndTimeoutsArePlainSentencesOfTheRightKind() throws {
        let refused = RefusedPort()
        defer { withExtendedLifetime(refused) {} }
        let port = refused.port
        #expect {
            try CurlHTTPClient().send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/"))
        } throws: { error in
            (error as? HTTPTransportError)?.kind == .connect && "\(error)".hasPrefix("could not connect to 127.0.0.1")
        }
        let slow = try LoopbackServer { _ in
            Thread.sleep(forTimeInterval: 3)
            return .response(status: 200, headers: [], body: Data())
        }
        var request = HTTPRequest(method: "GET", url: slow.baseURL + "/")
        request.timeout = 0.5
        #expect { try CurlHTTPClient().send(request) } throws: { error in
            (error as? HTTPTransportError)?.kind == .unknownOutcome && "\(error)".contains("timed out")
        }
    }

    @Test func gzipResponsesAreDecodedAndHeadersReadBack() throws {
        let server = try LoopbackServer { request in
            let accepted = request.headers["accept-encoding"] ?? ""
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-c"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try? process.run()
            input.fileHandleForWriting.write(Data("{\"compressed\": true}".utf8))
            try? input.fileHandleForWriting.close()
            let body = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return .response(
                status: 200,
                headers: [
                    ("Content-Encoding", "gzip"), ("X-Accepted", accepted), ("Content-Type", "application/json"),
                ],
                body: body)
        }
        let response = try CurlHTTPClient().send(HTTPRequest(method: "GET", url: server.baseURL + "/"))
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"compressed\": true}")
        #expect(response.headers["x-accepted"]?.contains("gzip") == true)
    }
}
