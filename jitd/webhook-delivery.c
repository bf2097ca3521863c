/* Webhook POSTs over libcurl's multi-socket interface on jitd's sd-event
 * loop. libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION:
 * one sd-event io source per socket, stored with curl_multi_assign) and
 * when to call it back (CURLMOPT_TIMERFUNCTION: one sd-event time source);
 * we hand readiness and timeouts back with curl_multi_socket_action and
 * collect finished transfers with curl_multi_info_read. Completion
 * callbacks therefore always run from the loop, never nested inside a
 * libcurl call.
 *
 * Every transfer is pinned down: the URL's scheme decides the only
 * protocol libcurl may speak (https, or http to a loopback host when the
 * admin allowed it), redirects are not followed, TLS peers and host names
 * are verified, CURLOPT_PROXY is always set (to "" when no proxy is
 * configured, which makes libcurl ignore http_proxy, https_proxy and
 * ALL_PROXY), timeouts are capped, and at most response_max bytes of the
 * answer are kept. A receiver that sends more than that after a 2xx
 * status has still accepted the message: the transfer is cut short there
 * and counts as delivered. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>

#include "clock.h"
#include "macros.h"
#include "text.h"
#include "webhook-delivery.h"

#define URL_MAX 2048U
#define HEADER_LINE_MAX 1024U

struct WebhookDelivery {
        sd_event *event;
        int64_t priority;
        CURLM *multi;
        sd_event_source *timer;
        WebhookAttempt *attempts;
        size_t n_attempts;
        bool curl_initialized;
};

struct WebhookAttempt {
        WebhookDelivery *delivery;
        WebhookAttempt *prev, *next;
        CURL *easy;
        struct curl_slist *headers;
        char *response;
        size_t response_size;
        size_t response_max;
        bool response_overflow;
        bool finishing; /* its callback is running; it is freed afterwards */
        uint64_t started_usec;
        WebhookDoneCallback done;
        void *userdata;
        char error[CURL_ERROR_SIZE];
};

static void attempt_free(WebhookAttempt *a) {
        WebhookDelivery *d;

        if (!a)
                return;
        d = a->delivery;

        if (a->easy) {
                curl_multi_remove_handle(d->multi, a->easy);
                curl_easy_cleanup(a->easy);
        }
        curl_slist_free_all(a->headers);
        free(a->response);

        if (a->prev)
                a->prev->next = a->next;
        else if (d->attempts == a)
                d->attempts = a->next;
        if (a->next)
                a->next->prev = a->prev;
        d->n_attempts--;
        free(a);
}

void webhook_attempt_cancel(WebhookAttempt *a) {
        if (a && !a->finishing)
                attempt_free(a);
}

size_t webhook_delivery_in_flight(WebhookDelivery *d) {
        return d ? d->n_attempts : 0;
}

static void result_set_error(WebhookResult *r, const char *message) {
        jit_sanitize(message, r->error, sizeof(r->error));
}

