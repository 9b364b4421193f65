import Foundation

/// `incident analyze`: the log analysis alone; writes nothing but `--events-out`.
public struct AnalyzeWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(source: String, eventsOut: String?) throws -> LogAnalysis {
        let env = workspace.env
        let data: Data
        if source == "-" {
            if env.stdinIsTerminal {
                throw IncidentError.usage("analyze - reads a log from standard input, which is a terminal; pipe a log in or give a file.")
            }
            data = try env.readStandardInput()
        } else {
            data = try workspace.readUserFile(source, what: "log file")
        }
        let analysis = LogAnalyzer(redactor: try Redactor(config: workspace.config), now: env.now).analyze(data)
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
