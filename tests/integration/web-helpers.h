/* Helpers for the notification integration tests (test-webhooks.c,
 * test-review.c): a real jitd (harness.h) with [webhook] endpoints that
 * point at real loopback receivers (tests/tools/webhook-receiver.py), and
 * a blocking libcurl client for the review pages, acting like a browser,
 * a chat unfurler or a mail scanner would. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "web-test-util.h"

/* argv[1], argv[2] of every notification test: python3 and the receiver.
 * Exits 77 when python3 is missing. */
void web_test_init(int argc, char **argv, const char *test_name);
extern const char *test_python;
extern const char *test_receiver_script;

/* A directory for receiver logs and secrets, removed at exit. */
const char *web_scratch(void);
/* A fresh 32-byte secret "whsec_..." in a 0600 file; both malloc()ed. */
int make_secret(const char *name, char **ret_path, char **ret_text);

/* Start a receiver (extra: NULL-terminated arguments such as "--script",
 * "500,200"). Aborts the test if it does not come up. */
void start_receiver(Receiver *r, const char *name, const char *const *extra);
/* A loopback port nobody listens on right now. */
uint16_t free_port(void);

/* The receiver's records about one request (and event type, e.g.
 * "jit.request.created"; NULL: any), oldest first, as parsed bodies with
 * "_headers", "_signature_valid" and "_time" (when it arrived, UNIX
 * seconds as a double) added. json_object_put() the array. */
struct json_object *records_for(const Receiver *r, const char *request_id, const char *type);
/* Wait until the receiver has at least n records for request_id/type. */
bool wait_records(const Receiver *r, const char *request_id, const char *type, size_t n, uint64_t timeout_usec);
/* The review link of `approver` ("" = shared) in a generic body, or NULL
 * (malloc()ed). */
char *body_link(struct json_object *body, const char *approver);

typedef struct HttpResult {
        long status;
        char *body;
        size_t size;
} HttpResult;

/* A header line every http_do() request carries besides its own (the SSO
 * proxy's secret, as the proxy would add it), or NULL. */
extern const char *http_proxy_header;

/* One request. `body` NULL: no body. `headers`: NULL-terminated "Name:
 * value" lines or NULL. 0 or -EIO (no response). */
int http_do(const char *method, const char *url, const char *body, const char *const *headers, HttpResult *ret);
void http_result_done(HttpResult *r);
/* The CSRF token on a review page (malloc()ed) or NULL. */
char *page_csrf(const char *html);
/* GET the page and POST a decision with its CSRF token. `identity`: the
 * trusted header's value, or NULL. */
int review_decide(const char *url, const char *identity, const char *decision, const char *duration,
                  HttpResult *ret);

/* io.jit.Show of a request as root: its parameters (json_object_put()). */
struct json_object *show_request(Jitd *j, const char *request_id);
/* The request's state ("pending", ...) from Show; a static buffer. */
const char *request_state(Jitd *j, const char *request_id);
/* Active grants of a user, counted with io.jit.List. */
int count_active_grants(Jitd *j, const char *user);
/* How often the audit log has events of this name (and request id). */
int audit_count(Jitd *j, const char *event, const char *request_id);
/* Poll `cond` every 50 ms until it holds or the timeout passes. */
#define WAIT_FOR(cond, timeout_usec)                                                   \
        ({                                                                             \
                uint64_t _deadline = now_usec_monotonic() + (timeout_usec);            \
                bool _ok;                                                              \
                while (!(_ok = (cond)) && now_usec_monotonic() < _deadline)            \
                        sleep_usec(50000);                                             \
                _ok;                                                                   \
        })
uint64_t now_usec_monotonic(void);
