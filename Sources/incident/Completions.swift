import Foundation
import IncidentKit

/// What shell completion offers (the scripts from `incident --generate-completion-script` call
/// back into the binary): the incidents of the repo in the current folder, and its stage names.
enum Completions {
    static func workspace() -> Workspace? {
        let env = Live(try! GlobalOptions.parse([])).env
        return try? Workspace.open(env, directory: nil)
    }

    @Sendable static func incidents(_ arguments: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let workspace = workspace(), let incidents = try? workspace.store.loadAll() else { return [] }
        let ids = incidents.sorted { ($0.document.created ?? .distantPast) > ($1.document.created ?? .distantPast) }
            .map(\.document.id)
        return (["latest"] + ids).filter { $0.hasPrefix(prefix) }
    }

    @Sendable static func stages(_ arguments: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let workspace = workspace(), let order = try? workspace.stageOrder() else { return [] }
        return order.filter { $0.hasPrefix(prefix) }
    }
}
