import Foundation

/// `incident analyze`: the log analysis alone; writes nothing but `--events-out`.
public struct AnalyzeWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(source: String, eventsOut: String?) throws -> LogAnalysis {
        let env = workspace.env
        let analysis = try workspace.analyzeTextLog(source, recordLineEvents: eventsOut != nil)
        if let eventsOut {
            var text = ""
            text.reserveCapacity(analysis.lineEvents.count * 20)
            for (index, id) in analysis.lineEvents.enumerated() { text += "\(index + 1)\t\(id)\n" }
            let path = eventsOut.hasPrefix("/") ? eventsOut : env.workingDirectory + "/" + eventsOut
            do {
                try env.fileSystem.writeAtomically(Data(text.utf8), to: path)
            } catch {
                throw IncidentError.usage("--events-out '\(eventsOut)' cannot be written: \(error).")
            }
        }
        return analysis
    }
}

extension Workspace {
    /// Reads a log for `analyze` and `new --from-log`: input that is not a text log is refused
    /// before anything is written, and what was odd about the input is said on stderr.
    func analyzeTextLog(_ source: String, recordLineEvents: Bool) throws -> LogAnalysis {
        let name = source == "-" ? "standard input" : source
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
        for warning in analysis.inputWarnings { env.diagnostics("warning: " + warning) }
        return analysis
    }
}
