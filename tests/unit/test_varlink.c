/* Tests for common/varlink.c: the codec every byte from the jitd socket goes
 * through. Malformed, oversized, deep or oddly framed input must be refused
 * whole, and well-formed input must survive any split into reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jit-protocol.h"
#include "json-util.h"
#include "test.h"
#include "varlink.h"

static int parse(const char *s) {
        _cleanup_json_ struct json_object *o = NULL;

        return varlink_message_parse(s, strlen(s), &o);
}

/* {"a":[[...[1]...]]} with `levels` nested containers in total. */
static char *nested(int levels) {
        static char buf[256];
        size_t n = 0;

        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
        for (int i = 1; i < levels; i++)
                buf[n++] = '[';
        buf[n++] = '1';
        for (int i = 1; i < levels; i++)
                buf[n++] = ']';
        buf[n++] = '}';
        buf[n] = 0;
        return buf;
}

static void test_message_parse(void) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *big = NULL;
        const char *nul_inside = "{\"a\":1}\0{}";
        size_t n;

        CHECK_INT(parse("{}"), 0);
        CHECK_INT(parse("{\"method\":\"io.jit.Check\",\"parameters\":{\"user\":\"alice\"}}"), 0);
        CHECK_INT(parse("{} \n"), 0); /* still one JSON text */
        CHECK_INT(parse(" {}"), 0);

        /* Not an object at the top. */
        CHECK_INT(parse("[]"), -EBADMSG);
        CHECK_INT(parse("1"), -EBADMSG);
        CHECK_INT(parse("\"io.jit.Check\""), -EBADMSG);
        CHECK_INT(parse("null"), -EBADMSG);
        CHECK_INT(parse("true"), -EBADMSG);
        CHECK_INT(parse(""), -EBADMSG);
        CHECK_INT(parse("   "), -EBADMSG);

        /* Malformed. */
        CHECK_INT(parse("{"), -EBADMSG);
        CHECK_INT(parse("{\"a\":1"), -EBADMSG);
        CHECK_INT(parse("{\"a\":}"), -EBADMSG);
        CHECK_INT(parse("{\"a\" 1}"), -EBADMSG);
        CHECK_INT(parse("{\"a\":1,}"), -EBADMSG);
        CHECK_INT(parse("{a:1}"), -EBADMSG);
        CHECK_INT(parse("{\"a\":\"unterminated}"), -EBADMSG);
        CHECK_INT(parse("{\"a\":tru}"), -EBADMSG);

        /* Trailing garbage and second values. */
        CHECK_INT(parse("{}x"), -EBADMSG);
        CHECK_INT(parse("{}{}"), -EBADMSG);
        CHECK_INT(parse("{} {\"method\":\"io.jit.Grant\"}"), -EBADMSG);
        CHECK_INT(parse("{}]"), -EBADMSG);

        /* Invalid UTF-8 inside a string. */
        CHECK_INT(parse("{\"a\":\"\xff\"}"), -EBADMSG);
        CHECK_INT(parse("{\"a\":\"\xc0\xaf\"}"), -EBADMSG);

        /* An embedded NUL is framing abuse, even with a valid object before it. */
        CHECK_INT(varlink_message_parse(nul_inside, 10, &o), -EBADMSG);
        CHECK(o == NULL);

        /* Depth: 8 nested containers are fine, 9 are refused. */
        CHECK_INT(parse(nested(1)), 0);
        CHECK_INT(parse(nested(JIT_JSON_DEPTH_MAX)), 0);
        CHECK_INT(parse(nested(JIT_JSON_DEPTH_MAX + 1)), -EBADMSG);
        CHECK_INT(parse(nested(40)), -EBADMSG);
        CHECK_INT(parse("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}"), 0);
        CHECK_INT(parse("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}"), -EBADMSG);

        /* Size: exactly the maximum is fine, one more byte is refused unread. */
        big = malloc(JIT_MESSAGE_SIZE_MAX + 2);
        CHECK(big);
        if (!big)
                return;
        n = JIT_MESSAGE_SIZE_MAX;
        memcpy(big, "{\"a\":\"", 6);
        memset(big + 6, 'x', n - 8);
        memcpy(big + n - 2, "\"}", 2);
        big[n] = 0;
        CHECK_INT(varlink_message_parse(big, n, &o), 0);
        json_object_put(TAKE_PTR(o));
        big[n - 2] = 'x';
        memcpy(big + n - 1, "\"}", 2);
        big[n + 1] = 0;
        CHECK_INT(varlink_message_parse(big, n + 1, &o), -EMSGSIZE);
        CHECK(o == NULL);
}

