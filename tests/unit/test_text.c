/* Tests for common/text.c: what reaches a terminal, a journal entry or a
 * page after sanitising; the duration grammar admins type; ids and match
 * codes people read out to each other; user names. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "jit-protocol.h"
#include "macros.h"
#include "test.h"
#include "text.h"

static const char *san(const char *s, size_t size) {
        static char buf[256];

        return jit_sanitize(s, buf, size);
}

static void test_sanitize(void) {
        char small[4];

        CHECK_STR(san("plain text", sizeof(small) * 64), "plain text");
        CHECK_STR(san(NULL, 64), "");
        CHECK_STR(san("", 64), "");

        /* A terminal escape sequence must not reach a prompt or a log viewer. */
        CHECK_STR(san("\x1b[31mred\x1b[0m", 64), "?[31mred?[0m");
        CHECK_STR(san("\x1b]0;pwned\x07", 64), "?]0;pwned?");
        /* One field stays one line. */
        CHECK_STR(san("line1\nline2\r\tend", 64), "line1?line2??end");
        CHECK_STR(san("del\x7f", 64), "del?");
        /* C1 controls, 0x9b being a one-byte CSI on some terminals. */
        CHECK_STR(san("a\xc2\x9b" "31mb", 64), "a?31mb");
        CHECK_STR(san("a\xc2\x85z", 64), "a?z");
        /* Bidi overrides make text read differently from what it says. */
        CHECK_STR(san("x\xe2\x80\xaey", 64), "x?y");
        CHECK_STR(san("x\xe2\x81\xa6y", 64), "x?y");

        /* Invalid UTF-8: one '?' per bad byte, valid text untouched. */
        CHECK_STR(san("caf\xc3\xa9 \xe2\x9c\x93", 64), "caf\xc3\xa9 \xe2\x9c\x93");
        CHECK_STR(san("\xff\xfe", 64), "??");
        CHECK_STR(san("\xc0\xaf", 64), "??");         /* overlong '/' */
        CHECK_STR(san("\xe0\x80\xaf", 64), "???");    /* overlong */
        CHECK_STR(san("\xed\xa0\x80", 64), "???");    /* surrogate */
        CHECK_STR(san("\xf4\x90\x80\x80", 64), "????"); /* above U+10FFFF */
        CHECK_STR(san("ab\xe2\x82", 64), "ab??");     /* cut sequence at the end */
        CHECK_STR(san("\x80x", 64), "?x");            /* lone continuation byte */

        /* Truncation is marked, and never splits a character. */
        CHECK_STR(san("abcdefghij", 11), "abcdefghij");
        CHECK_STR(san("abcdefghij", 10), "abcdef...");
        CHECK_STR(san("abcdefghij", 8), "abcd...");
        CHECK_STR(san("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8), "\xc3\xa9\xc3\xa9...");
        CHECK_STR(san("abcdef", 3), "..");
        CHECK_STR(san("abcdef", 1), "");
        CHECK_INT(strlen(jit_sanitize("abcdefgh", small, sizeof(small))), 3);

        /* The output of sanitize is always clean. */
        CHECK(jit_text_is_clean(san("\x1b\xff\xc2\x9b\n\xe2\x80\xae ok", 64), 64));
}

static void test_text_is_clean(void) {
        char buf[JIT_REASON_MAX + 2];

        CHECK(jit_text_is_clean("fixing prod db", JIT_REASON_MAX));
        CHECK(jit_text_is_clean("", JIT_REASON_MAX));
        CHECK(jit_text_is_clean("caf\xc3\xa9", JIT_REASON_MAX));
        CHECK(!jit_text_is_clean(NULL, JIT_REASON_MAX));
        CHECK(!jit_text_is_clean("a\nb", JIT_REASON_MAX));
        CHECK(!jit_text_is_clean("a\tb", JIT_REASON_MAX));
        CHECK(!jit_text_is_clean("\x1b[2J", JIT_REASON_MAX));
        CHECK(!jit_text_is_clean("\xff", JIT_REASON_MAX));
        CHECK(!jit_text_is_clean("a\xc2\x9b", JIT_REASON_MAX));
        CHECK(!jit_text_is_clean("x\xe2\x80\xaey", JIT_REASON_MAX));

        /* max_size counts bytes without the NUL, like the field caps. */
        memset(buf, 'a', sizeof(buf));
        buf[JIT_REASON_MAX] = 0;
        CHECK(jit_text_is_clean(buf, JIT_REASON_MAX));
        buf[JIT_REASON_MAX] = 'a';
        buf[JIT_REASON_MAX + 1] = 0;
        CHECK(!jit_text_is_clean(buf, JIT_REASON_MAX));
}

static void duration_ok(const char *s, uint64_t expected) {
        uint64_t v = 0;
        int r = jit_parse_duration(s, &v);

        if (r != 0 || v != expected) {
                fprintf(stderr, "duration \"%s\": r=%d v=%" PRIu64 ", expected %" PRIu64 "\n", s, r, v,
                        expected);
                test_failures++;
        }
}

static void duration_bad(const char *s) {
        uint64_t v = 4242;
        int r = jit_parse_duration(s, &v);

        if (r >= 0 || v != 4242) {
                fprintf(stderr, "duration \"%s\" accepted (r=%d v=%" PRIu64 ")\n", s ? s : "(null)", r, v);
                test_failures++;
        }
}

static void test_durations(void) {
        char buf[64];
        uint64_t v;

        duration_ok("90", 90);
        duration_ok("90s", 90);
        duration_ok("15m", 900);
        duration_ok("1h", 3600);
        duration_ok("1h30m", 5400);
        duration_ok("2d", 172800);
        duration_ok("2d3h", 183600);
        duration_ok("1d2h3m4s", 93784);
        duration_ok("1h0m", 3600);
        duration_ok("366d", JIT_DURATION_MAX_SEC);
        duration_ok("31622400", JIT_DURATION_MAX_SEC);
        duration_ok("1", 1);

        duration_bad(NULL);
        duration_bad("");
        duration_bad("0");
        duration_bad("0s");
        duration_bad("0h0m");
        duration_bad("-5m");
        duration_bad("+5m");
        duration_bad(" 5m");
        duration_bad("5m ");
        duration_bad("5 m");
        duration_bad("1.5h");
        duration_bad("h");
        duration_bad("m30");
        duration_bad("5x");
        duration_bad("5M");
        duration_bad("1h30");    /* unit of the 30 is a guess */
        duration_bad("30m1h");   /* out of order */
        duration_bad("1h1h");    /* repeated */
        duration_bad("1hh");
        duration_bad("367d");
        duration_bad("366d1s");
        duration_bad("31622401");
        duration_bad("99999999999999999999999");
        duration_bad("18446744073709551616s");
        duration_bad("9999999999999999999d");
        duration_bad("1h\n");

        CHECK_INT(jit_parse_duration("367d", &v), -ERANGE);
        CHECK_INT(jit_parse_duration("abc", &v), -EINVAL);

        CHECK_STR(jit_format_duration(0, buf, sizeof(buf)), "0s");
        CHECK_STR(jit_format_duration(45, buf, sizeof(buf)), "45s");
        CHECK_STR(jit_format_duration(5400, buf, sizeof(buf)), "1h30m");
        CHECK_STR(jit_format_duration(183600, buf, sizeof(buf)), "2d3h");
        CHECK_STR(jit_format_duration(93784, buf, sizeof(buf)), "1d2h3m4s");
        /* Whatever we print parses back to the same value. */
        for (uint64_t s = 1; s < 200000; s += 997) {
                CHECK_INT(jit_parse_duration(jit_format_duration(s, buf, sizeof(buf)), &v), 0);
                CHECK_INT(v, s);
        }
}

static void test_parse_uint64(void) {
        uint64_t v = 7;

        CHECK_INT(jit_parse_uint64("42", 0, 100, &v), 0);
        CHECK_INT(v, 42);
        CHECK_INT(jit_parse_uint64("18446744073709551615", 0, UINT64_MAX, &v), 0);
        CHECK(v == UINT64_MAX);
        v = 7;
        CHECK_INT(jit_parse_uint64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
        CHECK_INT(jit_parse_uint64("101", 0, 100, &v), -ERANGE);
        CHECK_INT(jit_parse_uint64("4", 5, 100, &v), -ERANGE);
        CHECK_INT(jit_parse_uint64("-1", 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(jit_parse_uint64("+1", 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(jit_parse_uint64(" 1", 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(jit_parse_uint64("1 ", 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(jit_parse_uint64("0x10", 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(jit_parse_uint64("", 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(jit_parse_uint64(NULL, 0, UINT64_MAX, &v), -EINVAL);
        CHECK_INT(v, 7); /* untouched on failure */
}

static int compare_ids(const void *a, const void *b) {
        return strcmp(a, b);
}

static void test_ids(void) {
        enum { N = 10000 };
        static char ids[N][JIT_ID_MAX];
        char id[JIT_ID_MAX], code[JIT_MATCH_CODE_MAX];
        size_t dups = 0;

        CHECK_INT(jit_random_id('r', id, sizeof(id)), 0);
        CHECK_INT(strlen(id), 17);
        CHECK(id[0] == 'r');
        CHECK(jit_id_is_valid(id, 'r'));
        CHECK(jit_id_is_valid(id, 0));
        CHECK(!jit_id_is_valid(id, 'g'));
        CHECK_INT(jit_random_id('g', id, sizeof(id)), 0);
        CHECK(jit_id_is_valid(id, 'g'));
        CHECK(jit_id_is_valid(id, 0));
        CHECK_INT(jit_random_id('r', id, 17), -ENOBUFS);

        CHECK(jit_id_is_valid("r7k2qx9pmd3t1bfa0", 'r'));
        CHECK(!jit_id_is_valid("r7k2qx9pmd3t1bfa", 'r'));   /* 15 chars */
        CHECK(!jit_id_is_valid("r7k2qx9pmd3t1bfa00", 'r')); /* 17 chars */
        CHECK(!jit_id_is_valid("r7k2qx9pmd3t1bfaI", 'r'));  /* upper case */
        CHECK(!jit_id_is_valid("r7k2qx9pmd3t1bfal", 'r'));  /* 'l' is not in the alphabet */
        CHECK(!jit_id_is_valid("r7k2qx9pmd3t1bfa/", 'r'));
        CHECK(!jit_id_is_valid("x7k2qx9pmd3t1bfa0", 0));
        CHECK(!jit_id_is_valid("", 0));
        CHECK(!jit_id_is_valid(NULL, 0));

        for (size_t i = 0; i < N; i++) {
                CHECK_INT(jit_random_id('g', ids[i], sizeof(ids[i])), 0);
                CHECK(jit_id_is_valid(ids[i], 'g'));
        }
        qsort(ids, N, sizeof(ids[0]), compare_ids);
        for (size_t i = 1; i < N; i++)
                if (strcmp(ids[i - 1], ids[i]) == 0)
                        dups++;
        CHECK_INT(dups, 0);

        for (int i = 0; i < 1000; i++) {
                CHECK_INT(jit_random_match_code(code, sizeof(code)), 0);
                CHECK_INT(strlen(code), 7);
                CHECK(code[3] == '-');
                for (int k = 0; k < 7; k++)
                        if (k != 3)
                                CHECK(code[k] >= '0' && code[k] <= '9');
        }
        CHECK_INT(jit_random_match_code(code, 7), -ENOBUFS);
}

static void test_user_names(void) {
        char buf[JIT_USER_MAX + 2];

        CHECK(jit_user_name_is_valid("alice"));
        CHECK(jit_user_name_is_valid("a.b-c_d"));
        CHECK(jit_user_name_is_valid("Alice1"));
        CHECK(jit_user_name_is_valid("host$"));
        CHECK(jit_user_name_is_valid("_svc"));
        CHECK(!jit_user_name_is_valid(NULL));
        CHECK(!jit_user_name_is_valid(""));
        CHECK(!jit_user_name_is_valid("-rf"));
        CHECK(!jit_user_name_is_valid("$"));
        CHECK(!jit_user_name_is_valid("a$b"));
        CHECK(!jit_user_name_is_valid("a b"));
        CHECK(!jit_user_name_is_valid("a/b"));
        CHECK(!jit_user_name_is_valid("a:b"));
        CHECK(!jit_user_name_is_valid("root\n"));
        CHECK(!jit_user_name_is_valid("caf\xc3\xa9"));
        CHECK(!jit_user_name_is_valid(".."));
        CHECK(!jit_user_name_is_valid("."));

        memset(buf, 'u', sizeof(buf));
        buf[JIT_USER_MAX] = 0;
        CHECK(jit_user_name_is_valid(buf));
        buf[JIT_USER_MAX] = 'u';
        buf[JIT_USER_MAX + 1] = 0;
        CHECK(!jit_user_name_is_valid(buf));
}

static void test_actions_and_time(void) {
        char buf[64];
        int64_t now = jit_now_realtime();

        CHECK_STR(jit_action_to_string(JIT_ACTION_LOGIN), "login");
        CHECK_STR(jit_action_to_string(JIT_ACTION_SUDO), "sudo");
        CHECK(jit_action_to_string(_JIT_ACTION_MAX) == NULL);
        CHECK(jit_action_to_string(_JIT_ACTION_INVALID) == NULL);
        CHECK_INT(jit_action_from_string("login"), JIT_ACTION_LOGIN);
        CHECK_INT(jit_action_from_string("sudo"), JIT_ACTION_SUDO);
        CHECK_INT(jit_action_from_string("SUDO"), _JIT_ACTION_INVALID);
        CHECK_INT(jit_action_from_string(""), _JIT_ACTION_INVALID);
        CHECK_INT(jit_action_from_string(NULL), _JIT_ACTION_INVALID);

        CHECK(now > 1700000000);
        CHECK(llabs(now - (int64_t) time(NULL)) <= 1);

        setenv("TZ", "UTC", 1);
        tzset();
        CHECK_STR(jit_format_time(0, buf, sizeof(buf)), "1970-01-01 00:00:00 UTC");
        CHECK_STR(jit_format_time(1795443900, buf, sizeof(buf)), "2026-11-23 14:25:00 UTC");
}

/* DEFINE_STRING_TABLE for an enum without negative members (unsigned to
 * the compiler) and with a hole in its table. */
typedef enum Colour {
        COLOUR_RED,
        COLOUR_GREEN,
        COLOUR_BLUE,
        _COLOUR_MAX,
} Colour;

static const char *const colour_table[_COLOUR_MAX] = {
        [COLOUR_RED] = "red",
        [COLOUR_BLUE] = "blue",
};

DEFINE_STRING_TABLE(static, colour, Colour, _COLOUR_MAX);

static void test_string_table(void) {
        CHECK_STR(colour_to_string(COLOUR_RED), "red");
        CHECK_STR(colour_to_string(COLOUR_BLUE), "blue");
        CHECK(colour_to_string(COLOUR_GREEN) == NULL);
        CHECK(colour_to_string(_COLOUR_MAX) == NULL);
        CHECK(colour_to_string((Colour) -1) == NULL);
        CHECK_INT(colour_from_string("blue"), COLOUR_BLUE);
        CHECK_INT(colour_from_string("green"), _COLOUR_MAX);
        CHECK_INT(colour_from_string(NULL), _COLOUR_MAX);
}

int main(void) {
        test_sanitize();
        test_text_is_clean();
        test_durations();
        test_parse_uint64();
        test_ids();
        test_user_names();
        test_actions_and_time();
        test_string_table();
        return test_result("test_text");
}
