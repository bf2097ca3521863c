/* The sessions of a grant, through logind: ending them when the grant ends
 * (TerminateSession), and warning their terminals before it does. pam_jit's
 * session phase recorded which logind session (XDG_SESSION_ID) opened under
 * which grant; everything on the bus is asynchronous. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jitd.h"
#include "store.h"

/* How ending a grant's sessions went: 0 when every session was ended, or
 * logind does not know it (any more), or is another session now, or there
 * is no bus to reach logind on (logged); <0 when something failed and
 * trying again may help. `error` then says what failed first, for the
 * audit trail (raw, unsanitised), or is NULL. */
typedef void (*LogindDone)(Manager *m, int result, const char *error, void *userdata);

/* End every open session recorded under `g` through logind. Each one ended
 * is marked closed in the store and audited (session-terminated); `why`
 * finishes "because login grant g... <why>": "expired", "was revoked".
 * `done` is called exactly once, when every call has answered (possibly
 * before this returns). */
void logind_terminate_sessions(Manager *m, const GrantRecord *g, const char *why, LogindDone done,
                               void *userdata);

/* Write the expiry warning to the terminal of every open session of `g`:
 * the TTY logind knows for the session, else the one pam_jit recorded.
 * Each terminal written to is audited (grant-expiry-warning). */
void logind_warn_sessions(Manager *m, const GrantRecord *g);

/* Pieces, for tests. */

/* "/dev/pts/<digits>" or "/dev/tty<letters and digits>" from a TTY as PAM
 * or logind name it ("pts/3", "/dev/pts/3", "tty1"); -EINVAL for anything
 * else ("ssh", ":0", "", "/dev/tty", a path elsewhere). */
int tty_path_from_name(const char *tty, char *buf, size_t size);
/* Write `text` to the terminal at `path` without blocking and without
 * following links, if it is a character device that is a tty owned by
 * `owner`. -EAGAIN if it would block or was cut short. */
int tty_write_text(const char *path, uid_t owner, const char *text);
/* The warning line for `g` as seen at `now`. */
int expiry_warning_text(const GrantRecord *g, int64_t now, char *buf, size_t size);