static void test_message_format(void) {
        _cleanup_json_ struct json_object *call = NULL, *reply = NULL, *err = NULL, *back = NULL;
        _cleanup_json_ struct json_object *huge = NULL;
        _cleanup_free_ char *s = NULL;
        _cleanup_free_ char *filler = NULL;
        struct json_object *p;
        size_t size = 0;

        p = json_object_new_object();
        json_object_object_add(p, "user", json_object_new_string("alice"));
        call = varlink_call_new(JIT_METHOD_CHECK, p, false);
        CHECK(call);
        CHECK_INT(varlink_message_format(call, &s, &size), 0);
        CHECK_STR(s, "{\"method\":\"io.jit.Check\",\"parameters\":{\"user\":\"alice\",\"protocol\":1}}");
        CHECK_INT(size, strlen(s) + 1);
        CHECK(s[size - 1] == 0);

        /* Round trip through the parser. */
        CHECK_INT(varlink_message_parse(s, size - 1, &back), 0);
        {
                const char *method = NULL;
                struct json_object *params = NULL;
                bool more = true;
                const char *user = NULL;

                CHECK_INT(varlink_call_parse(back, &method, &params, &more), 0);
                CHECK_STR(method, "io.jit.Check");
                CHECK(!more);
                CHECK_INT(varlink_check_protocol(params), 0);
                CHECK_INT(varlink_param_string(params, "user", true, JIT_USER_MAX, &user), 1);
                CHECK_STR(user, "alice");
        }
        free(TAKE_PTR(s));
        json_object_put(TAKE_PTR(call));

        /* "more" only when asked for; an existing protocol is not overwritten. */
        p = json_object_new_object();
        json_object_object_add(p, "protocol", json_object_new_int(7));
        call = varlink_call_new(JIT_METHOD_WAIT_DECISION, p, true);
        CHECK_INT(varlink_message_format(call, &s, &size), 0);
        CHECK_STR(s, "{\"method\":\"io.jit.WaitDecision\",\"parameters\":{\"protocol\":7},\"more\":true}");
        free(TAKE_PTR(s));

        reply = varlink_reply_new(NULL, false);
        CHECK_INT(varlink_message_format(reply, &s, &size), 0);
        CHECK_STR(s, "{\"parameters\":{\"protocol\":1}}");
        free(TAKE_PTR(s));
        json_object_put(TAKE_PTR(reply));
        reply = varlink_reply_new(NULL, true);
        CHECK_INT(varlink_message_format(reply, &s, &size), 0);
        CHECK_STR(s, "{\"parameters\":{\"protocol\":1},\"continues\":true}");
        free(TAKE_PTR(s));

        err = varlink_error_new(JIT_ERROR_NOT_FOUND, NULL);
        CHECK_INT(varlink_message_format(err, &s, &size), 0);
        CHECK_STR(s, "{\"error\":\"io.jit.NotFound\",\"parameters\":{\"protocol\":1}}");
        free(TAKE_PTR(s));

        /* Bad names and non-object parameters are refused by the builders. */
        CHECK(varlink_call_new("", NULL, false) == NULL);
        CHECK(varlink_call_new("no dots", NULL, false) == NULL);
        CHECK(varlink_error_new("io.jit.\nInjected", NULL) == NULL);
        CHECK(varlink_reply_new(json_object_new_int(1), false) == NULL);

        /* We never send what the peer must refuse. */
        filler = malloc(JIT_MESSAGE_SIZE_MAX + 1);
        if (filler) {
                memset(filler, 'x', JIT_MESSAGE_SIZE_MAX);
                filler[JIT_MESSAGE_SIZE_MAX] = 0;
                p = json_object_new_object();
                json_object_object_add(p, "reason", json_object_new_string(filler));
                huge = varlink_reply_new(p, false);
                CHECK_INT(varlink_message_format(huge, &s, &size), -EMSGSIZE);
                CHECK(s == NULL);
        }
}

