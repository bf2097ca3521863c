/* Webhooks from a real jitd to real HTTP receivers on loopback: a generic
 * message's signature verifies (checked by the receiver with Python's hmac,
 * from the Standard Webhooks specification, not with our C code); Slack and
 * Teams bodies are JSON of the documented shape; a 500 then a 200 is one
 * delivery; a receiver that is down while jitd is SIGKILLed still gets every
 * message once both are back; a redirect is not followed; the proxy
 * variables of jitd's environment are ignored; a requester's withdrawal
 * is one "cancelled" message per endpoint, not a denial. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"
#include "web-helpers.h"

#define DELIVERY_TIMEOUT_USEC (15ULL * 1000000ULL)

/* nobody and daemon need approval for sudo; carol, dave and nobody
 * approve (nobody never gets a link to their own request). */
#define POLICY                                                                                              \
        "[sudo]\nusers = nobody daemon\ndefault_duration = 600\nmax_duration = 3600\napprovers = carol dave " \
        "nobody\n[login]\nusers = nobody\napprovers = carol\n[review]\nlisten = 127.0.0.1:0\n"

static const char *json_str(struct json_object *o, const char *path) {
        /* "a.b.c" */
        char buf[128], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static void start_jitd(Jitd *j, const char *rest) {
        _cleanup_free_ char *config = NULL;
        int status = 0, r;

        CHECK(asprintf(&config, "%s%s", POLICY, rest) > 0);
        CHECK_INT(jitd_setup(j, TEST_JITD_KEYS, config), 0);
        r = jitd_start(j, &status);
        if (r < 0) {
                fprintf(stderr, "jitd did not start (%d, status %d); config:\n%s\n", r, status, config);
                exit(EXIT_FAILURE);
        }
}

/* Signed generic messages: created with one link per approver but the
 * requester, then the outcome. */
/* A receiver named `name` that checks generic messages' signatures with
 * a fresh secret (NAME.secret), and the [webhook ops] section that points
 * jitd at it, signed with that secret. */
static char *start_signed_receiver(const char *name, Receiver *rcv) {
        _cleanup_free_ char *file = NULL, *secret_path = NULL, *secret = NULL;
        const char *extra[3];
        char *section = NULL;

        CHECK(asprintf(&file, "%s.secret", name) > 0);
        CHECK_INT(make_secret(file, &secret_path, &secret), 0);
        extra[0] = "--secret";
        extra[1] = secret;
        extra[2] = NULL;
        start_receiver(rcv, name, extra);
        CHECK(asprintf(&section,
                       "[webhook ops]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\nsecret_file = %s\n"
                       "retry_initial = 1s\n",
                       rcv->port, secret_path) > 0);
        return section;
}

static void test_generic_signed(void) {
        _cleanup_free_ char *rest = NULL;
        Receiver rcv;
        Jitd j;
        char id[JIT_ID_MAX];
        struct json_object *recs, *body, *reply = NULL;

        rest = start_signed_receiver("generic", &rcv);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "nobody", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&rcv, id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, id, "jit.request.created");
        CHECK_INT(json_object_array_length(recs), 1);
        body = json_object_array_get_idx(recs, 0);
        if (body) {
                struct json_object *sig = NULL;
                _cleanup_free_ char *carol = body_link(body, "carol"), *dave = body_link(body, "dave"),
                                    *self = body_link(body, "nobody");

                CHECK(json_object_object_get_ex(body, "_signature_valid", &sig) && json_object_get_boolean(sig));
                CHECK(json_str(body, "_headers.webhook-id") && strncmp(json_str(body, "_headers.webhook-id"), "msg_", 4) == 0);
                CHECK(json_str(body, "_headers.webhook-timestamp"));
                CHECK(json_str(body, "_headers.webhook-signature") &&
                      strncmp(json_str(body, "_headers.webhook-signature"), "v1,", 3) == 0);
                CHECK_STR(json_str(body, "data.user"), "nobody");
                CHECK_STR(json_str(body, "data.action"), "sudo");
                CHECK_STR(json_str(body, "data.reason"), "integration test");
                CHECK(json_str(body, "data.match_code") != NULL);
                CHECK(carol && strstr(carol, "/r/"));
                CHECK(dave && strstr(dave, "/r/"));
                CHECK(carol && dave && strcmp(carol, dave) != 0);
                /* The requester is an approver too, but never of their own request. */
                CHECK(self == NULL);
        }
        json_object_put(recs);
        CHECK_INT(audit_count(&j, "notification-delivered", id), 1);

        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(wait_records(&rcv, id, "jit.request.approved", 1, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, id, "jit.request.approved");
        body = json_object_array_get_idx(recs, 0);
        CHECK(body && json_str(body, "data.decided_by") && strcmp(json_str(body, "data.decided_by"), "root") == 0);
        CHECK(body && json_str(body, "data.grant_expires_at"));
        json_object_put(recs);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
}

static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Slack Block Kit and a Teams message with an Adaptive Card, each with the
 * facts and a button/action per review link. */
static void test_slack_and_teams(void) {
        _cleanup_free_ char *rest = NULL;
        Receiver slack, teams;
        Jitd j;
        char id[JIT_ID_MAX];
        struct json_object *recs, *body, *blocks, *attachments;
        bool button = false, open_url = false, match_code = false;

        start_receiver(&slack, "slack", NULL);
        start_receiver(&teams, "teams", NULL);
        CHECK(asprintf(&rest,
                       "[webhook chat]\nurl = http://127.0.0.1:%u/services/T0/B0/x\nformat = slack\n"
                       "allow_http_loopback = yes\n"
                       "[webhook teams]\nurl = http://127.0.0.1:%u/webhookb2/x\nformat = teams\n"
                       "allow_http_loopback = yes\n",
                       slack.port, teams.port) > 0);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&slack, id, NULL, 1, DELIVERY_TIMEOUT_USEC));
        CHECK(wait_records(&teams, id, NULL, 1, DELIVERY_TIMEOUT_USEC));

        recs = records_for(&slack, id, NULL);
        body = json_object_array_get_idx(recs, 0);
        blocks = member(body, "blocks");
        CHECK(json_object_is_type(member(body, "text"), json_type_string));
        CHECK(blocks && json_object_is_type(blocks, json_type_array) && json_object_array_length(blocks) > 0);
        for (size_t i = 0; blocks && i < json_object_array_length(blocks); i++) {
                struct json_object *b = json_object_array_get_idx(blocks, i), *elements = member(b, "elements");
                const char *type = json_str(b, "type");

                CHECK(type != NULL);
                if (type && strcmp(type, "actions") == 0)
                        for (size_t k = 0; elements && k < json_object_array_length(elements); k++) {
                                struct json_object *e = json_object_array_get_idx(elements, k);
                                if (json_str(e, "type") && strcmp(json_str(e, "type"), "button") == 0 &&
                                    json_str(e, "url") && strstr(json_str(e, "url"), "/r/"))
                                        button = true;
                        }
        }
        CHECK(button);
        CHECK(strstr(json_str(body, "_raw") ?: "", "integration test") != NULL);
        /* Unsigned, but with the message's id for deduplication. */
        CHECK(json_str(body, "_headers.webhook-id") && strncmp(json_str(body, "_headers.webhook-id"), "msg_", 4) == 0);
        CHECK(json_str(body, "_headers.webhook-signature") == NULL);
        json_object_put(recs);

        recs = records_for(&teams, id, NULL);
        body = json_object_array_get_idx(recs, 0);
        CHECK_STR(json_str(body, "type"), "message");
        attachments = member(body, "attachments");
        CHECK(attachments && json_object_array_length(attachments) == 1);
        if (attachments && json_object_array_length(attachments) == 1) {
                struct json_object *a = json_object_array_get_idx(attachments, 0), *card = member(a, "content"),
                                   *actions = member(card, "actions"), *cbody = member(card, "body");

                CHECK_STR(json_str(a, "contentType"), "application/vnd.microsoft.card.adaptive");
                CHECK_STR(json_str(card, "type"), "AdaptiveCard");
                CHECK(json_str(card, "version") != NULL);
                for (size_t k = 0; actions && k < json_object_array_length(actions); k++) {
                        struct json_object *e = json_object_array_get_idx(actions, k);
                        if (json_str(e, "type") && strcmp(json_str(e, "type"), "Action.OpenUrl") == 0 &&
                            json_str(e, "url") && strstr(json_str(e, "url"), "/r/"))
                                open_url = true;
                }
                for (size_t k = 0; cbody && k < json_object_array_length(cbody); k++) {
                        struct json_object *e = json_object_array_get_idx(cbody, k), *facts = member(e, "facts");
                        for (size_t l = 0; facts && l < json_object_array_length(facts); l++)
                                if (json_str(json_object_array_get_idx(facts, l), "title") &&
                                    strstr(json_str(json_object_array_get_idx(facts, l), "title"), "atch"))
                                        match_code = true;
                }
        }
        CHECK(open_url);
        CHECK(match_code);
        json_object_put(recs);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&slack);
        receiver_stop(&teams);
}

