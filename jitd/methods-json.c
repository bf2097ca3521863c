/* Records as io.jit reply objects (methods-json.h). Optional fields are
 * left out rather than sent empty; the lists stay within one message. */

#include <errno.h>
#include <string.h>

#include "config-approvers.h"
#include "json-util.h"
#include "methods-json.h"
#include "varlink.h"

struct json_object *request_to_json(const RequestRecord *r) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        json_add_string(o, "id", r->id);
        json_add_string(o, "user", r->user);
        json_add_string(o, "action", jit_action_to_string(r->action));
        json_add_string(o, "service", r->service);
        json_add_string(o, "rhost", r->rhost);
        json_add_string(o, "tty", r->tty);
        json_add_string(o, "reason", r->reason);
        json_add_int(o, "duration", (int64_t) r->duration_sec);
        json_add_string(o, "match_code", r->match_code);
        json_add_string(o, "state", request_state_to_string(r->state));
        json_add_int(o, "created_at", r->created_at);
        json_add_int(o, "expires_at", r->expires_at);
        json_add_string_optional(o, "extends", r->extends_grant_id);
        if (r->state != REQUEST_PENDING) {
                if (r->decided_at > 0)
                        json_add_int(o, "decided_at", r->decided_at);
                json_add_string_optional(o, "decided_by", r->decided_by);
                json_add_string_optional(o, "decided_by_person", r->decided_by_person);
                json_add_string_optional(o, "decision_reason", r->decision_reason);
                json_add_string_optional(o, "grant_id", r->grant_id);
        }
        return o;
}

struct json_object *grant_to_json(const GrantRecord *g) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        json_add_string(o, "id", g->id);
        json_add_string_optional(o, "request_id", g->request_id);
        json_add_string(o, "user", g->user);
        json_add_string(o, "action", jit_action_to_string(g->action));
        json_add_int(o, "created_at", g->created_at);
        json_add_int(o, "expires_at", g->expires_at);
        json_add_string(o, "approver", g->approver);
        json_add_string_optional(o, "approver_person", g->approver_person);
        json_add_string(o, "reason", g->reason);
        json_add_string(o, "state", grant_state_to_string(g->state));
        json_add_bool(o, "breakglass", g->breakglass);
        json_add_string_optional(o, "extends", g->extends_grant_id);
        json_add_string_optional(o, "extended_by", g->extended_by);
        if (g->state != GRANT_ACTIVE) {
                if (g->ended_at > 0)
                        json_add_int(o, "ended_at", g->ended_at);
                json_add_string_optional(o, "ended_by", g->ended_by);
                json_add_string_optional(o, "ended_by_person", g->ended_by_person);
        }
        return o;
}

struct json_object *session_to_json(const SessionRecord *s) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;

        json_add_string(o, "session_id", s->session_id);
        json_add_string(o, "grant_id", s->grant_id);
        json_add_string(o, "user", s->user);
        json_add_string(o, "service", s->service);
        json_add_string(o, "tty", s->tty);
        json_add_string(o, "rhost", s->rhost);
        if (s->pid > 0)
                json_add_int(o, "pid", s->pid);
        json_add_int(o, "opened_at", s->opened_at);
        if (s->closed_at > 0)
                json_add_int(o, "closed_at", s->closed_at);
        return o;
}

/* The approver's account, and the person behind it when known. */
static void add_approver(struct json_object *p, const RequestRecord *r) {
        json_add_string(p, "approver", r->decided_by);
        json_add_string_optional(p, "approver_person", r->decided_by_person);
}

struct json_object *decision_to_json(Manager *m, const RequestRecord *r, const GrantRecord *grant) {
        struct json_object *p = json_object_new_object();
        GrantRecord g;

        if (!p)
                return NULL;

        json_add_string(p, "request_id", r->id);
        json_add_string(p, "state", request_state_to_string(r->state));

        switch (r->state) {
        case REQUEST_PENDING:
                json_add_string(p, "match_code", r->match_code);
                json_add_int(p, "request_expires_at", r->expires_at);
                break;
        case REQUEST_APPROVED:
                if (!grant && r->grant_id[0] && store_get_grant(m->store, r->grant_id, &g) >= 0)
                        grant = &g;
                json_add_string(p, "grant_id", r->grant_id);
                if (grant)
                        json_add_int(p, "expires_at", grant->expires_at);
                add_approver(p, r);
                break;
        case REQUEST_DENIED:
                add_approver(p, r);
                json_add_string(p, "reason", r->decision_reason);
                break;
        default:
                break;
        }
        return p;
}

/* Where a request is announced, so the requester can say whom to ask:
 * "endpoints", the [webhook NAME]s that carry its "created" message, and,
 * when there is one, "approvers", the action's approvers but the
 * requester. Both empty: nobody hears of it and an admin must use jitctl.
 * From the configuration as it is now, capped for the requester's
 * terminal. */
void json_add_destinations(Manager *m, const RequestRecord *r, struct json_object *p) {
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

                if (strcmp(a, r->user) == 0 || strlen(a) > JIT_DESTINATION_NAME_MAX)
                        continue;
                if (json_object_array_add(approvers, json_object_new_string(a)) == 0)
                        n_approvers++;
        }
        json_object_object_add(p, "endpoints", endpoints);
        json_object_object_add(p, "approvers", approvers);
}

