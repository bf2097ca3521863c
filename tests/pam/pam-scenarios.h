/* What the scenario files of test-pam-jit share: the scenarios main()
 * dispatches to (one a ctest entry, pam-<name>) and the helpers they all
 * use, defined in test-pam-jit.c. The executable is built with
 * TEST_FAILURES_SHARED: the checks of every file count in one
 * test_failures, defined in test-pam-jit.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pam-harness.h"

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL
/* How much longer than timeout= a call to an unresponsive jitd may take. */
#define SLACK_USEC (1500ULL * USEC_PER_MSEC)

/* One PAM call on a fresh handle; the transcript is reset first. */
bool run1(const char *service, const char *user, enum pamtest_ops op, int expect, Transcript *t, RunResult *res);
/* Whether the module logged `needle`; prints the log if not. */
bool log_has(const RunResult *res, const char *needle);
/* "... Request rXXXX (code 123-456) is pending ..." -> id and code. */
void parse_account_notice(const char *msg, char *id, size_t id_size, char *code, size_t code_size);
/* o's member `key`, or NULL (also for o NULL). */
struct json_object *member(struct json_object *o, const char *key);

/* test-pam-jit.c */
void scenario_args(void);
/* test-pam-auth.c: the account and auth phases of a request */
void scenario_account(void);
void scenario_auth(void);
void scenario_destinations(void);
void scenario_rate_limit(void);
/* test-pam-session.c: sessions, sudo's invoking user, check-only services */
void scenario_session(void);
void scenario_sudo_runas(void);
void scenario_norequest(void);
/* test-pam-failmode.c: jitd down, failmode=safe, an untrusted server */
void scenario_unavailable(void);
void scenario_failmode_safe(void);
void scenario_trust(void);
