/* jitd.conf's approver notification settings: the [review] section (the
 * review-link web server), the [webhook NAME] sections (where requests are
 * announced) and approvers=/quorum= of [login] and [sudo]. Their keys are
 * in the one registry (config-keys.c) like every other key; this file
 * owns their defaults, the setters only they need (listen address, URLs
 * checked with libcurl's CURLU, header names, action/event sets), the
 * rules across several of them once every file is read, and the checks
 * --check-config makes on the running system. A secret never passes
 * through here, only the path of the file holding it. */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config-approvers.h"
#include "config-value.h"
#include "http-server.h"
#include "macros.h"
#include "crypto-util.h"
#include "text.h"
#include "webhook-delivery.h"
#include "webhook-sign.h"

#define PUBLIC_URL_MAX 1024U /* leaves room for "/r/" + a token within WEBHOOK_URL_MAX */
#define HEADER_NAME_MAX 64U

#define REVIEW_LISTEN_DEFAULT "127.0.0.1:8743"

#define WEBHOOK_TIMEOUT_DEFAULT_SEC 15U
#define WEBHOOK_CONNECT_TIMEOUT_DEFAULT_SEC 10U
#define WEBHOOK_RETRY_INITIAL_DEFAULT_SEC 5U
#define WEBHOOK_RETRY_MAX_DELAY_DEFAULT_SEC (15U * 60U)
#define WEBHOOK_MAX_AGE_DEFAULT_SEC (24U * 3600U)

