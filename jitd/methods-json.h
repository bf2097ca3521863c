/* The io.jit reply shapes built from records (doc/protocol.md): a request,
 * a grant, a session, a request's final state for WaitDecision, where a
 * request is announced, and the request/grant lists of Status and List.
 * Protocol side: only methods.c uses these. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "access.h"
#include "decision.h"
#include "jitd.h"
#include "requests.h"
#include "store.h"

/* Status/List/Show replies must fit in one message a client accepts; what
 * does not fit is left out and "truncated":true says so. */
#define REPLY_BUDGET (JIT_MESSAGE_SIZE_MAX - 4096U)

struct json_object *request_to_json(const RequestRecord *r);
struct json_object *grant_to_json(const GrantRecord *g);
struct json_object *session_to_json(const SessionRecord *s);

/* The parameters of a request's state for WaitDecision: its final state,
 * or while pending its match code and deadline. `grant` (may be NULL): the
 * grant an approval created, looked up if needed. */
struct json_object *decision_to_json(Manager *m, const RequestRecord *r, const GrantRecord *grant);

/* Add "endpoints" and "approvers": where pending request `r` is announced. */
void json_add_destinations(Manager *m, const RequestRecord *r, struct json_object *p);

/* Check's NoGrant parameters: where the user stands. */
struct json_object *no_grant_to_json(Manager *m, const AccessResult *a);
/* Request's reply: the live grant, or the pending request and where it is
 * announced. `extends`: the grant the call named, echoed. */
struct json_object *request_filed_to_json(Manager *m, const RequestFiled *f, const char *extends);
/* Approve's reply: the vote, and the grant once the quorum is reached. */
struct json_object *approval_to_json(const DecisionResult *res, const char *approver, const char *person);

/* {"requests": [...], "grants": [...]} of `user` (NULL: everyone), each
 * list wanted or empty, at most `limit` each, within REPLY_BUDGET. */
int records_to_json(Manager *m, const char *user, bool want_requests, bool pending_only, bool want_grants,
                    bool active_only, unsigned limit, int64_t now, struct json_object **ret);
/* {"grant": {...}, "sessions": [...]} of grant `g`. */
int grant_with_sessions_to_json(Manager *m, const GrantRecord *g, struct json_object **ret);
