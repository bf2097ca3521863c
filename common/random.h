/* Randomness for ids, tokens, keys and jitter: the kernel's CSPRNG, read
 * once, here, so every caller gets the same retry rules. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Fill `p` with `n` bytes from getrandom(2), retried on EINTR and short
 * reads (blocks until the pool is initialised). 0 or -errno. */
int random_bytes(void *p, size_t n);

/* A uniformly distributed 64-bit value. 0 or -errno. */
int random_u64(uint64_t *ret);
