/* Grant teardown (see teardown.h): the actions that follow the end of a
 * grant, made crash-safe. The store writes a teardowns row in the
 * transaction that ends the grant; this file carries the row out and deletes it.
 *
 * One attempt: the audit entry (unless an earlier attempt wrote it), then
 * the row is marked audited with a lease (TEARDOWN_LEASE_SEC: if nothing
 * reports back by then, the timer tries again), then the timer is removed,
 * sudo's cached credentials dropped and the sessions ended through logind,
 * asynchronously; for a login grant that was the user's last, their
 * systemd manager is ended next (user-manager.c). When logind has answered
 * for every session and systemd for the manager, the row is
 * deleted, or on a failure rescheduled with backoff; after
 * TEARDOWN_ATTEMPTS_MAX attempts jitd gives up on it. Each failed attempt
 * is an audit entry (session-teardown-failed): the user's access may
 * outlive the grant, which whoever audits the grant must see.
 *
 * Every action is idempotent (a session logind no longer knows counts as
 * ended; a missing timestamp file as dropped; a manager that is not
 * running as ended), so redoing an attempt that a
 * crash cut short is safe. The audit entry is written at least once: a
 * crash between writing it and marking the row repeats it at start. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "event-util.h"
#include "log.h"
#include "logind.h"
#include "macros.h"
#include "sudo-timestamp.h"
#include "systemd-timers.h"
#include "teardown.h"
#include "test-hooks.h"
#include "text.h"
#include "user-manager.h"

/* Longer than two bus calls per session at sd-bus's 25 s default timeout. */
#define TEARDOWN_LEASE_SEC 120
#define TEARDOWN_ATTEMPTS_MAX 8
#define TEARDOWN_BACKOFF_FIRST_SEC 2
#define TEARDOWN_BACKOFF_MAX_SEC 300
/* The store failed: look again this much later, not in a busy loop. */
#define TEARDOWN_STORE_RETRY_SEC 10
/* Teardowns run per turn of the event loop; the rest come right after. */
#define TEARDOWN_BATCH 64U

typedef struct TeardownRun {
        GrantRecord grant;
        TeardownRecord teardown;
        /* A login grant whose sessions end with it: the user's manager
         * goes too, unless another login grant keeps the user in. */
        bool end_user_manager;
        int sessions_result;
        char sessions_error[256];
} TeardownRun;

static void teardown_rearm(Manager *m);

uint64_t teardown_backoff_sec(unsigned attempt) {
        uint64_t d = TEARDOWN_BACKOFF_FIRST_SEC;

        for (unsigned i = 1; i < attempt && d < TEARDOWN_BACKOFF_MAX_SEC; i++)
                d *= 2;
        return d < TEARDOWN_BACKOFF_MAX_SEC ? d : TEARDOWN_BACKOFF_MAX_SEC;
}

static const char *why_of(const GrantRecord *g) {
        return g->state == GRANT_REVOKED ? "was revoked" : "expired";
}

static void store_failed(Manager *m) {
        m->teardown_backoff_until = jit_now_realtime() + TEARDOWN_STORE_RETRY_SEC;
}

void teardown_audit_failed(const GrantRecord *g, unsigned attempt, int error, const char *error_text,
                           uint64_t retry_sec) {
        char reason[256];

        if (error_text && *error_text)
                snprintf(reason, sizeof(reason), "%s", error_text);
        else
                snprintf(reason, sizeof(reason), "%s", strerror(error < 0 ? -error : EIO));

        /* The audit entry is the log line too (it falls back to stderr
         * without journald): no separate diagnostic. */
        audit_log(AUDIT_SESSION_TEARDOWN_FAILED,
                  &(AuditFields) {
                          .grant_id = g->id,
                          .request_id = g->request_id,
                          .user = g->user,
                          .action = jit_action_to_string(g->action),
                          .reason = reason,
                          .attempts = attempt,
                          .attempts_max = TEARDOWN_ATTEMPTS_MAX,
                          .retry_sec = retry_sec,
                          .final = retry_sec == 0,
                  });
}

