/* pam_jit.so reading jitd's answers (pam_jit/decision.c over
 * common/client.c): the module's real exchanges connect to a socket this
 * fuzzer serves, and the fuzz input is what "jitd" answers. The first
 * byte picks the exchange: Check, Request, WaitDecision, OpenSession or
 * CloseSession.
 *
 * Oracles: an exchange lets someone in (ALLOW) only when jitd's answer,
 * read independently with json-c, really says so (a Check "decision":
 * "allow", a Request or WaitDecision "state": "approved", an OpenSession
 * grant, each without an "error"), and ends in IGNORE only when it says
 * "ignore"; a well-formed io.jit.NoGrant stays a no, whatever its details
 * (never "unreachable", which failmode=safe lets in); every string the
 * module keeps to show or log (approver, reason, error name, ids, match
 * code, destinations) is clean text within its buffer.
 *
 * The module insists on a root-owned socket and a root peer, so this
 * fuzzer needs root; otherwise it exits 77 (skipped). */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <security/pam_ext.h>

#include "decision.h"
#include "fuzz.h"
#include "text.h"

/* decision.c logs only with debug; pam_syslog() must not reach syslog. */
void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...) {
}

static char socket_path[300];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* A copy of the input: the server may still be sending the last one after
 * libFuzzer has reused its buffer. */
static uint8_t *answer_data;
static size_t answer_size;

/* "jitd": read the call up to its NUL, send the fuzz input, hang up. */
static void *serve(void *userdata) {
        int listen_fd = *(int *) userdata;

        for (;;) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                const uint8_t *p;
                size_t n, sent = 0;
                char c;

                if (fd < 0)
                        continue;
                while (read(fd, &c, 1) == 1 && c != 0)
                        ;
                pthread_mutex_lock(&lock);
                p = answer_data;
                n = answer_size;
                while (sent < n) {
                        ssize_t k = send(fd, p + sent, n - sent, MSG_NOSIGNAL);

                        if (k <= 0)
                                break; /* the module stopped reading: fine */
                        sent += (size_t) k;
                }
                pthread_mutex_unlock(&lock);
                close(fd);
        }
        return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static int listen_fd;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char dir[256];
        pthread_t t;

        fuzz_keep_stderr();
        if (geteuid() != 0) {
                fprintf(stderr, "fuzz-module-reply: pam_jit talks only to a root-owned socket; needs root, skipped.\n");
                exit(77);
        }
        fuzz_make_scratch("pam-jit-fuzz", dir, sizeof(dir));
        snprintf(socket_path, sizeof(socket_path), "%s/io.jit", dir);
        memcpy(sa.sun_path, socket_path, strlen(socket_path));
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(listen_fd, 16) < 0)
                fuzz_fail("cannot listen on %s: %m", socket_path);
        if (pthread_create(&t, NULL, serve, &listen_fd) != 0)
                fuzz_fail("pthread_create failed");
        return 0;
}

/* A message of the answer, read independently with json-c (strict JSON,
 * depth 4 at most, printable ASCII only, so that "well formed" cannot
 * hinge on the finer points of UTF-8 or depth limits): NULL if it is not
 * that simple. */
static struct json_object *simple_message(const uint8_t *data, size_t size, size_t *ret_used) {
        const uint8_t *nul = memchr(data, 0, size);
        size_t n = nul ? (size_t) (nul - data) : size;
        struct json_tokener *tok;
        struct json_object *o;

        *ret_used = n + (nul ? 1 : 0);
        if (!nul || n == 0 || n > 4096)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (data[i] < 0x20 || data[i] > 0x7e)
                        return NULL;
        tok = json_tokener_new_ex(4);
        if (!tok)
                abort();
        /* Strict JSON: a leading zero or a bare word is not well formed. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, (const char *) data, (int) n);
        if (o && (json_tokener_get_error(tok) != json_tokener_success || tok->char_offset != (int) n ||
                  !json_object_is_type(o, json_type_object))) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

static const char *member_string(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* What one simple message says: its error ("" for none; NULL if the
 * message is not exactly {"error"?, "parameters": {... "protocol": 1}}),
 * and its parameters. */
static const char *message_says(struct json_object *o, struct json_object **ret_params) {
        struct json_object *params, *protocol;
        size_t keys;

        *ret_params = NULL;
        if (!o || !json_object_object_get_ex(o, "parameters", &params) ||
            !json_object_is_type(params, json_type_object) ||
            !json_object_object_get_ex(params, "protocol", &protocol) ||
            !json_object_is_type(protocol, json_type_int) || json_object_get_int64(protocol) != 1)
                return NULL;
        keys = (size_t) json_object_object_length(o);
        if (json_object_object_get_ex(o, "error", NULL)) {
                const char *e = member_string(o, "error");

                if (!e || keys != 2)
                        return NULL;
                *ret_params = params;
                return e;
        }
        if (keys != 1)
                return NULL;
        *ret_params = params;
        return "";
}

/* Does any message (only the first, unless `any`) say `key` is `value`
 * without an error? */
static bool answer_says(const uint8_t *data, size_t size, bool any, const char *key, const char *value) {
        while (size > 0) {
                size_t used;
                struct json_object *o = simple_message(data, size, &used), *params;
                struct json_object *v;
                bool yes = false;

                /* Not simple: read leniently, json-c's way, for the "yes" side only. */
                if (!o) {
                        struct json_tokener *tok = json_tokener_new();

                        if (!tok)
                                abort();
                        o = json_tokener_parse_ex(tok, (const char *) data, (int) (used - (used > 0 && data[used - 1] == 0)));
                        json_tokener_free(tok);
                }
                if (o && json_object_object_get_ex(o, "parameters", &params) &&
                    !json_object_object_get_ex(o, "error", NULL) && json_object_object_get_ex(params, key, &v) &&
                    json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), value) == 0)
                        yes = true;
                json_object_put(o);
                if (yes)
                        return true;
                if (!any || used == 0)
                        return false;
                data += used;
                size -= used;
        }
        return false;
}

