/* Webhook bodies for the three formats. All three carry the same facts:
 * request id, user, host, action, service, source address, tty, reason,
 * requested duration, match code, pending-request expiry and the review
 * link(s), plus the outcome for decision events; an extension request
 * also names the grant it extends and that grant's deadline, and what
 * approving it does (expiry_extension_deadline() is the rule stated).
 * Outcome messages (approved, denied, expired, withdrawn) repeat every
 * fact: they are often read alone.
 *
 * Hostile text: every user-controlled string is first run through
 * jit_sanitize() into a buffer of the protocol's cap (control characters,
 * bidi overrides and bad UTF-8 become '?'), then JSON-escaped by json-c.
 * Then each chat format's markup is neutralised, so that nothing a
 * requester typed can format, link or mention beside the review buttons:
 *  - Slack mrkdwn: &, < and > are escaped as Slack asks ("<!channel>",
 *    "<https://evil|Approve>"); every mrkdwn object is "verbatim", so bare
 *    URLs, channel names and @mentions are not linked; and Slack has no
 *    escape for its formatting characters, so *, ~ and ` become look-alikes
 *    that format nothing (U+2217, U+223C, U+02CB), and so does _ (U+FF3F)
 *    except between two letters or digits, where it formats nothing either
 *    and names such as svc_deploy stay exact; the ':' that would open an
 *    emoji code (":white_check_mark: approved") becomes U+2236.
 *  - Teams (Adaptive Cards render TextBlock and FactSet text as Markdown):
 *    every ASCII punctuation character is backslash-escaped, the CommonMark
 *    way of writing it as itself, which also defeats link detection and
 *    {{DATE()}} substitution; leading blanks, which would make a code
 *    block, are dropped. Button titles are plain text and stay as they are.
 * Review URLs are never rewritten: one that is not a clean absolute
 * http(s) URL makes the whole build fail, because a mangled link in a chat
 * message is worse than an error the admin sees.
 *
 * Slack: Block Kit (header, section with mrkdwn, section fields, actions
 * with one URL button per link; outcome events are a new short message,
 * since an incoming webhook cannot edit the first one). Teams: a "message"
 * with one Adaptive Card 1.4 attachment (TextBlocks, a FactSet,
 * Action.OpenUrl per link). Generic: {"type","timestamp","data"}. */
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
#include "webhook-payload.h"

#define HOST_MAX 255U
/* Slack: a section's fields are capped at 10, button text at 75 chars. */
#define SLACK_FIELDS_MAX 10U
/* Teams clients show only a handful of card-level actions; further links go
 * into ActionSets in the body. */
#define TEAMS_CARD_ACTIONS_MAX 5U

static const char *const format_names[_WEBHOOK_FORMAT_MAX] = {
        [WEBHOOK_FORMAT_GENERIC] = "generic",
        [WEBHOOK_FORMAT_SLACK] = "slack",
        [WEBHOOK_FORMAT_TEAMS] = "teams",
};

static const char *const event_names[_WEBHOOK_EVENT_MAX] = {
        [WEBHOOK_EVENT_REQUEST_CREATED] = "jit.request.created",
        [WEBHOOK_EVENT_REQUEST_APPROVED] = "jit.request.approved",
        [WEBHOOK_EVENT_REQUEST_DENIED] = "jit.request.denied",
        [WEBHOOK_EVENT_REQUEST_EXPIRED] = "jit.request.expired",
        [WEBHOOK_EVENT_REQUEST_CANCELLED] = "jit.request.cancelled",
};

const char *webhook_format_to_string(WebhookFormat f) {
        return f >= 0 && f < _WEBHOOK_FORMAT_MAX ? format_names[f] : NULL;
}

WebhookFormat webhook_format_from_string(const char *s) {
        if (s)
                for (int i = 0; i < _WEBHOOK_FORMAT_MAX; i++)
                        if (strcmp(s, format_names[i]) == 0)
                                return (WebhookFormat) i;
        return _WEBHOOK_FORMAT_INVALID;
}

const char *webhook_event_type_to_string(WebhookEventType t) {
        return t >= 0 && t < _WEBHOOK_EVENT_MAX ? event_names[t] : NULL;
}

WebhookEventType webhook_event_type_from_string(const char *s) {
        if (s)
                for (int i = 0; i < _WEBHOOK_EVENT_MAX; i++)
                        if (strcmp(s, event_names[i]) == 0)
                                return (WebhookEventType) i;
        return _WEBHOOK_EVENT_INVALID;
}

