import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C against the moment a write becomes visible. The SIGINT handler calls `interrupt()`;
/// every rename or link that publishes a file runs inside `commit`. Whichever comes second
/// decides, so the message is always true: "nothing was written" only when nothing was.
public enum Interrupts {
    private static let pending = Atomic<Int>(0)
    private static let committing = Atomic<Int>(0)
    private static let wrote = Atomic<Int>(0)
    /// The process group of the check running now (0 for none); Ctrl-C kills it before exiting.
    private static let group = Atomic<Int32>(0)

    private static let draft = Atomic<Int>(0)

    /// Records that typed answers are kept as a draft, so a Ctrl-C says so.
    public static func keptDraft() { draft.store(1, ordering: .sequentiallyConsistent) }

    /// A file to remove if the process is cancelled (the editor's temp file), as a C string's address.
    private static let temporary = Atomic<Int>(0)

    /// Removes `path` if a cancel (Ctrl-C, a hang-up) ends the process while `body` runs.
    public static func removing<T>(_ path: String, during body: () throws -> T) rethrows -> T {
        let copy = strdup(path)
        temporary.store(Int(bitPattern: copy), ordering: .sequentiallyConsistent)
        defer {
            temporary.store(0, ordering: .sequentiallyConsistent)
            free(copy)
        }
        return try body()
    }

    /// Records the process group of a running check, or 0 when it has ended.
    public static func running(group id: Int32) { group.store(id, ordering: .sequentiallyConsistent) }

    /// Touches the counters once outside any signal handler (statics are initialised lazily).
    public static func prepare() {
        _ = pending.load(ordering: .relaxed) + committing.load(ordering: .relaxed) + wrote.load(ordering: .relaxed)
        _ = group.load(ordering: .relaxed) + Int32(draft.load(ordering: .relaxed))
        _ = temporary.load(ordering: .relaxed)
    }

    /// From the SIGINT handler: exits at once unless a write is being published, in which case
    /// the writer exits right after it. Only atomics, write(2) and _exit: async-signal-safe.
    public static func interrupt() {
        pending.store(1, ordering: .sequentiallyConsistent)
        if committing.load(ordering: .sequentiallyConsistent) == 0 { exitCancelled() }
    }

    /// Runs the one call that makes a write visible (a rename or a link).
    public static func commit<T>(_ publish: () throws -> T) rethrows -> T {
        committing.add(1, ordering: .sequentiallyConsistent)
        if pending.load(ordering: .sequentiallyConsistent) == 1 {
            committing.subtract(1, ordering: .sequentiallyConsistent)
            exitCancelled()
        }
        defer {
            committing.subtract(1, ordering: .sequentiallyConsistent)
            if pending.load(ordering: .sequentiallyConsistent) == 1 { exitCancelled() }
        }
        let result = try publish()
        wrote.store(1, ordering: .sequentiallyConsistent)
        return result
    }

    private static func exitCancelled() -> Never {
        let running = group.load(ordering: .sequentiallyConsistent)
        if running > 0 { kill(-running, SIGKILL) }
        if let path = UnsafePointer<CChar>(bitPattern: temporary.load(ordering: .sequentiallyConsistent)) {
            unlink(path)
        }
        let message =
            wrote.load(ordering: .sequentiallyConsistent) == 0
            ? (draft.load(ordering: .sequentiallyConsistent) == 0
                ? "\ncancelled; nothing was written.\n"
                : "\ncancelled; nothing was written to the incident; the answers typed so far are kept as a draft that the next `incident advance` offers.\n")
            : "\ncancelled; what was already saved is kept (git diff shows it).\n"
        message.withCString { pointer in _ = write(2, pointer, strlen(pointer)) }
        _exit(2)
    }
}
