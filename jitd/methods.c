/* The io.jit methods of doc/protocol.md: the protocol adapter. For each
 * method a parameter table (name, type, required, validator), who may call
 * it, one call into an action (access.c, requests.c, decision.c, grants.c,
 * sessions.c) and the reply built from what it returns (methods-json.c).
 * Identity comes only from the connection's SO_PEERCRED uid/gid (resolved
 * to a name through NSS), never from a field of the call; every parameter
 * is type-, size- and content-checked before use; every action writes its
 * change to the store (synchronous=FULL) before the reply that
 * acknowledges it is queued. The WaitDecision streams are answered through
 * waiters.h, which the actions' lifecycle calls once a decision is on
 * disk. A new method: a row in method_table, its parameter table, a
 * handler here, its action in the file named for what it acts on. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "decision.h"
#include "grants.h"
#include "json-util.h"
#include "log.h"
#include "methods-call.h"
#include "methods-json.h"
#include "methods-params.h"
#include "methods.h"
#include "outbox.h"
#include "person.h"
#include "policy.h"
#include "requests.h"
#include "sessions.h"
#include "text.h"

#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 10000
#define PID_MAX_VALUE 4194304 /* the kernel's PID_MAX_LIMIT */

/* ---- io.jit.Check ---- */

enum { CHECK_USER, CHECK_ACTION, CHECK_SERVICE, CHECK_RHOST, CHECK_TTY, CHECK_CREATE };
static const Param check_params[] = {
        [CHECK_USER] = PARAM_USER("user", true),
        [CHECK_ACTION] = PARAM_ACTION("action", true),
        [CHECK_SERVICE] = PARAM_STRING("service", true, JIT_SERVICE_MAX),
        [CHECK_RHOST] = PARAM_STRING("rhost", false, JIT_RHOST_MAX),
        [CHECK_TTY] = PARAM_STRING("tty", false, JIT_TTY_MAX),
        [CHECK_CREATE] = PARAM_BOOL("create_request"),
};

static int method_check(Call *call) {
        AccessResult a;
        struct json_object *p;
        int r;

        r = access_check(call->m,
                         &(RequestInput) {
                                 .user = call->v[CHECK_USER].s,
                                 .action = call->v[CHECK_ACTION].action,
                                 .service = call->v[CHECK_SERVICE].s,
                                 .rhost = call->v[CHECK_RHOST].s,
                                 .tty = call->v[CHECK_TTY].s,
                         },
                         call->v[CHECK_CREATE].b, call->now, &a);
        if (r < 0)
                return reply_store_error(call, r);

        switch (a.verdict) {
        case ACCESS_IGNORE:
                return reply_ignore(call);
        case ACCESS_BREAKGLASS:
                p = one_string("decision", "allow");
                if (p)
                        json_add_bool(p, "breakglass", true);
                return reply(call, p);
        case ACCESS_ALLOW:
                p = one_string("decision", "allow");
                if (p) {
                        json_add_string(p, "grant_id", a.grant.id);
                        json_add_int(p, "expires_at", a.grant.expires_at);
                        json_add_bool(p, "breakglass", a.grant.breakglass);
                }
                return reply(call, p);
        case ACCESS_POLICY_FAILED:
                return reply_error(call, JIT_ERROR_NO_GRANT, one_string("state", "none"));
        case ACCESS_CONFIG_UNAVAILABLE:
                return reply_config_unavailable(call);
        case ACCESS_DENY:
        default:
                return reply_error(call, JIT_ERROR_NO_GRANT, no_grant_to_json(call->m, &a));
        }
}

/* ---- io.jit.Request ---- */

enum { REQUEST_USER, REQUEST_ACTION, REQUEST_SERVICE, REQUEST_RHOST, REQUEST_TTY, REQUEST_REASON, REQUEST_DURATION,
       REQUEST_EXTENDS };