_printf_(3, 4) static int fail(char *error, size_t size, const char *fmt, ...) {
        va_list ap;

        if (error && size > 0) {
                va_start(ap, fmt);
                vsnprintf(error, size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* ---- values only these sections have ---- */

static const char *shown(const char *s, char *buf, size_t size) {
        return jit_sanitize(s, buf, size);
}

static bool numeric_address_ok(const char *s) {
        struct in6_addr a6;
        struct in_addr a4;

        return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

const ConfigListKind config_list_addresses = { numeric_address_ok, NULL, 255, false };

static bool action_name_ok(const char *s) {
        JitAction a = jit_action_from_string(s);
        return a >= 0 && a < _JIT_ACTION_MAX;
}

/* events= names the webhook events without their "jit.request." prefix. */
const char *config_event_name(WebhookEventType t) {
        const char *full = webhook_event_type_to_string(t), *dot;

        if (!full)
                return NULL;
        dot = strrchr(full, '.');
        return dot ? dot + 1 : full;
}

static bool event_name_ok(const char *s) {
        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                if (strcmp(config_event_name(t), s) == 0)
                        return true;
        return false;
}

static const ConfigListKind list_actions = { action_name_ok, NULL, 255, false };
static const ConfigListKind list_events = { event_name_ok, NULL, 255, false };

/* "127.0.0.1:8743", "[::1]:8743", "0.0.0.0:443"; port 0 picks a free one.
 * -EINVAL if it is none of these. */
static int review_listen_set(ReviewConfig *rc, const char *value) {
        char address[INET6_ADDRSTRLEN + 1];
        const char *port_text;
        uint64_t port;
        size_t len;

        if (*value == '\0') {
                free(rc->listen);
                free(rc->listen_address);
                rc->listen = rc->listen_address = NULL;
                rc->listen_port = 0;
                return 0;
        }

        if (value[0] == '[') {
                const char *end = strchr(value, ']');

                if (!end || end[1] != ':')
                        return -EINVAL;
                len = (size_t) (end - value - 1);
                port_text = end + 2;
        } else {
                const char *colon = strrchr(value, ':');

                if (!colon || strchr(value, ':') != colon)
                        return -EINVAL;
                len = (size_t) (colon - value);
                port_text = colon + 1;
        }
        if (len == 0 || len >= sizeof(address))
                return -EINVAL;
        memcpy(address, value + (value[0] == '['), len);
        address[len] = '\0';
        if (!numeric_address_ok(address) || jit_parse_uint64(port_text, 0, 65535, &port) < 0)
                return -EINVAL;
        if (value[0] == '[' && strchr(address, ':') == NULL)
                return -EINVAL;

        if (config_set_string(&rc->listen, value) < 0 || config_set_string(&rc->listen_address, address) < 0)
                return -ENOMEM;
        rc->listen_port = (uint16_t) port;
        return 0;
}

int config_set_review_listen(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char buf[80];
        int r;

        (void) k, (void) field;
        r = review_listen_set(s->base, value);
        if (r != -EINVAL)
                return r;
        return config_set_fail(s,
                               "%s: '%s' is not a numeric ADDRESS:PORT (e.g. 127.0.0.1:8743, [::1]:8743), "
                               "or empty to switch the review server off",
                               s->key, shown(value, buf, sizeof(buf)));
}

static void curl_url_cleanupp(CURLU **u) {
        if (*u)
                curl_url_cleanup(*u);
}

/* Does CURLU find `part` in `u`? */
static bool url_has(CURLU *u, CURLUPart part) {
        char *v = NULL;
        bool has = curl_url_get(u, part, &v, 0) == CURLUE_OK && v && *v;

        curl_free(v);
        return has;
}

/* Is `part` there at all, even empty ("https://@host")? */
static bool url_present(CURLU *u, CURLUPart part) {
        char *v = NULL;
        bool has = curl_url_get(u, part, &v, 0) == CURLUE_OK;

        curl_free(v);
        return has;
}

/* Parse `value` as an absolute URL whose scheme is one of `schemes` and
 * which names a host. CURLU does the syntax; the caller adds its rules. */
static CURLU *url_parse(const char *value, const char *const *schemes, size_t n_schemes) {
        _cleanup_(curl_url_cleanupp) CURLU *u = curl_url();
        char *scheme = NULL;
        bool ok = false;

        if (!u || curl_url_set(u, CURLUPART_URL, value, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
                return NULL;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
                for (size_t i = 0; i < n_schemes; i++)
                        ok = ok || strcasecmp(scheme, schemes[i]) == 0;
        curl_free(scheme);
        if (!ok || !url_has(u, CURLUPART_HOST))
                return NULL;
        return TAKE_PTR(u);
}

/* The base of every link: an absolute http(s) URL without query,
 * fragment, credentials or whitespace; a trailing slash is dropped. */
int config_set_review_public_url(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        static const char *const schemes[] = { "http", "https" };
        _cleanup_(curl_url_cleanupp) CURLU *u = NULL;
        size_t len = strlen(value);
        char **url = field, buf[80];
        const char *rest;

        (void) k;
        if (len == 0) {
                free(*url);
                *url = NULL;
                return 0;
        }
        if (len > PUBLIC_URL_MAX || !jit_text_is_clean(value, PUBLIC_URL_MAX))
                goto invalid;
        /* Bytes CURLU would take or escape but a link in a chat message
         * would break on; the scheme must be spelled out ("host/x" is no
         * URL here, though CURLU could guess one). */
        if (strpbrk(value, " \"<>\\?#") || !(rest = strstr(value, "://")) || rest[3] == '/')
                goto invalid;
        for (const char *c = value; *c; c++)
                if ((unsigned char) *c >= 0x80)
                        goto invalid;
        u = url_parse(value, schemes, ELEMENTSOF(schemes));
        /* user:password@host would put a credential into every message. */
        if (!u || url_present(u, CURLUPART_USER) || url_present(u, CURLUPART_PASSWORD) ||
            url_has(u, CURLUPART_QUERY) || url_has(u, CURLUPART_FRAGMENT))
                goto invalid;

        if (config_set_string(url, value) < 0)
                return -ENOMEM;
        while (len > 0 && (*url)[len - 1] == '/')
                (*url)[--len] = '\0';
        return 0;

invalid:
        return config_set_fail(s,
                               "%s: '%s' is not an absolute http(s) URL without query, fragment or "
                               "credentials (e.g. https://jit.example.com)",
                               s->key, shown(value, buf, sizeof(buf)));
}

/* Letters, digits, '-' and '_': HTTP header names and webhook names. */
static bool token_ok(const char *s, size_t max) {
        size_t n = strlen(s);

        return n > 0 && n <= max &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static bool header_name_ok(const char *s) {
        return token_ok(s, HEADER_NAME_MAX);
}

/* An HTTP header name; empty: off (NULL). */
int config_set_header_name(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char **header = field, buf[80];

        (void) k;
        if (*value == '\0') {
                free(*header);
                *header = NULL;
                return 0;
        }
        if (!header_name_ok(value))
                return config_set_fail(s, "%s: '%s' is not an HTTP header name", s->key,
                                       shown(value, buf, sizeof(buf)));
        return config_set_string(header, value);
}

int config_set_identity_secret_header(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        const ReviewConfig *rc = s->base;

        if (*value && header_name_ok(value) && rc->identity_header && strcasecmp(value, rc->identity_header) == 0)
                return config_set_fail(s, "%s: must differ from identity_header", s->key);
        return config_set_header_name(k, field, value, s);
}

int config_set_trusted_proxies(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        const StringList *l = field;
        int r = config_set_list(k, field, value, s);

        if (r >= 0 && l->n > HTTP_TRUSTED_PROXIES_MAX)
                return config_set_fail(s, "%s: at most %u addresses", s->key, HTTP_TRUSTED_PROXIES_MAX);
        return r;
}

int config_set_webhook_url(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        if (*value == '\0' || strlen(value) > k->max || !jit_text_is_clean(value, k->max))
                return config_set_fail(s, "%s needs an https:// URL", s->key);
        /* The scheme and host rules are checked once allow_http_loopback
         * is known (config_approvers_check). */
        return config_set_string(field, value);
}

static int webhook_format_parse(const char *s) {
        return webhook_format_from_string(s);
}

const ConfigEnum config_enum_webhook_format = { webhook_format_parse, "generic, slack or teams" };

/* What libcurl's CURLOPT_PROXY takes: http://, https://, socks5://,
 * socks5h:// and a host; empty: none (NULL). */
int config_set_webhook_proxy(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        static const char *const schemes[] = { "http", "https", "socks5", "socks5h" };
        _cleanup_(curl_url_cleanupp) CURLU *u = NULL;
        char **proxy = field, buf[80];

        if (*value == '\0') {
                free(*proxy);
                *proxy = NULL;
                return 0;
        }
        if (jit_text_is_clean(value, k->max) && !strpbrk(value, " \t") && strstr(value, "://"))
                u = url_parse(value, schemes, ELEMENTSOF(schemes));
        if (!u)
                return config_set_fail(s, "%s: '%s' is not a proxy URL (http://, https://, socks5://HOST:PORT)",
                                       s->key, shown(value, buf, sizeof(buf)));
        return config_set_string(proxy, value);
}

/* A list of names into a set of flags: in one file the names accumulate,
 * so the list starts from the flags this file has set so far. */
static int set_flags(const ConfigKey *k, bool *flags, size_t n_flags, const char *(*name)(size_t i),
                     const ConfigListKind *kind, const char *value, ConfigSet *s) {
        ConfigKey lk = *k;
        StringList l = {};
        int r = 0;

        lk.data = kind;
        for (size_t i = 0; !s->first_in_file && i < n_flags; i++)
                if (flags[i] && (r = string_list_add(&l, name(i), lk.max)) < 0)
                        break;
        if (r >= 0)
                r = config_set_list(&lk, &l, value, &(ConfigSet){ .key = s->key, .first_in_file = false,
                                                                 .error = s->error, .error_size = s->error_size });
        for (size_t i = 0; r >= 0 && i < n_flags; i++)
                flags[i] = string_list_contains(&l, name(i));
        string_list_clear(&l);
        return r;
}

static const char *action_name(size_t i) {
        return jit_action_to_string((JitAction) i);
}

static const char *event_name(size_t i) {
        return config_event_name((WebhookEventType) i);
}

int config_set_webhook_actions(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        return set_flags(k, field, _JIT_ACTION_MAX, action_name, &list_actions, value, s);
}

int config_set_webhook_events(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        return set_flags(k, field, _WEBHOOK_EVENT_MAX, event_name, &list_events, value, s);
}

int config_set_webhook_approvers(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        WebhookConfig *w = s->base;

        /* Set, even to nobody: then this webhook's links follow the list. */
        w->approvers_set = true;
        return config_set_list(k, field, value, s);
}

/* ---- lifetime ---- */

/* A key's location for a message; only a built-in default has none. */
static const char *at(const char *where) {
        return where && *where ? where : "(built-in)";
}

static void webhook_config_done(WebhookConfig *w) {
        config_keys_free(CONFIG_BASE_WEBHOOK, w);
        free(w->name);
        free(w->defined_at);
        *w = (WebhookConfig){};
}

ApproverConfig *approver_config_new(void) {
        ApproverConfig *n = calloc(1, sizeof(ApproverConfig));

        if (!n)
                return NULL;
        n->review = (ReviewConfig){
                .max_connections = HTTP_CONNECTION_LIMIT_DEFAULT,
                .max_connections_per_ip = HTTP_PER_IP_CONNECTION_LIMIT_DEFAULT,
                .connection_timeout_sec = HTTP_CONNECTION_TIMEOUT_DEFAULT_SEC,
                .request_timeout_sec = HTTP_REQUEST_TIMEOUT_DEFAULT_SEC,
                .max_body = HTTP_POST_BODY_MAX_DEFAULT,
        };
        if (review_listen_set(&n->review, REVIEW_LISTEN_DEFAULT) < 0 ||
            string_list_add(&n->review.trusted_proxies, "127.0.0.1", 2) < 0 ||
            string_list_add(&n->review.trusted_proxies, "::1", 2) < 0)
                return approver_config_free(n);
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++)
                n->quorum[a] = 1;
        return n;
}

ApproverConfig *approver_config_free(ApproverConfig *n) {
        if (!n)
                return NULL;
        config_keys_free(CONFIG_BASE_REVIEW, &n->review);
        free(n->review.listen_address);
        for (size_t i = 0; i < n->n_webhooks; i++)
                webhook_config_done(&n->webhooks[i]);
        free(n->webhooks);
        config_keys_free(CONFIG_BASE_APPROVERS, n);
        free(n);
        return NULL;
}

/* ---- sections ---- */

static bool webhook_name_ok(const char *s) {
        return token_ok(s, CONFIG_WEBHOOK_NAME_MAX);
}

int config_approvers_webhook(ApproverConfig *n, const char *name, const char *where, WebhookConfig **ret, char *error,
                          size_t error_size) {
        WebhookConfig *w;
        char buf[80];

        if (!webhook_name_ok(name))
                return fail(error, error_size,
                            "[webhook %s]: a webhook name is 1..%u characters of letters, digits, '-' and '_'",
                            shown(name, buf, sizeof(buf)), CONFIG_WEBHOOK_NAME_MAX);
        for (size_t i = 0; i < n->n_webhooks; i++)
                if (strcmp(n->webhooks[i].name, name) == 0) {
                        *ret = &n->webhooks[i];
                        return 0;
                }
        if (n->n_webhooks >= CONFIG_WEBHOOKS_MAX)
                return fail(error, error_size, "more than %u [webhook] sections", CONFIG_WEBHOOKS_MAX);

        w = reallocarray(n->webhooks, n->n_webhooks + 1, sizeof(WebhookConfig));
        if (!w)
                return -ENOMEM;
        n->webhooks = w;
        w = &n->webhooks[n->n_webhooks];
        *w = (WebhookConfig){
                .format = WEBHOOK_FORMAT_GENERIC,
                .timeout_sec = WEBHOOK_TIMEOUT_DEFAULT_SEC,
                .connect_timeout_sec = WEBHOOK_CONNECT_TIMEOUT_DEFAULT_SEC,
                .retry_initial_sec = WEBHOOK_RETRY_INITIAL_DEFAULT_SEC,
                .retry_max_delay_sec = WEBHOOK_RETRY_MAX_DELAY_DEFAULT_SEC,
                .max_age_sec = WEBHOOK_MAX_AGE_DEFAULT_SEC,
        };
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++)
                w->actions[a] = true;
        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                w->events[t] = true;
        w->name = strdup(name);
        w->defined_at = strdup(where ?: "");
        if (!w->name || !w->defined_at) {
                webhook_config_done(w);
                return -ENOMEM;
        }
        n->n_webhooks++;
        *ret = w;
        return 0;
}

/* ---- rules across keys ---- */

char *review_link_base(const ReviewConfig *rc, uint16_t port) {
        bool v6;
        char *url = NULL;

        if (rc->public_url)
                return strdup(rc->public_url);
        if (!rc->listen_address)
                return NULL;
        v6 = strchr(rc->listen_address, ':') != NULL;
        if (asprintf(&url, "%s://%s%s%s:%u", rc->tls_cert ? "https" : "http", v6 ? "[" : "", rc->listen_address,
                     v6 ? "]" : "", (unsigned) port) < 0)
                return NULL;
        return url;
}

/* A review link is a bearer token, and the form behind it carries the
 * decision: over plain http to another host both cross the network in the
 * clear. Only loopback (a test, or an approver on this host), or an admin
 * who says so. */
static int review_links_check(const ReviewConfig *rc, bool links_sent, char *error, size_t error_size) {
        _cleanup_free_ char *base = NULL;
        char buf[80];

        if (!links_sent || rc->allow_http)
                return 0;
        base = review_link_base(rc, rc->listen_port ? rc->listen_port : 1);
        if (!base)
                return rc->public_url || rc->listen_address ? -ENOMEM : 0;
        if (webhook_url_check(base, false) == 0 || webhook_url_check(base, true) == 0)
                return 0; /* https, or http to a loopback address */
        return fail(error, error_size,
                    "%s: [review] review links would be plain http to another host (%s): approval tokens would cross "
                    "the network in the clear. Use https (public_url= behind a TLS proxy, or tls_cert= and "
                    "tls_key=), or set allow_http = yes",
                    at(rc->public_url ? rc->public_url_at : rc->listen_at), shown(base, buf, sizeof(buf)));
}

/* A message carries at most WEBHOOK_LINKS_MAX review links (the body
 * cap and Slack's block limits); an approver beyond them would silently
 * get none, so a configuration that needs more is refused, at the line
 * that made the list. Counted as the notifier picks links, for a requester
 * who is not an approver (the most links). */
static int webhook_links_check(const ApproverConfig *n, const WebhookConfig *w, char *error, size_t error_size) {
        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++) {
                size_t links = 0;
                bool shared;

                if (!w->actions[act] || !w->events[WEBHOOK_EVENT_REQUEST_CREATED])
                        continue;
                for (size_t k = 0; k < n->approvers[act].n; k++)
                        if (webhook_config_links_for(n, w, act, n->approvers[act].items[k]))
                                links++;
                shared = webhook_config_links_for(n, w, act, "");
                if (links + shared <= WEBHOOK_LINKS_MAX)
                        continue;
                return fail(error, error_size,
                            "%s: [webhook %s] would carry %zu review links for a %s request (%zu approvers%s), more "
                            "than the %u a message can hold: split the approvers over several endpoints with "
                            "[webhook NAME] approvers=, or use one shared link behind identity_header=",
                            at(w->approvers_set ? w->approvers_at : n->approvers_at[act]), w->name, links + shared,
                            jit_action_to_string(act), links, shared ? " and the shared link" : "", WEBHOOK_LINKS_MAX);
        }
        return 0;
}

int config_approvers_check(const Config *c, char *error, size_t error_size) {
        const ApproverConfig *n = c->approval;
        char buf[80];

        if (!n)
                return 0;

        if (!n->review.tls_cert != !n->review.tls_key)
                return fail(error, error_size, "%s: [review] tls_cert and tls_key must be set together (%s is not set)",
                            at(n->review.tls_cert ? n->review.tls_cert_at : n->review.tls_key_at),
                            n->review.tls_cert ? "tls_key" : "tls_cert");
        if (n->review.max_connections_per_ip > n->review.max_connections) {
                const ReviewConfig *rc = &n->review;
                char other[300] = "";

                /* The defaults keep the rule, so a file set at least one of
                 * the two: name that line, and the other if it was set too. */
                if (rc->max_connections_per_ip_at && rc->max_connections_at)
                        snprintf(other, sizeof(other), " (set at %s)", rc->max_connections_at);
                return fail(error, error_size,
                            "%s: [review] max_connections_per_ip %u is larger than max_connections %u%s",
                            at(rc->max_connections_per_ip_at ?: rc->max_connections_at), rc->max_connections_per_ip,
                            rc->max_connections, other);
        }

        /* The review server listens on loopback by default, where any
         * local user can connect: the trusted proxy's address proves
         * nothing, its secret does. */
        if (n->review.identity_header && !n->review.identity_secret_file)
                return fail(error, error_size,
                            "%s: [review] identity_header= needs identity_secret_file= (a secret the proxy sends in "
                            "%s, so that nobody who reaches the review server directly can name an approver)",
                            at(n->review.identity_header_at),
                            n->review.identity_secret_header ?: HTTP_PROXY_SECRET_HEADER_DEFAULT);
        if (n->review.identity_header && n->review.identity_secret_header &&
            strcasecmp(n->review.identity_header, n->review.identity_secret_header) == 0)
                return fail(error, error_size, "%s: [review] identity_secret_header must differ from identity_header",
                            at(n->review.identity_header_at));

        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                bool any_action = false, any_event = false;
                int r;

                if (!w->url)
                        return fail(error, error_size, "%s: [webhook %s] needs url=", w->defined_at, w->name);
                r = webhook_url_check(w->url, w->allow_http_loopback);
                if (r < 0)
                        return fail(error, error_size,
                                    "%s: [webhook %s] url '%s' is not allowed: an https:// URL is needed (http:// "
                                    "only to a loopback address with allow_http_loopback=yes)",
                                    at(w->url_at ?: w->defined_at), w->name, shown(w->url, buf, sizeof(buf)));
                if (w->format == WEBHOOK_FORMAT_GENERIC && !w->secret_file)
                        return fail(error, error_size,
                                    "%s: [webhook %s] format=generic needs secret_file= (messages are signed)",
                                    w->defined_at, w->name);
                for (JitAction a = 0; a < _JIT_ACTION_MAX; a++)
                        any_action |= w->actions[a];
                for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                        any_event |= w->events[t];
                if (!any_action || !any_event)
                        return fail(error, error_size, "%s: [webhook %s] has no %s left: it would never be sent",
                                    w->defined_at, w->name, any_action ? "events" : "actions");
                if (w->retry_initial_sec > w->retry_max_delay_sec)
                        return fail(error, error_size, "%s: [webhook %s] retry_initial is longer than retry_max_delay",
                                    w->defined_at, w->name);
                if (string_list_contains(&w->approvers, CONFIG_APPROVER_SHARED) && !n->review.identity_header)
                        return fail(error, error_size,
                                    "%s: [webhook %s] approvers= 'shared' needs [review] identity_header= (a shared "
                                    "link must learn who clicked it from a trusted proxy)",
                                    w->defined_at, w->name);
                for (size_t k = 0; k < w->approvers.n; k++) {
                        const char *a = w->approvers.items[k];
                        bool known = strcmp(a, CONFIG_APPROVER_SHARED) == 0;

                        for (JitAction act = 0; act < _JIT_ACTION_MAX && !known; act++)
                                known = string_list_contains(&n->approvers[act], a);
                        if (!known)
                                return fail(error, error_size,
                                            "%s: [webhook %s] approver '%s' is not in [login] or [sudo] approvers=",
                                            w->defined_at, w->name, a);
                }
                r = webhook_links_check(n, w, error, error_size);
                if (r < 0)
                        return r;
        }
        return review_links_check(&n->review, n->n_webhooks > 0, error, error_size);
}

/* ---- queries ---- */

bool approver_config_any_webhook(const ApproverConfig *n) {
        return n && n->n_webhooks > 0;
}

bool approver_config_is_approver(const ApproverConfig *n, JitAction action, const char *name) {
        if (!n || !name || action < 0 || action >= _JIT_ACTION_MAX)
                return false;
        return string_list_contains(&n->approvers[action], name);
}

unsigned approver_config_quorum(const ApproverConfig *n, JitAction action) {
        if (!n || action < 0 || action >= _JIT_ACTION_MAX || n->quorum[action] == 0)
                return 1;
        return n->quorum[action];
}

bool webhook_config_links_for(const ApproverConfig *n, const WebhookConfig *w, JitAction action, const char *approver) {
        bool shared = !approver || !*approver;

        if (action < 0 || action >= _JIT_ACTION_MAX)
                return false;
        if (shared) {
                if (!n->review.identity_header)
                        return false;
                return w->approvers_set ? string_list_contains(&w->approvers, CONFIG_APPROVER_SHARED) : true;
        }
        /* Only someone who may approve this action gets a link for it. */
        if (!string_list_contains(&n->approvers[action], approver))
                return false;
        return w->approvers_set ? string_list_contains(&w->approvers, approver) : true;
}

int config_approvers_verify_files(const Config *c, FILE *f) {
        const ApproverConfig *n = c->approval;
        int ret = 0;

        if (!n)
                return 0;

        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                char error[256];

                if (w->secret_file) {
                        WebhookSecret s;
                        int r = webhook_secret_load(w->secret_file, &s, error, sizeof(error));

                        webhook_secret_erase(&s);
                        if (r < 0) {
                                fprintf(f, "%s: [webhook %s] secret_file %s: %s\n", at(w->secret_file_at), w->name,
                                        w->secret_file, error[0] ? error : strerror(-r));
                                ret = r;
                        }
                }
                if (w->ca_file && access(w->ca_file, R_OK) < 0) {
                        ret = -errno;
                        fprintf(f, "%s: [webhook %s] ca_file %s: %s\n", at(w->ca_file_at), w->name, w->ca_file,
                                strerror(-ret));
                }
                if (w->url && strncasecmp(w->url, "http://", 7) == 0)
                        fprintf(f, "# warning: %s: [webhook %s] sends to plain http (allowed for loopback only)\n",
                                at(w->url_at), w->name);
        }

        if (n->review.identity_secret_file) {
                char error[256] = "";
                char *secret = NULL;
                size_t size = 0;
                int r = http_proxy_secret_load(n->review.identity_secret_file, &secret, &size, error, sizeof(error));

                erase_and_free(secret, size);
                if (r < 0) {
                        fprintf(f, "%s: [review] identity_secret_file %s: %s\n", at(n->review.identity_secret_file_at),
                                n->review.identity_secret_file, error[0] ? error : strerror(-r));
                        ret = r;
                }
        }

        if (n->n_webhooks > 0 && n->review.listen) {
                if (n->review.tls_cert && access(n->review.tls_cert, R_OK) < 0) {
                        ret = -errno;
                        fprintf(f, "%s: [review] tls_cert %s: %s\n", at(n->review.tls_cert_at), n->review.tls_cert,
                                strerror(-ret));
                }
                if (n->review.tls_key) {
                        char error[256];
                        char *key = NULL;
                        size_t size = 0;
                        int r = read_private_file(n->review.tls_key, 64 * 1024, &key, &size, error, sizeof(error));

                        erase_and_free(key, size);
                        if (r < 0) {
                                fprintf(f, "%s: [review] tls_key %s: %s\n", at(n->review.tls_key_at), n->review.tls_key,
                                        error[0] ? error : strerror(-r));
                                ret = r;
                        }
                }
                if (n->review.tls_cert && !http_server_tls_supported()) {
                        fprintf(f, "%s: [review] TLS is configured but this libmicrohttpd has no TLS support\n",
                                at(n->review.tls_cert_at));
                        ret = -EOPNOTSUPP;
                }
                if (!n->review.public_url)
                        fprintf(f, "# warning: [review] public_url is not set: links point to %s, which approvers "
                                   "on other machines cannot open\n",
                                n->review.listen);
                for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                        if (n->approvers[act].n == 0 && !n->review.identity_header)
                                fprintf(f, "# warning: [%s] approvers= is empty: its webhook messages carry no "
                                           "review link (approve with jitctl)\n",
                                        jit_action_to_string(act));
        }
        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                if (n->quorum[act] > 1 && n->approvers[act].n > 0 && n->quorum[act] > n->approvers[act].n)
                        fprintf(f, "# warning: [%s] quorum %u is more than the %zu approvers= listed; only admins "
                                   "approving with jitctl can make up the rest\n",
                                jit_action_to_string(act), n->quorum[act], n->approvers[act].n);
        return ret;
}
