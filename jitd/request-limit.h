/* How many requests one user may file: at most [jitd] request_limit new
 * requests, of any action, in any window of request_limit_interval,
 * counted from the store (so a restart forgives nothing). A refusal
 * creates nothing, grants nothing, and is audited as request-refused:
 * the first refusal of a user, then at most one entry a minute per user
 * counting those in between, so a flood cannot flood the journal (whose
 * own rate limit would then drop other entries of jitd). */
#pragma once

#include <stdint.h>

#include "jit-protocol.h"
#include "jitd.h"

/* 0: `user` may file one more request now. -EDQUOT: not before
 * *ret_retry_at (wall clock). Other -errno: the store failed. */
int request_limit_check(Manager *m, const char *user, int64_t now, int64_t *ret_retry_at);

/* Audit one refused request (see above). */
void request_limit_audit_refusal(Manager *m, const char *user, JitAction action, const char *service,
                                 const char *rhost, const char *tty, int64_t retry_at);

void request_limiter_free(Manager *m);