static int call_parse_str(const char *json, const char **ret_method, bool *ret_more) {
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *params = NULL;
        int r;

        r = varlink_message_parse(json, strlen(json), &o);
        if (r < 0)
                return r;
        r = varlink_call_parse(o, ret_method, &params, ret_more);
        if (ret_method)
                *ret_method = NULL; /* points into o, freed here */
        return r;
}

static int reply_parse_str(const char *json, bool *ret_continues, bool *ret_is_error) {
        _cleanup_json_ struct json_object *o = NULL;
        const char *error = NULL;
        int r;

        r = varlink_message_parse(json, strlen(json), &o);
        if (r < 0)
                return r;
        r = varlink_reply_parse(o, &error, NULL, ret_continues);
        if (ret_is_error)
                *ret_is_error = error != NULL;
        return r;
}

static void test_call_reply_parse(void) {
        bool more = false, cont = false, is_error = false;
        const char *method;

        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Status\"}", &method, &more), 0);
        CHECK(!more);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.WaitDecision\",\"parameters\":{},\"more\":true}",
                                 &method, &more),
                  0);
        CHECK(more);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Status\",\"parameters\":null}", &method, &more), 0);

        CHECK_INT(call_parse_str("{}", &method, &more), -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":1}", &method, &more), -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"\"}", &method, &more), -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\\u0000x\"}", &method, &more), -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\",\"parameters\":[]}", &method, &more),
                  -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\",\"parameters\":\"x\"}", &method, &more),
                  -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\",\"more\":\"yes\"}", &method, &more),
                  -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\",\"more\":1}", &method, &more), -EBADMSG);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\",\"oneway\":true}", &method, &more),
                  -EOPNOTSUPP);
        CHECK_INT(call_parse_str("{\"method\":\"io.jit.Check\",\"oneway\":false}", &method, &more), 0);

        CHECK_INT(reply_parse_str("{\"parameters\":{\"protocol\":1}}", &cont, &is_error), 0);
        CHECK(!cont && !is_error);
        CHECK_INT(reply_parse_str("{\"parameters\":{},\"continues\":true}", &cont, &is_error), 0);
        CHECK(cont && !is_error);
        CHECK_INT(reply_parse_str("{\"error\":\"io.jit.NoGrant\",\"parameters\":{}}", &cont, &is_error), 0);
        CHECK(!cont && is_error);
        CHECK_INT(reply_parse_str("{\"error\":\"org.varlink.service.MethodNotFound\"}", &cont, &is_error),
                  0);
        CHECK(is_error);
        CHECK_INT(reply_parse_str("{\"error\":5}", &cont, &is_error), -EBADMSG);
        CHECK_INT(reply_parse_str("{\"error\":\"io.jit.NoGrant\",\"continues\":true}", &cont, &is_error),
                  -EBADMSG);
        CHECK_INT(reply_parse_str("{\"parameters\":7}", &cont, &is_error), -EBADMSG);
        CHECK_INT(reply_parse_str("{\"continues\":\"true\"}", &cont, &is_error), -EBADMSG);
}

static struct json_object *params_of(const char *json) {
        struct json_object *o = NULL;

        CHECK_INT(varlink_message_parse(json, strlen(json), &o), 0);
        return o;
}