static const Param request_params[] = {
        [REQUEST_USER] = PARAM_USER("user", false),
        [REQUEST_ACTION] = PARAM_ACTION("action", true),
        [REQUEST_SERVICE] = PARAM_STRING("service", false, JIT_SERVICE_MAX),
        [REQUEST_RHOST] = PARAM_STRING("rhost", false, JIT_RHOST_MAX),
        [REQUEST_TTY] = PARAM_STRING("tty", false, JIT_TTY_MAX),
        [REQUEST_REASON] = PARAM_STRING("reason", false, JIT_REASON_MAX),
        [REQUEST_DURATION] = PARAM_INT("duration", false, 0, (int64_t) JIT_DURATION_MAX_SEC),
        [REQUEST_EXTENDS] = PARAM_ID("extends", false, 'g'),
};

/* Whom a Request is for: `user`, or the caller; NULL and answered if the
 * caller may not ask for them. */
static const char *request_for_whom(Call *call) {
        const char *user = call->v[REQUEST_USER].s;

        if (!user) {
                if (caller_is_root(call)) {
                        (void) reply_invalid_parameter(call, "user", "missing");
                        return NULL;
                }
                user = caller_name(call);
                if (!user) {
                        (void) reply_permission_denied(call, "unknown-user");
                        return NULL;
                }
        }
        if (!caller_may_act_for(call, user)) {
                (void) reply_permission_denied(call, "not-self");
                return NULL;
        }
        return user;
}

/* Only users the policy gates (and not break-glass accounts) ask, for a
 * duration within its maximum. Answered unless 0. */
static int request_allowed(Call *call, const char *user, JitAction action) {
        PolicyVerdict v = policy_evaluate(&call->m->config, user, action);
        uint64_t effective;
        int r;

        if ((int) v < 0) {
                log_warning_errno((int) v, "Cannot evaluate policy for user %s: %m", user);
                (void) reply_error(call, JIT_ERROR_STORE_UNAVAILABLE, NULL);
                return -EIO;
        }
        if (v == POLICY_NOT_COVERED) {
                (void) reply_invalid_parameter(call, "user", "not-covered");
                return -EPERM;
        }
        if (v == POLICY_BREAKGLASS) {
                (void) reply_invalid_parameter(call, "user", "breakglass");
                return -EPERM;
        }

        r = policy_grant_duration(&call->m->config, action, (uint64_t) call->v[REQUEST_DURATION].i, &effective);
        if (r == -ERANGE) {
                (void) reply_invalid_parameter(call, "duration", "above-maximum");
                return r;
        }
        if (r < 0) {
                (void) reply_invalid_parameter(call, "duration", "invalid");
                return r;
        }
        return 0;
}

static int method_request(Call *call) {
        const char *user, *extends = call->v[REQUEST_EXTENDS].s;
        RequestInput in = {
                .action = call->v[REQUEST_ACTION].action,
                .service = call->v[REQUEST_SERVICE].s,
                .rhost = call->v[REQUEST_RHOST].s,
                .tty = call->v[REQUEST_TTY].s,
                .reason = call->v[REQUEST_REASON].s,
                .duration_sec = (uint64_t) call->v[REQUEST_DURATION].i,
                .extends = extends,
        };
        RequestFiled f;
        int r;

        user = request_for_whom(call);
        if (!user)
                return 0;
        in.user = user;
        /* Where a request comes from is what approvers judge it by; only
         * root (pam_jit.so, from PAM_RHOST/PAM_TTY) may say. A user's own
         * request is recorded as coming from jitctl. */
        if (!caller_is_root(call)) {
                in.service = "jitctl";
                in.rhost = in.tty = NULL;
        }
        if (request_allowed(call, user, in.action) < 0)
                return 0;

        r = request_file(call->m, &in, call->now, &f);
        switch (r) {
        case 0:
                return reply(call, request_filed_to_json(call->m, &f, extends));
        case -ENOENT:
                return reply_invalid_parameter(call, "extends", "unknown");
        case -EXDEV:
                return reply_invalid_parameter(call, "extends", "not-this-users-grant");
        case -ESTALE:
                return reply_conflict(
                        call, grant_state_to_string(f.grant.state == GRANT_ACTIVE ? GRANT_EXPIRED : f.grant.state),
                        f.grant.ended_by, f.grant.expires_at);
        case -EDQUOT:
                return reply_rate_limited(call, f.retry_at);
        default:
                return reply_store_error(call, r);
        }
}

