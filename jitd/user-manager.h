/* A covered user's systemd manager (user@UID.service: their timers,
 * `systemd-run --user` units, lingering services), ended at once when
 * their last live login grant ends. logind would stop it only
 * UserStopDelaySec after the last session, and only if no session of the
 * user is left; until then what the user queued there keeps running. */
#pragma once

#include "jitd.h"
#include "store.h"

/* How ending the manager went: 0 when it was ended, was not running, or
 * must stay (another live login grant, or no systemd to ask: logged); <0
 * when something failed and trying again may help, `error` then saying
 * what (raw, unsanitised) or NULL. */
typedef void (*UserManagerDone)(Manager *m, int result, const char *error, void *userdata);

/* End the manager of `g`'s user unless the user still holds a live login
 * grant: every process of user@UID.service is killed with SIGKILL (an
 * orderly stop would run the user's ExecStop= commands and wait up to
 * minutes for units that ignore SIGTERM), then its failed state is reset
 * so the host does not count as degraded and the next login starts a
 * fresh manager. Audited (user-manager-stopped); `why` finishes "because
 * login grant g... <why>". Idempotent. `done` is called exactly once,
 * possibly before this returns. */
void user_manager_stop(Manager *m, const GrantRecord *g, const char *why, UserManagerDone done,
                       void *userdata);

/* "user@1000.service" for `uid`. */
int user_manager_unit_name(uid_t uid, char *buf, size_t size);
