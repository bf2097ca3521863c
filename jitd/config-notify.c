/* jitd.conf's notification keys: [review], [webhook NAME], and approvers= /
 * quorum= in [login] and [sudo]. config.c reads the files (its reader owns
 * lines, comments and drop-ins) and hands every value of these sections and
 * keys to config_notify_set(); the cross-key rules run once all files are
 * read. Values are bounds-checked like everything else in jitd.conf; a
 * secret never passes through here, only the path of the file holding it. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config-notify.h"
#include "http-server.h"
#include "macros.h"
#include "crypto-util.h"
#include "text.h"
#include "webhook-delivery.h"
#include "webhook-sign.h"

#define CONFIG_NOTIFY_PATH_MAX 1024U
#define CONFIG_NOTIFY_LIST_MAX 256U
#define PUBLIC_URL_MAX 1024U /* leaves room for "/r/" + a token within WEBHOOK_URL_MAX */
#define PROXY_MAX 1024U
#define HEADER_NAME_MAX 64U

#define REVIEW_LISTEN_DEFAULT "127.0.0.1:8743"
#define REVIEW_MAX_CONNECTIONS_MAX 4096U
#define REVIEW_CONNECTION_TIMEOUT_MAX (3600U)
/* A request that has not arrived in five minutes is not on its way. */
#define REVIEW_REQUEST_TIMEOUT_MAX (300U)
#define REVIEW_MAX_BODY_MIN 1024U

#define WEBHOOK_TIMEOUT_DEFAULT_SEC 15U
#define WEBHOOK_CONNECT_TIMEOUT_DEFAULT_SEC 10U
#define WEBHOOK_RETRY_INITIAL_DEFAULT_SEC 5U
#define WEBHOOK_RETRY_MAX_DELAY_DEFAULT_SEC (15U * 60U)
#define WEBHOOK_MAX_AGE_DEFAULT_SEC (24U * 3600U)
#define WEBHOOK_MAX_AGE_MAX_SEC (7U * 24U * 3600U)

_printf_(3, 4) static int fail(char *error, size_t size, const char *fmt, ...) {
        va_list ap;

        if (error && size > 0) {
                va_start(ap, fmt);
                vsnprintf(error, size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static const char *shown(const char *s, char *buf, size_t size) {
        return jit_sanitize(s, buf, size);
}

/* ---- lists (the same rules as config.c's) ---- */

static void list_clear(StringList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        *l = (StringList){};
}

static bool list_contains(const StringList *l, const char *s) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i], s) == 0)
                        return true;
        return false;
}

