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
/// file differently, and whose JSON writer may write differently), or whose index fails its
/// checksum, is ignored; an entry that fails its own checksum or cannot be decoded is not used
/// (its file is parsed). Either way the cache is rewritten. It is never used for writes:
/// incidents loaded from it are `readOnly`.
///
/// Layout: a header (magic, format, the builder's identity, the entry count, where the entries
/// end, the index's checksum); an index of each entry's place and its JSON's, sorted by name
/// (UTF-8 bytes, for binary search); the entries (checksum, name, stamp, fields); then each
/// entry's fields as `list --json` writes them (checksum, bytes), read only by `list --json`.
/// Entries are looked up and decoded one by one, from any thread: a read decodes only the
/// entries it uses, in parallel with its `stat`s.
struct ReadCache: Sendable {
    static let fileName = "read-cache"
    static let magic: [UInt8] = Array("incident-read-cache\n".utf8)
    /// Raise when the encoding changes.
    static let formatVersion: UInt32 = 4
    /// How much older than the cache file an entry's stamp must be to be trusted (2 s covers the
    /// coarsest timestamps of common file systems).
    static let defaultMargin: Int64 = 2_000_000_000
    /// Values nested deeper than this are not cached (their file is parsed each time).
    static let maxDepth = 64
    /// magic, format, builder size and time, entry count, end of the entries, index checksum.
    static let headerSize = magic.count + 4 + 8 + 8 + 4 + 8 + 8
    /// Per entry in the index: its start and length, its JSON's start and length.
    static let indexEntrySize = 32

    /// What the cache holds for one file.
    struct Hit {
        var fields: OrderedDictionary<String, Value>
        /// `JSON.memberBytes(fields)`, when it was read and whole.
        var json: Data?
    }

    /// The cache file's bytes read (empty when there is no usable cache): up to the end of the
    /// entries, or the whole file with the JSON.
    private let data: Data
    /// Per entry, in name order: start and end, JSON start and end.
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
    var count: Int { index.count / 4 }

    /// The identity of the running binary (size and modification time): a cache written by
    /// another build is not read, since that build's parser may have read the files differently.
    static let builder: (Int64, Int64)? = {
        guard let path = Bundle.main.executablePath, let stamp = LocalFileSystem().stamp(path) else { return nil }
        return (stamp.size, stamp.modified)
    }()

    // MARK: - Reading

    /// The cache at `path`, or an empty cache when there is none, its header or index is damaged,
    /// or it was written by another build or format. Entries are checked when looked up. The
    /// entries' JSON is read only when `json` is set.
    static func read(_ path: String, fileSystem: any FileSystem, margin: Int64, json: Bool = false) -> ReadCache {
        guard let builder, let own = fileSystem.stamp(path),
            let data = readStart(path, fileSystem, json: json, size: own.size)
        else { return ReadCache() }
        let index = data.withUnsafeBytes { bytes -> [Int]? in
            var reader = Reader(bytes: bytes)
            guard reader.take(magic.count).map(Array.init) == magic, reader.u32() == formatVersion,
                reader.i64() == builder.0, reader.i64() == builder.1,
                let count = reader.u32(), let entriesEnd = reader.u64(), let checksum = reader.u64(),
                Int(count) <= (bytes.count - reader.offset) / indexEntrySize,
                let table = reader.take(Int(count) * indexEntrySize),
                Self.checksum(table) &+ entriesEnd == checksum, entriesEnd <= UInt64(bytes.count)
            else { return nil }
            var index: [Int] = []
            index.reserveCapacity(Int(count) * 4)
            var tableReader = Reader(bytes: table)
            for _ in 0..<count {
                guard let start = tableReader.u64(), let length = tableReader.u64(),
                    let jsonStart = tableReader.u64(), let jsonLength = tableReader.u64(),
                    start >= UInt64(reader.offset), start <= entriesEnd, length >= 8, length <= entriesEnd - start,
                    jsonStart >= entriesEnd, jsonStart <= UInt64(Int32.max), jsonLength >= 8,
                    jsonLength <= UInt64(Int32.max)
                else { return nil }
                index += [Int(start), Int(start + length), Int(jsonStart), Int(jsonStart + jsonLength)]
            }
            return index
        }
        guard let index else { return ReadCache() }
        return ReadCache(data: data, index: index, limit: own.modified &- margin)
    }

