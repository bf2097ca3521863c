/* The io.jit methods (doc/protocol.md): who may call what, parameter
 * validation, and the decisions, on top of policy.c and store.c. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "jitd.h"
#include "server.h"
#include "store.h"

/* Handle one call. Always answers it (a reply or an error), possibly later
 * for a WaitDecision. `parameters` may be NULL. */
void methods_dispatch(Manager *m, Connection *c, const char *method, struct json_object *parameters, bool more);

/* A request left the pending state (approved, denied, expired, cancelled):
 * send the final reply to everyone waiting on it. `grant` (may be NULL) is
 * the grant an approval created; it is looked up if needed. */
void methods_notify_decision(Manager *m, const RequestRecord *r, const GrantRecord *grant);
