/* Tests for webhook delivery against real HTTP receivers on loopback (the
 * Python receiver in tests/tools): a 2xx is delivered with the signed
 * headers a receiver can verify; 5xx, 3xx (Location not followed),
 * timeouts and refused connections are failures; proxy environment
 * variables are ignored while a configured proxy is used; TLS is verified;
 * the URL rules hold; many attempts run at once on one loop. Plus the
 * retry schedule, which is pure.
 * argv[1]: python3 (empty: receiver checks skipped), argv[2]: receiver. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macros.h"
#include "web-test-util.h"
#include "test.h"
#include "webhook-delivery.h"
#include "webhook-sign.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SEC 1000000ULL

static const char *python, *receiver_script;
static char *dir;
static sd_event *event;
static WebhookDelivery *delivery;

typedef struct Outcome {
        bool done;
        WebhookResult result;
        char response[256];
        unsigned calls;
} Outcome;

static void on_done(WebhookDelivery *d, const WebhookResult *r, void *userdata) {
        Outcome *o = userdata;

        o->calls++;
        o->result = *r;
        snprintf(o->response, sizeof(o->response), "%s", r->response ? r->response : "");
        /* r->response dies with the attempt, and an Outcome is returned by
         * value: a pointer into it would point into a dead stack frame. The
         * copy is o->response. */
        o->result.response = NULL;
        o->done = true;
}

static Outcome post(const WebhookRequest *req) {
        Outcome o = {};
        int r;

        r = webhook_delivery_post(delivery, req, on_done, &o, NULL);
        CHECK_INT(r, 0);
        if (r < 0)
                return o;
        /* The callback never runs inside post(). */
        CHECK(!o.done);
        CHECK_INT(loop_run_until(event, &o.done, 60 * SEC), 0);
        CHECK_INT(o.calls, 1);
        return o;
}

static int start(Receiver *r, const char *name, const char *script_spec, const char *const *more) {
        const char *extra[16];
        size_t n = 0;

        extra[n++] = "--script";
        extra[n++] = script_spec;
        for (size_t i = 0; more && more[i] && n < ELEMENTSOF(extra) - 1; i++)
                extra[n++] = more[i];
        extra[n] = NULL;
        return receiver_start(python, receiver_script, dir, name, extra, r);
}

static char *url_for(uint16_t port, const char *path) {
        char *u;

        CHECK(asprintf(&u, "http://127.0.0.1:%u%s", port, path) > 0);
        return u;
}

/* A loopback port with nothing listening: bound, never listen()ed. */
static int dead_port(uint16_t *ret) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, len) < 0 || getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        *ret = ntohs(sa.sin_port);
        return fd;
}

static void test_url_rules(void) {
        CHECK_INT(webhook_url_check("https://hooks.slack.com/services/T000/B000/XXXX", false), 0);
        CHECK_INT(webhook_url_check("https://example.com:8443/hook?x=1", false), 0);
        CHECK_INT(webhook_url_check("HTTPS://EXAMPLE.COM/", false), 0);
        /* Plain HTTP: only to loopback, only when allowed. */
        CHECK_INT(webhook_url_check("http://example.com/hook", false), -EINVAL);
        CHECK_INT(webhook_url_check("http://example.com/hook", true), -EINVAL);
        CHECK_INT(webhook_url_check("http://127.0.0.1:8080/hook", false), -EINVAL);
        CHECK_INT(webhook_url_check("http://127.0.0.1:8080/hook", true), 0);
        CHECK_INT(webhook_url_check("http://127.8.9.10/hook", true), 0);
        CHECK_INT(webhook_url_check("http://[::1]:8080/hook", true), 0);
        CHECK_INT(webhook_url_check("http://localhost:8080/hook", true), 0);
        CHECK_INT(webhook_url_check("http://128.0.0.1/hook", true), -EINVAL);
        CHECK_INT(webhook_url_check("http://127.0.0.1.example.com/hook", true), -EINVAL);
        CHECK_INT(webhook_url_check("http://localhost.example.com/hook", true), -EINVAL);
        CHECK_INT(webhook_url_check("http://[::2]/hook", true), -EINVAL);
        CHECK_INT(webhook_url_check("http://[::ffff:10.0.0.1]/hook", true), -EINVAL);
        /* Other schemes and junk. */
        CHECK_INT(webhook_url_check("ftp://example.com/x", true), -EINVAL);
        CHECK_INT(webhook_url_check("file:///etc/passwd", true), -EINVAL);
        CHECK_INT(webhook_url_check("gopher://127.0.0.1/", true), -EINVAL);
        CHECK_INT(webhook_url_check("example.com/hook", true), -EINVAL);
        CHECK_INT(webhook_url_check("https://exa mple.com/", true), -EINVAL);
        CHECK_INT(webhook_url_check("https://example.com/\r\nX-Injected: 1", true), -EINVAL);
        CHECK_INT(webhook_url_check("", true), -EINVAL);
        CHECK_INT(webhook_url_check(NULL, true), -EINVAL);
}

