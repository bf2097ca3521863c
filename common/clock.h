/* The monotonic clock in microseconds, for deadlines and rate limits
 * everywhere (jitd, jitctl, pam_jit.so): one definition, so every deadline
 * is measured the same way. */
#pragma once

#include <stdint.h>

/* CLOCK_MONOTONIC in µs; 0 if the clock cannot be read. */
uint64_t now_monotonic_usec(void);
