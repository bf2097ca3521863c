/* String forms of the protocol's enums. The strings are part of the wire
 * format (doc/protocol.md) and of the audit log, so they never change. */
#include <string.h>

#include "jit-protocol.h"
#include "macros.h"

static const char *const action_table[_JIT_ACTION_MAX] = {
        [JIT_ACTION_LOGIN] = "login",
        [JIT_ACTION_SUDO] = "sudo",
};

const char *jit_action_to_string(JitAction a) {
        if (a < 0 || a >= _JIT_ACTION_MAX)
                return NULL;
        return action_table[a];
}

JitAction jit_action_from_string(const char *s) {
        if (!s)
                return _JIT_ACTION_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(action_table); i++)
                if (strcmp(s, action_table[i]) == 0)
                        return (JitAction) i;
        return _JIT_ACTION_INVALID;
}
