/* Tests for the review HTTP server over real loopback HTTP, with libcurl
 * clients in child processes while the server runs on this process's
 * sd-event loop. The handlers here are a small reviewer built from the real
 * blocks (review-token CSRF, review-page pages and form parsing), so the
 * flow is the one jitd will run:
 *   - GET and HEAD, also 50 times with link-unfurler user agents, never
 *     reach the decision handler;
 *   - a POST without or with a wrong CSRF token is refused; the right one
 *     decides once, a replay gets "already approved";
 *   - form fields arrive percent-decoded and intact (test_review_form
 *     has the malformed ones); oversize bodies,
 *     wrong encodings, other methods and paths are refused before any
 *     handler; every response carries the security headers;
 *   - the trusted identity header is believed only from a trusted proxy,
 *     once, and binds the CSRF token to that person;
 *   - connection limits and idle timeouts hold; TLS works. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http-server.h"
#include "macros.h"
#include "web-test-util.h"
#include "review-http.h"
#include "review-page.h"
#include "review-token.h"
#include "test.h"

#define SEC 1000000ULL
#define MAX_DURATION (4 * 3600)

static sd_event *event;
static ReviewKey key;
static char token[REVIEW_TOKEN_STRING_MAX];

/* What the handlers saw. */
static unsigned views, decisions;
static bool decided;
static char last_method[8], last_ua[256], last_identity[80], last_csrf[80], last_decision[32], last_duration[32],
        last_reason[600];
static bool last_identity_null, last_csrf_null;

