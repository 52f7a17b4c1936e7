#ifndef GRIDSTITCH_CSHIMS_H
#define GRIDSTITCH_CSHIMS_H

#include <dirent.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/types.h>

/// prctl(PR_SET_PDEATHSIG, sig): the kernel sends `sig` to this process when its parent thread dies.
int gs_set_parent_death_signal(int sig);

/// prctl(PR_SET_TIMERSLACK, ns): how late the kernel may end this thread's timed sleeps.
int gs_set_timer_slack(unsigned long ns);

/// memfd_create(name, MFD_CLOEXEC): anonymous shared memory, gone with its last descriptor.
int gs_memfd_create(const char *name, int sealable);
// The seals that make a memfd's contents final (F_SEAL_SEAL|SHRINK|GROW|WRITE), and fcntl for them.
int gs_seals_final(void);
int gs_add_seals(int fd, int seals);
int gs_get_seals(int fd);
/// vmsplice(fd, {base, length}, 1, 0): lends pages to a pipe, which holds a reference to each until
/// it is read. The tests hold a page of a memfd that way while it is sealed.
ssize_t gs_vmsplice(int fd, void *base, size_t length);
/// 1 if fd is a POSIX message queue (fstatfs: MQUEUE_MAGIC), 0 if not, -1 on error.
int gs_is_mqueue(int fd);

/// futex(FUTEX_WAIT) on a word that may live in memory shared between processes.
/// Returns 0 when woken, or -errno (-ETIMEDOUT, -EAGAIN when *addr != expected, -EINTR).
int gs_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns);

/// futex(FUTEX_WAKE): wakes up to `count` waiters; returns how many were woken or -errno.
int gs_futex_wake(uint32_t *addr, int count);

/// mq_open(name, O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600, {maxmsg, msgsize}); -1 and errno on failure.
mqd_t gs_mq_create(const char *name, long maxmsg, long msgsize);

/// mq_timedreceive with a relative timeout; returns bytes received or -1 with errno (ETIMEDOUT).
ssize_t gs_mq_receive(mqd_t mq, char *buffer, size_t length, int64_t timeout_ns);

/// mq_timedsend with a relative timeout; 0 or -1 with errno.
int gs_mq_send(mqd_t mq, const char *buffer, size_t length, int64_t timeout_ns);

/// sem_clockwait(CLOCK_MONOTONIC) with a relative timeout; 0 or -1 with errno (ETIMEDOUT, EINTR).
int gs_sem_wait(sem_t *sem, int64_t timeout_ns);

/// pidfd_open(pid, 0): a descriptor that polls readable when the process ends.
int gs_pidfd_open(pid_t pid);

/// SIGINT and SIGTERM set a flag (no SA_RESTART, so blocking calls return EINTR).
int gs_install_stop_handlers(void);
/// The first stop signal received, or 0.
int gs_stop_signal(void);
/// Back to the default disposition for SIGINT, SIGTERM, SIGPIPE and the crash signals (see
/// gs_default_crash_signals), with an empty mask (in a camera after fork).
void gs_reset_signal_handlers(void);
/// SIG_DFL for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP and SIGQUIT, replacing the Swift
/// runtime's backtracer: such a signal ends the process as it would a C program.
void gs_default_crash_signals(void);
/// For the same signals: write one line on stderr naming the signal (and who sent it, or the
/// faulting address), then end the process by that signal (async-signal-safe: write, raise).
int gs_install_crash_reporter(void);
/// SIGPIPE ignored, so a write to a closed pipe returns EPIPE instead of killing the writer.
void gs_ignore_sigpipe(void);
void gs_ignore_sigint(void);

int gs_wifexited(int status);
int gs_wexitstatus(int status);
int gs_wifsignaled(int status);
int gs_wtermsig(int status);

/// The process environment, for posix_spawn.
char *const *gs_environ(void);

/// pipe2(O_CLOEXEC).
int gs_pipe_cloexec(int fds[2]);
/// fcntl(F_SETPIPE_SZ).
int gs_set_pipe_size(int fd, int bytes);
/// getrandom(2) into buffer; bytes filled or -1.
ssize_t gs_random_bytes(void *buffer, size_t length);

/// The spin-wait hint (x86 `pause`), so a spinning core yields to its sibling.
static inline void gs_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW): O_PATH is a GNU extension Swift
/// does not see. -1 with errno on failure.
int gs_open_directory_path(const char *path);

#endif

/// Sets this thread's effective uid and gid only (raw setresuid/setresgid: glibc's wrappers would
/// change every thread's), so a test run as root can act as another user and come back.
int gs_thread_set_effective_ids(unsigned int uid, unsigned int gid);

/// A directory entry's name, by address: reading `d_name` from Swift copies the whole 256-byte
/// array out of the entry, past the end of an entry that sits last in readdir's buffer
/// (AddressSanitizer: heap-buffer-overflow).
static inline const char *gs_dirent_name(const struct dirent *entry) { return entry->d_name; }

/// The bytes the kernel has received on TCP socket `fd`, read or not (tcp_info's
/// tcpi_bytes_received, Linux 4.1): 0, or -1 with errno (ENOTSUP where the kernel does not say;
/// EOPNOTSUPP or ENOTSOCK for another kind of descriptor).
int gs_tcp_bytes_received(int fd, unsigned long long *bytes);

/// Hands freed heap memory back to the system (glibc's malloc_trim(0), which Swift's Glibc
/// module does not export).
void gs_malloc_trim(void);