static void test_request_rules(void) {
        Outcome o = {};
        const char *bad_header[] = { "X-Ok: 1\r\nX-Injected: 2" };
        const char *bad_name[] = { "Bad Name: 1" };
        WebhookRequest req = { .url = "https://127.0.0.1:1/", .body = "{}", .body_size = 2 };

        req.headers = bad_header;
        req.n_headers = 1;
        CHECK_INT(webhook_delivery_post(delivery, &req, on_done, &o, NULL), -EINVAL);
        req.headers = bad_name;
        CHECK_INT(webhook_delivery_post(delivery, &req, on_done, &o, NULL), -EINVAL);
        req.headers = NULL;
        req.n_headers = 0;
        req.url = "http://127.0.0.1:1/";
        CHECK_INT(webhook_delivery_post(delivery, &req, on_done, &o, NULL), -EINVAL);
        CHECK_INT(webhook_delivery_in_flight(delivery), 0);
        loop_run_for(event, 50000);
        CHECK(!o.done);
}

static void test_retry_policy(void) {
        WebhookRetryPolicy p = { .initial_delay_usec = 5 * SEC, .max_delay_usec = 600 * SEC, .max_age_usec = 3600 * SEC };
        uint64_t next = 0;
        const uint64_t t0 = 1000 * SEC;

        /* random = 0: the low end of the jitter, half the delay. */
        CHECK_INT(webhook_retry_next(&p, 1, t0, t0, 0, 0, &next), 1);
        CHECK_INT(next - t0, 2500000);
        /* random at the top of the range: the full delay. */
        CHECK_INT(webhook_retry_next(&p, 1, t0, t0, 0, 2500000, &next), 1);
        CHECK_INT(next - t0, 5 * SEC);

        /* Doubling, then capped at max_delay. */
        for (unsigned a = 1; a <= 12; a++) {
                uint64_t expected = 5 * SEC << (a - 1);

                if (expected > 600 * SEC)
                        expected = 600 * SEC;
                /* random = delay/2: the top of the jitter range. */
                CHECK_INT(webhook_retry_next(&p, a, t0, t0, 0, expected / 2, &next), 1);
                CHECK_INT(next - t0, expected);
                /* Any random value stays within [delay/2, delay]. */
                for (uint64_t rnd = 1; rnd < 1000000000000ULL; rnd = rnd * 7 + 3) {
                        CHECK_INT(webhook_retry_next(&p, a, t0, t0, 0, rnd, &next), 1);
                        CHECK(next - t0 >= expected / 2 && next - t0 <= expected);
                }
        }
        /* Huge attempt counts do not overflow. */
        CHECK_INT(webhook_retry_next(&p, 4000000000U, t0, t0, 0, 12345, &next), 1);
        CHECK(next - t0 <= 600 * SEC);

        /* Retry-After is honoured (up to max_delay). */
        CHECK_INT(webhook_retry_next(&p, 1, t0, t0, 120 * SEC, 0, &next), 1);
        CHECK_INT(next - t0, 120 * SEC);
        CHECK_INT(webhook_retry_next(&p, 1, t0, t0, 99999 * SEC, 0, &next), 1);
        CHECK_INT(next - t0, 600 * SEC);

        /* Max age: one last attempt at the deadline, then give up. */
        CHECK_INT(webhook_retry_next(&p, 9, t0, t0 + 3500 * SEC, 0, 600 * SEC, &next), 1);
        CHECK_INT(next, t0 + 3600 * SEC);
        CHECK_INT(webhook_retry_next(&p, 10, t0, t0 + 3600 * SEC, 0, 0, &next), 0);
        CHECK_INT(webhook_retry_next(&p, 10, t0, t0 + 9999 * SEC, 0, 0, &next), 0);

        /* Defaults for zero fields; bad arguments. */
        {
                WebhookRetryPolicy z = {};

                CHECK_INT(webhook_retry_next(&z, 1, t0, t0, 0, UINT64_MAX, &next), 1);
                CHECK(next - t0 <= WEBHOOK_RETRY_INITIAL_DEFAULT_USEC);
                CHECK(next - t0 >= WEBHOOK_RETRY_INITIAL_DEFAULT_USEC / 2);
        }
        CHECK_INT(webhook_retry_next(&p, 0, t0, t0, 0, 0, &next), -EINVAL);
        CHECK_INT(webhook_retry_next(NULL, 1, t0, t0, 0, 0, &next), -EINVAL);
}

