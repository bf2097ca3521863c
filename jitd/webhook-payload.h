/* Webhook message bodies: one event about one request (created, approved,
 * denied, expired unanswered, withdrawn by the requester) rendered as generic JSON (Standard Webhooks
 * payload shape), a Slack Block Kit message or a Microsoft Teams message
 * with an Adaptive Card. Every string that came from a user is sanitised
 * and capped before it is put into a body; nothing here does I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "jit-protocol.h"

typedef enum WebhookFormat {
        WEBHOOK_FORMAT_GENERIC,
        WEBHOOK_FORMAT_SLACK,
        WEBHOOK_FORMAT_TEAMS,
        _WEBHOOK_FORMAT_MAX,
        _WEBHOOK_FORMAT_INVALID = -1,
} WebhookFormat;

typedef enum WebhookEventType {
        WEBHOOK_EVENT_REQUEST_CREATED,  /* "jit.request.created" */
        WEBHOOK_EVENT_REQUEST_APPROVED, /* "jit.request.approved" */
        WEBHOOK_EVENT_REQUEST_DENIED,   /* "jit.request.denied" */
        WEBHOOK_EVENT_REQUEST_EXPIRED,  /* "jit.request.expired": nobody answered in time */
        WEBHOOK_EVENT_REQUEST_CANCELLED, /* "jit.request.cancelled": the requester withdrew it */
        _WEBHOOK_EVENT_MAX,
        _WEBHOOK_EVENT_INVALID = -1,
} WebhookEventType;

const char *webhook_format_to_string(WebhookFormat f);
WebhookFormat webhook_format_from_string(const char *s);
const char *webhook_event_type_to_string(WebhookEventType t);
WebhookEventType webhook_event_type_from_string(const char *s);

/* At most this many review links per message (Slack allows 25 buttons per
 * actions block; Teams shows few actions, see the .c file; 16 links of the
 * longest URL already fill WEBHOOK_BODY_MAX). The configuration is refused
 * when an endpoint would need more (config-approvers.c), so none is dropped. */
#define WEBHOOK_LINKS_MAX 16U
#define WEBHOOK_URL_MAX 2048U
/* No body we build is larger; Teams refuses messages above ~28 KB. */
#define WEBHOOK_BODY_MAX (24U * 1024U)

typedef struct WebhookReviewLink {
        const char *approver; /* NULL or "" for a link shared by everybody (trusted-header mode) */
        const char *url;      /* absolute http(s) URL, built from public_url; checked, never altered */
} WebhookReviewLink;

/* All strings may be NULL (shown as empty or omitted). Times are unix
 * seconds; 0 means unknown/not applicable. */
typedef struct WebhookEvent {
        WebhookEventType type;
        int64_t timestamp; /* when the event happened */

        const char *request_id;
        const char *user;
        const char *host; /* the sandbox host the request is for */
        JitAction action;
        const char *service;
        const char *rhost;
        const char *tty;
        const char *reason;
        uint64_t requested_duration_sec;
        const char *match_code;
        int64_t request_expires_at; /* a pending request expires unanswered then */

        /* An extension (jitctl extend): the live grant it asks more time
         * for, that grant's deadline as it stands (0: unknown), and the
         * action's max_duration. Approved, the new grant ends the approved
         * duration after that deadline (after the approval if the grant
         * has ended by then), never later than max_duration after the
         * approval; see expiry_extension_deadline(). */
        const char *extends_grant_id;
        int64_t extends_grant_expires_at;
        uint64_t max_duration_sec;

        const WebhookReviewLink *links;
        size_t n_links;

        /* Outcome events. */
        const char *decided_by;      /* approved, denied; cancelled: the requester */
        int64_t grant_expires_at;    /* approved */
        uint64_t granted_duration_sec; /* approved; may be shorter than requested */
        const char *decision_reason; /* denied; cancelled: why it was withdrawn */
} WebhookEvent;

/* Build the body. *ret is a NUL-terminated JSON text (free()), *ret_size
 * its length. -EINVAL for an invalid event (unknown type, no request id, a
 * link URL that is not a clean absolute http(s) URL, too many links),
 * -EMSGSIZE if the body would exceed WEBHOOK_BODY_MAX. */
int webhook_payload_build(const WebhookEvent *e, WebhookFormat format, char **ret, size_t *ret_size);

/* "2026-11-23T14:05:00Z" into buf (>= 32). */
char *webhook_format_iso8601(int64_t t, char *buf, size_t size);
