/* A call being answered (methods.c): its parameters as parsed, the
 * replies every method shares (errors in the shapes doc/protocol.md gives
 * them), and who is calling: root, an admin, a person (person.h). Protocol
 * side: only methods.c uses it. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "jitd.h"
#include "methods-params.h"
#include "server.h"

#define PARAMS_MAX 8 /* the longest parameter table, and OpenSession's session_id */

typedef struct Call {
        Manager *m;
        Connection *c;
        struct json_object *params;
        bool more;
        int64_t now;
        Value v[PARAMS_MAX]; /* in the order of the method's parameter table */
} Call;

static inline bool streq_ptr(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static inline bool isempty(const char *s) {
        return !s || !*s;
}

/* {"key": value}, for a one-member reply or error. */
struct json_object *one_string(const char *key, const char *value);

/* Replies; each returns 0 so a handler can "return reply_...()". */
int reply(Call *call, struct json_object *parameters);
int reply_error(Call *call, const char *error, struct json_object *parameters);
int reply_invalid_parameter(Call *call, const char *parameter, const char *reason);
int reply_permission_denied(Call *call, const char *reason);
int reply_not_found(Call *call, const char *id);
int reply_conflict(Call *call, const char *state, const char *decided_by, int64_t expires_at);
/* A grant no longer active: its state and who ended it. */
int reply_grant_conflict(Call *call, const char *grant_id);
/* Filing was refused by the request limit: one more at `retry_at`. */
int reply_rate_limited(Call *call, int64_t retry_at);
int reply_store_error(Call *call, int r);
/* A covered user while jitd lacks the admin's configuration. */
int reply_config_unavailable(Call *call);
/* {"decision": "ignore"}: the policy does not gate this user. */
int reply_ignore(Call *call);

/* Parse `n` parameters into call->v[first...], in table order: the first
 * bad one is answered InvalidParameter and -EINVAL returned. */
int parse_params(Call *call, const Param *params, size_t n, size_t first);

/* Who is calling. */
bool caller_is_root(Call *call);
bool caller_is_admin(Call *call);
const char *caller_name(Call *call);
/* The caller's user name; NULL and answered PermissionDenied
 * "unknown-user" if NSS has none. */
const char *caller_name_or_refuse(Call *call);
const char *caller_person(Call *call);
/* The person behind the caller; NULL and answered PermissionDenied if
 * there is none (root outside a login) or jitd cannot tell. */
const char *caller_person_or_refuse(Call *call, const char *what);
/* Both: the caller's user name and the person behind it, for `what` (an
 * approval, a break-glass grant); <0 and answered if either is missing. */
int caller_is_person_or_refuse(Call *call, const char *what, const char **ret_name, const char **ret_person);
/* uid 0 may name anyone; everyone else only themselves. */
bool caller_may_act_for(Call *call, const char *user);
/* What belongs to `user`: they, root, or an admin. */
bool caller_may_see(Call *call, const char *user);