/* ---- io.jit.WaitDecision ---- */

/* Request `id`, for a caller who may see it (`owner_or_admin`) or any
 * caller; <0 and answered if there is none or they may not. */
static int load_request(Call *call, const char *id, bool owner_or_admin, RequestRecord *ret) {
        int r = store_get_request(call->m->store, id, ret);

        if (r == -ENOENT) {
                (void) reply_not_found(call, id);
                return r;
        }
        if (r < 0) {
                (void) reply_store_error(call, r);
                return r;
        }
        if (owner_or_admin && !caller_may_see(call, ret->user)) {
                (void) reply_permission_denied(call, "not-owner");
                return -EPERM;
        }
        return 0;
}

enum { WAIT_REQUEST_ID };
static const Param wait_params[] = {
        [WAIT_REQUEST_ID] = PARAM_ID("request_id", true, 'r'),
};

/* A connection waiting in WaitDecision (its Waiter's userdata): the
 * request left the pending state; the final reply ends the stream. */
static void release_waiter(Manager *m, const RequestRecord *r, const GrantRecord *grant, void *userdata) {
        Connection *c = userdata;

        (void) connection_reply(c, decision_to_json(m, r, grant), false);
}

static int method_wait_decision(Call *call) {
        const char *id = call->v[WAIT_REQUEST_ID].s;
        RequestRecord req;

        if (load_request(call, id, true, &req) < 0)
                return 0;

        if (req.state != REQUEST_PENDING || !call->more)
                return reply(call, decision_to_json(call->m, &req, NULL));

        /* Registered before the first reply is queued; both happen within
         * this handler, so no decision can slip in between. */
        (void) connection_reply(call->c, decision_to_json(call->m, &req, NULL), true);
        connection_stream_begin(call->c, req.id, release_waiter);
        return 0;
}

/* ---- io.jit.Approve / Deny ---- */

/* The decision itself is decision.c's, shared with the review page. */
static int reply_decision_error(Call *call, const char *id, int r, const DecisionResult *res) {
        struct json_object *p;

        switch (r) {
        case -ENOENT:
                return reply_not_found(call, id);
        case -EPERM:
                return reply_permission_denied(call, "own-request");
        case -ESTALE:
                return reply_conflict(call, request_state_to_string(res->request.state),
                                      res->request.state == REQUEST_EXPIRED ? NULL : res->request.decided_by, 0);
        case -EALREADY:
                p = one_string("state", request_state_to_string(REQUEST_PENDING));
                if (p) {
                        json_add_string(p, "reason", "already-approved-by-you");
                        json_add_int(p, "approvals", res->approvals);
                        json_add_int(p, "approvals_needed", res->approvals_needed);
                }
                return reply_error(call, JIT_ERROR_CONFLICT, p);
        case -ERANGE:
                return reply_invalid_parameter(call, "duration", "above-maximum");
        case -EINVAL:
                return reply_invalid_parameter(call, "duration", "invalid");
        default:
                return reply_store_error(call, r);
        }
}

enum { APPROVE_REQUEST_ID, APPROVE_DURATION };
static const Param approve_params[] = {
        [APPROVE_REQUEST_ID] = PARAM_ID("request_id", true, 'r'),
        [APPROVE_DURATION] = PARAM_INT("duration", false, 1, (int64_t) JIT_DURATION_MAX_SEC),
};

/* A decision by the caller over io.jit (jitctl). */
static DecisionInput decision_input(const char *id, const char *approver, const char *person) {
        return (DecisionInput) { .request_id = id, .approver = approver, .approver_person = person, .via = "jitctl" };
}