static void teardown_finish(Manager *m, const TeardownRun *run, int result, const char *error) {
        const GrantRecord *g = &run->grant;
        unsigned attempts = run->teardown.attempts;
        int r;

        if (result >= 0 || attempts >= TEARDOWN_ATTEMPTS_MAX) {
                if (result < 0)
                        teardown_audit_failed(g, attempts, result, error, 0);
                r = store_teardown_done(m->store, g->id);
                if (r < 0) {
                        /* The lease runs out and it is done again: harmless. */
                        log_warning_errno(r, "Cannot record that grant %s is torn down: %m", g->id);
                        store_failed(m);
                } else
                        log_debug("Grant %s of %s is torn down.", g->id, g->user);
        } else {
                uint64_t delay = teardown_backoff_sec(attempts);

                teardown_audit_failed(g, attempts, result, error, delay);
                /* The store keeps whole seconds: one more, so that the wait
                 * is never shorter than the backoff said in the audit entry. */
                r = store_teardown_attempt(m->store, g->id, attempts, jit_now_realtime() + (int64_t) delay + 1);
                if (r < 0) {
                        log_warning_errno(r, "Cannot schedule the next attempt for grant %s: %m", g->id);
                        store_failed(m);
                }
        }
        teardown_rearm(m);
}

static void on_user_manager_ended(Manager *m, int result, const char *error, void *userdata) {
        TeardownRun *run = userdata;

        /* The first failure is the one the audit entry names. */
        if (run->sessions_result < 0)
                teardown_finish(m, run, run->sessions_result, run->sessions_error[0] ? run->sessions_error : NULL);
        else
                teardown_finish(m, run, result, error);
        free(run);
}

static void on_sessions_ended(Manager *m, int result, const char *error, void *userdata) {
        TeardownRun *run = userdata;

        if (!run->end_user_manager) {
                teardown_finish(m, run, result, error);
                free(run);
                return;
        }
        /* Also when a session could not be ended (the attempt is redone
         * anyway): what the manager runs should not wait for logind. */
        run->sessions_result = result;
        snprintf(run->sessions_error, sizeof(run->sessions_error), "%s", result < 0 && error ? error : "");
        user_manager_stop(m, &run->grant, why_of(&run->grant), on_user_manager_ended, run);
}

static void audit_grant_end(const GrantRecord *g, const TeardownRecord *t) {
        char reason[JIT_REASON_MAX + 1];

        if (g->extended_by[0])
                snprintf(reason, sizeof(reason), "extended by grant %s", g->extended_by);
        else
                snprintf(reason, sizeof(reason), "%s", t->reason);

        audit_log(g->state == GRANT_REVOKED ? AUDIT_GRANT_REVOKED : AUDIT_GRANT_EXPIRED,
                  &(AuditFields) {
                          .grant_id = g->id,
                          .request_id = g->request_id,
                          .user = g->user,
                          .action = jit_action_to_string(g->action),
                          .approver = g->ended_by,
                          .approver_person = g->ended_by_person,
                          .reason = reason,
                          .expires = g->expires_at,
                  });
}

static void drop_sudo_timestamp(Manager *m, const GrantRecord *g) {
        int r = 0;

        /* sudo's timestamp is per user (and tty), not per grant: whichever
         * grant ends, the next sudo authenticates again. pam_jit's account
         * phase refuses it without a live grant anyway; this is the second
         * lock. */
        if (m->config.sudo_timestamp_dir && m->config.sudo_timestamp_dir[0]) /* "": the admin said leave it */
                r = sudo_timestamp_drop(m->config.sudo_timestamp_dir, g->user);
        if (r > 0)
                log_info("Dropped sudo's cached credentials of %s (grant %s %s).", g->user, g->id, why_of(g));
        else if (r == -ELOOP || r == -EPERM)
                log_warning("%s/%s is not a regular file; left it alone.", m->config.sudo_timestamp_dir, g->user);
        else if (r < 0)
                log_warning_errno(r, "Cannot drop sudo's cached credentials of %s: %m", g->user);
}

