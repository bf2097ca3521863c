/* Microsoft Teams messages (see webhook-payload.c for what every format
 * carries): a "message" with one Adaptive Card 1.4 attachment (TextBlocks,
 * a FactSet, Action.OpenUrl per link).
 *
 * Adaptive Cards render TextBlock and FactSet text as Markdown: every
 * ASCII punctuation character in user text is backslash-escaped, the
 * CommonMark way of writing it as itself, which also defeats link
 * detection and {{DATE()}} substitution; leading blanks, which would make
 * a code block, are dropped. Button titles are plain text and stay as they
 * are. */
#include <string.h>

#include "macros.h"
#include "webhook-format.h"

/* Teams clients show only a handful of card-level actions; further links go
 * into ActionSets in the body. */
#define TEAMS_CARD_ACTIONS_MAX 5U

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

/* A decision (approved, denied, withdrawn): who made it, and what it means
 * for the requester ("<user> has/asked for/no longer asks for <action>"). */
static void teams_decided(const Facts *f, Text *heading, Text *summary, const char *what, const char *who,
                          const char *verb, const char *tail) {
        text_plain(heading, what);
        text_markdown(heading, who);
        text_markdown(summary, f->user);
        text_printf(summary, " %s %s on ", verb, f->action);
        text_markdown(summary, f->host);
        if (f->event->type == WEBHOOK_EVENT_REQUEST_APPROVED && f->event->grant_expires_at > 0) {
                text_plain(summary, " until ");
                text_plain(summary, f->grant_human);
        }
        text_plain(summary, tail);
}

/* The card's heading and the sentence under it, for each event. */
static void teams_heading_summary(const Facts *f, Text *heading, Text *summary) {
        const WebhookEvent *e = f->event;

        switch (e->type) {
        case WEBHOOK_EVENT_REQUEST_CREATED:
                text_markdown(summary, f->user);
                if (f->extends[0]) {
                        text_plain(heading, "Extension request");
                        text_printf(summary, " asks to extend %s grant ", f->action);
                        text_plain(summary, f->extends);
                        text_plain(summary, " on ");
                        text_markdown(summary, f->host);
                        text_plain(summary, " by ");
                } else {
                        text_plain(heading, "Access request");
                        text_printf(summary, " asks for %s on ", f->action);
                        text_markdown(summary, f->host);
                        text_plain(summary, " for ");
                }
                text_plain(summary, f->requested);
                text_plain(summary, ".");
                break;
        case WEBHOOK_EVENT_REQUEST_APPROVED:
                teams_decided(f, heading, summary, "\u2705 Approved by ", or_dash(f->decided_by), "has", ".");
                break;
        case WEBHOOK_EVENT_REQUEST_DENIED:
                teams_decided(f, heading, summary, "\u26d4 Denied by ", or_dash(f->decided_by), "asked for", ".");
                break;
        case WEBHOOK_EVENT_REQUEST_EXPIRED:
                text_plain(heading, "\u231b Expired unanswered");
                text_plain(summary, "Nobody answered ");
                text_markdown(summary, f->user);
                text_printf(summary, "'s request for %s on ", f->action);
                text_markdown(summary, f->host);
                text_plain(summary, " in time.");
                break;
        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                teams_decided(f, heading, summary, "\u21a9 Withdrawn by ", withdrawn_by(f), "no longer asks for",
                              "; nothing is left to decide.");
                break;
        default:
                heading->failed = true;
                break;
        }
}

/* Every fact, whatever the event: the same list in every message. */
static struct json_object *teams_facts(Builder *b, const Facts *f) {
        const WebhookEvent *e = f->event;
        struct json_object *facts = b_array(b), *factset = b_object(b);

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
        return factset;
}

/* What approving an extension does, while it is pending. */
static void teams_extension_note(Builder *b, struct json_object *body, const Facts *f) {
        _cleanup_(text_done) Text t = {};

        if (!f->extends[0] || f->event->type != WEBHOOK_EVENT_REQUEST_CREATED)
                return;
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

/* The review buttons (or how to decide without one), as text and
 * ActionSets in the body; the card's own action bar gets the first few. */
static void teams_review_links(Builder *b, struct json_object *body, const Facts *f) {
        const WebhookEvent *e = f->event;

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
}

struct json_object *webhook_format_teams(Builder *b, const Facts *f) {
        const WebhookEvent *e = f->event;
        _cleanup_(text_done) Text heading = {}, summary = {};
        struct json_object *root, *attachments, *attachment, *card, *body;

        root = b_object(b);
        attachments = b_array(b);
        attachment = b_object(b);
        card = b_object(b);
        body = b_array(b);

        teams_heading_summary(f, &heading, &summary);
        if (heading.failed || summary.failed)
                b->failed = true;
        b_append(b, body, teams_text_block(b, heading.s ? heading.s : "", true));
        b_append(b, body, teams_text_block(b, summary.s ? summary.s : "", false));
        b_append(b, body, teams_facts(b, f));
        teams_extension_note(b, body, f);
        teams_review_links(b, body, f);

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