static int method_approve(Call *call) {
        const char *id = call->v[APPROVE_REQUEST_ID].s, *approver, *person, *login;
        DecisionInput in;
        DecisionResult res;
        int r;

        if (caller_is_person_or_refuse(call, "an approval", &approver, &person) < 0)
                return 0;
        /* Whose login this is: the requester may not approve through
         * another account either (sudo -u). Unknown, it could be theirs. */
        if (connection_login(call->c, &login) == PERSON_UNKNOWN)
                return reply_permission_denied(call, "unknown-person");

        /* The approver may choose any duration up to the policy maximum;
         * without one, the requester's wish (cut to the maximum). */
        in = decision_input(id, approver, person);
        in.approver_login = login;
        in.duration_sec = (uint64_t) call->v[APPROVE_DURATION].i;
        r = decision_approve(call->m, &in, &res);
        if (r < 0)
                return reply_decision_error(call, id, r, &res);
        return reply(call, approval_to_json(&res, approver, person));
}

enum { DENY_REQUEST_ID, DENY_REASON, DENY_CANCEL };
static const Param deny_params[] = {
        [DENY_REQUEST_ID] = PARAM_ID("request_id", true, 'r'),
        [DENY_REASON] = PARAM_STRING("reason", false, JIT_REASON_MAX),
        [DENY_CANCEL] = PARAM_BOOL("cancel"),
};

/* An admin denies any request; anyone may withdraw (cancel) their own
 * pending one, which only takes access away. "cancel": true asks for
 * exactly that, so "jitctl cancel" never denies someone else's request. */
static int method_deny(Call *call) {
        const char *id = call->v[DENY_REQUEST_ID].s, *approver, *person;
        RequestRecord req;
        DecisionInput in;
        DecisionResult res;
        struct json_object *p;
        bool own;
        int r;

        approver = caller_name_or_refuse(call);
        if (!approver)
                return 0;
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
        if (call->v[DENY_CANCEL].b && !own)
                /* An unknown id reads the same: nothing of yours to cancel. */
                return reply_permission_denied(call, "not-owner");
        if (!own && !caller_is_admin(call))
                return reply_permission_denied(call, "not-admin");

        in = decision_input(id, approver, person);
        in.reason = call->v[DENY_REASON].s;
        r = decision_deny(call->m, &in, &res);
        if (r == -EINVAL)
                return reply_invalid_parameter(call, "reason", "invalid");
        if (r < 0)
                return reply_decision_error(call, id, r, &res);

        p = one_string("request_id", res.request.id);
        if (p)
                json_add_string(p, "state", request_state_to_string(res.request.state));
        return reply(call, p);
}

/* ---- io.jit.Revoke / Expire / Grant ---- */

enum { REVOKE_GRANT_ID, REVOKE_USER, REVOKE_ACTION, REVOKE_REASON };
static const Param revoke_params[] = {
        [REVOKE_GRANT_ID] = PARAM_ID("grant_id", false, 'g'),
        [REVOKE_USER] = PARAM_USER("user", false),
        [REVOKE_ACTION] = PARAM_ACTION("action", false),
        [REVOKE_REASON] = PARAM_STRING("reason", false, JIT_REASON_MAX),
};

static void add_revoked(const GrantRecord *g, void *userdata) {
        struct json_object *revoked = userdata;

        if (revoked)
                json_object_array_add(revoked, json_object_new_string(g->id));
}