static void test_verdict(void) {
        WebhookResult r = { .delivered = true, .http_status = 204 };

        CHECK_INT(webhook_result_verdict(&r), WEBHOOK_VERDICT_DELIVERED);
        r = (WebhookResult) { .http_status = 410 };
        CHECK_INT(webhook_result_verdict(&r), WEBHOOK_VERDICT_GIVE_UP);
        r = (WebhookResult) { .http_status = 500 };
        CHECK_INT(webhook_result_verdict(&r), WEBHOOK_VERDICT_RETRY);
        r = (WebhookResult) { .http_status = 302 };
        CHECK_INT(webhook_result_verdict(&r), WEBHOOK_VERDICT_RETRY);
        r = (WebhookResult) { .curl_code = 7 };
        CHECK_INT(webhook_result_verdict(&r), WEBHOOK_VERDICT_RETRY);
}

static struct json_object *record(const Receiver *r, size_t i) {
        static struct json_object *keep;
        struct json_object *all = receiver_records(r), *one;

        json_object_put(keep);
        keep = all;
        one = json_object_array_get_idx(all, i);
        return one;
}

static const char *field(struct json_object *o, const char *a, const char *b) {
        struct json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, a, &v))
                return NULL;
        if (b && !json_object_object_get_ex(v, b, &v))
                return NULL;
        return json_object_get_string(v);
}

static void test_delivered_and_signed(void) {
        static const char body[] = "{\"type\":\"jit.request.created\",\"data\":{\"user\":\"alice\"}}";
        const char *more[] = { "--secret", SECRET, NULL };
        WebhookSignatureHeaders h;
        WebhookSecret secret;
        char id[WEBHOOK_MESSAGE_ID_MAX];
        const char *headers[3];
        _cleanup_free_ char *url = NULL;
        Receiver rc;
        Outcome o;
        struct json_object *rec, *sig_ok;

        if (start(&rc, "signed", "200", more) < 0) {
                CHECK(!"receiver did not start");
                return;
        }
        url = url_for(rc.port, "/hook");

        CHECK_INT(webhook_secret_parse(SECRET, strlen(SECRET), &secret, NULL, 0), 0);
        CHECK_INT(webhook_message_id_generate(id, sizeof(id)), 0);
        CHECK_INT(webhook_signature_headers(&secret, id, 1795442700, body, strlen(body), &h), 0);
        headers[0] = h.id;
        headers[1] = h.timestamp;
        headers[2] = h.signature;

        o = post(&(WebhookRequest) { .url = url, .body = body, .body_size = strlen(body), .headers = headers,
                                     .n_headers = 3, .allow_http_loopback = true });
        CHECK(o.result.delivered);
        CHECK_INT(o.result.http_status, 200);
        CHECK_INT(o.result.curl_code, 0);
        CHECK_STR(o.result.error, "");
        CHECK_STR(o.response, "ok\n");
        CHECK_INT(webhook_result_verdict(&o.result), WEBHOOK_VERDICT_DELIVERED);
        CHECK(o.result.elapsed_usec > 0 && o.result.elapsed_usec < 10 * SEC);

        CHECK(receiver_wait(&rc, 1, 5 * SEC));
        rec = record(&rc, 0);
        CHECK_STR(field(rec, "method", NULL), "POST");
        CHECK_STR(field(rec, "path", NULL), "/hook");
        CHECK_STR(field(rec, "body", NULL), body);
        CHECK_STR(field(rec, "headers", "content-type"), "application/json");
        CHECK_STR(field(rec, "headers", "user-agent"), "jitd");
        CHECK_STR(field(rec, "headers", "webhook-id"), id);
        CHECK_STR(field(rec, "headers", "webhook-timestamp"), "1795442700");
        CHECK(field(rec, "headers", "expect") == NULL);
        /* Verified by the receiver with Python's hmac module. */
        CHECK(json_object_object_get_ex(rec, "signature_valid", &sig_ok) && json_object_get_boolean(sig_ok));

        /* A tampered body does not verify there. */
        headers[2] = "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        o = post(&(WebhookRequest) { .url = url, .body = body, .body_size = strlen(body), .headers = headers,
                                     .n_headers = 3, .allow_http_loopback = true });
        CHECK(receiver_wait(&rc, 2, 5 * SEC));
        rec = record(&rc, 1);
        CHECK(json_object_object_get_ex(rec, "signature_valid", &sig_ok) && !json_object_get_boolean(sig_ok));

        webhook_secret_erase(&secret);
        receiver_stop(&rc);
}