static int list_add(StringList *l, const char *s) {
        char **items, *copy;

        if (list_contains(l, s))
                return 0;
        if (l->n >= CONFIG_NOTIFY_LIST_MAX)
                return -E2BIG;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        items = reallocarray(l->items, l->n + 1, sizeof(char *));
        if (!items) {
                free(copy);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = copy;
        return 0;
}

typedef bool (*ItemCheck)(const char *item);

/* Whitespace/comma separated items. A list set again in a later file
 * replaces the earlier one; in the same file the values accumulate; an
 * empty value empties it. */
static int parse_list(StringList *l, unsigned *set_in_file, unsigned file, const char *value, ItemCheck check,
                      const char *key, char *error, size_t error_size) {
        char item[256], buf[80];

        if (*set_in_file != file || *value == '\0')
                list_clear(l);
        *set_in_file = file;

        for (const char *c = value;;) {
                size_t len;
                int r;

                c += strspn(c, " \t,");
                if (*c == '\0')
                        break;
                len = strcspn(c, " \t,");
                if (len >= sizeof(item))
                        return fail(error, error_size, "%s: entry longer than %zu bytes", key, sizeof(item) - 1);
                memcpy(item, c, len);
                item[len] = '\0';
                if (!check(item))
                        return fail(error, error_size, "%s: invalid entry '%s'", key, shown(item, buf, sizeof(buf)));
                r = list_add(l, item);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(error, error_size, "%s: more than %u entries", key, CONFIG_NOTIFY_LIST_MAX);
                c += len;
        }
        return 0;
}

/* ---- value parsers ---- */

static bool approver_name_ok(const char *s) {
        return jit_user_name_is_valid(s);
}

static bool webhook_approver_ok(const char *s) {
        return strcmp(s, CONFIG_APPROVER_SHARED) == 0 || jit_user_name_is_valid(s);
}

static bool numeric_address_ok(const char *s) {
        struct in6_addr a6;
        struct in_addr a4;

        return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

static bool action_name_ok(const char *s) {
        JitAction a = jit_action_from_string(s);
        return a >= 0 && a < _JIT_ACTION_MAX;
}

static WebhookEventType event_from_short_name(const char *s) {
        static const char *const names[_WEBHOOK_EVENT_MAX] = {
                [WEBHOOK_EVENT_REQUEST_CREATED] = "created",
                [WEBHOOK_EVENT_REQUEST_APPROVED] = "approved",
                [WEBHOOK_EVENT_REQUEST_DENIED] = "denied",
                [WEBHOOK_EVENT_REQUEST_EXPIRED] = "expired",
                [WEBHOOK_EVENT_REQUEST_CANCELLED] = "cancelled",
        };
        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                if (strcmp(names[t], s) == 0)
                        return t;
        return _WEBHOOK_EVENT_INVALID;
}

static bool event_name_ok(const char *s) {
        return event_from_short_name(s) >= 0;
}

static int parse_bool(const char *v, bool *ret) {
        if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0 ||
            strcmp(v, "1") == 0)
                *ret = true;
        else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0 ||
                 strcmp(v, "0") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

static int set_string(char **field, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static int parse_path(char **field, const char *value, bool allow_empty, const char *key, char *error,
                      size_t error_size) {
        char buf[80];

        if (*value == '\0') {
                if (!allow_empty)
                        return fail(error, error_size, "%s needs a value", key);
                free(*field);
                *field = NULL;
                return 0;
        }
        if (value[0] != '/')
                return fail(error, error_size, "%s must be an absolute path, not '%s'", key,
                            shown(value, buf, sizeof(buf)));
        if (!jit_text_is_clean(value, CONFIG_NOTIFY_PATH_MAX))
                return fail(error, error_size, "%s is too long or contains control characters", key);
        for (const char *c = value; (c = strstr(c, "/..")); c += 3)
                if (c[3] == '/' || c[3] == '\0')
                        return fail(error, error_size, "%s must not contain '..' components", key);
        return set_string(field, value);
}

static int parse_duration_range(uint64_t *field, const char *value, uint64_t min, uint64_t max, const char *key,
                                char *error, size_t error_size) {
        char a[32], b[32], buf[80];
        uint64_t sec;

        if (jit_parse_duration(value, &sec) < 0)
                return fail(error, error_size, "%s: invalid duration '%s' (examples: 30s, 15m, 1h)", key,
                            shown(value, buf, sizeof(buf)));
        if (sec < min || sec > max)
                return fail(error, error_size, "%s: %s is out of range (%s .. %s)", key, shown(value, buf, sizeof(buf)),
                            jit_format_duration(min, a, sizeof(a)), jit_format_duration(max, b, sizeof(b)));
        *field = sec;
        return 0;
}

static int parse_unsigned_range(unsigned *field, const char *value, unsigned min, unsigned max, const char *key,
                                char *error, size_t error_size) {
        char buf[80];
        uint64_t v;

        if (jit_parse_uint64(value, min, max, &v) < 0)
                return fail(error, error_size, "%s: invalid number '%s' (allowed: %u .. %u)", key,
                            shown(value, buf, sizeof(buf)), min, max);
        *field = (unsigned) v;
        return 0;
}

/* "8192", "8K", "8KiB", "64k". */
static int parse_size(uint64_t *field, const char *value, uint64_t min, uint64_t max, const char *key, char *error,
                      size_t error_size) {
        char digits[24], buf[80];
        size_t n = strspn(value, "0123456789");
        const char *suffix = value + n;
        uint64_t v, mul = 1;

        if (n == 0 || n >= sizeof(digits))
                goto invalid;
        memcpy(digits, value, n);
        digits[n] = '\0';
        if (*suffix == '\0' || strcmp(suffix, "B") == 0)
                mul = 1;
        else if (strcasecmp(suffix, "K") == 0 || strcmp(suffix, "KiB") == 0)
                mul = 1024;
        else
                goto invalid;
        if (jit_parse_uint64(digits, 0, UINT64_MAX / 1024, &v) < 0)
                goto invalid;
        v *= mul;
        if (v < min || v > max)
                return fail(error, error_size, "%s: %s is out of range (%" PRIu64 " .. %" PRIu64 " bytes)", key,
                            shown(value, buf, sizeof(buf)), min, max);
        *field = v;
        return 0;
invalid:
        return fail(error, error_size, "%s: invalid size '%s' (examples: 8K, 16384)", key, shown(value, buf, sizeof(buf)));
}

/* "127.0.0.1:8743", "[::1]:8743", "0.0.0.0:443"; port 0 picks a free one. */
static int parse_listen(ReviewConfig *rc, const char *value, char *error, size_t error_size) {
        char address[INET6_ADDRSTRLEN + 1], buf[80];
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
                        goto invalid;
                len = (size_t) (end - value - 1);
                if (len == 0 || len >= sizeof(address))
                        goto invalid;
                memcpy(address, value + 1, len);
                port_text = end + 2;
        } else {
                const char *colon = strrchr(value, ':');

                if (!colon || strchr(value, ':') != colon)
                        goto invalid;
                len = (size_t) (colon - value);
                if (len == 0 || len >= sizeof(address))
                        goto invalid;
                memcpy(address, value, len);
                port_text = colon + 1;
        }
        address[len] = '\0';
        if (!numeric_address_ok(address) || jit_parse_uint64(port_text, 0, 65535, &port) < 0)
                goto invalid;
        if (value[0] == '[' && strchr(address, ':') == NULL)
                goto invalid;

        if (set_string(&rc->listen, value) < 0 || set_string(&rc->listen_address, address) < 0)
                return -ENOMEM;
        rc->listen_port = (uint16_t) port;
        return 0;

invalid:
        return fail(error, error_size,
                    "[review] listen: '%s' is not a numeric ADDRESS:PORT (e.g. 127.0.0.1:8743, [::1]:8743), "
                    "or empty to switch the review server off",
                    shown(value, buf, sizeof(buf)));
}

/* The base of every link: an absolute http(s) URL without query,
 * fragment, credentials or whitespace; a trailing slash is dropped. */
static int parse_public_url(ReviewConfig *rc, const char *value, char *error, size_t error_size) {
        char buf[80];
        size_t len = strlen(value);
        const char *rest;
        char *copy;

        if (len == 0) {
                free(rc->public_url);
                rc->public_url = NULL;
                return 0;
        }
        if (len > PUBLIC_URL_MAX || !jit_text_is_clean(value, PUBLIC_URL_MAX))
                goto invalid;
        if (strncasecmp(value, "https://", 8) == 0)
                rest = value + 8;
        else if (strncasecmp(value, "http://", 7) == 0)
                rest = value + 7;
        else
                goto invalid;
        if (*rest == '\0' || *rest == '/')
                goto invalid;
        for (const char *c = value; *c; c++)
                if (*c == ' ' || *c == '?' || *c == '#' || *c == '"' || *c == '<' || *c == '>' || *c == '\\' ||
                    (unsigned char) *c >= 0x80)
                        goto invalid;
        /* user:password@host would put a credential into every message. */
        if (memchr(rest, '@', strcspn(rest, "/")))
                goto invalid;

        copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        while (len > 0 && copy[len - 1] == '/')
                copy[--len] = '\0';
        free(rc->public_url);
        rc->public_url = copy;
        return 0;

invalid:
        return fail(error, error_size,
                    "[review] public_url: '%s' is not an absolute http(s) URL without query, fragment or "
                    "credentials (e.g. https://jit.example.com)",
                    shown(value, buf, sizeof(buf)));
}

static bool header_name_ok(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > HEADER_NAME_MAX)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '_'))
                        return false;
        return true;
}

