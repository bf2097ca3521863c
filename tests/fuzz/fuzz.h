/* What every libFuzzer target in tests/fuzz/ shares: taking typed pieces
 * off the fuzz input, and the oracles (checks that abort with a message
 * when a helper breaks a promise it makes, e.g. "no control character
 * comes out"). The UTF-8 check here is written independently of
 * common/utf8.h, so a bug there cannot hide itself. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input, consumed from the front. */
typedef struct FuzzInput {
        const uint8_t *data;
        size_t size;
} FuzzInput;

static inline uint8_t fuzz_take_u8(FuzzInput *in) {
        uint8_t v = 0;

        if (in->size > 0) {
                v = in->data[0];
                in->data++;
                in->size--;
        }
        return v;
}

static inline uint64_t fuzz_take_u64(FuzzInput *in) {
        uint64_t v = 0;

        for (unsigned i = 0; i < 8 && in->size > 0; i++)
                v = (v << 8) | fuzz_take_u8(in);
        return v;
}

/* The bytes up to the next NUL (or the end), as a malloc()ed C string:
 * seeds stay writable by hand, fields separated by \0. Never NULL. */
static inline char *fuzz_take_string(FuzzInput *in) {
        const uint8_t *nul = memchr(in->data, 0, in->size);
        size_t n = nul ? (size_t) (nul - in->data) : in->size;
        char *s = malloc(n + 1);

        if (!s)
                abort();
        if (n > 0)
                memcpy(s, in->data, n);
        s[n] = 0;
        in->data += n + (nul ? 1 : 0);
        in->size -= n + (nul ? 1 : 0);
        return s;
}

/* Oracle failures go to the stderr the target started with (libFuzzer's
 * -close_fd_mask=2 silences the code under test, not this). */
static int fuzz_report_fd = STDERR_FILENO;

static inline void fuzz_keep_stderr(void) {
        int fd = dup(STDERR_FILENO);

        if (fd >= 0)
                fuzz_report_fd = fd;
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void fuzz_fail(const char *format, ...) {
        char line[4096];
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(line, sizeof(line) - 1, format, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if ((size_t) n > sizeof(line) - 2)
                n = (int) sizeof(line) - 2;
        line[n++] = '\n';
        (void) !write(fuzz_report_fd, "ORACLE FAILED: ", 15);
        (void) !write(fuzz_report_fd, line, (size_t) n);
        abort();
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
 * Calls `each` (may be NULL) with every code point; false if invalid. */
static inline bool fuzz_utf8_walk(const char *s, size_t n, bool (*each)(uint32_t cp, void *u), void *u) {
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                unsigned c = p[i], len;
                uint32_t cp, min;

                if (c < 0x80) {
                        len = 1;
                        cp = c;
                        min = 0;
                } else if ((c & 0xE0) == 0xC0) {
                        len = 2;
                        cp = c & 0x1F;
                        min = 0x80;
                } else if ((c & 0xF0) == 0xE0) {
                        len = 3;
                        cp = c & 0x0F;
                        min = 0x800;
                } else if ((c & 0xF8) == 0xF0) {
                        len = 4;
                        cp = c & 0x07;
                        min = 0x10000;
                } else
                        return false;
                if (i + len > n)
                        return false;
                for (unsigned k = 1; k < len; k++) {
                        if ((p[i + k] & 0xC0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + k] & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return false;
                if (each && !each(cp, u))
                        return false;
                i += len;
        }
        return true;
}

/* What common/text.c calls a control character (its promise to every
 * caller of jit_sanitize): C0, DEL, C1, the Unicode line and paragraph
 * separators and the bidirectional overrides, isolates and marks. */
static inline bool fuzz_cp_is_control(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
                (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
                cp == 0x200F || cp == 0x061C;
}

static inline bool fuzz_cp_not_control(uint32_t cp, void *u) {
        return !fuzz_cp_is_control(cp);
}

/* Control characters other than newline: what our own multi-line texts
 * (Slack mrkdwn, Teams text) may hold, never from user input. */
static inline bool fuzz_cp_not_control_but_newline(uint32_t cp, void *u) {
        return cp == '\n' || !fuzz_cp_is_control(cp);
}

/* Valid UTF-8 without a single control character (see above). */
static inline bool fuzz_text_is_clean(const char *s, size_t n) {
        return fuzz_utf8_walk(s, n, fuzz_cp_not_control, NULL);
}

static inline void fuzz_assert_clean(const char *what, const char *s, size_t max) {
        size_t n;

        if (!s)
                return;
        n = strlen(s);
        if (n > max)
                fuzz_fail("%s: %zu bytes, promised at most %zu", what, n, max);
        if (!fuzz_text_is_clean(s, n))
                fuzz_fail("%s: control character or invalid UTF-8 in \"%s\"", what, s);
}

/* Remove a fuzzer's scratch directory when it exits (not after a crash:
 * then what it held may help). */
#include <ftw.h>
#include <sys/stat.h>

static char fuzz_scratch_dir[256];

static inline int fuzz_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static inline void fuzz_remove_scratch(void) {
        if (fuzz_scratch_dir[0])
                (void) nftw(fuzz_scratch_dir, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Where the fuzzers that need files keep them: tmpfs if there is one. */
static inline const char *fuzz_tmp_base(void) {
        const char *t = getenv("TMPDIR");

        if (t && *t)
                return t;
        return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/* mkdtemp() a scratch directory "<tmp>/<prefix>.XXXXXX" into buf, removed
 * at exit. */
static inline void fuzz_make_scratch(const char *prefix, char *buf, size_t size) {
        snprintf(buf, size, "%s/%s.XXXXXX", fuzz_tmp_base(), prefix);
        if (!mkdtemp(buf))
                fuzz_fail("cannot create a scratch directory %s: %m", buf);
        snprintf(fuzz_scratch_dir, sizeof(fuzz_scratch_dir), "%s", buf);
        atexit(fuzz_remove_scratch);
}