    /// The file's bytes up to the end of its entries (named in its header), or all of them with
    /// the JSON; nil when it cannot be read.
    private static func readStart(_ path: String, _ fileSystem: any FileSystem, json: Bool, size: Int64) -> Data? {
        if json { return try? fileSystem.read(path) }
        guard let descriptor = try? fileSystem.openForReading(path) else { return nil }
        defer { close(descriptor) }
        func readUpTo(_ count: Int, into data: inout Data) -> Bool {
            data.count = count
            var done = 0
            while done < count {
                let got = data.withUnsafeMutableBytes {
                    pread(descriptor, $0.baseAddress! + done, count - done, off_t(done))
                }
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                done += got
            }
            data.count = done
            return done == count
        }
        var data = Data()
        guard readUpTo(headerSize, into: &data) else { return nil }
        let entriesEnd = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: headerSize - 16, as: UInt64.self) }
        let end = UInt64(littleEndian: entriesEnd)
        // No more than the file holds (a damaged header must not make this allocate gigabytes).
        guard end >= UInt64(headerSize), end <= UInt64(max(size, 0)) else { return nil }
        return readUpTo(Int(end), into: &data) ? data : nil
    }

    /// What the cache holds for `name` when its entry is whole and records `stamp`, old enough to
    /// be trusted; nil otherwise (the file is to be parsed).
    func hit(for name: String, stamp: FileStamp) -> Hit? {
        guard !index.isEmpty, stamp.modified < limit, stamp.changed < limit else { return nil }
        var name = name
        return name.withUTF8 { key in
            data.withUnsafeBytes { bytes -> Hit? in
                // Binary search by the name's bytes.
                var low = 0
                var high = count
                while low < high {
                    let middle = (low + high) / 2
                    var reader = Reader(bytes: bytes, offset: index[4 * middle] + 8)
                    guard let length = reader.u32(), let other = reader.take(Int(length)) else { return nil }
                    let common = min(other.count, key.count)
                    var order = common == 0 ? 0 : memcmp(other.baseAddress!, key.baseAddress!, common)
                    if order == 0 { order = other.count < key.count ? -1 : (other.count > key.count ? 1 : 0) }
                    if order == 0 { return found(middle, bytes, nameLength: key.count, stamp: stamp) }
                    if order < 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }
    }

    private func found(_ entry: Int, _ bytes: UnsafeRawBufferPointer, nameLength: Int, stamp: FileStamp) -> Hit? {
        guard
            let fields = Self.decode(
                UnsafeRawBufferPointer(rebasing: bytes[index[4 * entry]..<index[4 * entry + 1]]),
                nameLength: nameLength, stamp: stamp)
        else { return nil }
        var hit = Hit(fields: fields)
        let (start, end) = (index[4 * entry + 2], index[4 * entry + 3])
        if end <= bytes.count {
            var reader = Reader(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            if reader.u64() == Self.checksum(UnsafeRawBufferPointer(rebasing: bytes[(start + 8)..<end])) {
                hit.json = data[(start + 8)..<end]
            }
        }
        return hit
    }

    /// One entry's fields, when its checksum holds, its stamp is `stamp` and it decodes whole.
    private static func decode(
        _ entry: UnsafeRawBufferPointer, nameLength: Int, stamp: FileStamp
    )
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
        var encoded: [(name: [UInt8], bytes: [UInt8], json: [UInt8])] = []
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
            one.bytes.withUnsafeBytes { bytes in
                let checksum = Self.checksum(UnsafeRawBufferPointer(rebasing: bytes[8...]))
                withUnsafeBytes(of: checksum.littleEndian) { one.bytes.replaceSubrange(0..<8, with: $0) }
            }
            let json = JSON.memberBytes(entry.fields)
            var jsonEntry = Writer()
            jsonEntry.u64(json.withUnsafeBytes(checksum))
            jsonEntry.bytes += json
            encoded.append((Array(entry.name.utf8), one.bytes, jsonEntry.bytes))
        }
        // Sorted by the names' bytes, as `hit(for:stamp:)` searches.
        encoded.sort { $0.name.lexicographicallyPrecedes($1.name) }
        let entriesStart = headerSize + indexEntrySize * encoded.count
        let entriesEnd = entriesStart + encoded.reduce(0) { $0 + $1.bytes.count }
        var table = Writer()
        var offset = entriesStart
        var jsonOffset = entriesEnd
        for entry in encoded {
            table.u64(UInt64(offset))
            table.u64(UInt64(entry.bytes.count))
            table.u64(UInt64(jsonOffset))
            table.u64(UInt64(entry.json.count))
            offset += entry.bytes.count
            jsonOffset += entry.json.count
        }
        var out = Writer()
        out.bytes.reserveCapacity(jsonOffset)
        out.bytes = magic
        out.u32(formatVersion)
        out.i64(builder.0)
        out.i64(builder.1)
        out.u32(UInt32(encoded.count))
        out.u64(UInt64(entriesEnd))
        out.u64(table.bytes.withUnsafeBytes(checksum) &+ UInt64(entriesEnd))
        out.bytes += table.bytes
        for entry in encoded { out.bytes += entry.bytes }
        for entry in encoded { out.bytes += entry.json }
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
                let start = offset
                if count <= 64, let object = asciiObject(count: Int(count), depth: depth) { return object }
                // Not plain ASCII keys (whose equality is not their bytes'), many keys, or damage:
                // each key checked as the dictionary checks it.
                offset = start
                var fields = OrderedDictionary<String, Value>(minimumCapacity: Int(count))
                for _ in 0..<count {
                    guard let key = string(), let item = value(depth: depth + 1),
                        fields.updateValue(item, forKey: key) == nil
                    else { return nil }
                }
                return .object(fields)
            }
        }

        /// An object whose keys are all ASCII, told apart by their bytes (for ASCII, String
        /// equality is byte equality) rather than by hashing each into the dictionary as it grows:
        /// most of decoding an entry. Nil for anything else, from wherever it stopped.
        private mutating func asciiObject(count: Int, depth: Int) -> Value? {
            var keys: [String] = []
            var values: [Value] = []
            keys.reserveCapacity(count)
            values.reserveCapacity(count)
            return withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: count) { seen -> Value? in
                for index in 0..<count {
                    guard let length = u32(), let raw = take(Int(length)), raw.allSatisfy({ $0 < 0x80 }) else {
                        return nil
                    }
                    for earlier in seen[..<index]
                    where earlier.count == raw.count
                        && (raw.isEmpty || memcmp(earlier.baseAddress!, raw.baseAddress!, raw.count) == 0)
                    {
                        return nil
                    }
                    seen[index] = raw
                    keys.append(String(decoding: raw, as: UTF8.self))
                    guard let item = value(depth: depth + 1) else { return nil }
                    values.append(item)
                }
                return .object(OrderedDictionary(uncheckedUniqueKeys: keys, values: values))
            }
        }
    }
}