static void test_params(void) {
        _cleanup_json_ struct json_object *p = params_of(
                "{\"user\":\"alice\",\"n\":5,\"neg\":-3,\"s5\":\"5\",\"d\":5.0,\"b\":true,\"nul\":null,"
                "\"ctl\":\"a\\nb\",\"esc\":\"\\u001b[2J\",\"zero\":\"ab\\u0000cd\","
                "\"big\":99999999999999999999,"
                "\"small\":-99999999999999999999,\"max\":9223372036854775807,\"long\":\"abcdefghij\","
                "\"arr\":[1],\"obj\":{},\"bidi\":\"\\u202e\"}");
        const char *s = "untouched";
        int64_t i = 4242;
        bool b = false;

        /* Strings. */
        CHECK_INT(varlink_param_string(p, "user", true, JIT_USER_MAX, &s), 1);
        CHECK_STR(s, "alice");
        s = "untouched";
        CHECK_INT(varlink_param_string(p, "absent", true, 64, &s), -ENOENT);
        CHECK_INT(varlink_param_string(p, "absent", false, 64, &s), 0);
        CHECK_INT(varlink_param_string(p, "nul", true, 64, &s), -ENOENT); /* null is absent */
        CHECK_INT(varlink_param_string(p, "nul", false, 64, &s), 0);
        CHECK_INT(varlink_param_string(p, "n", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "b", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "arr", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "obj", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "ctl", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "esc", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "zero", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "bidi", true, 64, &s), -EINVAL);
        CHECK_INT(varlink_param_string(p, "long", true, 10, &s), 1);
        CHECK_INT(varlink_param_string(p, "long", true, 9, &s), -EINVAL);
        CHECK_STR(s, "abcdefghij");
        CHECK_INT(varlink_param_string(NULL, "user", true, 64, &s), -ENOENT);

        /* Integers: JSON integers only, bounds inclusive. */
        CHECK_INT(varlink_param_int(p, "n", true, 1, 10, &i), 1);
        CHECK_INT(i, 5);
        i = 4242;
        CHECK_INT(varlink_param_int(p, "n", true, 5, 5, &i), 1);
        CHECK_INT(varlink_param_int(p, "n", true, 6, 10, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "n", true, 0, 4, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "neg", true, 0, 10, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "neg", true, -10, 10, &i), 1);
        CHECK_INT(i, -3);
        i = 4242;
        CHECK_INT(varlink_param_int(p, "s5", true, 0, 10, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "d", true, 0, 10, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "b", true, 0, 10, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "big", true, INT64_MIN, INT64_MAX, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "small", true, INT64_MIN, INT64_MAX, &i), -EINVAL);
        CHECK_INT(varlink_param_int(p, "absent", true, 0, 10, &i), -ENOENT);
        CHECK_INT(varlink_param_int(p, "absent", false, 0, 10, &i), 0);
        CHECK_INT(i, 4242);
        CHECK_INT(varlink_param_int(p, "max", true, INT64_MIN, INT64_MAX, &i), 1);
        CHECK(i == INT64_MAX);

        /* Booleans. */
        CHECK_INT(varlink_param_bool(p, "b", true, &b), 1);
        CHECK(b);
        CHECK_INT(varlink_param_bool(p, "n", true, &b), -EINVAL);
        CHECK_INT(varlink_param_bool(p, "s5", true, &b), -EINVAL);
        CHECK_INT(varlink_param_bool(p, "absent", true, &b), -ENOENT);
        CHECK_INT(varlink_param_bool(p, "absent", false, &b), 0);
}