/* Finished transfers: build the result, call back, free. */
static void process_finished(WebhookDelivery *d) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(d->multi, &left))) {
                WebhookAttempt *a;
                WebhookResult result = {};
                char *private = NULL;
                CURLcode code;
                curl_off_t retry_after = 0;
                char message[320];

                if (msg->msg != CURLMSG_DONE)
                        continue;
                code = msg->data.result;
                if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &private) != CURLE_OK || !private)
                        continue;
                a = (WebhookAttempt *) private;

                (void) curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &result.http_status);
                if (curl_easy_getinfo(a->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
                    retry_after > 0)
                        result.retry_after_sec = (uint64_t) retry_after;

                /* Cut short by us after a complete status line: the
                 * receiver answered; what it said counts. */
                if (code == CURLE_WRITE_ERROR && a->response_overflow)
                        code = CURLE_OK;

                result.curl_code = (int) code;
                result.elapsed_usec = now_monotonic_usec() - a->started_usec;
                result.delivered = code == CURLE_OK && result.http_status >= 200 && result.http_status <= 299;
                result.response = a->response ? a->response : "";
                result.response_size = a->response_size;

                if (code != CURLE_OK) {
                        snprintf(message, sizeof(message), "%s", a->error[0] ? a->error : curl_easy_strerror(code));
                        result_set_error(&result, message);
                } else if (result.http_status >= 300 && result.http_status <= 399) {
                        snprintf(message, sizeof(message), "HTTP %ld: a redirect, which is not followed",
                                 result.http_status);
                        result_set_error(&result, message);
                } else if (!result.delivered) {
                        snprintf(message, sizeof(message), "HTTP %ld", result.http_status);
                        result_set_error(&result, message);
                }

                /* Take it off the multi handle before the callback, which
                 * may post new attempts. */
                curl_multi_remove_handle(d->multi, a->easy);
                a->finishing = true;
                if (a->done)
                        a->done(d, &result, a->userdata);
                attempt_free(a);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WebhookDelivery *d = userdata;
        int action = 0, running = 0;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;

        /* This may remove (and unref) `s` through on_socket(); sd-event
         * keeps a source alive while it is being dispatched. */
        (void) curl_multi_socket_action(d->multi, fd, action, &running);
        process_finished(d);
        return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        WebhookDelivery *d = userp;
        sd_event_source *io = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        curl_multi_assign(d->multi, fd, NULL);
                        sd_event_source_disable_unref(io);
                }
                return 0;
        }

        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        if (io) {
                r = sd_event_source_set_io_events(io, events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(io, SD_EVENT_ON);
                return r < 0 ? -1 : 0;
        }

        r = sd_event_add_io(d->event, &io, fd, events, on_io, d);
        if (r < 0)
                return -1;
        (void) sd_event_source_set_priority(io, d->priority);
        (void) sd_event_source_set_description(io, "webhook-socket");
        if (curl_multi_assign(d->multi, fd, io) != CURLM_OK) {
                sd_event_source_disable_unref(io);
                return -1;
        }
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        WebhookDelivery *d = userdata;
        int running = 0;

        (void) curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        process_finished(d);
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
        WebhookDelivery *d = userp;
        uint64_t when;
        int r;

        if (timeout_ms < 0) {
                if (d->timer)
                        (void) sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
                return 0;
        }

        when = now_monotonic_usec() + (uint64_t) timeout_ms * USEC_PER_MSEC;
        if (d->timer) {
                r = sd_event_source_set_time(d->timer, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
                return r < 0 ? -1 : 0;
        }

        /* Accuracy 1 µs: sd-event's default slack (250 ms) would delay
         * every libcurl timeout. */
        r = sd_event_add_time(d->event, &d->timer, CLOCK_MONOTONIC, when, 1, on_timer, d);
        if (r < 0)
                return -1;
        (void) sd_event_source_set_priority(d->timer, d->priority);
        (void) sd_event_source_set_description(d->timer, "webhook-timer");
        return 0;
}

int webhook_delivery_new(sd_event *event, int64_t priority, WebhookDelivery **ret) {
        WebhookDelivery *d;

        if (!event || !ret)
                return -EINVAL;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->event = sd_event_ref(event);
        d->priority = priority;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                webhook_delivery_free(d);
                return -EIO;
        }
        d->curl_initialized = true;

        d->multi = curl_multi_init();
        if (!d->multi) {
                webhook_delivery_free(d);
                return -ENOMEM;
        }
        if (curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
            curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d) != CURLM_OK ||
            curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d) != CURLM_OK) {
                webhook_delivery_free(d);
                return -EIO;
        }

        *ret = d;
        return 0;
}

WebhookDelivery *webhook_delivery_free(WebhookDelivery *d) {
        if (!d)
                return NULL;

        while (d->attempts)
                attempt_free(d->attempts);
        if (d->multi)
                curl_multi_cleanup(d->multi);
        sd_event_source_disable_unref(d->timer);
        if (d->curl_initialized)
                curl_global_cleanup();
        sd_event_unref(d->event);
        free(d);
        return NULL;
}

static bool host_is_loopback(const char *host) {
        struct in_addr a4;
        struct in6_addr a6;

        if (strcasecmp(host, "localhost") == 0)
                return true;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (host[0] == '[') {
                char buf[INET6_ADDRSTRLEN + 2];
                size_t n = strlen(host);

                if (n < 3 || n - 2 >= sizeof(buf) || host[n - 1] != ']')
                        return false;
                memcpy(buf, host + 1, n - 2);
                buf[n - 2] = 0;
                return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
        }
        return false;
}

static void curl_url_cleanupp(CURLU **u) {
        if (*u)
                curl_url_cleanup(*u);
}

static void curl_freep(char **p) {
        if (*p)
                curl_free(*p);
}

/* 1 for https, 0 for (allowed) http, <0 if the URL is refused. */
static int url_classify(const char *url, bool allow_http_loopback) {
        _cleanup_(curl_url_cleanupp) CURLU *u = NULL;
        _cleanup_(curl_freep) char *scheme = NULL, *host = NULL;
        size_t n;

        if (!url)
                return -EINVAL;
        n = strnlen(url, URL_MAX + 1);
        if (n == 0 || n > URL_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) url[i] <= ' ' || (unsigned char) url[i] >= 0x7f)
                        return -EINVAL;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
                return -EINVAL;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host)
                return -EINVAL;

        if (strcmp(scheme, "https") == 0)
                return 1;
        if (strcmp(scheme, "http") == 0 && allow_http_loopback && host_is_loopback(host))
                return 0;
        return -EINVAL;
}