static void test_failure_statuses(void) {
        _cleanup_free_ char *url = NULL, *other_url = NULL, *location = NULL;
        Receiver rc, other;
        Outcome o;

        if (start(&other, "redirect-target", "200", NULL) < 0) {
                CHECK(!"receiver did not start");
                return;
        }
        other_url = url_for(other.port, "/stolen");
        CHECK(asprintf(&location, "500,200,302;location=%s,301;location=%s,410,503;retry_after=7", other_url,
                       other_url) > 0);
        if (start(&rc, "failures", location, NULL) < 0) {
                CHECK(!"receiver did not start");
                receiver_stop(&other);
                return;
        }
        url = url_for(rc.port, "/hook");

#define POST_HOOK() post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .allow_http_loopback = true })

        /* 500, then 200: one failure, then delivered. */
        o = POST_HOOK();
        CHECK(!o.result.delivered);
        CHECK_INT(o.result.http_status, 500);
        CHECK_INT(o.result.curl_code, 0);
        CHECK_STR(o.result.error, "HTTP 500");
        CHECK_INT(webhook_result_verdict(&o.result), WEBHOOK_VERDICT_RETRY);
        o = POST_HOOK();
        CHECK(o.result.delivered);

        /* 302 and 301: failures; the Location is never fetched. */
        o = POST_HOOK();
        CHECK(!o.result.delivered);
        CHECK_INT(o.result.http_status, 302);
        CHECK(strstr(o.result.error, "redirect") != NULL);
        o = POST_HOOK();
        CHECK(!o.result.delivered);
        CHECK_INT(o.result.http_status, 301);

        /* 410: give up. 503 with Retry-After: the value is reported. */
        o = POST_HOOK();
        CHECK_INT(o.result.http_status, 410);
        CHECK_INT(webhook_result_verdict(&o.result), WEBHOOK_VERDICT_GIVE_UP);
        o = POST_HOOK();
        CHECK_INT(o.result.http_status, 503);
        CHECK_INT(o.result.retry_after_sec, 7);

        CHECK_INT(receiver_count(&rc), 6);
        usleep(200000);
        CHECK_INT(receiver_count(&other), 0);

        receiver_stop(&rc);
        receiver_stop(&other);

        /* Nobody listening: a transport failure, quickly. */
        {
                uint16_t port;
                int fd = dead_port(&port);
                _cleanup_free_ char *dead = url_for(port, "/hook");

                CHECK(fd >= 0);
                o = post(&(WebhookRequest) { .url = dead, .body = "{}", .body_size = 2, .allow_http_loopback = true });
                CHECK(!o.result.delivered);
                CHECK_INT(o.result.http_status, 0);
                CHECK_INT(o.result.curl_code, CURLE_COULDNT_CONNECT);
                CHECK(o.result.error[0] != 0);
                CHECK(o.result.elapsed_usec < 5 * SEC);
                close(fd);
        }
#undef POST_HOOK
}

