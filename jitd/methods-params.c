/* Checking io.jit parameters against a method's table (methods-params.h).
 * What comes in is a possibly hostile local user's: varlink.c checks type,
 * UTF-8 and size; this adds what each kind of value must look like. */

#include <errno.h>

#include "methods-params.h"
#include "sessions.h"
#include "text.h"
#include "varlink.h"

#define ACTION_NAME_MAX 16

static int parse_string(struct json_object *params, const Param *p, size_t max_size, Value *v) {
        int r = varlink_param_string(params, p->name, p->required, max_size, &v->s);

        if (r < 0)
                return r;
        if (r == 0)
                v->s = NULL;
        return r;
}

/* 0, or -ENOENT (missing) / -EINVAL (invalid). */
static int parse_one(struct json_object *params, const Param *p, Value *v) {
        int r;

        *v = (Value) { .action = _JIT_ACTION_INVALID };
        switch (p->kind) {
        case PARAM_KIND_STRING:
                return parse_string(params, p, p->max_size, v);
        case PARAM_KIND_USER:
                r = parse_string(params, p, JIT_USER_MAX, v);
                return r > 0 && !jit_user_name_is_valid(v->s) ? -EINVAL : r;
        case PARAM_KIND_ACTION:
                r = parse_string(params, p, ACTION_NAME_MAX, v);
                if (r <= 0)
                        return r;
                v->action = jit_action_from_string(v->s);
                return v->action < 0 || v->action >= _JIT_ACTION_MAX ? -EINVAL : r;
        case PARAM_KIND_ID:
                r = parse_string(params, p, JIT_ID_MAX - 1, v);
                return r > 0 && !jit_id_is_valid(v->s, p->prefix) ? -EINVAL : r;
        case PARAM_KIND_INT:
                r = varlink_param_int(params, p->name, p->required, p->min, p->max, &v->i);
                if (r == 0)
                        v->i = 0;
                return r;
        case PARAM_KIND_BOOL:
                r = varlink_param_bool(params, p->name, false, &v->b);
                if (r < 0)
                        return -EINVAL; /* "invalid", never "missing" */
                if (r == 0)
                        v->b = false;
                return r;
        case PARAM_KIND_SESSION_ID:
                r = parse_string(params, p, JIT_SESSION_MAX, v);
                return r > 0 && !session_id_is_valid(v->s) ? -EINVAL : r;
        }
        return -EINVAL;
}

int params_parse(struct json_object *params, const Param *table, size_t n, Value *ret, const char **ret_name,
                 const char **ret_reason) {
        for (size_t i = 0; i < n; i++) {
                int r = parse_one(params, &table[i], &ret[i]);

                if (r < 0) {
                        *ret_name = table[i].name;
                        *ret_reason = r == -ENOENT ? "missing" : "invalid";
                        return -EINVAL;
                }
        }
        return 0;
}
