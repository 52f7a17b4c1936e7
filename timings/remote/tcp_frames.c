// The CPU floor of the remote rows: plain TCP, no ZeroMQ, no rendering, no stitching. CAMERAS
// senders each send FRAMES frames of 76,800 bytes (240×320 grey) with blocking send(2) into one
// receiver that reads every connection with epoll into one buffer. Each side prints its own CPU
// (getrusage) per frame, so the CPU a gridstitch camera or hub spends beyond moving the bytes
// through the kernel's TCP shows. remote_bench.py builds and runs it inside its two namespaces.
//
//   tcp_frames recv PORT CAMERAS FRAMES   -> "ready", then one JSON line when every byte came
//   tcp_frames send ADDRESS PORT FRAMES   -> one JSON line on stderr
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { FRAME = 240 * 320, MAX_CAMERAS = 64 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + 1e-6 * (r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static int receive(int port, int cameras, long frames) {
  if (cameras < 1 || cameras > MAX_CAMERAS || frames < 1) {
    fprintf(stderr, "tcp_frames: 1 to %d cameras, at least 1 frame\n", MAX_CAMERAS);
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) fail("bind");
  if (listen(listener, MAX_CAMERAS) != 0) fail("listen");
  printf("ready\n");
  fflush(stdout);
  int poller = epoll_create1(0);
  int connections[MAX_CAMERAS];
  for (int i = 0; i < cameras; i++) {
    connections[i] = accept(listener, NULL, NULL);
    if (connections[i] < 0) fail("accept");
    struct epoll_event event = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(poller, EPOLL_CTL_ADD, connections[i], &event);
  }
  static char buffer[4 * FRAME];
  long total = 0, wanted = (long)cameras * frames * FRAME;
  double start = 0, cpuStart = 0;
  while (total < wanted) {
    struct epoll_event events[MAX_CAMERAS];
    int ready = epoll_wait(poller, events, MAX_CAMERAS, 10000);
    if (ready <= 0) fail("epoll_wait (a sender stopped)");
    for (int j = 0; j < ready; j++) {
      int fd = connections[events[j].data.u32];
      ssize_t got = recv(fd, buffer, sizeof buffer, 0);
      if (got > 0) {
        if (total == 0) {
          start = now();
          cpuStart = cpu();
        }
        total += got;
      } else {
        epoll_ctl(poller, EPOLL_CTL_DEL, fd, NULL);
      }
    }
  }
  double seconds = now() - start, used = cpu() - cpuStart;
  double frameCount = (double)total / FRAME;
  printf("{\"grids_per_s\": %.1f, \"receiver_ms_per_grid\": %.4f, \"receiver_us_per_frame\": %.2f}\n",
         frameCount / cameras / seconds, used * 1e3 / (frameCount / cameras), used * 1e6 / frameCount);
  return 0;
}

static int send_frames(const char *host, int port, long frames) {
  int connection = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
    fprintf(stderr, "tcp_frames: not an IPv4 address\n");
    return 2;
  }
  if (connect(connection, (struct sockaddr *)&address, sizeof address) != 0) fail("connect");
  char *frame = aligned_alloc(64, FRAME);
  memset(frame, 0x5a, FRAME);
  double cpuStart = cpu();
  for (long i = 0; i < frames; i++) {
    size_t sent = 0;
    while (sent < FRAME) {
      ssize_t n = send(connection, frame + sent, FRAME - sent, 0);
      if (n < 0) fail("send");
      sent += (size_t)n;
    }
  }
  fprintf(stderr, "{\"sender_us_per_frame\": %.2f}\n", (cpu() - cpuStart) * 1e6 / frames);
  close(connection);
  free(frame);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "recv") == 0) return receive(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
  if (argc == 5 && strcmp(argv[1], "send") == 0) return send_frames(argv[2], atoi(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: tcp_frames recv PORT CAMERAS FRAMES | send ADDRESS PORT FRAMES\n");
  return 2;
}
