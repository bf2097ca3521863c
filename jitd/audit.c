/* The audit trail: one structured journald entry per event, with a fixed
 * MESSAGE_ID, a JIT_EVENT name, the JIT_* fields that are set and a one-line
 * human MESSAGE. Every string is passed through jit_sanitize() here, so a
 * user's reason or a remote host name cannot forge log lines. Optionally the
 * same fields are appended as one JSON object per line to a file (jitd
 * --audit-log), for tests and hosts without journald. Audit never fails the
 * operation it records: the decision is already in the store by then. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "audit.h"
#include "clock.h"
#include "jit-protocol.h"
#include "jit-message-ids.h"
#include "log.h"
#include "macros.h"
#include "text.h"
#include "varlink.h"

#define AUDIT_FIELDS_MAX 32

static int audit_fd = -1;

static const struct {
        const char *name;
        const char *message_id;
        int priority;
} audit_events[_AUDIT_EVENT_MAX] = {
        [AUDIT_REQUEST_CREATED] = { "request-created", JIT_MESSAGE_ID_REQUEST_CREATED, LOG_NOTICE },
        [AUDIT_REQUEST_APPROVED] = { "request-approved", JIT_MESSAGE_ID_REQUEST_APPROVED, LOG_NOTICE },
        [AUDIT_REQUEST_DENIED] = { "request-denied", JIT_MESSAGE_ID_REQUEST_DENIED, LOG_WARNING },
        [AUDIT_REQUEST_EXPIRED] = { "request-expired", JIT_MESSAGE_ID_REQUEST_EXPIRED, LOG_NOTICE },
        [AUDIT_GRANT_EXPIRED] = { "grant-expired", JIT_MESSAGE_ID_GRANT_EXPIRED, LOG_NOTICE },
        [AUDIT_GRANT_REVOKED] = { "grant-revoked", JIT_MESSAGE_ID_GRANT_REVOKED, LOG_WARNING },
        [AUDIT_ACCESS_ALLOWED] = { "access-allowed", JIT_MESSAGE_ID_ACCESS_ALLOWED, LOG_NOTICE },
        [AUDIT_ACCESS_DENIED] = { "access-denied", JIT_MESSAGE_ID_ACCESS_DENIED, LOG_WARNING },
        [AUDIT_FAIL_OPEN] = { "fail-open", JIT_MESSAGE_ID_FAIL_OPEN, LOG_ALERT },
        [AUDIT_BREAKGLASS] = { "breakglass", JIT_MESSAGE_ID_BREAKGLASS, LOG_ALERT },
        [AUDIT_SESSION_OPENED] = { "session-opened", JIT_MESSAGE_ID_SESSION_OPENED, LOG_NOTICE },
        [AUDIT_SESSION_CLOSED] = { "session-closed", JIT_MESSAGE_ID_SESSION_CLOSED, LOG_NOTICE },
        [AUDIT_SESSION_TERMINATED] = { "session-terminated", JIT_MESSAGE_ID_SESSION_TERMINATED, LOG_NOTICE },
        [AUDIT_GRANT_EXPIRY_WARNING] = { "grant-expiry-warning", JIT_MESSAGE_ID_GRANT_EXPIRY_WARNING,
                                         LOG_INFO },
        [AUDIT_NOTIFICATION_DELIVERED] = { "notification-delivered", JIT_MESSAGE_ID_NOTIFICATION_DELIVERED,
                                           LOG_INFO },
        [AUDIT_NOTIFICATION_FAILED] = { "notification-failed", JIT_MESSAGE_ID_NOTIFICATION_FAILED, LOG_WARNING },
        [AUDIT_APPROVAL_RECORDED] = { "approval-recorded", JIT_MESSAGE_ID_APPROVAL_RECORDED, LOG_NOTICE },
        [AUDIT_REQUEST_CANCELLED] = { "request-cancelled", JIT_MESSAGE_ID_REQUEST_CANCELLED, LOG_NOTICE },
        /* LOG_CRIT when final: a user's access may outlive its grant. */
        [AUDIT_SESSION_TEARDOWN_FAILED] = { "session-teardown-failed", JIT_MESSAGE_ID_SESSION_TEARDOWN_FAILED,
                                            LOG_WARNING },
        [AUDIT_USER_MANAGER_STOPPED] = { "user-manager-stopped", JIT_MESSAGE_ID_USER_MANAGER_STOPPED,
                                         LOG_NOTICE },
        [AUDIT_REQUEST_REFUSED] = { "request-refused", JIT_MESSAGE_ID_REQUEST_REFUSED, LOG_WARNING },
};