static void test_check_protocol(void) {
        _cleanup_json_ struct json_object *ok = params_of("{\"protocol\":1}");
        _cleanup_json_ struct json_object *v2 = params_of("{\"protocol\":2}");
        _cleanup_json_ struct json_object *str = params_of("{\"protocol\":\"1\"}");
        _cleanup_json_ struct json_object *dbl = params_of("{\"protocol\":1.0}");
        _cleanup_json_ struct json_object *none = params_of("{}");

        CHECK_INT(varlink_check_protocol(ok), 0);
        CHECK_INT(varlink_check_protocol(v2), -EPROTO);
        CHECK_INT(varlink_check_protocol(str), -EPROTO);
        CHECK_INT(varlink_check_protocol(dbl), -EPROTO);
        CHECK_INT(varlink_check_protocol(none), -EPROTO);
        CHECK_INT(varlink_check_protocol(NULL), -EPROTO);
}

/* Pop one message and return its "n" member, or a negative error. */
static int pop_n(VarlinkFrameBuffer *b) {
        _cleanup_json_ struct json_object *o = NULL;
        int64_t n = -1;
        int r;

        r = varlink_frame_buffer_pop(b, &o);
        if (r <= 0)
                return r < 0 ? r : -EAGAIN;
        if (varlink_param_int(o, "n", true, 0, 1000, &n) != 1)
                return -EINVAL;
        return (int) n;
}

static void test_frame_buffer(void) {
        static const char two[] = "{\"n\":1}\0{\"n\":2}\0";
        VarlinkFrameBuffer b;
        _cleanup_free_ char *big = NULL;
        struct json_object *o = NULL;

        /* Two messages in one read. */
        varlink_frame_buffer_init(&b);
        CHECK_INT(b.max, JIT_MESSAGE_SIZE_MAX);
        CHECK_INT(varlink_frame_buffer_pop(&b, &o), 0);
        CHECK_INT(varlink_frame_buffer_append(&b, two, sizeof(two) - 1), 0);
        CHECK_INT(pop_n(&b), 1);
        CHECK_INT(pop_n(&b), 2);
        CHECK_INT(varlink_frame_buffer_pop(&b, &o), 0);
        CHECK(o == NULL);
        CHECK_INT(b.size, 0);

        /* The same two messages one byte at a time: nothing pops before a NUL. */
        for (size_t i = 0; i < sizeof(two) - 1; i++) {
                CHECK_INT(varlink_frame_buffer_append(&b, two + i, 1), 0);
                if (i == 7)
                        CHECK_INT(pop_n(&b), 1);
                else if (i == 15)
                        CHECK_INT(pop_n(&b), 2);
                else
                        CHECK_INT(varlink_frame_buffer_pop(&b, &o), 0);
        }

        /* A message and a half, then the rest. */
        CHECK_INT(varlink_frame_buffer_append(&b, two, 12), 0);
        CHECK_INT(pop_n(&b), 1);
        CHECK_INT(varlink_frame_buffer_pop(&b, &o), 0);
        CHECK_INT(varlink_frame_buffer_append(&b, two + 12, sizeof(two) - 1 - 12), 0);
        CHECK_INT(pop_n(&b), 2);

        /* A bad message is reported, dropped, and does not eat the next one. */
        CHECK_INT(varlink_frame_buffer_append(&b, "[1]\0{\"n\":3}\0", 12), 0);
        CHECK_INT(pop_n(&b), -EBADMSG);
        CHECK_INT(pop_n(&b), 3);
        varlink_frame_buffer_done(&b);

        /* An unterminated message is refused as soon as it passes the max,
         * whether it arrives in one piece or many. */
        big = malloc(JIT_MESSAGE_SIZE_MAX + 16);
        if (!big)
                return;
        memset(big, ' ', JIT_MESSAGE_SIZE_MAX + 16);
        varlink_frame_buffer_init(&b);
        CHECK_INT(varlink_frame_buffer_append(&b, big, JIT_MESSAGE_SIZE_MAX + 1), -EMSGSIZE);
        CHECK_INT(b.size, 0);
        for (size_t i = 0; i < JIT_MESSAGE_SIZE_MAX; i += 4096)
                CHECK_INT(varlink_frame_buffer_append(&b, big, 4096), 0);
        CHECK_INT(varlink_frame_buffer_append(&b, big, 1), -EMSGSIZE);
        varlink_frame_buffer_done(&b);

        /* Complete but oversized in one append: refused too. */
        varlink_frame_buffer_init(&b);
        big[JIT_MESSAGE_SIZE_MAX + 1] = 0;
        CHECK_INT(varlink_frame_buffer_append(&b, big, JIT_MESSAGE_SIZE_MAX + 2), -EMSGSIZE);
        /* Exactly the maximum is fine. */
        memcpy(big, "{}", 2);
        big[JIT_MESSAGE_SIZE_MAX] = 0;
        CHECK_INT(varlink_frame_buffer_append(&b, big, JIT_MESSAGE_SIZE_MAX + 1), 0);
        CHECK_INT(varlink_frame_buffer_pop(&b, &o), 1);
        json_object_put(TAKE_PTR(o));
        varlink_frame_buffer_done(&b);

        /* A smaller max, as a server may set for unauthenticated peers. */
        varlink_frame_buffer_init(&b);
        b.max = 16;
        CHECK_INT(varlink_frame_buffer_append(&b, "{\"n\":1234567890}", 16), 0);
        CHECK_INT(varlink_frame_buffer_append(&b, "\0", 1), 0);
        CHECK_INT(varlink_frame_buffer_append(&b, "{\"n\":12345678901}", 17), -EMSGSIZE);
        varlink_frame_buffer_done(&b);
        varlink_frame_buffer_done(&b); /* idempotent */
}

