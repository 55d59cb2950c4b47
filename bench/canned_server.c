/* A bare epoll server for the Modbus benchmark: it does nothing but one recv and one send per
 * read, answering every 12-byte request of bench/modbus_loadgen (FC 03, 2 registers) with the
 * same canned 13-byte reply, and sleeps in epoll_wait when idle. With requests pipelined, no
 * Modbus server does less work per request, so it shows what this machine's loopback TCP
 * allows; the twin's figures are compared with it.
 * Usage: canned_server PORT   (binds 127.0.0.1; prints "ready PORT" when listening) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kRequest = 12, kReply = 13, kBuffer = 65536 };

int main(int argc, char** argv) {
  const int port = argc > 1 ? atoi(argv[1]) : 1503;
  const int server = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(server, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(server, 128) != 0) {
    perror("listen");
    return 2;
  }
  const int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = server};
  epoll_ctl(ep, EPOLL_CTL_ADD, server, &ev);
  printf("ready %d\n", port);
  fflush(stdout);
  /* | transaction | protocol 0 | length 7 | unit 1 | fc 03 | 4 bytes | 0 0 0 0 | */
  static const unsigned char reply[kReply] = {0, 0, 0, 0, 0, 7, 1, 3, 4, 0, 0, 0, 0};
  static unsigned char in[kBuffer];
  static unsigned char out[kBuffer / kRequest * kReply + kReply];
  struct epoll_event ready[128];
  for (;;) {
    const int n = epoll_wait(ep, ready, 128, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == server) {
        const int client = accept(server, NULL, NULL);
        if (client < 0) continue;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = client};
        epoll_ctl(ep, EPOLL_CTL_ADD, client, &cev);
        continue;
      }
      const ssize_t got = recv(fd, in, sizeof in, 0);
      if (got <= 0) {
        close(fd);
        continue;
      }
      const size_t replies = (size_t)got / kRequest;
      for (size_t k = 0; k < replies; ++k) memcpy(out + k * kReply, reply, kReply);
      if (replies > 0 && send(fd, out, replies * kReply, MSG_NOSIGNAL) < 0) close(fd);
    }
  }
}