const char *audit_event_message_id(AuditEvent e) {
        if ((unsigned) e >= _AUDIT_EVENT_MAX)
                return NULL;
        return audit_events[e].message_id;
}

const char *audit_event_name(AuditEvent e) {
        if ((unsigned) e >= _AUDIT_EVENT_MAX)
                return NULL;
        return audit_events[e].name;
}

int audit_open_file(const char *path) {
        int fd;

        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;

        audit_close_file();
        audit_fd = fd;
        return 0;
}

void audit_close_file(void) {
        if (audit_fd >= 0)
                close(audit_fd);
        audit_fd = -1;
}

/* The sanitised copy of every field, "" when not set. */
typedef struct AuditValues {
        char request_id[JIT_ID_MAX + 8];
        char grant_id[JIT_ID_MAX + 8];
        char user[JIT_USER_MAX + 8];
        char action[32];
        char service[JIT_SERVICE_MAX + 8];
        char rhost[JIT_RHOST_MAX + 8];
        char tty[JIT_TTY_MAX + 8];
        char approver[JIT_USER_MAX + 8];
        char approver_person[JIT_USER_MAX + 8];
        char approver_text[2 * JIT_USER_MAX + 24]; /* for the message: "root (alice)", or "carol" */
        char reason[JIT_REASON_MAX + 8];
        char session[JIT_SESSION_MAX + 8];
        char unit[64];
        char match_code[JIT_MATCH_CODE_MAX + 8];
        char endpoint[64];
        char notification[32];
        char webhook_id[80];
        char expires[64];        /* human */
        const char *host;        /* audit_host_name(), already sanitised */
} AuditValues;

static void sanitize_field(const char *s, char *buf, size_t size) {
        if (s && *s)
                jit_sanitize(s, buf, size);
        else
                buf[0] = 0;
}

/* Every entry names the host. Check writes one entry per allowed login or
 * sudo, so the name is asked for at most once a second rather than per
 * entry; a rename (hostnamectl) shows up in entries from a second later. */
#define HOSTNAME_REFRESH_USEC USEC_PER_SEC

static const char *audit_host_name(void) {
        static char host[HOST_NAME_MAX + 1];
        static uint64_t refreshed_usec;
        uint64_t now = now_monotonic_usec();

        if (refreshed_usec == 0 || now == 0 || now - refreshed_usec >= HOSTNAME_REFRESH_USEC) {
                char buf[HOST_NAME_MAX + 1] = {};

                if (gethostname(buf, sizeof(buf) - 1) < 0 || !buf[0])
                        snprintf(buf, sizeof(buf), "localhost");
                sanitize_field(buf, host, sizeof(host));
                refreshed_usec = now;
        }
        return host;
}

/* A grant's deadline as a human time. Check writes the same grant's
 * deadline entry after entry, so the last one is kept: localtime_r()
 * never reloads the time zone in a running process, so the text for a
 * given time cannot change. */
static void audit_format_expires(int64_t t, char *buf, size_t size) {
        static int64_t last_t;
        static char last[64];
        size_t n;

        if (last_t == 0 || t != last_t) {
                jit_format_time(t, last, sizeof(last));
                last_t = t;
        }
        n = strnlen(last, size - 1);
        memcpy(buf, last, n);
        buf[n] = 0;
}

