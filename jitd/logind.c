/* The sessions of a grant, through logind (see logind.h).
 *
 * Ending: TerminateSession kills every process of the session's scope, the
 * sshd that holds the connection included, so pam_jit's close_session
 * usually never runs; jitd therefore marks the session closed itself once
 * logind confirms. A session logind no longer knows has ended already.
 *
 * Warning: a terminal is written to only if its name is a pty or a virtual
 * console (/dev/pts/N, /dev/ttyX), it opens without following a link, is a
 * character device and a tty, and belongs to the session's user, so a stale
 * session record can never make jitd write to somebody else's terminal.
 * The write is one bounded, non-blocking write(): a terminal that does not
 * take it at once does not get it. */

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "bus-util.h"
#include "log.h"
#include "logind.h"
#include "text.h"

#define LOGIND_SERVICE "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define LOGIND_SESSION "org.freedesktop.login1.Session"
#define LOGIND_SESSION_PATH_PREFIX "/org/freedesktop/login1/session"
#define TTY_TEXT_MAX 512U
#define TTY_NAME_MAX 32U

/* One session and what it is being done to, owned by its bus call. */
typedef struct SessionCall {
        Manager *m;
        SessionRecord session;
        JitAction action;
        char request_id[JIT_ID_MAX];
        int64_t expires_at;
        char why[32];
        char text[TTY_TEXT_MAX];
} SessionCall;

static void session_call_init(SessionCall *c, Manager *m, const SessionRecord *s, const GrantRecord *g) {
        *c = (SessionCall) {
                .m = m,
                .session = *s,
                .action = g->action,
                .expires_at = g->expires_at,
        };
        snprintf(c->request_id, sizeof(c->request_id), "%s", g->request_id);
}

/* A heap copy for a bus call to own. */
static SessionCall *session_call_dup(const SessionCall *c) {
        SessionCall *d = malloc(sizeof(SessionCall));

        if (d)
                memcpy(d, c, sizeof(SessionCall));
        return d;
}

typedef struct SessionList {
        SessionRecord *items;
        size_t n;
} SessionList;

static int collect_session(const SessionRecord *s, void *userdata) {
        SessionList *l = userdata;
        SessionRecord *p;

        p = reallocarray(l->items, l->n + 1, sizeof(SessionRecord));
        if (!p)
                return -ENOMEM;
        l->items = p;
        l->items[l->n++] = *s;
        return 0;
}

static int open_sessions(Manager *m, const GrantRecord *g, SessionList *ret) {
        int r;

        *ret = (SessionList) {};
        r = store_list_sessions(m->store, g->id, true, collect_session, ret);
        if (r < 0) {
                free(ret->items);
                *ret = (SessionList) {};
                return log_error_errno(r, "Cannot list the sessions of grant %s: %m", g->id);
        }
        return 0;
}

/* ---- ending sessions ---- */

static void session_closed_by_us(SessionCall *c) {
        int r;

        r = store_close_session(c->m->store, c->session.user, c->session.session_id, jit_now_realtime());
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot record session %s as closed: %m", c->session.session_id);
}

static int on_session_terminated(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SessionCall *c = userdata;
        const char *error = bus_reply_error_name(reply);

        if (error && strcmp(error, "org.freedesktop.login1.NoSuchSession") == 0) {
                log_debug("Session %s of %s had ended already.", c->session.session_id, c->session.user);
                session_closed_by_us(c);
                return 0;
        }
        if (error) {
                log_error("Failed to end session %s of %s (grant %s %s) through logind: %s",
                          c->session.session_id, c->session.user, c->session.grant_id, c->why,
                          bus_reply_error_message(reply));
                return 0;
        }

        session_closed_by_us(c);
        audit_log(AUDIT_SESSION_TERMINATED,
                  &(AuditFields) {
                          .session = c->session.session_id,
                          .grant_id = c->session.grant_id,
                          .request_id = c->request_id,
                          .user = c->session.user,
                          .action = jit_action_to_string(c->action),
                          .service = c->session.service,
                          .tty = c->session.tty,
                          .rhost = c->session.rhost,
                          .reason = c->why,
                          .expires = c->expires_at,
                  });
        return 0;
}

void logind_terminate_sessions(Manager *m, const GrantRecord *g, const char *why) {
        SessionList l;
        int r;

        if (open_sessions(m, g, &l) < 0 || l.n == 0) {
                free(l.items);
                return;
        }

        if (!m->bus) {
                if (!m->logind_missing_logged)
                        log_warning("No system bus: sessions of ended grants cannot be ended through logind.");
                m->logind_missing_logged = true;
                log_warning("Grant %s of %s %s; its %zu open session(s) stay open.", g->id, g->user, why, l.n);
                free(l.items);
                return;
        }

        for (size_t i = 0; i < l.n; i++) {
                SessionCall call, *c;

                session_call_init(&call, m, &l.items[i], g);
                snprintf(call.why, sizeof(call.why), "%s", why);
                c = session_call_dup(&call);
                if (!c) {
                        log_error("Out of memory: cannot end session %s.", l.items[i].session_id);
                        continue;
                }
                log_info("Ending session %s of %s: grant %s %s.", c->session.session_id, c->session.user, g->id,
                         why);
                r = bus_call_method_async(m->bus, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "TerminateSession",
                                          on_session_terminated, c, free, "s", l.items[i].session_id);
                if (r < 0)
                        log_error_errno(r, "Failed to ask logind to end session %s: %m", l.items[i].session_id);
        }
        free(l.items);
}