/* The first message, if it is a simple, well-formed io.jit.NoGrant: a "no"
 * that no detail may turn into "jitd unreachable" (which failmode=safe
 * would let in). */
static bool answer_is_plain_no(const uint8_t *data, size_t size) {
        size_t used;
        struct json_object *o = simple_message(data, size, &used), *params;
        const char *e = message_says(o, &params);
        bool yes = e && strcmp(e, "io.jit.NoGrant") == 0;

        json_object_put(o);
        return yes;
}

static void check_answer(const JitdAnswer *a) {
        fuzz_assert_clean("request_id", a->request_id, sizeof(a->request_id) - 1);
        fuzz_assert_clean("match_code", a->match_code, sizeof(a->match_code) - 1);
        fuzz_assert_clean("grant_id", a->grant_id, sizeof(a->grant_id) - 1);
        fuzz_assert_clean("approver", a->approver, sizeof(a->approver) - 1);
        fuzz_assert_clean("reason", a->reason, sizeof(a->reason) - 1);
        fuzz_assert_clean("error_name", a->error_name, sizeof(a->error_name) - 1);
        if (a->n_endpoints > JIT_DESTINATIONS_MAX || a->n_approvers > JIT_DESTINATIONS_MAX)
                fuzz_fail("more destinations than the module keeps");
        for (size_t i = 0; i < a->n_endpoints; i++)
                fuzz_assert_clean("endpoint", a->endpoints[i], JIT_DESTINATION_NAME_MAX);
        for (size_t i = 0; i < a->n_approvers; i++)
                fuzz_assert_clean("approver name", a->approvers[i], JIT_DESTINATION_NAME_MAX);
        if (a->request_id[0] && !jit_id_is_valid(a->request_id, 'r'))
                fuzz_fail("kept a malformed request id \"%s\"", a->request_id);
        if (a->grant_id[0] && !jit_id_is_valid(a->grant_id, 'g'))
                fuzz_fail("kept a malformed grant id \"%s\"", a->grant_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        uint8_t which = fuzz_take_u8(&in) % 5;
        PamJitContext ctx = {
                .phase = PAM_JIT_PHASE_AUTH,
                .args = {
                        .socket_path = socket_path,
                        .timeout_usec = 5ULL * 1000000ULL,
                        .wait_sec = 5,
                },
                .action = which == 2 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN,
                .user = "alice",
                .service = "sshd",
                .rhost = "192.0.2.1",
        };
        JitdAnswer a;
        JitResult r;
        bool allowed_by_jitd, ignored_by_jitd;

        pthread_mutex_lock(&lock);
        free(answer_data);
        answer_data = malloc(in.size + 1);
        if (!answer_data)
                abort();
        memcpy(answer_data, in.data, in.size);
        answer_size = in.size;
        pthread_mutex_unlock(&lock);

        switch (which) {
        case 0:
                r = jitd_check(&ctx, true, &a);
                allowed_by_jitd = answer_says(in.data, in.size, false, "decision", "allow");
                ignored_by_jitd = answer_says(in.data, in.size, false, "decision", "ignore");
                break;
        case 1:
                r = jitd_request(&ctx, "deploy", &a);
                allowed_by_jitd = answer_says(in.data, in.size, false, "state", "approved");
                ignored_by_jitd = true; /* io.jit.InvalidParameter reason "not-covered": not checked here */
                break;
        case 2:
                r = jitd_wait_decision(&ctx, "rabcdefghjkmnpqrs", 5, &a);
                allowed_by_jitd = answer_says(in.data, in.size, true, "state", "approved");
                ignored_by_jitd = false;
                if (r != JIT_RESULT_ALLOW && r != JIT_RESULT_NO_GRANT)
                        fuzz_fail("WaitDecision ended in result %d: an unanswered request must be a no", (int) r);
                break;
        case 3:
                r = jitd_open_session(&ctx, "c1", &a);
                /* A session is recorded under a grant: its id must be there. */
                allowed_by_jitd = r != JIT_RESULT_ALLOW || a.grant_id[0];
                ignored_by_jitd = answer_says(in.data, in.size, false, "decision", "ignore");
                break;
        default:
                r = jitd_close_session(&ctx, "c1", &a);
                allowed_by_jitd = true; /* closing opens nothing */
                ignored_by_jitd = true;
                break;
        }

        if (r == JIT_RESULT_ALLOW && !allowed_by_jitd)
                fuzz_fail("exchange %u let someone in, but jitd's answer did not say so", which);
        if (r == JIT_RESULT_IGNORE && !ignored_by_jitd)
                fuzz_fail("exchange %u ended in IGNORE, but jitd's answer did not say so", which);
        if (which != 4 && answer_is_plain_no(in.data, in.size) && r != JIT_RESULT_NO_GRANT)
                fuzz_fail("exchange %u turned a well-formed io.jit.NoGrant into result %d", which, (int) r);
        check_answer(&a);
        return 0;
}