static void audit_values_fill(const AuditFields *f, AuditValues *v) {
        sanitize_field(f->request_id, v->request_id, sizeof(v->request_id));
        sanitize_field(f->grant_id, v->grant_id, sizeof(v->grant_id));
        sanitize_field(f->user, v->user, sizeof(v->user));
        sanitize_field(f->action, v->action, sizeof(v->action));
        sanitize_field(f->service, v->service, sizeof(v->service));
        sanitize_field(f->rhost, v->rhost, sizeof(v->rhost));
        sanitize_field(f->tty, v->tty, sizeof(v->tty));
        sanitize_field(f->approver, v->approver, sizeof(v->approver));
        sanitize_field(f->approver_person, v->approver_person, sizeof(v->approver_person));
        /* The account, and who was behind it where that is someone else. */
        if (v->approver_person[0] && strcmp(v->approver_person, v->approver) != 0)
                snprintf(v->approver_text, sizeof(v->approver_text), "%s (%s)", v->approver, v->approver_person);
        else
                snprintf(v->approver_text, sizeof(v->approver_text), "%s", v->approver);
        sanitize_field(f->reason, v->reason, sizeof(v->reason));
        sanitize_field(f->session, v->session, sizeof(v->session));
        sanitize_field(f->unit, v->unit, sizeof(v->unit));
        sanitize_field(f->match_code, v->match_code, sizeof(v->match_code));
        sanitize_field(f->endpoint, v->endpoint, sizeof(v->endpoint));
        sanitize_field(f->notification, v->notification, sizeof(v->notification));
        sanitize_field(f->webhook_id, v->webhook_id, sizeof(v->webhook_id));
        if (f->expires > 0)
                audit_format_expires(f->expires, v->expires, sizeof(v->expires));
        else
                v->expires[0] = 0;

        v->host = audit_host_name();
}

typedef struct Line {
        char buf[2048];
        size_t n;
} Line;

static void _printf_(2, 3) line_append(Line *l, const char *format, ...) {
        va_list ap;
        int k;

        if (l->n >= sizeof(l->buf) - 1)
                return;
        va_start(ap, format);
        k = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, format, ap);
        va_end(ap);
        if (k > 0)
                l->n += (size_t) k < sizeof(l->buf) - l->n ? (size_t) k : sizeof(l->buf) - l->n - 1;
}

/* The strings, up to a NULL, appended as they are: for the entries Check
 * writes on every call, where vsnprintf() per piece was a third of the
 * cost of an entry. Cut like line_append() when the line is full. */
static void line_append_strings(Line *l, ...) __attribute__((sentinel));
static void line_append_strings(Line *l, ...) {
        va_list ap;
        const char *s;

        va_start(ap, l);
        while ((s = va_arg(ap, const char *))) {
                size_t room = sizeof(l->buf) - 1 - l->n, k = strlen(s);

                if (k > room)
                        k = room;
                memcpy(l->buf + l->n, s, k);
                l->n += k;
        }
        va_end(ap);
        l->buf[l->n] = 0;
}

static const char *or_unknown(const char *s) {
        return s[0] ? s : "?";
}

/* " via sshd from 10.0.0.1 on pts/0", leaving out what is not set. */
static void line_append_origin(Line *l, const AuditValues *v) {
        if (v->service[0])
                line_append_strings(l, " via ", v->service, NULL);
        if (v->rhost[0])
                line_append_strings(l, " from ", v->rhost, NULL);
        if (v->tty[0])
                line_append_strings(l, " on ", v->tty, NULL);
}

static void line_append_reason(Line *l, const AuditValues *v) {
        if (v->reason[0])
                line_append(l, ": reason '%s'", v->reason);
        else
                line_append(l, ": no reason given");
}

/* Check's entries, written on every login or sudo, and fail-open/break-glass.
 * Returns false for events of other groups. */
