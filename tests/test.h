/* A minimal test harness: each check prints file:line and the failing
 * expression, and the test exits non-zero at the end if any check failed. */
#pragma once

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A test of one file counts failed checks in a static counter. A test
 * built from several files (test-pam-jit) is compiled with
 * TEST_FAILURES_SHARED and defines `int test_failures;` in one of them, so
 * that the checks of every file count. */
#ifdef TEST_FAILURES_SHARED
extern int test_failures;
#else
static int test_failures;
#endif

#define CHECK(expr)                                                                     \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
                        test_failures++;                                                \
                }                                                                       \
        } while (0)

#define CHECK_INT(a, b)                                                                 \
        do {                                                                            \
                long long _a = (long long) (a), _b = (long long) (b);                   \
                if (_a != _b) {                                                         \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
                                __LINE__, #a, _a, #b, _b);                              \
                        test_failures++;                                                \
                }                                                                       \
        } while (0)

#define CHECK_STR(a, b)                                                                 \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                \
                        fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
                                __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");  \
                        test_failures++;                                                \
                }                                                                       \
        } while (0)

#define TEST_SKIP 77

static inline int test_result(const char *name) {
        if (test_failures) {
                fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
                return EXIT_FAILURE;
        }
        printf("%s: all checks passed\n", name);
        return EXIT_SUCCESS;
}
