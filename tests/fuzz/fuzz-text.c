/* common/text.c: the helpers every hostile string goes through before it
 * reaches a log, a terminal prompt, a page or a chat message, and the
 * grammars of durations, numbers, ids and user names.
 *
 * Oracles (each a promise text.h makes):
 *   jit_sanitize: valid UTF-8, no control character, shorter than the
 *     buffer, and clean text that fits comes out unchanged;
 *   jit_text_is_clean agrees with an independent definition of clean;
 *   a parsed duration is within 1 s .. 366 d and formats to text that
 *     parses back to the same value; jit_parse_uint64 stays in its range;
 *   an accepted user name or id has only the characters allowed;
 *   jit_format_time gives clean text for any time. */
#include <inttypes.h>

#include "fuzz.h"
#include "jit-protocol.h"
#include "text.h"

static void check_sanitize(const char *s, size_t size) {
        char *buf = malloc(size);
        size_t n;

        if (!buf)
                abort();
        jit_sanitize(s, buf, size);
        n = strlen(buf);
        if (n >= size)
                fuzz_fail("jit_sanitize: %zu bytes out of a %zu byte buffer", n, size);
        if (!fuzz_text_is_clean(buf, n))
                fuzz_fail("jit_sanitize: not clean: \"%s\"", buf);
        if (fuzz_text_is_clean(s, strlen(s)) && strlen(s) < size && strcmp(s, buf) != 0)
                fuzz_fail("jit_sanitize changed clean text \"%s\" to \"%s\"", s, buf);
        if (strlen(s) > 0 && n == 0 && size > 1)
                fuzz_fail("jit_sanitize: non-empty \"%s\" became empty in %zu bytes", s, size);
        free(buf);
}

static void check_duration(const char *s) {
        char buf[64];
        uint64_t sec = 0, again = 0;

        if (jit_parse_duration(s, &sec) < 0)
                return;
        if (sec < 1 || sec > JIT_DURATION_MAX_SEC)
                fuzz_fail("jit_parse_duration(\"%s\") = %" PRIu64 ", outside 1 s .. 366 d", s, sec);
        jit_format_duration(sec, buf, sizeof(buf));
        if (jit_parse_duration(buf, &again) < 0 || again != sec)
                fuzz_fail("duration %" PRIu64 " (from \"%s\") formats as \"%s\", which parses as %" PRIu64, sec, s,
                          buf, again);
}

static bool user_name_chars_ok(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > JIT_USER_MAX || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-' || (c == '$' && i == n - 1))
                        continue;
                return false;
        }
        return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        size_t buf_size = (size_t) fuzz_take_u8(&in) + 1;
        uint64_t min = fuzz_take_u8(&in), max = min + fuzz_take_u64(&in) % 100000, v = 0;
        int64_t t = (int64_t) fuzz_take_u64(&in);
        _cleanup_free_ char *s = fuzz_take_string(&in);
        char time_buf[64];

        check_sanitize(s, buf_size);
        check_sanitize(s, 4096);

        if (jit_text_is_clean(s, buf_size) != (strlen(s) <= buf_size && fuzz_text_is_clean(s, strlen(s))))
                fuzz_fail("jit_text_is_clean(\"%s\", %zu) disagrees with the definition", s, buf_size);

        check_duration(s);

        if (jit_parse_uint64(s, min, max, &v) >= 0 && (v < min || v > max))
                fuzz_fail("jit_parse_uint64(\"%s\") = %" PRIu64 " outside [%" PRIu64 ", %" PRIu64 "]", s, v, min, max);

        if (jit_user_name_is_valid(s) && !user_name_chars_ok(s))
                fuzz_fail("jit_user_name_is_valid accepted \"%s\"", s);

        if (jit_id_is_valid(s, 0) && (strlen(s) >= JIT_ID_MAX || (s[0] != 'r' && s[0] != 'g') ||
                                      !fuzz_text_is_clean(s, strlen(s)) || strpbrk(s, "/. ")))
                fuzz_fail("jit_id_is_valid accepted \"%s\"", s);

        jit_format_time(t, time_buf, sizeof(time_buf));
        fuzz_assert_clean("jit_format_time", time_buf, sizeof(time_buf) - 1);
        return 0;
}
