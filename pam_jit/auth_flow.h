/* The auth phase: the interactive companion of the account gate. */
#pragma once

#include "decision.h"
#include "pam_jit.h"

/* Check; if there is no live grant, ask for a reason, send a Request, show
 * its id and match code, and wait up to wait= seconds for the decision.
 * *ret_detail is a short static note for the log line ("" if none). */
JitResult auth_flow_run(const PamJitContext *ctx, JitdAnswer *answer, const char **ret_detail);