/* 500, then 200: two attempts, one delivery, each attempt audited. */
static void test_retry_once(void) {
        _cleanup_free_ char *rest = NULL;
        const char *extra[] = { "--script", "500,200", NULL };
        Receiver rcv;
        Jitd j;
        char id[JIT_ID_MAX];
        struct json_object *show, *notes;

        start_receiver(&rcv, "flaky", extra);
        CHECK(asprintf(&rest,
                       "[webhook flaky]\nurl = http://127.0.0.1:%u/hook\nformat = slack\nallow_http_loopback = yes\n"
                       "retry_initial = 1s\nevents = created\n",
                       rcv.port) > 0);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&rcv, id, NULL, 2, DELIVERY_TIMEOUT_USEC));
        CHECK(WAIT_FOR(audit_count(&j, "notification-delivered", id) == 1, DELIVERY_TIMEOUT_USEC));
        sleep_usec(3000000); /* no third attempt after the 200 */
        {
                struct json_object *recs = records_for(&rcv, id, NULL);
                CHECK_INT(json_object_array_length(recs), 2);
                json_object_put(recs);
        }
        CHECK_INT(audit_count(&j, "notification-failed", id), 1);
        CHECK_INT(audit_count(&j, "notification-delivered", id), 1);

        show = show_request(&j, id);
        notes = member(show, "notifications");
        CHECK(notes && json_object_array_length(notes) == 1);
        if (notes && json_object_array_length(notes) == 1) {
                struct json_object *n = json_object_array_get_idx(notes, 0);
                CHECK_STR(json_str(n, "state"), "delivered");
                CHECK_INT(json_object_get_int(member(n, "attempts")), 2);
                CHECK_INT(json_object_get_int(member(n, "last_status")), 200);
        }
        json_object_put(show);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
}

