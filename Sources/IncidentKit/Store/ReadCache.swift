import Foundation
import OrderedCollections

/// What `list`, `stats` and the like read of each incident file (its front-matter fields), kept in
/// one file, `.git/incident/read-cache`, so that a later read parses only the files that changed.
///
/// An entry is used only when the file's stamp (size, modification and change times in
/// nanoseconds, inode, device) is the one recorded, and that stamp is older than the cache file
/// itself by `margin` (a file changed within the same clock tick as the cache was written could
/// keep its stamp: git's "racily clean" entries); anything else is read again. The cache is
/// written whole to a temp file and renamed over the old one, so a reader sees one complete cache
/// or another. A cache from another format or another build of the tool (whose parser may read a
/// file differently), or whose index fails its checksum, is ignored; an entry that fails its own
/// checksum or cannot be decoded is not used (its file is parsed). Either way the cache is
/// rewritten. It is never used for writes: incidents loaded from it are `readOnly`.
///
/// Layout: a header (magic, format, the builder's identity, the entry count, the index's
/// checksum), an index of each entry's offset and length sorted by name (UTF-8 bytes, for binary
/// search), then the entries, each with its own checksum. Entries are looked up and decoded one
/// by one, from any thread: a read decodes only the entries it uses, in parallel with its `stat`s.
struct ReadCache: Sendable {
    static let fileName = "read-cache"
    static let magic: [UInt8] = Array("incident-read-cache\n".utf8)
    /// Raise when the encoding changes.
    static let formatVersion: UInt32 = 3
    /// How much older than the cache file an entry's stamp must be to be trusted (2 s covers the
    /// coarsest timestamps of common file systems).
    static let defaultMargin: Int64 = 2_000_000_000
    /// Values nested deeper than this are not cached (their file is parsed each time).
    static let maxDepth = 64
    /// magic, format, builder size and time, entry count, index checksum.
    static let headerSize = magic.count + 4 + 8 + 8 + 4 + 8

    /// The cache file's bytes (empty when there is no usable cache).
    private let data: Data
    /// Each entry's start and end in `data`, in name order.
    private let index: [Int]
    /// Stamps at or after this time (nanoseconds) are not trusted.
    private let limit: Int64

    init() {
        data = Data()
        index = []
        limit = 0
    }

    private init(data: Data, index: [Int], limit: Int64) {
        self.data = data
        self.index = index
        self.limit = limit
    }

    /// How many entries the cache holds (used or not).
    var count: Int { index.count / 2 }

    /// The identity of the running binary (size and modification time): a cache written by
    /// another build is not read, since that build's parser may have read the files differently.
    static let builder: (Int64, Int64)? = {
        guard let path = Bundle.main.executablePath, let stamp = LocalFileSystem().stamp(path) else { return nil }
        return (stamp.size, stamp.modified)
    }()

    // MARK: - Reading

    /// The cache at `path`, or an empty cache when there is none, its header or index is damaged,
    /// or it was written by another build or format. Entries are checked when looked up.
    static func read(_ path: String, fileSystem: any FileSystem, margin: Int64) -> ReadCache {
        guard let builder, let own = fileSystem.stamp(path), let data = try? fileSystem.read(path) else {
            return ReadCache()
        }
        let index = data.withUnsafeBytes { bytes -> [Int]? in
            var reader = Reader(bytes: bytes)
            guard reader.take(magic.count).map(Array.init) == magic, reader.u32() == formatVersion,
                reader.i64() == builder.0, reader.i64() == builder.1,
                let count = reader.u32(), let checksum = reader.u64(),
                Int(count) <= (bytes.count - reader.offset) / 16,
                let table = reader.take(Int(count) * 16), Self.checksum(table) == checksum
            else { return nil }
            var index: [Int] = []
            index.reserveCapacity(Int(count) * 2)
            var tableReader = Reader(bytes: table)
            for _ in 0..<count {
                guard let start = tableReader.u64(), let length = tableReader.u64(),
                    start >= UInt64(reader.offset), length >= 8, length <= UInt64(bytes.count) - start
                else { return nil }
                index.append(Int(start))
                index.append(Int(start + length))
            }
            return index
        }
        guard let index else { return ReadCache() }
        return ReadCache(data: data, index: index, limit: own.modified &- margin)
    }

