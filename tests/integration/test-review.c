/* The review pages of a real jitd over real HTTP. Link previews and mail
 * scanners (GET and HEAD, 50 times each, with Slack's, Teams' and a Safe
 * Links-like user agent) change nothing; a POST without or with a wrong
 * CSRF token is refused; 100 concurrent approvals make exactly one grant;
 * the requester can never approve their own request; a quorum of 2 needs
 * two different approvers; an expired link is refused; so is a duration
 * above policy; and a waiting WaitDecision (the PAM module's wait) is
 * released by the click, with the approver's name and the grant's end. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"
#include "web-helpers.h"
#include "text.h"

#define DELIVERY_TIMEOUT_USEC (15ULL * 1000000ULL)
#define RACERS 100

static char *secret_path, *secret, *proxy_secret_path, *proxy_secret, *proxy_header;
static Receiver rcv;

static void start_jitd(Jitd *j, const char *jitd_keys) {
        _cleanup_free_ char *rest = NULL;
        int status = 0;

        CHECK(asprintf(&rest,
                       "[sudo]\nusers = nobody daemon\ndefault_duration = 600\nmax_duration = 3600\n"
                       "approvers = carol dave nobody\n"
                       "[login]\nusers = nobody\napprovers = carol dave\nquorum = 2\n"
                       "[review]\nlisten = 127.0.0.1:0\nidentity_header = X-Remote-User\n"
                       "identity_secret_file = %s\n"
                       "max_connections = 256\nmax_connections_per_ip = 200\n"
                       "[webhook ops]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\n"
                       "secret_file = %s\n",
                       proxy_secret_path, rcv.port, secret_path) > 0);
        CHECK_INT(jitd_setup(j, jitd_keys, rest), 0);
        if (jitd_start(j, &status) < 0) {
                fprintf(stderr, "jitd did not start (status %d)\n", status);
                exit(EXIT_FAILURE);
        }
}

/* The review links of a request's "created" message. */
typedef struct Links {
        char *carol, *dave, *nobody, *shared;
} Links;

static void links_for(const char *id, Links *ret) {
        struct json_object *recs, *body;

        *ret = (Links){};
        CHECK(wait_records(&rcv, id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC));
        recs = records_for(&rcv, id, "jit.request.created");
        body = json_object_array_get_idx(recs, 0);
        if (body) {
                ret->carol = body_link(body, "carol");
                ret->dave = body_link(body, "dave");
                ret->nobody = body_link(body, "nobody");
                ret->shared = body_link(body, "");
        }
        json_object_put(recs);
}

static void links_done(Links *l) {
        free(l->carol);
        free(l->dave);
        free(l->nobody);
        free(l->shared);
        *l = (Links){};
}

static bool contains(const HttpResult *r, const char *s) {
        return r->body && strstr(r->body, s);
}

static int approvals_of(Jitd *j, const char *id) {
        struct json_object *p = show_request(j, id), *a;
        int n = -1;

        if (p && json_object_object_get_ex(p, "approvals", &a))
                n = (int) json_object_array_length(a);
        json_object_put(p);
        return n;
}

/* ---- scanners ---- */