/* The receiver is down; requests come in; jitd is killed (SIGKILL, no
 * cleanup) and restarted; then the receiver comes back: every request's
 * message arrives, once each, with the webhook-id it was queued with. */
static void test_down_and_crash(void) {
        _cleanup_free_ char *secret_path = NULL, *secret = NULL, *rest = NULL;
        char port_text[16];
        const char *extra[5];
        uint16_t port = free_port();
        Receiver rcv;
        Jitd j;
        static const char *const who[][2] = { { "nobody", "sudo" }, { "daemon", "sudo" }, { "nobody", "login" } };
        char ids[ELEMENTSOF(who)][JIT_ID_MAX];
        int status = 0;

        CHECK(port > 0);
        CHECK_INT(make_secret("down.secret", &secret_path, &secret), 0);
        CHECK(asprintf(&rest,
                       "[webhook down]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\nsecret_file = %s\n"
                       "retry_initial = 1s\nretry_max_delay = 2s\nevents = created\n",
                       port, secret_path) > 0);
        start_jitd(&j, rest);

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                CHECK_INT(create_request(&j, who[i][0], who[i][1], ids[i], sizeof(ids[i])), 0);
        /* Attempts fail (connection refused) and are audited. */
        CHECK(WAIT_FOR(audit_count(&j, "notification-failed", NULL) >= 3, DELIVERY_TIMEOUT_USEC));

        jitd_crash(&j);
        sleep_usec(1500000);
        CHECK_INT(jitd_start(&j, &status), 0);
        sleep_usec(1500000); /* still down: more failed attempts after the restart */

        snprintf(port_text, sizeof(port_text), "%u", port);
        extra[0] = "--secret";
        extra[1] = secret;
        extra[2] = "--port";
        extra[3] = port_text;
        extra[4] = NULL;
        start_receiver(&rcv, "down", extra);

        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                CHECK(wait_records(&rcv, ids[i], "jit.request.created", 1, 20 * 1000000ULL));
        sleep_usec(2500000);
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                struct json_object *recs = records_for(&rcv, ids[i], "jit.request.created"), *sig;

                CHECK_INT(json_object_array_length(recs), 1);
                if (json_object_array_length(recs) > 0)
                        CHECK(json_object_object_get_ex(json_object_array_get_idx(recs, 0), "_signature_valid", &sig) &&
                              json_object_get_boolean(sig));
                json_object_put(recs);
        }

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
}