static void copy(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

static int on_view(HttpServer *s, const ReviewHttpRequest *rq, HttpReply *reply, void *userdata) {
        char csrf[REVIEW_CSRF_STRING_MAX];
        ReviewPageView v = {
                .request_id = "r7k2qx9pmd3t1bfa0", .user = "alice", .host = "sbx-12", .action = JIT_ACTION_SUDO,
                .service = "sudo", .rhost = "10.1.2.3", .tty = "pts/3", .reason = "hotfix", .match_code = "482-913",
                .requested_duration_sec = 3600, .default_duration_sec = 3600, .max_duration_sec = MAX_DURATION,
                .created_at = 1795442700, .expires_at = 1795443600,
        };

        views++;
        copy(last_method, sizeof(last_method), rq->method == HTTP_METHOD_HEAD ? "HEAD" : "GET");
        copy(last_ua, sizeof(last_ua), rq->user_agent);
        copy(last_identity, sizeof(last_identity), rq->identity);
        last_identity_null = !rq->identity;

        if (strcmp(rq->token, token) != 0) {
                ReviewOutcome o = { .kind = REVIEW_OUTCOME_INVALID_LINK };

                reply->status = review_outcome_http_status(o.kind);
                return review_page_render_outcome(&o, &reply->body, &reply->size);
        }
        if (review_csrf_token(&key, rq->token, rq->identity, csrf) < 0)
                return -EIO;
        v.csrf_token = csrf;
        v.approver = rq->identity ? rq->identity : "bob";
        return review_page_render(&v, &reply->body, &reply->size);
}

static int on_decision(HttpServer *s, const ReviewHttpRequest *rq, HttpReply *reply, void *userdata) {
        ReviewOutcome o = { .request_id = "r7k2qx9pmd3t1bfa0", .user = "alice", .host = "sbx-12",
                            .action = JIT_ACTION_SUDO, .decided_by = "bob", .grant_expires_at = 1795446300 };
        ReviewDecision d;
        int r;

        decisions++;
        copy(last_csrf, sizeof(last_csrf), rq->csrf);
        last_csrf_null = !rq->csrf;
        copy(last_decision, sizeof(last_decision), rq->decision);
        copy(last_duration, sizeof(last_duration), rq->duration);
        copy(last_reason, sizeof(last_reason), rq->reason);
        copy(last_identity, sizeof(last_identity), rq->identity);
        last_identity_null = !rq->identity;

        if (strcmp(rq->token, token) != 0)
                o.kind = REVIEW_OUTCOME_INVALID_LINK;
        else if (!review_csrf_verify(&key, rq->token, rq->identity, rq->csrf))
                o.kind = REVIEW_OUTCOME_FORM_INVALID;
        else if ((r = review_form_parse(rq->decision, rq->duration, rq->reason, MAX_DURATION, &d)) < 0)
                o.kind = r == -ERANGE ? REVIEW_OUTCOME_DURATION_TOO_LONG : REVIEW_OUTCOME_FORM_INVALID;
        else if (decided)
                o.kind = REVIEW_OUTCOME_ALREADY_APPROVED;
        else {
                decided = true;
                o.kind = d.kind == REVIEW_DECISION_KIND_APPROVE ? REVIEW_OUTCOME_APPROVED : REVIEW_OUTCOME_DENIED;
        }
        o.max_duration_sec = MAX_DURATION;
        reply->status = review_outcome_http_status(o.kind);
        return review_page_render_outcome(&o, &reply->body, &reply->size);
}

static HttpServer *server_start(const HttpServerSettings *settings, uint16_t *ret_port) {
        HttpServer *s = NULL;

        CHECK_INT(review_http_server_new(event, settings, on_view, on_decision, NULL, &s), 0);
        if (s)
                CHECK_INT(http_server_local_port(s, ret_port), 0);
        return s;
}

static char *review_url(uint16_t port, const char *path_token) {
        char *u;

        CHECK(asprintf(&u, "http://127.0.0.1:%u/r/%s", port, path_token) > 0);
        return u;
}

static void check_security_headers(const HttpClient *c) {
        _cleanup_free_ char *csp = http_client_header(c, "Content-Security-Policy");
        _cleanup_free_ char *ct = http_client_header(c, "Content-Type");
        _cleanup_free_ char *rp = http_client_header(c, "Referrer-Policy");
        _cleanup_free_ char *xfo = http_client_header(c, "X-Frame-Options");
        _cleanup_free_ char *xcto = http_client_header(c, "X-Content-Type-Options");
        _cleanup_free_ char *cc = http_client_header(c, "Cache-Control");

        CHECK_STR(csp, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
                       "base-uri 'none'");
        CHECK_STR(ct, "text/html; charset=utf-8");
        CHECK_STR(rp, "no-referrer");
        CHECK_STR(xfo, "DENY");
        CHECK_STR(xcto, "nosniff");
        CHECK_STR(cc, "no-store");
}

/* The CSRF token from a rendered review page. */
static char *csrf_from_page(const char *html) {
        const char *p = html ? strstr(html, "name=\"csrf\" value=\"") : NULL;

        if (!p)
                return NULL;
        p += strlen("name=\"csrf\" value=\"");
        return strndup(p, strcspn(p, "\""));
}

static HttpClient *request(const char *method, const char *url, const char *body, const char *const *headers) {
        HttpClient *c = http_request(event, &(HttpClientRequest) {
                                                    .method = method, .url = url, .body = body, .headers = headers });

        CHECK(c != NULL);
        return c;
}

static void test_view_never_decides(uint16_t port) {
        static const char *const agents[] = {
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                "Slackbot 1.0 (+https://api.slack.com/robots)",
                "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)",
                "Mozilla/5.0 (compatible; Microsoft-SafeLinks)",
                "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0; MS-RTC LM 8; BingPreview/1.0b)",
                "TelegramBot (like TwitterBot)",
                "curl/7.88.1",
                "\x1b[31mevil\x1b[0m agent",
                NULL,
        };
        _cleanup_free_ char *url = review_url(port, token);
        HttpClient *clients[10];
        unsigned decisions_before = decisions, views_before = views;
        HttpClient *c;

        /* One GET in detail. */
        c = request("GET", url, NULL, NULL);
        if (c) {
                _cleanup_free_ char *csrf = csrf_from_page(c->body);

                CHECK_INT(c->status, 200);
                CHECK(strstr(c->body, "482-913") != NULL);
                CHECK(csrf != NULL);
                check_security_headers(c);
                http_client_free(c);
        }

        /* HEAD: headers, no body. */
        c = request("HEAD", url, NULL, NULL);
        if (c) {
                CHECK_INT(c->status, 200);
                CHECK_INT(c->body_size, 0);
                CHECK_STR(last_method, "HEAD");
                check_security_headers(c);
                http_client_free(c);
        }

        /* 50 more, GET and HEAD mixed, ten at a time, as unfurlers and
         * scanners do it. */
        for (unsigned round = 0; round < 5; round++) {
                for (unsigned i = 0; i < 10; i++) {
                        const char *ua[2] = { NULL, NULL };
                        char line[300];

                        snprintf(line, sizeof(line), "User-Agent: %s", agents[(round * 10 + i) % 9]);
                        ua[0] = line;
                        clients[i] = NULL;
                        CHECK_INT(http_client_start(event,
                                                    &(HttpClientRequest) { .method = i % 2 ? "HEAD" : "GET",
                                                                           .url = url, .headers = ua },
                                                    &clients[i]),
                                  0);
                }
                for (unsigned i = 0; i < 10; i++) {
                        if (!clients[i])
                                continue;
                        CHECK_INT(http_client_wait(event, clients[i], 30 * SEC), 0);
                        CHECK_INT(clients[i]->status, 200);
                        http_client_free(clients[i]);
                }
        }
        CHECK_INT(views - views_before, 52);
        CHECK_INT(decisions, decisions_before);
        CHECK(!decided);
        /* The user agent reached the handler sanitised. */
        CHECK(!strchr(last_ua, '\x1b'));
}

static void test_decisions(uint16_t port) {
        _cleanup_free_ char *url = review_url(port, token), *csrf = NULL, *body = NULL;
        HttpClient *c;

        c = request("GET", url, NULL, NULL);
        if (!c)
                return;
        csrf = csrf_from_page(c->body);
        http_client_free(c);
        CHECK(csrf != NULL);
        if (!csrf)
                return;

        /* No CSRF token: refused; the handler saw no token. */
        c = request("POST", url, "decision=approve&duration=3600", NULL);
        if (c) {
                CHECK_INT(c->status, 403);
                CHECK(strstr(c->body, "no longer valid") != NULL);
                check_security_headers(c);
                http_client_free(c);
        }
        CHECK(last_csrf_null);
        CHECK(!decided);

        /* A wrong one (another link's): refused. */
        {
                char other[REVIEW_TOKEN_STRING_MAX], other_csrf[REVIEW_CSRF_STRING_MAX];

                CHECK_INT(review_token_generate(other), 0);
                CHECK_INT(review_csrf_token(&key, other, NULL, other_csrf), 0);
                CHECK(asprintf(&body, "csrf=%s&decision=approve&duration=3600", other_csrf) > 0);
                c = request("POST", url, body, NULL);
                if (c) {
                        CHECK_INT(c->status, 403);
                        http_client_free(c);
                }
                CHECK_STR(last_csrf, other_csrf);
                CHECK(!decided);
                free(body);
                body = NULL;
        }

        /* Above policy: refused with the limit. */
        CHECK(asprintf(&body, "csrf=%s&decision=approve&duration=%u", csrf, MAX_DURATION + 1) > 0);
        c = request("POST", url, body, NULL);
        if (c) {
                CHECK_INT(c->status, 400);
                CHECK(strstr(c->body, "at most <strong>4h</strong>") != NULL);
                http_client_free(c);
        }
        CHECK(!decided);
        free(body);
        body = NULL;

        /* Posted from another site (the browser says so): refused before
         * the handler, even with a valid token. */
        {
                const char *headers[] = { "Sec-Fetch-Site: cross-site", "Origin: https://evil.example", NULL };
                unsigned before = decisions;

                CHECK(asprintf(&body, "csrf=%s&decision=approve&duration=3600", csrf) > 0);
                c = request("POST", url, body, headers);
                if (c) {
                        CHECK_INT(c->status, 403);
                        http_client_free(c);
                }
                CHECK_INT(decisions, before);
                CHECK(!decided);
                free(body);
                body = NULL;
        }

        /* The real thing: fields arrive decoded and intact. */
        {
                const char *headers[] = { "Sec-Fetch-Site: same-origin", NULL };

                CHECK(asprintf(&body, "csrf=%s&decision=approve&duration=3600&reason=a+b%%26c%%20%%C3%%A9", csrf) > 0);
                c = request("POST", url, body, headers);
                if (c) {
                        CHECK_INT(c->status, 200);
                        CHECK(strstr(c->body, "<h1>Approved</h1>") != NULL);
                        check_security_headers(c);
                        http_client_free(c);
                }
                CHECK(decided);
                CHECK_STR(last_decision, "approve");
                CHECK_STR(last_duration, "3600");
                CHECK_STR(last_reason, "a b&c \xc3\xa9");
                CHECK_STR(last_csrf, csrf);
        }

        /* A replay: a clear page, no second decision. */
        c = request("POST", url, body, NULL);
        if (c) {
                CHECK_INT(c->status, 409);
                CHECK(strstr(c->body, "already approved by <strong>bob</strong>") != NULL);
                http_client_free(c);
        }
}

static void test_refusals(uint16_t port) {
        _cleanup_free_ char *url = review_url(port, token), *big = NULL;
        unsigned views_before = views, decisions_before = decisions;
        HttpClient *c;

        /* Too big, by Content-Length or by what arrives. */
        big = malloc(HTTP_POST_BODY_MAX_DEFAULT * 3);
        memcpy(big, "reason=", 7);
        memset(big + 7, 'x', HTTP_POST_BODY_MAX_DEFAULT * 3 - 8);
        big[HTTP_POST_BODY_MAX_DEFAULT * 3 - 1] = 0;
        c = request("POST", url, big, NULL);
        if (c) {
                CHECK_INT(c->status, 413);
                check_security_headers(c);
                http_client_free(c);
        }
        {
                /* Chunked: no length up front. */
                const char *headers[] = { "Transfer-Encoding: chunked", NULL };

                c = request("POST", url, big, headers);
                if (c) {
                        CHECK_INT(c->status, 413);
                        http_client_free(c);
                }
        }

        /* Not a form. */
        {
                const char *headers[] = { "Content-Type: application/json", NULL };

                c = request("POST", url, "{\"decision\":\"approve\"}", headers);
                if (c) {
                        CHECK_INT(c->status, 415);
                        http_client_free(c);
                }
        }
        {
                const char *headers[] = { "Content-Type: multipart/form-data; boundary=x", NULL };

                c = request("POST", url, "--x--", headers);
                if (c) {
                        CHECK_INT(c->status, 415);
                        http_client_free(c);
                }
        }
        /* A charset parameter is fine (and then the CSRF check refuses). */
        {
                const char *headers[] = { "Content-Type: application/x-www-form-urlencoded; charset=UTF-8", NULL };

                c = request("POST", url, "decision=approve", headers);
                if (c) {
                        CHECK_INT(c->status, 403);
                        http_client_free(c);
                }
                decisions_before++;
        }
        /* Ambiguous form. */
        c = request("POST", url, "decision=deny&decision=approve", NULL);
        if (c) {
                CHECK_INT(c->status, 400);
                http_client_free(c);
        }

        CHECK_INT(views, views_before);
        CHECK_INT(decisions, decisions_before);
}

/* Other methods, other paths, unknown tokens: answered before any handler
 * that could decide. */
static void test_refusals_routes(uint16_t port) {
        _cleanup_free_ char *url = review_url(port, token);
        unsigned views_before = views, decisions_before = decisions;
        HttpClient *c;
        char base[64];

        /* Other methods: 405 with Allow. */
        for (size_t i = 0; i < 3; i++) {
                static const char *const methods[] = { "PUT", "DELETE", "OPTIONS" };

                c = request(methods[i], url, NULL, NULL);
                if (c) {
                        _cleanup_free_ char *allow = http_client_header(c, "Allow");

                        CHECK_INT(c->status, 405);
                        CHECK_STR(allow, "GET, HEAD, POST");
                        check_security_headers(c);
                        http_client_free(c);
                }
        }

        /* Other paths and malformed tokens: 404 before any handler. */
        snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
        {
                static const char *const paths[] = {
                        "/", "/r/", "/r/short", "/robots.txt", "/R/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x",
                        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2B",
                };

                for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                        _cleanup_free_ char *u = NULL;

                        CHECK(asprintf(&u, "%s%s", base, paths[i]) > 0);
                        c = request(i % 2 ? "POST" : "GET", u, "decision=approve", NULL);
                        if (c) {
                                CHECK_INT(c->status, 404);
                                check_security_headers(c);
                                http_client_free(c);
                        }
                }
        }

        /* A well-formed but unknown token reaches the view handler, which
         * says so. */
        {
                char other[REVIEW_TOKEN_STRING_MAX];
                _cleanup_free_ char *u = NULL;

                CHECK_INT(review_token_generate(other), 0);
                u = review_url(port, other);
                c = request("GET", u, NULL, NULL);
                if (c) {
                        CHECK_INT(c->status, 404);
                        CHECK(strstr(c->body, "not valid") != NULL);
                        http_client_free(c);
                }
                views_before++;
        }

        CHECK_INT(views, views_before);
        CHECK_INT(decisions, decisions_before);
}

