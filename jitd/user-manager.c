/* Ending a user's systemd manager with their last login grant (see
 * user-manager.h).
 *
 * Through systemd (PID 1), not logind: logind's TerminateUser would also
 * end sessions the grant never opened (a console login the policy leaves
 * alone), and stops the manager in an orderly way, which runs the user's
 * own ExecStop= commands after the deadline and waits up to minutes for
 * units that ignore SIGTERM. KillUnit(user@UID.service, all, SIGKILL)
 * kills every process of the manager's cgroup at once, the manager and all
 * it runs. The unit then fails ("signal"); once systemd has reaped it, the
 * failure is reset, so that the host does not count as degraded. A new
 * login (under a new grant: systemd-user's PAM stack checks) starts a
 * fresh manager, as logind does for any login.
 *
 * One StopCall per grant end, passed along a chain of asynchronous calls:
 * KillUnit, then ActiveState until the unit has settled (a few polls),
 * then ResetFailedUnit. Each call and the poll timer hold a reference;
 * a chain the bus drops without an answer reports a failure, so the
 * teardown is tried again. Every step is idempotent. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bus-util.h"
#include "log.h"
#include "macros.h"
#include "person.h"
#include "text.h"
#include "user-manager.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define SYSTEMD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"
/* systemd reaps a killed cgroup in milliseconds; two seconds is a stuck
 * systemd, and the teardown's retry takes over. */
#define SETTLE_POLL_USEC (50ULL * USEC_PER_MSEC)
#define SETTLE_POLLS_MAX 40U
#define UNIT_NAME_MAX 64U

typedef struct StopCall {
        Manager *m;
        unsigned n_ref;
        bool finished;
        bool killed; /* KillUnit succeeded: the manager is gone or going */
        unsigned polls;
        char unit[UNIT_NAME_MAX];
        char *unit_path;
        char user[JIT_USER_MAX + 1];
        char grant_id[JIT_ID_MAX];
        char request_id[JIT_ID_MAX];
        int64_t expires_at;
        char why[32];
        char kill_error[256]; /* what KillUnit said, when it failed */
        sd_event_source *poll_source;
        UserManagerDone done;
        void *userdata;
} StopCall;

int user_manager_unit_name(uid_t uid, char *buf, size_t size) {
        int n = snprintf(buf, size, "user@%u.service", (unsigned) uid);

        return n > 0 && (size_t) n < size ? 0 : -ENAMETOOLONG;
}

static StopCall *stop_call_ref(StopCall *c) {
        c->n_ref++;
        return c;
}

static void _printf_(3, 4) stop_call_finish(StopCall *c, int result, const char *format, ...) {
        char error[256] = "";
        va_list ap;

        if (c->finished)
                return;
        c->finished = true;
        if (result < 0 && format) {
                va_start(ap, format);
                (void) vsnprintf(error, sizeof(error), format, ap);
                va_end(ap);
        }
        c->done(c->m, result, result < 0 && error[0] ? error : NULL, c->userdata);
}

static void stop_call_unref(void *p) {
        StopCall *c = p;

        if (!c || --c->n_ref > 0)
                return;
        /* The last call was dropped unanswered (the bus went away). */
        stop_call_finish(c, -ECONNRESET, "no answer from systemd about %s", c->unit);
        c->poll_source = sd_event_source_disable_unref(c->poll_source);
        free(c->unit_path);
        free(c);
}

/* Not there to be asked: no systemd on this bus, or the unit not loaded
 * (the manager is not running and has nothing left). */
