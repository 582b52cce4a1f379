/* Small helpers every part of runbox-run uses. */
#ifndef RUNBOX_UTIL_H
#define RUNBOX_UTIL_H
#include <stddef.h>
#include <stdint.h>

/* Says what failed on stderr (the container's, not a frame) and exits 125. */
void die(const char *what) __attribute__((noreturn));
void write_all(int fd, const void *buf, size_t len);
int64_t now_ms(void);
/* Compares in time independent of where they differ. */
int equal_time(const unsigned char *a, const unsigned char *b, size_t len);
/* Reads one number from a file (the first, or the one after `key `); -1 when absent. */
long long read_number(const char *path, const char *key);
#endif