static bool format_access_message(AuditEvent e, const AuditFields *f, const AuditValues *v, Line *l) {
        const char *user = or_unknown(v->user), *action = or_unknown(v->action);

        (void) f;
        switch (e) {
        case AUDIT_ACCESS_ALLOWED:
                line_append_strings(l, action, " for ", user, " allowed on ", v->host, NULL);
                line_append_origin(l, v);
                line_append_strings(l, " under grant ", or_unknown(v->grant_id), " until ",
                                    or_unknown(v->expires), NULL);
                break;
        case AUDIT_ACCESS_DENIED:
                line_append_strings(l, action, " for ", user, " denied on ", v->host, NULL);
                line_append_origin(l, v);
                line_append_strings(l, ": no live grant", NULL);
                if (v->request_id[0])
                        line_append_strings(l, " (request ", v->request_id, ")", NULL);
                break;
        case AUDIT_FAIL_OPEN:
                line_append(l, "%s for %s allowed on %s WITHOUT a decision from jitd (fail-open)", action, user,
                            v->host);
                line_append_origin(l, v);
                break;
        case AUDIT_BREAKGLASS:
                /* Three shapes: an admin issuing a break-glass grant (no
                 * service: it came from jitctl), a login or sudo under such
                 * a grant, and a break-glass account let through by policy. */
                if (v->grant_id[0] && !v->service[0]) {
                        line_append(l, "%s issued break-glass %s grant %s to %s on %s until %s",
                                    or_unknown(v->approver_text), action, v->grant_id, user, v->host,
                                    or_unknown(v->expires));
                        line_append_reason(l, v);
                } else if (v->grant_id[0]) {
                        line_append(l, "%s used break-glass %s grant %s on %s", user, action, v->grant_id, v->host);
                        line_append_origin(l, v);
                        line_append(l, " (issued by %s, until %s)", or_unknown(v->approver), or_unknown(v->expires));
                } else {
                        line_append(l, "%s used break-glass access for %s on %s", user, action, v->host);
                        line_append_origin(l, v);
                }
                break;
        default:
                return false;
        }
        return true;
}

/* A request's life: filed, refused, decided, withdrawn or left to expire.
 * Returns false for events of other groups. */
static bool format_request_message(AuditEvent e, const AuditFields *f, const AuditValues *v, Line *l) {
        const char *user = or_unknown(v->user), *action = or_unknown(v->action);

        switch (e) {
        case AUDIT_REQUEST_CREATED:
                line_append(l, "%s requested %s on %s (request %s, code %s)", user, action, v->host,
                            or_unknown(v->request_id), or_unknown(v->match_code));
                if (v->grant_id[0]) /* an extension of this live grant */
                        line_append(l, " to extend grant %s", v->grant_id);
                line_append_reason(l, v);
                break;
        case AUDIT_REQUEST_APPROVED:
                line_append(l, "%s approved %s's %s request %s on %s: grant %s until %s", or_unknown(v->approver_text),
                            user, action, or_unknown(v->request_id), v->host, or_unknown(v->grant_id),
                            or_unknown(v->expires));
                break;
        case AUDIT_REQUEST_DENIED:
                line_append(l, "%s denied %s's %s request %s on %s", or_unknown(v->approver_text), user, action,
                            or_unknown(v->request_id), v->host);
                line_append_reason(l, v);
                break;
        case AUDIT_REQUEST_CANCELLED:
                line_append(l, "%s withdrew their %s request %s on %s", user, action, or_unknown(v->request_id),
                            v->host);
                line_append_reason(l, v);
                break;
        case AUDIT_REQUEST_REFUSED:
                line_append(l, "refused a new %s request of %s on %s", action, user, v->host);
                line_append_origin(l, v);
                line_append(l, ": too many requests (%s); the next is possible at %s", or_unknown(v->reason),
                            or_unknown(v->expires));
                break;
        case AUDIT_REQUEST_EXPIRED:
                line_append(l, "%s's %s request %s on %s expired unanswered", user, action,
                            or_unknown(v->request_id), v->host);
                break;
        case AUDIT_APPROVAL_RECORDED:
                line_append(l, "%s approved %s's %s request %s on %s: %u of %u approvals, not granted yet",
                            or_unknown(v->approver_text), user, action, or_unknown(v->request_id), v->host, f->approvals,
                            f->approvals_needed);
                break;
        default:
                return false;
        }
        return true;
}

