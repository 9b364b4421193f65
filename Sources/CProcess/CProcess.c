#define _GNU_SOURCE
#include <errno.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "CProcess.h"

/// Before exec: default dispositions and an empty mask (a parent's handlers and masks must not leak in).
static void reset_signals(void) {
    int signals[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE, SIGCHLD, SIGTERM, SIGHUP, SIGWINCH};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) signal(signals[i], SIG_DFL);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
}

static int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

/// tcsetpgrp from what may be a background group: SIGTTOU is blocked for the call, so the kernel allows it.
static void give_terminal(int tty, pid_t group) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTTOU);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    tcsetpgrp(tty, group);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int cprocess_foreground(const char *path, char *const argv[], char *const envp[], const char *cwd) {
    int tty = isatty(STDIN_FILENO) ? STDIN_FILENO : isatty(STDERR_FILENO) ? STDERR_FILENO : -1;
    // Hand over only a terminal we hold in the foreground (a background job must not steal it).
    int handover = tty >= 0 && tcgetpgrp(tty) == getpgrp();
    struct termios modes;
    int have_modes = handover && tcgetattr(tty, &modes) == 0;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setpgid(0, 0);
        if (handover) give_terminal(tty, getpid());
        reset_signals();
        if (cwd != NULL && chdir(cwd) != 0) _exit(127);
        execve(path, argv, envp);
        _exit(127);
    }
    // Both sides set the group and hand the terminal over, so the order they run in never matters.
    setpgid(pid, pid);
    if (handover) give_terminal(tty, pid);
    int status = 0;
    pid_t waited;
    for (;;) {
        waited = waitpid(pid, &status, WUNTRACED);
        if (waited < 0 && errno == EINTR) continue;
        if (waited == pid && WIFSTOPPED(status)) {
            // The editor was suspended (Ctrl-Z): take the terminal back and stop as a job would, so
            // the shell gets control; once continued, hand the terminal over again and resume it.
            if (handover) {
                give_terminal(tty, getpgrp());
                if (have_modes) tcsetattr(tty, TCSADRAIN, &modes);
            }
            kill(0, SIGTSTP);
            if (handover) give_terminal(tty, pid);
            kill(-pid, SIGCONT);
            continue;
        }
        break;
    }
    if (handover) {
        give_terminal(tty, getpgrp());
        if (have_modes) tcsetattr(tty, TCSADRAIN, &modes);
    }
    if (waited < 0) return -1;
    return decode(status);
}

pid_t cprocess_spawn_group(const char *path, char *const argv[], char *const envp[], const char *cwd, int outfd) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) { dup2(null, STDIN_FILENO); if (null != STDIN_FILENO) close(null); }
        dup2(outfd, STDOUT_FILENO);
        dup2(outfd, STDERR_FILENO);
        if (outfd > STDERR_FILENO) close(outfd);
        reset_signals();
        if (cwd != NULL && chdir(cwd) != 0) _exit(127);
        execve(path, argv, envp);
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

int cprocess_wait(pid_t pid, int timeout_ms, int *status) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int raw = 0;
        pid_t waited = waitpid(pid, &raw, timeout_ms < 0 ? 0 : WNOHANG);
        if (waited == pid) { *status = decode(raw); return 1; }
        if (waited < 0 && errno != EINTR) return -1;
        if (timeout_ms >= 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            if (elapsed >= timeout_ms) return 0;
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
}

int cprocess_pipe(int ends[2]) { return pipe2(ends, O_CLOEXEC); }

#if defined(__GLIBC__)
int cprocess_limit_malloc_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
int cprocess_heap_growth(int bytes) { return mallopt(M_TOP_PAD, bytes); }
#else
int cprocess_limit_malloc_arenas(int count) { (void)count; return 0; }
int cprocess_heap_growth(int bytes) { (void)bytes; return 0; }
#endif
