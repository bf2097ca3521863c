/* The io.jit methods of doc/protocol.md. This file owns who may call what and
 * what a call does: identity comes only from the connection's SO_PEERCRED
 * uid/gid (resolved to a name through NSS), never from a field of the call;
 * every parameter is type-, size- and content-checked before use; and every
 * state change is written to the store (synchronous=FULL) before the reply
 * that acknowledges it is queued. Audit entries follow the store write, and
 * waiters (WaitDecision) are woken once the decision is on disk. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-login.h>

#include "audit.h"
#include "config-approvers.h"
#include "decision.h"
#include "expiry.h"
#include "log.h"
#include "methods.h"
#include "outbox.h"
#include "person.h"
#include "policy.h"
#include "request-limit.h"
#include "teardown.h"
#include "text.h"

/* Status/List replies must fit in one message a client accepts; what does
 * not fit is left out and "truncated":true says so. */
#define REPLY_BUDGET (JIT_MESSAGE_SIZE_MAX - 4096U)
#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 10000
#define REVOKE_MAX 1000U
#define ACTION_NAME_MAX 16
#define PID_MAX_VALUE 4194304 /* the kernel's PID_MAX_LIMIT */

typedef struct Call {
        Manager *m;
        Connection *c;
        struct json_object *params;
        bool more;
        int64_t now;
} Call;

static bool streq_ptr(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static bool isempty(const char *s) {
        return !s || !*s;
}

/* ---- building replies ---- */

static void add_string(struct json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

static void add_int(struct json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

static void add_bool(struct json_object *o, const char *key, bool value) {
        json_object_object_add(o, key, json_object_new_boolean(value));
}

static struct json_object *request_to_json(const RequestRecord *r) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        add_string(o, "id", r->id);
        add_string(o, "user", r->user);
        add_string(o, "action", jit_action_to_string(r->action));
        add_string(o, "service", r->service);
        add_string(o, "rhost", r->rhost);
        add_string(o, "tty", r->tty);
        add_string(o, "reason", r->reason);
        add_int(o, "duration", (int64_t) r->duration_sec);
        add_string(o, "match_code", r->match_code);
        add_string(o, "state", request_state_to_string(r->state));
        add_int(o, "created_at", r->created_at);
        add_int(o, "expires_at", r->expires_at);
        if (!isempty(r->extends_grant_id))
                add_string(o, "extends", r->extends_grant_id);
        if (r->state != REQUEST_PENDING) {
                if (r->decided_at > 0)
                        add_int(o, "decided_at", r->decided_at);
                if (!isempty(r->decided_by))
                        add_string(o, "decided_by", r->decided_by);
                if (!isempty(r->decided_by_person))
                        add_string(o, "decided_by_person", r->decided_by_person);
                if (!isempty(r->decision_reason))
                        add_string(o, "decision_reason", r->decision_reason);
                if (!isempty(r->grant_id))
                        add_string(o, "grant_id", r->grant_id);
        }
        return o;
}

static struct json_object *grant_to_json(const GrantRecord *g) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        add_string(o, "id", g->id);
        if (!isempty(g->request_id))
                add_string(o, "request_id", g->request_id);
        add_string(o, "user", g->user);
        add_string(o, "action", jit_action_to_string(g->action));
        add_int(o, "created_at", g->created_at);
        add_int(o, "expires_at", g->expires_at);
        add_string(o, "approver", g->approver);
        if (!isempty(g->approver_person))
                add_string(o, "approver_person", g->approver_person);
        add_string(o, "reason", g->reason);
        add_string(o, "state", grant_state_to_string(g->state));
        add_bool(o, "breakglass", g->breakglass);
        if (!isempty(g->extends_grant_id))
                add_string(o, "extends", g->extends_grant_id);
        if (!isempty(g->extended_by))
                add_string(o, "extended_by", g->extended_by);
        if (g->state != GRANT_ACTIVE) {
                if (g->ended_at > 0)
                        add_int(o, "ended_at", g->ended_at);
                if (!isempty(g->ended_by))
                        add_string(o, "ended_by", g->ended_by);
                if (!isempty(g->ended_by_person))
                        add_string(o, "ended_by_person", g->ended_by_person);
        }
        return o;
}

static struct json_object *session_to_json(const SessionRecord *s) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        add_string(o, "session_id", s->session_id);
        add_string(o, "grant_id", s->grant_id);
        add_string(o, "user", s->user);
        add_string(o, "service", s->service);
        add_string(o, "tty", s->tty);
        add_string(o, "rhost", s->rhost);
        if (s->pid > 0)
                add_int(o, "pid", s->pid);
        add_int(o, "opened_at", s->opened_at);
        if (s->closed_at > 0)
                add_int(o, "closed_at", s->closed_at);
        return o;
}

/* ---- error replies; each returns 0 so a handler can "return reply_...()" ---- */

static int reply(Call *call, struct json_object *parameters) {
        (void) connection_reply(call->c, parameters, false);
        return 0;
}

static int reply_error(Call *call, const char *error, struct json_object *parameters) {
        (void) connection_reply_error(call->c, error, parameters);
        return 0;
}

static int reply_invalid_parameter(Call *call, const char *parameter, const char *reason) {
        struct json_object *p = json_object_new_object();

        if (p) {
                add_string(p, "parameter", parameter);
                if (reason)
                        add_string(p, "reason", reason);
        }
        return reply_error(call, JIT_ERROR_INVALID_PARAMETER, p);
}

static int reply_permission_denied(Call *call, const char *reason) {
        struct json_object *p = json_object_new_object();

        if (p && reason)
                add_string(p, "reason", reason);
        return reply_error(call, JIT_ERROR_PERMISSION_DENIED, p);
}

static int reply_not_found(Call *call, const char *id) {
        struct json_object *p = json_object_new_object();

        if (p)
                add_string(p, "id", id);
        return reply_error(call, JIT_ERROR_NOT_FOUND, p);
}

static int reply_conflict(Call *call, const char *state, const char *decided_by, int64_t expires_at) {
        struct json_object *p = json_object_new_object();

        if (p) {
                add_string(p, "state", state);
                if (!isempty(decided_by))
                        add_string(p, "decided_by", decided_by);
                if (expires_at > 0)
                        add_int(p, "expires_at", expires_at);
        }
        return reply_error(call, JIT_ERROR_CONFLICT, p);
}

/* The caller's user has filed request_limit requests within
 * request_limit_interval: nothing was created; one more at `retry_at`. */
static int reply_rate_limited(Call *call, int64_t retry_at) {
        struct json_object *p = json_object_new_object();

        if (p) {
                add_int(p, "limit", call->m->config.request_limit);
                add_int(p, "interval", (int64_t) call->m->config.request_limit_interval_sec);
                add_int(p, "retry_after", retry_at);
        }
        return reply_error(call, JIT_ERROR_RATE_LIMITED, p);
}

static int reply_store_error(Call *call, int r) {
        /* Without a store (it could not be opened at start, which was
         * logged then) every store call fails: not news each time. */
        if (call->m->store)
                log_error_errno(r, "Store operation failed: %m");
        else
                log_debug("No store: answering %s.", JIT_ERROR_STORE_UNAVAILABLE);
        return reply_error(call, JIT_ERROR_STORE_UNAVAILABLE, NULL);
}

/* A user the policy covers, while jitd runs without the admin's
 * configuration: the same denial for everything they ask (m->config_problem). */
static int reply_config_unavailable(Call *call) {
        log_debug("No configuration: answering %s.", JIT_ERROR_CONFIG_UNAVAILABLE);
        return reply_error(call, JIT_ERROR_CONFIG_UNAVAILABLE, NULL);
}

