/* Text helpers shared by every program: sanitising hostile strings before
 * they reach a log, a prompt or a page; durations; ids; user names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy `s` into `buf` (size `size`), replacing every control character
 * (C0, DEL, C1, and invalid UTF-8 bytes) with '?', truncating with "..."
 * if needed. Always NUL-terminates. Returns buf. NULL input -> "". */
char *jit_sanitize(const char *s, char *buf, size_t size);
/* True if `s` has no control characters, is valid UTF-8 and fits max_size. */
bool jit_text_is_clean(const char *s, size_t max_size);

/* Durations: "90", "90s", "15m", "1h", "1h30m", "2d". 1 s .. 366 d. */
#define JIT_DURATION_MAX_SEC (366ULL * 24 * 3600)
int jit_parse_duration(const char *s, uint64_t *ret_sec);
/* "1h30m", "45s", "2d3h" into buf (>= 32 bytes). */
char *jit_format_duration(uint64_t sec, char *buf, size_t size);

/* Range-checked integer parsing (no atoi). */
int jit_parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Random ids from getrandom(): prefix + 16 chars of lowercase base32,
 * e.g. "r7k2qx9pmd3t1bfa". buf must be >= JIT_ID_MAX. */
int jit_random_id(char prefix, char *buf, size_t size);
bool jit_id_is_valid(const char *s, char prefix); /* prefix 0: either 'r' or 'g' */
/* Short code the requester and the approver both see: "482-913". */
int jit_random_match_code(char *buf, size_t size);

/* Conservative user name check: 1..JIT_USER_MAX bytes of [A-Za-z0-9._-],
 * optional trailing '$', not starting with '-'. */
bool jit_user_name_is_valid(const char *s);

/* Wall clock, seconds. */
int64_t jit_now_realtime(void);
/* "2026-11-23 14:05:00 UTC" style, local time with zone, into buf (>= 64). */
char *jit_format_time(int64_t t, char *buf, size_t size);
