/* What every webhook message format shares, for the format files only
 * (webhook-format-generic.c, -slack.c, -teams.c; webhook-payload.c builds
 * it): the event's facts, sanitised and capped; a json-c builder with one
 * failure flag; and a growing text. A new format is one file with one
 * webhook_format_NAME() below, a WebhookFormat value with its name, and a
 * case in webhook_payload_build(). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit-protocol.h"
#include "macros.h"
#include "webhook-payload.h"

#define WEBHOOK_HOST_MAX 255U

/* The event with every string sanitised and capped, and the derived texts
 * all formats use. */
typedef struct Facts {
        const WebhookEvent *event;
        char request_id[JIT_ID_MAX];
        char user[JIT_USER_MAX + 1];
        char host[WEBHOOK_HOST_MAX + 1];
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

/* "-" for NULL or "". */
const char *or_dash(const char *s);
/* What the pending request's expiry is to a reader of this message. */
const char *request_expiry_label(WebhookEventType type);
/* Who withdrew a request: the requester, whom decided_by names. */
const char *withdrawn_by(const Facts *f);

/* json-c construction with one failure flag instead of a check per call:
 * the first allocation failure poisons the build, which then returns
 * -ENOMEM. Adding takes ownership of the value. */
typedef struct Builder {
        bool failed;
} Builder;

struct json_object *b_object(Builder *b);
struct json_object *b_array(Builder *b);
void b_add(Builder *b, struct json_object *o, const char *key, struct json_object *v);
void b_append(Builder *b, struct json_object *a, struct json_object *v);
/* "" for NULL. */
void b_string(Builder *b, struct json_object *o, const char *key, const char *s);
/* A JSON null member. */
void b_null(Builder *b, struct json_object *o, const char *key);
void b_int(Builder *b, struct json_object *o, const char *key, int64_t v);

/* A growing text for Slack mrkdwn and Teams strings; a failure (out of
 * memory, larger than any body) sticks in `failed`. */
typedef struct Text {
        char *s;
        size_t n;
        size_t allocated;
        bool failed;
} Text;

void text_done(Text *t);
void text_put(Text *t, const char *s, size_t len);
/* Our own text (format strings and numbers only, never user input). */
void text_printf(Text *t, const char *format, ...) _printf_(2, 3);
/* As it is: our own text, or text that needs no escaping in its place. */
void text_plain(Text *t, const char *s);
/* The text as member `key`; a failed text fails the build. */
void b_text(Builder *b, struct json_object *o, const char *key, Text *t);

struct json_object *webhook_format_generic(Builder *b, const Facts *f);
struct json_object *webhook_format_slack(Builder *b, const Facts *f);
struct json_object *webhook_format_teams(Builder *b, const Facts *f);
