import CProcess

/// Process-wide settings the command line makes once, before any work.
public enum ProcessTuning {
    /// Caps glibc's malloc arenas (M_ARENA_MAX). Each thread that allocates gets an arena of its
    /// own by default, up to eight per core; an analysis of a stream frees, on one thread, engines
    /// another built, and those arenas keep the memory mapped. Returns whether the cap was set.
    @discardableResult
    public static func limitMallocArenas(_ count: Int) -> Bool {
        cprocess_limit_malloc_arenas(Int32(count)) == 1
    }
}
