/* The io.jit methods (doc/protocol.md): the protocol adapter. Who may call
 * what, parameter validation, one call into an action (access.h,
 * requests.h, decision.h, grants.h, sessions.h) and the reply. Only the
 * socket server (server.c) calls in here. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "jitd.h"
#include "server.h"
#include "store.h"

/* Handle one call. Always answers it (a reply or an error), possibly later
 * for a WaitDecision. `parameters` may be NULL. */
void methods_dispatch(Manager *m, Connection *c, const char *method, struct json_object *parameters, bool more);

