#include "CShims.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/tcp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int gs_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

int gs_memfd_create(const char *name, int sealable) {
  return memfd_create(name, MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
}

int gs_seals_final(void) { return F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE; }

int gs_add_seals(int fd, int seals) { return fcntl(fd, F_ADD_SEALS, seals); }

int gs_get_seals(int fd) { return fcntl(fd, F_GET_SEALS); }

ssize_t gs_vmsplice(int fd, void *base, size_t length) {
  struct iovec piece = {.iov_base = base, .iov_len = length};
  return vmsplice(fd, &piece, 1, 0);
}

int gs_is_mqueue(int fd) {
  struct statfs info;
  if (fstatfs(fd, &info) != 0) return -1;
  return info.f_type == 0x19800202 /* MQUEUE_MAGIC */ ? 1 : 0;
}

int gs_set_timer_slack(unsigned long ns) { return prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0); }

static struct timespec relative(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  return ts;
}

static struct timespec absolute(clockid_t clock, int64_t ns) {
  struct timespec now;
  clock_gettime(clock, &now);
  int64_t total = (int64_t)now.tv_nsec + ns % 1000000000LL;
  now.tv_sec += ns / 1000000000LL + total / 1000000000LL;
  now.tv_nsec = total % 1000000000LL;
  return now;
}

int gs_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts = relative(timeout_ns);
  long r = syscall(SYS_futex, addr, FUTEX_WAIT, expected, &ts, NULL, 0);
  return r == -1 ? -errno : 0;
}

int gs_futex_wake(uint32_t *addr, int count) {
  long r = syscall(SYS_futex, addr, FUTEX_WAKE, count, NULL, NULL, 0);
  return r == -1 ? -errno : (int)r;
}

mqd_t gs_mq_create(const char *name, long maxmsg, long msgsize) {
  struct mq_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.mq_maxmsg = maxmsg;
  attr.mq_msgsize = msgsize;
  return mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
}

ssize_t gs_mq_receive(mqd_t mq, char *buffer, size_t length, int64_t timeout_ns) {
  struct timespec deadline = absolute(CLOCK_REALTIME, timeout_ns);
  return mq_timedreceive(mq, buffer, length, NULL, &deadline);
}

int gs_mq_send(mqd_t mq, const char *buffer, size_t length, int64_t timeout_ns) {
  struct timespec deadline = absolute(CLOCK_REALTIME, timeout_ns);
  return mq_timedsend(mq, buffer, length, 0, &deadline);
}

int gs_sem_wait(sem_t *sem, int64_t timeout_ns) {
  struct timespec deadline = absolute(CLOCK_MONOTONIC, timeout_ns);
  return sem_clockwait(sem, CLOCK_MONOTONIC, &deadline);
}

int gs_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

static volatile sig_atomic_t stop_signal = 0;

static void on_stop(int sig) {
  if (stop_signal == 0) stop_signal = sig;
}

int gs_install_stop_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  if (sigaction(SIGINT, &action, NULL) != 0) return -1;
  if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
  // A closed terminal (or a supervisor's reload) ends a run as SIGTERM does: with a summary and
  // nothing left behind.
  if (sigaction(SIGHUP, &action, NULL) != 0) return -1;
  // A parent may hand us these blocked (a test runner's thread, say): we must see them.
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGHUP);
  return pthread_sigmask(SIG_UNBLOCK, &stops, NULL) == 0 ? 0 : -1;
}

int gs_stop_signal(void) { return stop_signal; }

void gs_reset_signal_handlers(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  gs_default_crash_signals();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

void gs_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }
void gs_ignore_sigint(void) { signal(SIGINT, SIG_IGN); }

int gs_wifexited(int status) { return WIFEXITED(status); }
int gs_wexitstatus(int status) { return WEXITSTATUS(status); }
int gs_wifsignaled(int status) { return WIFSIGNALED(status); }
int gs_wtermsig(int status) { return WTERMSIG(status); }

char *const *gs_environ(void) { return environ; }

int gs_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
int gs_set_pipe_size(int fd, int bytes) { return fcntl(fd, F_SETPIPE_SZ, bytes); }
ssize_t gs_random_bytes(void *buffer, size_t length) { return getrandom(buffer, length, 0); }

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGQUIT};
static const int crash_signal_count = (int)(sizeof crash_signals / sizeof crash_signals[0]);

