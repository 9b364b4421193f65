import Foundation
import IncidentKit
import IncidentTestSupport
import Testing

/// Issue 10: log input goes through the Environment's file system, so a test can serve a log that
/// is not on disk (here from memory, through a pipe) and see it analysed.
@Suite struct LogInputTests {
    /// The local file system, but `openForReading` of one path serves `text` from a pipe.
    struct ServedLog: FileSystem {
        let local = LocalFileSystem()
        let path: String
        let text: String

        func openForReading(_ path: String) throws -> Int32 {
            guard path == self.path else { return try local.openForReading(path) }
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw FileSystemError.notFound(self.path) }
            let bytes = Array(text.utf8)
            precondition(bytes.count < 60_000, "fits the pipe's buffer")
            _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            close(fds[1])
            return fds[0]
        }
        func read(_ path: String) throws -> Data { try local.read(path) }
        func writeAtomically(_ data: Data, to path: String) throws { try local.writeAtomically(data, to: path) }
        func create(_ data: Data, at path: String) throws { try local.create(data, at: path) }
        func contents(of directory: String) throws -> [String] { try local.contents(of: directory) }
        func fileExists(_ path: String) -> Bool { path == self.path || local.fileExists(path) }
        func isDirectory(_ path: String) -> Bool { local.isDirectory(path) }
        func createDirectory(_ path: String) throws { try local.createDirectory(path) }
        func lock(_ path: String) throws -> any FileLock { try local.lock(path) }
        func writeStreaming(
            to path: String, _ produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
        ) throws { try local.writeStreaming(to: path, produce) }
        func staleTemporaryFiles(in folder: String) -> [String] { local.staleTemporaryFiles(in: folder) }
        func writePrivately(_ data: Data, to path: String) throws { try local.writePrivately(data, to: path) }
        func remove(_ path: String) throws { try local.remove(path) }
        func stamp(_ path: String) -> FileStamp? { local.stamp(path) }
        func stamps(of names: ArraySlice<String>, in folder: String) -> [FileStamp?] {
            local.stamps(of: names, in: folder)
        }
    }

    @Test func aLogServedByTheFileSystemSeamIsAnalysed() throws {
        let repo = try TestRepo()
        var env = repo.environment()
        env.fileSystem = ServedLog(
            path: repo.root + "/served.log",
            text: "2025-09-09T02:25:11Z ERROR dial tcp 10.0.0.7:6379: connect: connection refused\n")
        let workspace = try Workspace.open(env, directory: nil)
        let analysis = try workspace.logs.analyzeText("served.log", recordLineEvents: false)
        #expect(analysis.lines == 1)
        #expect(analysis.services == ["redis"])
        #expect(!FileManager.default.fileExists(atPath: repo.path("served.log")), "never on disk")
    }
}