static bool error_means_absent(const char *error) {
        return error && (strcmp(error, "org.freedesktop.systemd1.NoSuchUnit") == 0 ||
                         strcmp(error, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
                         strcmp(error, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0 ||
                         strcmp(error, "org.freedesktop.DBus.Error.UnknownObject") == 0);
}

static int send_call(StopCall *c, const char *path, const char *interface, const char *member,
                     sd_bus_message_handler_t callback, const char *types, ...);

/* ---- the end: the failure reset ---- */

static int on_reset(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        StopCall *c = userdata;
        const char *error = bus_reply_error_name(reply);

        /* Unloaded meanwhile: nothing left to reset. A reset that failed
         * leaves a failed unit on the list, untidy but not access. */
        if (error && !error_means_absent(error))
                log_warning("Failed to reset the failed state of %s: %s", c->unit,
                            bus_reply_error_message(reply));
        stop_call_finish(c, 0, NULL);
        return 0;
}

/* ---- waiting for systemd to reap what was killed ---- */

static void poll_state(StopCall *c);

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        StopCall *c = userdata;

        c->poll_source = sd_event_source_disable_unref(c->poll_source);
        poll_state(c);
        stop_call_unref(c); /* the timer's reference */
        return 0;
}

static void poll_again(StopCall *c, const char *state) {
        int r;

        if (!c->killed) {
                /* KillUnit failed and the unit still runs. */
                log_error("Failed to end %s, the manager of %s (grant %s %s): %s", c->unit, c->user, c->grant_id,
                          c->why, c->kill_error);
                stop_call_finish(c, -EIO, "systemd did not kill %s: %s", c->unit, c->kill_error);
                return;
        }
        if (++c->polls > SETTLE_POLLS_MAX) {
                log_warning("%s is still %s after SIGKILL; trying again later.", c->unit, state);
                stop_call_finish(c, -ETIMEDOUT, "%s still %s after SIGKILL", c->unit, state);
                return;
        }
        r = sd_event_add_time_relative(c->m->event, &c->poll_source, CLOCK_MONOTONIC, SETTLE_POLL_USEC, 0,
                                       on_poll_timer, c);
        if (r < 0) {
                stop_call_finish(c, r, "cannot wait for %s to stop: %s", c->unit, strerror(-r));
                return;
        }
        stop_call_ref(c);
}

static int on_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        StopCall *c = userdata;
        const char *error = bus_reply_error_name(reply), *state = NULL;
        int r;

        if (error_means_absent(error)) {
                stop_call_finish(c, 0, NULL); /* unloaded: gone */
                return 0;
        }
        if (error || sd_bus_message_read(reply, "v", "s", &state) < 0 || !state) {
                stop_call_finish(c, -EIO, "cannot read the state of %s: %s", c->unit,
                                 error ? bus_reply_error_message(reply) : "malformed reply");
                return 0;
        }

        if (strcmp(state, "inactive") == 0)
                stop_call_finish(c, 0, NULL);
        else if (strcmp(state, "failed") == 0) {
                r = send_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "ResetFailedUnit", on_reset, "s", c->unit);
                if (r < 0)
                        stop_call_finish(c, 0, NULL); /* logged; see on_reset() */
        } else
                poll_again(c, state);
        return 0;
}

static void poll_state(StopCall *c) {
        int r;

        r = send_call(c, c->unit_path, "org.freedesktop.DBus.Properties", "Get", on_state, "ss", SYSTEMD_UNIT,
                      "ActiveState");
        if (r < 0)
                stop_call_finish(c, r, "cannot ask systemd about %s: %s", c->unit, strerror(-r));
}

/* ---- the kill ---- */

