/// How an open incident's stages disagree with `stages:` in the config, which can change while
/// incidents are open: a stage added before the current one (never asked for), or a stage the
/// incident has a record of that is no longer listed.
public struct StageDrift: Sendable, Equatable {
    /// Stages listed before the current one that the incident has neither completed nor skipped, in order.
    public var added: [String] = []
    /// Stages the incident completed or skipped that `stages:` no longer lists.
    public var removed: [String] = []

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty }

    /// Nothing drifts for a resolved or closed incident: its stages are history.
    public static func of(_ document: IncidentDocument, order: [String]) -> StageDrift {
        guard document.status == Status.open.rawValue, let current = order.firstIndex(of: document.stage) else {
            return StageDrift()
        }
        let records = document.stages
        return StageDrift(
            added: order[..<current].filter { records[$0] == nil },
            removed: records.keys.filter { !order.contains($0) })
    }

    /// One sentence per disagreement, naming what `advance` does about it.
    public func sentences(id: String, stage: String) -> [String] {
        var lines: [String] = []
        if let first = added.first {
            let list = added.map { "'\($0)'" }.joined(separator: ", ")
            lines.append(
                "stages in \(Config.fileName) now include \(list) before '\(stage)', which \(id) has not done; `incident advance \(id)` asks for '\(first)' first (`--skip --reason TEXT` skips it)."
            )
        }
        if !removed.isEmpty {
            let list = removed.map { "'\($0)'" }.joined(separator: ", ")
            lines.append(
                "\(id) has a record of \(list), no longer in the stages of \(Config.fileName); the record and its section are kept."
            )
        }
        return lines
    }
}