static int method_revoke(Call *call) {
        const char *grant_id = call->v[REVOKE_GRANT_ID].s, *user = call->v[REVOKE_USER].s, *by;
        JitAction action = call->v[REVOKE_ACTION].action;
        struct json_object *p, *revoked;
        int r;

        by = caller_name_or_refuse(call);
        if (!by)
                return 0;
        if (!grant_id == !user)
                return reply_invalid_parameter(call, grant_id ? "user" : "grant_id", "need grant_id or user");
        if (grant_id && action >= 0)
                return reply_invalid_parameter(call, "action", "only with user");

        revoked = json_object_new_array();
        r = grants_revoke(call->m, grant_id, user, action, by, caller_person(call), call->v[REVOKE_REASON].s,
                          call->now, add_revoked, revoked);
        if (r < 0)
                json_object_put(revoked);
        if (r == -ENOENT && grant_id)
                return reply_not_found(call, grant_id);
        if (r == -ESTALE && grant_id)
                return reply_grant_conflict(call, grant_id);
        if (r < 0)
                return reply_store_error(call, r);

        p = json_object_new_object();
        if (p)
                json_add(p, "revoked", revoked ?: json_object_new_array());
        else
                json_object_put(revoked);
        return reply(call, p);
}

enum { EXPIRE_GRANT_ID };
static const Param expire_params[] = {
        [EXPIRE_GRANT_ID] = PARAM_ID("grant_id", true, 'g'),
};

static int method_expire(Call *call) {
        const char *grant_id = call->v[EXPIRE_GRANT_ID].s, *by;
        GrantRecord g;
        struct json_object *p;
        int r;

        by = caller_name_or_refuse(call);
        if (!by)
                return 0;

        r = grant_expire(call->m, grant_id, by, caller_person(call), call->now, &g);
        if (r == -ENOENT)
                return reply_not_found(call, grant_id);
        if (r == -ESTALE)
                return reply_grant_conflict(call, grant_id);
        if (r == -EBUSY) /* not due yet */
                return reply_conflict(call, grant_state_to_string(GRANT_ACTIVE), NULL, g.expires_at);
        if (r < 0)
                return reply_store_error(call, r);

        p = one_string("grant_id", g.id);
        if (p)
                json_add_string(p, "state", grant_state_to_string(GRANT_EXPIRED));
        return reply(call, p);
}

enum { GRANT_USER, GRANT_ACTION, GRANT_DURATION, GRANT_REASON };
static const Param grant_params[] = {
        [GRANT_USER] = PARAM_USER("user", true),
        [GRANT_ACTION] = PARAM_ACTION("action", true),
        [GRANT_DURATION] = PARAM_INT("duration", true, 1, (int64_t) JIT_DURATION_MAX_SEC),
        [GRANT_REASON] = PARAM_STRING("reason", true, JIT_REASON_MAX),
};

static int method_grant(Call *call) {
        const char *reason = call->v[GRANT_REASON].s, *by, *person;
        GrantRecord g;
        struct json_object *p;
        int r;

        /* Nobody reviews a break-glass grant: it must at least say who. */
        if (caller_is_person_or_refuse(call, "a break-glass grant", &by, &person) < 0)
                return 0;
        /* Break-glass must say why: it is the one grant nobody reviewed. */
        if (isempty(reason))
                return reply_invalid_parameter(call, "reason", "missing");

        r = grant_breakglass(call->m,
                             &(BreakglassInput) {
                                     .user = call->v[GRANT_USER].s,
                                     .action = call->v[GRANT_ACTION].action,
                                     .duration_sec = (uint64_t) call->v[GRANT_DURATION].i,
                                     .by = by,
                                     .by_person = person,
                                     .reason = reason,
                             },
                             call->now, &g);
        if (r == -ERANGE)
                return reply_invalid_parameter(call, "duration", "above-maximum");
        if (r == -EINVAL)
                return reply_invalid_parameter(call, "duration", "invalid");
        if (r < 0)
                return reply_store_error(call, r);

        p = one_string("grant_id", g.id);
        if (p)
                json_add_int(p, "expires_at", g.expires_at);
        return reply(call, p);
}

/* ---- io.jit.Status / List / Show ---- */

enum { STATUS_USER };
static const Param status_params[] = {
        [STATUS_USER] = PARAM_USER("user", false),
};

