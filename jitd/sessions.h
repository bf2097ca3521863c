/* The sessions a grant covers: io.jit.OpenSession records a login's (or,
 * for sudo, the caller's own logind session) against the user's live
 * grant, so the grant's end can end it; io.jit.CloseSession marks it
 * closed. Whether the policy gates the user at all is the caller's to ask
 * first (methods.c answers "ignore" otherwise). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jitd.h"
#include "store.h"

/* logind session ids: "1", "c12", "42". Nothing that could confuse a log. */
bool session_id_is_valid(const char *s);

typedef struct SessionInput {
        const char *user;
        JitAction action;
        const char *session_id; /* login: pam_systemd's XDG_SESSION_ID; sudo: NULL (looked up) */
        const char *service, *tty, *rhost;
        int64_t pid;      /* the session's leader as the module says, 0: unknown */
        pid_t caller_pid; /* SO_PEERCRED of the call: sudo's own process */
} SessionInput;

typedef enum SessionOutcome {
        SESSION_OPENED,     /* recorded: ret->grant, ret->session */
        SESSION_NO_GRANT,   /* the user holds no live grant */
        SESSION_NO_LOGIND,  /* sudo outside any logind session, and the grant must end it: refused */
        SESSION_UNTRACKED,  /* sudo outside any logind session: nothing to end, not recorded */
} SessionOutcome;

typedef struct SessionOpened {
        SessionOutcome outcome;
        GrantRecord grant;
        SessionRecord session;
} SessionOpened;

/* <0: the store failed. */
int session_open(Manager *m, const SessionInput *in, int64_t now, SessionOpened *ret);

/* -ENOENT: no such open session of `user`. */
int session_close(Manager *m, const char *user, const char *session_id, int64_t now);
