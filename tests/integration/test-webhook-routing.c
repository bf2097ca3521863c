/* Webhook routing by action, end to end: of two endpoints, one limited to
 * sudo with "actions = sudo", a sudo request's messages reach both real
 * receivers, a login request's only the unlimited one: not when it is
 * created, not when it is decided, not as a reminder, and jitd's own
 * record of the request's notifications does not list the other endpoint. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "harness.h"
#include "web-helpers.h"

#define DELIVERY_TIMEOUT_USEC (15ULL * 1000000ULL)
/* How long a message that should not come gets to turn up anyway, once
 * the same jitd has delivered a later message to that very receiver. */
#define GRACE_USEC (2ULL * 1000000ULL)

#define POLICY                                                                                              \
        "[sudo]\nusers = nobody daemon\ndefault_duration = 600\nmax_duration = 3600\napprovers = carol dave\n" \
        "[login]\nusers = nobody\napprovers = carol\n[review]\nlisten = 127.0.0.1:0\n"

static size_t count_records(const Receiver *r, const char *request_id, const char *type) {
        struct json_object *a = records_for(r, request_id, type);
        size_t n = json_object_array_length(a);

        json_object_put(a);
        return n;
}

/* The endpoints named in Show's "notifications" of a request. */
static bool notified_endpoint(Jitd *j, const char *request_id, const char *endpoint) {
        struct json_object *show = show_request(j, request_id), *notes = NULL;
        bool found = false;

        if (show && json_object_object_get_ex(show, "notifications", &notes) &&
            json_object_is_type(notes, json_type_array))
                for (size_t i = 0; i < json_object_array_length(notes); i++) {
                        struct json_object *e = NULL;

                        if (json_object_object_get_ex(json_object_array_get_idx(notes, i), "endpoint", &e) &&
                            strcmp(json_object_get_string(e), endpoint) == 0)
                                found = true;
                }
        json_object_put(show);
        return found;
}

/* A reply's list of names ("endpoints", "approvers") as "a b", or "-" if absent. */
static const char *names_of(struct json_object *reply, const char *key, char *buf, size_t size) {
        struct json_object *list = reply_member(reply, key);

        if (!list || !json_object_is_type(list, json_type_array))
                return "-";
        buf[0] = 0;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                size_t n = strlen(buf);

                snprintf(buf + n, size - n, "%s%s", i ? " " : "",
                         json_object_get_string(json_object_array_get_idx(list, i)));
        }
        return buf;
}

/* What the requester is told about where the request went: the endpoints
 * that carry its "created" message and the action's approvers, from the
 * Request reply (new or reused) and from Check's NoGrant. */
static void check_destinations(Jitd *j, const char *user, const char *action, const char *endpoints,
                               const char *approvers) {
        struct json_object *reply = NULL;
        char buf[256];

        CHECK_INT(call(j, JIT_METHOD_REQUEST, params("user", user, "action", action, "service", "sshd", NULL),
                       &reply),
                  0);
        CHECK_OK(reply);
        CHECK(!reply_bool(reply, "created"));
        CHECK_STR(names_of(reply, "endpoints", buf, sizeof(buf)), endpoints);
        CHECK_STR(names_of(reply, "approvers", buf, sizeof(buf)), approvers);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", user, "action", action, "service", "sshd", NULL), &reply),
                  0);
        CHECK_STR(reply_error(reply), JIT_ERROR_NO_GRANT);
        CHECK_STR(names_of(reply, "endpoints", buf, sizeof(buf)), endpoints);
        CHECK_STR(names_of(reply, "approvers", buf, sizeof(buf)), approvers);
        json_object_put(reply);
}

