/* The audit trail: one journald entry per event with a fixed 128-bit
 * MESSAGE_ID and JIT_* fields, written with sd_journal_send. Every string
 * field is sanitised here, so callers pass raw values. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum AuditEvent {
        AUDIT_REQUEST_CREATED,
        AUDIT_REQUEST_APPROVED,
        AUDIT_REQUEST_DENIED,
        AUDIT_REQUEST_EXPIRED, /* pending request expired unanswered */
        AUDIT_GRANT_EXPIRED,
        AUDIT_GRANT_REVOKED,
        AUDIT_ACCESS_ALLOWED,
        AUDIT_ACCESS_DENIED,
        AUDIT_FAIL_OPEN, /* written by pam_jit.so directly to journald */
        AUDIT_BREAKGLASS,
        AUDIT_SESSION_OPENED,
        AUDIT_SESSION_CLOSED,
        AUDIT_SESSION_TERMINATED,    /* jitd ended a session through logind (grant expired/revoked) */
        AUDIT_GRANT_EXPIRY_WARNING,  /* the user's terminal was told the grant ends soon */
        AUDIT_NOTIFICATION_DELIVERED, /* a webhook endpoint accepted a message about a request */
        AUDIT_NOTIFICATION_FAILED,    /* one delivery attempt failed (retried), or delivery gave up */
        AUDIT_APPROVAL_RECORDED,      /* one approver's vote towards a quorum, not granted yet */
        AUDIT_REQUEST_CANCELLED,      /* the requester withdrew their own pending request */
        AUDIT_SESSION_TEARDOWN_FAILED, /* ending an ended grant's sessions failed (retried), or jitd gave up */
        AUDIT_USER_MANAGER_STOPPED,   /* jitd ended the user's manager (user@UID.service) with their last login grant */
        AUDIT_REQUEST_REFUSED,         /* a new request was refused: the user filed too many (request_limit) */
        _AUDIT_EVENT_MAX,
} AuditEvent;

typedef struct AuditFields {
        const char *request_id;
        const char *grant_id;
        const char *user;
        const char *action;
        const char *service;
        const char *rhost;
        const char *tty;
        const char *approver;        /* JIT_APPROVER: the account that decided (root for sudo jitctl) */
        const char *approver_person; /* JIT_APPROVER_PERSON: the person behind it (person.h), when known */
        const char *reason;
        const char *session;
        const char *unit;       /* JIT_UNIT: a systemd unit jitd acted on */
        int64_t expires; /* 0: not set */
        const char *match_code; /* JIT_MATCH_CODE; shown in the request-created message */
        /* Notifications and quorum (0/NULL: not set). */
        const char *endpoint;     /* JIT_ENDPOINT: the [webhook NAME] */
        const char *notification; /* JIT_NOTIFICATION: created, approved, denied, expired */
        const char *webhook_id;   /* JIT_WEBHOOK_ID: the message's webhook-id */
        unsigned attempts;        /* JIT_ATTEMPTS */
        long http_status;         /* JIT_HTTP_STATUS */
        bool final;               /* notification-failed, session-teardown-failed: no more attempts */
        unsigned attempts_max;    /* session-teardown-failed: the "of N" in the message */
        uint64_t retry_sec;       /* session-teardown-failed: the next attempt comes this much later */
        unsigned approvals;       /* JIT_APPROVALS */
        unsigned approvals_needed; /* JIT_APPROVALS_NEEDED */
} AuditFields;

/* MESSAGE_ID as 32 lowercase hex characters. */
const char *audit_event_message_id(AuditEvent e);
const char *audit_event_name(AuditEvent e);
void audit_log(AuditEvent e, const AuditFields *f);

/* Also append one JSON object per event (the same fields as the journal
 * entry, one line each) to `path`; for tests and hosts without journald.
 * jitd --audit-log FILE. The file is created 0600 if missing. */
int audit_open_file(const char *path);
void audit_close_file(void);

/* The fields every entry about a request carries, from its record: id,
 * user, action, service, rhost, tty and the requester's reason. Callers
 * add what their event says besides (approver, grant, expires...).
 * Implemented in lifecycle.c, with the rest of what follows a change. */
typedef struct RequestRecord RequestRecord;
AuditFields audit_fields_from_request(const RequestRecord *r);