static int method_status(Call *call) {
        const char *user = call->v[STATUS_USER].s;
        struct json_object *p = NULL;
        int r;

        if (!user) {
                user = caller_name(call);
                if (!user)
                        return reply_permission_denied(call, "unknown-user");
        }
        if (!caller_may_see(call, user))
                return reply_permission_denied(call, "not-self");

        r = records_to_json(call->m, user, true, true, true, true, LIST_LIMIT_DEFAULT, call->now, &p);
        if (r < 0)
                return reply_store_error(call, r);
        json_add_string(p, "user", user);
        return reply(call, p);
}

enum { LIST_FILTER, LIST_LIMIT };
static const Param list_params[] = {
        [LIST_FILTER] = PARAM_STRING("filter", false, 16),
        [LIST_LIMIT] = PARAM_INT("limit", false, 1, LIST_LIMIT_MAX),
};

static int method_list(Call *call) {
        const char *filter = call->v[LIST_FILTER].s;
        int64_t limit = call->v[LIST_LIMIT].i ?: LIST_LIMIT_DEFAULT;
        struct json_object *p = NULL;
        bool requests = true, pending_only = true, grants = true, active_only = true;
        int r;

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

        r = records_to_json(call->m, NULL, requests, pending_only, grants, active_only, (unsigned) limit, call->now,
                            &p);
        if (r < 0)
                return reply_store_error(call, r);
        return reply(call, p);
}

enum { SHOW_ID };
static const Param show_params[] = {
        [SHOW_ID] = PARAM_ID("id", true, 0),
};

static int show_request(Call *call, const char *id) {
        RequestRecord req;
        struct json_object *p;
        int r;

        if (load_request(call, id, true, &req) < 0)
                return 0;

        p = json_object_new_object();
        if (p) {
                json_object_object_add(p, "request", request_to_json(&req));
                /* Delivery state per endpoint, and quorum votes. */
                r = outbox_show_request(call->m, &req, p);
                if (r < 0)
                        log_warning_errno(r, "Cannot read the notifications of %s: %m", req.id);
        }
        return reply(call, p);
}

static int show_grant(Call *call, const char *id) {
        GrantRecord g;
        struct json_object *p = NULL;
        int r;

        r = store_get_grant(call->m->store, id, &g);
        if (r == -ENOENT)
                return reply_not_found(call, id);
        if (r < 0)
                return reply_store_error(call, r);
        if (!caller_may_see(call, g.user))
                return reply_permission_denied(call, "not-owner");

        r = grant_with_sessions_to_json(call->m, &g, &p);
        if (r < 0)
                return reply_store_error(call, r);
        return reply(call, p);
}

static int method_show(Call *call) {
        const char *id = call->v[SHOW_ID].s;

        return id[0] == 'r' ? show_request(call, id) : show_grant(call, id);
}

/* ---- io.jit.Resend ---- */

enum { RESEND_REQUEST_ID, RESEND_ENDPOINT };
static const Param resend_params[] = {
        [RESEND_REQUEST_ID] = PARAM_ID("request_id", true, 'r'),
        [RESEND_ENDPOINT] = PARAM_STRING("endpoint", false, 32),
};

static int method_resend(Call *call) {
        const char *id = call->v[RESEND_REQUEST_ID].s;
        RequestRecord req;
        struct json_object *p;
        int r;

        if (load_request(call, id, false, &req) < 0)
                return 0;

        r = request_resend(call->m, &req, call->v[RESEND_ENDPOINT].s);
        if (r == -ENOENT)
                return reply_invalid_parameter(call, "endpoint", "unknown");
        if (r < 0)
                return reply_store_error(call, r);

        p = one_string("request_id", req.id);
        if (p)
                json_add_int(p, "queued", r);
        return reply(call, p);
}

/* ---- io.jit.OpenSession / CloseSession ---- */