int main(int argc, char **argv) {
        _cleanup_free_ char *all_secret_path = NULL, *all_secret = NULL, *sudo_secret_path = NULL,
                            *sudo_secret = NULL, *config = NULL;
        const char *all_extra[3], *sudo_extra[3];
        char login_id[JIT_ID_MAX] = "", sudo_id[JIT_ID_MAX] = "";
        struct json_object *reply = NULL;
        Receiver all, sudo_only;
        Jitd j;
        int status = 0, r;

        web_test_init(argc, argv, "integration-webhook-routing");

        CHECK_INT(make_secret("all.secret", &all_secret_path, &all_secret), 0);
        CHECK_INT(make_secret("sudo.secret", &sudo_secret_path, &sudo_secret), 0);
        all_extra[0] = sudo_extra[0] = "--secret";
        all_extra[1] = all_secret;
        sudo_extra[1] = sudo_secret;
        all_extra[2] = sudo_extra[2] = NULL;
        start_receiver(&all, "all", all_extra);
        start_receiver(&sudo_only, "sudo-only", sudo_extra);

        CHECK(asprintf(&config,
                       "%s"
                       "[webhook all]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\nsecret_file = %s\n"
                       "retry_initial = 1s\n"
                       "[webhook sudo-only]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\n"
                       "secret_file = %s\nretry_initial = 1s\nactions = sudo\n",
                       POLICY, all.port, all_secret_path, sudo_only.port, sudo_secret_path) > 0);
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, config), 0);
        r = jitd_start(&j, &status);
        if (r < 0) {
                fprintf(stderr, "jitd did not start (%d, status %d); config:\n%s\n", r, status, config);
                receiver_stop(&all);
                receiver_stop(&sudo_only);
                return EXIT_FAILURE;
        }

        /* A login request first: the unlimited endpoint hears of it. */
        CHECK_INT(create_request(&j, "nobody", "login", login_id, sizeof(login_id)), 0);
        CHECK(wait_records(&all, login_id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));

        /* Then a sudo request: both do, the limited one included, which
         * shows its deliveries work and are past the login request's time. */
        CHECK_INT(create_request(&j, "daemon", "sudo", sudo_id, sizeof(sudo_id)), 0);
        CHECK(wait_records(&all, sudo_id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        CHECK(wait_records(&sudo_only, sudo_id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        {
                struct json_object *recs = records_for(&sudo_only, sudo_id, "jit.request.created"), *body, *sig = NULL;

                body = json_object_array_get_idx(recs, 0);
                CHECK(body && json_object_object_get_ex(body, "_signature_valid", &sig) && json_object_get_boolean(sig));
                json_object_put(recs);
        }
        sleep_usec(GRACE_USEC);
        CHECK_INT(count_records(&sudo_only, login_id, NULL), 0);
        CHECK_INT(count_records(&all, login_id, "jit.request.created"), 1);

        check_destinations(&j, "nobody", "login", "all", "carol");
        check_destinations(&j, "daemon", "sudo", "all sudo-only", "carol dave");

        /* jitd's own account agrees: no message for the limited endpoint. */
        CHECK(notified_endpoint(&j, login_id, "all"));
        CHECK(!notified_endpoint(&j, login_id, "sudo-only"));
        CHECK(notified_endpoint(&j, sudo_id, "all"));
        CHECK(notified_endpoint(&j, sudo_id, "sudo-only"));

        /* A reminder to the limited endpoint about a login request: nothing. */
        CHECK_INT(call(&j, JIT_METHOD_RESEND, params("request_id", login_id, "endpoint", "sudo-only", NULL), &reply),
                  0);
        CHECK_OK(reply);
        CHECK_INT(reply_int(reply, "queued"), 0);
        json_object_put(reply);
        /* To every endpoint: only the unlimited one. */
        CHECK_INT(call(&j, JIT_METHOD_RESEND, params("request_id", login_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_INT(reply_int(reply, "queued"), 1);
        json_object_put(reply);
        CHECK(wait_records(&all, login_id, "jit.request.created", 2, DELIVERY_TIMEOUT_USEC));

        /* The decisions follow the same routes. */
        CHECK_INT(call(&j, JIT_METHOD_DENY, params("request_id", login_id, "reason", "not now", NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", sudo_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(wait_records(&all, login_id, "jit.request.denied", 1, DELIVERY_TIMEOUT_USEC));
        CHECK(wait_records(&all, sudo_id, "jit.request.approved", 1, DELIVERY_TIMEOUT_USEC));
        CHECK(wait_records(&sudo_only, sudo_id, "jit.request.approved", 1, DELIVERY_TIMEOUT_USEC));
        sleep_usec(GRACE_USEC);
        CHECK_INT(count_records(&sudo_only, login_id, NULL), 0);
        CHECK_INT(count_records(&sudo_only, sudo_id, NULL), 2);
        CHECK(!notified_endpoint(&j, login_id, "sudo-only"));

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&all);
        receiver_stop(&sudo_only);
        return test_result("integration-webhook-routing");
}
