/* String forms of the protocol's enums. The strings are part of the wire
 * format (doc/protocol.md) and of the audit log, so they never change. */
#include "jit-protocol.h"
#include "macros.h"

static const char *const jit_action_table[_JIT_ACTION_MAX] = {
        [JIT_ACTION_LOGIN] = "login",
        [JIT_ACTION_SUDO] = "sudo",
};

DEFINE_STRING_TABLE(, jit_action, JitAction, _JIT_ACTION_INVALID);
