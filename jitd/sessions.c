/* Opening and closing the sessions of a grant (sessions.h): which session
 * it is (the one a login names; for sudo the caller's, from the kernel's
 * word on who calls), what tells it apart from a later one with the same
 * id, the store row and the audit entry. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-login.h>

#include "lifecycle.h"
#include "log.h"
#include "nss.h"
#include "policy.h"
#include "sessions.h"

bool session_id_is_valid(const char *s) {
        if (!s || !*s || strlen(s) > JIT_SESSION_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.'))
                        return false;
        return true;
}

/* What tells this session apart from a later one with the same id (see
 * SessionRecord and logind.c): this boot, now on CLOCK_MONOTONIC, and the
 * owner. Left "" (as for old rows: never ended once closed) if any is
 * unknown. */
static void session_identity(SessionRecord *s, uid_t uid) {
        struct timespec ts;
        sd_id128_t boot;

        if (sd_id128_get_boot(&boot) < 0 || clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                return;
        sd_id128_to_string(boot, s->boot_id);
        s->opened_monotonic_usec = (int64_t) ts.tv_sec * (int64_t) USEC_PER_SEC + ts.tv_nsec / 1000;
        s->uid = (int64_t) uid;
}

/* The login session sudo runs in, from the kernel's word on who is calling
 * (SO_PEERCRED; only root may call OpenSession, and the caller waits for
 * the reply, so the pid is its own). Its owner is who logind will say it
 * belongs to. */
static int sudo_session(Manager *m, const SessionInput *in, char **ret_session, uid_t *ret_uid) {
        OnExpiry on_expiry = m->config.policy[in->action].on_expiry;
        int r;

        r = sd_pid_get_session(in->caller_pid, ret_session);
        if (r >= 0 && !session_id_is_valid(*ret_session))
                r = -EINVAL;
        if (r >= 0)
                r = sd_session_get_uid(*ret_session, ret_uid);
        if (r < 0)
                /* Not in a logind session (cron, a service): nothing could
                 * end it with the grant. */
                log_full_errno(on_expiry == ON_EXPIRY_TERMINATE ? LOG_NOTICE : LOG_DEBUG, r,
                               "sudo of %s (pid %u) runs in no logind session: %m", in->user,
                               (unsigned) in->caller_pid);
        return r;
}

static void session_record(SessionRecord *s, const SessionInput *in, const char *session_id, const GrantRecord *g,
                           int64_t now) {
        snprintf(s->session_id, sizeof(s->session_id), "%s", session_id);
        snprintf(s->grant_id, sizeof(s->grant_id), "%s", g->id);
        snprintf(s->user, sizeof(s->user), "%s", in->user);
        snprintf(s->service, sizeof(s->service), "%s", in->service ?: "");
        snprintf(s->tty, sizeof(s->tty), "%s", in->tty ?: "");
        snprintf(s->rhost, sizeof(s->rhost), "%s", in->rhost ?: "");
        s->pid = in->pid;
        s->opened_at = now;
}

int session_open(Manager *m, const SessionInput *in, int64_t now, SessionOpened *ret) {
        _cleanup_free_ char *caller_session = NULL;
        SessionRecord *s = &ret->session;
        GrantRecord *g = &ret->grant;
        const char *session_id = in->session_id;
        uid_t uid;
        int r;

        *ret = (SessionOpened) { .session.uid = -1 };
        r = store_find_live_grant(m->store, in->user, in->action, now, g);
        if (r < 0)
                return r;
        if (r == 0) {
                ret->outcome = SESSION_NO_GRANT;
                return 0;
        }

        if (in->action == JIT_ACTION_LOGIN) {
                NssUser u = {};

                if (nss_user_by_name(in->user, &u) >= 0)
                        session_identity(s, u.uid);
                nss_user_done(&u);
        } else {
                if (sudo_session(m, in, &caller_session, &uid) < 0) {
                        ret->outcome = m->config.policy[in->action].on_expiry == ON_EXPIRY_TERMINATE
                                               ? SESSION_NO_LOGIND
                                               : SESSION_UNTRACKED;
                        return 0;
                }
                session_id = caller_session;
                session_identity(s, uid);
        }

        session_record(s, in, session_id, g, now);
        r = store_open_session(m->store, s);
        if (r < 0)
                return r;

        lifecycle_committed(m,
                            &(LifecycleChange) {
                                    .event = AUDIT_SESSION_OPENED,
                                    .audit = &(AuditFields) {
                                            .session = s->session_id,
                                            .grant_id = g->id,
                                            .request_id = g->request_id,
                                            .user = in->user,
                                            .action = jit_action_to_string(in->action),
                                            .service = s->service,
                                            .tty = s->tty,
                                            .rhost = s->rhost,
                                            .expires = g->expires_at,
                                    },
                            });
        ret->outcome = SESSION_OPENED;
        return 0;
}

/* Break-glass users are not: their sessions are never recorded either. */
static bool user_covered_for_any_action(Manager *m, const char *user) {
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                PolicyVerdict v = policy_evaluate(&m->config, user, a);

                if (v == POLICY_NEEDS_APPROVAL || (int) v < 0) /* NSS trouble counts as covered */
                        return true;
        }
        return false;
}

int session_close(Manager *m, const char *user, const char *session_id, int64_t now) {
        int r;

        /* Without a store: a user the policy covers for no action has no
         * session recorded (OpenSession answered "ignore"), which is what
         * the store would say too. */
        if (!m->store && !user_covered_for_any_action(m, user))
                return -ENOENT;

        r = store_close_session(m->store, user, session_id, now);
        if (r < 0)
                return r;
        lifecycle_committed(m,
                            &(LifecycleChange) {
                                    .event = AUDIT_SESSION_CLOSED,
                                    .audit = &(AuditFields) { .session = session_id, .user = user },
                            });
        return 0;
}