/* A grant's end and what it takes with it: sessions, the user manager.
 * Returns false for events of other groups. */
static bool format_grant_message(AuditEvent e, const AuditFields *f, const AuditValues *v, Line *l) {
        const char *user = or_unknown(v->user), *action = or_unknown(v->action);

        switch (e) {
        case AUDIT_GRANT_EXPIRED:
                line_append(l, "%s's %s grant %s on %s expired", user, action, or_unknown(v->grant_id), v->host);
                if (v->approver[0])
                        line_append(l, " (ended by %s)", v->approver_text);
                if (v->reason[0])
                        line_append(l, ": %s", v->reason);
                break;
        case AUDIT_GRANT_REVOKED:
                line_append(l, "%s revoked %s's %s grant %s on %s", or_unknown(v->approver_text), user, action,
                            or_unknown(v->grant_id), v->host);
                line_append_reason(l, v);
                break;
        case AUDIT_GRANT_EXPIRY_WARNING:
                line_append(l, "warned %s on %s that %s grant %s ends at %s", user, or_unknown(v->tty), action,
                            or_unknown(v->grant_id), or_unknown(v->expires));
                if (v->session[0])
                        line_append(l, " (session %s)", v->session);
                break;
        case AUDIT_SESSION_OPENED:
                line_append(l, "%s opened session %s on %s", user, or_unknown(v->session), v->host);
                line_append_origin(l, v);
                line_append(l, " under grant %s", or_unknown(v->grant_id));
                break;
        case AUDIT_SESSION_CLOSED:
                line_append(l, "%s closed session %s on %s", user, or_unknown(v->session), v->host);
                break;
        case AUDIT_SESSION_TERMINATED:
                line_append(l, "ended %s's session %s on %s", user, or_unknown(v->session), v->host);
                line_append_origin(l, v);
                line_append(l, " because %s grant %s %s", action, or_unknown(v->grant_id),
                            v->reason[0] ? v->reason : "ended");
                break;
        case AUDIT_USER_MANAGER_STOPPED:
                line_append(l, "ended %s's user manager %s on %s because %s grant %s %s, their last live login grant",
                            user, or_unknown(v->unit), v->host, action, or_unknown(v->grant_id),
                            v->reason[0] ? v->reason : "ended");
                break;
        case AUDIT_SESSION_TEARDOWN_FAILED:
                if (f->final)
                        line_append(l, "gave up ending %s's sessions under %s grant %s on %s after %u attempts", user,
                                    action, or_unknown(v->grant_id), v->host, f->attempts);
                else
                        line_append(l, "could not end %s's sessions under %s grant %s on %s (attempt %u of %u)", user,
                                    action, or_unknown(v->grant_id), v->host, f->attempts, f->attempts_max);
                if (v->reason[0])
                        line_append(l, ": %s", v->reason);
                if (f->final)
                        line_append(l, "; they may still be running: end them by hand (loginctl terminate-user %s)",
                                    user);
                else
                        line_append(l, "; trying again in %llus", (unsigned long long) f->retry_sec);
                break;
        default:
                return false;
        }
        return true;
}

/* Webhook deliveries.
 * Returns false for events of other groups. */