    /// The fields cached for `name` when its entry is whole and records `stamp`, old enough to be
    /// trusted; nil otherwise (the file is to be parsed).
    func fields(for name: String, stamp: FileStamp) -> OrderedDictionary<String, Value>? {
        guard !index.isEmpty, stamp.modified < limit, stamp.changed < limit else { return nil }
        var name = name
        return name.withUTF8 { key in
            data.withUnsafeBytes { bytes -> OrderedDictionary<String, Value>? in
                // Binary search by the name's bytes.
                var low = 0
                var high = count
                while low < high {
                    let middle = (low + high) / 2
                    var reader = Reader(bytes: bytes, offset: index[2 * middle] + 8)
                    guard let length = reader.u32(), let other = reader.take(Int(length)) else { return nil }
                    let common = min(other.count, key.count)
                    var order = common == 0 ? 0 : memcmp(other.baseAddress!, key.baseAddress!, common)
                    if order == 0 { order = other.count < key.count ? -1 : (other.count > key.count ? 1 : 0) }
                    if order == 0 {
                        return Self.decode(
                            UnsafeRawBufferPointer(rebasing: bytes[index[2 * middle]..<index[2 * middle + 1]]),
                            nameLength: key.count, stamp: stamp)
                    }
                    if order < 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }
    }

    /// One entry's fields, when its checksum holds, its stamp is `stamp` and it decodes whole.
    private static func decode(_ entry: UnsafeRawBufferPointer, nameLength: Int, stamp: FileStamp)
        -> OrderedDictionary<String, Value>?
    {
        var reader = Reader(bytes: entry)
        guard let checksum = reader.u64(), Self.checksum(UnsafeRawBufferPointer(rebasing: entry[8...])) == checksum,
            reader.take(4 + nameLength) != nil,
            reader.i64() == stamp.size, reader.i64() == stamp.modified, reader.i64() == stamp.changed,
            reader.u64() == stamp.inode, reader.u64() == stamp.device,
            case .object(let fields)? = reader.value(depth: 0), reader.offset == entry.count
        else { return nil }
        return fields
    }

    // MARK: - Writing

    /// The cache's bytes for `entries` (name, stamp, fields); entries nested deeper than
    /// `maxDepth` are left out.
    static func encode(
        _ entries: [(name: String, stamp: FileStamp, fields: OrderedDictionary<String, Value>)]
    ) -> [UInt8]? {
        guard let builder else { return nil }
        var encoded: [(name: [UInt8], bytes: [UInt8])] = []
        encoded.reserveCapacity(entries.count)
        for entry in entries {
            var one = Writer()
            one.u64(0)  // the checksum, filled in below
            one.string(entry.name)
            one.i64(entry.stamp.size)
            one.i64(entry.stamp.modified)
            one.i64(entry.stamp.changed)
            one.u64(entry.stamp.inode)
            one.u64(entry.stamp.device)
            guard one.value(.object(entry.fields), depth: 0) else { continue }
            let checksum = one.bytes.withUnsafeBytes { Self.checksum(UnsafeRawBufferPointer(rebasing: $0[8...])) }
            withUnsafeBytes(of: checksum.littleEndian) { one.bytes.replaceSubrange(0..<8, with: $0) }
            encoded.append((Array(entry.name.utf8), one.bytes))
        }
        // Sorted by the names' bytes, as `fields(for:stamp:)` searches.
        encoded.sort { $0.name.lexicographicallyPrecedes($1.name) }
        var table = Writer()
        var offset = headerSize + 16 * encoded.count
        for entry in encoded {
            table.u64(UInt64(offset))
            table.u64(UInt64(entry.bytes.count))
            offset += entry.bytes.count
        }
        var out = Writer()
        out.bytes.reserveCapacity(offset)
        out.bytes = magic
        out.u32(formatVersion)
        out.i64(builder.0)
        out.i64(builder.1)
        out.u32(UInt32(encoded.count))
        out.u64(table.bytes.withUnsafeBytes(checksum))
        out.bytes += table.bytes
        for entry in encoded { out.bytes += entry.bytes }
        return out.bytes
    }

    /// A 64-bit checksum (FNV-1a over 8-byte words, then the tail), enough to tell damaged bytes
    /// from whole ones.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* prime
            offset += 8
        }
        while offset < bytes.count {
            hash = (hash ^ UInt64(bytes[offset])) &* prime
            offset += 1
        }
        return hash ^ UInt64(bytes.count)
    }