enum { OPEN_USER, OPEN_ACTION, OPEN_SERVICE, OPEN_TTY, OPEN_RHOST, OPEN_PID, OPEN_SESSION_ID };
static const Param open_session_params[] = {
        [OPEN_USER] = PARAM_USER("user", true),
        [OPEN_ACTION] = PARAM_ACTION("action", true),
        [OPEN_SERVICE] = PARAM_STRING("service", false, JIT_SERVICE_MAX),
        [OPEN_TTY] = PARAM_STRING("tty", false, JIT_TTY_MAX),
        [OPEN_RHOST] = PARAM_STRING("rhost", false, JIT_RHOST_MAX),
        [OPEN_PID] = PARAM_INT("pid", false, 0, PID_MAX_VALUE),
};
/* Parsed after the table, for logins only. */
static const Param open_session_id = PARAM_SESSION_ID("session_id");

static int method_open_session(Call *call) {
        const char *user = call->v[OPEN_USER].s;
        JitAction action = call->v[OPEN_ACTION].action;
        SessionOpened o;
        PolicyVerdict v;
        struct json_object *p;
        int r;

        /* A login names its session (pam_systemd's XDG_SESSION_ID, in the
         * sshd process that asks). For sudo the session is the caller's own,
         * which jitd looks up itself: a sudo call names none. */
        if (action == JIT_ACTION_LOGIN) {
                if (parse_params(call, &open_session_id, 1, OPEN_SESSION_ID) < 0)
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
        if (v != POLICY_NEEDS_APPROVAL)
                return reply_ignore(call);
        if (call->m->config_problem)
                return reply_config_unavailable(call);

        r = session_open(call->m,
                         &(SessionInput) {
                                 .user = user,
                                 .action = action,
                                 .session_id = action == JIT_ACTION_LOGIN ? call->v[OPEN_SESSION_ID].s : NULL,
                                 .service = call->v[OPEN_SERVICE].s,
                                 .tty = call->v[OPEN_TTY].s,
                                 .rhost = call->v[OPEN_RHOST].s,
                                 .pid = call->v[OPEN_PID].i,
                                 .caller_pid = call->c->pid,
                         },
                         call->now, &o);
        if (r < 0)
                return reply_store_error(call, r);

        switch (o.outcome) {
        case SESSION_NO_GRANT:
                return reply_error(call, JIT_ERROR_NO_GRANT, one_string("state", "none"));
        case SESSION_NO_LOGIND:
                return reply_error(call, JIT_ERROR_NO_SESSION, one_string("grant_id", o.grant.id));
        case SESSION_UNTRACKED:
                return reply_ignore(call);
        case SESSION_OPENED:
        default:
                p = one_string("grant_id", o.grant.id);
                if (p) {
                        json_add_int(p, "expires_at", o.grant.expires_at);
                        if (action != JIT_ACTION_LOGIN)
                                json_add_string(p, "session_id", o.session.session_id);
                }
                return reply(call, p);
        }
}

enum { CLOSE_USER, CLOSE_SESSION_ID };
static const Param close_session_params[] = {
        [CLOSE_USER] = PARAM_USER("user", true),
        [CLOSE_SESSION_ID] = PARAM_SESSION_ID("session_id"),
};

static int method_close_session(Call *call) {
        const char *session_id = call->v[CLOSE_SESSION_ID].s;
        int r;

        r = session_close(call->m, call->v[CLOSE_USER].s, session_id, call->now);
        if (r == -ENOENT)
                return reply_not_found(call, session_id);
        if (r < 0)
                return reply_store_error(call, r);
        return reply(call, NULL);
}

/* ---- dispatch ---- */

typedef enum Permission {
        PERMISSION_ROOT,  /* sshd and sudo (via pam_jit.so) only: answered before anything else */
        PERMISSION_ADMIN, /* root or [jitd] admins, checked once the parameters are valid */
        PERMISSION_ANY,   /* anyone: the handler checks "self" or "owner" where it matters */
} Permission;

typedef int (*MethodHandler)(Call *call);

#define PARAMS(t) .params = t, .n_params = ELEMENTSOF(t)

static const struct {
        const char *name;
        MethodHandler handler;
        const Param *params;
        size_t n_params;
        Permission permission;
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
        { JIT_METHOD_CHECK, method_check, PARAMS(check_params), PERMISSION_ROOT, false, false },
        { JIT_METHOD_REQUEST, method_request, PARAMS(request_params), PERMISSION_ANY, true, true },
        { JIT_METHOD_WAIT_DECISION, method_wait_decision, PARAMS(wait_params), PERMISSION_ANY, true, true },
        { JIT_METHOD_OPEN_SESSION, method_open_session, PARAMS(open_session_params), PERMISSION_ROOT, false, false },
        { JIT_METHOD_CLOSE_SESSION, method_close_session, PARAMS(close_session_params), PERMISSION_ROOT, false,
          false },
        { JIT_METHOD_STATUS, method_status, PARAMS(status_params), PERMISSION_ANY, true, false },
        { JIT_METHOD_LIST, method_list, PARAMS(list_params), PERMISSION_ADMIN, true, false },
        { JIT_METHOD_SHOW, method_show, PARAMS(show_params), PERMISSION_ANY, true, false },
        { JIT_METHOD_APPROVE, method_approve, PARAMS(approve_params), PERMISSION_ADMIN, true, true },
        { JIT_METHOD_DENY, method_deny, PARAMS(deny_params), PERMISSION_ANY, true, true },
        { JIT_METHOD_REVOKE, method_revoke, PARAMS(revoke_params), PERMISSION_ADMIN, true, false },
        { JIT_METHOD_GRANT, method_grant, PARAMS(grant_params), PERMISSION_ADMIN, true, true },
        { JIT_METHOD_EXPIRE, method_expire, PARAMS(expire_params), PERMISSION_ADMIN, true, false },
        { JIT_METHOD_RESEND, method_resend, PARAMS(resend_params), PERMISSION_ADMIN, true, true },
};

/* Everything a call must pass before its handler, in this order: protocol
 * version, root-only, configuration, store, parameters, admin. 0 to go
 * on; otherwise the call is answered. */
static int call_admit(Call *call, size_t i) {
        struct json_object *p;

        if (!call->params || !json_object_is_type(call->params, json_type_object) ||
            varlink_check_protocol(call->params) < 0) {
                p = json_object_new_object();
                if (p)
                        json_add_int(p, "expected", JIT_PROTOCOL_VERSION);
                (void) reply_error(call, JIT_ERROR_PROTOCOL_MISMATCH, p);
                return -EPROTO;
        }
        if (method_table[i].permission == PERMISSION_ROOT && !caller_is_root(call)) {
                (void) reply_permission_denied(call, "root-only");
                return -EPERM;
        }

        log_debug("uid %u pid %u calls %s.", (unsigned) call->c->uid, (unsigned) call->c->pid, method_table[i].name);
        if (method_table[i].needs_config && call->m->config_problem) {
                (void) reply_config_unavailable(call);
                return -EAGAIN;
        }
        if (method_table[i].needs_store && !call->m->store) {
                (void) reply_error(call, JIT_ERROR_STORE_UNAVAILABLE, NULL);
                return -EAGAIN;
        }

        if (parse_params(call, method_table[i].params, method_table[i].n_params, 0) < 0)
                return -EINVAL;
        if (method_table[i].permission == PERMISSION_ADMIN && !caller_is_admin(call)) {
                (void) reply_permission_denied(call, "not-admin");
                return -EPERM;
        }
        return 0;
}

void methods_dispatch(Manager *m, Connection *c, const char *method, struct json_object *parameters, bool more) {
        Call call = {
                .m = m,
                .c = c,
                .params = parameters,
                .more = more,
        };

        for (size_t i = 0; i < ELEMENTSOF(method_table); i++) {
                if (strcmp(method, method_table[i].name) != 0)
                        continue;
                if (call_admit(&call, i) < 0)
                        return;
                call.now = jit_now_realtime();
                (void) method_table[i].handler(&call);
                return;
        }

        /* The name is the caller's; it is not echoed back or logged. */
        (void) connection_reply_error(c, JIT_ERROR_METHOD_NOT_FOUND, NULL);
}