static void test_frame_buffer_read(void) {
        VarlinkFrameBuffer b;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0) {
                CHECK(!"socketpair");
                return;
        }
        varlink_frame_buffer_init(&b);

        CHECK_INT(varlink_frame_buffer_read(&b, sv[0]), -EAGAIN);
        CHECK_INT(write(sv[1], "{\"n\":7}\0{\"n\"", 12), 12);
        CHECK_INT(varlink_frame_buffer_read(&b, sv[0]), 12);
        CHECK_INT(pop_n(&b), 7);
        CHECK_INT(pop_n(&b), -EAGAIN);
        CHECK_INT(write(sv[1], ":8}", 4), 4); /* includes the NUL of the literal */
        CHECK_INT(varlink_frame_buffer_read(&b, sv[0]), 4);
        CHECK_INT(pop_n(&b), 8);
        close(sv[1]);
        CHECK_INT(varlink_frame_buffer_read(&b, sv[0]), 0); /* EOF */
        close(sv[0]);
        varlink_frame_buffer_done(&b);
}

/* common/json-util.c: the three ways of adding a string, and typed reads. */
static void test_json_util(void) {
        _cleanup_json_ struct json_object *o = json_object_new_object();

        CHECK(o != NULL);
        CHECK_INT(json_add_string(o, "a", NULL), 0);
        CHECK_INT(json_add_string_nonnull(o, "b", NULL), 0);
        CHECK_INT(json_add_string_nonnull(o, "c", ""), 0);
        CHECK_INT(json_add_string_optional(o, "d", ""), 0);
        CHECK_INT(json_add_string_optional(o, "e", "x"), 0);
        CHECK_INT(json_add_int(o, "f", 7), 0);
        CHECK_INT(json_add(o, "g", NULL), -ENOMEM);
        CHECK_STR(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                  "{\"a\":\"\",\"c\":\"\",\"e\":\"x\",\"f\":7}");

        CHECK_STR(json_member_string(o, "e"), "x");
        CHECK(json_member_string(o, "f") == NULL);
        CHECK(json_member_of_type(o, "f", json_type_int) != NULL);
        CHECK(json_member_of_type(o, "f", json_type_string) == NULL);
        CHECK(json_member(o, "b") == NULL);
        CHECK(json_member(NULL, "a") == NULL);
}

int main(void) {
        test_json_util();
        test_message_parse();
        test_message_format();
        test_call_reply_parse();
        test_params();
        test_check_protocol();
        test_frame_buffer();
        test_frame_buffer_read();
        return test_result("test_varlink");
}
