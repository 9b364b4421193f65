import Foundation

/// `incident analyze`: the log analysis alone; writes nothing but `--events-out`.
public struct AnalyzeWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func run(source: LogSource, eventsOut: String?) throws -> LogAnalysis {
        let env = workspace.env
        let analysis = try workspace.logs.analyzeText(source, recordLineEvents: eventsOut != nil)
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
