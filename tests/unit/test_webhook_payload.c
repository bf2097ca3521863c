/* Tests for webhook bodies: every format is valid JSON of the documented
 * shape (generic: type/timestamp/data; Slack: Block Kit with a Review
 * button; Teams: a message with an Adaptive Card, FactSet and
 * Action.OpenUrl), carries every fact the approver needs, and survives
 * hostile requesters: control characters, terminal escapes, bidi overrides,
 * Slack mentions and links, quotes, oversize text. */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "webhook-payload.h"

#define URL_BOB "https://jit.example.com/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define URL_CAROL "https://jit.example.com/r/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"

/* "a.b.0.c": members and array indexes. */
static struct json_object *jpath(struct json_object *o, const char *path) {
        char buf[256], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *part = strtok_r(buf, ".", &save); part && o; part = strtok_r(NULL, ".", &save)) {
                if (part[0] >= '0' && part[0] <= '9') {
                        if (!json_object_is_type(o, json_type_array))
                                return NULL;
                        o = json_object_array_get_idx(o, (size_t) atoi(part));
                } else if (!json_object_object_get_ex(o, part, &o))
                        return NULL;
        }
        return o;
}

static const char *jstr(struct json_object *o, const char *path) {
        struct json_object *v = jpath(o, path);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Adaptive Card Markdown as the reader sees it: CommonMark backslash
 * escapes of ASCII punctuation undone (a static buffer). */
static const char *md_plain(const char *s) {
        static char buf[2048];
        size_t n = 0;

        for (; s && *s && n + 1 < sizeof(buf); s++) {
                if (s[0] == '\\' && s[1] && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", s[1]))
                        s++;
                buf[n++] = *s;
        }
        buf[n] = 0;
        return buf;
}

static struct json_object *parse(const char *body) {
        struct json_tokener *tok = json_tokener_new_ex(32);
        struct json_object *o;

        o = json_tokener_parse_ex(tok, body, (int) strlen(body));
        /* Exactly one JSON object, nothing after it. */
        if (json_tokener_get_error(tok) != json_tokener_success ||
            (size_t) json_tokener_get_parse_end(tok) != strlen(body) || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

static const WebhookReviewLink two_links[] = {
        { .approver = "bob", .url = URL_BOB },
        { .approver = "carol", .url = URL_CAROL },
};

static WebhookEvent base_event(WebhookEventType type) {
        return (WebhookEvent) {
                .type = type,
                .timestamp = 1795442700, /* 2026-11-23T14:05:00Z */
                .request_id = "r7k2qx9pmd3t1bfa0",
                .user = "alice",
                .host = "sbx-12",
                .action = JIT_ACTION_SUDO,
                .service = "sudo",
                .rhost = "10.1.2.3",
                .tty = "pts/3",
                .reason = "deploy hotfix 1234",
                .requested_duration_sec = 3600,
                .match_code = "482-913",
                .request_expires_at = 1795443600,
                .links = two_links,
                .n_links = 2,
                .decided_by = "bob",
                .grant_expires_at = 1795446300,
                .granted_duration_sec = 3600,
                .decision_reason = "not during the freeze",
        };
}

static struct json_object *build(const WebhookEvent *e, WebhookFormat f, char **ret_body) {
        char *body = NULL;
        size_t size = 0;
        struct json_object *o;
        int r;

        r = webhook_payload_build(e, f, &body, &size);
        CHECK_INT(r, 0);
        if (r < 0)
                return NULL;
        CHECK_INT(size, strlen(body));
        CHECK(size <= WEBHOOK_BODY_MAX);
        o = parse(body);
        CHECK(o != NULL);
        if (ret_body)
                *ret_body = body;
        else
                free(body);
        return o;
}

static void test_names(void) {
        CHECK_STR(webhook_format_to_string(WEBHOOK_FORMAT_SLACK), "slack");
        CHECK_INT(webhook_format_from_string("teams"), WEBHOOK_FORMAT_TEAMS);
        CHECK_INT(webhook_format_from_string("generic"), WEBHOOK_FORMAT_GENERIC);
        CHECK_INT(webhook_format_from_string("Slack"), _WEBHOOK_FORMAT_INVALID);
        CHECK_INT(webhook_format_from_string(NULL), _WEBHOOK_FORMAT_INVALID);
        CHECK_STR(webhook_event_type_to_string(WEBHOOK_EVENT_REQUEST_EXPIRED), "jit.request.expired");
        CHECK_INT(webhook_event_type_from_string("jit.request.approved"), WEBHOOK_EVENT_REQUEST_APPROVED);
        CHECK_STR(webhook_event_type_to_string(WEBHOOK_EVENT_REQUEST_CANCELLED), "jit.request.cancelled");
        CHECK_INT(webhook_event_type_from_string("jit.request.cancelled"), WEBHOOK_EVENT_REQUEST_CANCELLED);
        CHECK(webhook_event_type_to_string(_WEBHOOK_EVENT_MAX) == NULL);
}

/* Every fact of base_event()'s request, as a generic body carries it. */
static void check_generic_request_facts(struct json_object *o) {
        CHECK_STR(jstr(o, "data.request_id"), "r7k2qx9pmd3t1bfa0");
        CHECK_STR(jstr(o, "data.user"), "alice");
        CHECK_STR(jstr(o, "data.host"), "sbx-12");
        CHECK_STR(jstr(o, "data.action"), "sudo");
        CHECK_STR(jstr(o, "data.service"), "sudo");
        CHECK_STR(jstr(o, "data.rhost"), "10.1.2.3");
        CHECK_STR(jstr(o, "data.tty"), "pts/3");
        CHECK_STR(jstr(o, "data.reason"), "deploy hotfix 1234");
        CHECK_INT(json_object_get_int64(jpath(o, "data.requested_duration_sec")), 3600);
        CHECK_STR(jstr(o, "data.match_code"), "482-913");
        CHECK_STR(jstr(o, "data.request_expires_at"), "2026-11-23T14:20:00Z");
}

static void test_generic(void) {
        WebhookEvent e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        struct json_object *o;

        o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
        CHECK_STR(jstr(o, "type"), "jit.request.created");
        CHECK_STR(jstr(o, "timestamp"), "2026-11-23T14:05:00Z");
        check_generic_request_facts(o);
        CHECK_STR(jstr(o, "data.review_links.0.approver"), "bob");
        CHECK_STR(jstr(o, "data.review_links.0.url"), URL_BOB);
        CHECK_STR(jstr(o, "data.review_links.1.url"), URL_CAROL);
        CHECK(jpath(o, "data.decided_by") == NULL);
        json_object_put(o);

        e = base_event(WEBHOOK_EVENT_REQUEST_APPROVED);
        e.n_links = 0;
        o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
        CHECK_STR(jstr(o, "type"), "jit.request.approved");
        CHECK_STR(jstr(o, "data.decided_by"), "bob");
        CHECK_STR(jstr(o, "data.grant_expires_at"), "2026-11-23T15:05:00Z");
        CHECK_INT(json_object_get_int64(jpath(o, "data.granted_duration_sec")), 3600);
        CHECK_INT(json_object_array_length(jpath(o, "data.review_links")), 0);
        json_object_put(o);

        e = base_event(WEBHOOK_EVENT_REQUEST_DENIED);
        o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
        CHECK_STR(jstr(o, "type"), "jit.request.denied");
        CHECK_STR(jstr(o, "data.decision_reason"), "not during the freeze");
        json_object_put(o);

        e = base_event(WEBHOOK_EVENT_REQUEST_EXPIRED);
        o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
        CHECK_STR(jstr(o, "type"), "jit.request.expired");
        CHECK_STR(jstr(o, "data.user"), "alice");
        json_object_put(o);

        /* A withdrawal: the requester decided, with their reason, and
         * every fact of the request; nothing of a grant. */
        e = base_event(WEBHOOK_EVENT_REQUEST_CANCELLED);
        e.decided_by = "alice";
        e.decision_reason = "fixed it myself";
        e.n_links = 0;
        o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
        CHECK_STR(jstr(o, "type"), "jit.request.cancelled");
        CHECK_STR(jstr(o, "timestamp"), "2026-11-23T14:05:00Z");
        CHECK_STR(jstr(o, "data.decided_by"), "alice");
        CHECK_STR(jstr(o, "data.decision_reason"), "fixed it myself");
        check_generic_request_facts(o);
        CHECK_STR(jstr(o, "data.extends_grant_id"), "");
        CHECK(jpath(o, "data.grant_expires_at") == NULL);
        CHECK(jpath(o, "data.granted_duration_sec") == NULL);
        CHECK_INT(json_object_array_length(jpath(o, "data.review_links")), 0);
        json_object_put(o);

        /* A shared link (trusted-header mode) has no approver member. */
        {
                WebhookReviewLink shared = { .url = URL_BOB };

                e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
                e.links = &shared;
                e.n_links = 1;
                o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
                CHECK(jpath(o, "data.review_links.0.approver") == NULL);
                CHECK_STR(jstr(o, "data.review_links.0.url"), URL_BOB);
                json_object_put(o);
        }
}

static bool slack_has_text(struct json_object *o, const char *needle) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        return strstr(s, needle) != NULL;
}

static void test_slack(void) {
        WebhookEvent e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        struct json_object *o, *blocks, *fields = NULL, *actions = NULL;

        o = build(&e, WEBHOOK_FORMAT_SLACK, NULL);
        CHECK(jstr(o, "text") != NULL);
        CHECK(strstr(jstr(o, "text"), "alice") != NULL);
        blocks = jpath(o, "blocks");
        CHECK(blocks && json_object_is_type(blocks, json_type_array));
        for (size_t i = 0; blocks && i < json_object_array_length(blocks); i++) {
                struct json_object *b = json_object_array_get_idx(blocks, i);
                const char *type = jstr(b, "type");

                CHECK(type != NULL);
                if (type && strcmp(type, "section") == 0 && jpath(b, "fields"))
                        fields = jpath(b, "fields");
                if (type && strcmp(type, "actions") == 0)
                        actions = jpath(b, "elements");
        }
        /* Slack's caps: at most 10 fields of mrkdwn text. */
        CHECK(fields != NULL);
        if (fields) {
                CHECK(json_object_array_length(fields) <= 10);
                CHECK_STR(jstr(fields, "0.type"), "mrkdwn");
        }
        CHECK(actions != NULL);
        if (actions) {
                CHECK_INT(json_object_array_length(actions), 2);
                CHECK_STR(jstr(actions, "0.type"), "button");
                CHECK_STR(jstr(actions, "0.url"), URL_BOB);
                CHECK_STR(jstr(actions, "0.text.type"), "plain_text");
                CHECK_STR(jstr(actions, "0.text.text"), "Review as bob");
                CHECK_STR(jstr(actions, "1.url"), URL_CAROL);
                CHECK(strcmp(jstr(actions, "0.action_id"), jstr(actions, "1.action_id")) != 0);
        }
        CHECK(slack_has_text(o, "482-913"));
        CHECK(slack_has_text(o, "r7k2qx9pmd3t1bfa0"));
        CHECK(slack_has_text(o, "pts/3"));
        CHECK(slack_has_text(o, "10.1.2.3"));
        CHECK(slack_has_text(o, "deploy hotfix 1234"));
        CHECK(slack_has_text(o, "1h"));
        /* The expiry in each reader's zone, with our text as fallback. */
        CHECK(slack_has_text(o, "<!date^1795443600^"));
        json_object_put(o);

        /* Outcome events: a short message, no buttons. */
        for (WebhookEventType t = WEBHOOK_EVENT_REQUEST_APPROVED; t < _WEBHOOK_EVENT_MAX; t++) {
                e = base_event(t);
                e.n_links = 0;
                o = build(&e, WEBHOOK_FORMAT_SLACK, NULL);
                CHECK(jstr(o, "text") != NULL);
                CHECK(!slack_has_text(o, "\"actions\""));
                /* Every fact of the request, as in the first message. */
                CHECK(slack_has_text(o, "r7k2qx9pmd3t1bfa0"));
                CHECK(slack_has_text(o, "alice"));
                CHECK(slack_has_text(o, "sbx-12"));
                CHECK(slack_has_text(o, "*Action*\\nsudo"));
                CHECK(slack_has_text(o, "*Service*\\nsudo"));
                CHECK(slack_has_text(o, "10.1.2.3"));
                CHECK(slack_has_text(o, "pts/3"));
                CHECK(slack_has_text(o, "deploy hotfix 1234"));
                CHECK(slack_has_text(o, "*Duration*\\n1h"));
                CHECK(slack_has_text(o, "482-913"));
                CHECK(slack_has_text(o, "<!date^1795443600^"));
                if (t == WEBHOOK_EVENT_REQUEST_APPROVED) {
                        CHECK(slack_has_text(o, "*Approved* by *bob*"));
                        CHECK(slack_has_text(o, "<!date^1795446300^"));
                }
                if (t == WEBHOOK_EVENT_REQUEST_DENIED)
                        CHECK(slack_has_text(o, "not during the freeze"));
                if (t == WEBHOOK_EVENT_REQUEST_EXPIRED)
                        CHECK(slack_has_text(o, "Expired"));
                if (t == WEBHOOK_EVENT_REQUEST_CANCELLED) {
                        /* Not dressed up as a denial by the requester. */
                        CHECK(!slack_has_text(o, "Denied"));
                        CHECK(slack_has_text(o, "*Request expiry*"));
                }
                json_object_put(o);
        }

        /* A withdrawal says who withdrew it, and why if they said. */
        e = base_event(WEBHOOK_EVENT_REQUEST_CANCELLED);
        e.decided_by = "alice";
        e.decision_reason = "fixed it myself";
        e.n_links = 0;
        o = build(&e, WEBHOOK_FORMAT_SLACK, NULL);
        CHECK(strstr(jstr(o, "text"), "Withdrawn by alice: alice no longer asks for sudo on sbx-12") != NULL);
        CHECK(slack_has_text(o, ":leftwards_arrow_with_hook: *Withdrawn* by *alice*: *alice* no longer asks for "
                                "*sudo* on *sbx-12*"));
        CHECK(slack_has_text(o, "*Withdrawal reason*\\nfixed it myself"));
        CHECK(!slack_has_text(o, "not during the freeze"));
        json_object_put(o);
        e.decision_reason = "";
        o = build(&e, WEBHOOK_FORMAT_SLACK, NULL);
        CHECK(!slack_has_text(o, "Withdrawal reason"));
        json_object_put(o);

        /* Without links the message says how else to decide. */
        e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        e.n_links = 0;
        o = build(&e, WEBHOOK_FORMAT_SLACK, NULL);
        CHECK(slack_has_text(o, "jitctl approve r7k2qx9pmd3t1bfa0"));
        json_object_put(o);
}

static void test_teams(void) {
        WebhookEvent e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        struct json_object *o, *facts;
        WebhookReviewLink many[8];
        char urls[8][128], names[8][16];

        o = build(&e, WEBHOOK_FORMAT_TEAMS, NULL);
        CHECK_STR(jstr(o, "type"), "message");
        CHECK_STR(jstr(o, "attachments.0.contentType"), "application/vnd.microsoft.card.adaptive");
        CHECK(jpath(o, "attachments.0.contentUrl") == NULL); /* JSON null */
        CHECK_STR(jstr(o, "attachments.0.content.type"), "AdaptiveCard");
        CHECK_STR(jstr(o, "attachments.0.content.version"), "1.4");
        CHECK_STR(jstr(o, "attachments.0.content.$schema"), "http://adaptivecards.io/schemas/adaptive-card.json");
        CHECK_STR(jstr(o, "attachments.0.content.body.0.type"), "TextBlock");
        CHECK_STR(jstr(o, "attachments.0.content.body.2.type"), "FactSet");
        facts = jpath(o, "attachments.0.content.body.2.facts");
        CHECK(facts != NULL);
        if (facts) {
                bool seen_match = false, seen_reason = false, seen_expiry = false;

                for (size_t i = 0; i < json_object_array_length(facts); i++) {
                        struct json_object *f = json_object_array_get_idx(facts, i);

                        if (strcmp(jstr(f, "title"), "Match code") == 0)
                                seen_match = strcmp(jstr(f, "value"), "482-913") == 0;
                        if (strcmp(jstr(f, "title"), "Reason") == 0)
                                seen_reason = strcmp(jstr(f, "value"), "deploy hotfix 1234") == 0;
                        if (strcmp(jstr(f, "title"), "Expires unanswered") == 0)
                                seen_expiry = strstr(jstr(f, "value"), "2026-11-23 14:20:00") != NULL;
                }
                CHECK(seen_match);
                CHECK(seen_reason);
                CHECK(seen_expiry);
        }
        CHECK_STR(jstr(o, "attachments.0.content.actions.0.type"), "Action.OpenUrl");
        /* The approver's name first and alone: a phone cuts long titles. */
        CHECK_STR(jstr(o, "attachments.0.content.actions.0.title"), "bob");
        CHECK_STR(jstr(o, "attachments.0.content.actions.1.title"), "carol");
        CHECK_STR(jstr(o, "attachments.0.content.body.3.type"), "TextBlock");
        CHECK(strstr(jstr(o, "attachments.0.content.body.3.text"), "each link acts as the approver it names") != NULL);
        CHECK_STR(jstr(o, "attachments.0.content.actions.0.url"), URL_BOB);
        CHECK_STR(jstr(o, "attachments.0.content.actions.1.url"), URL_CAROL);
        json_object_put(o);

        /* More approvers than the action bar shows: the rest go into
         * ActionSets, none is dropped. */
        for (size_t i = 0; i < 8; i++) {
                snprintf(urls[i], sizeof(urls[i]), "https://jit.example.com/r/%043zu", i);
                snprintf(names[i], sizeof(names[i]), "approver%zu", i);
                many[i] = (WebhookReviewLink) { .approver = names[i], .url = urls[i] };
        }
        e.links = many;
        e.n_links = 8;
        o = build(&e, WEBHOOK_FORMAT_TEAMS, NULL);
        CHECK_INT(json_object_array_length(jpath(o, "attachments.0.content.actions")), 5);
        CHECK_STR(jstr(o, "attachments.0.content.body.4.type"), "ActionSet");
        CHECK_INT(json_object_array_length(jpath(o, "attachments.0.content.body.4.actions")), 3);
        CHECK_STR(jstr(o, "attachments.0.content.body.4.actions.2.url"), urls[7]);
        CHECK_STR(jstr(o, "attachments.0.content.body.4.actions.2.title"), "approver7");
        json_object_put(o);

        /* Outcome cards carry every fact, the request's expiry included. */
        for (WebhookEventType t = WEBHOOK_EVENT_REQUEST_APPROVED; t < _WEBHOOK_EVENT_MAX; t++) {
                static const char *const want[][2] = {
                        { "User", "alice" },       { "Action", "sudo" },      { "Host", "sbx-12" },
                        { "Service", "sudo" },     { "From", "10.1.2.3" },   { "TTY", "pts/3" },
                        { "Reason", "deploy hotfix 1234" }, { "Duration", "1h" }, { "Match code", "482-913" },
                        { "Request", "r7k2qx9pmd3t1bfa0" },
                };
                const char *expiry = t == WEBHOOK_EVENT_REQUEST_EXPIRED ? "Expired unanswered" : "Request expiry";
                bool seen_expiry = false;

                e = base_event(t);
                e.n_links = 0;
                o = build(&e, WEBHOOK_FORMAT_TEAMS, NULL);
                facts = jpath(o, "attachments.0.content.body.2.facts");
                CHECK(facts != NULL);
                for (size_t k = 0; facts && k < sizeof(want) / sizeof(want[0]); k++) {
                        bool seen = false;

                        for (size_t i = 0; i < json_object_array_length(facts); i++) {
                                struct json_object *f = json_object_array_get_idx(facts, i);

                                if (strcmp(jstr(f, "title"), want[k][0]) == 0)
                                        seen = strcmp(md_plain(jstr(f, "value")), want[k][1]) == 0;
                        }
                        if (!seen)
                                fprintf(stderr, "teams %d: no fact %s\n", (int) t, want[k][0]);
                        CHECK(seen);
                }
                for (size_t i = 0; facts && i < json_object_array_length(facts); i++) {
                        struct json_object *f = json_object_array_get_idx(facts, i);

                        if (strcmp(jstr(f, "title"), expiry) == 0)
                                seen_expiry = strstr(jstr(f, "value"), "2026-11-23 14:20:00") != NULL;
                }
                CHECK(seen_expiry);
                json_object_put(o);
        }

        /* A withdrawal: who withdrew it, why, and every fact (above). */
        e = base_event(WEBHOOK_EVENT_REQUEST_CANCELLED);
        e.decided_by = "alice";
        e.decision_reason = "fixed it myself";
        e.n_links = 0;
        {
                char *body = NULL;

                o = build(&e, WEBHOOK_FORMAT_TEAMS, &body);
                CHECK_STR(jstr(o, "attachments.0.content.body.0.text"), "\u21a9 Withdrawn by alice");
                CHECK(strstr(jstr(o, "attachments.0.content.body.1.text"), "alice no longer asks for sudo on sbx\\-12") !=
                      NULL);
                CHECK(strstr(body, "{\"title\":\"Withdrawal reason\",\"value\":\"fixed it myself\"}") != NULL);
                CHECK(!strstr(body, "Denial reason"));
                CHECK(!strstr(body, "Denied"));
                CHECK(jpath(o, "attachments.0.content.actions") == NULL);
                json_object_put(o);
                free(body);
        }

        e = base_event(WEBHOOK_EVENT_REQUEST_APPROVED);
        e.n_links = 0;
        o = build(&e, WEBHOOK_FORMAT_TEAMS, NULL);
        CHECK(strstr(jstr(o, "attachments.0.content.body.0.text"), "Approved by bob") != NULL);
        CHECK(strstr(jstr(o, "attachments.0.content.body.1.text"), "until 2026-11-23 15:05:00") != NULL);
        CHECK(jpath(o, "attachments.0.content.actions") == NULL);
        json_object_put(o);
}

/* What a requester controls: user (well, their name is checked by PAM, but
 * not here), service, rhost, tty, reason. None of it may reach a chat
 * message as anything but inert text. */
/* Every mrkdwn text object anywhere in a Slack body has "verbatim": true. */
static bool slack_mrkdwn_all_verbatim(struct json_object *o) {
        struct json_object *type, *verbatim;

        if (json_object_is_type(o, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        if (!slack_mrkdwn_all_verbatim(json_object_array_get_idx(o, i)))
                                return false;
                return true;
        }
        if (!json_object_is_type(o, json_type_object))
                return true;
        if (json_object_object_get_ex(o, "type", &type) && strcmp(json_object_get_string(type), "mrkdwn") == 0 &&
            !(json_object_object_get_ex(o, "verbatim", &verbatim) && json_object_get_boolean(verbatim)))
                return false;
        json_object_object_foreach(o, key, value) {
                (void) key;
                if (!slack_mrkdwn_all_verbatim(value))
                        return false;
        }
        return true;
}

static void test_hostile(void) {
        static const char hostile[] = "<!channel> <https://evil.example|Approve here> & \x1b[31mred\x1b[0m "
                                      "\"quoted\" 'single' \xe2\x80\xae" "desrever \n\r\t line \xff\xfe <script> "
                                      "[Approve here](https://evil.example) *bold* _it_ ~gone~ `code` svc_deploy "
                                      ":white_check_mark: fe80::1:2";
        WebhookEvent e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        char *body = NULL;
        struct json_object *o;

        e.user = hostile;
        e.service = hostile;
        e.rhost = hostile;
        e.tty = hostile;
        e.reason = hostile;
        e.host = hostile;
        e.match_code = hostile;
        e.decided_by = hostile;
        e.decision_reason = hostile;

        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                for (WebhookFormat f = 0; f < _WEBHOOK_FORMAT_MAX; f++) {
                        e.type = t;
                        o = build(&e, f, &body);
                        CHECK(o != NULL);
                        /* No raw control characters or invalid UTF-8 in the
                         * body; json-c would escape controls, but they must
                         * not even be there to escape. */
                        for (const unsigned char *p = (const unsigned char *) body; *p; p++) {
                                CHECK(*p >= 0x20 && *p != 0x7f);
                                CHECK(*p != 0xff && *p != 0xfe);
                        }
                        CHECK(!strstr(body, "\\u001b"));
                        CHECK(!strstr(body, "\\t"));
                        CHECK(!strstr(body, "\\r"));
                        /* Each control character became one '?' (in
                         * Teams Markdown, an escaped one). */
                        if (f == WEBHOOK_FORMAT_TEAMS)
                                CHECK(strstr(body, "\\\\?\\\\?\\\\? line") != NULL);
                        else
                                CHECK(strstr(body, "??? line") != NULL);
                        CHECK(!strstr(body, "\xe2\x80\xae"));
                        if (f == WEBHOOK_FORMAT_SLACK) {
                                /* Slack: no mention, no forged link, no raw
                                 * entity start from user text. */
                                CHECK(!strstr(body, "<!channel>"));
                                CHECK(!strstr(body, "<https://evil"));
                                CHECK(!strstr(body, "<script>"));
                                CHECK(strstr(body, "&lt;!channel&gt;") != NULL);
                                CHECK(!strstr(body, " & "));
                                CHECK(strstr(body, " &amp; ") != NULL);
                                /* No formatting either: Slack has no escape,
                                 * so look-alikes; a name keeps its _. */
                                CHECK(!strstr(body, "*bold*"));
                                CHECK(!strstr(body, "_it_"));
                                CHECK(!strstr(body, "~gone~"));
                                CHECK(!strstr(body, "`code`"));
                                CHECK(strstr(body, "\u2217bold\u2217 \uff3fit\uff3f \u223cgone\u223c "
                                                   "\u02cbcode\u02cb svc_deploy") != NULL);
                                /* No emoji code; an IPv6 address stays. */
                                CHECK(!strstr(body, ":white_check_mark: fe80"));
                                CHECK(strstr(body, "\u2236white_check_mark: fe80::1:2") != NULL);
                                /* Every mrkdwn text is verbatim: no automatic
                                 * links or mentions. */
                                CHECK(slack_mrkdwn_all_verbatim(o));
                        }
                        if (f == WEBHOOK_FORMAT_TEAMS) {
                                /* Teams: every Markdown character escaped. */
                                CHECK(!strstr(body, "[Approve here]"));
                                CHECK(!strstr(body, "*bold*"));
                                CHECK(strstr(body, "\\\\[Approve here\\\\]\\\\(https\\\\:\\\\/\\\\/evil\\\\.example\\\\)") !=
                                      NULL);
                                CHECK(strstr(body, "\\\\*bold\\\\* \\\\_it\\\\_ \\\\~gone\\\\~ \\\\`code\\\\` svc\\\\_deploy") != NULL);
                        }
                        if (f == WEBHOOK_FORMAT_GENERIC)
                                /* Plain JSON: the sanitised text, quotes escaped by json-c. */
                                CHECK(strstr(body, "\\\"quoted\\\"") != NULL);
                        json_object_put(o);
                        free(body);
                        body = NULL;
                }

        /* Oversize text is cut at the protocol caps, visibly. */
        {
                char reason[4096];

                memset(reason, 'x', sizeof(reason) - 1);
                reason[sizeof(reason) - 1] = 0;
                e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
                e.reason = reason;
                o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
                CHECK_INT(strlen(jstr(o, "data.reason")), JIT_REASON_MAX);
                CHECK(strstr(jstr(o, "data.reason"), "xxx...") != NULL);
                json_object_put(o);
        }
}

/* An extension request (jitctl extend) says so in every format: the grant
 * it extends, that grant's current end, and that an approved extension
 * ends the approved duration after it, within max_duration of the
 * approval. A plain request says nothing of the kind. */
static void test_extension(void) {
        WebhookEvent e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        struct json_object *o;
        char *body = NULL;

        o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
        CHECK_STR(jstr(o, "data.extends_grant_id"), "");
        CHECK(jpath(o, "data.extends_grant_expires_at") == NULL);
        json_object_put(o);
        for (WebhookFormat f = WEBHOOK_FORMAT_SLACK; f <= WEBHOOK_FORMAT_TEAMS; f++) {
                o = build(&e, f, &body);
                CHECK(!strstr(body, "xtension"));
                CHECK(!strstr(body, "xtend"));
                json_object_put(o);
                free(body);
        }

        e.extends_grant_id = "g4za8hy3d8083168";
        e.extends_grant_expires_at = 1795446300; /* 2026-11-23 15:05:00 UTC */
        e.max_duration_sec = 4 * 3600;

        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++) {
                e.type = t;
                e.n_links = t == WEBHOOK_EVENT_REQUEST_CREATED ? 2 : 0;

                o = build(&e, WEBHOOK_FORMAT_GENERIC, NULL);
                CHECK_STR(jstr(o, "data.extends_grant_id"), "g4za8hy3d8083168");
                CHECK_STR(jstr(o, "data.extends_grant_expires_at"), "2026-11-23T15:05:00Z");
                json_object_put(o);

                o = build(&e, WEBHOOK_FORMAT_SLACK, &body);
                CHECK(strstr(body, "*Extension* of grant `g4za8hy3d8083168`") != NULL);
                CHECK(strstr(body, "<!date^1795446300^") != NULL);
                if (t == WEBHOOK_EVENT_REQUEST_CREATED) {
                        CHECK_STR(jstr(o, "blocks.0.text.text"), "Extension request");
                        CHECK(strstr(jstr(o, "text"), "asks to extend sudo grant g4za8hy3d8083168") != NULL);
                        CHECK(strstr(body, "*alice* asks to extend *sudo* grant `g4za8hy3d8083168` on *sbx-12* by *1h*") !=
                              NULL);
                        CHECK(strstr(body, "the new grant ends the approved duration after that deadline") != NULL);
                        CHECK(strstr(body, "never later than 4h after the approval") != NULL);
                }
                if (t == WEBHOOK_EVENT_REQUEST_APPROVED)
                        CHECK(strstr(body, "which was to end <!date^1795446300^") != NULL);
                json_object_put(o);
                free(body);

                o = build(&e, WEBHOOK_FORMAT_TEAMS, &body);
                CHECK(strstr(body, "{\"title\":\"Extends grant\",\"value\":\"g4za8hy3d8083168 (") != NULL);
                CHECK(strstr(body, "2026-11-23 15:05:00") != NULL);
                if (t == WEBHOOK_EVENT_REQUEST_CREATED) {
                        CHECK_STR(jstr(o, "attachments.0.content.body.0.text"), "Extension request");
                        CHECK(strstr(md_plain(jstr(o, "attachments.0.content.body.1.text")),
                                     "alice asks to extend sudo grant g4za8hy3d8083168 on sbx-12 by 1h") != NULL);
                        CHECK(strstr(body, "the new grant ends the approved duration after the end of grant "
                                           "g4za8hy3d8083168") != NULL);
                        CHECK(strstr(body, "never later than 4h after the approval") != NULL);
                        CHECK_STR(jstr(o, "attachments.0.content.actions.0.url"), URL_BOB);
                }
                json_object_put(o);
                free(body);
        }
}

/* The example body in jitd.conf(5) PAYLOADS (whose signature the page
 * gives as a test vector) is exactly what jitd sends for it. */
static void test_manual_example(void) {
        static const WebhookReviewLink carol = {
                .approver = "carol",
                .url = "https://jit.example.com/r/Xq3vN8r2Lk0ZpT5wHc9yBmE1sJd4uQa7fGi6oRtWnYc",
        };
        WebhookEvent e = {
                .type = WEBHOOK_EVENT_REQUEST_CREATED,
                .timestamp = 1795442400,
                .request_id = "r7k2qx9pmd3t1bfa",
                .user = "alice",
                .host = "web-01",
                .action = JIT_ACTION_SUDO,
                .service = "sudo",
                .rhost = "",
                .tty = "/dev/pts/3",
                .reason = "restart nginx after the cert rotation",
                .requested_duration_sec = 1800,
                .match_code = "482-913",
                .request_expires_at = 1795443300,
                .links = &carol,
                .n_links = 1,
        };
        char *body = NULL;

        CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_GENERIC, &body, NULL), 0);
        CHECK_STR(body, "{\"type\":\"jit.request.created\",\"timestamp\":\"2026-11-23T14:00:00Z\",\"data\":{"
                        "\"request_id\":\"r7k2qx9pmd3t1bfa\",\"user\":\"alice\",\"host\":\"web-01\",\"action\":\"sudo\","
                        "\"service\":\"sudo\",\"rhost\":\"\",\"tty\":\"/dev/pts/3\","
                        "\"reason\":\"restart nginx after the cert rotation\",\"requested_duration_sec\":1800,"
                        "\"match_code\":\"482-913\",\"request_expires_at\":\"2026-11-23T14:15:00Z\","
                        "\"extends_grant_id\":\"\",\"review_links\":[{\"approver\":\"carol\",\"url\":"
                        "\"https://jit.example.com/r/Xq3vN8r2Lk0ZpT5wHc9yBmE1sJd4uQa7fGi6oRtWnYc\"}]}}");
        free(body);
}

static void test_invalid(void) {
        WebhookEvent e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        WebhookReviewLink bad;
        char *body = NULL;
        static const char *const bad_urls[] = {
                "javascript:alert(1)",
                "https://jit.example.com/r/a b",
                "https://jit.example.com/r/\"onmouseover",
                "https://jit.example.com/r/<x>",
                "https://jit.example.com/r/x|Approve",
                "https://jit.example.com/r/x\n",
                "https://jit.example.com/r/\xc3\xa9",
                "https://jit.example.com/r/x#frag",
                "ftp://jit.example.com/r/x",
                "https://",
                "",
                NULL,
        };

        for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
                bad = (WebhookReviewLink) { .approver = "bob", .url = bad_urls[i] };
                e.links = &bad;
                e.n_links = 1;
                CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_SLACK, &body, NULL), -EINVAL);
        }
        {
                char *long_url = malloc(WEBHOOK_URL_MAX + 2);

                strcpy(long_url, "https://jit.example.com/");
                memset(long_url + strlen(long_url), 'a', WEBHOOK_URL_MAX + 1 - strlen(long_url));
                long_url[WEBHOOK_URL_MAX + 1] = 0;
                bad = (WebhookReviewLink) { .url = long_url };
                e.links = &bad;
                e.n_links = 1;
                CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_GENERIC, &body, NULL), -EINVAL);

                /* Many long links: the body cap holds. */
                long_url[WEBHOOK_URL_MAX] = 0;
                {
                        WebhookReviewLink lots[WEBHOOK_LINKS_MAX + 1];

                        for (size_t i = 0; i < WEBHOOK_LINKS_MAX + 1; i++)
                                lots[i] = (WebhookReviewLink) { .approver = "x", .url = long_url };
                        e.links = lots;
                        e.n_links = WEBHOOK_LINKS_MAX + 1;
                        CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_GENERIC, &body, NULL), -EINVAL);
                        e.n_links = WEBHOOK_LINKS_MAX;
                        CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_SLACK, &body, NULL), -EMSGSIZE);
                }
                free(long_url);
        }

        e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        e.request_id = NULL;
        CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_GENERIC, &body, NULL), -EINVAL);
        e = base_event(_WEBHOOK_EVENT_MAX);
        CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_GENERIC, &body, NULL), -EINVAL);
        e = base_event(WEBHOOK_EVENT_REQUEST_CREATED);
        CHECK_INT(webhook_payload_build(&e, _WEBHOOK_FORMAT_MAX, &body, NULL), -EINVAL);
        e.links = NULL;
        CHECK_INT(webhook_payload_build(&e, WEBHOOK_FORMAT_GENERIC, &body, NULL), -EINVAL);
        CHECK(body == NULL);
}

int main(int argc, char **argv) {
        test_names();
        test_generic();
        test_slack();
        test_teams();
        test_extension();
        test_manual_example();
        test_hostile();
        test_invalid();
        return test_result("test_webhook_payload");
}
