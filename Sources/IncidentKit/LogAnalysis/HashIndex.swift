/// A map from 64-bit hashes to indices, looked up once per line: open addressing on the key's
/// own bits (it is already a hash), so a look-up costs no hashing and no allocation.
/// Insert and look up only: the analysis never removes a shape.
struct HashIndex {
    private var keys: [UInt64]
    private var values: [Int]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always) private func slot(_ key: UInt64) -> Int {
        // The high bits mixed in: keys that differ only there still spread.
        var index = Int(truncatingIfNeeded: key ^ (key >> 29)) & mask
        while values[index] >= 0 && keys[index] != key { index = (index + 1) & mask }
        return index
    }

    subscript(key: UInt64) -> Int? {
        get {
            let index = slot(key)
            return values[index] >= 0 ? values[index] : nil
        }
        set {
            guard let newValue else { preconditionFailure("HashIndex does not remove") }
            precondition(newValue >= 0)
            var index = slot(key)
            if values[index] < 0 {
                if (count + 1) * 2 > keys.count {
                    grow()
                    index = slot(key)
                }
                count += 1
            }
            keys[index] = key
            values[index] = newValue
        }
    }

    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: -1, count: oldKeys.count * 2)
        mask = keys.count - 1
        for index in oldKeys.indices where oldValues[index] >= 0 {
            let target = slot(oldKeys[index])
            keys[target] = oldKeys[index]
            values[target] = oldValues[index]
        }
    }
}