/* ---- replies built from what an action returned ---- */

/* NoGrant's parameters: where the user stands. */
struct json_object *no_grant_to_json(Manager *m, const AccessResult *a) {
        struct json_object *p = json_object_new_object();
        const RequestRecord *req = &a->request;

        if (!p)
                return NULL;
        json_add_string(p, "state", a->state);
        if (a->have_request) {
                json_add_string(p, "request_id", req->id);
                json_add_string(p, "match_code", req->match_code);
                json_add_int(p, "request_expires_at", req->expires_at);
                if (req->state == REQUEST_DENIED)
                        json_add_string_optional(p, "decided_by", req->decided_by);
                if (req->state == REQUEST_PENDING)
                        json_add_destinations(m, req, p);
        }
        json_add_bool(p, "created", a->created);
        if (a->limited) {
                json_add_bool(p, "rate_limited", true);
                json_add_int(p, "retry_after", a->retry_at);
        }
        return p;
}

struct json_object *request_filed_to_json(Manager *m, const RequestFiled *f, const char *extends) {
        struct json_object *p = json_object_new_object();

        if (!p)
                return NULL;
        if (f->granted) {
                json_add_string(p, "state", "approved");
                json_add_string(p, "grant_id", f->grant.id);
                json_add_int(p, "expires_at", f->grant.expires_at);
                json_add_string_optional(p, "request_id", f->grant.request_id);
                if (f->have_request)
                        json_add_string(p, "match_code", f->request.match_code);
                json_add_bool(p, "created", false);
                return p;
        }
        json_add_string(p, "request_id", f->request.id);
        json_add_string(p, "match_code", f->request.match_code);
        json_add_string(p, "state", "pending");
        json_add_int(p, "request_expires_at", f->request.expires_at);
        json_add_bool(p, "created", f->created);
        if (extends)
                json_add_string(p, "extends", extends);
        json_add_destinations(m, &f->request, p);
        return p;
}

struct json_object *approval_to_json(const DecisionResult *res, const char *approver, const char *person) {
        struct json_object *p = json_object_new_object();

        if (!p)
                return NULL;
        json_add_string(p, "request_id", res->request.id);
        json_add_string(p, "user", res->request.user);
        json_add_string(p, "action", jit_action_to_string(res->request.action));
        json_add_string(p, "approver", approver);
        json_add_string(p, "approver_person", person);
        if (res->outcome == DECISION_APPROVED) {
                json_add_string(p, "state", request_state_to_string(REQUEST_APPROVED));
                json_add_string(p, "grant_id", res->grant.id);
                json_add_int(p, "expires_at", res->grant.expires_at);
        } else
                /* Counted towards the quorum; the request stays pending. */
                json_add_string(p, "state", request_state_to_string(REQUEST_PENDING));
        if (res->approvals_needed > 1) {
                json_add_int(p, "approvals", res->approvals);
                json_add_int(p, "approvals_needed", res->approvals_needed);
        }
        return p;
}

/* ---- lists within one message ---- */

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

/* Member `key` of `p`: a new array `ctx` fills. */
static int list_begin(struct json_object *p, const char *key, ListContext *ctx) {
        ctx->array = json_object_new_array();
        return json_add(p, key, ctx->array);
}

int records_to_json(Manager *m, const char *user, bool want_requests, bool pending_only, bool want_grants,
                    bool active_only, unsigned limit, int64_t now, struct json_object **ret) {
        _cleanup_json_ struct json_object *p = json_object_new_object();
        size_t budget = REPLY_BUDGET;
        ListContext requests = { .budget = &budget }, grants = { .budget = &budget };
        int r;

        if (!p || list_begin(p, "requests", &requests) < 0 || list_begin(p, "grants", &grants) < 0)
                return -ENOMEM;

        if (want_grants) {
                r = store_list_grants(m->store, user, active_only, now, limit, list_grant_cb, &grants);
                if (r < 0)
                        return r;
        }
        if (want_requests) {
                r = store_list_requests(m->store, user, pending_only, now, limit, list_request_cb, &requests);
                if (r < 0)
                        return r;
        }
        if (requests.truncated || grants.truncated)
                json_add_bool(p, "truncated", true);

        *ret = TAKE_PTR(p);
        return 0;
}

int grant_with_sessions_to_json(Manager *m, const GrantRecord *g, struct json_object **ret) {
        _cleanup_json_ struct json_object *p = json_object_new_object();
        size_t budget = REPLY_BUDGET;
        ListContext sessions = { .budget = &budget };
        int r;

        /* "grant" first, then "sessions", as the reply always had them. */
        if (!p || json_add(p, "grant", grant_to_json(g)) < 0 || list_begin(p, "sessions", &sessions) < 0)
                return -ENOMEM;

        r = store_list_sessions(m->store, g->id, false, list_session_cb, &sessions);
        if (r < 0)
                return r;
        if (sessions.truncated)
                json_add_bool(p, "truncated", true);

        *ret = TAKE_PTR(p);
        return 0;
}
