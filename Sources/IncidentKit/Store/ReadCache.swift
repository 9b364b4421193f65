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
/// or another; a cache that fails its checksum, comes from another format or another build of
/// the tool (whose parser may read a file differently) or cannot be decoded is ignored and
/// rewritten. It is never used for writes: incidents loaded from it are `readOnly`.
struct ReadCache {
    struct Entry {
        var stamp: FileStamp
        var fields: OrderedDictionary<String, Value>
    }

    static let fileName = "read-cache"
    static let magic: [UInt8] = Array("incident-read-cache\n".utf8)
    /// Raise when the encoding changes.
    static let formatVersion: UInt32 = 2
    /// How much older than the cache file an entry's stamp must be to be trusted (2 s covers the
    /// coarsest timestamps of common file systems).
    static let defaultMargin: Int64 = 2_000_000_000
    /// Values nested deeper than this are not cached (their file is parsed each time).
    static let maxDepth = 64

    var entries: [String: Entry] = [:]

    /// The identity of the running binary (size and modification time): a cache written by
    /// another build is not read, since that build's parser may have read the files differently.
    static let builder: (Int64, Int64)? = {
        guard let path = Bundle.main.executablePath, let stamp = LocalFileSystem().stamp(path) else { return nil }
        return (stamp.size, stamp.modified)
    }()

    // MARK: - Reading

    /// The entries of the cache at `path` that may be trusted, or an empty cache when there is
    /// none, it is damaged, or it was written by another build or format.
    static func read(_ path: String, fileSystem: any FileSystem, margin: Int64) -> ReadCache {
        guard let builder, let own = fileSystem.stamp(path), let data = try? fileSystem.read(path) else {
            return ReadCache()
        }
        let limit = own.modified &- margin
        return data.withUnsafeBytes { bytes -> ReadCache in
            var reader = Reader(bytes: bytes)
            guard reader.take(magic.count).map(Array.init) == magic, reader.u32() == formatVersion,
                reader.i64() == builder.0, reader.i64() == builder.1,
                let length = reader.i64(), let checksum = reader.u64(),
                length == Int64(bytes.count - reader.offset),
                Self.checksum(UnsafeRawBufferPointer(rebasing: bytes[reader.offset...])) == checksum,
                let count = reader.u32(), Int(count) <= (bytes.count - reader.offset) / 8
            else { return ReadCache() }
            // Each entry's offset, then the entries: decoded in parts on all cores.
            var offsets: [Int] = []
            offsets.reserveCapacity(Int(count) + 1)
            for _ in 0..<count {
                guard let offset = reader.u64(), offset <= UInt64(bytes.count) else { return ReadCache() }
                offsets.append(Int(offset))
            }
            offsets.append(bytes.count)
            guard offsets.first.map({ $0 == reader.offset }) ?? true, zip(offsets, offsets.dropFirst()).allSatisfy(<=)
            else { return ReadCache() }
            let parts = count < 256 ? 1 : ProcessInfo.processInfo.activeProcessorCount * 2
            let decoded = PartResults(count: parts)
            let base = SharedBytes(bytes: bytes)
            let starts = offsets
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var entries: [(String, Entry)] = []
                let range = (Int(count) * part / parts)..<(Int(count) * (part + 1) / parts)
                entries.reserveCapacity(range.count)
                for index in range {
                    var reader = Reader(bytes: base.bytes, offset: starts[index])
                    guard let name = reader.string(), let size = reader.i64(), let modified = reader.i64(),
                        let changed = reader.i64(), let inode = reader.u64(), let device = reader.u64(),
                        case .object(let fields)? = reader.value(depth: 0), reader.offset == starts[index + 1]
                    else { return decoded.set(part, nil) }
                    // A stamp no older than the cache may hide a change made in the same tick.
                    guard modified < limit, changed < limit else { continue }
                    entries.append(
                        (
                            name,
                            Entry(
                                stamp: FileStamp(
                                    size: size, modified: modified, changed: changed, inode: inode, device: device),
                                fields: fields)
                        ))
                }
                decoded.set(part, entries)
            }
            var cache = ReadCache()
            cache.entries.reserveCapacity(Int(count))
            for part in decoded.values {
                guard let part else { return ReadCache() }
                for (name, entry) in part { cache.entries[name] = entry }
            }
            return cache
        }
    }

    /// The cache's bytes, read (never written) by every part while `read` holds them.
    private struct SharedBytes: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
    }

    /// Per-part results written from `concurrentPerform` workers; nil marks a damaged part.
    private final class PartResults: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [[(String, Entry)]?]

        init(count: Int) { storage = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ value: [(String, Entry)]?) { lock.withLock { storage[index] = value } }

        var values: [[(String, Entry)]?] { lock.withLock { storage } }
    }

    // MARK: - Writing

    /// The cache's bytes for `entries` (name, stamp, fields), in name order; entries nested deeper
    /// than `maxDepth` are left out.
    static func encode(
        _ entries: [(name: String, stamp: FileStamp, fields: OrderedDictionary<String, Value>)]
    ) -> [UInt8]? {
        guard let builder else { return nil }
        var kept: [UInt8] = []
        var starts: [Int] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            var one = Writer()
            one.string(entry.name)
            one.i64(entry.stamp.size)
            one.i64(entry.stamp.modified)
            one.i64(entry.stamp.changed)
            one.u64(entry.stamp.inode)
            one.u64(entry.stamp.device)
            guard one.value(.object(entry.fields), depth: 0) else { continue }
            starts.append(kept.count)
            kept += one.bytes
        }
        var header = Writer()
        header.bytes = magic
        header.u32(formatVersion)
        header.i64(builder.0)
        header.i64(builder.1)
        // The payload: the entry count, each entry's offset in the file, the entries.
        let entriesStart = header.bytes.count + 8 + 8 + 4 + 8 * starts.count
        var payload = Writer()
        payload.u32(UInt32(starts.count))
        for start in starts { payload.u64(UInt64(entriesStart + start)) }
        payload.bytes += kept
        header.i64(Int64(payload.bytes.count))
        header.u64(payload.bytes.withUnsafeBytes(checksum))
        return header.bytes + payload.bytes
    }

    /// A 64-bit checksum of the payload (FNV-1a over 8-byte words, then the tail), enough to tell a
    /// damaged file from a whole one.
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
