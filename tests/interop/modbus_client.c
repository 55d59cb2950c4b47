/* A small libmodbus client for the interop tests: connects over TCP or RTU, runs the
 * commands given, prints one JSON line per command.
 *
 *   modbus_client tcp HOST PORT UNIT COMMAND...
 *   modbus_client rtu DEVICE BAUD PARITY(N|E|O) UNIT COMMAND...
 *
 * COMMAND is one of
 *   read ADDR COUNT        FC 03      {"op":"read","address":16384,"values":[...]}
 *   write ADDR VALUE       FC 06      {"op":"write","address":16387,"ok":true}
 *   writem ADDR N V1..VN   FC 16      {"op":"writem","address":16397,"ok":true}
 *   unit ID                            change the unit id (0 = broadcast on RTU)
 *   sleep MS
 *   timeout MS             response timeout (default 2000)
 * A Modbus exception prints {"op":...,"exception":N}; another failure {"op":...,"error":"..."}.
 * Numbers accept 0x prefixes. Exit 0 when every command was run, 2 on bad usage or when
 * the connection cannot be made. */
#include <errno.h>
#include <modbus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REGS 125

static long number(const char* text) {
  char* end = NULL;
  long v = strtol(text, &end, 0);
  if (end == text || *end != '\0') {
    fprintf(stderr, "modbus_client: bad number \"%s\"\n", text);
    exit(2);
  }
  return v;
}

static void print_failure(const char* op, int address) {
  if (errno > MODBUS_ENOBASE && errno < MODBUS_ENOBASE + 0x20) {
    printf("{\"op\":\"%s\",\"address\":%d,\"exception\":%d}\n", op, address,
           errno - MODBUS_ENOBASE);
  } else {
    printf("{\"op\":\"%s\",\"address\":%d,\"error\":\"%s\"}\n", op, address,
           modbus_strerror(errno));
  }
}

static void do_read(modbus_t* ctx, int address, int count) {
  uint16_t regs[MAX_REGS + 8];
  if (count > MAX_REGS + 8) count = MAX_REGS + 8;
  int n = modbus_read_registers(ctx, address, count, regs);
  if (n < 0) {
    print_failure("read", address);
    return;
  }
  printf("{\"op\":\"read\",\"address\":%d,\"values\":[", address);
  for (int i = 0; i < n; ++i) printf("%s%u", i ? "," : "", (unsigned)regs[i]);
  printf("]}\n");
}

static void do_write(modbus_t* ctx, int address, int value) {
  if (modbus_write_register(ctx, address, (uint16_t)value) < 0) {
    print_failure("write", address);
    return;
  }
  printf("{\"op\":\"write\",\"address\":%d,\"ok\":true}\n", address);
}

static void do_write_multiple(modbus_t* ctx, int address, int count, char** values) {
  uint16_t regs[MAX_REGS];
  for (int i = 0; i < count; ++i) regs[i] = (uint16_t)number(values[i]);
  if (modbus_write_registers(ctx, address, count, regs) < 0) {
    print_failure("writem", address);
    return;
  }
  printf("{\"op\":\"writem\",\"address\":%d,\"ok\":true}\n", address);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Runs the commands from argv[i]; returns 0, or 2 on a malformed command. */
static int run(modbus_t* ctx, int argc, char** argv, int i) {
  while (i < argc) {
    const char* cmd = argv[i];
    if (strcmp(cmd, "read") == 0 && i + 2 < argc) {
      do_read(ctx, (int)number(argv[i + 1]), (int)number(argv[i + 2]));
      i += 3;
    } else if (strcmp(cmd, "write") == 0 && i + 2 < argc) {
      do_write(ctx, (int)number(argv[i + 1]), (int)number(argv[i + 2]));
      i += 3;
    } else if (strcmp(cmd, "writem") == 0 && i + 2 < argc) {
      int count = (int)number(argv[i + 2]);
      if (count < 1 || count > MAX_REGS || i + 3 + count > argc) return 2;
      do_write_multiple(ctx, (int)number(argv[i + 1]), count, argv + i + 3);
      i += 3 + count;
    } else if (strcmp(cmd, "unit") == 0 && i + 1 < argc) {
      modbus_set_slave(ctx, (int)number(argv[i + 1]));
      printf("{\"op\":\"unit\",\"unit\":%ld}\n", number(argv[i + 1]));
      i += 2;
    } else if (strcmp(cmd, "timeout") == 0 && i + 1 < argc) {
      long ms = number(argv[i + 1]);
      modbus_set_response_timeout(ctx, (uint32_t)(ms / 1000), (uint32_t)((ms % 1000) * 1000));
      i += 2;
    } else if (strcmp(cmd, "sleep") == 0 && i + 1 < argc) {
      sleep_ms(number(argv[i + 1]));
      i += 2;
    } else {
      fprintf(stderr, "modbus_client: bad command at \"%s\"\n", cmd);
      return 2;
    }
    fflush(stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  modbus_t* ctx = NULL;
  int first = 0;
  if (argc >= 5 && strcmp(argv[1], "tcp") == 0) {
    ctx = modbus_new_tcp(argv[2], (int)number(argv[3]));
    if (ctx) modbus_set_slave(ctx, (int)number(argv[4]));
    first = 5;
  } else if (argc >= 7 && strcmp(argv[1], "rtu") == 0) {
    ctx = modbus_new_rtu(argv[2], (int)number(argv[3]), argv[4][0], 8, 1);
    if (ctx) modbus_set_slave(ctx, (int)number(argv[5]));
    first = 6;
  } else {
    fprintf(stderr,
            "usage: modbus_client tcp HOST PORT UNIT COMMAND...\n"
            "       modbus_client rtu DEVICE BAUD PARITY UNIT COMMAND...\n");
    return 2;
  }
  if (ctx == NULL) {
    fprintf(stderr, "modbus_client: %s\n", modbus_strerror(errno));
    return 2;
  }
  modbus_set_response_timeout(ctx, 2, 0);
  if (modbus_connect(ctx) < 0) {
    fprintf(stderr, "modbus_client: connect: %s\n", modbus_strerror(errno));
    modbus_free(ctx);
    return 2;
  }
  int rc = run(ctx, argc, argv, first);
  modbus_close(ctx);
  modbus_free(ctx);
  return rc;
}