/* One attempt at one teardown. */
static void teardown_one(Manager *m, const TeardownRecord *t) {
        TeardownRun *run;
        int r;

        test_hook("teardown");

        run = calloc(1, sizeof(TeardownRun));
        if (!run) {
                store_failed(m);
                return;
        }
        run->teardown = *t;
        r = store_get_grant(m->store, t->grant_id, &run->grant);
        if (r == -ENOENT || (r >= 0 && run->grant.state == GRANT_ACTIVE)) {
                /* Not a grant that ended: nothing to do, ever. */
                log_warning("Pending teardown of %s, which is not an ended grant; dropping it.", t->grant_id);
                (void) store_teardown_done(m->store, t->grant_id);
                free(run);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot read grant %s to tear it down, retrying: %m", t->grant_id);
                store_failed(m);
                free(run);
                return;
        }

        if (!t->audited)
                audit_grant_end(&run->grant, t);
        run->teardown.attempts = t->attempts < UINT32_MAX ? t->attempts + 1 : t->attempts;
        r = store_teardown_attempt(m->store, t->grant_id, run->teardown.attempts,
                                   jit_now_realtime() + TEARDOWN_LEASE_SEC);
        if (r < 0) {
                /* Carry on: the actions are idempotent, and the row stays due. */
                log_warning_errno(r, "Cannot record the teardown attempt of grant %s: %m", t->grant_id);
                store_failed(m);
        }

        systemd_timers_remove(m, &run->grant);

        /* Extended: the sessions carry on under the new grant (the store
         * moved them), and so may sudo's cached credentials. */
        if (run->grant.extended_by[0]) {
                log_debug("Grant %s of %s was extended by %s.", run->grant.id, run->grant.user,
                          run->grant.extended_by);
                on_sessions_ended(m, 0, NULL, run);
                return;
        }

        log_debug("Grant %s of %s (%s) %s.", run->grant.id, run->grant.user,
                  jit_action_to_string(run->grant.action), why_of(&run->grant));
        drop_sudo_timestamp(m, &run->grant);

        if (run->grant.action >= 0 && run->grant.action < _JIT_ACTION_MAX &&
            m->config.policy[run->grant.action].on_expiry == ON_EXPIRY_TERMINATE) {
                run->end_user_manager = run->grant.action == JIT_ACTION_LOGIN;
                logind_terminate_sessions(m, &run->grant, why_of(&run->grant), on_sessions_ended, run);
        } else
                on_sessions_ended(m, 0, NULL, run);
}

void teardown_run_grant(Manager *m, const char *grant_id) {
        TeardownRecord t;
        int r;

        r = store_get_teardown(m->store, grant_id, &t);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_warning_errno(r, "Cannot read the pending teardown of grant %s, retrying: %m", grant_id);
                store_failed(m);
                teardown_rearm(m);
                return;
        }
        /* An attempt in flight, or one waiting for its retry: the timer's. */
        if (t.next_attempt_at > jit_now_realtime())
                return;
        teardown_one(m, &t);
}

void teardown_run_due(Manager *m) {
        TeardownRecord *due = NULL;
        size_t n = 0;
        int r;

        r = store_list_teardowns_due(m->store, jit_now_realtime(), TEARDOWN_BATCH, &due, &n);
        if (r < 0) {
                log_warning_errno(r, "Cannot list pending grant teardowns, retrying: %m");
                store_failed(m);
        }
        for (size_t i = 0; i < n; i++)
                teardown_one(m, &due[i]);
        free(due);
        if (n > 0)
                log_debug("Ran %zu grant teardown(s).", n);
        teardown_rearm(m);
}

static int on_teardown_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        teardown_run_due(userdata);
        return 0;
}

static void teardown_rearm(Manager *m) {
        int64_t next = 0, now = jit_now_realtime();
        int r;

        if (!m->teardown_source)
                return;

        r = store_next_teardown_due(m->store, &next);
        if (r == 0) {
                (void) sd_event_source_set_enabled(m->teardown_source, SD_EVENT_OFF);
                return;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot read when the next grant teardown is due, retrying: %m");
                next = now + TEARDOWN_STORE_RETRY_SEC;
        }
        if (next < m->teardown_backoff_until)
                next = m->teardown_backoff_until;

        r = event_arm_wall_timer(m->teardown_source, next);
        if (r < 0)
                log_error_errno(r, "Failed to arm the grant teardown timer: %m");
}

int teardown_start(Manager *m) {
        int r;

        r = event_add_wall_timer(m->event, &m->teardown_source, 100 * USEC_PER_MSEC, on_teardown_timer, m,
                                 JITD_PRIORITY_EXPIRY, "teardown");
        if (r < 0)
                return log_error_errno(r, "Failed to create the grant teardown timer: %m");

        /* What an earlier jitd left undone, leases and backoff or not: it
         * did not finish, and nothing of it is in flight now. The first
         * batch now; the timer takes the rest. */
        r = store_teardowns_all_due(m->store);
        if (r < 0)
                log_warning_errno(r, "Cannot reschedule pending grant teardowns: %m");
        else if (r > 0)
                log_info("Redoing the teardown of %i grant(s) that an earlier jitd left unfinished.", r);
        teardown_run_due(m);
        return 0;
}

void teardown_stop(Manager *m) {
        m->teardown_source = sd_event_source_disable_unref(m->teardown_source);
}