#define PROXY_SECRET "s3cr3t-0f-the-sso-proxy-1234567890"
#define PROXY_SECRET_HEADER "X-Jit-Proxy-Secret: " PROXY_SECRET

static const HttpServerSettings proxied = {
        .identity_header = "X-Remote-User",
        .identity_secret = PROXY_SECRET,
        .identity_secret_size = sizeof(PROXY_SECRET) - 1,
};

static void test_trusted_header(void) {
        HttpServer *s;
        uint16_t port = 0;
        _cleanup_free_ char *url = NULL, *csrf = NULL, *body = NULL;
        HttpClient *c;

        s = server_start(&proxied, &port);
        if (!s)
                return;
        url = review_url(port, token);

        {
                const char *h[] = { "X-Remote-User: carol", PROXY_SECRET_HEADER, NULL };

                c = request("GET", url, NULL, h);
                if (c) {
                        CHECK_INT(c->status, 200);
                        CHECK(!last_identity_null);
                        CHECK_STR(last_identity, "carol");
                        CHECK(strstr(c->body, "reviewing as <strong>carol</strong>") != NULL);
                        csrf = csrf_from_page(c->body);
                        http_client_free(c);
                }
        }
        /* Twice: ambiguous, not believed. Control characters: not either. */
        {
                const char *h[] = { "X-Remote-User: carol", "X-Remote-User: admin", PROXY_SECRET_HEADER, NULL };

                c = request("GET", url, NULL, h);
                if (c)
                        http_client_free(c);
                CHECK(last_identity_null);
        }
        {
                const char *h[] = { "x-remote-user: car\x01ol", PROXY_SECRET_HEADER, NULL };

                c = request("GET", url, NULL, h);
                if (c)
                        http_client_free(c);
                CHECK(last_identity_null);
        }

        /* carol's form token does not work for dave. */
        if (csrf) {
                const char *h[] = { "X-Remote-User: dave", PROXY_SECRET_HEADER, NULL };

                decided = false;
                CHECK(asprintf(&body, "csrf=%s&decision=deny", csrf) > 0);
                c = request("POST", url, body, h);
                if (c) {
                        CHECK_INT(c->status, 403);
                        http_client_free(c);
                }
                CHECK_STR(last_identity, "dave");
                CHECK(!decided);
                h[0] = "X-Remote-User: carol";
                c = request("POST", url, body, h);
                if (c) {
                        CHECK_INT(c->status, 200);
                        http_client_free(c);
                }
                CHECK(decided);
        }

        /* Whoever reaches the listener without the proxy's secret (a local
         * user on a loopback listener, say) is refused before any handler
         * runs, whatever identity they name: no secret, a wrong one, one of
         * another length, the right one twice, an empty one. */
        {
                static const char *const bad[][3] = {
                        { "X-Remote-User: carol", NULL, NULL },
                        { "X-Remote-User: carol", "X-Jit-Proxy-Secret: s3cr3t-0f-the-sso-proxy-1234567891", NULL },
                        { "X-Remote-User: carol", "X-Jit-Proxy-Secret: s3cr3t-0f-the-sso-proxy", NULL },
                        { "X-Remote-User: carol", PROXY_SECRET_HEADER, PROXY_SECRET_HEADER },
                        { "X-Remote-User: carol", "X-Jit-Proxy-Secret:", NULL },
                        { NULL, NULL, NULL },
                };

                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        const char *h[4] = { bad[i][0], bad[i][1], bad[i][2], NULL };
                        unsigned views_before = views;

                        decided = false;
                        for (int post = 0; post < 2; post++) {
                                c = request(post ? "POST" : "GET", url, post ? body : NULL, h[0] ? h : NULL);
                                if (c) {
                                        CHECK_INT(c->status, 403);
                                        CHECK(strstr(c->body, "only through its sign-in proxy") != NULL);
                                        http_client_free(c);
                                }
                        }
                        CHECK_INT(views, views_before);
                        CHECK(!decided);
                }
        }
        http_server_free(s);

}