static int parse_proxy(WebhookConfig *w, const char *value, const char *key, char *error, size_t error_size) {
        static const char *const schemes[] = { "http://", "https://", "socks5://", "socks5h://" };
        char buf[80];
        bool ok = false;

        if (*value == '\0') {
                free(w->proxy);
                w->proxy = NULL;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(schemes); i++)
                if (strncasecmp(value, schemes[i], strlen(schemes[i])) == 0 && value[strlen(schemes[i])] != '\0')
                        ok = true;
        if (!ok || !jit_text_is_clean(value, PROXY_MAX) || strpbrk(value, " \t"))
                return fail(error, error_size, "%s: '%s' is not a proxy URL (http://, https://, socks5://HOST:PORT)",
                            key, shown(value, buf, sizeof(buf)));
        return set_string(&w->proxy, value);
}

/* ---- lifetime ---- */

/* Remember where a key was set, for the checks made after parsing. */
static int set_where(char **at, const char *where) {
        char *s = strdup(where ?: "");

        if (!s)
                return -ENOMEM;
        free(*at);
        *at = s;
        return 0;
}

/* A key's location for a message; only a built-in default has none. */
static const char *at(const char *where) {
        return where && *where ? where : "(built-in)";
}

static void webhook_config_done(WebhookConfig *w) {
        free(w->name);
        free(w->url);
        free(w->secret_file);
        list_clear(&w->approvers);
        free(w->ca_file);
        free(w->proxy);
        free(w->defined_at);
        free(w->url_at);
        free(w->secret_file_at);
        free(w->ca_file_at);
        free(w->approvers_at);
        *w = (WebhookConfig){};
}