static void test_scanners_change_nothing(Jitd *j) {
        static const char *const agents[] = {
                "User-Agent: Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                "User-Agent: Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
                "skype-url-preview@microsoft.com",
                "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0 Safari/537.36 Microsoft Office Safe Links",
        };
        char id[JIT_ID_MAX];
        Links l;
        int ok = 0, total = 0;

        CHECK_INT(create_request(j, "nobody", "sudo", id, sizeof(id)), 0);
        links_for(id, &l);
        CHECK(l.carol && l.dave && l.shared);

        for (size_t a = 0; a < ELEMENTSOF(agents); a++)
                for (int i = 0; i < 50; i++)
                        for (int m = 0; m < 2; m++) {
                                const char *headers[] = { agents[a], NULL };
                                const char *url = i % 2 ? l.dave : l.carol;
                                HttpResult r;

                                if (!url)
                                        continue;
                                total++;
                                if (http_do(m ? "HEAD" : "GET", url, NULL, headers, &r) >= 0 && r.status == 200 &&
                                    (m || contains(&r, "Approve")))
                                        ok++;
                                http_result_done(&r);
                        }
        CHECK_INT(ok, total);
        CHECK_INT(total, 300);

        /* The shared link without the trusted header names nobody. */
        {
                HttpResult r;
                CHECK_INT(http_do("GET", l.shared ?: "http://127.0.0.1:1/", NULL, NULL, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
        }

        CHECK_STR(request_state(j, id), "pending");
        CHECK_INT(approvals_of(j, id), 0);
        CHECK_INT(audit_count(j, "request-approved", id), 0);
        CHECK_INT(audit_count(j, "request-denied", id), 0);
        CHECK_INT(count_active_grants(j, "nobody"), 0);

        /* ---- CSRF ---- */
        {
                _cleanup_free_ char *csrf_carol = NULL, *csrf_dave = NULL, *form = NULL;
                HttpResult r;

                CHECK_INT(http_do("GET", l.carol, NULL, NULL, &r), 0);
                csrf_carol = page_csrf(r.body);
                http_result_done(&r);
                CHECK_INT(http_do("GET", l.dave, NULL, NULL, &r), 0);
                csrf_dave = page_csrf(r.body);
                http_result_done(&r);
                CHECK(csrf_carol && csrf_dave && strcmp(csrf_carol, csrf_dave) != 0);

                CHECK_INT(http_do("POST", l.carol, "decision=approve&duration=600", NULL, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
                CHECK_INT(http_do("POST", l.carol, "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&decision=approve",
                                  NULL, &r),
                          0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
                /* A valid token, of another link. */
                CHECK(asprintf(&form, "csrf=%s&decision=approve&duration=600", csrf_dave ?: "") > 0);
                CHECK_INT(http_do("POST", l.carol, form, NULL, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
                /* A GET with the form's fields is still only a view. */
                free(form);
                form = NULL;
                CHECK(asprintf(&form, "%s?csrf=%s&decision=approve&duration=600", l.carol, csrf_carol ?: "") > 0);
                CHECK_INT(http_do("GET", form, NULL, NULL, &r), 0);
                http_result_done(&r);
                /* Posted from another site. */
                {
                        _cleanup_free_ char *good = NULL;
                        const char *headers[] = { "Origin: https://evil.example", NULL };
                        const char *headers2[] = { "Sec-Fetch-Site: cross-site", NULL };

                        CHECK(asprintf(&good, "csrf=%s&decision=approve&duration=600", csrf_carol ?: "") > 0);
                        CHECK_INT(http_do("POST", l.carol, good, headers, &r), 0);
                        CHECK_INT(r.status, 403);
                        http_result_done(&r);
                        CHECK_INT(http_do("POST", l.carol, good, headers2, &r), 0);
                        CHECK_INT(r.status, 403);
                        http_result_done(&r);
                }
        }
        /* A shared link's token is bound to who the proxy said it was. */
        {
                _cleanup_free_ char *csrf = NULL, *form = NULL;
                const char *as_carol[] = { "X-Remote-User: carol", NULL };
                const char *as_dave[] = { "X-Remote-User: dave", NULL };
                HttpResult r;

                CHECK_INT(http_do("GET", l.shared, NULL, as_carol, &r), 0);
                CHECK_INT(r.status, 200);
                csrf = page_csrf(r.body);
                http_result_done(&r);
                CHECK(asprintf(&form, "csrf=%s&decision=approve&duration=600", csrf ?: "") > 0);
                CHECK_INT(http_do("POST", l.shared, form, as_dave, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
        }
        /* A duration above policy (max 3600). */
        {
                HttpResult r;

                CHECK_INT(review_decide(l.carol, NULL, "approve", "3601", &r), 0);
                CHECK_INT(r.status, 400);
                CHECK(contains(&r, "longer than policy allows"));
                http_result_done(&r);
        }

        CHECK_STR(request_state(j, id), "pending");
        CHECK_INT(approvals_of(j, id), 0);
        CHECK_INT(count_active_grants(j, "nobody"), 0);

        /* ---- the requester ---- */
        CHECK(l.nobody == NULL); /* no link is made for the requester */
        {
                const char *as_nobody[] = { "X-Remote-User: nobody", NULL };
                const char *as_mallory[] = { "X-Remote-User: mallory", NULL };
                HttpResult r;

                CHECK_INT(http_do("GET", l.shared, NULL, as_nobody, &r), 0);
                CHECK_INT(r.status, 403);
                CHECK(contains(&r, "your own request"));
                CHECK(!page_csrf(r.body));
                http_result_done(&r);
                CHECK_INT(http_do("POST", l.shared, "csrf=x&decision=approve", as_nobody, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
                CHECK_INT(http_do("GET", l.shared, NULL, as_mallory, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
                /* Behind the proxy, carol's link is carol's only. */
                CHECK_INT(http_do("GET", l.carol, NULL, as_nobody, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
        }
        CHECK_STR(request_state(j, id), "pending");

        /* ---- 100 at once ---- */
        {
                _cleanup_free_ char *csrf_carol = NULL, *csrf_dave = NULL, *form_carol = NULL, *form_dave = NULL;
                pid_t pids[RACERS];
                int approved = 0, already = 0, other = 0;
                HttpResult r;

                CHECK_INT(http_do("GET", l.carol, NULL, NULL, &r), 0);
                csrf_carol = page_csrf(r.body);
                http_result_done(&r);
                CHECK_INT(http_do("GET", l.dave, NULL, NULL, &r), 0);
                csrf_dave = page_csrf(r.body);
                http_result_done(&r);
                CHECK(asprintf(&form_carol, "csrf=%s&decision=approve&duration=900", csrf_carol ?: "") > 0);
                CHECK(asprintf(&form_dave, "csrf=%s&decision=approve&duration=1200", csrf_dave ?: "") > 0);

                for (int i = 0; i < RACERS; i++) {
                        pids[i] = fork();
                        if (pids[i] == 0) {
                                HttpResult res;

                                if (http_do("POST", i % 2 ? l.dave : l.carol, i % 2 ? form_dave : form_carol, NULL,
                                            &res) < 0)
                                        _exit(3);
                                _exit(res.status == 200 && contains(&res, "You approved") ? 0
                                      : res.status == 409 && contains(&res, "already approved") ? 1
                                                                                             : 2);
                        }
                }
                for (int i = 0; i < RACERS; i++) {
                        int status;

                        if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status)) {
                                other++;
                                continue;
                        }
                        if (WEXITSTATUS(status) == 0)
                                approved++;
                        else if (WEXITSTATUS(status) == 1)
                                already++;
                        else
                                other++;
                }
                CHECK_INT(approved, 1);
                CHECK_INT(already, RACERS - 1);
                CHECK_INT(other, 0);
                CHECK_STR(request_state(j, id), "approved");
                CHECK_INT(count_active_grants(j, "nobody"), 1);
                CHECK_INT(audit_count(j, "request-approved", id), 1);
                CHECK_INT(approvals_of(j, id), 1);
        }

        {
                struct json_object *reply = NULL;
                CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "nobody", NULL), &reply), 0);
                json_object_put(reply);
        }
        links_done(&l);
}

/* ---- the wait ---- */

static struct json_object *reply_params(struct json_object *m) {
        struct json_object *p = NULL;
        return m && json_object_object_get_ex(m, "parameters", &p) ? p : NULL;
}

static void test_wait_released(Jitd *j) {
        static const char call_text[] = "{\"method\":\"io.jit.WaitDecision\",\"more\":true,\"parameters\":"
                                        "{\"protocol\":1,\"request_id\":\"%s\"}}";
        char id[JIT_ID_MAX], msg[256];
        struct json_object *m = NULL, *p, *v;
        Links l;
        HttpResult r;
        int fd;
        int64_t before = jit_now_realtime();

        CHECK_INT(create_request(j, "daemon", "sudo", id, sizeof(id)), 0);
        links_for(id, &l);

        fd = raw_connect(j);
        CHECK(fd >= 0);
        snprintf(msg, sizeof(msg), call_text, id);
        CHECK_INT(raw_send(fd, msg, strlen(msg) + 1), 0);
        CHECK_INT(raw_receive(fd, 5000000, &m), 1);
        p = reply_params(m);
        CHECK(p && json_object_object_get_ex(p, "state", &v) && strcmp(json_object_get_string(v), "pending") == 0);
        json_object_put(m);
        m = NULL;

        CHECK_INT(review_decide(l.dave, NULL, "approve", "900", &r), 0);
        CHECK_INT(r.status, 200);
        CHECK(contains(&r, "You approved"));
        http_result_done(&r);

        /* The decision is on disk before the page is sent, and the waiter
         * was woken in the same turn of jitd's loop. */
        CHECK_INT(raw_receive(fd, 2000000, &m), 1);
        p = reply_params(m);
        CHECK(p && json_object_object_get_ex(p, "state", &v) && strcmp(json_object_get_string(v), "approved") == 0);
        CHECK(p && json_object_object_get_ex(p, "approver", &v) && strcmp(json_object_get_string(v), "dave") == 0);
        CHECK(p && json_object_object_get_ex(p, "expires_at", &v) && json_object_get_int64(v) >= before + 900 &&
              json_object_get_int64(v) <= jit_now_realtime() + 900);
        json_object_put(m);
        close(fd);

        /* A late click: a clear page, no second grant. */
        CHECK_INT(review_decide(l.carol, NULL, "approve", "900", &r), 0);
        CHECK_INT(r.status, 409);
        CHECK(contains(&r, "dave"));
        http_result_done(&r);
        CHECK_INT(count_active_grants(j, "daemon"), 1);

        {
                struct json_object *reply = NULL;
                CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
                json_object_put(reply);
        }

        /* Deny with a reason: the waiter hears it. */
        CHECK_INT(create_request(j, "daemon", "sudo", id, sizeof(id)), 0);
        links_done(&l);
        links_for(id, &l);
        fd = raw_connect(j);
        snprintf(msg, sizeof(msg), call_text, id);
        CHECK_INT(raw_send(fd, msg, strlen(msg) + 1), 0);
        CHECK_INT(raw_receive(fd, 5000000, &m), 1);
        json_object_put(m);
        m = NULL;
        {
                _cleanup_free_ char *csrf = NULL, *form = NULL;

                CHECK_INT(http_do("GET", l.carol, NULL, NULL, &r), 0);
                csrf = page_csrf(r.body);
                http_result_done(&r);
                CHECK(asprintf(&form, "csrf=%s&decision=deny&reason=not+now%%2C+after+the+release", csrf ?: "") > 0);
                CHECK_INT(http_do("POST", l.carol, form, NULL, &r), 0);
                CHECK_INT(r.status, 200);
                CHECK(contains(&r, "You denied"));
                http_result_done(&r);
        }
        CHECK_INT(raw_receive(fd, 2000000, &m), 1);
        p = reply_params(m);
        CHECK(p && json_object_object_get_ex(p, "state", &v) && strcmp(json_object_get_string(v), "denied") == 0);
        CHECK(p && json_object_object_get_ex(p, "reason", &v) &&
              strcmp(json_object_get_string(v), "not now, after the release") == 0);
        json_object_put(m);
        close(fd);
        links_done(&l);
}

/* ---- quorum ---- */

static void test_quorum(Jitd *j) {
        char id[JIT_ID_MAX];
        struct json_object *reply = NULL, *show, *req, *v;
        Links l;
        HttpResult r;

        CHECK_INT(create_request(j, "nobody", "login", id, sizeof(id)), 0);
        links_for(id, &l);
        CHECK(l.carol && l.dave);

        CHECK_INT(review_decide(l.carol, NULL, "approve", "1800", &r), 0);
        CHECK_INT(r.status, 200);
        CHECK(contains(&r, "1 of 2"));
        http_result_done(&r);
        CHECK_STR(request_state(j, id), "pending");
        CHECK_INT(count_active_grants(j, "nobody"), 0);
        CHECK_INT(audit_count(j, "approval-recorded", id), 1);

        /* carol again, by page and by the shared link: one person counts once. */
        CHECK_INT(review_decide(l.carol, NULL, "approve", "1800", &r), 0);
        CHECK(contains(&r, "already approved this request"));
        http_result_done(&r);
        CHECK_INT(review_decide(l.shared, "carol", "approve", "1800", &r), 0);
        CHECK(contains(&r, "already approved this request"));
        http_result_done(&r);
        CHECK_STR(request_state(j, id), "pending");
        CHECK_INT(approvals_of(j, id), 1);

        /* dave makes two: granted, for the shorter of the two choices. */
        CHECK_INT(review_decide(l.dave, NULL, "approve", "3600", &r), 0);
        CHECK_INT(r.status, 200);
        CHECK(contains(&r, "You approved"));
        http_result_done(&r);
        CHECK_STR(request_state(j, id), "approved");
        CHECK_INT(count_active_grants(j, "nobody"), 1);
        show = show_request(j, id);
        CHECK(show && json_object_object_get_ex(show, "request", &req) &&
              json_object_object_get_ex(req, "decided_by", &v) && strcmp(json_object_get_string(v), "dave") == 0);
        json_object_put(show);
        CHECK_INT(approvals_of(j, id), 2);
        {
                struct json_object *list = NULL, *grants;
                int64_t created = 0, expires = 0;

                CHECK_INT(call(j, JIT_METHOD_LIST, params("filter", "active", NULL), &list), 0);
                grants = reply_member(list, "grants");
                for (size_t i = 0; grants && i < json_object_array_length(grants); i++) {
                        struct json_object *g = json_object_array_get_idx(grants, i);
                        if (json_object_object_get_ex(g, "created_at", &v))
                                created = json_object_get_int64(v);
                        if (json_object_object_get_ex(g, "expires_at", &v))
                                expires = json_object_get_int64(v);
                }
                CHECK_INT(expires - created, 1800);
                json_object_put(list);
        }
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "nobody", NULL), &reply), 0);
        json_object_put(reply);
        links_done(&l);

        /* An approval with jitctl is a vote like any other. */
        CHECK_INT(create_request(j, "nobody", "login", id, sizeof(id)), 0);
        links_for(id, &l);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK_INT(reply_int(reply, "approvals"), 1);
        CHECK_INT(reply_int(reply, "approvals_needed"), 2);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        json_object_put(reply);
        CHECK_STR(request_state(j, id), "pending");
        CHECK_INT(review_decide(l.carol, NULL, "approve", "600", &r), 0);
        CHECK_INT(r.status, 200);
        CHECK(contains(&r, "You approved"));
        http_result_done(&r);
        CHECK_STR(request_state(j, id), "approved");
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "nobody", NULL), &reply), 0);
        json_object_put(reply);
        links_done(&l);
}

/* ---- expiry ---- */

static void test_expired_link(void) {
        _cleanup_free_ char *csrf = NULL, *form = NULL;
        char id[JIT_ID_MAX];
        Links l;
        HttpResult r;
        Jitd j;

        start_jitd(&j, "admin_group = nogroup\nrequest_ttl = 10\n");
        CHECK_INT(create_request(&j, "nobody", "sudo", id, sizeof(id)), 0);
        links_for(id, &l);
        CHECK_INT(http_do("GET", l.carol, NULL, NULL, &r), 0);
        csrf = page_csrf(r.body);
        http_result_done(&r);
        CHECK(csrf != NULL);

        sleep_usec(11500000);
        CHECK_INT(http_do("GET", l.carol, NULL, NULL, &r), 0);
        CHECK_INT(r.status, 410);
        CHECK(contains(&r, "expired"));
        CHECK(!page_csrf(r.body));
        http_result_done(&r);
        CHECK(asprintf(&form, "csrf=%s&decision=approve&duration=600", csrf ?: "") > 0);
        CHECK_INT(http_do("POST", l.carol, form, NULL, &r), 0);
        CHECK_INT(r.status, 410);
        http_result_done(&r);
        CHECK_STR(request_state(&j, id), "expired");
        CHECK_INT(count_active_grants(&j, "nobody"), 0);
        /* The channel hears that nobody answered. */
        CHECK(wait_records(&rcv, id, "jit.request.expired", 1, DELIVERY_TIMEOUT_USEC));

        /* An unknown token is just unknown. */
        {
                char bad[512];
                const char *slash = strrchr(l.carol ?: "", '/');

                snprintf(bad, sizeof(bad), "%.*s/%s", slash ? (int) (slash - l.carol) : 0, l.carol ?: "",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
                CHECK_INT(http_do("GET", bad, NULL, NULL, &r), 0);
                CHECK_INT(r.status, 404);
                http_result_done(&r);
        }

        links_done(&l);
        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
}

/* identity_header= is believed only from the proxy, and the proxy proves
 * itself with its secret: a local user who connects to the loopback
 * listener directly and names an approver is refused, with no secret or a
 * wrong one, on the page and on its form; with the right one the named
 * approver decides. */
static void test_proxy_secret(Jitd *j) {
        char id[JIT_ID_MAX];
        _cleanup_free_ char *csrf = NULL, *form = NULL;
        const char *as_carol[] = { "X-Remote-User: carol", NULL };
        const char *wrong[] = { "X-Remote-User: carol",
                                "X-Jit-Proxy-Secret: whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL };
        HttpResult r;
        Links l;

        CHECK_INT(create_request(j, "nobody", "sudo", id, sizeof(id)), 0);
        links_for(id, &l);
        CHECK(l.shared != NULL);
        if (!l.shared)
                return;

        /* Through the proxy: the page for carol, and her form token. */
        CHECK_INT(http_do("GET", l.shared, NULL, as_carol, &r), 0);
        CHECK_INT(r.status, 200);
        CHECK(contains(&r, "reviewing as <strong>carol</strong>"));
        csrf = page_csrf(r.body);
        http_result_done(&r);
        CHECK(asprintf(&form, "csrf=%s&decision=approve&duration=600", csrf ?: "") > 0);

        /* Straight to the listener: the identity header without the
         * secret, or with a wrong one, is refused; so is a personal link. */
        http_proxy_header = NULL;
        for (int i = 0; i < 2; i++) {
                const char *const *h = i == 0 ? as_carol : wrong;

                CHECK_INT(http_do("GET", l.shared, NULL, h, &r), 0);
                CHECK_INT(r.status, 403);
                CHECK(contains(&r, "only through its sign-in proxy"));
                CHECK(!page_csrf(r.body));
                http_result_done(&r);
                CHECK_INT(http_do("POST", l.shared, form, h, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
                CHECK_INT(http_do("GET", l.dave, NULL, NULL, &r), 0);
                CHECK_INT(r.status, 403);
                http_result_done(&r);
        }
        CHECK_STR(request_state(j, id), "pending");
        CHECK_INT(approvals_of(j, id), 0);

        /* With the right secret the identity counts: carol approves. */
        http_proxy_header = proxy_header;
        CHECK_INT(http_do("POST", l.shared, form, as_carol, &r), 0);
        CHECK_INT(r.status, 200);
        http_result_done(&r);
        CHECK_STR(request_state(j, id), "approved");
        {
                struct json_object *p = show_request(j, id), *req = NULL, *v = NULL;

                CHECK(p && json_object_object_get_ex(p, "request", &req) &&
                      json_object_object_get_ex(req, "decided_by", &v));
                CHECK_STR(v ? json_object_get_string(v) : "", "carol");
                json_object_put(p);
        }
        links_done(&l);
}

int main(int argc, char **argv) {
        const char *extra[3];
        Jitd j;

        web_test_init(argc, argv, "integration-review");
        CHECK_INT(make_secret("review.secret", &secret_path, &secret), 0);
        /* Any private text of 16+ printable characters does for the proxy. */
        CHECK_INT(make_secret("proxy.secret", &proxy_secret_path, &proxy_secret), 0);
        CHECK(asprintf(&proxy_header, "X-Jit-Proxy-Secret: %s", proxy_secret) > 0);
        /* Every request goes through the "proxy" unless a test says not. */
        http_proxy_header = proxy_header;
        extra[0] = "--secret";
        extra[1] = secret;
        extra[2] = NULL;
        start_receiver(&rcv, "review", extra);

        start_jitd(&j, TEST_JITD_KEYS);
        test_scanners_change_nothing(&j);
        test_wait_released(&j);
        test_quorum(&j);
        test_proxy_secret(&j);
        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);

        test_expired_link();

        receiver_stop(&rcv);
        free(secret_path);
        free(secret);
        return test_result("integration-review");
}