/* The proxy's settings: its secret's header, its addresses, none at all. */
static void test_trusted_header_settings(void) {
        HttpServer *s;
        uint16_t port = 0;
        _cleanup_free_ char *url = NULL;
        HttpClient *c;

        /* The header the secret comes in is configurable. */
        {
                HttpServerSettings custom = proxied;
                const char *right[] = { "X-Remote-User: carol", "X-Proxy-Token: " PROXY_SECRET, NULL };
                const char *old[] = { "X-Remote-User: carol", PROXY_SECRET_HEADER, NULL };

                custom.identity_secret_header = "X-Proxy-Token";
                s = server_start(&custom, &port);
                free(url);
                url = review_url(port, token);
                c = request("GET", url, NULL, old);
                if (c) {
                        CHECK_INT(c->status, 403);
                        http_client_free(c);
                }
                c = request("GET", url, NULL, right);
                if (c) {
                        CHECK_INT(c->status, 200);
                        http_client_free(c);
                }
                CHECK_STR(last_identity, "carol");
                http_server_free(s);
        }

        /* Only from the configured proxy addresses. */
        {
                const char *proxies[] = { "10.9.9.9", "::2" };
                const char *h[] = { "X-Remote-User: carol", PROXY_SECRET_HEADER, NULL };
                HttpServerSettings settings = proxied;

                settings.trusted_proxies = proxies;
                settings.n_trusted_proxies = 2;
                s = server_start(&settings, &port);
                free(url);
                url = review_url(port, token);
                c = request("GET", url, NULL, h);
                if (c)
                        http_client_free(c);
                CHECK(last_identity_null);
                http_server_free(s);

                proxies[1] = "127.0.0.1";
                s = server_start(&settings, &port);
                free(url);
                url = review_url(port, token);
                c = request("GET", url, NULL, h);
                if (c)
                        http_client_free(c);
                CHECK(!last_identity_null);
                http_server_free(s);
        }

        /* Not configured: ignored, and no secret is asked for. */
        {
                const char *h[] = { "X-Remote-User: carol", NULL };

                s = server_start(&(HttpServerSettings) {}, &port);
                free(url);
                url = review_url(port, token);
                c = request("GET", url, NULL, h);
                if (c) {
                        CHECK_INT(c->status, 200);
                        http_client_free(c);
                }
                CHECK(last_identity_null);
                http_server_free(s);
        }

}

