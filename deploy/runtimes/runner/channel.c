#define _GNU_SOURCE
#include "channel.h"
#include "protocol.h"
#include "sha256.h"
#include "util.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char key[KEY_BYTES];
static uint64_t in_seq, out_seq;
static unsigned char *inbuf;
static size_t in_start, in_end, in_cap;

uint32_t get_u32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
uint64_t get_u64(const unsigned char *p) { return (uint64_t)get_u32(p) << 32 | get_u32(p + 4); }
void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}
void put_u64(unsigned char *p, uint64_t v) { put_u32(p, (uint32_t)(v >> 32)); put_u32(p + 4, (uint32_t)v); }

static void tag_of(char direction, uint64_t seq, char type, const unsigned char *payload, size_t len, unsigned char out[32]) {
  unsigned char head[14];
  head[0] = (unsigned char)direction;
  put_u64(head + 1, seq);
  head[9] = (unsigned char)type;
  put_u32(head + 10, (uint32_t)len);
  struct hmac h;
  hmac_init(&h, key, KEY_BYTES);
  hmac_update(&h, head, sizeof head);
  hmac_update(&h, payload, len);
  hmac_final(&h, out);
}

void channel_send(char type, const void *payload, size_t len) {
  unsigned char head[5], tag[32];
  head[0] = (unsigned char)type;
  put_u32(head + 1, (uint32_t)len);
  tag_of('R', out_seq++, type, payload, len, tag);
  /* One write where it fits, so a frame is never interleaved with anything. */
  if (len <= CHUNK_BYTES) {
    static unsigned char whole[5 + CHUNK_BYTES + TAG_BYTES];
    memcpy(whole, head, 5);
    if (len) memcpy(whole + 5, payload, len);
    memcpy(whole + 5 + len, tag, TAG_BYTES);
    write_all(1, whole, 5 + len + TAG_BYTES);
    return;
  }
  write_all(1, head, 5);
  write_all(1, payload, len);
  write_all(1, tag, TAG_BYTES);
}

size_t json_string(char *out, size_t room, const char *s) {
  size_t n = 0;
#define PUT(c) do { if (n + 1 < room) out[n] = (c); n++; } while (0)
  PUT('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (n + 8 >= room) break;
    if (*p == '"' || *p == '\\') { PUT('\\'); PUT((char)*p); }
    else if (*p < 0x20) { n += (size_t)snprintf(out + n, room - n, "\\u%04x", *p); }
    else PUT((char)*p);
  }
  PUT('"');
  if (n < room) out[n] = 0; else if (room) out[room - 1] = 0;
#undef PUT
  return n < room ? n : room - 1;
}

static void send_error(int err, const char *fmt, va_list ap) {
  char message[512], json[1300];
  vsnprintf(message, sizeof message, fmt, ap);
  size_t n = (size_t)snprintf(json, sizeof json, "{\"error\":");
  n += json_string(json + n, sizeof json - n - 64, message);
  const char *name = err ? strerrorname_np(err) : NULL;
  if (name) n += (size_t)snprintf(json + n, sizeof json - n, ",\"code\":\"%s\"", name);
  json[n++] = '}';
  channel_send(FRAME_ERROR, json, n);
}

void channel_send_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  send_error(0, fmt, ap);
  va_end(ap);
}

void channel_send_errno(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  send_error(err, fmt, ap);
  va_end(ap);
}

static void reserve(size_t need) {
  if (in_cap - in_end >= need) return;
  if (in_start > 0) {
    memmove(inbuf, inbuf + in_start, in_end - in_start);
    in_end -= in_start;
    in_start = 0;
  }
  if (in_cap - in_end >= need) return;
  size_t cap = in_cap ? in_cap : CHUNK_BYTES + 64;
  while (cap - in_end < need) cap *= 2;
  unsigned char *grown = realloc(inbuf, cap);
  if (!grown) die("cannot hold the input");
  inbuf = grown;
  in_cap = cap;
}

int channel_fill(void) {
  reserve(CHUNK_BYTES);
  ssize_t n = read(0, inbuf + in_end, in_cap - in_end);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return -1;
    die("read stdin");
  }
  in_end += (size_t)n;
  return n > 0;
}

int channel_partial(void) { return in_end > in_start; }

int channel_take(struct frame *f) {
  size_t have = in_end - in_start;
  if (have < 5) return 0;
  unsigned char *p = inbuf + in_start;
  size_t len = get_u32(p + 1);
  if (len > MAX_FRAME_BYTES) {
    channel_send_error("an input frame of %zu bytes is over the limit of %d", len, MAX_FRAME_BYTES);
    exit(125);
  }
  if (have < 5 + len + TAG_BYTES) {
    reserve(5 + len + TAG_BYTES - have);
    return 0;
  }
  unsigned char tag[32];
  tag_of('H', in_seq, (char)p[0], p + 5, len, tag);
  if (!equal_time(tag, p + 5 + len, TAG_BYTES)) {
    /* Not the worker's: something in the sandbox wrote to our stdin. Nothing after it is believed. */
    channel_send_error("input frame %llu failed its tag", (unsigned long long)in_seq);
    exit(125);
  }
  in_seq++;
  f->type = (char)p[0];
  f->payload = p + 5;
  f->len = len;
  in_start += 5 + len + TAG_BYTES;
  return 1;
}

int channel_next(struct frame *f) {
  while (!channel_take(f)) {
    int got = channel_fill();
    if (got == 0) {
      if (channel_partial()) {
        dprintf(2, "runbox-run: stdin ended inside a frame\n");
        exit(125);
      }
      return 0;
    }
  }
  return 1;
}

int channel_read_key(void) {
  unsigned char head[5];
  size_t got = 0;
  while (got < 5) {
    ssize_t n = read(0, head + got, 5 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read stdin");
    if (n == 0) return 0;
    got += (size_t)n;
  }
  if (head[0] != FRAME_KEY || get_u32(head + 1) != KEY_BYTES) {
    dprintf(2, "runbox-run: the first frame must be the key\n");
    exit(125);
  }
  got = 0;
  while (got < KEY_BYTES) {
    ssize_t n = read(0, key + got, KEY_BYTES - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("read the key");
    got += (size_t)n;
  }
  return 1;
}