/* A 302 is a failed attempt: the redirect target never hears of it. */
static void test_redirect_not_followed(void) {
        _cleanup_free_ char *rest = NULL, *script = NULL;
        const char *extra[3];
        Receiver target, redirector;
        Jitd j;
        char id[JIT_ID_MAX];
        struct json_object *show, *notes;

        start_receiver(&target, "redirect-target", NULL);
        CHECK(asprintf(&script, "302;location=http://127.0.0.1:%u/stolen", target.port) > 0);
        extra[0] = "--script";
        extra[1] = script;
        extra[2] = NULL;
        start_receiver(&redirector, "redirector", extra);
        CHECK(asprintf(&rest,
                       "[webhook redir]\nurl = http://127.0.0.1:%u/hook\nformat = teams\nallow_http_loopback = yes\n"
                       "retry_initial = 1s\nevents = created\n",
                       redirector.port) > 0);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&redirector, id, NULL, 2, DELIVERY_TIMEOUT_USEC));
        CHECK_INT(receiver_count(&target), 0);
        CHECK(audit_count(&j, "notification-failed", id) >= 1);
        CHECK_INT(audit_count(&j, "notification-delivered", id), 0);

        show = show_request(&j, id);
        notes = member(show, "notifications");
        if (notes && json_object_array_length(notes) == 1) {
                struct json_object *n = json_object_array_get_idx(notes, 0);
                CHECK_STR(json_str(n, "state"), "pending");
                CHECK_INT(json_object_get_int(member(n, "last_status")), 302);
        } else
                CHECK(false);
        json_object_put(show);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&target);
        receiver_stop(&redirector);
}

/* jitd started with every proxy variable pointing at a "proxy" receiver:
 * the message goes straight to the endpoint. */