NotifyConfig *notify_config_new(void) {
        NotifyConfig *n = calloc(1, sizeof(NotifyConfig));

        if (!n)
                return NULL;
        n->review = (ReviewConfig){
                .max_connections = HTTP_CONNECTION_LIMIT_DEFAULT,
                .max_connections_per_ip = HTTP_PER_IP_CONNECTION_LIMIT_DEFAULT,
                .connection_timeout_sec = HTTP_CONNECTION_TIMEOUT_DEFAULT_SEC,
                .request_timeout_sec = HTTP_REQUEST_TIMEOUT_DEFAULT_SEC,
                .max_body = HTTP_POST_BODY_MAX_DEFAULT,
        };
        if (parse_listen(&n->review, REVIEW_LISTEN_DEFAULT, NULL, 0) < 0 ||
            list_add(&n->review.trusted_proxies, "127.0.0.1") < 0 || list_add(&n->review.trusted_proxies, "::1") < 0)
                return notify_config_free(n);
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++)
                n->quorum[a] = 1;
        return n;
}

NotifyConfig *notify_config_free(NotifyConfig *n) {
        if (!n)
                return NULL;
        free(n->review.listen);
        free(n->review.listen_address);
        free(n->review.public_url);
        free(n->review.tls_cert);
        free(n->review.tls_key);
        free(n->review.identity_header);
        free(n->review.identity_secret_file);
        free(n->review.identity_secret_header);
        free(n->review.identity_header_at);
        free(n->review.identity_secret_file_at);
        list_clear(&n->review.trusted_proxies);
        free(n->review.key_file);
        free(n->review.tls_cert_at);
        free(n->review.listen_at);
        free(n->review.public_url_at);
        free(n->review.tls_key_at);
        free(n->review.max_connections_at);
        free(n->review.max_connections_per_ip_at);
        for (size_t i = 0; i < n->n_webhooks; i++)
                webhook_config_done(&n->webhooks[i]);
        free(n->webhooks);
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                list_clear(&n->approvers[a]);
                free(n->approvers_at[a]);
        }
        free(n);
        return NULL;
}

/* ---- sections ---- */

static bool webhook_name_ok(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CONFIG_WEBHOOK_NAME_MAX)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '_'))
                        return false;
        return true;
}

/* "webhook NAME" -> NAME, or NULL. */
static const char *webhook_section_name(const char *section) {
        if (strncmp(section, "webhook ", 8) != 0)
                return NULL;
        return section + 8;
}

bool config_notify_section_is_known(const char *section) {
        const char *name;

        if (strcmp(section, "review") == 0)
                return true;
        name = webhook_section_name(section);
        /* A malformed name is reported by config_notify_set() with a
         * better message than "unknown section", so accept it here. */
        return name != NULL;
}

bool config_notify_handles(const char *section, const char *name) {
        if (strcmp(section, "review") == 0 || webhook_section_name(section))
                return true;
        return (strcmp(section, "login") == 0 || strcmp(section, "sudo") == 0) &&
               (strcmp(name, "approvers") == 0 || strcmp(name, "quorum") == 0);
}