/* Settings refused before anything listens. */
static void test_bad_settings(void) {
        {
                const char *bad[] = { "not-an-address" };
                HttpServer *x = NULL;

                CHECK_INT(review_http_server_new(event,
                                          &(HttpServerSettings) { .identity_header = "X-User",
                                                                  .identity_secret = PROXY_SECRET,
                                                                  .identity_secret_size = sizeof(PROXY_SECRET) - 1,
                                                                  .trusted_proxies = bad, .n_trusted_proxies = 1 },
                                          on_view, on_decision, NULL, &x),
                          -EINVAL);
                /* An identity header without a proxy secret, or a short one. */
                CHECK_INT(review_http_server_new(event, &(HttpServerSettings) { .identity_header = "X-User" }, on_view,
                                          on_decision, NULL, &x),
                          -EINVAL);
                CHECK_INT(review_http_server_new(event,
                                          &(HttpServerSettings) { .identity_header = "X-User", .identity_secret = "short",
                                                                  .identity_secret_size = 5 },
                                          on_view, on_decision, NULL, &x),
                          -EINVAL);
                CHECK_INT(review_http_server_new(event, &(HttpServerSettings) { .address = "localhost" },
                                          on_view, on_decision, NULL, &x),
                          -EINVAL);
                CHECK_INT(review_http_server_new(event, &(HttpServerSettings) { .tls_cert_file = "/x" },
                                          on_view, on_decision, NULL, &x),
                          -EINVAL);
                CHECK(x == NULL);
        }
}