static void test_proxy_env_ignored(void) {
        static const char *const vars[] = { "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                                            "all_proxy" };
        _cleanup_free_ char *rest = NULL, *proxy_url = NULL;
        Receiver rcv, proxy;
        Jitd j;
        char id[JIT_ID_MAX];

        start_receiver(&rcv, "direct", NULL);
        start_receiver(&proxy, "proxy", NULL);
        CHECK(asprintf(&proxy_url, "http://127.0.0.1:%u", proxy.port) > 0);
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                setenv(vars[i], proxy_url, 1);
        unsetenv("no_proxy");
        unsetenv("NO_PROXY");
        CHECK(asprintf(&rest,
                       "[webhook direct]\nurl = http://127.0.0.1:%u/hook\nformat = slack\nallow_http_loopback = yes\n"
                       "events = created\n",
                       rcv.port) > 0);
        start_jitd(&j, rest);
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                unsetenv(vars[i]);

        CHECK_INT(create_request(&j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&rcv, id, NULL, 1, DELIVERY_TIMEOUT_USEC));
        sleep_usec(500000);
        CHECK_INT(receiver_count(&proxy), 0);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
        receiver_stop(&proxy);
}

/* 410 Gone: no more attempts; io.jit.Resend queues it again. */
static void test_gone_and_resend(void) {
        _cleanup_free_ char *rest = NULL;
        const char *extra[] = { "--script", "410,200", NULL };
        Receiver rcv;
        Jitd j;
        char id[JIT_ID_MAX];
        struct json_object *show, *notes, *reply = NULL;

        start_receiver(&rcv, "gone", extra);
        CHECK(asprintf(&rest,
                       "[webhook gone]\nurl = http://127.0.0.1:%u/hook\nformat = slack\nallow_http_loopback = yes\n"
                       "retry_initial = 1s\nevents = created\n",
                       rcv.port) > 0);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&rcv, id, NULL, 1, DELIVERY_TIMEOUT_USEC));
        CHECK(WAIT_FOR(audit_count(&j, "notification-failed", id) == 1, DELIVERY_TIMEOUT_USEC));
        sleep_usec(2500000);
        CHECK_INT(receiver_count(&rcv), 1); /* no retry after 410 */
        show = show_request(&j, id);
        notes = member(show, "notifications");
        CHECK(notes && json_object_array_length(notes) == 1 &&
              strcmp(json_str(json_object_array_get_idx(notes, 0), "state") ?: "", "failed") == 0);
        json_object_put(show);

        /* Not an admin: refused. */
        CHECK_INT(call_as(&j, UID_DAEMON, GID_DAEMON, JIT_METHOD_RESEND, params("request_id", id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK_INT(call(&j, JIT_METHOD_RESEND, params("request_id", id, "endpoint", "nosuch", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        json_object_put(reply);
        CHECK_INT(call(&j, JIT_METHOD_RESEND, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_INT(reply_int(reply, "queued"), 1);
        json_object_put(reply);
        CHECK(wait_records(&rcv, id, NULL, 2, DELIVERY_TIMEOUT_USEC));
        CHECK(WAIT_FOR(audit_count(&j, "notification-delivered", id) == 1, DELIVERY_TIMEOUT_USEC));

        /* Nothing failed any more, and it is still pending: a reminder. */
        CHECK_INT(call(&j, JIT_METHOD_RESEND, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_INT(reply_int(reply, "queued"), 1);
        json_object_put(reply);
        CHECK(wait_records(&rcv, id, NULL, 3, DELIVERY_TIMEOUT_USEC));

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
}

/* An extension (jitctl extend) reaches the approvers as one: the created
 * message names the grant it extends and that grant's deadline, the
 * review page behind its link says so, and the approval's message too. */
static void test_extension(void) {
        _cleanup_free_ char *rest = NULL;
        Receiver rcv;
        Jitd j;
        char id[JIT_ID_MAX], ext[JIT_ID_MAX], g1[JIT_ID_MAX], iso[32];
        struct json_object *recs, *body, *reply = NULL;
        int64_t e1;

        rest = start_signed_receiver("extension", &rcv);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "nobody", "sudo", id, sizeof(id)), 0);
        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        snprintf(g1, sizeof(g1), "%s", reply_string(reply, "grant_id") ?: "");
        e1 = reply_int(reply, "expires_at");
        json_object_put(reply);
        {
                time_t t = (time_t) e1;
                struct tm tm;

                CHECK(gmtime_r(&t, &tm) && strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
        }

        CHECK_INT(call(&j, JIT_METHOD_REQUEST,
                       params_add_int(params("user", "nobody", "action", "sudo", "extends", g1, "reason", "more time",
                                             NULL),
                                      "duration", 300),
                       &reply),
                  0);
        CHECK_OK(reply);
        snprintf(ext, sizeof(ext), "%s", reply_string(reply, "request_id") ?: "");
        json_object_put(reply);

        CHECK(wait_records(&rcv, ext, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, ext, "jit.request.created");
        body = json_object_array_get_idx(recs, 0);
        CHECK_STR(json_str(body, "data.extends_grant_id"), g1);
        CHECK_STR(json_str(body, "data.extends_grant_expires_at"), iso);
        {
                _cleanup_free_ char *carol = body_link(body, "carol");
                HttpResult r = {};

                CHECK(carol != NULL);
                CHECK_INT(http_do("GET", carol ?: "http://127.0.0.1:1/", NULL, NULL, &r), 0);
                CHECK_INT(r.status, 200);
                CHECK(r.body && strstr(r.body, "<h1>Extension request</h1>"));
                CHECK(r.body && strstr(r.body, g1));
                CHECK(r.body && strstr(r.body, ">Extend by</label>"));
                http_result_done(&r);
        }
        json_object_put(recs);

        /* The first request's message was no extension. */
        recs = records_for(&rcv, id, "jit.request.created");
        CHECK_STR(json_str(json_object_array_get_idx(recs, 0), "data.extends_grant_id"), "");
        json_object_put(recs);

        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", ext, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(wait_records(&rcv, ext, "jit.request.approved", 1, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, ext, "jit.request.approved");
        body = json_object_array_get_idx(recs, 0);
        CHECK_STR(json_str(body, "data.extends_grant_id"), g1);
        /* The grant it replaced, with the deadline it had. */
        CHECK_STR(json_str(body, "data.extends_grant_expires_at"), iso);
        json_object_put(recs);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
}

/* A requester who withdraws their own request (jitctl cancel, or jitctl
 * deny of their own) closes it for the approvers too: each endpoint gets
 * exactly one jit.request.cancelled message saying the requester withdrew
 * it, and no jit.request.denied one; the review link then says so, and a
 * decision posted from a page opened before is refused without a grant. */
static void test_withdrawal(void) {
        _cleanup_free_ char *ops = NULL, *rest = NULL, *carol = NULL, *csrf = NULL, *form = NULL;
        Receiver rcv, slack;
        Jitd j;
        char id[JIT_ID_MAX], id2[JIT_ID_MAX];
        struct json_object *recs, *body, *show, *notes, *reply = NULL;
        HttpResult r = {};

        ops = start_signed_receiver("withdrawal", &rcv);
        start_receiver(&slack, "withdrawal-slack", NULL);
        CHECK(asprintf(&rest,
                       "%s[webhook chat]\nurl = http://127.0.0.1:%u/services/T0/B0/x\nformat = slack\n"
                       "allow_http_loopback = yes\nretry_initial = 1s\n",
                       ops, slack.port) > 0);
        start_jitd(&j, rest);

        CHECK_INT(create_request(&j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK(wait_records(&rcv, id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, id, "jit.request.created");
        carol = body_link(json_object_array_get_idx(recs, 0), "carol");
        json_object_put(recs);
        CHECK(carol != NULL);
        /* carol opens the page, and decides only after the withdrawal. */
        CHECK_INT(http_do("GET", carol ?: "http://127.0.0.1:1/", NULL, NULL, &r), 0);
        CHECK_INT(r.status, 200);
        csrf = page_csrf(r.body);
        CHECK(csrf != NULL);
        http_result_done(&r);

        CHECK_INT(call_as(&j, UID_DAEMON, GID_DAEMON, JIT_METHOD_DENY,
                          params_add_bool(params("request_id", id, "reason", "fixed it myself", NULL), "cancel", true),
                          &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);

        CHECK(wait_records(&rcv, id, "jit.request.cancelled", 1, DELIVERY_TIMEOUT_USEC));
        CHECK(wait_records(&slack, id, NULL, 2, DELIVERY_TIMEOUT_USEC));
        /* Both endpoints done with both messages (created, cancelled):
         * nothing else is on its way. */
        CHECK(WAIT_FOR(audit_count(&j, "notification-delivered", id) == 4, DELIVERY_TIMEOUT_USEC));
        CHECK_INT(audit_count(&j, "notification-delivered", id), 4);

        recs = records_for(&rcv, id, NULL);
        CHECK_INT(json_object_array_length(recs), 2);
        json_object_put(recs);
        recs = records_for(&rcv, id, "jit.request.denied");
        CHECK_INT(json_object_array_length(recs), 0);
        json_object_put(recs);
        recs = records_for(&rcv, id, "jit.request.cancelled");
        CHECK_INT(json_object_array_length(recs), 1);
        body = json_object_array_get_idx(recs, 0);
        if (body) {
                struct json_object *sig = NULL;

                CHECK(json_object_object_get_ex(body, "_signature_valid", &sig) && json_object_get_boolean(sig));
                CHECK_STR(json_str(body, "data.decided_by"), "daemon");
                CHECK_STR(json_str(body, "data.decision_reason"), "fixed it myself");
                CHECK_STR(json_str(body, "data.user"), "daemon");
                CHECK_STR(json_str(body, "data.action"), "sudo");
                CHECK_STR(json_str(body, "data.reason"), "integration test");
                CHECK(json_str(body, "data.match_code") != NULL);
                CHECK_INT(json_object_array_length(member(member(body, "data"), "review_links")), 0);
        }
        json_object_put(recs);

        recs = records_for(&slack, id, NULL);
        CHECK_INT(json_object_array_length(recs), 2);
        body = json_object_array_get_idx(recs, 1);
        CHECK(strstr(json_str(body, "text") ?: "", "Withdrawn by daemon") != NULL);
        CHECK(!strstr(json_str(body, "_raw") ?: "", "Denied"));
        json_object_put(recs);

        /* jitctl show: the outbox row is a "cancelled" event, delivered. */
        show = show_request(&j, id);
        notes = member(show, "notifications");
        {
                int cancelled = 0, denied = 0;

                for (size_t i = 0; notes && i < json_object_array_length(notes); i++) {
                        struct json_object *n = json_object_array_get_idx(notes, i);
                        const char *event = json_str(n, "event") ?: "";

                        cancelled += strcmp(event, "cancelled") == 0 &&
                                     strcmp(json_str(n, "state") ?: "", "delivered") == 0;
                        denied += strcmp(event, "denied") == 0;
                }
                CHECK_INT(cancelled, 2);
                CHECK_INT(denied, 0);
        }
        json_object_put(show);

        /* The review link: withdrawn, by whom, why; a decision posted from
         * the page opened before is refused and grants nothing. */
        CHECK_INT(http_do("GET", carol ?: "http://127.0.0.1:1/", NULL, NULL, &r), 0);
        CHECK_INT(r.status, 409);
        CHECK(r.body && strstr(r.body, "<h1>Withdrawn</h1>"));
        CHECK(r.body && strstr(r.body, "withdrawn by the requester, <strong>daemon</strong>"));
        CHECK(r.body && strstr(r.body, "fixed it myself"));
        CHECK(r.body && !strstr(r.body, "<form"));
        http_result_done(&r);
        CHECK(asprintf(&form, "csrf=%s&decision=approve&duration=600", csrf ?: "") > 0);
        CHECK_INT(http_do("POST", carol ?: "http://127.0.0.1:1/", form, NULL, &r), 0);
        CHECK_INT(r.status, 409);
        CHECK(r.body && strstr(r.body, "<h1>Withdrawn</h1>"));
        http_result_done(&r);
        CHECK_INT(count_active_grants(&j, "daemon"), 0);
        CHECK_STR(request_state(&j, id), "cancelled");

        /* jitctl deny of one's own request is the same withdrawal. */
        CHECK_INT(create_request(&j, "daemon", "sudo", id2, sizeof(id2)), 0);
        CHECK(wait_records(&rcv, id2, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        CHECK_INT(call_as(&j, UID_DAEMON, GID_DAEMON, JIT_METHOD_DENY, params("request_id", id2, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);
        CHECK(wait_records(&rcv, id2, "jit.request.cancelled", 1, DELIVERY_TIMEOUT_USEC));
        CHECK(WAIT_FOR(audit_count(&j, "notification-delivered", id2) == 4, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, id2, "jit.request.denied");
        CHECK_INT(json_object_array_length(recs), 0);
        json_object_put(recs);
        recs = records_for(&rcv, id2, "jit.request.cancelled");
        CHECK_INT(json_object_array_length(recs), 1);
        CHECK_STR(json_str(json_object_array_get_idx(recs, 0), "data.decided_by"), "daemon");
        CHECK_STR(json_str(json_object_array_get_idx(recs, 0), "data.decision_reason"), "");
        json_object_put(recs);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
        receiver_stop(&slack);
}

int main(int argc, char **argv) {
        web_test_init(argc, argv, "integration-webhooks");

        test_generic_signed();
        test_slack_and_teams();
        test_retry_once();
        test_down_and_crash();
        test_redirect_not_followed();
        test_proxy_env_ignored();
        test_gone_and_resend();
        test_extension();
        test_withdrawal();

        return test_result("integration-webhooks");
}