/* ---- warning terminals ---- */

static bool all_digits(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

static bool all_alnum(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
                        return false;
        return true;
}

int tty_path_from_name(const char *tty, char *buf, size_t size) {
        const char *name;
        int n;

        if (!tty)
                return -EINVAL;
        name = strncmp(tty, "/dev/", 5) == 0 ? tty + 5 : tty;
        if (!((strncmp(name, "pts/", 4) == 0 && all_digits(name + 4, 9)) ||
              (strncmp(name, "tty", 3) == 0 && all_alnum(name + 3, 16))))
                return -EINVAL;
        n = snprintf(buf, size, "/dev/%s", name);
        return n > 0 && (size_t) n < size ? 0 : -ENAMETOOLONG;
}

int tty_write_text(const char *path, uid_t owner, const char *text) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len = strlen(text);
        ssize_t k;

        if (len == 0 || len > TTY_TEXT_MAX)
                return -EINVAL;

        /* O_NOCTTY: never become this terminal's controlling process;
         * O_NONBLOCK: a stopped or full terminal does not stop jitd. */
        fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode) || !isatty(fd))
                return -ENOTTY;
        if (st.st_uid != owner)
                return -EPERM;

        k = write(fd, text, len);
        if (k < 0)
                return -errno;
        return (size_t) k == len ? 0 : -EAGAIN;
}

int expiry_warning_text(const GrantRecord *g, int64_t now, char *buf, size_t size) {
        time_t deadline = (time_t) g->expires_at, today = (time_t) now;
        struct tm tm, tm_now;
        char when[32];
        const char *action = jit_action_to_string(g->action);
        int n;

        if (!gmtime_r(&deadline, &tm) || !gmtime_r(&today, &tm_now))
                return -ERANGE;
        strftime(when, sizeof(when),
                 tm.tm_year == tm_now.tm_year && tm.tm_yday == tm_now.tm_yday ? "%H:%M UTC" : "%Y-%m-%d %H:%M UTC",
                 &tm);

        /* \r\n on both sides: the user may be half-way through a line, and
         * the terminal may be in raw mode (an editor). */
        n = snprintf(buf, size,
                     "\r\npam_jit: your access (%s grant %s) ends at %s; run `jitctl extend --action %s` to ask "
                     "for more time.\r\n",
                     action, g->id, when, action);
        return n > 0 && (size_t) n < size ? 0 : -ENAMETOOLONG;
}

static void warn_terminal(SessionCall *c, const char *tty) {
        char path[TTY_NAME_MAX];
        struct passwd pw, *result = NULL;
        char buf[16384];
        int r;

        r = tty_path_from_name(tty, path, sizeof(path));
        if (r < 0) {
                log_debug("Session %s of %s has no terminal to warn (%s).", c->session.session_id, c->session.user,
                          tty && *tty ? "not a pty or console" : "none");
                return;
        }
        if (getpwnam_r(c->session.user, &pw, buf, sizeof(buf), &result) != 0 || !result) {
                log_debug("Cannot resolve user %s; not warning %s.", c->session.user, path);
                return;
        }

        r = tty_write_text(path, pw.pw_uid, c->text);
        if (r < 0) {
                log_full_errno(r == -EAGAIN ? LOG_DEBUG : LOG_INFO, r,
                               "Cannot warn session %s of %s on %s: %m", c->session.session_id, c->session.user,
                               path);
                return;
        }

        audit_log(AUDIT_GRANT_EXPIRY_WARNING,
                  &(AuditFields) {
                          .session = c->session.session_id,
                          .grant_id = c->session.grant_id,
                          .request_id = c->request_id,
                          .user = c->session.user,
                          .action = jit_action_to_string(c->action),
                          .tty = path,
                          .expires = c->expires_at,
                  });
}

static int on_session_tty(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SessionCall *c = userdata;
        const char *tty = NULL;

        /* Logind's TTY is the one the session got; pam_jit recorded PAM_TTY,
         * which for sshd may still say "ssh". Prefer logind, fall back. */
        if (!bus_reply_error_name(reply) && sd_bus_message_read(reply, "v", "s", &tty) >= 0 && tty && *tty)
                warn_terminal(c, tty);
        else
                warn_terminal(c, c->session.tty);
        return 0;
}

void logind_warn_sessions(Manager *m, const GrantRecord *g) {
        SessionList l;
        int r;

        if (open_sessions(m, g, &l) < 0)
                return;

        for (size_t i = 0; i < l.n; i++) {
                _cleanup_free_ char *path = NULL;
                SessionCall call, *c;

                session_call_init(&call, m, &l.items[i], g);
                if (expiry_warning_text(g, jit_now_realtime(), call.text, sizeof(call.text)) < 0)
                        continue;

                if (m->bus && sd_bus_path_encode(LOGIND_SESSION_PATH_PREFIX, call.session.session_id, &path) >= 0 &&
                    (c = session_call_dup(&call))) {
                        r = bus_call_method_async(m->bus, LOGIND_SERVICE, path, "org.freedesktop.DBus.Properties",
                                                  "Get", on_session_tty, c, free, "ss", LOGIND_SESSION, "TTY");
                        if (r >= 0)
                                continue;
                        log_debug_errno(r, "Cannot ask logind for the TTY of session %s: %m",
                                        call.session.session_id);
                }
                /* No logind to ask: what pam_jit recorded. */
                warn_terminal(&call, call.session.tty);
        }
        free(l.items);
}
