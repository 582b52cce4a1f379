#define _GNU_SOURCE
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void die(const char *what) {
  dprintf(2, "runbox-run: %s: %s\n", what, strerror(errno));
  exit(125);
}

void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += n;
    len -= (size_t)n;
  }
}

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int equal_time(const unsigned char *a, const unsigned char *b, size_t len) {
  unsigned char diff = 0;
  for (size_t i = 0; i < len; i++) diff |= a[i] ^ b[i];
  return diff == 0;
}

long long read_number(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  long long value = -1;
  while (fgets(line, sizeof line, f)) {
    if (!key) { value = atoll(line); break; }
    size_t k = strlen(key);
    if (strncmp(line, key, k) == 0 && line[k] == ' ') { value = atoll(line + k + 1); break; }
  }
  fclose(f);
  return value;
}
