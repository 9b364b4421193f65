import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File operations a workflow may perform. Paths are absolute.
public protocol FileSystem: Sendable {
    func read(_ path: String) throws -> Data
    /// Replaces (or creates) a file so that a reader sees the old bytes or the new, never a mix:
    /// a temp file in the same folder, fsync, rename.
    func writeAtomically(_ data: Data, to path: String) throws
    /// Creates a new file atomically; fails with `FileSystemError.exists` when the name is taken.
    func create(_ data: Data, at path: String) throws
    func contents(of directory: String) throws -> [String]
    func fileExists(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    func createDirectory(_ path: String) throws
    /// Takes an exclusive, non-blocking lock on an existing file until the handle is released.
    func lock(_ path: String) throws -> any FileLock
    /// Opens a file for streaming reads; the caller owns the descriptor.
    func openForReading(_ path: String) throws -> Int32
    /// Writes what `produce` emits to `path`: a regular file (or a new one) is replaced atomically
    /// at the path a symlink leads to; a device or FIFO is written through; a folder is refused.
    func writeStreaming(
        to path: String, _ produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
    /// Temp files an interrupted write left behind in `folder` (absolute paths).
    func staleTemporaryFiles(in folder: String) -> [String]
    /// Like `writeAtomically`, but the file is readable by its owner only (mode 0600), for
    /// answers in progress: drafts and the editor's temp files.
    func writePrivately(_ data: Data, to path: String) throws
    /// Removes a file; a missing one is no error.
    func remove(_ path: String) throws
    /// What identifies a regular file's current contents without reading them (size, times,
    /// inode), links followed; nil when it is missing or not a regular file.
    func stamp(_ path: String) -> FileStamp?
    /// `stamp` of each name in `folder`, for many files at once.
    func stamps(of names: ArraySlice<String>, in folder: String) -> [FileStamp?]
}

/// A regular file's size, modification and change times (nanoseconds) and inode: the key under
/// which `ReadCache` keeps what it parsed from the file.
public struct FileStamp: Equatable, Sendable {
    public var size: Int64
    public var modified: Int64
    public var changed: Int64
    public var inode: UInt64
    public var device: UInt64

    public init(size: Int64, modified: Int64, changed: Int64, inode: UInt64, device: UInt64) {
        self.size = size
        self.modified = modified
        self.changed = changed
        self.inode = inode
        self.device = device
    }
}

/// A held lock; `release()` (or deinit) lets go of it.
extension FileSystem {
    /// `lock`, retried every 10 ms until `timeout` seconds have passed.
    public func lockWaiting(
        _ path: String, timeout: TimeInterval, sleep: (TimeInterval) -> Void
    ) throws -> any FileLock {
        var waited: TimeInterval = 0
        while true {
            do {
                return try lock(path)
            } catch FileSystemError.locked where waited < timeout {
                sleep(0.01)
                waited += 0.01
            }
        }
    }
}

public protocol FileLock: AnyObject, Sendable {
    func release()
}

/// The errors of `FileSystem`, each naming the path.
public enum FileSystemError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case isDirectory(String)
    case exists(String)
    case locked(String)
    case io(String, String)
    /// A FIFO, device or socket where a file was expected: reading it could wait for ever.
    case notRegular(String, String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path) does not exist"
        case .isDirectory(let path): return "\(path) is a directory, not a file"
        case .exists(let path): return "\(path) already exists"
        case .locked(let path): return "\(path) is being written by another incident process"
        case .io(let path, let problem): return "\(path): \(problem)"
        case .notRegular(let path, let kind): return "\(path) is \(kind), not a regular file; incident reads only regular files"
        }
    }
}

/// The real file system, through POSIX calls where atomicity matters.
public struct LocalFileSystem: FileSystem {
    public init() {}

    /// The largest file `read` takes: incident files, templates, config and answers are text a
    /// person wrote, and a larger one is a mistake (or `/dev/zero` behind a link).
    public static let maxReadSize = 256 << 20

