import Foundation
import OrderedCollections

/// What `incident review` was asked to do.
public struct ReviewRequest: Sendable {
    public enum Action: String, Sendable { case submit, approve, requestChanges = "request-changes" }
    public var ref: String
    public var action: Action
    public var by: String
    public var note: String?

    public init(ref: String, action: Action, by: String, note: String? = nil) {
        self.ref = ref
        self.action = action
        self.by = by
        self.note = note
    }
}

/// The postmortem's review: `draft` → `in-review` → `approved` (a request for changes sends it back
/// to `draft`), each step recorded under `review.history` with who and why. A repeat failure within
/// `review.repeat_window_days` sets `review.required`; `review.required_before_verify` in the config
/// (or that flag) keeps verify from completing until the review is approved.
public struct ReviewWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public static let states = ["draft", "in-review", "approved"]

    public static func state(_ document: IncidentDocument) -> String {
        document.fields["review"]?["state"]?.string ?? "draft"
    }

    /// Whether `list --review FILTER` keeps this incident: a state, `pending` (not yet approved, and
    /// not closed) or `required` (flagged for review and not yet approved).
    public static func matches(_ document: IncidentDocument, filter: String) -> Bool {
        let state = state(document)
        switch filter {
        case "pending": return state != "approved" && document.status != Status.closed.rawValue
        case "required": return document.fields["review"]?["required"] == .bool(true) && state != "approved"
        default: return state == filter
        }
    }

    public static let filters = states + ["pending", "required"]

    public func run(_ request: ReviewRequest) throws -> LifecycleResult {
        let by = request.by.trimmingCharacters(in: .whitespaces)
        guard !by.isEmpty else { throw IncidentError.usage("--by NAME cannot be empty: say who reviews.") }
        try ControlCharacters.refuse(by, as: "--by")
        try ControlCharacters.refuse(request.note, as: "--note", allowNewline: true)
        if request.action == .requestChanges, (request.note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw IncidentError.usage("--request-changes needs --note TEXT saying what to change.")
        }
        let incident = try workspace.store.resolve(request.ref)
        var document = incident.document
        let from = Self.state(document)
        let to: String
        switch request.action {
        case .submit:
            guard from == "draft" else {
                throw IncidentError.failure("\(document.id) is \(from), not a draft; there is nothing to submit.")
            }
            to = "in-review"
        case .approve:
            guard from != "approved" else { throw IncidentError.failure("\(document.id) is already approved.") }
            to = "approved"
        case .requestChanges:
            to = "draft"
        }
        var counts = OrderedDictionary<String, Int>()
        let redactor = try Redactor(config: workspace.config)
        let now = workspace.env.now
        var entry: OrderedDictionary<String, Value> = [
            "at": .string(Time.format(now)), "by": .string(redactor.redact(by, counts: &counts)),
            "action": .string(request.action.rawValue),
        ]
        if let note = request.note, !note.isEmpty { entry["note"] = .string(redactor.redact(note, counts: &counts)) }
        var review = document.fields["review"]?.object ?? [:]
        review["state"] = .string(to)
        var history = review["history"]?.array ?? []
        history.append(.object(entry))
        // `state` first, then flags, then the history: the order people read it in.
        var ordered: OrderedDictionary<String, Value> = ["state": .string(to)]
        for (key, value) in review where key != "history" && key != "state" { ordered[key] = value }
        ordered["history"] = .array(history)
        document.fields["review"] = .object(ordered)
        Timeline.record(&document, at: now, "\(Self.verb(request.action)) by \(entry["by"]!.string!)")
        let saved = try workspace.store.save(incident, document: document)
        return LifecycleResult(incident: saved, changed: ["review"])
    }

    /// What a step's timeline row says before " by NAME".
    static func verb(_ action: ReviewRequest.Action) -> String {
        switch action {
        case .submit: "submitted for review"
        case .approve: "review approved"
        case .requestChanges: "changes requested in review"
        }
    }

    static let verbs = [ReviewRequest.Action.submit, .approve, .requestChanges].map(verb)

    /// A review step's timeline row without who took it ("review approved"), for `export --public`;
    /// any other row as it is.
    static func withoutReviewer(_ event: String) -> String {
        verbs.first { event.hasPrefix($0 + " by ") } ?? event
    }

    /// Who reviewed: the history's names and those in the timeline's review rows.
    static func reviewers(_ document: IncidentDocument) -> [String] {
        var names = (document.fields["review"]?["history"]?.array ?? []).compactMap { $0["by"]?.string }
        for row in document.fields["timeline"]?.array ?? [] {
            guard let event = row["event"]?.string else { continue }
            let verb = withoutReviewer(event)
            if verb != event { names.append(String(event.dropFirst(verb.count + " by ".count))) }
        }
        var seen = Set<String>()
        return names.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The gate before verify: an unapproved review when the config or the incident requires one.
    static func gate(_ document: IncidentDocument, config: Config, stage: String) -> [String] {
        let configured = config.review.requiredBeforeVerify
        let flagged = document.fields["review"]?["required"] == .bool(true)
        guard configured || flagged, state(document) != "approved" else { return [] }
        let why =
            flagged && !configured
            ? (document.fields["review"]?["reason"]?.string ?? "this incident is flagged for review")
            : "\(Config.fileName) sets review.required_before_verify"
        return [
            "review: the postmortem must be approved before \(stage) completes (\(why)); `incident review \(document.id) --approve --by NAME`"
        ]
    }
}
