/* Linked into the libmbus tools of the M-bus interop tests; changes nothing on a real line.
 *
 * - $AMBI_MBUS_TCP_TIMEOUT sets libmbus's TCP read timeout (4 s by default) before main()
 *   runs, so scans that wait for silence at every address without a meter take seconds.
 * - tcsetattr() drops PARENB on a pseudo-terminal: libmbus sets 8E1, and Linux refuses
 *   parity on a pty with EINVAL (the twin's pty carries no parity either). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int mbus_tcp_set_timeout_set(double seconds);

__attribute__((constructor)) static void ambi_mbus_tcp_timeout(void) {
  const char* text = getenv("AMBI_MBUS_TCP_TIMEOUT");
  if (text != NULL && *text != '\0') mbus_tcp_set_timeout_set(atof(text));
}

static int is_pty(int fd) {
  char name[64];
  return ttyname_r(fd, name, sizeof name) == 0 && strncmp(name, "/dev/pts/", 9) == 0;
}

int tcsetattr(int fd, int action, const struct termios* tio) {
  typedef int (*real_t)(int, int, const struct termios*);
  static real_t real = NULL;
  if (real == NULL) real = (real_t)dlsym(RTLD_NEXT, "tcsetattr");
  if (tio == NULL || !is_pty(fd)) return real(fd, action, tio);
  struct termios copy = *tio;
  copy.c_cflag &= ~(tcflag_t)(PARENB | PARODD);
  return real(fd, action, &copy);
}