static int webhook_get(NotifyConfig *n, const char *name, const char *where, WebhookConfig **ret, char *error,
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

static int webhook_set(NotifyConfig *n, WebhookConfig *w, const char *name, const char *value, unsigned file,
                       const char *where, char *error, size_t error_size) {
        char key[96], buf[80];
        int r;

        snprintf(key, sizeof(key), "[webhook %s] %s", w->name, name);

        if (strcmp(name, "url") == 0) {
                if (*value == '\0' || strlen(value) > WEBHOOK_URL_MAX || !jit_text_is_clean(value, WEBHOOK_URL_MAX))
                        return fail(error, error_size, "%s needs an https:// URL", key);
                /* The scheme and host rules are checked once allow_http_loopback
                 * is known (config_notify_check). */
                r = set_string(&w->url, value);
                return r < 0 ? r : set_where(&w->url_at, where);
        }
        if (strcmp(name, "format") == 0) {
                WebhookFormat f = webhook_format_from_string(value);
                if (f < 0)
                        return fail(error, error_size, "%s: '%s' is not generic, slack or teams", key,
                                    shown(value, buf, sizeof(buf)));
                w->format = f;
                return 0;
        }
        if (strcmp(name, "secret_file") == 0) {
                r = parse_path(&w->secret_file, value, true, key, error, error_size);
                return r < 0 ? r : set_where(&w->secret_file_at, where);
        }
        if (strcmp(name, "ca_file") == 0) {
                r = parse_path(&w->ca_file, value, true, key, error, error_size);
                return r < 0 ? r : set_where(&w->ca_file_at, where);
        }
        if (strcmp(name, "proxy") == 0)
                return parse_proxy(w, value, key, error, error_size);
        if (strcmp(name, "allow_http_loopback") == 0) {
                if (parse_bool(value, &w->allow_http_loopback) < 0)
                        return fail(error, error_size, "%s: '%s' is not yes or no", key, shown(value, buf, sizeof(buf)));
                return 0;
        }
        if (strcmp(name, "actions") == 0) {
                StringList l = {};

                /* Accumulating within one file: start from what it set so far. */
                for (JitAction a = 0; w->actions_file == file && a < _JIT_ACTION_MAX; a++)
                        if (w->actions[a] && list_add(&l, jit_action_to_string(a)) < 0) {
                                list_clear(&l);
                                return -ENOMEM;
                        }
                r = parse_list(&l, &w->actions_file, file, value, action_name_ok, key, error, error_size);
                for (JitAction a = 0; r >= 0 && a < _JIT_ACTION_MAX; a++)
                        w->actions[a] = list_contains(&l, jit_action_to_string(a));
                list_clear(&l);
                return r;
        }
        if (strcmp(name, "events") == 0) {
                static const char *const short_names[_WEBHOOK_EVENT_MAX] = {
                        "created", "approved", "denied", "expired", "cancelled"
                };
                StringList l = {};

                for (WebhookEventType t = 0; w->events_file == file && t < _WEBHOOK_EVENT_MAX; t++)
                        if (w->events[t] && list_add(&l, short_names[t]) < 0) {
                                list_clear(&l);
                                return -ENOMEM;
                        }
                r = parse_list(&l, &w->events_file, file, value, event_name_ok, key, error, error_size);
                if (r >= 0)
                        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                                w->events[t] = false;
                for (size_t i = 0; r >= 0 && i < l.n; i++)
                        w->events[event_from_short_name(l.items[i])] = true;
                list_clear(&l);
                return r;
        }
        if (strcmp(name, "approvers") == 0) {
                w->approvers_set = true;
                r = set_where(&w->approvers_at, where);
                if (r < 0)
                        return r;
                return parse_list(&w->approvers, &w->approvers_file, file, value, webhook_approver_ok, key, error,
                                  error_size);
        }
        if (strcmp(name, "timeout") == 0)
                return parse_duration_range(&w->timeout_sec, value, 1, WEBHOOK_TIMEOUT_MAX_USEC / 1000000ULL, key, error,
                                            error_size);
        if (strcmp(name, "connect_timeout") == 0)
                return parse_duration_range(&w->connect_timeout_sec, value, 1,
                                            WEBHOOK_CONNECT_TIMEOUT_MAX_USEC / 1000000ULL, key, error, error_size);
        if (strcmp(name, "retry_initial") == 0)
                return parse_duration_range(&w->retry_initial_sec, value, 1, 3600, key, error, error_size);
        if (strcmp(name, "retry_max_delay") == 0)
                return parse_duration_range(&w->retry_max_delay_sec, value, 1, 24 * 3600, key, error, error_size);
        if (strcmp(name, "max_age") == 0)
                return parse_duration_range(&w->max_age_sec, value, 60, WEBHOOK_MAX_AGE_MAX_SEC, key, error,
                                            error_size);

        return fail(error, error_size, "unknown key '%s' in section [webhook %s]", shown(name, buf, sizeof(buf)),
                    w->name);
}

static int review_set(NotifyConfig *n, const char *name, const char *value, unsigned file, const char *where,
                      char *error, size_t error_size) {
        ReviewConfig *rc = &n->review;
        char key[64], buf[80];
        uint64_t v = 0;
        int r;

        snprintf(key, sizeof(key), "[review] %s", name);

        if (strcmp(name, "listen") == 0) {
                r = parse_listen(rc, value, error, error_size);
                return r < 0 ? r : set_where(&rc->listen_at, where);
        }
        if (strcmp(name, "public_url") == 0) {
                r = parse_public_url(rc, value, error, error_size);
                return r < 0 ? r : set_where(&rc->public_url_at, where);
        }
        if (strcmp(name, "tls_cert") == 0) {
                r = parse_path(&rc->tls_cert, value, true, key, error, error_size);
                return r < 0 ? r : set_where(&rc->tls_cert_at, where);
        }
        if (strcmp(name, "tls_key") == 0) {
                r = parse_path(&rc->tls_key, value, true, key, error, error_size);
                return r < 0 ? r : set_where(&rc->tls_key_at, where);
        }
        if (strcmp(name, "key_file") == 0)
                return parse_path(&rc->key_file, value, true, key, error, error_size);
        if (strcmp(name, "identity_header") == 0) {
                if (*value == '\0') {
                        free(rc->identity_header);
                        rc->identity_header = NULL;
                        return 0;
                }
                if (!header_name_ok(value))
                        return fail(error, error_size, "%s: '%s' is not an HTTP header name", key,
                                    shown(value, buf, sizeof(buf)));
                r = set_where(&rc->identity_header_at, where);
                return r < 0 ? r : set_string(&rc->identity_header, value);
        }
        if (strcmp(name, "identity_secret_file") == 0) {
                r = parse_path(&rc->identity_secret_file, value, true, key, error, error_size);
                return r < 0 ? r : set_where(&rc->identity_secret_file_at, where);
        }
        if (strcmp(name, "identity_secret_header") == 0) {
                if (*value == '\0') {
                        free(rc->identity_secret_header);
                        rc->identity_secret_header = NULL;
                        return 0;
                }
                if (!header_name_ok(value))
                        return fail(error, error_size, "%s: '%s' is not an HTTP header name", key,
                                    shown(value, buf, sizeof(buf)));
                if (rc->identity_header && strcasecmp(value, rc->identity_header) == 0)
                        return fail(error, error_size, "%s: must differ from identity_header", key);
                return set_string(&rc->identity_secret_header, value);
        }
        if (strcmp(name, "trusted_proxies") == 0) {
                r = parse_list(&rc->trusted_proxies, &rc->trusted_proxies_file, file, value, numeric_address_ok, key,
                               error, error_size);
                if (r >= 0 && rc->trusted_proxies.n > HTTP_TRUSTED_PROXIES_MAX)
                        return fail(error, error_size, "%s: at most %u addresses", key, HTTP_TRUSTED_PROXIES_MAX);
                return r;
        }
        if (strcmp(name, "allow_http") == 0) {
                if (parse_bool(value, &rc->allow_http) < 0)
                        return fail(error, error_size, "%s: '%s' is not yes or no", key, shown(value, buf, sizeof(buf)));
                return 0;
        }
        if (strcmp(name, "max_connections") == 0) {
                r = parse_unsigned_range(&rc->max_connections, value, 1, REVIEW_MAX_CONNECTIONS_MAX, key, error,
                                         error_size);
                return r < 0 ? r : set_where(&rc->max_connections_at, where);
        }
        if (strcmp(name, "max_connections_per_ip") == 0) {
                r = parse_unsigned_range(&rc->max_connections_per_ip, value, 1, REVIEW_MAX_CONNECTIONS_MAX, key,
                                         error, error_size);
                return r < 0 ? r : set_where(&rc->max_connections_per_ip_at, where);
        }
        if (strcmp(name, "connection_timeout") == 0)
                return parse_duration_range(&rc->connection_timeout_sec, value, 1, REVIEW_CONNECTION_TIMEOUT_MAX, key,
                                            error, error_size);
        if (strcmp(name, "request_timeout") == 0)
                return parse_duration_range(&rc->request_timeout_sec, value, 1, REVIEW_REQUEST_TIMEOUT_MAX, key,
                                            error, error_size);
        if (strcmp(name, "max_body") == 0) {
                r = parse_size(&v, value, REVIEW_MAX_BODY_MIN, HTTP_POST_BODY_MAX, key, error, error_size);
                if (r >= 0)
                        rc->max_body = v;
                return r;
        }
        return fail(error, error_size, "unknown key '%s' in section [review]", shown(name, buf, sizeof(buf)));
}

int config_notify_set(NotifyConfig *n, const char *section, const char *name, const char *value, unsigned file,
                      const char *where, char *error, size_t error_size) {
        const char *webhook;
        JitAction action;
        char key[64];

        if (!n || !section || !name || !value)
                return -EINVAL;

        if (strcmp(section, "review") == 0)
                return review_set(n, name, value, file, where, error, error_size);

        webhook = webhook_section_name(section);
        if (webhook) {
                WebhookConfig *w = NULL;
                int r = webhook_get(n, webhook, where, &w, error, error_size);
                if (r < 0)
                        return r;
                return webhook_set(n, w, name, value, file, where, error, error_size);
        }

        action = jit_action_from_string(section);
        if (action < 0 || action >= _JIT_ACTION_MAX)
                return fail(error, error_size, "unknown section [%s]", section);
        snprintf(key, sizeof(key), "[%s] %s", section, name);
        if (strcmp(name, "approvers") == 0) {
                int r = set_where(&n->approvers_at[action], where);
                if (r < 0)
                        return r;
                return parse_list(&n->approvers[action], &n->approvers_file[action], file, value, approver_name_ok, key,
                                  error, error_size);
        }
        if (strcmp(name, "quorum") == 0)
                return parse_unsigned_range(&n->quorum[action], value, 1, CONFIG_QUORUM_MAX, key, error, error_size);
        return fail(error, error_size, "unknown key '%s' in section [%s]", name, section);
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
static int webhook_links_check(const NotifyConfig *n, const WebhookConfig *w, char *error, size_t error_size) {
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

int config_notify_check(const Config *c, char *error, size_t error_size) {
        const NotifyConfig *n = c->notify;
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
                return fail(error, error_size, "%s: [review] max_connections_per_ip %u is larger than max_connections %u%s",
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
                if (list_contains(&w->approvers, CONFIG_APPROVER_SHARED) && !n->review.identity_header)
                        return fail(error, error_size,
                                    "%s: [webhook %s] approvers= 'shared' needs [review] identity_header= (a shared "
                                    "link must learn who clicked it from a trusted proxy)",
                                    w->defined_at, w->name);
                for (size_t k = 0; k < w->approvers.n; k++) {
                        const char *a = w->approvers.items[k];
                        bool known = strcmp(a, CONFIG_APPROVER_SHARED) == 0;

                        for (JitAction act = 0; act < _JIT_ACTION_MAX && !known; act++)
                                known = list_contains(&n->approvers[act], a);
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

bool notify_config_any_webhook(const NotifyConfig *n) {
        return n && n->n_webhooks > 0;
}

bool notify_config_is_approver(const NotifyConfig *n, JitAction action, const char *name) {
        if (!n || !name || action < 0 || action >= _JIT_ACTION_MAX)
                return false;
        return list_contains(&n->approvers[action], name);
}

unsigned notify_config_quorum(const NotifyConfig *n, JitAction action) {
        if (!n || action < 0 || action >= _JIT_ACTION_MAX || n->quorum[action] == 0)
                return 1;
        return n->quorum[action];
}

bool webhook_config_links_for(const NotifyConfig *n, const WebhookConfig *w, JitAction action, const char *approver) {
        bool shared = !approver || !*approver;

        if (action < 0 || action >= _JIT_ACTION_MAX)
                return false;
        if (shared) {
                if (!n->review.identity_header)
                        return false;
                return w->approvers_set ? list_contains(&w->approvers, CONFIG_APPROVER_SHARED) : true;
        }
        /* Only someone who may approve this action gets a link for it. */
        if (!list_contains(&n->approvers[action], approver))
                return false;
        return w->approvers_set ? list_contains(&w->approvers, approver) : true;
}

/* ---- --check-config ---- */

static void print_list(FILE *f, const char *key, const StringList *l) {
        fprintf(f, "%s =", key);
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, " %s", l->items[i]);
        fputc('\n', f);
}

void config_notify_print_action(const Config *c, JitAction action, FILE *f) {
        if (!c->notify)
                return;
        print_list(f, "approvers", &c->notify->approvers[action]);
        fprintf(f, "quorum = %u\n", notify_config_quorum(c->notify, action));
}

void config_notify_print(const Config *c, FILE *f) {
        const NotifyConfig *n = c->notify;
        const ReviewConfig *rc;
        char a[32];

        if (!n)
                return;
        rc = &n->review;

        fputs("\n[review]\n", f);
        if (n->n_webhooks == 0)
                fputs("# no [webhook] sections: the review server is not started and no links are made\n", f);
        fprintf(f, "listen = %s\n", rc->listen ?: "");
        if (rc->public_url)
                fprintf(f, "public_url = %s\n", rc->public_url);
        else if (rc->listen)
                fprintf(f, "# public_url = %s://%s (follows listen; links to it work only on this host)\n",
                        rc->tls_cert ? "https" : "http", rc->listen);
        if (rc->tls_cert)
                fprintf(f, "tls_cert = %s\ntls_key = %s\n", rc->tls_cert, rc->tls_key ?: "");
        fprintf(f, "allow_http = %s\n", rc->allow_http ? "yes" : "no");
        fprintf(f, "identity_header = %s\n", rc->identity_header ?: "");
        if (rc->identity_secret_file)
                fprintf(f, "identity_secret_file = %s\n", rc->identity_secret_file);
        fprintf(f, "identity_secret_header = %s\n", rc->identity_secret_header ?: HTTP_PROXY_SECRET_HEADER_DEFAULT);
        print_list(f, "trusted_proxies", &rc->trusted_proxies);
        fprintf(f, "max_connections = %u\nmax_connections_per_ip = %u\n", rc->max_connections,
                rc->max_connections_per_ip);
        fprintf(f, "connection_timeout = %s\n", jit_format_duration(rc->connection_timeout_sec, a, sizeof(a)));
        fprintf(f, "request_timeout = %s\n", jit_format_duration(rc->request_timeout_sec, a, sizeof(a)));
        fprintf(f, "max_body = %" PRIu64 "\n", rc->max_body);
        if (rc->key_file)
                fprintf(f, "key_file = %s\n", rc->key_file);
        else
                fprintf(f, "# key_file = %s/review.key (follows state_directory)\n", c->state_directory ?: "");

        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                bool first = true;

                fprintf(f, "\n[webhook %s]\n", w->name);
                fprintf(f, "url = %s\n", w->url ?: "");
                fprintf(f, "format = %s\n", webhook_format_to_string(w->format));
                if (w->secret_file)
                        fprintf(f, "secret_file = %s\n", w->secret_file);
                fputs("actions =", f);
                for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                        if (w->actions[act])
                                fprintf(f, " %s", jit_action_to_string(act));
                fputs("\nevents =", f);
                for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                        if (w->events[t]) {
                                const char *full = webhook_event_type_to_string(t); /* "jit.request.created" */
                                const char *dot = strrchr(full, '.');
                                fprintf(f, " %s", dot ? dot + 1 : full);
                        }
                fputc('\n', f);
                if (w->approvers_set)
                        print_list(f, "approvers", &w->approvers);
                else {
                        fputs("# approvers = (links for:", f);
                        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                                for (size_t k = 0; w->actions[act] && k < n->approvers[act].n; k++) {
                                        fprintf(f, " %s", n->approvers[act].items[k]);
                                        first = false;
                                }
                        if (rc->identity_header) {
                                fputs(" " CONFIG_APPROVER_SHARED, f);
                                first = false;
                        }
                        fprintf(f, "%s)\n", first ? " nobody; the message carries no review link" : "");
                }
                fprintf(f, "timeout = %s\n", jit_format_duration(w->timeout_sec, a, sizeof(a)));
                fprintf(f, "connect_timeout = %s\n", jit_format_duration(w->connect_timeout_sec, a, sizeof(a)));
                if (w->ca_file)
                        fprintf(f, "ca_file = %s\n", w->ca_file);
                fprintf(f, "proxy = %s\n", w->proxy ?: "");
                fprintf(f, "allow_http_loopback = %s\n", w->allow_http_loopback ? "yes" : "no");
                fprintf(f, "retry_initial = %s\n", jit_format_duration(w->retry_initial_sec, a, sizeof(a)));
                fprintf(f, "retry_max_delay = %s\n", jit_format_duration(w->retry_max_delay_sec, a, sizeof(a)));
                fprintf(f, "max_age = %s\n", jit_format_duration(w->max_age_sec, a, sizeof(a)));
        }
}

int config_notify_verify_files(const Config *c, FILE *f) {
        const NotifyConfig *n = c->notify;
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
