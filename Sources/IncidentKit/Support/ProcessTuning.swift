import CProcess
import Foundation

/// Process-wide allocator settings the command line makes before its work (glibc; nothing elsewhere).
public enum ProcessTuning {
    /// Caps glibc's malloc arenas (M_ARENA_MAX). Each thread that allocates gets an arena of its
    /// own by default, up to eight per core; an analysis of a stream frees, on one thread, what
    /// another built, and those arenas keep the memory mapped. Arenas are made as threads contend,
    /// so a later call still counts for the threads that come after it. Returns whether it was set.
    @discardableResult
    public static func limitMallocArenas(_ count: Int) -> Bool {
        cprocess_limit_malloc_arenas(Int32(count)) == 1
    }

    /// For a command about to build thousands of values on several threads (`list`, `stats`):
    /// the allocator grows its heaps in large steps (glibc's M_TOP_PAD), where it grew them a few
    /// pages at a time (an `mprotect` or `brk` each, a twentieth of `list`'s time), and each core's
    /// thread may have an arena (with one, `list --json` on 10,000 files took 124 ms, not 95).
    /// Untouched pages cost nothing.
    public static func expectManyAllocations() {
        _ = cprocess_heap_growth(32 << 20)
        limitMallocArenas(ProcessInfo.processInfo.activeProcessorCount)
    }
}
