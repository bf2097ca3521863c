/* Webhook delivery: HTTP POSTs through libcurl's multi interface, driven
 * by the caller's sd-event loop (curl_multi_socket_action with sd-event io
 * and time sources; no threads, nothing blocks). One attempt per call; the
 * retry schedule is the caller's (webhook_retry_next) because it must
 * survive restarts in the outbox. Transport rules that are not negotiable:
 * HTTPS only (plain HTTP only to a loopback address and only when allowed),
 * TLS verified, no redirects followed (a 3xx is a failure), a proxy only
 * when configured (proxy environment variables are ignored), bounded
 * connect and total time, a capped response. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct WebhookDelivery WebhookDelivery;
typedef struct WebhookAttempt WebhookAttempt;

#define WEBHOOK_CONNECT_TIMEOUT_DEFAULT_USEC (10ULL * 1000000ULL)
#define WEBHOOK_CONNECT_TIMEOUT_MAX_USEC (60ULL * 1000000ULL)
#define WEBHOOK_TIMEOUT_DEFAULT_USEC (30ULL * 1000000ULL)
#define WEBHOOK_TIMEOUT_MAX_USEC (300ULL * 1000000ULL)
#define WEBHOOK_RESPONSE_MAX_DEFAULT (16U * 1024U)
#define WEBHOOK_RESPONSE_MAX (1024U * 1024U)
#define WEBHOOK_EXTRA_HEADERS_MAX 8U
#define WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX 256U

typedef struct WebhookRequest {
        const char *url;
        const void *body; /* copied; the caller may free it after webhook_delivery_post() */
        size_t body_size;
        const char *content_type;          /* NULL: "application/json" */
        const char *const *headers;        /* "Name: value" lines (e.g. the signature headers) */
        size_t n_headers;
        const char *ca_file;               /* NULL: the system's trust store */
        const char *proxy;                 /* NULL or "": no proxy, whatever the environment says */
        bool allow_http_loopback;          /* permit http:// to 127.0.0.0/8, ::1 or localhost */
        uint64_t connect_timeout_usec;     /* 0: default; capped at the max */
        uint64_t timeout_usec;             /* 0: default; capped at the max */
        size_t response_max;               /* 0: default; capped at WEBHOOK_RESPONSE_MAX */
} WebhookRequest;

typedef struct WebhookResult {
        long http_status;        /* 0 if no response arrived */
        int curl_code;           /* CURLcode; 0 = the transfer completed */
        char error[256];         /* human readable, sanitised; "" on success */
        uint64_t elapsed_usec;   /* from post to completion */
        uint64_t retry_after_sec; /* a Retry-After header, 0 if none */
        bool delivered;          /* completed with a 2xx status */
        const char *response;    /* the first response_max bytes, NUL-terminated; valid during the callback */
        size_t response_size;
} WebhookResult;

/* Called once per attempt, from the event loop, never from inside
 * webhook_delivery_post(). The attempt is freed after it returns. The
 * callback may post new attempts but must not free the engine. */
typedef void (*WebhookDoneCallback)(WebhookDelivery *d, const WebhookResult *result, void *userdata);

int webhook_delivery_new(sd_event *event, int64_t priority, WebhookDelivery **ret);
/* Aborts attempts in flight without calling their callbacks. NULL ok. */
WebhookDelivery *webhook_delivery_free(WebhookDelivery *d);
static inline void webhook_delivery_freep(WebhookDelivery **d) {
        webhook_delivery_free(*d);
}

/* Start one POST. -EINVAL for a request that breaks the rules above (bad
 * URL, http to a non-loopback host or without permission, bad header
 * line), -EBUSY if WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX are in flight. The
 * outcome, including connection errors, arrives through `done`.
 * *ret_attempt (optional) stays valid until `done` runs or it is
 * cancelled. */
int webhook_delivery_post(WebhookDelivery *d, const WebhookRequest *req, WebhookDoneCallback done,
                          void *userdata, WebhookAttempt **ret_attempt);
/* Abort an attempt in flight; its callback is not called. */
void webhook_attempt_cancel(WebhookAttempt *a);
size_t webhook_delivery_in_flight(WebhookDelivery *d);

/* Validate a webhook URL by the rules above without sending anything (for
 * jitd --check-config). */
int webhook_url_check(const char *url, bool allow_http_loopback);

/* ---- Retry schedule (pure; the caller persists attempts and times) ---- */

typedef struct WebhookRetryPolicy {
        uint64_t initial_delay_usec; /* delay after the first failure, before jitter */
        uint64_t max_delay_usec;     /* cap for one delay */
        uint64_t max_age_usec;       /* give up this long after the first attempt */
} WebhookRetryPolicy;

#define WEBHOOK_RETRY_INITIAL_DEFAULT_USEC (5ULL * 1000000ULL)
#define WEBHOOK_RETRY_MAX_DELAY_DEFAULT_USEC (15ULL * 60ULL * 1000000ULL)
#define WEBHOOK_RETRY_MAX_AGE_DEFAULT_USEC (24ULL * 3600ULL * 1000000ULL)

typedef enum WebhookVerdict {
        WEBHOOK_VERDICT_DELIVERED, /* 2xx */
        WEBHOOK_VERDICT_RETRY,     /* transport error, 3xx, 4xx, 5xx: try again later */
        WEBHOOK_VERDICT_GIVE_UP,   /* 410 Gone: the receiver asked never to be sent this again */
} WebhookVerdict;

WebhookVerdict webhook_result_verdict(const WebhookResult *r);

/* When to try again after `attempts` (>= 1) failed attempts, the first at
 * `first_attempt_usec`, the last failing at `now_usec` (same clock).
 * Exponential: initial * 2^(attempts-1), capped at max_delay, at least
 * `retry_after_usec` (the receiver's Retry-After, itself capped at
 * max_delay); then "equal jitter": a uniformly random point in the upper
 * half of that delay, from `random`. Returns 1 and *ret_next_usec, or 0 if
 * the message is too old: a retry is never scheduled after first + max_age,
 * but one last attempt is scheduled exactly at that deadline if it is still
 * ahead. */
int webhook_retry_next(const WebhookRetryPolicy *p, unsigned attempts, uint64_t first_attempt_usec,
                       uint64_t now_usec, uint64_t retry_after_usec, uint64_t random,
                       uint64_t *ret_next_usec);
