import Foundation

/// `incident signatures list|show|test`: the failure signatures in force, and which match a log and why.
public struct SignaturesWorkflow: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public func catalog() throws -> SignatureCatalog {
        try SignatureCatalog.load(root: workspace.root, fileSystem: workspace.env.fileSystem)
    }

    public func show(_ id: String) throws -> Signature {
        guard let signature = try catalog().signatures.first(where: { $0.id == id }) else {
            throw IncidentError.failure("there is no signature '\(id)'; `incident signatures list` shows them.")
        }
        return signature
    }

    /// Each signature that matched an event of the log, with the events and the text it matched.
    public func test(source: LogSource) throws -> Value {
        let catalog = try catalog()
        let analysis = try workspace.logs.analyze(source, recordLineEvents: false)
        var matched: [String: [Value]] = [:]
        var order: [String] = []
        var unmatched = 0
        for event in analysis.events {
            guard let id = event.signature, let signature = catalog.signatures.first(where: { $0.id == id }) else {
                unmatched += 1
                continue
            }
            let found = signature.match(event.example) ?? signature.match(event.template)
            if matched[id] == nil { order.append(id) }
            matched[id, default: []].append([
                "event_id": .string(event.id), "template": .string(event.template), "count": .int(event.count),
                "severity": .string(event.severity.rawValue), "matched": .optional(found?.matched),
                "example": .string(event.example),
            ])
        }
        return [
            "matches": .array(
                order.map { id in
                    let signature = catalog.signatures.first { $0.id == id }!
                    var value = Self.value(signature)
                    value["events"] = .array(matched[id] ?? [])
                    return value
                }),
            "unmatched_events": .int(unmatched),
            "primary": analysis.primary.map { .string($0.id) } ?? .null,
        ]
    }

    public static func value(_ signature: Signature) -> Value {
        [
            "id": .string(signature.id), "category": .string(signature.category),
            "severity": .optional(signature.severity?.rawValue), "service": .optional(signature.service),
            "match": .string(signature.match), "hint": .string(signature.hint), "origin": .string(signature.origin),
            "examples": .strings(signature.examples),
        ]
    }
}