char *webhook_format_iso8601(int64_t t, char *buf, size_t size) {
        struct tm tm;
        time_t tt = (time_t) t;

        if (!buf || size == 0)
                return buf;
        if ((int64_t) tt != t || !gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "@%" PRIi64, t);
        return buf;
}

/* The event with every string sanitised and capped, and the derived texts
 * all three formats use. */
typedef struct Facts {
        const WebhookEvent *event;
        char request_id[JIT_ID_MAX];
        char user[JIT_USER_MAX + 1];
        char host[HOST_MAX + 1];
        char service[JIT_SERVICE_MAX + 1];
        char rhost[JIT_RHOST_MAX + 1];
        char tty[JIT_TTY_MAX + 1];
        char reason[JIT_REASON_MAX + 1];
        char match_code[JIT_MATCH_CODE_MAX];
        char decided_by[JIT_USER_MAX + 1];
        char decision_reason[JIT_REASON_MAX + 1];
        char approvers[WEBHOOK_LINKS_MAX][JIT_USER_MAX + 1];
        char extends[JIT_ID_MAX]; /* "" unless an extension */
        char extends_iso[32];
        char extends_human[64];
        char max_duration[32];    /* "" if unknown */
        const char *action;
        char requested[32]; /* "1h30m", or "policy default" */
        char granted[32];
        char event_iso[32];
        char expires_iso[32];
        char expires_human[64];
        char grant_iso[32];
        char grant_human[64];
} Facts;

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

static const char *or_dash(const char *s) {
        return s && *s ? s : "-";
}

/* What the pending request's expiry is to a reader of this message. */
static const char *request_expiry_label(WebhookEventType type) {
        if (type == WEBHOOK_EVENT_REQUEST_CREATED)
                return "Expires unanswered";
        if (type == WEBHOOK_EVENT_REQUEST_EXPIRED)
                return "Expired unanswered";
        return "Request expiry";
}

/* Who withdrew a request: the requester, whom decided_by names. */
static const char *withdrawn_by(const Facts *f) {
        return f->decided_by[0] ? f->decided_by : or_dash(f->user);
}

/* json-c construction with one failure flag instead of a check per call:
 * the first allocation failure poisons the build, which then returns
 * -ENOMEM. */
typedef struct Builder {
        bool failed;
} Builder;

static struct json_object *b_object(Builder *b) {
        struct json_object *o = json_object_new_object();

        if (!o)
                b->failed = true;
        return o;
}

static struct json_object *b_array(Builder *b) {
        struct json_object *o = json_object_new_array();

        if (!o)
                b->failed = true;
        return o;
}

static void b_add(Builder *b, struct json_object *o, const char *key, struct json_object *v) {
        if (!o || !v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                b->failed = true;
        }
}

static void b_append(Builder *b, struct json_object *a, struct json_object *v) {
        if (!a || !v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                b->failed = true;
        }
}

static void b_string(Builder *b, struct json_object *o, const char *key, const char *s) {
        b_add(b, o, key, json_object_new_string(s ? s : ""));
}

/* A JSON null member (json-c stores a NULL value as null). */
static void b_null(Builder *b, struct json_object *o, const char *key) {
        if (!o || json_object_object_add(o, key, NULL) < 0)
                b->failed = true;
}

static void b_int(Builder *b, struct json_object *o, const char *key, int64_t v) {
        b_add(b, o, key, json_object_new_int64(v));
}

/* A growing text for Slack mrkdwn and Teams strings. */
typedef struct Text {
        char *s;
        size_t n;
        size_t allocated;
        bool failed;
} Text;

static void text_done(Text *t) {
        free(t->s);
        *t = (Text) {};
}

