/* Small primitives the notification and review-link code shares: strict
 * base64, SHA-256 and HMAC-SHA256 (OpenSSL), constant-time comparison,
 * reading a small secret file that only its owner may read, and erasing it
 * after use. Random bytes are common/random.h's.
 * Nothing here logs; errors are -errno, and where an admin must be told
 * what to fix, a message goes into the caller's buffer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define SHA256_DIGEST_SIZE 32

/* Length of the base64 text for n bytes, without the NUL. `url`: the
 * URL-safe alphabet (RFC 4648 section 5) without padding; otherwise the
 * standard alphabet with '=' padding. */
size_t base64_encoded_length(size_t n, bool url);
/* Encode into buf (size must be > base64_encoded_length()). -ENOBUFS if it
 * does not fit. */
int base64_encode(const void *p, size_t n, bool url, char *buf, size_t size);
/* Strict decode of exactly `len` characters: no whitespace, no stray
 * characters, standard text must be padded to a multiple of 4, URL-safe
 * text must not be padded, and unused trailing bits must be zero (so each
 * byte string has exactly one accepted encoding). -EINVAL on bad input,
 * -ENOBUFS if the result does not fit in `size`. */
int base64_decode(const char *s, size_t len, bool url, void *buf, size_t size, size_t *ret_size);


int sha256(const void *p, size_t n, uint8_t out[static SHA256_DIGEST_SIZE]);
/* HMAC-SHA256 over the concatenation of the iovecs. */
int hmac_sha256(const void *key, size_t key_size, const struct iovec *iov, size_t n_iov,
                uint8_t out[static SHA256_DIGEST_SIZE]);

/* Constant-time comparison of two equally long buffers (CRYPTO_memcmp). */
bool memeq_consttime(const void *a, const void *b, size_t n);

/* Read a small file that holds a secret. Refused (-EPERM, with a message)
 * unless it is a regular file owned by root or by the effective uid with no
 * permission bits for group or others: a secret anybody else can read is no
 * secret, and one anybody else can write lets them choose it. -EFBIG if it
 * is larger than max_size. On success *ret is NUL-terminated (not counted
 * in *ret_size) and must be released with erase_and_free(). */
int read_private_file(const char *path, size_t max_size, char **ret, size_t *ret_size, char *error,
                      size_t error_size);
/* Overwrite, then free. NULL is fine. */
void erase_and_free(void *p, size_t n);

/* Remove leading and trailing ASCII whitespace (space, tab, CR, LF) from
 * the span [*p, *p + *n). */
void strip_ascii_whitespace(const char **p, size_t *n);
