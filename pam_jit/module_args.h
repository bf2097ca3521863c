/* The module arguments from the PAM stack line (socket=, timeout=, wait=,
 * failmode=, action=, reason=, norequest, debug, quiet and the hidden
 * journal_socket=),
 * parsed in one place with range checks. A bad argument is an admin error
 * that must be noticed, so it is logged and the phase returns
 * PAM_SERVICE_ERR rather than guessing. */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdint.h>

#include "jit-protocol.h"

#define PAM_JIT_TIMEOUT_MSEC_DEFAULT 3000U
#define PAM_JIT_TIMEOUT_MSEC_MIN 100U
#define PAM_JIT_TIMEOUT_MSEC_MAX 60000U
/* Below sshd's default LoginGraceTime of 120 s, leaving time to type. */
#define PAM_JIT_WAIT_SEC_DEFAULT 90U
#define PAM_JIT_WAIT_SEC_MAX 3600U
#define PAM_JIT_JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"

typedef enum FailMode {
        FAIL_MODE_SECURE, /* jitd unavailable: deny */
        FAIL_MODE_SAFE,   /* jitd unavailable: allow, logged loudly */
        _FAIL_MODE_MAX,
        _FAIL_MODE_INVALID = -1,
} FailMode;

typedef enum ReasonMode {
        REASON_MODE_OPTIONAL,
        REASON_MODE_REQUIRED,
        REASON_MODE_NONE,
        _REASON_MODE_MAX,
        _REASON_MODE_INVALID = -1,
} ReasonMode;

typedef struct ModuleArgs {
        const char *socket_path;    /* points into argv or a literal */
        const char *journal_socket; /* hidden, for tests: where the fail-open entry goes */
        uint64_t timeout_usec;      /* bounds each jitd exchange */
        uint64_t wait_sec;          /* auth phase: how long to wait for a decision */
        FailMode fail_mode;
        ReasonMode reason_mode;
        JitAction action; /* _JIT_ACTION_INVALID: derive from PAM_SERVICE */
        /* Only check for a live grant, never file a request: for services
         * nobody watches (cron, atd, the user manager), where a refusal
         * must not page the approvers. */
        bool no_request;
        bool debug;
        bool quiet;
} ModuleArgs;

/* Fills *ret with the defaults overridden by argv. Every problem is logged
 * with pam_syslog; returns -EINVAL if there was one (*ret then untouched). */
int module_args_parse(pam_handle_t *pamh, int argc, const char **argv, ModuleArgs *ret);

const char *fail_mode_to_string(FailMode m);
FailMode fail_mode_from_string(const char *s);
const char *reason_mode_to_string(ReasonMode m);
ReasonMode reason_mode_from_string(const char *s);
