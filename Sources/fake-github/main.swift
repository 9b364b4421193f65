import FakeGitHub
import Foundation

// Usage: fake-github [--port N] [--token T] [--repo OWNER/NAME]
// Serves a GitHub REST API on 127.0.0.1 until killed; prints "listening on http://127.0.0.1:PORT".
var port: UInt16 = 0
var token = "demo-token"
var repo = "acme/netra"
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--port": port = UInt16(arguments.popFirst() ?? "0") ?? 0
    case "--token": token = arguments.popFirst() ?? token
    case "--repo": repo = arguments.popFirst() ?? repo
    default:
        FileHandle.standardError.write(Data("usage: fake-github [--port N] [--token T] [--repo OWNER/NAME]\n".utf8))
        exit(64)
    }
}
let server = try FakeGitHub(token: token, repos: [repo: .init(isPrivate: true, hasIssues: true)], port: port)
FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))
while true { sleep(3600) }
