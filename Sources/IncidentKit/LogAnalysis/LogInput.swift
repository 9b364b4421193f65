import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a log comes from (a file through the Environment's file system, standard input, or text)
/// and its analysis with the repo's redaction settings and signatures.
public struct LogInput: Sendable {
    let root: String
    let env: Environment
    let config: Config

    /// Analyses a log (a file, standard input or text), streaming it: plain or gzip, any size.
    public func analyze(_ source: LogSource, recordLineEvents: Bool) throws -> LogAnalysis {
        let analyzer = LogAnalyzer(
            redactor: try Redactor(config: config), now: env.now, recordLineEvents: recordLineEvents,
            signatures: try SignatureCatalog.load(root: root, fileSystem: env.fileSystem))
        let descriptor: Int32
        var path: String?
        switch source {
        case .text(let text):
            let data = Data(text.utf8)
            if data.prefix(1 << 16).withUnsafeBytes({ BinaryData.isBinary($0.bindMemory(to: UInt8.self)) }) {
                throw LogInputError.binary
            }
            return analyzer.analyze(data)
        case .standardInput:
            if env.stdinIsTerminal {
                throw IncidentError.usage(
                    "'-' reads a log from standard input, which is a terminal; pipe a log in (kubectl logs POD | incident …) or give a file."
                )
            }
            descriptor = try env.standardInputDescriptor()
        case .path(let given):
            let full = given.hasPrefix("/") ? given : env.workingDirectory + "/" + given
            do {
                descriptor = try env.fileSystem.openForReading(full)
            } catch let error as FileSystemError {
                throw IncidentError.userFile(error, path: given, what: "log file")
            }
            path = full
        }
        let progress = env.progress
        let report: (Int) -> Void = { bytes in progress?("analysing \(source.name): \(bytes >> 20) MiB read…") }
        // A regular file that is not gzip: its size is known, and it can be read from two places.
        var info = stat()
        var magic: [UInt8] = [0, 0]
        let plainFile =
            path != nil && fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            && pread(descriptor, &magic, 2, 0) == 2 && magic != [0x1F, 0x8B]
        let size = plainFile ? Int(info.st_size) : 0
        // A large plain file is read as two halves on two threads; gzip and pipes stream in order.
        if let path, plainFile, size >= 32 << 20, let second = try? env.fileSystem.openForReading(path) {
            let analysis = try analyzer.analyze(first: descriptor, second: second, size: size, progress: report)
            progress?("")
            return analysis
        }
        // A plain file of 1-2 MiB is read as two even segments, not one of 1 MiB and a remainder
        // (the second worker would have almost nothing to do); under 1 MiB it is one engine's.
        var segmentBytes = LogAnalyzer.segmentBytes
        if plainFile, size > segmentBytes {
            segmentBytes = min(segmentBytes, max(segmentBytes / 2, (size + 1) / 2))
        }
        let analysis = try analyzer.analyze(descriptor: descriptor, progress: report, segmentBytes: segmentBytes)
        progress?("")
        return analysis
    }

    /// Reads a log for `analyze` and `new --from-log`: input that is not a text log is refused
    /// before anything is written, and what was odd about the input is said on stderr.
    public func analyzeText(_ source: LogSource, recordLineEvents: Bool) throws -> LogAnalysis {
        let name = source.name
        var analysis: LogAnalysis
        do {
            analysis = try analyze(source, recordLineEvents: recordLineEvents)
        } catch LogInputError.binary {
            throw IncidentError.failure("\(name) does not look like a text log (binary data); nothing was written.")
        }
        if analysis.bytes == 0 { throw IncidentError.failure("\(name) is empty; nothing was written.") }
        if analysis.events.isEmpty {
            throw IncidentError.failure(
                "\(name) holds no log lines (only blank lines or binary data); nothing was written.")
        }
        // A partial log is normal (a copy cut short, a rotated file): say so, and analyse what is there.
        if analysis.truncated {
            analysis.inputWarnings.append(
                "\(name) ends early (truncated gzip stream); analysed the \(analysis.lines) lines before that.")
        }
        if analysis.binaryLines > 0 {
            let lines = analysis.binaryLines == 1 ? "1 line" : "\(analysis.binaryLines) lines"
            analysis.inputWarnings.append("\(name) has binary data amid the log; skipped \(lines) of it.")
        }
        if analysis.unminedLines > 0 {
            analysis.inputWarnings.append(
                "\(name) has more than \(LogAnalyzer.defaultMaxShapes) distinct line shapes; \(analysis.unminedLines) lines after that were counted as one \"rare lines\" event, not mined.")
        }
        if analysis.omittedEvents > 0 {
            analysis.inputWarnings.append(
                "\(name) has mostly unique lines; the \(analysis.omittedEvents) rarest events are not listed (--events-out still has a row for every line).")
        }
        for warning in analysis.inputWarnings { env.diagnostics("warning: " + warning) }
        return analysis
    }
}