int webhook_url_check(const char *url, bool allow_http_loopback) {
        int r = url_classify(url, allow_http_loopback);

        return r < 0 ? r : 0;
}

static bool header_line_is_valid(const char *h) {
        const char *colon;
        size_t n;

        if (!h)
                return false;
        n = strnlen(h, HEADER_LINE_MAX + 1);
        if (n == 0 || n > HEADER_LINE_MAX)
                return false;
        colon = strchr(h, ':');
        if (!colon || colon == h)
                return false;
        /* A token for the name; no control characters anywhere (CR/LF
         * would smuggle extra headers). */
        for (const char *p = h; p < colon; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("!#$%&'*+-.^_`|~", *p)))
                        return false;
        for (const char *p = colon; *p; p++)
                if (((unsigned char) *p < ' ' && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        WebhookAttempt *a = userdata;
        size_t n = size * nmemb;

        if (n > a->response_max - a->response_size) {
                /* Keep what fits, then stop reading. */
                size_t k = a->response_max - a->response_size;

                memcpy(a->response + a->response_size, ptr, k);
                a->response_size += k;
                a->response[a->response_size] = 0;
                a->response_overflow = true;
                return 0;
        }
        memcpy(a->response + a->response_size, ptr, n);
        a->response_size += n;
        a->response[a->response_size] = 0;
        return n;
}

static uint64_t clamp_usec(uint64_t v, uint64_t def, uint64_t max) {
        if (v == 0)
                return def;
        return v > max ? max : v;
}

#define SETOPT(easy, opt, val)                                          \
        do {                                                            \
                if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK) \
                        return -EIO;                                    \
        } while (0)

static int attempt_configure(WebhookAttempt *a, const WebhookRequest *req, bool https) {
        CURL *e = a->easy;
        char line[HEADER_LINE_MAX + 1];
        struct curl_slist *l;

        snprintf(line, sizeof(line), "Content-Type: %s", req->content_type ? req->content_type : "application/json");
        if (!header_line_is_valid(line))
                return -EINVAL;
        l = curl_slist_append(a->headers, line);
        if (!l)
                return -ENOMEM;
        a->headers = l;
        /* No "Expect: 100-continue" round trip. */
        l = curl_slist_append(a->headers, "Expect:");
        if (!l)
                return -ENOMEM;
        a->headers = l;
        for (size_t i = 0; i < req->n_headers; i++) {
                l = curl_slist_append(a->headers, req->headers[i]);
                if (!l)
                        return -ENOMEM;
                a->headers = l;
        }

        SETOPT(e, CURLOPT_PRIVATE, a);
        SETOPT(e, CURLOPT_ERRORBUFFER, a->error);
        SETOPT(e, CURLOPT_NOSIGNAL, 1L);
        SETOPT(e, CURLOPT_URL, req->url);
        SETOPT(e, CURLOPT_PROTOCOLS_STR, https ? "https" : "http");
        SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
        SETOPT(e, CURLOPT_MAXREDIRS, 0L);
        SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
        SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
        SETOPT(e, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        if (req->ca_file && *req->ca_file)
                SETOPT(e, CURLOPT_CAINFO, req->ca_file);
        /* "" disables proxies, the environment's included. With a proxy
         * configured, NOPROXY "" makes it apply to every host, whatever
         * no_proxy says. */
        SETOPT(e, CURLOPT_PROXY, req->proxy ? req->proxy : "");
        if (req->proxy && *req->proxy)
                SETOPT(e, CURLOPT_NOPROXY, "");
        SETOPT(e, CURLOPT_NETRC, (long) CURL_NETRC_IGNORED);
        SETOPT(e, CURLOPT_USERAGENT, "jitd");
        SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS,
               (long) (clamp_usec(req->connect_timeout_usec, WEBHOOK_CONNECT_TIMEOUT_DEFAULT_USEC,
                                  WEBHOOK_CONNECT_TIMEOUT_MAX_USEC) /
                       USEC_PER_MSEC));
        SETOPT(e, CURLOPT_TIMEOUT_MS,
               (long) (clamp_usec(req->timeout_usec, WEBHOOK_TIMEOUT_DEFAULT_USEC, WEBHOOK_TIMEOUT_MAX_USEC) /
                       USEC_PER_MSEC));
        SETOPT(e, CURLOPT_HTTPHEADER, a->headers);
        SETOPT(e, CURLOPT_POST, 1L);
        SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_size);
        SETOPT(e, CURLOPT_COPYPOSTFIELDS, req->body_size > 0 ? (const char *) req->body : "");
        SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
        SETOPT(e, CURLOPT_WRITEDATA, a);
        return 0;
}