static int connect_raw(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        return fd;
}

/* 1 if the server closed it, 0 if it is still open. */
static int closed_by_peer(int fd) {
        char c;
        ssize_t k = recv(fd, &c, 1, MSG_DONTWAIT);

        if (k == 0 || (k < 0 && (errno == ECONNRESET || errno == EPIPE)))
                return 1;
        return 0;
}

/* Send `n` bytes of a request line, one every `interval` usec, while the
 * loop runs; stops early if the server closed the connection. */
static void drip(int fd, size_t n, uint64_t interval) {
        for (size_t i = 0; i < n && !closed_by_peer(fd); i++) {
                (void) send(fd, "G", 1, MSG_NOSIGNAL);
                loop_run_for(event, interval);
        }
}

static void test_limits(void) {
        HttpServer *s;
        uint16_t port = 0;
        int fds[3];

        /* Per address: the third connection takes the slot of the oldest,
         * which has not sent its request. */
        s = server_start(&(HttpServerSettings) { .per_ip_connection_limit = 2, .connection_timeout_sec = 30 }, &port);
        if (!s)
                return;
        for (size_t i = 0; i < 3; i++) {
                fds[i] = connect_raw(port);
                CHECK(fds[i] >= 0);
                loop_run_for(event, 100000);
        }
        loop_run_for(event, 300000);
        CHECK_INT(closed_by_peer(fds[0]), 1);
        CHECK_INT(closed_by_peer(fds[1]), 0);
        CHECK_INT(closed_by_peer(fds[2]), 0);
        for (size_t i = 0; i < 3; i++)
                close(fds[i]);
        http_server_free(s);

        /* In total, likewise. */
        s = server_start(&(HttpServerSettings) { .connection_limit = 2, .per_ip_connection_limit = 2 }, &port);
        if (!s)
                return;
        for (size_t i = 0; i < 3; i++) {
                fds[i] = connect_raw(port);
                CHECK(fds[i] >= 0);
                loop_run_for(event, 100000);
        }
        loop_run_for(event, 300000);
        CHECK_INT(closed_by_peer(fds[0]), 1);
        CHECK_INT(closed_by_peer(fds[1]), 0);
        CHECK_INT(closed_by_peer(fds[2]), 0);
        for (size_t i = 0; i < 3; i++)
                close(fds[i]);
        http_server_free(s);

        /* Idle connections are closed after the timeout, a slow request
         * line included. */
        s = server_start(&(HttpServerSettings) { .connection_timeout_sec = 1 }, &port);
        if (!s)
                return;
        fds[0] = connect_raw(port);
        fds[1] = connect_raw(port);
        loop_run_for(event, 200000);
        CHECK_INT(send(fds[1], "GET /r/", 7, MSG_NOSIGNAL), 7);
        loop_run_for(event, 300000);
        CHECK_INT(closed_by_peer(fds[0]), 0);
        CHECK_INT(closed_by_peer(fds[1]), 0);
        loop_run_for(event, 2500000);
        CHECK_INT(closed_by_peer(fds[0]), 1);
        CHECK_INT(closed_by_peer(fds[1]), 1);
        close(fds[0]);
        close(fds[1]);
        http_server_free(s);

        /* A request that never stops arriving is not idle, but it has
         * request_timeout from accept, not a second more. */
        s = server_start(&(HttpServerSettings) { .connection_timeout_sec = 30, .request_timeout_sec = 1 }, &port);
        if (!s)
                return;
        fds[0] = connect_raw(port);
        loop_run_for(event, 100000);
        drip(fds[0], 5, 100000);
        CHECK_INT(closed_by_peer(fds[0]), 0); /* 0.6 s old */
        drip(fds[0], 10, 100000);
        CHECK_INT(closed_by_peer(fds[0]), 1); /* 1.6 s old */
        close(fds[0]);
        http_server_free(s);
}