/* ---- parameters: on a bad one these reply InvalidParameter and return
 * -EINVAL, so the handler just returns. 1 present, 0 absent. ---- */

static int get_string(Call *call, const char *key, bool required, size_t max_size, const char **ret) {
        const char *s = NULL;
        int r;

        r = varlink_param_string(call->params, key, required, max_size, &s);
        if (r < 0) {
                reply_invalid_parameter(call, key, r == -ENOENT ? "missing" : "invalid");
                return -EINVAL;
        }
        *ret = r > 0 ? s : NULL;
        return r > 0;
}

static int get_user(Call *call, const char *key, bool required, const char **ret) {
        const char *s;
        int r;

        r = get_string(call, key, required, JIT_USER_MAX, &s);
        if (r <= 0) {
                *ret = NULL;
                return r;
        }
        if (!jit_user_name_is_valid(s)) {
                reply_invalid_parameter(call, key, "invalid");
                return -EINVAL;
        }
        *ret = s;
        return 1;
}

static int get_action(Call *call, const char *key, bool required, JitAction *ret) {
        const char *s;
        JitAction a;
        int r;

        r = get_string(call, key, required, ACTION_NAME_MAX, &s);
        if (r <= 0) {
                *ret = _JIT_ACTION_INVALID;
                return r;
        }
        a = jit_action_from_string(s);
        if (a < 0 || a >= _JIT_ACTION_MAX) {
                reply_invalid_parameter(call, key, "invalid");
                return -EINVAL;
        }
        *ret = a;
        return 1;
}

/* prefix: 'r', 'g', or 0 for either. */
static int get_id(Call *call, const char *key, bool required, char prefix, const char **ret) {
        const char *s;
        int r;

        r = get_string(call, key, required, JIT_ID_MAX - 1, &s);
        if (r <= 0) {
                *ret = NULL;
                return r;
        }
        if (!jit_id_is_valid(s, prefix)) {
                reply_invalid_parameter(call, key, "invalid");
                return -EINVAL;
        }
        *ret = s;
        return 1;
}

static int get_int(Call *call, const char *key, bool required, int64_t min, int64_t max, int64_t *ret) {
        int64_t v = 0;
        int r;

        r = varlink_param_int(call->params, key, required, min, max, &v);
        if (r < 0) {
                reply_invalid_parameter(call, key, r == -ENOENT ? "missing" : "invalid");
                return -EINVAL;
        }
        *ret = r > 0 ? v : 0;
        return r > 0;
}

static int get_bool(Call *call, const char *key, bool *ret) {
        bool v = false;
        int r;

        r = varlink_param_bool(call->params, key, false, &v);
        if (r < 0) {
                reply_invalid_parameter(call, key, "invalid");
                return -EINVAL;
        }
        *ret = r > 0 ? v : false;
        return r > 0;
}

