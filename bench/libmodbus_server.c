/* Reference server for the Modbus benchmark: libmodbus's own TCP server in the classic
 * select() loop, serving holding registers 0x4000-0x6090 (the meter's address range).
 * Usage: libmodbus_server PORT   (binds 127.0.0.1; prints "ready PORT" when listening) */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const int port = argc > 1 ? atoi(argv[1]) : 1502;
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
  modbus_mapping_t* map = modbus_mapping_new_start_address(0, 0, 0, 0, 0x4000, 0x2091, 0, 0);
  if (ctx == NULL || map == NULL) return 2;
  for (int i = 0; i < 0x2091; ++i) map->tab_registers[i] = (uint16_t)i;
  const int server = modbus_tcp_listen(ctx, 128);
  if (server < 0) {
    fprintf(stderr, "listen: %s\n", modbus_strerror(errno));
    return 2;
  }
  printf("ready %d\n", port);
  fflush(stdout);
  fd_set all;
  FD_ZERO(&all);
  FD_SET(server, &all);
  int max_fd = server;
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  for (;;) {
    fd_set ready = all;
    if (select(max_fd + 1, &ready, NULL, NULL, NULL) < 0) return 1;
    for (int fd = 0; fd <= max_fd; ++fd) {
      if (!FD_ISSET(fd, &ready)) continue;
      if (fd == server) {
        const int client = modbus_tcp_accept(ctx, (int*)&server);
        if (client >= 0) {
          FD_SET(client, &all);
          if (client > max_fd) max_fd = client;
        }
        continue;
      }
      modbus_set_socket(ctx, fd);
      const int rc = modbus_receive(ctx, query);
      if (rc > 0) {
        modbus_reply(ctx, query, rc, map);
      } else if (rc == -1) {
        close(fd);
        FD_CLR(fd, &all);
      }
    }
  }
}
