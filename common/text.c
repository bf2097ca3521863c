/* Text helpers: everything that turns hostile or human input into something
 * safe to show or store, and back. User names, reasons, hosts and ttys reach
 * a journal entry, a terminal prompt, a web page and a chat message, so one
 * definition of "clean" (valid UTF-8, no control characters, no bidi
 * overrides) is shared by all of them. Durations, ids and match codes have
 * one grammar each, here, so jitd, jitctl and pam_jit.so agree on it. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jit-protocol.h"
#include "macros.h"
#include "random.h"
#include "text.h"
#include "utf8.h"

/* Characters that can change what a terminal, a log viewer or a page shows
 * beyond the text itself: C0 (tab and newline included: one field must stay
 * one line), DEL, C1 (0x9B is a CSI on some terminals), and the Unicode
 * line separators and bidirectional overrides, which can make a reason read
 * differently from what it says. */
static bool code_point_is_control(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
               (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
               cp == 0x200F || cp == 0x061C;
}

/* Our strings are NUL-terminated and a NUL is never a continuation byte, so
 * the decoder stops at the terminator by itself: the longest sequence (4) is
 * a safe bound. */
static size_t decode(const unsigned char *p, uint32_t *ret_cp) {
        return utf8_decode(p, 4, ret_cp);
}

char *jit_sanitize(const char *s, char *buf, size_t size) {
        const unsigned char *p;
        size_t needed = 0, out = 0, limit;

        if (!buf || size == 0)
                return buf;
        if (!s) {
                buf[0] = 0;
                return buf;
        }

        /* First pass: how long is the sanitised text? Each invalid byte
         * becomes one '?', each control character one '?'. */
        for (p = (const unsigned char *) s; *p;) {
                uint32_t cp;
                size_t n = decode(p, &cp);

                if (n == 0 || code_point_is_control(cp)) {
                        needed++;
                        p += n == 0 ? 1 : n;
                } else {
                        needed += n;
                        p += n;
                }
        }

        /* If it does not fit, stop early enough to leave room for "..." so
         * a reader knows the text was cut. Characters are never split. */
        limit = needed <= size - 1 ? size - 1 : (size - 1 >= 3 ? size - 1 - 3 : 0);

        for (p = (const unsigned char *) s; *p;) {
                uint32_t cp;
                size_t n = decode(p, &cp);

                if (n == 0 || code_point_is_control(cp)) {
                        if (out + 1 > limit)
                                break;
                        buf[out++] = '?';
                        p += n == 0 ? 1 : n;
                } else {
                        if (out + n > limit)
                                break;
                        memcpy(buf + out, p, n);
                        out += n;
                        p += n;
                }
        }

        if (needed > size - 1)
                /* Truncated: as many dots as fit, normally three. */
                for (size_t k = 0; k < 3 && out < size - 1; k++)
                        buf[out++] = '.';

        buf[out] = 0;
        return buf;
}

/* "Fits max_size" means strlen(s) <= max_size, matching the field caps in
 * jit-protocol.h, which count bytes without the NUL. */
bool jit_text_is_clean(const char *s, size_t max_size) {
        const unsigned char *p;

        if (!s)
                return false;
        if (strnlen(s, max_size + 1) > max_size)
                return false;

        for (p = (const unsigned char *) s; *p;) {
                uint32_t cp;
                size_t n = decode(p, &cp);

                if (n == 0 || code_point_is_control(cp))
                        return false;
                p += n;
        }
        return true;
}

/* The units of durations, largest first: parsing and formatting agree. */
static const struct {
        char unit;
        uint64_t seconds;
} duration_units[] = {
        { 'd', 24 * 3600 },
        { 'h', 3600 },
        { 'm', 60 },
        { 's', 1 },
};

/* Durations: either one bare number of seconds ("90"), or one or more
 * number+unit parts in strictly descending unit order, each unit at most
 * once ("2d", "1h30m", "1d12h", "90s"). Anything else (signs, spaces,
 * decimals, "30m1h", "1h1h", "1h30") is refused rather than guessed at:
 * a duration decides how long someone holds root. */
int jit_parse_duration(const char *s, uint64_t *ret_sec) {
        size_t next_unit = 0; /* index of the largest unit still allowed */
        uint64_t total = 0;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;

        while (*p) {
                uint64_t v = 0;
                const char *digits = p;
                size_t i;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        /* Cap far above the limit so overflow cannot happen,
                         * but keep consuming digits to classify the error. */
                        if (v <= JIT_DURATION_MAX_SEC)
                                v = v * 10 + (uint64_t) (*p - '0');
                }

                if (*p == 0) {
                        /* A bare number is only allowed as the whole string. */
                        if (digits != s)
                                return -EINVAL;
                        if (v > JIT_DURATION_MAX_SEC)
                                return -ERANGE;
                        total = v;
                        break;
                }

                for (i = next_unit; i < ELEMENTSOF(duration_units); i++)
                        if (*p == duration_units[i].unit)
                                break;
                if (i >= ELEMENTSOF(duration_units))
                        return -EINVAL; /* unknown unit, or unit out of order/repeated */
                p++;

                if (v > JIT_DURATION_MAX_SEC / duration_units[i].seconds)
                        return -ERANGE;
                total += v * duration_units[i].seconds;
                if (total > JIT_DURATION_MAX_SEC)
                        return -ERANGE;
                next_unit = i + 1;
        }

        if (total == 0)
                return -EINVAL;
        if (total > JIT_DURATION_MAX_SEC)
                return -ERANGE;

        *ret_sec = total;
        return 0;
}