/* logind session ids: "1", "c12", "42". Nothing that could confuse a log. */
static bool session_id_is_valid(const char *s) {
        if (isempty(s) || strlen(s) > JIT_SESSION_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.'))
                        return false;
        return true;
}

static int get_session_id(Call *call, const char **ret) {
        int r;

        r = get_string(call, "session_id", true, JIT_SESSION_MAX, ret);
        if (r < 0)
                return r;
        if (!session_id_is_valid(*ret)) {
                reply_invalid_parameter(call, "session_id", "invalid");
                return -EINVAL;
        }
        return 1;
}

/* ---- who is calling ---- */

static bool caller_is_root(Call *call) {
        return call->c->uid == 0;
}

static bool caller_is_admin(Call *call) {
        return caller_is_root(call) || policy_peer_is_admin(&call->m->config, call->c->uid, call->c->gid);
}

static const char *caller_name(Call *call) {
        return connection_user_name(call->c);
}

/* Whom the call counts as (person.h), NULL if no one is known. */
static const char *caller_person(Call *call) {
        const char *person;

        (void) connection_person(call->c, &person);
        return person;
}

/* Approving and break-glass are one person's word: a caller must be one.
 * Root outside any login (a service, a timer, systemd-run) is no one, and
 * a vote from it would count for nobody's quorum and stop nobody's
 * self-approval; so is a caller jitd cannot tell. NULL and the reply sent
 * unless the caller is a person. */
static const char *caller_person_or_refuse(Call *call, const char *what) {
        const char *person;

        switch (connection_person(call->c, &person)) {
        case PERSON_KNOWN:
                return person;
        case PERSON_NONE:
                log_notice("Refused %s by root outside any login (pid %u): no person to hold to it.", what,
                           (unsigned) call->c->pid);
                (void) reply_permission_denied(call, "no-person");
                return NULL;
        default:
                (void) reply_permission_denied(call, "unknown-person");
                return NULL;
        }
}

/* uid 0 may name anyone; everyone else only themselves. */
static bool caller_may_act_for(Call *call, const char *user) {
        return caller_is_root(call) || streq_ptr(caller_name(call), user);
}

/* ---- shared pieces ---- */

static const char *action_name(JitAction a) {
        return jit_action_to_string(a);
}

static int64_t deadline_after(int64_t now, uint64_t seconds) {
        if (seconds > (uint64_t) (INT64_MAX - now))
                return INT64_MAX;
        return now + (int64_t) seconds;
}

/* extends: NULL, or the live grant this request asks more time for.
 * -EDQUOT: the user has filed request_limit requests already (audited
 * here); *ret_retry_at says when one more is possible. */
static int request_create(Call *call, const char *user, JitAction action, const char *service, const char *rhost,
                          const char *tty, const char *reason, uint64_t duration, const char *extends,
                          RequestRecord *ret, int64_t *ret_retry_at) {
        uint64_t ttl = call->m->config.request_ttl_sec;
        RequestRecord r = {};
        int64_t retry_at = 0;
        int k;

        k = request_limit_check(call->m, user, call->now, &retry_at);
        if (k == -EDQUOT) {
                request_limit_audit_refusal(call->m, user, action, service, rhost, tty, retry_at);
                *ret_retry_at = retry_at;
                return k;
        }
        if (k < 0)
                return k;

        k = jit_random_id('r', r.id, sizeof(r.id));
        if (k < 0)
                return k;
        k = jit_random_match_code(r.match_code, sizeof(r.match_code));
        if (k < 0)
                return k;

        snprintf(r.user, sizeof(r.user), "%s", user);
        r.action = action;
        snprintf(r.service, sizeof(r.service), "%s", service ? service : "");
        snprintf(r.rhost, sizeof(r.rhost), "%s", rhost ? rhost : "");
        snprintf(r.tty, sizeof(r.tty), "%s", tty ? tty : "");
        snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
        r.duration_sec = duration;
        snprintf(r.extends_grant_id, sizeof(r.extends_grant_id), "%s", extends ? extends : "");
        r.state = REQUEST_PENDING;
        r.created_at = call->now;
        r.expires_at = deadline_after(call->now, ttl > 0 ? ttl : 1);

        /* With its webhook messages, in one transaction. */
        k = outbox_insert_request(call->m, &r);
        if (k < 0)
                return k;

        audit_log(AUDIT_REQUEST_CREATED,
                  &(AuditFields) {
                          .request_id = r.id,
                          .user = r.user,
                          .action = action_name(action),
                          .service = r.service,
                          .rhost = r.rhost,
                          .tty = r.tty,
                          .reason = r.reason,
                          .match_code = r.match_code,
                          .expires = r.expires_at,
                          .grant_id = extends, /* "... to extend grant g..." */
                  });
        expiry_rearm(call->m);

        *ret = r;
        return 0;
}

/* Where a request is announced, so the requester can say whom to ask:
 * "endpoints", the [webhook NAME]s that carry its "created" message, and,
 * when there is one, "approvers", the action's approvers but the
 * requester. Both empty: nobody hears of it and an admin must use jitctl.
 * From the configuration as it is now, capped for the requester's
 * terminal. */
static void add_destinations(Manager *m, const RequestRecord *r, struct json_object *p) {
        const ApproverConfig *n = m->config.approval;
        struct json_object *endpoints = json_object_new_array(), *approvers = json_object_new_array();
        size_t n_endpoints = 0, n_approvers = 0;

        if (!endpoints || !approvers) {
                json_object_put(endpoints);
                json_object_put(approvers);
                return;
        }

        for (size_t i = 0; n && i < n->n_webhooks && n_endpoints < JIT_DESTINATIONS_MAX; i++) {
                const WebhookConfig *w = &n->webhooks[i];

                if (!w->actions[r->action] || !w->events[WEBHOOK_EVENT_REQUEST_CREATED])
                        continue;
                if (json_object_array_add(endpoints, json_object_new_string(w->name)) == 0)
                        n_endpoints++;
        }
        for (size_t i = 0; n_endpoints > 0 && i < n->approvers[r->action].n && n_approvers < JIT_DESTINATIONS_MAX;
             i++) {
                const char *a = n->approvers[r->action].items[i];

                if (streq_ptr(a, r->user) || strlen(a) > JIT_DESTINATION_NAME_MAX)
                        continue;
                if (json_object_array_add(approvers, json_object_new_string(a)) == 0)
                        n_approvers++;
        }
        json_object_object_add(p, "endpoints", endpoints);
        json_object_object_add(p, "approvers", approvers);
}

/* The parameters of a request's final state, for WaitDecision. */
static struct json_object *decision_parameters(Manager *m, const RequestRecord *r, const GrantRecord *grant) {
        struct json_object *p = json_object_new_object();

        if (!p)
                return NULL;

        add_string(p, "request_id", r->id);
        add_string(p, "state", request_state_to_string(r->state));

        switch (r->state) {
        case REQUEST_PENDING:
                add_string(p, "match_code", r->match_code);
                add_int(p, "request_expires_at", r->expires_at);
                break;
        case REQUEST_APPROVED: {
                GrantRecord g;

                if (!grant && !isempty(r->grant_id) && store_get_grant(m->store, r->grant_id, &g) >= 0)
                        grant = &g;
                add_string(p, "grant_id", r->grant_id);
                if (grant)
                        add_int(p, "expires_at", grant->expires_at);
                add_string(p, "approver", r->decided_by);
                if (!isempty(r->decided_by_person))
                        add_string(p, "approver_person", r->decided_by_person);
                break;
        }
        case REQUEST_DENIED:
                add_string(p, "approver", r->decided_by);
                if (!isempty(r->decided_by_person))
                        add_string(p, "approver_person", r->decided_by_person);
                add_string(p, "reason", r->decision_reason);
                break;
        default:
                break;
        }
        return p;
}

typedef struct NotifyContext {
        Manager *m;
        const RequestRecord *request;
        const GrantRecord *grant;
} NotifyContext;

static void notify_one(Connection *c, void *userdata) {
        NotifyContext *ctx = userdata;

        (void) connection_reply(c, decision_parameters(ctx->m, ctx->request, ctx->grant), false);
}

void methods_notify_decision(Manager *m, const RequestRecord *r, const GrantRecord *grant) {
        NotifyContext ctx = { .m = m, .request = r, .grant = grant };

        server_foreach_waiter(m->server, r->id, notify_one, &ctx);
}

/* ---- io.jit.Check ---- */

static int method_check(Call *call) {
        const char *user, *service, *rhost, *tty;
        JitAction action;
        bool create = false, have_request = false, created = false, limited = false;
        int64_t retry_at = 0;
        const char *state = "none";
        RequestRecord req = {};
        LiveGrant g;
        PolicyVerdict v;
        struct json_object *p;
        int r;

        if (get_user(call, "user", true, &user) < 0 || get_action(call, "action", true, &action) < 0 ||
            get_string(call, "service", true, JIT_SERVICE_MAX, &service) < 0 ||
            get_string(call, "rhost", false, JIT_RHOST_MAX, &rhost) < 0 ||
            get_string(call, "tty", false, JIT_TTY_MAX, &tty) < 0 || get_bool(call, "create_request", &create) < 0)
                return 0;

        v = policy_evaluate(&call->m->config, user, action);
        if ((int) v < 0) {
                /* NSS trouble: we cannot tell whether the user is covered, so
                 * deny (never "ignore", which would let them through). */
                log_warning_errno((int) v, "Cannot evaluate policy for user %s: %m", user);
                p = json_object_new_object();
                if (p)
                        add_string(p, "state", "none");
                return reply_error(call, JIT_ERROR_NO_GRANT, p);
        }

        if (v == POLICY_NOT_COVERED) {
                p = json_object_new_object();
                if (p)
                        add_string(p, "decision", "ignore");
                return reply(call, p);
        }

        if (v == POLICY_BREAKGLASS) {
                audit_log(AUDIT_BREAKGLASS,
                          &(AuditFields) {
                                  .user = user,
                                  .action = action_name(action),
                                  .service = service,
                                  .rhost = rhost,
                                  .tty = tty,
                          });
                p = json_object_new_object();
                if (p) {
                        add_string(p, "decision", "allow");
                        add_bool(p, "breakglass", true);
                }
                return reply(call, p);
        }

        /* Covered, and the policy is not the admin's current one: no grant
         * is honoured and no request filed until it is. */
        if (call->m->config_problem)
                return reply_config_unavailable(call);

        r = store_check_live_grant(call->m->store, user, action, call->now, &g);
        if (r < 0)
                return reply_store_error(call, r);
        if (r > 0) {
                audit_log(g.breakglass ? AUDIT_BREAKGLASS : AUDIT_ACCESS_ALLOWED,
                          &(AuditFields) {
                                  .grant_id = g.id,
                                  .request_id = g.request_id,
                                  .user = user,
                                  .action = action_name(action),
                                  .service = service,
                                  .rhost = rhost,
                                  .tty = tty,
                                  .approver = g.breakglass ? g.approver : NULL,
                                  .expires = g.expires_at,
                          });
                p = json_object_new_object();
                if (p) {
                        add_string(p, "decision", "allow");
                        add_string(p, "grant_id", g.id);
                        add_int(p, "expires_at", g.expires_at);
                        add_bool(p, "breakglass", g.breakglass);
                }
                return reply(call, p);
        }

        /* No live grant. Say where the user stands: a pending request (one
         * per user and action: a retried login does not page the approvers
         * again), else a new request when asked to create one. Only a
         * pending request blocks a new one: after a denial or an expiry the
         * account phase is how a user with "AuthenticationMethods
         * publickey" alone asks again. Without create_request (the auth
         * phase, before it asks for a reason) a recent denial is reported. */
        r = store_find_pending_request(call->m->store, user, action, call->now, &req);
        if (r < 0)
                return reply_store_error(call, r);
        if (r > 0) {
                have_request = true;
                state = "pending";
        } else if (create) {
                r = request_create(call, user, action, service, rhost, tty, NULL, 0, NULL, &req, &retry_at);
                if (r == -EDQUOT)
                        limited = true;
                else if (r < 0)
                        return reply_store_error(call, r);
                else {
                        have_request = created = true;
                        state = "pending";
                }
        } else {
                uint64_t ttl = call->m->config.request_ttl_sec;
                int64_t since = ttl < (uint64_t) call->now ? call->now - (int64_t) ttl : 0;

                r = store_find_recent_request(call->m->store, user, action, since, &req);
                if (r < 0)
                        return reply_store_error(call, r);
                if (r > 0 && req.state == REQUEST_DENIED) {
                        have_request = true;
                        state = "denied";
                }
        }

        audit_log(AUDIT_ACCESS_DENIED,
                  &(AuditFields) {
                          .request_id = have_request ? req.id : NULL,
                          .user = user,
                          .action = action_name(action),
                          .service = service,
                          .rhost = rhost,
                          .tty = tty,
                  });

        p = json_object_new_object();
        if (p) {
                add_string(p, "state", state);
                if (have_request) {
                        add_string(p, "request_id", req.id);
                        add_string(p, "match_code", req.match_code);
                        add_int(p, "request_expires_at", req.expires_at);
                        if (req.state == REQUEST_DENIED && !isempty(req.decided_by))
                                add_string(p, "decided_by", req.decided_by);
                        if (req.state == REQUEST_PENDING)
                                add_destinations(call->m, &req, p);
                }
                add_bool(p, "created", created);
                if (limited) {
                        add_bool(p, "rate_limited", true);
                        add_int(p, "retry_after", retry_at);
                }
        }
        return reply_error(call, JIT_ERROR_NO_GRANT, p);
}

/* ---- io.jit.Request ---- */

static int method_request(Call *call) {
        const char *user, *service, *rhost, *tty, *reason, *extends;
        JitAction action;
        int64_t duration = 0;
        uint64_t effective;
        RequestRecord req = {};
        GrantRecord g = {};
        PolicyVerdict v;
        bool created = false;
        struct json_object *p;
        int r;

        if (get_user(call, "user", false, &user) < 0 || get_action(call, "action", true, &action) < 0 ||
            get_string(call, "service", false, JIT_SERVICE_MAX, &service) < 0 ||
            get_string(call, "rhost", false, JIT_RHOST_MAX, &rhost) < 0 ||
            get_string(call, "tty", false, JIT_TTY_MAX, &tty) < 0 ||
            get_string(call, "reason", false, JIT_REASON_MAX, &reason) < 0 ||
            get_int(call, "duration", false, 0, (int64_t) JIT_DURATION_MAX_SEC, &duration) < 0 ||
            get_id(call, "extends", false, 'g', &extends) < 0)
                return 0;

        if (!user) {
                if (caller_is_root(call))
                        return reply_invalid_parameter(call, "user", "missing");
                user = caller_name(call);
                if (!user)
                        return reply_permission_denied(call, "unknown-user");
        }
        if (!caller_may_act_for(call, user))
                return reply_permission_denied(call, "not-self");

        /* Where a request comes from is what approvers judge it by; only
         * root (pam_jit.so, from PAM_RHOST/PAM_TTY) may say. A user's own
         * request is recorded as coming from jitctl. */
        if (!caller_is_root(call)) {
                service = "jitctl";
                rhost = tty = NULL;
        }

        v = policy_evaluate(&call->m->config, user, action);
        if ((int) v < 0) {
                log_warning_errno((int) v, "Cannot evaluate policy for user %s: %m", user);
                return reply_error(call, JIT_ERROR_STORE_UNAVAILABLE, NULL);
        }
        if (v == POLICY_NOT_COVERED)
                return reply_invalid_parameter(call, "user", "not-covered");
        if (v == POLICY_BREAKGLASS)
                return reply_invalid_parameter(call, "user", "breakglass");

        r = policy_grant_duration(&call->m->config, action, (uint64_t) duration, &effective);
        if (r == -ERANGE)
                return reply_invalid_parameter(call, "duration", "above-maximum");
        if (r < 0)
                return reply_invalid_parameter(call, "duration", "invalid");

        /* An extension asks for more time on one of the user's own live
         * grants for this action; the approver sees which. */
        if (extends) {
                r = store_get_grant(call->m->store, extends, &g);
                if (r == -ENOENT)
                        return reply_invalid_parameter(call, "extends", "unknown");
                if (r < 0)
                        return reply_store_error(call, r);
                if (!streq_ptr(g.user, user) || g.action != action)
                        return reply_invalid_parameter(call, "extends", "not-this-users-grant");
                if (g.state != GRANT_ACTIVE || g.expires_at <= call->now)
                        return reply_conflict(call,
                                              grant_state_to_string(g.state == GRANT_ACTIVE ? GRANT_EXPIRED : g.state),
                                              g.ended_by, g.expires_at);
        }

        r = extends ? 0 : store_find_live_grant(call->m->store, user, action, call->now, &g);
        if (r < 0)
                return reply_store_error(call, r);
        if (r > 0) {
                p = json_object_new_object();
                if (p) {
                        add_string(p, "state", "approved");
                        add_string(p, "grant_id", g.id);
                        add_int(p, "expires_at", g.expires_at);
                        if (!isempty(g.request_id)) {
                                add_string(p, "request_id", g.request_id);
                                if (store_get_request(call->m->store, g.request_id, &req) >= 0 &&
                                    streq_ptr(req.id, g.request_id))
                                        add_string(p, "match_code", req.match_code);
                        }
                        add_bool(p, "created", false);
                }
                return reply(call, p);
        }

        r = store_find_pending_request(call->m->store, user, action, call->now, &req);
        if (r < 0)
                return reply_store_error(call, r);
        /* A pending request asks for the same thing only if it extends the
         * same grant (or, for a plain request, none). */
        if (r > 0 && !streq_ptr(req.extends_grant_id, extends ? extends : ""))
                r = 0;
        if (r > 0) {
                /* One pending request per user and action: reuse it. */
                if (!isempty(reason) && isempty(req.reason)) {
                        r = store_update_request_reason(call->m->store, req.id, reason);
                        if (r < 0)
                                return reply_store_error(call, r);
                        snprintf(req.reason, sizeof(req.reason), "%s", reason);
                }
        } else {
                int64_t retry_at = 0;

                r = request_create(call, user, action, service, rhost, tty, reason, (uint64_t) duration, extends,
                                   &req, &retry_at);
                if (r == -EDQUOT)
                        return reply_rate_limited(call, retry_at);
                if (r < 0)
                        return reply_store_error(call, r);
                created = true;
        }

        p = json_object_new_object();
        if (p) {
                add_string(p, "request_id", req.id);
                add_string(p, "match_code", req.match_code);
                add_string(p, "state", "pending");
                add_int(p, "request_expires_at", req.expires_at);
                add_bool(p, "created", created);
                if (extends)
                        add_string(p, "extends", extends);
                add_destinations(call->m, &req, p);
        }
        return reply(call, p);
}

/* ---- io.jit.WaitDecision ---- */

static int method_wait_decision(Call *call) {
        const char *id;
        RequestRecord req;
        int r;

        if (get_id(call, "request_id", true, 'r', &id) < 0)
                return 0;

        r = store_get_request(call->m->store, id, &req);
        if (r == -ENOENT)
                return reply_not_found(call, id);
        if (r < 0)
                return reply_store_error(call, r);

        if (!caller_may_act_for(call, req.user) && !caller_is_admin(call))
                return reply_permission_denied(call, "not-owner");

        if (req.state != REQUEST_PENDING || !call->more)
                return reply(call, decision_parameters(call->m, &req, NULL));

        /* Registered before the first reply is queued; both happen within
         * this handler, so no decision can slip in between. */
        (void) connection_reply(call->c, decision_parameters(call->m, &req, NULL), true);
        connection_stream_begin(call->c, req.id);
        return 0;
}

/* ---- io.jit.Approve / Deny ---- */

/* The decision itself is decision.c's, shared with the review page. */
static int reply_decision_error(Call *call, const char *id, int r, const DecisionResult *res) {
        switch (r) {
        case -ENOENT:
                return reply_not_found(call, id);
        case -EPERM:
                return reply_permission_denied(call, "own-request");
        case -ESTALE:
                return reply_conflict(call, request_state_to_string(res->request.state),
                                      res->request.state == REQUEST_EXPIRED ? NULL : res->request.decided_by, 0);
        case -EALREADY: {
                struct json_object *p = json_object_new_object();

                if (p) {
                        add_string(p, "state", request_state_to_string(REQUEST_PENDING));
                        add_string(p, "reason", "already-approved-by-you");
                        add_int(p, "approvals", res->approvals);
                        add_int(p, "approvals_needed", res->approvals_needed);
                }
                return reply_error(call, JIT_ERROR_CONFLICT, p);
        }
        case -ERANGE:
                return reply_invalid_parameter(call, "duration", "above-maximum");
        case -EINVAL:
                return reply_invalid_parameter(call, "duration", "invalid");
        default:
                return reply_store_error(call, r);
        }
}

static int method_approve(Call *call) {
        const char *id, *approver, *person, *login;
        int64_t duration = 0;
        DecisionResult res;
        struct json_object *p;
        int r;

        if (get_id(call, "request_id", true, 'r', &id) < 0)
                return 0;
        if (get_int(call, "duration", false, 1, (int64_t) JIT_DURATION_MAX_SEC, &duration) < 0)
                return 0;

        if (!caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");
        approver = caller_name(call);
        if (!approver)
                return reply_permission_denied(call, "unknown-user");
        person = caller_person_or_refuse(call, "an approval");
        if (!person)
                return 0;
        /* Whose login this is: the requester may not approve through
         * another account either (sudo -u). Unknown, it could be theirs. */
        if (connection_login(call->c, &login) == PERSON_UNKNOWN)
                return reply_permission_denied(call, "unknown-person");

        /* The approver may choose any duration up to the policy maximum;
         * without one, the requester's wish (cut to the maximum). */
        r = decision_approve(call->m,
                             &(DecisionInput) {
                                     .request_id = id,
                                     .approver = approver,
                                     .approver_person = person,
                                     .approver_login = login,
                                     .via = "jitctl",
                                     .duration_sec = (uint64_t) duration,
                             },
                             &res);
        if (r < 0)
                return reply_decision_error(call, id, r, &res);

        p = json_object_new_object();
        if (!p)
                return reply(call, NULL);
        add_string(p, "request_id", res.request.id);
        add_string(p, "user", res.request.user);
        add_string(p, "action", action_name(res.request.action));
        add_string(p, "approver", approver);
        add_string(p, "approver_person", person);
        if (res.outcome == DECISION_APPROVED) {
                add_string(p, "state", request_state_to_string(REQUEST_APPROVED));
                add_string(p, "grant_id", res.grant.id);
                add_int(p, "expires_at", res.grant.expires_at);
        } else
                /* Counted towards the quorum; the request stays pending. */
                add_string(p, "state", request_state_to_string(REQUEST_PENDING));
        if (res.approvals_needed > 1) {
                add_int(p, "approvals", res.approvals);
                add_int(p, "approvals_needed", res.approvals_needed);
        }
        return reply(call, p);
}

/* An admin denies any request; anyone may withdraw (cancel) their own
 * pending one, which only takes access away. "cancel": true asks for
 * exactly that, so "jitctl cancel" never denies someone else's request. */
static int method_deny(Call *call) {
        const char *id, *approver, *person, *reason;
        bool cancel = false, own;
        RequestRecord req;
        DecisionResult res;
        struct json_object *p;
        int r;

        if (get_id(call, "request_id", true, 'r', &id) < 0 ||
            get_string(call, "reason", false, JIT_REASON_MAX, &reason) < 0 || get_bool(call, "cancel", &cancel) < 0)
                return 0;

        approver = caller_name(call);
        if (!approver)
                return reply_permission_denied(call, "unknown-user");
        /* Denying takes access away: root outside a login may (recorded as
         * root alone). Whose request it is counts by person too, so the
         * requester's "sudo jitctl deny" is a withdrawal, not an approver's
         * denial. (Not by the login of another account: that only ever
         * refuses, person.h.) */
        person = caller_person(call);
        r = store_get_request(call->m->store, id, &req);
        if (r < 0 && r != -ENOENT)
                return reply_store_error(call, r);
        own = r >= 0 && (streq_ptr(req.user, approver) || streq_ptr(req.user, person));
        if (cancel && !own)
                /* An unknown id reads the same: nothing of yours to cancel. */
                return reply_permission_denied(call, "not-owner");
        if (!own && !caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");

        r = decision_deny(call->m,
                          &(DecisionInput) {
                                  .request_id = id,
                                  .approver = approver,
                                  .approver_person = person,
                                  .via = "jitctl",
                                  .reason = reason,
                          },
                          &res);
        if (r == -EINVAL)
                return reply_invalid_parameter(call, "reason", "invalid");
        if (r < 0)
                return reply_decision_error(call, id, r, &res);

        p = json_object_new_object();
        if (p) {
                add_string(p, "request_id", res.request.id);
                add_string(p, "state", request_state_to_string(res.request.state));
        }
        return reply(call, p);
}

/* ---- io.jit.Revoke / Expire / Grant ---- */

typedef struct IdList {
        char (*ids)[JIT_ID_MAX];
        size_t n, allocated;
        JitAction action; /* filter; _JIT_ACTION_INVALID: any */
} IdList;

static int collect_grant_id(const GrantRecord *g, void *userdata) {
        IdList *l = userdata;

        if (l->action >= 0 && g->action != l->action)
                return 0;
        if (l->n >= l->allocated) {
                size_t n = l->allocated ? l->allocated * 2 : 8;
                void *p;

                if (n > REVOKE_MAX)
                        n = REVOKE_MAX;
                if (l->n >= n)
                        return 0;
                p = realloc(l->ids, n * sizeof(*l->ids));
                if (!p)
                        return -ENOMEM;
                l->ids = p;
                l->allocated = n;
        }
        snprintf(l->ids[l->n++], JIT_ID_MAX, "%s", g->id);
        return 0;
}

/* End a grant, and record a revocation's reason with its pending teardown
 * (the store wrote that row with the grant's end), in one transaction. */
static int end_grant(Store *store, const char *grant_id, GrantState state, const char *by, const char *by_person,
                     const char *reason, int64_t now, GrantRecord *ret) {
        int r;

        r = store_transaction_begin(store);
        if (r < 0)
                return r;
        r = store_end_grant(store, grant_id, state, by, by_person, now, ret);
        if (r >= 0 && reason && *reason)
                r = store_set_teardown_reason(store, grant_id, reason);
        if (r >= 0)
                r = store_transaction_commit(store);
        if (r < 0)
                store_transaction_rollback(store);
        return r;
}

static int method_revoke(Call *call) {
        const char *grant_id, *user, *reason, *by;
        JitAction action = _JIT_ACTION_INVALID;
        IdList list = { .action = _JIT_ACTION_INVALID };
        struct json_object *p = NULL, *revoked;
        int r;

        if (get_id(call, "grant_id", false, 'g', &grant_id) < 0 || get_user(call, "user", false, &user) < 0 ||
            get_action(call, "action", false, &action) < 0 ||
            get_string(call, "reason", false, JIT_REASON_MAX, &reason) < 0)
                return 0;

        if (!caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");
        by = caller_name(call);
        if (!by)
                return reply_permission_denied(call, "unknown-user");

        if (!grant_id == !user)
                return reply_invalid_parameter(call, grant_id ? "user" : "grant_id", "need grant_id or user");
        if (grant_id && action >= 0)
                return reply_invalid_parameter(call, "action", "only with user");

        if (grant_id) {
                list.ids = calloc(1, sizeof(*list.ids));
                if (!list.ids)
                        return reply_store_error(call, -ENOMEM);
                list.allocated = list.n = 1;
                snprintf(list.ids[0], JIT_ID_MAX, "%s", grant_id);
        } else {
                list.action = action;
                r = store_list_grants(call->m->store, user, true, call->now, REVOKE_MAX, collect_grant_id, &list);
                if (r < 0) {
                        free(list.ids);
                        return reply_store_error(call, r);
                }
        }

        revoked = json_object_new_array();
        for (size_t i = 0; i < list.n; i++) {
                GrantRecord g;

                r = end_grant(call->m->store, list.ids[i], GRANT_REVOKED, by, caller_person(call), reason, call->now,
                              &g);
                if (grant_id && (r == -ENOENT || r == -ESTALE)) {
                        free(list.ids);
                        json_object_put(revoked);
                        if (r == -ENOENT)
                                return reply_not_found(call, grant_id);
                        if (store_get_grant(call->m->store, grant_id, &g) < 0)
                                return reply_conflict(call, "unknown", NULL, 0);
                        return reply_conflict(call, grant_state_to_string(g.state), g.ended_by, 0);
                }
                if (r == -ENOENT || r == -ESTALE) /* ended meanwhile */
                        continue;
                if (r < 0) {
                        /* Those revoked so far stay revoked and audited. */
                        free(list.ids);
                        json_object_put(revoked);
                        return reply_store_error(call, r);
                }

                /* Its audit entry, sessions, sudo's cached credentials:
                 * pending in the store since the commit, carried out now. */
                teardown_run_grant(call->m, g.id);
                if (revoked)
                        json_object_array_add(revoked, json_object_new_string(g.id));
        }
        free(list.ids);
        expiry_rearm(call->m);

        p = json_object_new_object();
        if (p)
                json_object_object_add(p, "revoked", revoked ? revoked : json_object_new_array());
        else
                json_object_put(revoked);
        return reply(call, p);
}

static int method_expire(Call *call) {
        const char *grant_id, *by;
        GrantRecord g;
        struct json_object *p;
        int r;

        if (get_id(call, "grant_id", true, 'g', &grant_id) < 0)
                return 0;

        if (!caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");
        by = caller_name(call);
        if (!by)
                return reply_permission_denied(call, "unknown-user");

        r = store_get_grant(call->m->store, grant_id, &g);
        if (r == -ENOENT)
                return reply_not_found(call, grant_id);
        if (r < 0)
                return reply_store_error(call, r);
        if (g.state != GRANT_ACTIVE)
                return reply_conflict(call, grant_state_to_string(g.state), g.ended_by, 0);
        /* Expire records what the clock already decided; ending a grant
         * early is Revoke. The deadline second itself counts as passed (as
         * in Check): a timer firing at 12:00:05.000 must not be refused
         * for sub-second timing. */
        if (g.expires_at > call->now)
                return reply_conflict(call, grant_state_to_string(GRANT_ACTIVE), NULL, g.expires_at);

        r = end_grant(call->m->store, grant_id, GRANT_EXPIRED, by, caller_person(call), NULL, call->now, &g);
        if (r == -ESTALE) {
                if (store_get_grant(call->m->store, grant_id, &g) < 0)
                        return reply_conflict(call, "unknown", NULL, 0);
                return reply_conflict(call, grant_state_to_string(g.state), g.ended_by, 0);
        }
        if (r == -ENOENT)
                return reply_not_found(call, grant_id);
        if (r < 0)
                return reply_store_error(call, r);

        teardown_run_grant(call->m, g.id);
        expiry_rearm(call->m);

        p = json_object_new_object();
        if (p) {
                add_string(p, "grant_id", g.id);
                add_string(p, "state", grant_state_to_string(GRANT_EXPIRED));
        }
        return reply(call, p);
}

static int method_grant(Call *call) {
        const char *user, *reason, *by, *person;
        JitAction action;
        int64_t duration;
        uint64_t effective;
        GrantRecord g = {};
        struct json_object *p;
        int r;

        if (get_user(call, "user", true, &user) < 0 || get_action(call, "action", true, &action) < 0 ||
            get_int(call, "duration", true, 1, (int64_t) JIT_DURATION_MAX_SEC, &duration) < 0 ||
            get_string(call, "reason", true, JIT_REASON_MAX, &reason) < 0)
                return 0;

        if (!caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");
        by = caller_name(call);
        if (!by)
                return reply_permission_denied(call, "unknown-user");
        /* Nobody reviews a break-glass grant: it must at least say who. */
        person = caller_person_or_refuse(call, "a break-glass grant");
        if (!person)
                return 0;

        /* Break-glass must say why: it is the one grant nobody reviewed. */
        if (isempty(reason))
                return reply_invalid_parameter(call, "reason", "missing");

        r = policy_grant_duration(&call->m->config, action, (uint64_t) duration, &effective);
        if (r == -ERANGE)
                return reply_invalid_parameter(call, "duration", "above-maximum");
        if (r < 0 || effective == 0)
                return reply_invalid_parameter(call, "duration", "invalid");

        r = jit_random_id('g', g.id, sizeof(g.id));
        if (r < 0)
                return reply_store_error(call, r);
        snprintf(g.user, sizeof(g.user), "%s", user);
        g.action = action;
        g.created_at = call->now;
        g.expires_at = deadline_after(call->now, effective);
        snprintf(g.approver, sizeof(g.approver), "%s", by);
        snprintf(g.approver_person, sizeof(g.approver_person), "%s", person);
        snprintf(g.reason, sizeof(g.reason), "%s", reason);
        g.state = GRANT_ACTIVE;
        g.breakglass = true;

        r = store_insert_grant(call->m->store, &g);
        if (r < 0)
                return reply_store_error(call, r);

        audit_log(AUDIT_BREAKGLASS,
                  &(AuditFields) {
                          .grant_id = g.id,
                          .user = g.user,
                          .action = action_name(action),
                          .approver = by,
                          .approver_person = person,
                          .reason = reason,
                          .expires = g.expires_at,
                  });
        expiry_grant_started(call->m, &g);

        p = json_object_new_object();
        if (p) {
                add_string(p, "grant_id", g.id);
                add_int(p, "expires_at", g.expires_at);
        }
        return reply(call, p);
}

/* ---- io.jit.Status / List / Show ---- */

typedef struct ListContext {
        struct json_object *array;
        size_t *budget; /* shared between the arrays of one reply */
        bool truncated;
} ListContext;

static int list_add(ListContext *ctx, struct json_object *o) {
        size_t size;

        if (!o)
                return -ENOMEM;

        size = strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) + 1;
        if (size > *ctx->budget) {
                json_object_put(o);
                ctx->truncated = true;
                return 0;
        }
        *ctx->budget -= size;
        json_object_array_add(ctx->array, o);
        return 0;
}

static int list_request_cb(const RequestRecord *r, void *userdata) {
        return list_add(userdata, request_to_json(r));
}

static int list_grant_cb(const GrantRecord *g, void *userdata) {
        return list_add(userdata, grant_to_json(g));
}

static int list_session_cb(const SessionRecord *s, void *userdata) {
        return list_add(userdata, session_to_json(s));
}

/* Fill "requests" and "grants" of a reply. */
static int list_into(Call *call, const char *user, bool want_requests, bool pending_only, bool want_grants,
                     bool active_only, unsigned limit, struct json_object **ret) {
        _cleanup_json_ struct json_object *p = NULL;
        size_t budget = REPLY_BUDGET;
        ListContext requests = { .budget = &budget }, grants = { .budget = &budget };
        int r;

        p = json_object_new_object();
        requests.array = json_object_new_array();
        grants.array = json_object_new_array();
        if (!p || !requests.array || !grants.array) {
                json_object_put(requests.array);
                json_object_put(grants.array);
                return -ENOMEM;
        }
        json_object_object_add(p, "requests", requests.array);
        json_object_object_add(p, "grants", grants.array);

        if (want_grants) {
                r = store_list_grants(call->m->store, user, active_only, call->now, limit, list_grant_cb, &grants);
                if (r < 0)
                        return r;
        }
        if (want_requests) {
                r = store_list_requests(call->m->store, user, pending_only, call->now, limit, list_request_cb,
                                        &requests);
                if (r < 0)
                        return r;
        }
        if (requests.truncated || grants.truncated)
                add_bool(p, "truncated", true);

        *ret = TAKE_PTR(p);
        return 0;
}

static int method_status(Call *call) {
        const char *user, *self;
        struct json_object *p = NULL;
        int r;

        if (get_user(call, "user", false, &user) < 0)
                return 0;

        self = caller_name(call);
        if (!user) {
                user = self;
                if (!user)
                        return reply_permission_denied(call, "unknown-user");
        }
        if (!caller_may_act_for(call, user) && !caller_is_admin(call))
                return reply_permission_denied(call, "not-self");

        r = list_into(call, user, true, true, true, true, LIST_LIMIT_DEFAULT, &p);
        if (r < 0)
                return reply_store_error(call, r);
        add_string(p, "user", user);
        return reply(call, p);
}

static int method_list(Call *call) {
        const char *filter;
        int64_t limit = LIST_LIMIT_DEFAULT;
        struct json_object *p = NULL;
        bool requests = true, pending_only = true, grants = true, active_only = true;
        int r;

        if (get_string(call, "filter", false, 16, &filter) < 0 ||
            get_int(call, "limit", false, 1, LIST_LIMIT_MAX, &limit) < 0)
                return 0;
        if (limit == 0)
                limit = LIST_LIMIT_DEFAULT;

        if (!caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");

        if (!filter)
                ; /* pending requests and active grants */
        else if (strcmp(filter, "pending") == 0)
                grants = false;
        else if (strcmp(filter, "active") == 0)
                requests = false;
        else if (strcmp(filter, "all") == 0)
                pending_only = active_only = false;
        else
                return reply_invalid_parameter(call, "filter", "invalid");

        r = list_into(call, NULL, requests, pending_only, grants, active_only, (unsigned) limit, &p);
        if (r < 0)
                return reply_store_error(call, r);
        return reply(call, p);
}

static int method_show(Call *call) {
        const char *id;
        struct json_object *p;
        int r;

        if (get_id(call, "id", true, 0, &id) < 0)
                return 0;

        if (id[0] == 'r') {
                RequestRecord req;

                r = store_get_request(call->m->store, id, &req);
                if (r == -ENOENT)
                        return reply_not_found(call, id);
                if (r < 0)
                        return reply_store_error(call, r);
                if (!caller_may_act_for(call, req.user) && !caller_is_admin(call))
                        return reply_permission_denied(call, "not-owner");

                p = json_object_new_object();
                if (p) {
                        json_object_object_add(p, "request", request_to_json(&req));
                        /* Delivery state per endpoint, and quorum votes. */
                        r = outbox_show_request(call->m, &req, p);
                        if (r < 0)
                                log_warning_errno(r, "Cannot read the notifications of %s: %m", req.id);
                }
                return reply(call, p);
        } else {
                size_t budget = REPLY_BUDGET;
                ListContext sessions = { .budget = &budget };
                GrantRecord g;

                r = store_get_grant(call->m->store, id, &g);
                if (r == -ENOENT)
                        return reply_not_found(call, id);
                if (r < 0)
                        return reply_store_error(call, r);
                if (!caller_may_act_for(call, g.user) && !caller_is_admin(call))
                        return reply_permission_denied(call, "not-owner");

                sessions.array = json_object_new_array();
                if (!sessions.array)
                        return reply_store_error(call, -ENOMEM);
                r = store_list_sessions(call->m->store, g.id, false, list_session_cb, &sessions);
                if (r < 0) {
                        json_object_put(sessions.array);
                        return reply_store_error(call, r);
                }

                p = json_object_new_object();
                if (!p) {
                        json_object_put(sessions.array);
                        return reply_store_error(call, -ENOMEM);
                }
                json_object_object_add(p, "grant", grant_to_json(&g));
                json_object_object_add(p, "sessions", sessions.array);
                if (sessions.truncated)
                        add_bool(p, "truncated", true);
                return reply(call, p);
        }
}

/* ---- io.jit.Resend ---- */

static int method_resend(Call *call) {
        const char *id, *endpoint;
        RequestRecord req;
        struct json_object *p;
        int r;

        if (get_id(call, "request_id", true, 'r', &id) < 0 ||
            get_string(call, "endpoint", false, 32, &endpoint) < 0)
                return 0;

        if (!caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");

        r = store_get_request(call->m->store, id, &req);
        if (r == -ENOENT)
                return reply_not_found(call, id);
        if (r < 0)
                return reply_store_error(call, r);

        r = outbox_resend(call->m, &req, endpoint);
        if (r == -ENOENT)
                return reply_invalid_parameter(call, "endpoint", "unknown");
        if (r < 0)
                return reply_store_error(call, r);

        p = json_object_new_object();
        if (p) {
                add_string(p, "request_id", req.id);
                add_int(p, "queued", r);
        }
        return reply(call, p);
}

/* ---- io.jit.OpenSession / CloseSession ---- */

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
        s->opened_monotonic_usec = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        s->uid = (int64_t) uid;
}

static int method_open_session(Call *call) {
        const char *user, *session_id = NULL, *service, *tty, *rhost;
        _cleanup_free_ char *caller_session = NULL;
        JitAction action;
        int64_t pid = 0;
        SessionRecord s = { .uid = -1 };
        PolicyVerdict v;
        GrantRecord g;
        struct json_object *p;
        uid_t uid;
        int r;

        if (get_user(call, "user", true, &user) < 0 || get_action(call, "action", true, &action) < 0 ||
            get_string(call, "service", false, JIT_SERVICE_MAX, &service) < 0 ||
            get_string(call, "tty", false, JIT_TTY_MAX, &tty) < 0 ||
            get_string(call, "rhost", false, JIT_RHOST_MAX, &rhost) < 0 ||
            get_int(call, "pid", false, 0, PID_MAX_VALUE, &pid) < 0)
                return 0;
        /* A login names its session (pam_systemd's XDG_SESSION_ID, in the
         * sshd process that asks). For sudo the session is the caller's own,
         * which jitd looks up itself: a sudo call names none. */
        if (action == JIT_ACTION_LOGIN) {
                if (get_session_id(call, &session_id) < 0)
                        return 0;
        } else if (json_object_object_get_ex(call->params, "session_id", NULL))
                return reply_invalid_parameter(call, "session_id", "not-for-sudo");

        /* Sessions of users the policy does not gate (or who bypass it) are
         * not ours to track: "ignore", like Check, so the module needs no
         * second round trip to tell them from a missing grant. */
        v = policy_evaluate(&call->m->config, user, action);
        if ((int) v < 0) {
                log_warning_errno((int) v, "Cannot evaluate policy for user %s: %m", user);
                return reply_error(call, JIT_ERROR_STORE_UNAVAILABLE, NULL);
        }
        if (v != POLICY_NEEDS_APPROVAL) {
                p = json_object_new_object();
                if (p)
                        add_string(p, "decision", "ignore");
                return reply(call, p);
        }
        if (call->m->config_problem)
                return reply_config_unavailable(call);

        r = store_find_live_grant(call->m->store, user, action, call->now, &g);
        if (r < 0)
                return reply_store_error(call, r);
        if (r == 0) {
                p = json_object_new_object();
                if (p)
                        add_string(p, "state", "none");
                return reply_error(call, JIT_ERROR_NO_GRANT, p);
        }

        if (action == JIT_ACTION_LOGIN) {
                if (person_lookup_user_uid(user, &uid) >= 0)
                        session_identity(&s, uid);
        } else {
                /* The login session sudo runs in, from the kernel's word on
                 * who is calling (SO_PEERCRED; only root may call this, and
                 * the caller waits for this reply, so the pid is its own).
                 * Its owner is who logind will say it belongs to. */
                r = sd_pid_get_session(call->c->pid, &caller_session);
                if (r >= 0 && !session_id_is_valid(caller_session))
                        r = -EINVAL;
                if (r >= 0)
                        r = sd_session_get_uid(caller_session, &uid);
                if (r < 0) {
                        /* Not in a logind session (cron, a service): nothing
                         * could end it with the grant. */
                        log_full_errno(call->m->config.policy[action].on_expiry == ON_EXPIRY_TERMINATE ? LOG_NOTICE
                                                                                                    : LOG_DEBUG,
                                       r, "sudo of %s (pid %u) runs in no logind session: %m", user,
                                       (unsigned) call->c->pid);
                        if (call->m->config.policy[action].on_expiry == ON_EXPIRY_TERMINATE) {
                                p = json_object_new_object();
                                if (p)
                                        add_string(p, "grant_id", g.id);
                                return reply_error(call, JIT_ERROR_NO_SESSION, p);
                        }
                        p = json_object_new_object();
                        if (p)
                                add_string(p, "decision", "ignore");
                        return reply(call, p);
                }
                session_id = caller_session;
                session_identity(&s, uid);
        }

        snprintf(s.session_id, sizeof(s.session_id), "%s", session_id);
        snprintf(s.grant_id, sizeof(s.grant_id), "%s", g.id);
        snprintf(s.user, sizeof(s.user), "%s", user);
        snprintf(s.service, sizeof(s.service), "%s", service ? service : "");
        snprintf(s.tty, sizeof(s.tty), "%s", tty ? tty : "");
        snprintf(s.rhost, sizeof(s.rhost), "%s", rhost ? rhost : "");
        s.pid = pid;
        s.opened_at = call->now;

        r = store_open_session(call->m->store, &s);
        if (r < 0)
                return reply_store_error(call, r);

        audit_log(AUDIT_SESSION_OPENED,
                  &(AuditFields) {
                          .session = s.session_id,
                          .grant_id = g.id,
                          .request_id = g.request_id,
                          .user = user,
                          .action = action_name(action),
                          .service = s.service,
                          .tty = s.tty,
                          .rhost = s.rhost,
                          .expires = g.expires_at,
                  });

        p = json_object_new_object();
        if (p) {
                add_string(p, "grant_id", g.id);
                add_int(p, "expires_at", g.expires_at);
                if (action != JIT_ACTION_LOGIN)
                        add_string(p, "session_id", s.session_id);
        }
        return reply(call, p);
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

static int method_close_session(Call *call) {
        const char *user, *session_id;
        int r;

        if (get_user(call, "user", true, &user) < 0 || get_session_id(call, &session_id) < 0)
                return 0;

        /* Without a store: a user the policy covers for no action has no
         * session recorded (OpenSession answered "ignore"), which is what
         * the store would say too. */
        if (!call->m->store && !user_covered_for_any_action(call->m, user))
                return reply_not_found(call, session_id);

        r = store_close_session(call->m->store, user, session_id, call->now);
        if (r == -ENOENT)
                return reply_not_found(call, session_id);
        if (r < 0)
                return reply_store_error(call, r);

        audit_log(AUDIT_SESSION_CLOSED, &(AuditFields) { .session = session_id, .user = user });
        return reply(call, NULL);
}

/* ---- dispatch ---- */

typedef int (*MethodHandler)(Call *call);

static const struct {
        const char *name;
        MethodHandler handler;
        bool root_only; /* sshd and sudo (via pam_jit.so) only */
        /* Answered StoreUnavailable when jitd has no store. Check,
         * OpenSession and CloseSession are not: users the policy does not
         * cover and break-glass accounts need no store and are answered as
         * usual; for everyone else the store lookup fails, which they answer
         * with StoreUnavailable themselves. */
        bool needs_store;
        /* Answered ConfigUnavailable while jitd runs without the admin's
         * configuration (m->config_problem): what files, decides or grants
         * by a policy jitd does not have. Check and OpenSession tell covered
         * users from others themselves; what only reads or ends access
         * (Status, List, Show, Revoke, Expire: the expiry timers) works. */
        bool needs_config;
} method_table[] = {
        { JIT_METHOD_CHECK, method_check, true, false, false },
        { JIT_METHOD_REQUEST, method_request, false, true, true },
        { JIT_METHOD_WAIT_DECISION, method_wait_decision, false, true, true },
        { JIT_METHOD_OPEN_SESSION, method_open_session, true, false, false },
        { JIT_METHOD_CLOSE_SESSION, method_close_session, true, false, false },
        { JIT_METHOD_STATUS, method_status, false, true, false },
        { JIT_METHOD_LIST, method_list, false, true, false },
        { JIT_METHOD_SHOW, method_show, false, true, false },
        { JIT_METHOD_APPROVE, method_approve, false, true, true },
        { JIT_METHOD_DENY, method_deny, false, true, true },
        { JIT_METHOD_REVOKE, method_revoke, false, true, false },
        { JIT_METHOD_GRANT, method_grant, false, true, true },
        { JIT_METHOD_EXPIRE, method_expire, false, true, false },
        { JIT_METHOD_RESEND, method_resend, false, true, true },
};

void methods_dispatch(Manager *m, Connection *c, const char *method, struct json_object *parameters, bool more) {
        Call call = {
                .m = m,
                .c = c,
                .params = parameters,
                .more = more,
        };
        struct json_object *p;

        for (size_t i = 0; i < ELEMENTSOF(method_table); i++) {
                if (strcmp(method, method_table[i].name) != 0)
                        continue;

                if (!parameters || !json_object_is_type(parameters, json_type_object) ||
                    varlink_check_protocol(parameters) < 0) {
                        p = json_object_new_object();
                        if (p)
                                add_int(p, "expected", JIT_PROTOCOL_VERSION);
                        (void) reply_error(&call, JIT_ERROR_PROTOCOL_MISMATCH, p);
                        return;
                }

                if (method_table[i].root_only && c->uid != 0) {
                        (void) reply_permission_denied(&call, "root-only");
                        return;
                }

                log_debug("uid %u pid %u calls %s.", (unsigned) c->uid, (unsigned) c->pid, method_table[i].name);
                if (method_table[i].needs_config && m->config_problem) {
                        (void) reply_config_unavailable(&call);
                        return;
                }
                if (method_table[i].needs_store && !m->store) {
                        (void) reply_error(&call, JIT_ERROR_STORE_UNAVAILABLE, NULL);
                        return;
                }
                call.now = jit_now_realtime();
                (void) method_table[i].handler(&call);
                return;
        }

        /* The name is the caller's; it is not echoed back or logged. */
        (void) connection_reply_error(c, JIT_ERROR_METHOD_NOT_FOUND, NULL);
}