static void test_timeout(void) {
        _cleanup_free_ char *url = NULL;
        Receiver rc;
        Outcome o;

        if (start(&rc, "slow", "200;sleep=4", NULL) < 0) {
                CHECK(!"receiver did not start");
                return;
        }
        url = url_for(rc.port, "/hook");
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .allow_http_loopback = true,
                                     .timeout_usec = 1 * SEC });
        CHECK(!o.result.delivered);
        CHECK_INT(o.result.curl_code, CURLE_OPERATION_TIMEDOUT);
        CHECK(o.result.elapsed_usec >= 900000);
        CHECK(o.result.elapsed_usec < 3 * SEC);
        receiver_stop(&rc);
}

static void test_response_cap(void) {
        _cleanup_free_ char *url = NULL;
        Receiver rc;
        Outcome o;

        if (start(&rc, "big", "200;body=300000,500;body=300000", NULL) < 0) {
                CHECK(!"receiver did not start");
                return;
        }
        url = url_for(rc.port, "/hook");
        /* The receiver said 200; what follows is cut off, not held. */
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .allow_http_loopback = true,
                                     .response_max = 1000 });
        CHECK(o.result.delivered);
        CHECK_INT(o.result.response_size, 1000);
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .allow_http_loopback = true,
                                     .response_max = 1000 });
        CHECK(!o.result.delivered);
        CHECK_INT(o.result.http_status, 500);
        receiver_stop(&rc);
}

static void set_proxy_environment(const char *value) {
        static const char *const names[] = { "http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (value)
                        setenv(names[i], value, 1);
                else
                        unsetenv(names[i]);
}

static void test_proxies(void) {
        _cleanup_free_ char *url = NULL, *dead_proxy = NULL, *proxy = NULL;
        Receiver rc, px;
        uint16_t port;
        int fd;
        Outcome o;

        if (start(&rc, "target", "200", NULL) < 0 || start(&px, "proxy", "200", NULL) < 0) {
                CHECK(!"receiver did not start");
                return;
        }
        url = url_for(rc.port, "/hook");
        fd = dead_port(&port);
        CHECK(fd >= 0);
        CHECK(asprintf(&dead_proxy, "http://127.0.0.1:%u", port) > 0);

        set_proxy_environment(dead_proxy);
        unsetenv("no_proxy");
        unsetenv("NO_PROXY");

        /* Control: plain libcurl does go through the environment's proxy
         * here, so the next check means something. */
        {
                CURL *c = curl_easy_init();
                CURLcode code;

                curl_easy_setopt(c, CURLOPT_URL, url);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
                curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
                code = curl_easy_perform(c);
                CHECK_INT(code, CURLE_COULDNT_CONNECT);
                curl_easy_cleanup(c);
        }
        CHECK_INT(receiver_count(&rc), 0);

        /* jitd's delivery ignores it. */
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .allow_http_loopback = true });
        CHECK(o.result.delivered);
        CHECK(receiver_wait(&rc, 1, 5 * SEC));

        /* A configured proxy is used, even for a host no_proxy lists. */
        setenv("no_proxy", "127.0.0.1,localhost", 1);
        CHECK(asprintf(&proxy, "http://127.0.0.1:%u", px.port) > 0);
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .allow_http_loopback = true,
                                     .proxy = proxy });
        CHECK(o.result.delivered);
        CHECK(receiver_wait(&px, 1, 5 * SEC));
        CHECK_STR(field(record(&px, 0), "path", NULL), url);
        CHECK_INT(receiver_count(&rc), 1);

        set_proxy_environment(NULL);
        unsetenv("no_proxy");
        close(fd);
        receiver_stop(&rc);
        receiver_stop(&px);
}

static void test_tls(void) {
        _cleanup_free_ char *cert = NULL, *key = NULL, *url = NULL, *url_name = NULL;
        Receiver rc;
        Outcome o;
        int r;

        r = make_self_signed_cert(dir, &cert, &key);
        if (r == -ENOENT) {
                printf("TLS delivery: skipped (no openssl command)\n");
                return;
        }
        CHECK_INT(r, 0);
        if (r < 0)
                return;
        {
                const char *more[] = { "--cert", cert, "--key", key, NULL };

                if (start(&rc, "tls", "200", more) < 0) {
                        CHECK(!"receiver did not start");
                        return;
                }
        }
        CHECK(asprintf(&url, "https://127.0.0.1:%u/hook", rc.port) > 0);
        CHECK(asprintf(&url_name, "https://localhost:%u/hook", rc.port) > 0);

        /* Not trusted by the system store: refused. */
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2 });
        CHECK(!o.result.delivered);
        CHECK_INT(o.result.curl_code, CURLE_PEER_FAILED_VERIFICATION);

        /* With the CA file configured: delivered, by address and by name. */
        o = post(&(WebhookRequest) { .url = url, .body = "{}", .body_size = 2, .ca_file = cert });
        CHECK(o.result.delivered);
        o = post(&(WebhookRequest) { .url = url_name, .body = "{}", .body_size = 2, .ca_file = cert });
        CHECK(o.result.delivered);
        CHECK(receiver_wait(&rc, 2, 5 * SEC));

        receiver_stop(&rc);
}