char *jit_format_duration(uint64_t sec, char *buf, size_t size) {
        size_t out = 0;

        if (!buf || size == 0)
                return buf;
        buf[0] = 0;

        if (sec == 0) {
                snprintf(buf, size, "0s");
                return buf;
        }

        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++) {
                uint64_t v = sec / duration_units[i].seconds;
                int n;

                if (v == 0)
                        continue;
                sec %= duration_units[i].seconds;

                n = snprintf(buf + out, size - out, "%" PRIu64 "%c", v, duration_units[i].unit);
                if (n < 0 || (size_t) n >= size - out)
                        break; /* snprintf already truncated and terminated */
                out += (size_t) n;
        }
        return buf;
}

int jit_parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end = NULL;

        /* strtoull() would skip whitespace and accept "-1" as ULLONG_MAX. */
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0)
                return -EINVAL;
        if (!end || end == s || *end != 0)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;

        *ret = (uint64_t) v;
        return 0;
}

/* Crockford's base32 alphabet in lower case: 32 symbols (so a random byte
 * masked to 5 bits is unbiased), without i, l, o and u, which are easy to
 * misread or mistype when an id is read out from a chat message. */
static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
#define ID_RANDOM_CHARS 16

int jit_random_id(char prefix, char *buf, size_t size) {
        uint8_t bytes[ID_RANDOM_CHARS];
        int r;

        if (!buf || prefix < 'a' || prefix > 'z')
                return -EINVAL;
        if (size < 1 + ID_RANDOM_CHARS + 1)
                return -ENOBUFS;

        r = random_bytes(bytes, sizeof(bytes));
        if (r < 0)
                return r;

        buf[0] = prefix;
        for (size_t i = 0; i < ID_RANDOM_CHARS; i++)
                buf[1 + i] = id_alphabet[bytes[i] & 31];
        buf[1 + ID_RANDOM_CHARS] = 0;

        explicit_bzero(bytes, sizeof(bytes));
        return 0;
}

bool jit_id_is_valid(const char *s, char prefix) {
        if (!s)
                return false;
        if (prefix == 0) {
                if (s[0] != 'r' && s[0] != 'g')
                        return false;
        } else if (s[0] != prefix)
                return false;

        for (size_t i = 1; i <= ID_RANDOM_CHARS; i++)
                if (s[i] == 0 || !strchr(id_alphabet, s[i]))
                        return false;
        return s[1 + ID_RANDOM_CHARS] == 0;
}

int jit_random_match_code(char *buf, size_t size) {
        uint32_t v;
        int r;

        if (!buf)
                return -EINVAL;
        if (size < sizeof("000-000"))
                return -ENOBUFS;

        /* Rejection sampling keeps the 10^6 codes equally likely. */
        do {
                r = random_bytes(&v, sizeof(v));
                if (r < 0)
                        return r;
        } while (v >= UINT32_MAX - (UINT32_MAX % 1000000U));
        v %= 1000000U;

        snprintf(buf, size, "%03" PRIu32 "-%03" PRIu32, v / 1000U, v % 1000U);
        return 0;
}

bool jit_user_name_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strnlen(s, JIT_USER_MAX + 1);
        if (n == 0 || n > JIT_USER_MAX)
                return false;
        if (s[0] == '-')
                return false;
        /* "." and ".." name directories, never users; refusing them keeps a
         * user name safe to use in a path. */
        if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-')
                        continue;
                if (c == '$' && i == n - 1 && i > 0) /* Samba machine accounts */
                        continue;
                return false;
        }
        return true;
}

int64_t jit_now_realtime(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return 0;
        return (int64_t) ts.tv_sec;
}

char *jit_format_time(int64_t t, char *buf, size_t size) {
        struct tm tm;
        time_t tt;

        if (!buf || size == 0)
                return buf;

        tt = (time_t) t;
        if ((int64_t) tt != t || !localtime_r(&tt, &tm) ||
            strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                /* Out of range for the calendar or the buffer: still say
                 * something exact rather than nothing. */
                snprintf(buf, size, "@%" PRId64, t);
        return buf;
}
