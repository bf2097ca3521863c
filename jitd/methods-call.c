/* The replies and caller checks every io.jit method shares
 * (methods-call.h). */

#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "log.h"
#include "methods-call.h"
#include "person.h"
#include "policy.h"
#include "store.h"

/* ---- replies; each returns 0 so a handler can "return reply_...()" ---- */

int reply(Call *call, struct json_object *parameters) {
        (void) connection_reply(call->c, parameters, false);
        return 0;
}

int reply_error(Call *call, const char *error, struct json_object *parameters) {
        (void) connection_reply_error(call->c, error, parameters);
        return 0;
}

/* {"key": value} for a one-member reply or error. */
struct json_object *one_string(const char *key, const char *value) {
        struct json_object *p = json_object_new_object();

        if (p)
                json_add_string(p, key, value);
        return p;
}

int reply_invalid_parameter(Call *call, const char *parameter, const char *reason) {
        struct json_object *p = one_string("parameter", parameter);

        if (p && reason)
                json_add_string(p, "reason", reason);
        return reply_error(call, JIT_ERROR_INVALID_PARAMETER, p);
}

int reply_permission_denied(Call *call, const char *reason) {
        struct json_object *p = json_object_new_object();

        if (p && reason)
                json_add_string(p, "reason", reason);
        return reply_error(call, JIT_ERROR_PERMISSION_DENIED, p);
}

int reply_not_found(Call *call, const char *id) {
        return reply_error(call, JIT_ERROR_NOT_FOUND, one_string("id", id));
}

int reply_conflict(Call *call, const char *state, const char *decided_by, int64_t expires_at) {
        struct json_object *p = one_string("state", state);

        if (p) {
                json_add_string_optional(p, "decided_by", decided_by);
                if (expires_at > 0)
                        json_add_int(p, "expires_at", expires_at);
        }
        return reply_error(call, JIT_ERROR_CONFLICT, p);
}

/* A grant that is no longer active: its state and who ended it. */
int reply_grant_conflict(Call *call, const char *grant_id) {
        GrantRecord g;

        if (store_get_grant(call->m->store, grant_id, &g) < 0)
                return reply_conflict(call, "unknown", NULL, 0);
        return reply_conflict(call, grant_state_to_string(g.state), g.ended_by, 0);
}

/* The caller's user has filed request_limit requests within
 * request_limit_interval: nothing was created; one more at `retry_at`. */
int reply_rate_limited(Call *call, int64_t retry_at) {
        struct json_object *p = json_object_new_object();

        if (p) {
                json_add_int(p, "limit", call->m->config.request_limit);
                json_add_int(p, "interval", (int64_t) call->m->config.request_limit_interval_sec);
                json_add_int(p, "retry_after", retry_at);
        }
        return reply_error(call, JIT_ERROR_RATE_LIMITED, p);
}

int reply_store_error(Call *call, int r) {
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
int reply_config_unavailable(Call *call) {
        log_debug("No configuration: answering %s.", JIT_ERROR_CONFIG_UNAVAILABLE);
        return reply_error(call, JIT_ERROR_CONFIG_UNAVAILABLE, NULL);
}

int reply_ignore(Call *call) {
        return reply(call, one_string("decision", "ignore"));
}

/* Parse `n` parameters into call->v[first...], in table order: the first
 * bad one is answered InvalidParameter and -EINVAL returned. */
int parse_params(Call *call, const Param *params, size_t n, size_t first) {
        const char *bad, *reason;

        if (first + n > PARAMS_MAX) { /* a table longer than Call.v: a bug here, not the caller's */
                (void) reply_error(call, JIT_ERROR_INVALID_PARAMETER, NULL);
                return -EINVAL;
        }
        if (params_parse(call->params, params, n, call->v + first, &bad, &reason) < 0) {
                reply_invalid_parameter(call, bad, reason);
                return -EINVAL;
        }
        return 0;
}

/* ---- who is calling ---- */

bool caller_is_root(Call *call) {
        return call->c->uid == 0;
}

bool caller_is_admin(Call *call) {
        return caller_is_root(call) || policy_peer_is_admin(&call->m->config, call->c->uid, call->c->gid);
}

const char *caller_name(Call *call) {
        return connection_user_name(call->c);
}

const char *caller_name_or_refuse(Call *call) {
        const char *name = caller_name(call);

        if (!name)
                (void) reply_permission_denied(call, "unknown-user");
        return name;
}

/* Whom the call counts as (person.h), NULL if no one is known. */
const char *caller_person(Call *call) {
        const char *person;

        (void) connection_person(call->c, &person);
        return person;
}

/* Approving and break-glass are one person's word: a caller must be one.
 * Root outside any login (a service, a timer, systemd-run) is no one, and
 * a vote from it would count for nobody's quorum and stop nobody's
 * self-approval; so is a caller jitd cannot tell. NULL and the reply sent
 * unless the caller is a person. */
const char *caller_person_or_refuse(Call *call, const char *what) {
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

int caller_is_person_or_refuse(Call *call, const char *what, const char **ret_name, const char **ret_person) {
        *ret_name = caller_name_or_refuse(call);
        if (!*ret_name)
                return -EPERM;
        *ret_person = caller_person_or_refuse(call, what);
        return *ret_person ? 0 : -EPERM;
}

/* uid 0 may name anyone; everyone else only themselves. */
bool caller_may_act_for(Call *call, const char *user) {
        return caller_is_root(call) || streq_ptr(caller_name(call), user);
}

/* Reading or waiting on what belongs to `user`: they, root, or an admin. */
bool caller_may_see(Call *call, const char *user) {
        return caller_may_act_for(call, user) || caller_is_admin(call);
}