static size_t count_fds(void) {
        size_t n = 0;
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

/* A socket passed in (socket activation) is used and then owned; nothing
 * leaks either way. */
static void test_listen_fd(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        size_t before = count_fds();
        HttpServer *s = NULL;
        uint16_t port = 0;
        int fd;

        s = server_start(&(HttpServerSettings) {}, &port);
        http_server_free(s);
        CHECK_INT(count_fds(), before);

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        CHECK(fd >= 3);
        CHECK_INT(bind(fd, (struct sockaddr *) &sa, len), 0);
        CHECK_INT(listen(fd, 16), 0);
        CHECK_INT(getsockname(fd, (struct sockaddr *) &sa, &len), 0);

        s = server_start(&(HttpServerSettings) { .listen_fd = fd }, &port);
        CHECK_INT(port, ntohs(sa.sin_port));
        if (s) {
                _cleanup_free_ char *url = review_url(port, token);
                HttpClient *c = request("GET", url, NULL, NULL);

                if (c) {
                        CHECK_INT(c->status, 200);
                        http_client_free(c);
                }
                http_server_free(s);
        }
        CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
        CHECK_INT(count_fds(), before);
}

static void test_tls(void) {
        char *dir = scratch_create();
        _cleanup_free_ char *cert = NULL, *key_file = NULL, *url = NULL;
        HttpServer *s = NULL;
        uint16_t port = 0;
        int r;

        if (!http_server_tls_supported()) {
                printf("TLS: skipped (libmicrohttpd without TLS)\n");
                scratch_remove(dir);
                return;
        }
        r = make_self_signed_cert(dir, &cert, &key_file);
        if (r == -ENOENT) {
                printf("TLS: skipped (no openssl command)\n");
                scratch_remove(dir);
                return;
        }
        CHECK_INT(r, 0);

        /* A key others can read is refused. */
        CHECK_INT(chmod(key_file, 0644), 0);
        CHECK_INT(review_http_server_new(event,
                                  &(HttpServerSettings) { .tls_cert_file = cert,
                                                          .tls_key_file = key_file },
                                  on_view, on_decision, NULL, &s),
                  -EPERM);
        CHECK_INT(chmod(key_file, 0600), 0);

        s = server_start(&(HttpServerSettings) { .tls_cert_file = cert, .tls_key_file = key_file }, &port);
        if (s) {
                HttpClient *c;

                CHECK(asprintf(&url, "https://localhost:%u/r/%s", port, token) > 0);
                c = http_request(event, &(HttpClientRequest) { .method = "GET", .url = url, .ca_file = cert });
                CHECK(c != NULL);
                if (c) {
                        CHECK_INT(c->status, 200);
                        CHECK(strstr(c->body, "482-913") != NULL);
                        check_security_headers(c);
                        http_client_free(c);
                }
                /* Plain HTTP to the TLS port gets nowhere. */
                free(url);
                CHECK(asprintf(&url, "http://127.0.0.1:%u/r/%s", port, token) > 0);
                c = http_request(event, &(HttpClientRequest) { .method = "GET", .url = url, .timeout_ms = 3000 });
                CHECK(c == NULL || c->status != 200);
                http_client_free(c);
                http_server_free(s);
        }
        scratch_remove(dir);
}

int main(int argc, char **argv) {
        HttpServer *s;
        uint16_t port = 0;

        CHECK(sd_event_default(&event) >= 0);
        CHECK_INT(review_key_generate(&key), 0);
        CHECK_INT(review_token_generate(token), 0);

        s = server_start(&(HttpServerSettings) { .per_ip_connection_limit = 32 }, &port);
        if (s) {
                test_view_never_decides(port);
                test_decisions(port);
                test_refusals(port);
                test_refusals_routes(port);
                http_server_free(s);
        }
        test_trusted_header();
        test_trusted_header_settings();
        test_bad_settings();
        test_limits();
        test_listen_fd();
        test_tls();

        sd_event_unref(event);
        return test_result("test_review_http");
}
