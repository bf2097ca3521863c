/* io.jit parameters, declared in a table per method and checked before
 * any handler runs: type, size, and content (a user name, an action, an id
 * with its prefix, an integer range, a session id). Protocol side: only
 * methods.c uses it. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jitd.h"

typedef enum ParamKind {
        PARAM_KIND_STRING,     /* valid UTF-8, no control characters, at most max_size bytes */
        PARAM_KIND_USER,       /* a user name (jit_user_name_is_valid) */
        PARAM_KIND_ACTION,     /* "login", "sudo" */
        PARAM_KIND_ID,         /* a request or grant id; `prefix` 'r', 'g' or 0 for either */
        PARAM_KIND_INT,        /* an integer in [min, max] */
        PARAM_KIND_BOOL,       /* never required */
        PARAM_KIND_SESSION_ID, /* a logind session id (session_id_is_valid) */
} ParamKind;

typedef struct Param {
        const char *name;
        ParamKind kind;
        bool required;
        size_t max_size;  /* PARAM_KIND_STRING */
        char prefix;      /* PARAM_KIND_ID */
        int64_t min, max; /* PARAM_KIND_INT */
} Param;

#define PARAM_STRING(n, req, size) { .name = n, .kind = PARAM_KIND_STRING, .required = req, .max_size = size }
#define PARAM_USER(n, req) { .name = n, .kind = PARAM_KIND_USER, .required = req }
#define PARAM_ACTION(n, req) { .name = n, .kind = PARAM_KIND_ACTION, .required = req }
#define PARAM_ID(n, req, p) { .name = n, .kind = PARAM_KIND_ID, .required = req, .prefix = p }
#define PARAM_INT(n, req, lo, hi) { .name = n, .kind = PARAM_KIND_INT, .required = req, .min = lo, .max = hi }
#define PARAM_BOOL(n) { .name = n, .kind = PARAM_KIND_BOOL }
#define PARAM_SESSION_ID(n) { .name = n, .kind = PARAM_KIND_SESSION_ID, .required = true }

/* A parameter as parsed: absent strings are NULL, an absent action
 * _JIT_ACTION_INVALID, absent numbers 0 and booleans false. */
typedef struct Value {
        const char *s;
        int64_t i;
        bool b;
        JitAction action;
} Value;

/* Parse `n` parameters of `params` (the call's object) into ret[0..n-1],
 * in table order. 0, or -EINVAL with *ret_name the first bad parameter and
 * *ret_reason "missing" or "invalid". */
int params_parse(struct json_object *params, const Param *table, size_t n, Value *ret, const char **ret_name,
                 const char **ret_reason);
