/* Slack messages (see webhook-payload.c for what every format carries):
 * Block Kit, a header, a section with mrkdwn, section fields and an
 * actions block with one URL button per link; outcome events are a new
 * short message, since an incoming webhook cannot edit the first one.
 *
 * Slack mrkdwn: &, < and > are escaped as Slack asks ("<!channel>",
 * "<https://evil|Approve>"); every mrkdwn object is "verbatim", so bare
 * URLs, channel names and @mentions are not linked; and Slack has no
 * escape for its formatting characters, so *, ~ and ` become look-alikes
 * that format nothing (U+2217, U+223C, U+02CB), and so does _ (U+FF3F)
 * except between two letters or digits, where it formats nothing either
 * and names such as svc_deploy stay exact; the ':' that would open an
 * emoji code (":white_check_mark: approved") becomes U+2236. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"
#include "webhook-format.h"

/* Slack: a section's fields are capped at 10, button text at 75 chars. */
#define SLACK_FIELDS_MAX 10U

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

/* The plain text for notifications and clients without blocks; mentions
 * and links are impossible in the escaped text. */
static void slack_created_fallback(Text *fallback, const Facts *f) {
        const char *kind = f->extends[0] ? "Extension request" : "Access request";

        text_printf(fallback, "%s ", kind);
        text_mrkdwn(fallback, f->request_id);
        text_plain(fallback, ": ");
        text_mrkdwn(fallback, f->user);
        if (f->extends[0]) {
                text_printf(fallback, " asks to extend %s grant ", f->action);
                text_mrkdwn(fallback, f->extends);
                text_plain(fallback, " on ");
        } else
                text_printf(fallback, " asks for %s on ", f->action);
        text_mrkdwn(fallback, f->host);
        text_plain(fallback, " (match code ");
        text_mrkdwn(fallback, f->match_code);
        text_plain(fallback, ")");
}

static void slack_created_summary(Builder *b, struct json_object *blocks, const Facts *f) {
        _cleanup_(text_done) Text summary = {};

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
}

/* One button per link, or where there is none, how to decide without. */
static void slack_review_buttons(Builder *b, struct json_object *blocks, const Facts *f, Text *context) {
        const WebhookEvent *e = f->event;

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
                text_plain(context, "No review link is configured: approve with `jitctl approve ");
                text_mrkdwn(context, f->request_id);
                text_plain(context, "`.");
        }
}

static void slack_created(Builder *b, struct json_object *blocks, const Facts *f, Text *fallback, Text *context) {
        const char *kind = f->extends[0] ? "Extension request" : "Access request";
        struct json_object *header = b_object(b);

        slack_created_fallback(fallback, f);
        b_string(b, header, "type", "header");
        b_add(b, header, "text", slack_plain(b, kind));
        b_append(b, blocks, header);
        slack_created_summary(b, blocks, f);
        slack_extension(b, blocks, f);
        slack_facts(b, blocks, f);
        slack_review_buttons(b, blocks, f, context);
}

/* A decision (approved, denied, withdrawn): who made it, what it means for
 * the requester, and for a denial or withdrawal the reason given. */
typedef struct SlackDecision {
        const char *word;         /* "Approved" */
        const char *emoji;        /* a Slack emoji code */
        const char *who;          /* who decided, already chosen */
        const char *verb;         /* "<user> has/asked for/no longer asks for <action>" */
        const char *tail;         /* ends the summary */
        const char *reason_label; /* NULL: no reason block */
} SlackDecision;

