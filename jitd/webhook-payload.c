/* Webhook bodies (see webhook-payload.h). All formats carry the same facts:
 * request id, user, host, action, service, source address, tty, reason,
 * requested duration, match code, pending-request expiry and the review
 * link(s), plus the outcome for decision events; an extension request
 * also names the grant it extends and that grant's deadline, and what
 * approving it does (expiry_extension_deadline() is the rule stated).
 * Outcome messages (approved, denied, expired, withdrawn) repeat every
 * fact: they are often read alone.
 *
 * This file owns what the formats share (webhook-format.h): the facts,
 * the builder and the text, and the choice of format. Each format's shape
 * and markup rules are in its own file: webhook-format-generic.c,
 * webhook-format-slack.c, webhook-format-teams.c.
 *
 * Hostile text: every user-controlled string is first run through
 * jit_sanitize() into a buffer of the protocol's cap (control characters,
 * bidi overrides and bad UTF-8 become '?'), then JSON-escaped by json-c.
 * Then each chat format neutralises its markup, so that nothing a
 * requester typed can format, link or mention beside the review buttons.
 * Review URLs are never rewritten: one that is not a clean absolute
 * http(s) URL makes the whole build fail, because a mangled link in a chat
 * message is worse than an error the admin sees. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macros.h"
#include "text.h"
#include "varlink.h"
#include "webhook-format.h"

static const char *const webhook_format_table[_WEBHOOK_FORMAT_MAX] = {
        [WEBHOOK_FORMAT_GENERIC] = "generic",
        [WEBHOOK_FORMAT_SLACK] = "slack",
        [WEBHOOK_FORMAT_TEAMS] = "teams",
};
DEFINE_STRING_TABLE(, webhook_format, WebhookFormat, _WEBHOOK_FORMAT_INVALID);

static const char *const webhook_event_type_table[_WEBHOOK_EVENT_MAX] = {
        [WEBHOOK_EVENT_REQUEST_CREATED] = "jit.request.created",
        [WEBHOOK_EVENT_REQUEST_APPROVED] = "jit.request.approved",
        [WEBHOOK_EVENT_REQUEST_DENIED] = "jit.request.denied",
        [WEBHOOK_EVENT_REQUEST_EXPIRED] = "jit.request.expired",
        [WEBHOOK_EVENT_REQUEST_CANCELLED] = "jit.request.cancelled",
};
DEFINE_STRING_TABLE(, webhook_event_type, WebhookEventType, _WEBHOOK_EVENT_INVALID);

char *webhook_format_iso8601(int64_t t, char *buf, size_t size) {
        struct tm tm;
        time_t tt = (time_t) t;

        if (!buf || size == 0)
                return buf;
        if ((int64_t) tt != t || !gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "@%" PRIi64, t);
        return buf;
}

/* Characters allowed in a review URL: RFC 3986 unreserved and reserved
 * characters and '%'. Excludes space, quotes, <, >, `, {, }, |, \ and ^,
 * which could end a link early in some chat markup. */
static bool url_is_acceptable(const char *url) {
        size_t n;

        if (!url)
                return false;
        n = strnlen(url, WEBHOOK_URL_MAX + 1);
        if (n > WEBHOOK_URL_MAX)
                return false;
        if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
                return false;
        if (n <= strlen("https://") || strchr(url, '#'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = url[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("-._~:/?[]@!$&'()*+,;=%", c)))
                        return false;
        }
        return true;
}

static int facts_init(Facts *f, const WebhookEvent *e) {
        char when[64];

        if (e->type < 0 || e->type >= _WEBHOOK_EVENT_MAX)
                return -EINVAL;
        if (!e->request_id || !*e->request_id)
                return -EINVAL;
        if (e->n_links > WEBHOOK_LINKS_MAX || (e->n_links > 0 && !e->links))
                return -EINVAL;
        for (size_t i = 0; i < e->n_links; i++)
                if (!url_is_acceptable(e->links[i].url))
                        return -EINVAL;

        *f = (Facts) { .event = e };
        jit_sanitize(e->request_id, f->request_id, sizeof(f->request_id));
        jit_sanitize(e->user, f->user, sizeof(f->user));
        jit_sanitize(e->host, f->host, sizeof(f->host));
        jit_sanitize(e->service, f->service, sizeof(f->service));
        jit_sanitize(e->rhost, f->rhost, sizeof(f->rhost));
        jit_sanitize(e->tty, f->tty, sizeof(f->tty));
        jit_sanitize(e->reason, f->reason, sizeof(f->reason));
        jit_sanitize(e->match_code, f->match_code, sizeof(f->match_code));
        jit_sanitize(e->decided_by, f->decided_by, sizeof(f->decided_by));
        jit_sanitize(e->decision_reason, f->decision_reason, sizeof(f->decision_reason));
        jit_sanitize(e->extends_grant_id, f->extends, sizeof(f->extends));
        for (size_t i = 0; i < e->n_links; i++)
                jit_sanitize(e->links[i].approver, f->approvers[i], sizeof(f->approvers[i]));

        f->action = jit_action_to_string(e->action);
        if (!f->action)
                f->action = "unknown";

        if (e->requested_duration_sec > 0)
                jit_format_duration(e->requested_duration_sec, f->requested, sizeof(f->requested));
        else
                snprintf(f->requested, sizeof(f->requested), "policy default");
        if (e->granted_duration_sec > 0)
                jit_format_duration(e->granted_duration_sec, f->granted, sizeof(f->granted));

        webhook_format_iso8601(e->timestamp, f->event_iso, sizeof(f->event_iso));
        if (e->request_expires_at > 0) {
                webhook_format_iso8601(e->request_expires_at, f->expires_iso, sizeof(f->expires_iso));
                jit_format_time(e->request_expires_at, when, sizeof(when));
                snprintf(f->expires_human, sizeof(f->expires_human), "%s", when);
        }
        if (f->extends[0] && e->extends_grant_expires_at > 0) {
                webhook_format_iso8601(e->extends_grant_expires_at, f->extends_iso, sizeof(f->extends_iso));
                jit_format_time(e->extends_grant_expires_at, when, sizeof(when));
                snprintf(f->extends_human, sizeof(f->extends_human), "%s", when);
        }
        if (e->max_duration_sec > 0)
                jit_format_duration(e->max_duration_sec, f->max_duration, sizeof(f->max_duration));
        if (e->grant_expires_at > 0) {
                webhook_format_iso8601(e->grant_expires_at, f->grant_iso, sizeof(f->grant_iso));
                jit_format_time(e->grant_expires_at, when, sizeof(when));
                snprintf(f->grant_human, sizeof(f->grant_human), "%s", when);
        }
        return 0;
}

