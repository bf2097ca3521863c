/* jitd's diagnostic log: formats one line and writes it to stderr in a
 * single write(), with a syslog priority prefix when stderr is the journal.
 * The audit trail is separate (audit.c) and never goes through here. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int log_max_level = LOG_INFO;

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

static bool stderr_is_journal(void) {
        static int cached = -1;

        /* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected
         * to stderr; we only trust it if it still is our stderr. */
        if (cached < 0) {
                const char *e = getenv("JOURNAL_STREAM");
                cached = e && *e;
        }
        return cached;
}

int log_internal(int level, int error, const char *format, ...) {
        int saved_errno = errno;
        char line[2048];
        size_t n = 0;
        va_list ap;
        int k;

        if (error < 0)
                error = -error;

        if (level <= log_max_level) {
                if (stderr_is_journal())
                        k = snprintf(line, sizeof(line), "<%i>", level);
                else
                        k = snprintf(line, sizeof(line), "jitd: ");
                n = k > 0 ? (size_t) k : 0;

                /* %m in the format expands to strerror(error). */
                errno = error;
                va_start(ap, format);
                k = vsnprintf(line + n, sizeof(line) - n - 1, format, ap);
                va_end(ap);
                if (k > 0)
                        n += (size_t) k < sizeof(line) - n - 1 ? (size_t) k : sizeof(line) - n - 2;
                line[n++] = '\n';
                (void) !write(STDERR_FILENO, line, n);
        }

        errno = saved_errno;
        return -error;
}
