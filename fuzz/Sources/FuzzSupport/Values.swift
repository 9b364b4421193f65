import IncidentKit
import OrderedCollections

/// The value YAML gives back for `value`: every string and key as `YAML.storable` keeps it.
public func storable(_ value: Value) -> Value {
    switch value {
    case .string(let text): return .string(YAML.storable(text))
    case .array(let items): return .array(items.map(storable))
    case .object(let fields):
        var result = OrderedDictionary<String, Value>()
        for (key, item) in fields { result[YAML.storable(key)] = storable(item) }
        return .object(result)
    default: return value
    }
}

/// Equality in which NaN equals NaN (YAML's `.nan` reads back as one).
public func same(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.array(let xs), .array(let ys)): return xs.count == ys.count && zip(xs, ys).allSatisfy(same)
    case (.object(let xs), .object(let ys)):
        return xs.keys == ys.keys && zip(xs.values, ys.values).allSatisfy(same)
    default: return a == b
    }
}