const char *or_dash(const char *s) {
        return s && *s ? s : "-";
}

/* What the pending request's expiry is to a reader of this message. */
const char *request_expiry_label(WebhookEventType type) {
        if (type == WEBHOOK_EVENT_REQUEST_CREATED)
                return "Expires unanswered";
        if (type == WEBHOOK_EVENT_REQUEST_EXPIRED)
                return "Expired unanswered";
        return "Request expiry";
}

/* Who withdrew a request: the requester, whom decided_by names. */
const char *withdrawn_by(const Facts *f) {
        return f->decided_by[0] ? f->decided_by : or_dash(f->user);
}

struct json_object *b_object(Builder *b) {
        struct json_object *o = json_object_new_object();

        if (!o)
                b->failed = true;
        return o;
}

struct json_object *b_array(Builder *b) {
        struct json_object *o = json_object_new_array();

        if (!o)
                b->failed = true;
        return o;
}

void b_add(Builder *b, struct json_object *o, const char *key, struct json_object *v) {
        if (!o || !v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                b->failed = true;
        }
}

void b_append(Builder *b, struct json_object *a, struct json_object *v) {
        if (!a || !v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                b->failed = true;
        }
}

void b_string(Builder *b, struct json_object *o, const char *key, const char *s) {
        b_add(b, o, key, json_object_new_string(s ? s : ""));
}

/* A JSON null member (json-c stores a NULL value as null). */
void b_null(Builder *b, struct json_object *o, const char *key) {
        if (!o || json_object_object_add(o, key, NULL) < 0)
                b->failed = true;
}

void b_int(Builder *b, struct json_object *o, const char *key, int64_t v) {
        b_add(b, o, key, json_object_new_int64(v));
}

void text_done(Text *t) {
        free(t->s);
        *t = (Text) {};
}

void text_put(Text *t, const char *s, size_t len) {
        if (t->failed)
                return;
        if (t->n + len + 1 > t->allocated) {
                size_t a = (t->n + len + 1) * 2;
                char *p;

                if (a > WEBHOOK_BODY_MAX * 2 || !(p = realloc(t->s, a))) {
                        t->failed = true;
                        return;
                }
                t->s = p;
                t->allocated = a;
        }
        memcpy(t->s + t->n, s, len);
        t->n += len;
        t->s[t->n] = 0;
}

/* Our own text (format strings and numbers only, never user input). */
void text_printf(Text *t, const char *format, ...) {
        char buf[512];
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof(buf)) {
                t->failed = true;
                return;
        }
        text_put(t, buf, (size_t) n);
}

void text_plain(Text *t, const char *s) {
        text_put(t, s ? s : "", s ? strlen(s) : 0);
}

void b_text(Builder *b, struct json_object *o, const char *key, Text *t) {
        if (t->failed) {
                b->failed = true;
                return;
        }
        b_string(b, o, key, t->s ? t->s : "");
}

int webhook_payload_build(const WebhookEvent *e, WebhookFormat format, char **ret, size_t *ret_size) {
        _cleanup_json_ struct json_object *root = NULL;
        _cleanup_free_ Facts *f = NULL;
        Builder b = {};
        const char *text;
        size_t n;
        char *copy;
        int r;

        if (!e || !ret)
                return -EINVAL;

        /* Several KiB of buffers: keep them off the stack. */
        f = malloc(sizeof(*f));
        if (!f)
                return -ENOMEM;
        r = facts_init(f, e);
        if (r < 0)
                return r;

        switch (format) {
        case WEBHOOK_FORMAT_GENERIC:
                root = webhook_format_generic(&b, f);
                break;
        case WEBHOOK_FORMAT_SLACK:
                root = webhook_format_slack(&b, f);
                break;
        case WEBHOOK_FORMAT_TEAMS:
                root = webhook_format_teams(&b, f);
                break;
        default:
                return -EINVAL;
        }
        if (b.failed || !root)
                return -ENOMEM;

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        n = strlen(text);
        if (n > WEBHOOK_BODY_MAX)
                return -EMSGSIZE;

        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        if (ret_size)
                *ret_size = n;
        return 0;
}