static void text_put(Text *t, const char *s, size_t len) {
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
static void text_printf(Text *t, const char *format, ...) _printf_(2, 3);
static void text_printf(Text *t, const char *format, ...) {
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

static void text_plain(Text *t, const char *s) {
        text_put(t, s ? s : "", s ? strlen(s) : 0);
}

static bool is_ascii_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Does the ':' at p open a Slack emoji code (":white_check_mark:")? Names
 * are letters, digits and _ + ' -; a run of hex digits alone is taken for
 * part of an IPv6 address, which stays exact. */
static bool starts_emoji_code(const char *p) {
        bool hex_only = true;
        size_t n = 0;

        for (p++; *p && *p != ':'; p++, n++) {
                if (!is_ascii_alnum(*p) && !strchr("_+'-", *p))
                        return false;
                if (!strchr("0123456789abcdefABCDEF", *p))
                        hex_only = false;
        }
        return *p == ':' && n > 0 && !hex_only;
}

/* User text for Slack mrkdwn (see the top of this file): &, < and > are the
 * characters Slack asks senders to escape (they start entities, links and
 * mentions); the formatting characters become look-alikes. */
static void text_mrkdwn(Text *t, const char *s) {
        const char *start = s ? s : "";

        for (const char *p = start; *p;) {
                size_t k = strcspn(p, "&<>*_~`:");

                text_put(t, p, k);
                p += k;
                switch (*p) {
                case 0:
                        return;
                case '&':
                        text_plain(t, "&amp;");
                        break;
                case '<':
                        text_plain(t, "&lt;");
                        break;
                case '>':
                        text_plain(t, "&gt;");
                        break;
                case '*':
                        text_plain(t, "\u2217"); /* ASTERISK OPERATOR */
                        break;
                case '~':
                        text_plain(t, "\u223c"); /* TILDE OPERATOR */
                        break;
                case '`':
                        text_plain(t, "\u02cb"); /* MODIFIER LETTER GRAVE ACCENT */
                        break;
                case '_':
                        if (p > start && is_ascii_alnum(p[-1]) && is_ascii_alnum(p[1]))
                                text_plain(t, "_");
                        else
                                text_plain(t, "\uff3f"); /* FULLWIDTH LOW LINE */
                        break;
                case ':':
                        text_plain(t, starts_emoji_code(p) ? "\u2236" /* RATIO */ : ":");
                        break;
                }
                p++;
        }
}

/* User text for the Markdown of an Adaptive Card (see the top of this
 * file): every ASCII punctuation character escaped with a backslash. */
static void text_markdown(Text *t, const char *s) {
        const char *p = s ? s : "";

        /* At the start of a text, blanks would indent it into a code block. */
        if (t->n == 0)
                p += strspn(p, " ");
        for (; *p; p++) {
                if (strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", *p))
                        text_put(t, "\\", 1);
                text_put(t, p, 1);
        }
}

static void b_text(Builder *b, struct json_object *o, const char *key, Text *t) {
        if (t->failed) {
                b->failed = true;
                return;
        }
        b_string(b, o, key, t->s ? t->s : "");
}

/* ---- generic ---- */

static struct json_object *build_generic(Builder *b, const Facts *f) {
        const WebhookEvent *e = f->event;
        struct json_object *root, *data, *links;

        root = b_object(b);
        data = b_object(b);
        links = b_array(b);

        b_string(b, root, "type", webhook_event_type_to_string(e->type));
        b_string(b, root, "timestamp", f->event_iso);

        b_string(b, data, "request_id", f->request_id);
        b_string(b, data, "user", f->user);
        b_string(b, data, "host", f->host);
        b_string(b, data, "action", f->action);
        b_string(b, data, "service", f->service);
        b_string(b, data, "rhost", f->rhost);
        b_string(b, data, "tty", f->tty);
        b_string(b, data, "reason", f->reason);
        b_int(b, data, "requested_duration_sec", (int64_t) e->requested_duration_sec);
        b_string(b, data, "match_code", f->match_code);
        if (e->request_expires_at > 0)
                b_string(b, data, "request_expires_at", f->expires_iso);
        b_string(b, data, "extends_grant_id", f->extends);
        if (f->extends_iso[0])
                b_string(b, data, "extends_grant_expires_at", f->extends_iso);

        for (size_t i = 0; i < e->n_links; i++) {
                struct json_object *l = b_object(b);

                if (f->approvers[i][0])
                        b_string(b, l, "approver", f->approvers[i]);
                b_string(b, l, "url", e->links[i].url);
                b_append(b, links, l);
        }

        switch (e->type) {
        case WEBHOOK_EVENT_REQUEST_APPROVED:
                b_string(b, data, "decided_by", f->decided_by);
                if (e->grant_expires_at > 0)
                        b_string(b, data, "grant_expires_at", f->grant_iso);
                if (e->granted_duration_sec > 0)
                        b_int(b, data, "granted_duration_sec", (int64_t) e->granted_duration_sec);
                break;
        case WEBHOOK_EVENT_REQUEST_DENIED:
        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                b_string(b, data, "decided_by", f->decided_by);
                b_string(b, data, "decision_reason", f->decision_reason);
                break;
        default:
                break;
        }

        b_add(b, data, "review_links", links);
        b_add(b, root, "data", data);
        return root;
}

/* ---- slack ---- */

static struct json_object *slack_text(Builder *b, const char *type, Text *t) {
        struct json_object *o = b_object(b);

        b_string(b, o, "type", type);
        b_text(b, o, "text", t);
        /* No automatic links, channel names or mentions: only what we
         * wrote as <...> is markup, and user text has no < left. */
        if (strcmp(type, "mrkdwn") == 0)
                b_add(b, o, "verbatim", json_object_new_boolean(1));
        return o;
}

static struct json_object *slack_plain(Builder *b, const char *s) {
        struct json_object *o = b_object(b);

        b_string(b, o, "type", "plain_text");
        b_string(b, o, "text", s);
        return o;
}

/* "<!date^1700000000^{date_short_pretty} {time}|2026-11-23 14:05:00 UTC>":
 * each reader sees the time in their own zone; the fallback is ours. */
static void text_slack_date(Text *t, int64_t when, const char *fallback) {
        text_printf(t, "<!date^%" PRIi64 "^{date_short_pretty} {time}|", when);
        text_mrkdwn(t, fallback);
        text_plain(t, ">");
}

static void slack_field(Builder *b, struct json_object *fields, const char *label, const char *value,
                        bool code) {
        _cleanup_(text_done) Text t = {};

        text_printf(&t, "*%s*\n", label);
        if (code && value && *value)
                text_plain(&t, "`");
        text_mrkdwn(&t, or_dash(value));
        if (code && value && *value)
                text_plain(&t, "`");
        b_append(b, fields, slack_text(b, "mrkdwn", &t));
}

static struct json_object *slack_section(Builder *b, Text *t) {
        struct json_object *o = b_object(b);

        b_string(b, o, "type", "section");
        b_add(b, o, "text", slack_text(b, "mrkdwn", t));
        return o;
}

/* The facts every Slack message carries, whatever the event: the
 * requester's reason and Slack's maximum of ten fields. */
static void slack_facts(Builder *b, struct json_object *blocks, const Facts *f) {
        const WebhookEvent *e = f->event;
        _cleanup_(text_done) Text reason = {}, expiry = {};
        struct json_object *fields_block = b_object(b), *fields = b_array(b);

        text_plain(&reason, "*Reason*\n");
        text_mrkdwn(&reason, f->reason[0] ? f->reason : "(none given)");
        b_append(b, blocks, slack_section(b, &reason));

        /* Exactly SLACK_FIELDS_MAX fields. */
        slack_field(b, fields, "User", f->user, false);
        slack_field(b, fields, "Action", f->action, false);
        slack_field(b, fields, "Host", f->host, false);
        slack_field(b, fields, "Service", f->service, false);
        slack_field(b, fields, "From", f->rhost, false);
        slack_field(b, fields, "TTY", f->tty, false);
        slack_field(b, fields, "Duration", f->requested, false);
        slack_field(b, fields, "Match code", f->match_code, true);
        slack_field(b, fields, "Request", f->request_id, true);
        text_printf(&expiry, "*%s*\n", request_expiry_label(e->type));
        if (e->request_expires_at > 0)
                text_slack_date(&expiry, e->request_expires_at, f->expires_human);
        else
                text_plain(&expiry, "-");
        b_append(b, fields, slack_text(b, "mrkdwn", &expiry));

        b_string(b, fields_block, "type", "section");
        b_add(b, fields_block, "fields", fields);
        b_append(b, blocks, fields_block);
}

/* What an extension is: the grant it extends, that grant's deadline, and
 * (while it is pending) what approving it does. */
static void slack_extension(Builder *b, struct json_object *blocks, const Facts *f) {
        const WebhookEvent *e = f->event;
        _cleanup_(text_done) Text t = {};

        if (!f->extends[0])
                return;
        text_plain(&t, ":arrows_counterclockwise: *Extension* of grant `");
        text_mrkdwn(&t, f->extends);
        text_plain(&t, "`");
        if (e->extends_grant_expires_at > 0) {
                text_plain(&t, e->type == WEBHOOK_EVENT_REQUEST_APPROVED ? ", which was to end " : ", which ends ");
                text_slack_date(&t, e->extends_grant_expires_at, f->extends_human);
        }
        text_plain(&t, ".");
        if (e->type == WEBHOOK_EVENT_REQUEST_CREATED) {
                text_plain(&t, " Approved, the new grant ends the approved duration after that deadline (after the "
                               "approval if the grant has ended by then)");
                if (f->max_duration[0]) {
                        text_plain(&t, ", never later than ");
                        text_mrkdwn(&t, f->max_duration);
                        text_plain(&t, " after the approval");
                }
                text_plain(&t, "; the old grant ends then and its sessions carry on under the new one.");
        } else if (e->type == WEBHOOK_EVENT_REQUEST_APPROVED)
                text_plain(&t, " The new grant replaces it; its sessions carry on.");
        b_append(b, blocks, slack_section(b, &t));
}

static struct json_object *build_slack(Builder *b, const Facts *f) {
        const WebhookEvent *e = f->event;
        _cleanup_(text_done) Text fallback = {}, summary = {}, reason = {}, context = {};
        const char *kind = f->extends[0] ? "Extension request" : "Access request";
        struct json_object *root, *blocks;

        root = b_object(b);
        blocks = b_array(b);

        /* Mentions and links are impossible in the escaped text; this is
         * plain text for notifications and for clients without blocks. */
        switch (e->type) {
        case WEBHOOK_EVENT_REQUEST_CREATED: {
                struct json_object *header = b_object(b);

                text_printf(&fallback, "%s ", kind);
                text_mrkdwn(&fallback, f->request_id);
                text_plain(&fallback, ": ");
                text_mrkdwn(&fallback, f->user);
                if (f->extends[0]) {
                        text_printf(&fallback, " asks to extend %s grant ", f->action);
                        text_mrkdwn(&fallback, f->extends);
                        text_plain(&fallback, " on ");
                } else
                        text_printf(&fallback, " asks for %s on ", f->action);
                text_mrkdwn(&fallback, f->host);
                text_plain(&fallback, " (match code ");
                text_mrkdwn(&fallback, f->match_code);
                text_plain(&fallback, ")");

                b_string(b, header, "type", "header");
                b_add(b, header, "text", slack_plain(b, kind));
                b_append(b, blocks, header);

                text_plain(&summary, "*");
                text_mrkdwn(&summary, f->user);
                if (f->extends[0]) {
                        text_printf(&summary, "* asks to extend *%s* grant `", f->action);
                        text_mrkdwn(&summary, f->extends);
                        text_plain(&summary, "` on *");
                        text_mrkdwn(&summary, f->host);
                        text_plain(&summary, "* by *");
                } else {
                        text_printf(&summary, "* asks for *%s* on *", f->action);
                        text_mrkdwn(&summary, f->host);
                        text_plain(&summary, "* for *");
                }
                text_mrkdwn(&summary, f->requested);
                text_plain(&summary, "*.");
                b_append(b, blocks, slack_section(b, &summary));
                slack_extension(b, blocks, f);
                slack_facts(b, blocks, f);

                if (e->n_links > 0) {
                        struct json_object *actions = b_object(b), *elements = b_array(b);

                        for (size_t i = 0; i < e->n_links; i++) {
                                struct json_object *button = b_object(b);
                                char label[80], action_id[32];

                                if (f->approvers[i][0])
                                        snprintf(label, sizeof(label), "Review as %s", f->approvers[i]);
                                else
                                        snprintf(label, sizeof(label), "Review");
                                snprintf(action_id, sizeof(action_id), "jit-review-%zu", i);

                                b_string(b, button, "type", "button");
                                b_add(b, button, "text", slack_plain(b, label));
                                b_string(b, button, "url", e->links[i].url);
                                b_string(b, button, "action_id", action_id);
                                if (i == 0)
                                        b_string(b, button, "style", "primary");
                                b_append(b, elements, button);
                        }
                        b_string(b, actions, "type", "actions");
                        b_add(b, actions, "elements", elements);
                        b_append(b, blocks, actions);
                } else {
                        text_plain(&context, "No review link is configured: approve with `jitctl approve ");
                        text_mrkdwn(&context, f->request_id);
                        text_plain(&context, "`.");
                }
                break;
        }

        case WEBHOOK_EVENT_REQUEST_APPROVED:
                text_plain(&fallback, "Approved by ");
                text_mrkdwn(&fallback, or_dash(f->decided_by));
                text_plain(&fallback, ": ");
                text_mrkdwn(&fallback, f->user);
                text_printf(&fallback, " has %s on ", f->action);
                text_mrkdwn(&fallback, f->host);
                if (e->grant_expires_at > 0) {
                        text_plain(&fallback, " until ");
                        text_mrkdwn(&fallback, f->grant_human);
                }

                text_plain(&summary, ":white_check_mark: *Approved* by *");
                text_mrkdwn(&summary, or_dash(f->decided_by));
                text_plain(&summary, "*: *");
                text_mrkdwn(&summary, f->user);
                text_printf(&summary, "* has *%s* on *", f->action);
                text_mrkdwn(&summary, f->host);
                text_plain(&summary, "*");
                if (e->grant_expires_at > 0) {
                        text_plain(&summary, " until ");
                        text_slack_date(&summary, e->grant_expires_at, f->grant_human);
                }
                if (f->granted[0]) {
                        text_plain(&summary, " (");
                        text_mrkdwn(&summary, f->granted);
                        text_plain(&summary, ")");
                }
                text_plain(&summary, ".");
                b_append(b, blocks, slack_section(b, &summary));
                slack_extension(b, blocks, f);
                slack_facts(b, blocks, f);
                break;

        case WEBHOOK_EVENT_REQUEST_DENIED:
                text_plain(&fallback, "Denied by ");
                text_mrkdwn(&fallback, or_dash(f->decided_by));
                text_plain(&fallback, ": ");
                text_mrkdwn(&fallback, f->user);
                text_printf(&fallback, " asked for %s on ", f->action);
                text_mrkdwn(&fallback, f->host);

                text_plain(&summary, ":no_entry: *Denied* by *");
                text_mrkdwn(&summary, or_dash(f->decided_by));
                text_plain(&summary, "*: *");
                text_mrkdwn(&summary, f->user);
                text_printf(&summary, "* asked for *%s* on *", f->action);
                text_mrkdwn(&summary, f->host);
                text_plain(&summary, "*.");
                b_append(b, blocks, slack_section(b, &summary));
                if (f->decision_reason[0]) {
                        text_plain(&reason, "*Denial reason*\n");
                        text_mrkdwn(&reason, f->decision_reason);
                        b_append(b, blocks, slack_section(b, &reason));
                }
                slack_extension(b, blocks, f);
                slack_facts(b, blocks, f);
                break;

        case WEBHOOK_EVENT_REQUEST_EXPIRED:
                text_plain(&fallback, "Expired unanswered: ");
                text_mrkdwn(&fallback, f->user);
                text_printf(&fallback, " asked for %s on ", f->action);
                text_mrkdwn(&fallback, f->host);

                text_plain(&summary, ":hourglass: *Expired*: nobody answered *");
                text_mrkdwn(&summary, f->user);
                text_printf(&summary, "*'s request for *%s* on *", f->action);
                text_mrkdwn(&summary, f->host);
                text_plain(&summary, "* in time.");
                b_append(b, blocks, slack_section(b, &summary));
                slack_extension(b, blocks, f);
                slack_facts(b, blocks, f);
                break;

        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                text_plain(&fallback, "Withdrawn by ");
                text_mrkdwn(&fallback, withdrawn_by(f));
                text_plain(&fallback, ": ");
                text_mrkdwn(&fallback, f->user);
                text_printf(&fallback, " no longer asks for %s on ", f->action);
                text_mrkdwn(&fallback, f->host);

                text_plain(&summary, ":leftwards_arrow_with_hook: *Withdrawn* by *");
                text_mrkdwn(&summary, withdrawn_by(f));
                text_plain(&summary, "*: *");
                text_mrkdwn(&summary, f->user);
                text_printf(&summary, "* no longer asks for *%s* on *", f->action);
                text_mrkdwn(&summary, f->host);
                text_plain(&summary, "*; nothing is left to decide.");
                b_append(b, blocks, slack_section(b, &summary));
                if (f->decision_reason[0]) {
                        text_plain(&reason, "*Withdrawal reason*\n");
                        text_mrkdwn(&reason, f->decision_reason);
                        b_append(b, blocks, slack_section(b, &reason));
                }
                slack_extension(b, blocks, f);
                slack_facts(b, blocks, f);
                break;

        default:
                b->failed = true;
                break;
        }

        /* Every message ends with the ids people quote to each other. */
        {
                struct json_object *ctx = b_object(b), *elements = b_array(b);

                if (context.n > 0)
                        text_plain(&context, " · ");
                text_plain(&context, "Request `");
                text_mrkdwn(&context, f->request_id);
                text_plain(&context, "` · match code `");
                text_mrkdwn(&context, or_dash(f->match_code));
                text_plain(&context, "`");
                b_string(b, ctx, "type", "context");
                b_append(b, elements, slack_text(b, "mrkdwn", &context));
                b_add(b, ctx, "elements", elements);
                b_append(b, blocks, ctx);
        }

        b_text(b, root, "text", &fallback);
        b_add(b, root, "blocks", blocks);
        return root;
}

/* ---- teams ---- */

static struct json_object *teams_text_block(Builder *b, const char *text, bool heading) {
        struct json_object *o = b_object(b);

        b_string(b, o, "type", "TextBlock");
        b_string(b, o, "text", text);
        b_add(b, o, "wrap", json_object_new_boolean(1));
        if (heading) {
                b_string(b, o, "weight", "Bolder");
                b_string(b, o, "size", "Medium");
        }
        return o;
}

static void teams_fact(Builder *b, struct json_object *facts, const char *title, const char *value) {
        struct json_object *o = b_object(b);

        b_string(b, o, "title", title);
        b_string(b, o, "value", or_dash(value));
        b_append(b, facts, o);
}

/* A fact whose value someone else wrote: its Markdown neutralised. */
static void teams_user_fact(Builder *b, struct json_object *facts, const char *title, const char *value) {
        _cleanup_(text_done) Text t = {};

        if (!value || !*value) {
                teams_fact(b, facts, title, NULL);
                return;
        }
        text_markdown(&t, value);
        b->failed |= t.failed;
        teams_fact(b, facts, title, t.failed || !t.s ? "" : t.s);
}

/* A button per link, titled with the approver's name alone: each link
 * acts as one person, and a phone shows only the start of a title ("Review
 * as ..." read the same on every button). The text above the buttons
 * says what they are. */
static struct json_object *teams_open_url(Builder *b, const Facts *f, size_t i) {
        struct json_object *o = b_object(b);

        b_string(b, o, "type", "Action.OpenUrl");
        b_string(b, o, "title", f->approvers[i][0] ? f->approvers[i] : "Review");
        b_string(b, o, "url", f->event->links[i].url);
        return o;
}

static struct json_object *build_teams(Builder *b, const Facts *f) {
        const WebhookEvent *e = f->event;
        _cleanup_(text_done) Text heading = {}, summary = {};
        struct json_object *root, *attachments, *attachment, *card, *body, *facts, *factset;

        root = b_object(b);
        attachments = b_array(b);
        attachment = b_object(b);
        card = b_object(b);
        body = b_array(b);
        facts = b_array(b);
        factset = b_object(b);

        switch (e->type) {
        case WEBHOOK_EVENT_REQUEST_CREATED:
                text_markdown(&summary, f->user);
                if (f->extends[0]) {
                        text_plain(&heading, "Extension request");
                        text_printf(&summary, " asks to extend %s grant ", f->action);
                        text_plain(&summary, f->extends);
                        text_plain(&summary, " on ");
                        text_markdown(&summary, f->host);
                        text_plain(&summary, " by ");
                } else {
                        text_plain(&heading, "Access request");
                        text_printf(&summary, " asks for %s on ", f->action);
                        text_markdown(&summary, f->host);
                        text_plain(&summary, " for ");
                }
                text_plain(&summary, f->requested);
                text_plain(&summary, ".");
                break;
        case WEBHOOK_EVENT_REQUEST_APPROVED:
                text_plain(&heading, "\u2705 Approved by ");
                text_markdown(&heading, or_dash(f->decided_by));
                text_markdown(&summary, f->user);
                text_printf(&summary, " has %s on ", f->action);
                text_markdown(&summary, f->host);
                if (e->grant_expires_at > 0) {
                        text_plain(&summary, " until ");
                        text_plain(&summary, f->grant_human);
                }
                text_plain(&summary, ".");
                break;
        case WEBHOOK_EVENT_REQUEST_DENIED:
                text_plain(&heading, "\u26d4 Denied by ");
                text_markdown(&heading, or_dash(f->decided_by));
                text_markdown(&summary, f->user);
                text_printf(&summary, " asked for %s on ", f->action);
                text_markdown(&summary, f->host);
                text_plain(&summary, ".");
                break;
        case WEBHOOK_EVENT_REQUEST_EXPIRED:
                text_plain(&heading, "\u231b Expired unanswered");
                text_plain(&summary, "Nobody answered ");
                text_markdown(&summary, f->user);
                text_printf(&summary, "'s request for %s on ", f->action);
                text_markdown(&summary, f->host);
                text_plain(&summary, " in time.");
                break;
        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                text_plain(&heading, "\u21a9 Withdrawn by ");
                text_markdown(&heading, withdrawn_by(f));
                text_markdown(&summary, f->user);
                text_printf(&summary, " no longer asks for %s on ", f->action);
                text_markdown(&summary, f->host);
                text_plain(&summary, "; nothing is left to decide.");
                break;
        default:
                b->failed = true;
                break;
        }
        if (heading.failed || summary.failed)
                b->failed = true;

        b_append(b, body, teams_text_block(b, heading.s ? heading.s : "", true));
        b_append(b, body, teams_text_block(b, summary.s ? summary.s : "", false));

        teams_user_fact(b, facts, "User", f->user);
        teams_fact(b, facts, "Action", f->action);
        teams_user_fact(b, facts, "Host", f->host);
        teams_user_fact(b, facts, "Service", f->service);
        teams_user_fact(b, facts, "From", f->rhost);
        teams_user_fact(b, facts, "TTY", f->tty);
        if (f->reason[0])
                teams_user_fact(b, facts, "Reason", f->reason);
        else
                teams_fact(b, facts, "Reason", "(none given)");
        teams_fact(b, facts, "Duration", f->requested);
        teams_fact(b, facts, "Match code", f->match_code);
        teams_fact(b, facts, "Request", f->request_id);
        teams_fact(b, facts, request_expiry_label(e->type), f->expires_human);
        if (f->extends[0]) {
                _cleanup_(text_done) Text t = {};

                text_plain(&t, f->extends);
                if (f->extends_human[0]) {
                        text_plain(&t, e->type == WEBHOOK_EVENT_REQUEST_APPROVED ? " (was to end " : " (ends ");
                        text_plain(&t, f->extends_human);
                        text_plain(&t, ")");
                }
                teams_fact(b, facts, "Extends grant", t.failed || !t.s ? "" : t.s);
                b->failed |= t.failed;
        }
        if (e->type == WEBHOOK_EVENT_REQUEST_DENIED && f->decision_reason[0])
                teams_user_fact(b, facts, "Denial reason", f->decision_reason);
        if (e->type == WEBHOOK_EVENT_REQUEST_CANCELLED && f->decision_reason[0])
                teams_user_fact(b, facts, "Withdrawal reason", f->decision_reason);
        b_string(b, factset, "type", "FactSet");
        b_add(b, factset, "facts", facts);
        b_append(b, body, factset);

        if (f->extends[0] && e->type == WEBHOOK_EVENT_REQUEST_CREATED) {
                _cleanup_(text_done) Text t = {};

                text_plain(&t, "An extension: approved, the new grant ends the approved duration after the end of grant ");
                text_plain(&t, f->extends);
                text_plain(&t, " (after the approval if that grant has ended by then)");
                if (f->max_duration[0]) {
                        text_plain(&t, ", never later than ");
                        text_plain(&t, f->max_duration);
                        text_plain(&t, " after the approval");
                }
                text_plain(&t, "; the old grant ends then and its sessions carry on under the new one.");
                b->failed |= t.failed;
                b_append(b, body, teams_text_block(b, t.failed || !t.s ? "" : t.s, false));
        }

        if (e->n_links == 0 && e->type == WEBHOOK_EVENT_REQUEST_CREATED) {
                _cleanup_(text_done) Text t = {};

                text_plain(&t, "No review link is configured: approve with jitctl approve ");
                text_plain(&t, f->request_id);
                b_append(b, body, teams_text_block(b, t.failed || !t.s ? "" : t.s, false));
        }

        if (e->n_links > 0)
                b_append(b, body,
                         teams_text_block(b,
                                          e->n_links == 1 && !f->approvers[0][0]
                                                  ? "Review and decide:"
                                                  : "Review and decide as (each link acts as the approver it names):",
                                          false));

        /* Links beyond what the card's action bar shows go into ActionSets
         * in the body, so every approver still gets a button. */
        for (size_t i = TEAMS_CARD_ACTIONS_MAX; i < e->n_links; i += TEAMS_CARD_ACTIONS_MAX) {
                struct json_object *set = b_object(b), *set_actions = b_array(b);

                for (size_t j = i; j < e->n_links && j < i + TEAMS_CARD_ACTIONS_MAX; j++)
                        b_append(b, set_actions, teams_open_url(b, f, j));
                b_string(b, set, "type", "ActionSet");
                b_add(b, set, "actions", set_actions);
                b_append(b, body, set);
        }

        b_string(b, card, "$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        b_string(b, card, "type", "AdaptiveCard");
        b_string(b, card, "version", "1.4");
        b_add(b, card, "body", body);
        if (e->n_links > 0) {
                struct json_object *actions = b_array(b);

                for (size_t i = 0; i < e->n_links && i < TEAMS_CARD_ACTIONS_MAX; i++)
                        b_append(b, actions, teams_open_url(b, f, i));
                b_add(b, card, "actions", actions);
        }

        b_string(b, attachment, "contentType", "application/vnd.microsoft.card.adaptive");
        b_null(b, attachment, "contentUrl");
        b_add(b, attachment, "content", card);
        b_append(b, attachments, attachment);

        b_string(b, root, "type", "message");
        b_add(b, root, "attachments", attachments);
        return root;
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
                root = build_generic(&b, f);
                break;
        case WEBHOOK_FORMAT_SLACK:
                root = build_slack(&b, f);
                break;
        case WEBHOOK_FORMAT_TEAMS:
                root = build_teams(&b, f);
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
