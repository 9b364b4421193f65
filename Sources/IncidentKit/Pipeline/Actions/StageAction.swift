import OrderedCollections

/// What a stage's `action:` sees while the stage is advanced, and what it may add to.
public struct StageActionContext {
    public let workspace: Workspace
    public let template: StageTemplate
    /// The incident as it will be saved; an action may add to its record (a verify attempt).
    public var document: IncidentDocument
    public let request: AdvanceRequest
    public let redactor: Redactor
    /// The answers collected so far; an action may add its own (commits found, check records).
    public var answers: Answers
    /// Redaction counts of what the action wrote.
    public var redactions: OrderedDictionary<String, Int>
    /// What the stage's section renders as `analysis` (the `analyze-log` action sets it).
    public var analysis: Value? = nil
}

/// The built-in automation a stage template attaches with `action:` (SPEC "Stages are templates").
/// Each action is a type in this folder; `StageActions.all` is the registry `advance` and the MCP
/// server read, so every action works in any stage.
public protocol StageAction: Sendable {
    /// The name a template's `action:` gives.
    var kind: StageActionName { get }
    /// One sentence for an agent (MCP `stage_fields`): what advancing a stage with this action does.
    var note: String { get }
    /// Runs after the answers are collected and before the stage's gates are checked; a gate error
    /// names what is missing.
    func run(_ context: inout StageActionContext) throws
}

/// The registry of stage actions, by the name a template uses.
public enum StageActions {
    public static let all: [StageActionName: any StageAction] = Dictionary(
        uniqueKeysWithValues: ([AnalyzeLogAction(), GitHubIssueAction(), LinkCommitsAction(), RunChecksAction()]
            as [any StageAction]).map { ($0.kind, $0) })

    /// The action a template declares, if any.
    public static func action(for template: StageTemplate) -> (any StageAction)? {
        template.action.flatMap { all[$0] }
    }
}