static int on_killed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        StopCall *c = userdata;
        const char *error = bus_reply_error_name(reply);

        if (error_means_absent(error)) {
                log_debug("%s (manager of %s) is not running.", c->unit, c->user);
                stop_call_finish(c, 0, NULL);
                return 0;
        }
        if (error) {
                /* A loaded unit with nothing running may answer so: what
                 * counts is whether it is running. */
                snprintf(c->kill_error, sizeof(c->kill_error), "%s", bus_reply_error_message(reply));
                log_debug("KillUnit %s: %s", c->unit, c->kill_error);
        } else {
                c->killed = true;
                log_info("Ended %s, the manager of %s: login grant %s %s.", c->unit, c->user, c->grant_id,
                         c->why);
                audit_log(AUDIT_USER_MANAGER_STOPPED,
                          &(AuditFields) {
                                  .grant_id = c->grant_id,
                                  .request_id = c->request_id,
                                  .user = c->user,
                                  .action = jit_action_to_string(JIT_ACTION_LOGIN),
                                  .unit = c->unit,
                                  .reason = c->why,
                                  .expires = c->expires_at,
                          });
        }
        poll_state(c);
        return 0;
}

/* One call of the chain; it holds a reference on c until it is done. */
static int send_call(StopCall *c, const char *path, const char *interface, const char *member,
                     sd_bus_message_handler_t callback, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(c->m->bus, &msg, SYSTEMD_SERVICE, path, interface, member);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(msg, false);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(msg, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return r;
        /* bus_call_async() drops the reference itself if it fails. */
        return bus_call_async(c->m->bus, msg, callback, stop_call_ref(c), stop_call_unref);
}

void user_manager_stop(Manager *m, const GrantRecord *g, const char *why, UserManagerDone done,
                       void *userdata) {
        StopCall *c;
        LiveGrant live;
        uid_t uid;
        int r;

        if (g->action != JIT_ACTION_LOGIN) {
                done(m, 0, NULL, userdata);
                return;
        }

        /* Another login grant (an overlapping one, break-glass) keeps the
         * user in, and their manager with them. */
        r = store_check_live_grant(m->store, g->user, JIT_ACTION_LOGIN, jit_now_realtime(), &live);
        if (r < 0) {
                log_warning_errno(r, "Cannot tell whether %s holds another login grant: %m", g->user);
                done(m, r, "cannot read the store", userdata);
                return;
        }
        if (r > 0) {
                log_debug("%s still holds login grant %s: their manager stays.", g->user, live.id);
                done(m, 0, NULL, userdata);
                return;
        }

        r = person_lookup_user_uid(g->user, &uid);
        if (r == -ENOENT) {
                log_debug("No user %s any more: no manager to end.", g->user);
                done(m, 0, NULL, userdata);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot look up user %s to end their manager: %m", g->user);
                done(m, r, "cannot look up the user", userdata);
                return;
        }

        if (!m->bus) {
                /* No bus, no systemd (a container, the tests): no manager. */
                log_debug("Login grant %s of %s %s; no system bus to end their manager on.", g->id, g->user, why);
                done(m, 0, NULL, userdata);
                return;
        }

        c = calloc(1, sizeof(StopCall));
        if (!c) {
                done(m, -ENOMEM, "out of memory", userdata);
                return;
        }
        *c = (StopCall) {
                .m = m,
                .n_ref = 1,
                .expires_at = g->expires_at,
                .done = done,
                .userdata = userdata,
        };
        snprintf(c->user, sizeof(c->user), "%s", g->user);
        snprintf(c->grant_id, sizeof(c->grant_id), "%s", g->id);
        snprintf(c->request_id, sizeof(c->request_id), "%s", g->request_id);
        snprintf(c->why, sizeof(c->why), "%s", why);

        r = user_manager_unit_name(uid, c->unit, sizeof(c->unit));
        if (r >= 0)
                r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, c->unit, &c->unit_path);
        if (r >= 0)
                r = send_call(c, SYSTEMD_PATH, SYSTEMD_MANAGER, "KillUnit", on_killed, "ssi", c->unit, "all",
                              (int32_t) SIGKILL);
        if (r < 0) {
                log_error_errno(r, "Failed to ask systemd to end the manager of %s: %m", g->user);
                stop_call_finish(c, r, "cannot ask systemd to end %s: %s", c->unit[0] ? c->unit : "the manager",
                                 strerror(-r));
        }
        stop_call_unref(c);
}
