/* Form bodies through the review HTTP server over loopback, as the
 * decision handler sees them: percent-decoded ('+' a space, encoded names
 * count), empty and absent fields told apart, a name without '=' an empty
 * value, an '=' in a value part of it, a line break too; and refused with
 * 400 before the handler runs: a NUL (raw or %00), a bad escape, a repeated
 * field, a value above 4 KiB. Requests are written on raw sockets (a body
 * may hold a NUL) while the server runs on this process's sd-event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-server.h"
#include "macros.h"
#include "web-test-util.h"
#include "review-http.h"
#include "review-token.h"
#include "test.h"

static sd_event *event;
static char token[REVIEW_TOKEN_STRING_MAX];

/* What the decision handler saw. */
static unsigned decisions;
static char last_csrf[80], last_decision[32], last_duration[32], last_reason[600];
static bool last_csrf_null, last_decision_null, last_duration_null;

static void copy(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

static int on_view(HttpServer *s, const ReviewHttpRequest *rq, HttpReply *reply, void *userdata) {
        reply->status = 500; /* only POSTs here */
        return 0;
}

/* Records the fields; answers 403 as the real one does to a form without
 * the link's CSRF token. */
static int on_decision(HttpServer *s, const ReviewHttpRequest *rq, HttpReply *reply, void *userdata) {
        decisions++;
        copy(last_csrf, sizeof(last_csrf), rq->csrf);
        last_csrf_null = !rq->csrf;
        copy(last_decision, sizeof(last_decision), rq->decision);
        last_decision_null = !rq->decision;
        copy(last_duration, sizeof(last_duration), rq->duration);
        last_duration_null = !rq->duration;
        copy(last_reason, sizeof(last_reason), rq->reason);
        reply->status = 403;
        return 0;
}

static int connect_loopback(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        return fd;
}

/* POST `size` bytes as a form over a raw connection (a body may hold a
 * NUL); the response's status, or -1. */
static int post_form(uint16_t port, const char *body, size_t size) {
        _cleanup_free_ char *head = NULL;
        char response[256] = {};
        size_t got = 0;
        unsigned status = 0;
        int fd = connect_loopback(port), n;

        if (fd < 0)
                return -1;
        n = asprintf(&head,
                     "POST /r/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     token, size);
        CHECK(n > 0);
        loop_run_for(event, 10000); /* the connect */
        if (n <= 0 || send(fd, head, (size_t) n, MSG_NOSIGNAL) != n ||
            (size > 0 && send(fd, body, size, MSG_NOSIGNAL) != (ssize_t) size)) {
                close(fd);
                return -1;
        }
        for (size_t round = 0; round < 500 && got < sizeof(response) - 1; round++) {
                ssize_t k;

                loop_run_for(event, 2000);
                k = recv(fd, response + got, sizeof(response) - 1 - got, MSG_DONTWAIT);
                if (k == 0)
                        break;
                if (k > 0)
                        got += (size_t) k;
        }
        close(fd);
        if (sscanf(response, "HTTP/1.%*u %u", &status) != 1)
                return -1;
        return (int) status;
}

/* Form bodies as the decision handler sees them: percent-decoded and
 * intact; malformed ones refused with 400 before it runs. */
static void test_form_parse(uint16_t port) {
        static const struct {
                const char *body;
                size_t size;
        } refused[] = {
                /* NULs in any form, bad escapes, repeats. */
                { "reason=a%00b", 12 },
                { "reason=a\0b", 10 },
                { "reason=%zz", 10 },
                { "reason=%4", 9 },
                { "reason=%", 8 },
                { "decision=approve&decision=deny", 30 },
                { "csrf=a&%63srf=b", 15 },
        };
        unsigned before;

        before = decisions;
        CHECK_INT(post_form(port, "csrf=abc&decision=approve&duration=3600&reason=a+b%26c%20%C3%A9&x=1", 67), 403);
        CHECK_INT(decisions, before + 1);
        CHECK_STR(last_csrf, "abc");
        CHECK_STR(last_decision, "approve");
        CHECK_STR(last_duration, "3600");
        CHECK_STR(last_reason, "a b&c \xc3\xa9");

        /* Absent and empty fields, stray separators, name without '='. */
        CHECK_INT(post_form(port, "&&decision=deny&reason=&&csrf", 29), 403);
        CHECK_INT(decisions, before + 2);
        CHECK_STR(last_decision, "deny");
        CHECK_STR(last_reason, "");
        CHECK(!last_csrf_null);
        CHECK_STR(last_csrf, "");
        CHECK(last_duration_null);
        CHECK_INT(post_form(port, "", 0), 403);
        CHECK_INT(decisions, before + 3);
        CHECK(last_csrf_null && last_decision_null);
        /* Encoded names count as names. */
        CHECK_INT(post_form(port, "%63srf=x", 8), 403);
        CHECK_INT(decisions, before + 4);
        CHECK_STR(last_csrf, "x");
        /* An '=' in a value is part of it; a field without a name is ignored. */
        CHECK_INT(post_form(port, "=x&reason=a=b&=", 15), 403);
        CHECK_INT(decisions, before + 5);
        CHECK_STR(last_reason, "a=b");
        /* A line break is part of a value (review_form_parse judges it). */
        CHECK_INT(post_form(port, "reason=a\r\nb&csrf", 16), 403);
        CHECK_INT(decisions, before + 6);
        CHECK_STR(last_reason, "a\r\nb");
        CHECK_STR(last_csrf, "");

        before = decisions;
        for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                CHECK_INT(post_form(port, refused[i].body, refused[i].size), 400);
        /* A value above 4 KiB, in a body within the size limit. */
        {
                char big[5000 + 8];

                memcpy(big, "reason=", 7);
                memset(big + 7, 'x', 5000);
                CHECK_INT(post_form(port, big, 5007), 400);
        }
        CHECK_INT(decisions, before);
}

int main(int argc, char **argv) {
        HttpServer *s = NULL;
        uint16_t port = 0;

        CHECK(sd_event_default(&event) >= 0);
        CHECK_INT(review_token_generate(token), 0);
        CHECK_INT(review_http_server_new(event, &(HttpServerSettings) {}, on_view, on_decision, NULL, &s), 0);
        if (s) {
                CHECK_INT(http_server_local_port(s, &port), 0);
                test_form_parse(port);
                http_server_free(s);
        }
        sd_event_unref(event);
        return test_result("test_review_form");
}
