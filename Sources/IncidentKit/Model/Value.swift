import OrderedCollections

/// A YAML/JSON value with key order preserved: front-matter, answers, and `--json` output.
public enum Value: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([Value])
    case object(OrderedDictionary<String, Value>)

    public subscript(key: String) -> Value? {
        get {
            guard case .object(let fields) = self else { return nil }
            return fields[key]
        }
        set {
            guard case .object(var fields) = self else { return }
            // Dropping self's reference first leaves `fields` unique: changed in place, not copied.
            self = .null
            fields[key] = newValue
            self = .object(fields)
        }
    }

    public var string: String? {
        switch self {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    public var int: Int? {
        switch self {
        case .int(let number): return number
        case .string(let text): return Int(text)
        default: return nil
        }
    }

    public var array: [Value]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var object: OrderedDictionary<String, Value>? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// True for null, empty strings (after trimming), empty lists and empty objects.
    public var isBlank: Bool {
        switch self {
        case .null: return true
        case .string(let text): return text.allSatisfy(\.isWhitespace)
        case .array(let items): return items.isEmpty
        case .object(let fields): return fields.isEmpty
        default: return false
        }
    }

    public static func strings(_ items: [String]) -> Value { .array(items.map(Value.string)) }

    public static func optional(_ text: String?) -> Value { text.map(Value.string) ?? .null }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(OrderedDictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