static bool format_notification_message(AuditEvent e, const AuditFields *f, const AuditValues *v, Line *l) {
        const char *user = or_unknown(v->user), *action = or_unknown(v->action);

        switch (e) {
        case AUDIT_NOTIFICATION_DELIVERED:
                line_append(l, "notified webhook %s of %s's %s request %s on %s (%s, attempt %u)",
                            or_unknown(v->endpoint), user, action, or_unknown(v->request_id), v->host,
                            or_unknown(v->notification), f->attempts);
                break;
        case AUDIT_NOTIFICATION_FAILED:
                line_append(l, "webhook %s: %s of %s's %s request %s on %s failed (attempt %u",
                            or_unknown(v->endpoint), or_unknown(v->notification), user, action,
                            or_unknown(v->request_id), v->host, f->attempts);
                if (f->http_status > 0)
                        line_append(l, ", HTTP %ld", f->http_status);
                line_append(l, ")%s", f->final ? ", giving up" : ", will retry");
                if (v->reason[0])
                        line_append(l, ": %s", v->reason);
                break;
        default:
                return false;
        }
        return true;
}

/* The human line of an entry (MESSAGE). Its wording is what admins grep
 * for: changes here are changes to the audit format. */
static void audit_format_message(AuditEvent e, const AuditFields *f, const AuditValues *v, Line *l) {
        if (format_access_message(e, f, v, l) || format_request_message(e, f, v, l) ||
            format_grant_message(e, f, v, l) || format_notification_message(e, f, v, l))
                return;
        line_append(l, "unknown audit event %i", (int) e);
}

typedef struct Field {
        const char *key;
        const char *value; /* points into AuditValues or the message */
} Field;

static void audit_write_file(Field *fields, size_t n, int64_t now) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *line = NULL;
        const char *s;
        size_t len;

        o = json_object_new_object();
        if (!o)
                return;
        json_object_object_add(o, "TIMESTAMP", json_object_new_int64(now));
        for (size_t i = 0; i < n; i++)
                json_object_object_add(o, fields[i].key, json_object_new_string(fields[i].value));

        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return;
        len = strlen(s);
        line = malloc(len + 1);
        if (!line)
                return;
        memcpy(line, s, len);
        line[len] = '\n';

        /* One write() on an O_APPEND file: lines never interleave. */
        if (write(audit_fd, line, len + 1) != (ssize_t) (len + 1))
                log_warning_errno(errno, "Failed to write to the audit log file: %m");
}

/* The numbers an entry may carry, formatted only when they are sent: Check
 * writes one entry per allowed login or sudo. */
typedef struct Numbers {
        char priority[16], expires[32], attempts[16], http_status[24], approvals[16], approvals_needed[16];
} Numbers;

/* The entry's fields in the order they are written; fields[] points into
 * `message`, `v` and `num`. Returns how many. */
