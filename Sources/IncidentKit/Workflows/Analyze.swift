import Foundation

/// `incident analyze`: the log analysis alone; writes nothing but `--events-out`.
public struct AnalyzeWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(source: String, eventsOut: String?) throws -> LogAnalysis {
        let env = workspace.env
        let analysis = try workspace.analyzeLog(source, recordLineEvents: eventsOut != nil)
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
