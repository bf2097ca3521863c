/* jitd's own diagnostics (not the audit trail, see audit.h): one line per
 * message on stderr. Under systemd (JOURNAL_STREAM set) each line carries a
 * "<N>" syslog priority prefix so journald files it at the right level;
 * otherwise lines are prefixed "jitd: " for a terminal. The log_*_errno()
 * helpers return the negative errno they were given, so a caller can
 * "return log_error_errno(r, ...);" where it handles the error. */
#pragma once

#include <syslog.h>

#include "macros.h"

/* Messages above this level are dropped (LOG_INFO unless --debug). */
void log_set_max_level(int level);
int log_get_max_level(void);

/* `error` is a negative (or positive) errno or 0; %m expands to its text.
 * Returns -abs(error). */
int log_internal(int level, int error, const char *format, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(error, ...) log_internal(LOG_DEBUG, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_internal(LOG_ERR, (error), __VA_ARGS__)
