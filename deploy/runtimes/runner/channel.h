/* The authenticated frame channel to the worker: stdin in, stdout out (protocol.h). */
#ifndef RUNBOX_CHANNEL_H
#define RUNBOX_CHANNEL_H
#include <stddef.h>
#include <stdint.h>

struct frame {
  char type;
  unsigned char *payload; /* valid until the next channel_take / channel_next */
  size_t len;
};

/* Reads the key frame (blocking); 0 when stdin ended before it. */
int channel_read_key(void);
/* Sends one frame, tagged. */
void channel_send(char type, const void *payload, size_t len);
/* Sends a FRAME_ERROR with a message (JSON-escaped here). */
void channel_send_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with the error's name (errno), so the worker can tell "no such file" from "too large". */
void channel_send_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One read() of what stdin has; 1 read something, 0 end of input, -1 nothing now (EAGAIN/EINTR). */
int channel_fill(void);
/* Takes the next whole frame from what has been read: 1 taken, 0 none yet. A frame that fails its
   tag ends the process (the input is not the worker's). */
int channel_take(struct frame *f);
/* Blocks for the next frame: 1 taken, 0 end of input. */
int channel_next(struct frame *f);
/* Whether part of a frame has been read and not taken (the input stopped inside a frame). */
int channel_partial(void);

/* Big-endian helpers for payloads. */
uint32_t get_u32(const unsigned char *p);
uint64_t get_u64(const unsigned char *p);
void put_u32(unsigned char *p, uint32_t v);
void put_u64(unsigned char *p, uint64_t v);

/* Appends `s` to `out` as a JSON string (quotes included), at most `room` bytes in all. */
size_t json_string(char *out, size_t room, const char *s);
#endif
