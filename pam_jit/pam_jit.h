/* Internal interfaces of pam_jit.so shared by its files: the phases, the
 * results a phase can end in, and the per-call context built from the PAM
 * items and module arguments. Results become PAM return codes in exactly one
 * place (jit_result_to_pam() in pam_jit.c). Nothing here is exported: the
 * version script keeps only pam_sm_* visible. */
#pragma once

#include <security/pam_modules.h>
#include <stdbool.h>

#include "jit-protocol.h"
#include "module_args.h"

typedef enum PamJitPhase {
        /* The phases that can keep someone out come first. */
        PAM_JIT_PHASE_AUTH,
        PAM_JIT_PHASE_ACCOUNT,
        PAM_JIT_PHASE_OPEN_SESSION,
        _PAM_JIT_PHASE_GATING_MAX,
        PAM_JIT_PHASE_SETCRED = _PAM_JIT_PHASE_GATING_MAX,
        PAM_JIT_PHASE_CLOSE_SESSION,
        _PAM_JIT_PHASE_MAX,
        _PAM_JIT_PHASE_INVALID = -1,
} PamJitPhase;

/* How a phase ended, before failmode and the phase turn it into a PAM code. */
typedef enum JitResult {
        JIT_RESULT_ALLOW,        /* a live grant (or break-glass); for sessions: recorded */
        JIT_RESULT_IGNORE,       /* jitd's policy does not cover this, or nothing to do */
        JIT_RESULT_NO_GRANT,     /* no live grant: pending, denied, expired, unanswered */
        JIT_RESULT_UNREACHABLE,  /* no jitd listens: no socket file, or connection refused */
        JIT_RESULT_NO_ANSWER,    /* something listens (systemd holds the socket while jitd restarts or
                                  * crash-loops) but no usable answer came: timed out, hung up,
                                  * another protocol, garbage. Never a fail-open. */
        JIT_RESULT_UNTRUSTED,    /* socket file or server not root's: an impostor, not an outage */
        JIT_RESULT_DAEMON_ERROR, /* jitd answered but could not decide (store down, refused) */
        JIT_RESULT_CONV_ERROR,   /* the conversation failed, or gave no answer */
        JIT_RESULT_BAD_CONFIG,   /* bad module arguments */
        JIT_RESULT_USER_UNKNOWN, /* no usable PAM_USER */
        JIT_RESULT_SYSTEM_ERROR, /* out of memory, PAM item errors */
        _JIT_RESULT_MAX,
        _JIT_RESULT_INVALID = -1,
} JitResult;

typedef struct PamJitContext {
        pam_handle_t *pamh;
        PamJitPhase phase;
        ModuleArgs args;
        JitAction action;
        /* Whom jitd is asked about: PAM_USER, or under sudo the invoking
         * user (PAM_RUSER); checked with jit_user_name_is_valid(). */
        const char *user;
        /* Sanitised copies: what jitd accepts and what is safe to log. */
        char service[JIT_SERVICE_MAX + 1];
        char rhost[JIT_RHOST_MAX + 1]; /* "" if unset */
        char tty[JIT_TTY_MAX + 1];     /* "" if unset */
} PamJitContext;

const char *jit_result_to_string(JitResult r);
JitResult jit_result_from_string(const char *s);
