/* The io.jit parameter tables (jitd/methods-params.c): each kind of value
 * is checked for what it must look like, absent values read as their
 * defaults, and the first bad parameter in table order is named with
 * "missing" or "invalid", as methods.c answers InvalidParameter. */

#include <errno.h>

#include <json-c/json.h>

#include "methods-params.h"
#include "test.h"

enum { P_USER, P_ACTION, P_ID, P_INT, P_BOOL, P_SESSION, P_STRING };
static const Param table[] = {
        [P_USER] = PARAM_USER("user", true),
        [P_ACTION] = PARAM_ACTION("action", false),
        [P_ID] = PARAM_ID("id", false, 'r'),
        [P_INT] = PARAM_INT("n", false, 1, 10),
        [P_BOOL] = PARAM_BOOL("b"),
        [P_SESSION] = PARAM_SESSION_ID("session_id"),
        [P_STRING] = PARAM_STRING("s", false, 4),
};

/* Parse `json` against the table: 0, or -EINVAL with the bad name/reason. */
static int parse(const char *json, Value *v, const char **bad, const char **reason) {
        struct json_object *o = json_tokener_parse(json);
        int r;

        *bad = *reason = NULL;
        r = params_parse(o, table, sizeof(table) / sizeof(table[0]), v, bad, reason);
        json_object_put(o);
        return r;
}

static void check_refused(const char *json, const char *name, const char *why) {
        Value v[8];
        const char *bad, *reason;

        CHECK_INT(parse(json, v, &bad, &reason), -EINVAL);
        CHECK_STR(bad, name);
        CHECK_STR(reason, why);
}

int main(void) {
        Value v[8];
        const char *bad, *reason;

        /* Everything present and well-formed. */
        struct json_object *o = json_tokener_parse(
                "{\"user\":\"alice\",\"action\":\"sudo\",\"id\":\"r0123456789abcdef\",\"n\":3,\"b\":true,"
                "\"session_id\":\"c12\",\"s\":\"abcd\"}");
        CHECK_INT(params_parse(o, table, 7, v, &bad, &reason), 0);
        CHECK_STR(v[P_USER].s, "alice");
        CHECK_INT(v[P_ACTION].action, JIT_ACTION_SUDO);
        CHECK_INT(v[P_INT].i, 3);
        CHECK(v[P_BOOL].b);
        CHECK_STR(v[P_SESSION].s, "c12");
        json_object_put(o);

        /* Absent optional ones read as their defaults. */
        CHECK_INT(parse("{\"user\":\"bob\",\"session_id\":\"1\"}", v, &bad, &reason), 0);
        CHECK(!v[P_ACTION].s);
        CHECK_INT(v[P_ACTION].action, _JIT_ACTION_INVALID);
        CHECK(!v[P_ID].s);
        CHECK_INT(v[P_INT].i, 0);
        CHECK(!v[P_BOOL].b);
        CHECK(!v[P_STRING].s);

        /* The first bad one in table order is named. */
        check_refused("{\"session_id\":\"1\"}", "user", "missing");
        check_refused("{\"user\":\"-x\",\"session_id\":\"1\"}", "user", "invalid");
        check_refused("{\"user\":\"a\",\"action\":\"reboot\",\"session_id\":\"1\"}", "action", "invalid");
        check_refused("{\"user\":\"a\",\"id\":\"g0123456789abcdef\",\"session_id\":\"1\"}", "id", "invalid");
        check_refused("{\"user\":\"a\",\"n\":11,\"session_id\":\"1\"}", "n", "invalid");
        check_refused("{\"user\":\"a\",\"n\":\"3\",\"session_id\":\"1\"}", "n", "invalid");
        check_refused("{\"user\":\"a\",\"b\":1,\"session_id\":\"1\"}", "b", "invalid");
        check_refused("{\"user\":\"a\"}", "session_id", "missing");
        check_refused("{\"user\":\"a\",\"session_id\":\"1;rm\"}", "session_id", "invalid");
        check_refused("{\"user\":\"a\",\"session_id\":\"1\",\"s\":\"abcde\"}", "s", "invalid");
        check_refused("{\"user\":\"a\",\"action\":\"nope\",\"session_id\":\"\"}", "action", "invalid");

        return test_failures ? 1 : 0;
}
