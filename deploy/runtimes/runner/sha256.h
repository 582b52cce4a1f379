/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the frame tags. */
#ifndef RUNBOX_SHA256_H
#define RUNBOX_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256 {
  uint32_t state[8];
  uint64_t bytes;
  unsigned char block[64];
  size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);

struct hmac {
  struct sha256 inner, outer;
};

void hmac_init(struct hmac *h, const unsigned char *key, size_t key_len);
void hmac_update(struct hmac *h, const void *data, size_t len);
void hmac_final(struct hmac *h, unsigned char out[32]);
#endif