int webhook_delivery_post(WebhookDelivery *d, const WebhookRequest *req, WebhookDoneCallback done,
                          void *userdata, WebhookAttempt **ret_attempt) {
        WebhookAttempt *a;
        int https, r;

        if (!d || !req || (!req->body && req->body_size > 0) || (!req->headers && req->n_headers > 0) ||
            req->n_headers > WEBHOOK_EXTRA_HEADERS_MAX || req->body_size > (size_t) 16 * 1024 * 1024)
                return -EINVAL;
        for (size_t i = 0; i < req->n_headers; i++)
                if (!header_line_is_valid(req->headers[i]))
                        return -EINVAL;
        if (req->content_type && strnlen(req->content_type, 100) >= 100)
                return -EINVAL;
        if (req->proxy && strnlen(req->proxy, URL_MAX + 1) > URL_MAX)
                return -EINVAL;

        https = url_classify(req->url, req->allow_http_loopback);
        if (https < 0)
                return https;
        if (d->n_attempts >= WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX)
                return -EBUSY;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->delivery = d;
        a->done = done;
        a->userdata = userdata;
        a->response_max = req->response_max == 0 ? WEBHOOK_RESPONSE_MAX_DEFAULT
                          : req->response_max > WEBHOOK_RESPONSE_MAX ? WEBHOOK_RESPONSE_MAX
                                                                     : req->response_max;
        a->next = d->attempts;
        if (d->attempts)
                d->attempts->prev = a;
        d->attempts = a;
        d->n_attempts++;

        a->response = malloc(a->response_max + 1);
        a->easy = curl_easy_init();
        if (!a->response || !a->easy) {
                attempt_free(a);
                return -ENOMEM;
        }
        a->response[0] = 0;

        r = attempt_configure(a, req, https == 1);
        if (r < 0) {
                attempt_free(a);
                return r;
        }

        a->started_usec = now_monotonic_usec();
        if (curl_multi_add_handle(d->multi, a->easy) != CURLM_OK) {
                /* attempt_free() would remove a handle that was never added;
                 * harmless, libcurl refuses that quietly. */
                attempt_free(a);
                return -EIO;
        }

        if (ret_attempt)
                *ret_attempt = a;
        return 0;
}

WebhookVerdict webhook_result_verdict(const WebhookResult *r) {
        if (r && r->delivered)
                return WEBHOOK_VERDICT_DELIVERED;
        if (r && r->curl_code == 0 && r->http_status == 410)
                return WEBHOOK_VERDICT_GIVE_UP;
        return WEBHOOK_VERDICT_RETRY;
}

static uint64_t add_saturating(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int webhook_retry_next(const WebhookRetryPolicy *p, unsigned attempts, uint64_t first_attempt_usec,
                       uint64_t now_usec, uint64_t retry_after_usec, uint64_t random,
                       uint64_t *ret_next_usec) {
        uint64_t initial, max_delay, max_age, deadline, delay, half, next;

        if (!p || attempts == 0 || !ret_next_usec)
                return -EINVAL;

        initial = p->initial_delay_usec > 0 ? p->initial_delay_usec : WEBHOOK_RETRY_INITIAL_DEFAULT_USEC;
        max_delay = p->max_delay_usec > 0 ? p->max_delay_usec : WEBHOOK_RETRY_MAX_DELAY_DEFAULT_USEC;
        max_age = p->max_age_usec > 0 ? p->max_age_usec : WEBHOOK_RETRY_MAX_AGE_DEFAULT_USEC;
        if (max_delay < initial)
                max_delay = initial;

        deadline = add_saturating(first_attempt_usec, max_age);
        if (now_usec >= deadline)
                return 0;

        delay = initial;
        for (unsigned i = 1; i < attempts && delay < max_delay; i++)
                delay = delay > UINT64_MAX / 2 ? UINT64_MAX : delay * 2;
        if (delay > max_delay)
                delay = max_delay;

        /* Equal jitter: never less than half the delay, so a busy receiver
         * still gets the backoff, but spread so that a fleet of hosts that
         * failed together does not retry together. */
        half = delay / 2;
        delay = half + random % (delay - half + 1);

        if (retry_after_usec > max_delay)
                retry_after_usec = max_delay;
        if (delay < retry_after_usec)
                delay = retry_after_usec;

        next = add_saturating(now_usec, delay);
        if (next > deadline)
                next = deadline;
        *ret_next_usec = next;
        return 1;
}
