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

    /// Touches the counters once outside any signal handler (statics are initialised lazily).
    public static func prepare() {
        _ = pending.load(ordering: .relaxed) + committing.load(ordering: .relaxed) + wrote.load(ordering: .relaxed)
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
        let message =
            wrote.load(ordering: .sequentiallyConsistent) == 0
            ? "\ncancelled; nothing was written.\n"
            : "\ncancelled; what was already saved is kept (git diff shows it).\n"
        message.withCString { pointer in _ = write(2, pointer, strlen(pointer)) }
        _exit(2)
    }
}
