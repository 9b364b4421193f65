import Foundation
import IncidentKit
import MCP
import OrderedCollections

/// IncidentKit's ordered value tree, named apart from MCP's `Value`.
typealias Tree = IncidentKit.Value

extension IncidentKit.Value {
    /// What a client sent, as IncidentKit reads answers (a `data:` URL the SDK decoded stays text).
    init(mcp value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .data(let mimeType, let data):
            self = .string("data:\(mimeType ?? "");base64,\(data.base64EncodedString())")
        case .array(let items): self = .array(items.map(Tree.init(mcp:)))
        case .object(let fields):
            self = .object(
                OrderedDictionary(
                    uniqueKeysWithValues: fields.sorted { $0.key < $1.key }.map { ($0.key, Tree(mcp: $0.value)) }))
        }
    }
}

extension MCP.Value {
    init(tree: Tree) {
        switch tree {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .int(number)
        case .double(let number): self = number.isFinite ? .double(number) : .null
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map { MCP.Value(tree: $0) })
        case .object(let fields):
            self = .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.key, MCP.Value(tree: $0.value)) }))
        }
    }
}

/// A tool's arguments, checked against the names its schema declares: an unknown name or a value of
/// the wrong type is one sentence back to the agent, never a guess.
struct Arguments {
    let tool: String
    let values: [String: MCP.Value]

    init(tool: String, values: [String: MCP.Value]?, allowed: [String]) throws {
        self.tool = tool
        self.values = values ?? [:]
        for key in self.values.keys.sorted() where !allowed.contains(key) {
            throw ToolError.arguments(
                "'\(key)' is not an argument of \(tool); its arguments are \(allowed.isEmpty ? "none" : allowed.joined(separator: ", "))."
            )
        }
    }

    func string(_ key: String) throws -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw ToolError.arguments("\(tool): '\(key)' must be a string.") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ToolError.arguments("\(tool) needs '\(key)'.")
        }
        return text
    }

    func bool(_ key: String) throws -> Bool {
        guard let value = values[key], !value.isNull else { return false }
        guard let flag = value.boolValue else { throw ToolError.arguments("\(tool): '\(key)' must be true or false.") }
        return flag
    }

    func strings(_ key: String) throws -> [String] {
        guard let value = values[key], !value.isNull else { return [] }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            throw ToolError.arguments("\(tool): '\(key)' must be a list of strings.")
        }
        return items.compactMap(\.stringValue)
    }

    func object(_ key: String) throws -> Tree? {
        guard let value = values[key], !value.isNull else { return nil }
        guard value.objectValue != nil else {
            throw ToolError.arguments("\(tool): '\(key)' must be an object keyed by field id.")
        }
        return Tree(mcp: value)
    }
}

/// A problem with the call itself, not with the incident.
enum ToolError: Error {
    case arguments(String)
}