static size_t audit_collect_fields(AuditEvent e, int prio, const AuditFields *f, const AuditValues *v,
                                   const char *message, Numbers *num, Field fields[static AUDIT_FIELDS_MAX]) {
        size_t n = 0;

#define ADD(k, v) fields[n++] = (Field) { .key = (k), .value = (v) }
#define ADD_IF_SET(k, s)                \
        do {                            \
                if ((s)[0])             \
                        ADD(k, (s));    \
        } while (0)

        snprintf(num->priority, sizeof(num->priority), "%i", prio);

        ADD("MESSAGE", message);
        ADD("MESSAGE_ID", audit_events[e].message_id);
        ADD("PRIORITY", num->priority);
        ADD("SYSLOG_IDENTIFIER", "jitd");
        ADD("JIT_EVENT", audit_events[e].name);
        ADD_IF_SET("JIT_REQUEST_ID", v->request_id);
        ADD_IF_SET("JIT_GRANT_ID", v->grant_id);
        ADD_IF_SET("JIT_USER", v->user);
        ADD_IF_SET("JIT_ACTION", v->action);
        ADD_IF_SET("JIT_SERVICE", v->service);
        ADD_IF_SET("JIT_RHOST", v->rhost);
        ADD_IF_SET("JIT_TTY", v->tty);
        ADD_IF_SET("JIT_APPROVER", v->approver);
        ADD_IF_SET("JIT_APPROVER_PERSON", v->approver_person);
        if (f->expires > 0) {
                snprintf(num->expires, sizeof(num->expires), "%" PRIi64, f->expires);
                ADD("JIT_EXPIRES", num->expires);
        }
        ADD_IF_SET("JIT_REASON", v->reason);
        ADD_IF_SET("JIT_SESSION", v->session);
        ADD_IF_SET("JIT_UNIT", v->unit);
        ADD_IF_SET("JIT_MATCH_CODE", v->match_code);
        ADD_IF_SET("JIT_ENDPOINT", v->endpoint);
        ADD_IF_SET("JIT_NOTIFICATION", v->notification);
        ADD_IF_SET("JIT_WEBHOOK_ID", v->webhook_id);
        if (f->attempts > 0) {
                snprintf(num->attempts, sizeof(num->attempts), "%u", f->attempts);
                ADD("JIT_ATTEMPTS", num->attempts);
        }
        if (f->http_status > 0) {
                snprintf(num->http_status, sizeof(num->http_status), "%ld", f->http_status);
                ADD("JIT_HTTP_STATUS", num->http_status);
        }
        if (f->approvals_needed > 0) {
                snprintf(num->approvals, sizeof(num->approvals), "%u", f->approvals);
                snprintf(num->approvals_needed, sizeof(num->approvals_needed), "%u", f->approvals_needed);
                ADD("JIT_APPROVALS", num->approvals);
                ADD("JIT_APPROVALS_NEEDED", num->approvals_needed);
        }
#undef ADD_IF_SET
#undef ADD
        return n;
}

/* The fields to journald as "KEY=value" strings, in one allocation; copied,
 * not sprintf()ed: this is most of an entry's cost otherwise. */
static void audit_write_journal(AuditEvent e, int prio, const Field *fields, size_t n, const char *message) {
        struct iovec iov[AUDIT_FIELDS_MAX];
        size_t key_len[AUDIT_FIELDS_MAX], value_len[AUDIT_FIELDS_MAX];
        _cleanup_free_ char *strings = NULL;
        size_t k = 0;
        char *p;
        int r;

        for (size_t i = 0; i < n; i++) {
                key_len[i] = strlen(fields[i].key);
                value_len[i] = strlen(fields[i].value);
                k += key_len[i] + 1 + value_len[i];
        }
        strings = malloc(k);
        if (!strings)
                return;

        p = strings;
        for (size_t i = 0; i < n; i++) {
                iov[i] = (struct iovec) { .iov_base = p, .iov_len = key_len[i] + 1 + value_len[i] };
                p = mempcpy(p, fields[i].key, key_len[i]);
                *p++ = '=';
                p = mempcpy(p, fields[i].value, value_len[i]);
        }

        /* Without journald (containers, tests) this fails: then the
         * human line goes to stderr, so the event is not lost. */
        r = sd_journal_sendv(iov, (int) n);
        if (r < 0)
                log_full_errno(prio, 0, "audit: %s (%s)", message, audit_events[e].name);
}

void audit_log(AuditEvent e, const AuditFields *f) {
        static const AuditFields empty = {};
        AuditValues v;
        Field fields[AUDIT_FIELDS_MAX];
        Line message = {};
        Numbers num;
        size_t n;
        int prio;

        if ((unsigned) e >= _AUDIT_EVENT_MAX)
                return;
        if (!f)
                f = &empty;
        prio = audit_events[e].priority;
        if (e == AUDIT_SESSION_TEARDOWN_FAILED && f->final)
                prio = LOG_CRIT;

        audit_values_fill(f, &v);
        audit_format_message(e, f, &v, &message);
        n = audit_collect_fields(e, prio, f, &v, message.buf, &num, fields);

        audit_write_journal(e, prio, fields, n, message.buf);
        if (audit_fd >= 0)
                audit_write_file(fields, n, jit_now_realtime());
}