void gs_default_crash_signals(void) {
  for (int i = 0; i < crash_signal_count; i++) signal(crash_signals[i], SIG_DFL);
}

/// Appends text or an unsigned number (in base 10 or 16) to a fixed buffer; async-signal-safe.
static size_t append_text(char *out, size_t at, size_t size, const char *text) {
  while (*text && at + 1 < size) out[at++] = *text++;
  return at;
}

static size_t append_number(char *out, size_t at, size_t size, unsigned long value, unsigned base) {
  char digits[24];
  int count = 0;
  do {
    unsigned digit = (unsigned)(value % base);
    digits[count++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
    value /= base;
  } while (value != 0 && count < (int)sizeof digits);
  while (count > 0 && at + 1 < size) out[at++] = digits[--count];
  return at;
}

static const char *signal_name(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGFPE: return "SIGFPE";
  case SIGABRT: return "SIGABRT";
  case SIGTRAP: return "SIGTRAP";
  case SIGQUIT: return "SIGQUIT";
  default: return "?";
  }
}

static void on_crash(int sig, siginfo_t *info, void *context) {
  (void)context;
  char line[256];
  size_t at = 0;
  at = append_text(line, at, sizeof line, "gridstitch: ");
  // si_code <= 0: sent by a process (kill, sigqueue), not raised by a fault; abort() and raise()
  // send it from our own pid, and are crashes too.
  if (info != NULL && info->si_code <= 0 && info->si_pid != getpid()) {
    at = append_text(line, at, sizeof line, "killed by signal ");
    at = append_number(line, at, sizeof line, (unsigned long)sig, 10);
    at = append_text(line, at, sizeof line, " (");
    at = append_text(line, at, sizeof line, signal_name(sig));
    at = append_text(line, at, sizeof line, ") from pid ");
    at = append_number(line, at, sizeof line, (unsigned long)info->si_pid, 10);
  } else {
    at = append_text(line, at, sizeof line, "crashed with signal ");
    at = append_number(line, at, sizeof line, (unsigned long)sig, 10);
    at = append_text(line, at, sizeof line, " (");
    at = append_text(line, at, sizeof line, signal_name(sig));
    if (info != NULL && (sig == SIGSEGV || sig == SIGBUS)) {
      at = append_text(line, at, sizeof line, " at 0x");
      at = append_number(line, at, sizeof line, (unsigned long)(uintptr_t)info->si_addr, 16);
    }
    at = append_text(line, at, sizeof line,
                     "): a bug, please report it (SWIFT_BACKTRACE=enable=yes for a backtrace)");
  }
  at = append_text(line, at, sizeof line, "\n");
  ssize_t ignored = write(STDERR_FILENO, line, at);
  (void)ignored;
  // SA_RESETHAND made the disposition SIG_DFL and SA_NODEFER left the signal unblocked: this
  // ends the process by `sig`, core dump and all, as if no handler had been there.
  raise(sig);
}

int gs_install_crash_reporter(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_crash;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
  sigset_t crashes;
  sigemptyset(&crashes);
  for (int i = 0; i < crash_signal_count; i++) {
    if (sigaction(crash_signals[i], &action, NULL) != 0) return -1;
    sigaddset(&crashes, crash_signals[i]);
  }
  // A parent may hand us these blocked (a test runner's thread, say): a kill must still end us.
  return pthread_sigmask(SIG_UNBLOCK, &crashes, NULL) == 0 ? 0 : -1;
}

int gs_open_directory_path(const char *path) {
  return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

int gs_thread_set_effective_ids(unsigned int uid, unsigned int gid) {
  // The group first: once the uid is not 0 the thread may no longer change its gid.
  if (syscall(SYS_setresgid, -1, gid, -1) != 0) return -1;
  return (int)syscall(SYS_setresuid, -1, uid, -1);
}

int gs_tcp_bytes_received(int fd, unsigned long long *bytes) {
  struct tcp_info info;
  socklen_t length = sizeof(info);
  memset(&info, 0, sizeof(info));
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return -1;
  if (length < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received)) {
    errno = ENOTSUP;
    return -1;
  }
  *bytes = info.tcpi_bytes_received;
  return 0;
}

void gs_malloc_trim(void) { malloc_trim(0); }