    // MARK: - Encoding

    private enum Tag: UInt8 {
        case null, isFalse, isTrue, int, double, string, array, object
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
        mutating func string(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                u32(UInt32(utf8.count))
                bytes += utf8
            }
        }

        /// False when the value is nested deeper than `maxDepth`.
        mutating func value(_ value: Value, depth: Int) -> Bool {
            guard depth < ReadCache.maxDepth else { return false }
            switch value {
            case .null: bytes.append(Tag.null.rawValue)
            case .bool(let flag): bytes.append(flag ? Tag.isTrue.rawValue : Tag.isFalse.rawValue)
            case .int(let number):
                bytes.append(Tag.int.rawValue)
                i64(Int64(number))
            case .double(let number):
                bytes.append(Tag.double.rawValue)
                u64(number.bitPattern)
            case .string(let text):
                bytes.append(Tag.string.rawValue)
                string(text)
            case .array(let items):
                bytes.append(Tag.array.rawValue)
                u32(UInt32(items.count))
                for item in items where !self.value(item, depth: depth + 1) { return false }
            case .object(let fields):
                bytes.append(Tag.object.rawValue)
                u32(UInt32(fields.count))
                for (key, item) in fields {
                    string(key)
                    if !self.value(item, depth: depth + 1) { return false }
                }
            }
            return true
        }
    }

    /// Bounds-checked reading: every method returns nil past the end or on a bad tag.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }
        mutating func u32() -> UInt32? {
            take(4).map { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }
        mutating func u64() -> UInt64? {
            take(8).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }
        mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }
        mutating func string() -> String? {
            guard let length = u32(), let utf8 = take(Int(length)) else { return nil }
            return String(decoding: utf8, as: UTF8.self)
        }

        mutating func value(depth: Int) -> Value? {
            guard depth < ReadCache.maxDepth, let raw = take(1), let tag = Tag(rawValue: raw[0]) else { return nil }
            switch tag {
            case .null: return .null
            case .isFalse: return .bool(false)
            case .isTrue: return .bool(true)
            case .int: return i64().flatMap { Int(exactly: $0) }.map(Value.int)
            case .double: return u64().map { .double(Double(bitPattern: $0)) }
            case .string: return string().map(Value.string)
            case .array:
                // Each value takes at least one byte: a count beyond the bytes left is damage.
                guard let count = u32(), Int(count) <= bytes.count - offset else { return nil }
                var items: [Value] = []
                items.reserveCapacity(Int(count))
                for _ in 0..<count {
                    guard let item = value(depth: depth + 1) else { return nil }
                    items.append(item)
                }
                return .array(items)
            case .object:
                guard let count = u32(), Int(count) <= bytes.count - offset else { return nil }
                var fields = OrderedDictionary<String, Value>(minimumCapacity: Int(count))
                for _ in 0..<count {
                    guard let key = string(), let item = value(depth: depth + 1),
                        fields.updateValue(item, forKey: key) == nil
                    else { return nil }
                }
                return .object(fields)
            }
        }
    }
}