static void slack_decided(Builder *b, struct json_object *blocks, const Facts *f, Text *fallback,
                          const SlackDecision *d) {
        const WebhookEvent *e = f->event;
        bool approved = e->type == WEBHOOK_EVENT_REQUEST_APPROVED;
        _cleanup_(text_done) Text summary = {}, reason = {};

        text_printf(fallback, "%s by ", d->word);
        text_mrkdwn(fallback, d->who);
        text_plain(fallback, ": ");
        text_mrkdwn(fallback, f->user);
        text_printf(fallback, " %s %s on ", d->verb, f->action);
        text_mrkdwn(fallback, f->host);
        if (approved && e->grant_expires_at > 0) {
                text_plain(fallback, " until ");
                text_mrkdwn(fallback, f->grant_human);
        }

        text_printf(&summary, "%s *%s* by *", d->emoji, d->word);
        text_mrkdwn(&summary, d->who);
        text_plain(&summary, "*: *");
        text_mrkdwn(&summary, f->user);
        text_printf(&summary, "* %s *%s* on *", d->verb, f->action);
        text_mrkdwn(&summary, f->host);
        text_plain(&summary, "*");
        if (approved && e->grant_expires_at > 0) {
                text_plain(&summary, " until ");
                text_slack_date(&summary, e->grant_expires_at, f->grant_human);
        }
        if (approved && f->granted[0]) {
                text_plain(&summary, " (");
                text_mrkdwn(&summary, f->granted);
                text_plain(&summary, ")");
        }
        text_plain(&summary, d->tail);
        b_append(b, blocks, slack_section(b, &summary));
        if (d->reason_label && f->decision_reason[0]) {
                text_printf(&reason, "*%s*\n", d->reason_label);
                text_mrkdwn(&reason, f->decision_reason);
                b_append(b, blocks, slack_section(b, &reason));
        }
        slack_extension(b, blocks, f);
        slack_facts(b, blocks, f);
}

static void slack_expired(Builder *b, struct json_object *blocks, const Facts *f, Text *fallback) {
        _cleanup_(text_done) Text summary = {};

        text_plain(fallback, "Expired unanswered: ");
        text_mrkdwn(fallback, f->user);
        text_printf(fallback, " asked for %s on ", f->action);
        text_mrkdwn(fallback, f->host);

        text_plain(&summary, ":hourglass: *Expired*: nobody answered *");
        text_mrkdwn(&summary, f->user);
        text_printf(&summary, "*'s request for *%s* on *", f->action);
        text_mrkdwn(&summary, f->host);
        text_plain(&summary, "* in time.");
        b_append(b, blocks, slack_section(b, &summary));
        slack_extension(b, blocks, f);
        slack_facts(b, blocks, f);
}

/* Every message ends with the ids people quote to each other. */
static void slack_context(Builder *b, struct json_object *blocks, const Facts *f, Text *context) {
        struct json_object *ctx = b_object(b), *elements = b_array(b);

        if (context->n > 0)
                text_plain(context, " · ");
        text_plain(context, "Request `");
        text_mrkdwn(context, f->request_id);
        text_plain(context, "` · match code `");
        text_mrkdwn(context, or_dash(f->match_code));
        text_plain(context, "`");
        b_string(b, ctx, "type", "context");
        b_append(b, elements, slack_text(b, "mrkdwn", context));
        b_add(b, ctx, "elements", elements);
        b_append(b, blocks, ctx);
}

struct json_object *webhook_format_slack(Builder *b, const Facts *f) {
        _cleanup_(text_done) Text fallback = {}, context = {};
        struct json_object *root, *blocks;

        root = b_object(b);
        blocks = b_array(b);

        switch (f->event->type) {
        case WEBHOOK_EVENT_REQUEST_CREATED:
                slack_created(b, blocks, f, &fallback, &context);
                break;
        case WEBHOOK_EVENT_REQUEST_APPROVED:
                slack_decided(b, blocks, f, &fallback,
                              &(SlackDecision) { "Approved", ":white_check_mark:", or_dash(f->decided_by), "has", ".",
                                                 NULL });
                break;
        case WEBHOOK_EVENT_REQUEST_DENIED:
                slack_decided(b, blocks, f, &fallback,
                              &(SlackDecision) { "Denied", ":no_entry:", or_dash(f->decided_by), "asked for", ".",
                                                 "Denial reason" });
                break;
        case WEBHOOK_EVENT_REQUEST_EXPIRED:
                slack_expired(b, blocks, f, &fallback);
                break;
        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                slack_decided(b, blocks, f, &fallback,
                              &(SlackDecision) { "Withdrawn", ":leftwards_arrow_with_hook:", withdrawn_by(f),
                                                 "no longer asks for", "; nothing is left to decide.",
                                                 "Withdrawal reason" });
                break;
        default:
                b->failed = true;
                break;
        }
        slack_context(b, blocks, f, &context);

        b_text(b, root, "text", &fallback);
        b_add(b, root, "blocks", blocks);
        return root;
}