static void test_concurrency_and_cancel(void) {
        _cleanup_free_ char *url = NULL, *slow_url = NULL;
        Outcome outcomes[40] = {};
        Receiver rc, slow;
        size_t done = 0;
        bool all = false;

        if (start(&rc, "many", "200", NULL) < 0 || start(&slow, "never", "200;sleep=5", NULL) < 0) {
                CHECK(!"receiver did not start");
                return;
        }
        url = url_for(rc.port, "/hook");
        slow_url = url_for(slow.port, "/hook");

        for (size_t i = 0; i < ELEMENTSOF(outcomes); i++)
                CHECK_INT(webhook_delivery_post(delivery,
                                                &(WebhookRequest) { .url = url, .body = "{}", .body_size = 2,
                                                                    .allow_http_loopback = true },
                                                on_done, &outcomes[i], NULL),
                          0);
        CHECK_INT(webhook_delivery_in_flight(delivery), ELEMENTSOF(outcomes));
        while (!all) {
                if (sd_event_run(event, 30 * SEC) <= 0)
                        break;
                done = 0;
                for (size_t i = 0; i < ELEMENTSOF(outcomes); i++)
                        done += outcomes[i].done && outcomes[i].result.delivered;
                all = done == ELEMENTSOF(outcomes);
        }
        CHECK_INT(done, ELEMENTSOF(outcomes));
        CHECK_INT(webhook_delivery_in_flight(delivery), 0);
        CHECK_INT(receiver_count(&rc), ELEMENTSOF(outcomes));

        /* Cancelled: no callback, nothing left in flight. */
        {
                WebhookAttempt *a = NULL;
                Outcome o = {};

                CHECK_INT(webhook_delivery_post(delivery,
                                                &(WebhookRequest) { .url = slow_url, .body = "{}", .body_size = 2,
                                                                    .allow_http_loopback = true },
                                                on_done, &o, &a),
                          0);
                loop_run_for(event, 300000);
                webhook_attempt_cancel(a);
                CHECK_INT(webhook_delivery_in_flight(delivery), 0);
                loop_run_for(event, 300000);
                CHECK(!o.done);
        }

        /* Freeing the engine with attempts in flight: no callbacks. */
        {
                WebhookDelivery *d2 = NULL;
                Outcome o = {};

                CHECK_INT(webhook_delivery_new(event, 0, &d2), 0);
                CHECK_INT(webhook_delivery_post(d2,
                                                &(WebhookRequest) { .url = slow_url, .body = "{}", .body_size = 2,
                                                                    .allow_http_loopback = true },
                                                on_done, &o, NULL),
                          0);
                loop_run_for(event, 200000);
                webhook_delivery_free(d2);
                loop_run_for(event, 200000);
                CHECK(!o.done);
        }

        receiver_stop(&rc);
        receiver_stop(&slow);
}

int main(int argc, char **argv) {
        python = argc > 1 ? argv[1] : "";
        receiver_script = argc > 2 ? argv[2] : "";

        CHECK(sd_event_default(&event) >= 0);
        CHECK_INT(webhook_delivery_new(event, 0, &delivery), 0);
        dir = scratch_create();
        CHECK(dir != NULL);

        test_url_rules();
        test_request_rules();
        test_retry_policy();
        test_verdict();

        if (*python && access(python, X_OK) == 0) {
                test_delivered_and_signed();
                test_failure_statuses();
                test_timeout();
                test_response_cap();
                test_proxies();
                test_tls();
                test_concurrency_and_cancel();
        } else
                printf("receiver checks: skipped (no python3)\n");

        webhook_delivery_free(delivery);
        sd_event_unref(event);
        scratch_remove(dir);
        return test_result("test_webhook_delivery");
}
