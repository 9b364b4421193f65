import Foundation

/// `incident analyze`: the log analysis alone; writes nothing but `--events-out`.
public struct AnalyzeWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(source: LogSource, eventsOut: String?) throws -> LogAnalysis {
        let env = workspace.env
        let analysis = try workspace.analyzeTextLog(source, recordLineEvents: eventsOut != nil)
        if let eventsOut {
            let path = eventsOut.hasPrefix("/") ? eventsOut : env.workingDirectory + "/" + eventsOut
            let ids = analysis.lineEventIDs.map { Array($0.utf8) }
            do {
                // Rows are produced 64 KiB at a time: memory does not grow with the log.
                try env.fileSystem.writeStreaming(to: path) { emit in
                    var chunk: [UInt8] = []
                    chunk.reserveCapacity(1 << 16)
                    for (index, cluster) in analysis.lineEventIndices.enumerated() {
                        chunk.append(contentsOf: String(index + 1).utf8)
                        chunk.append(0x09)
                        let id = cluster >= 0 && Int(cluster) < ids.count ? ids[Int(cluster)] : (ids.first ?? [])
                        chunk.append(contentsOf: id)
                        chunk.append(0x0A)
                        if chunk.count >= 1 << 16 {
                            try chunk.withUnsafeBytes { try emit($0) }
                            chunk.removeAll(keepingCapacity: true)
                        }
                    }
                    try chunk.withUnsafeBytes { try emit($0) }
                }
            } catch let error as FileSystemError {
                if case .isDirectory = error {
                    throw IncidentError.usage("--events-out '\(eventsOut)' is a folder; give a file name.")
                }
                throw IncidentError.failure("--events-out '\(eventsOut)' cannot be written: \(error).")
            }
        }
        return analysis
    }
}

extension Workspace {
    /// Reads a log for `analyze` and `new --from-log`: input that is not a text log is refused
    /// before anything is written, and what was odd about the input is said on stderr.
    func analyzeTextLog(_ source: LogSource, recordLineEvents: Bool) throws -> LogAnalysis {
        let name = source.name
        var analysis: LogAnalysis
        do {
            analysis = try analyzeLog(source, recordLineEvents: recordLineEvents)
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