    public func read(_ path: String) throws -> Data {
        // O_NONBLOCK so that opening a FIFO never waits for a writer; only regular files are read.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw FileSystemError.notFound(path) }
            if errno == EISDIR { throw FileSystemError.isDirectory(path) }
            throw FileSystemError.io(path, Self.errorText())
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError.io(path, Self.errorText()) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw FileSystemError.isDirectory(path)
        case S_IFIFO: throw FileSystemError.notRegular(path, "a FIFO")
        case S_IFCHR: throw FileSystemError.notRegular(path, "a character device")
        case S_IFBLK: throw FileSystemError.notRegular(path, "a block device")
        case S_IFSOCK: throw FileSystemError.notRegular(path, "a socket")
        default: throw FileSystemError.notRegular(path, "an unusual file")
        }
        guard info.st_size <= Self.maxReadSize else {
            throw FileSystemError.io(path, "is \(info.st_size >> 20) MiB, more than the \(Self.maxReadSize >> 20) MiB read here")
        }
        var data = Data(count: Int(info.st_size))
        var total = 0
        var failure: String?
        data.withUnsafeMutableBytes { buffer in
            while total < buffer.count {
                let got = systemRead(descriptor, buffer.baseAddress! + total, buffer.count - total)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = Self.errorText()
                    return
                }
                if got == 0 { break }
                total += got
            }
        }
        if let failure { throw FileSystemError.io(path, failure) }
        // A file that shrank while being read is read as it now is.
        if total < data.count { data.removeSubrange(total...) }
        return data
    }

    public func writeAtomically(_ data: Data, to path: String) throws {
        let temp = try writeTemp(data, beside: path)
        guard Interrupts.commit({ rename(temp, path) }) == 0 else {
            let problem = Self.errorText()
            unlink(temp)
            throw FileSystemError.io(path, problem)
        }
        syncDirectory(of: path)
    }

    public func create(_ data: Data, at path: String) throws {
        let temp = try writeTemp(data, beside: path)
        defer { unlink(temp) }
        // link() fails when the name is taken, so two processes can never both claim a file name.
        guard Interrupts.commit({ link(temp, path) }) == 0 else {
            throw errno == EEXIST ? FileSystemError.exists(path) : FileSystemError.io(path, Self.errorText())
        }
        syncDirectory(of: path)
    }

    public func writePrivately(_ data: Data, to path: String) throws {
        let temp = try writeTemp(data, beside: path, mode: 0o600)
        guard rename(temp, path) == 0 else {
            let problem = Self.errorText()
            unlink(temp)
            throw FileSystemError.io(path, problem)
        }
        chmod(path, 0o600)
    }

    public func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError.io(path, Self.errorText()) }
    }

    public func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Self.stamp(info)
    }

    public func stamps(of names: ArraySlice<String>, in folder: String) -> [FileStamp?] {
        // Names looked up from the open folder: the folder's path is walked once, not per file.
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return names.map { stamp(folder + "/" + $0) } }
        defer { close(descriptor) }
        return names.map { name in
            var info = stat()
            guard fstatat(descriptor, name, &info, 0) == 0 else { return nil }
            return Self.stamp(info)
        }
    }

    private static func stamp(_ info: stat) -> FileStamp? {
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
            let modified = info.st_mtimespec, changed = info.st_ctimespec
        #else
            let modified = info.st_mtim, changed = info.st_ctim
        #endif
        return FileStamp(
            size: Int64(info.st_size),
            modified: Int64(modified.tv_sec) &* 1_000_000_000 &+ Int64(modified.tv_nsec),
            changed: Int64(changed.tv_sec) &* 1_000_000_000 &+ Int64(changed.tv_nsec),
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }

    private func writeTemp(_ data: Data, beside path: String, mode fixed: mode_t? = nil) throws -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        removeStaleTemporaryFiles(in: folder)
        let temp = folder + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        var mode: mode_t = 0o644
        var info = stat()
        if stat(path, &info) == 0 { mode = info.st_mode & 0o7777 }
        if let fixed { mode = fixed }
        let descriptor = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw FileSystemError.io(path, Self.errorText()) }
        var failure: String?
        data.withUnsafeBytes { buffer in
            if !Self.writeAll(descriptor, buffer) { failure = Self.errorText() }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = Self.errorText() }
        close(descriptor)
        if let failure {
            unlink(temp)
            throw FileSystemError.io(path, failure)
        }
        return temp
    }

    private func syncDirectory(of path: String) {
        let descriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    public func contents(of directory: String) throws -> [String] {
        // readdir directly (FileManager made an object per entry: `list` reads folders of
        // thousands); anything unusual (an error, a name that is not UTF-8) as FileManager says it.
        if let folder = opendir(directory) {
            defer { closedir(folder) }
            var names: [String] = []
            var plain = true
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String? in
                    let bytes = raw.bindMemory(to: UInt8.self)
                    let length = bytes.firstIndex(of: 0) ?? bytes.count
                    return String(validating: UnsafeBufferPointer(rebasing: bytes[..<length]), as: UTF8.self)
                }
                guard let name else {
                    plain = false
                    break
                }
                if name != "." && name != ".." { names.append(name) }
            }
            if plain { return names }
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            if !fileExists(directory) { throw FileSystemError.notFound(directory) }
            throw FileSystemError.io(directory, error.localizedDescription)
        }
    }

    public func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError.io(path, error.localizedDescription)
        }
    }

    public func lock(_ path: String) throws -> any FileLock {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError.io(path, Self.errorText()) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let problem = Self.errorText()
            close(descriptor)
            throw busy ? FileSystemError.locked(path) : FileSystemError.io(path, problem)
        }
        return DescriptorLock(descriptor: descriptor)
    }

    public func openForReading(_ path: String) throws -> Int32 {
        if isDirectory(path) { throw FileSystemError.isDirectory(path) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw errno == ENOENT ? FileSystemError.notFound(path) : FileSystemError.io(path, Self.errorText())
        }
        return descriptor
    }

    static func errorText() -> String { String(cString: strerror(errno)) }

    /// Writes every byte, retrying on EINTR; false (errno set) on a write error.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    public func writeStreaming(
        to path: String, _ produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        var info = stat()
        let exists = stat(path, &info) == 0  // follows links
        if exists, (info.st_mode & S_IFMT) == S_IFDIR { throw FileSystemError.isDirectory(path) }
        func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
            if !Self.writeAll(descriptor, bytes) { throw FileSystemError.io(path, Self.errorText()) }
        }
        if exists, (info.st_mode & S_IFMT) != S_IFREG {
            // /dev/stdout, /dev/null, a FIFO: written through, never replaced by a regular file.
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileSystemError.io(path, Self.errorText()) }
            defer { close(descriptor) }
            try produce { try writeAll(descriptor, $0) }
            return
        }
        // A link is followed: the file it leads to is replaced, the link stays a link.
        let target = exists ? (realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? path) : path
        let folder = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let temp = folder + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, exists ? info.st_mode & 0o7777 : 0o644)
        guard descriptor >= 0 else { throw FileSystemError.io(path, Self.errorText()) }
        do {
            try produce { try writeAll(descriptor, $0) }
            guard fsync(descriptor) == 0 else { throw FileSystemError.io(path, Self.errorText()) }
        } catch {
            close(descriptor)
            unlink(temp)
            throw error
        }
        close(descriptor)
        guard Interrupts.commit({ rename(temp, target) }) == 0 else {
            let problem = Self.errorText()
            unlink(temp)
            throw FileSystemError.io(path, problem)
        }
    }

    /// Temp files (`.NAME.PID.RAND.tmp`) that a killed write left: their process is gone and they
    /// are more than a minute old.
    public func staleTemporaryFiles(in folder: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        let now = time(nil)
        return names.filter { name in
            guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
            let parts = name.dropLast(4).split(separator: ".")
            guard parts.count >= 3, let pid = pid_t(parts[parts.count - 2]), UInt32(parts[parts.count - 1]) != nil
            else { return false }
            if kill(pid, 0) == 0 || errno != ESRCH { return false }
            var info = stat()
            return lstat(folder + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
                && now - info.st_mtim.tv_sec > 60
        }.sorted().map { folder + "/" + $0 }
    }

    private func removeStaleTemporaryFiles(in folder: String) {
        for path in staleTemporaryFiles(in: folder) { unlink(path) }
    }
}

final class DescriptorLock: FileLock, @unchecked Sendable {
    private var descriptor: Int32
    private let guardLock = NSLock()

    init(descriptor: Int32) { self.descriptor = descriptor }

    func release() {
        guardLock.lock()
        defer { guardLock.unlock() }
        if descriptor >= 0 {
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }
}

#if canImport(Glibc)
    private let systemRead = Glibc.read
#else
    private let systemRead = Darwin.read
#endif
