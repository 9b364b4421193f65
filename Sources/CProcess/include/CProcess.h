#ifndef CPROCESS_H
#define CPROCESS_H

#include <sys/types.h>

/// Runs `path` with `argv`/`envp` in `cwd` in a process group of its own that is handed the
/// terminal (the foreground group) while it runs, then takes the terminal and its modes back, as
/// git and gh do for an editor. Returns the exit status, 128+N for a signal N, or -1 with errno set.
int cprocess_foreground(const char *path, char *const argv[], char *const envp[], const char *cwd);

/// Starts `path` in a new process group (its id is the returned pid) with stdin from /dev/null and
/// stdout and stderr on `outfd`; -1 with errno set when it cannot fork.
pid_t cprocess_spawn_group(const char *path, char *const argv[], char *const envp[], const char *cwd, int outfd);

/// Waits for `pid`; returns 1 and its exit status (128+N for signal N) when it has ended, 0 when it is
/// still running after `timeout_ms` (negative waits for ever), -1 on error.
int cprocess_wait(pid_t pid, int timeout_ms, int *status);

/// A pipe whose two ends close on exec; 0, or -1 with errno set.
int cprocess_pipe(int ends[2]);

/// Caps glibc's malloc arenas at `count` (mallopt M_ARENA_MAX); 1 on success, 0 elsewhere.
int cprocess_limit_malloc_arenas(int count);

/// Asks the C allocator to grow its heaps by at least `bytes` at a time (glibc's M_TOP_PAD); 1 when
/// set, 0 where there is no such setting.
int cprocess_heap_growth(int bytes);

#endif
