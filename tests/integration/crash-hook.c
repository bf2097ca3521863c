/* The test hooks of jitd (jitd/test-hooks.h), linked only into
 * jitd-crashtest: at the point JITD_TEST_CRASH_AT names, jitd dies as a
 * crash would, with SIGKILL and nothing flushed. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "test-hooks.h"

void jitd_test_hook(const char *point) {
        const char *at = getenv("JITD_TEST_CRASH_AT");

        if (at && strcmp(at, point) == 0)
                (void) raise(SIGKILL);
}
