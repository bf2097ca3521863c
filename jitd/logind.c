/* The sessions of a grant, through logind (see logind.h).
 *
 * Ending: TerminateSession kills every process of the session's scope, the
 * sshd that holds the connection included, so pam_jit's close_session
 * usually never runs; jitd therefore marks the session closed itself once
 * logind confirms. A session logind no longer knows has ended already.
 * Whether every session of a grant was dealt with is reported back once
 * all calls have answered, so a failed call can be retried (teardown.c). 
 *
 * Warning: a terminal is written to only if its name is a pty or a virtual
 * console (/dev/pts/N, /dev/ttyX), it opens without following a link, is a
 * character device and a tty, and belongs to the session's user, so a stale
 * session record can never make jitd write to somebody else's terminal.
 * The write is one bounded, non-blocking write(): a terminal that does not
 * take it at once does not get it. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-id128.h>

#include "audit.h"
#include "bus-util.h"
#include "log.h"
#include "logind.h"
#include "macros.h"
#include "nss.h"
#include "text.h"

#define LOGIND_SERVICE "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define LOGIND_SESSION "org.freedesktop.login1.Session"
#define LOGIND_SESSION_PATH_PREFIX "/org/freedesktop/login1/session"
#define TTY_TEXT_MAX 512U
#define TTY_NAME_MAX 32U

/* The calls that end one grant's sessions, shared by them: when the last
 * one is gone, the caller hears whether every session was ended or proved
 * gone (0), or some call failed and the whole should be retried (<0). */
typedef struct TerminateBatch {
        Manager *m;
        unsigned n_ref;
        int result;
        char error[256]; /* what failed first, when result < 0 */
        bool error_is_no_answer; /* ... only that a call was dropped */
        LogindDone done;
        void *userdata;
} TerminateBatch;

static TerminateBatch *batch_ref(TerminateBatch *b) {
        if (b)
                b->n_ref++;
        return b;
}

static void batch_unref(TerminateBatch *b) {
        if (!b || --b->n_ref > 0)
                return;
        b->done(b->m, b->result, b->result < 0 && b->error[0] ? b->error : NULL, b->userdata);
        free(b);
}

/* The first failure is the one the audit entry names; except that a call
 * that fails at once is freed, and so recorded as unanswered, before its
 * caller can say why it failed. */
static void _printf_(3, 4) batch_fail(TerminateBatch *b, int error, const char *format, ...) {
        va_list ap;

        if (!b || (b->result < 0 && !b->error_is_no_answer))
                return;
        b->result = error < 0 ? error : -EIO;
        b->error_is_no_answer = false;
        va_start(ap, format);
        (void) vsnprintf(b->error, sizeof(b->error), format, ap);
        va_end(ap);
}

/* One session and what it is being done to, owned by its bus call. */
typedef struct SessionCall {
        Manager *m;
        TerminateBatch *batch; /* NULL when warning */
        /* Handed to a bus call, and its reply came: a call dropped without
         * a reply (the bus closed) did not end its session. */
        bool sent, answered;
        SessionRecord session;
        JitAction action;
        char request_id[JIT_ID_MAX];
        int64_t expires_at;
        char why[32];
        char text[TTY_TEXT_MAX];
        bool closing; /* logind's State: logged out, processes left */
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

/* A heap copy for a bus call to own; it holds a reference on the batch. */
static SessionCall *session_call_dup(const SessionCall *c) {
        SessionCall *d = malloc(sizeof(SessionCall));

        if (d) {
                memcpy(d, c, sizeof(SessionCall));
                d->sent = d->answered = false;
                batch_ref(d->batch);
        }
        return d;
}

/* The destroy callback of every bus call that owns a SessionCall. */
static void session_call_free(void *p) {
        SessionCall *c = p;

        if (!c)
                return;
        if (c->sent && !c->answered && c->batch && c->batch->result >= 0) {
                batch_fail(c->batch, -ECONNRESET, "no answer from logind about session %s",
                           c->session.session_id);
                c->batch->error_is_no_answer = true;
        }
        batch_unref(c->batch);
        free(c);
}

static void session_call_freep(SessionCall **c) {
        session_call_free(*c);
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

/* Grants an extension chain may go back; more is a tampered store. */
#define EXTENSION_CHAIN_MAX 64

static void session_closed_by_us(SessionCall *c) {
        int r;

        r = store_close_session(c->m->store, c->session.user, c->session.session_id, jit_now_realtime());
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Cannot record session %s as closed: %m", c->session.session_id);
}

/* How a logind error about one session is told, per call: TerminateSession
 * and the identity lookup (GetAll) word it differently. */
typedef struct SessionCallWords {
        bool unknown_object_is_gone; /* the object path too may be gone */
        bool close_if_closed;        /* record the close even if it was */
        const char *gone;            /* "Session X of U <gone>." */
        const char *log_doing;       /* "<doing> session X of U<after> (grant G why)<via>: error" */
        const char *log_after;
        const char *log_via;
        const char *batch_doing; /* "<doing> session X: error" */
} SessionCallWords;

static const SessionCallWords terminate_words = {
        .close_if_closed = true,
        .gone = "had ended already",
        .log_doing = "Failed to end",
        .log_after = "",
        .log_via = " through logind",
        .batch_doing = "logind did not end",
};

static const SessionCallWords identity_words = {
        .unknown_object_is_gone = true,
        .gone = "has ended already",
        .log_doing = "Cannot ask logind about",
        .log_after = ", so it is not ended",
        .log_via = "",
        .batch_doing = "cannot ask logind about",
};

/* logind's error about c's session, if any: 1 if the session is gone
 * (recorded as closed), -EIO if logind failed (logged, the batch fails), 0
 * if there was no error. */
static int session_reply_error(SessionCall *c, sd_bus_message *reply, const SessionCallWords *w) {
        const char *error = bus_reply_error_name(reply);

        if (!error)
                return 0;
        if (strcmp(error, "org.freedesktop.login1.NoSuchSession") == 0 ||
            (w->unknown_object_is_gone && strcmp(error, "org.freedesktop.DBus.Error.UnknownObject") == 0)) {
                log_debug("Session %s of %s %s.", c->session.session_id, c->session.user, w->gone);
                if (w->close_if_closed || c->session.closed_at == 0)
                        session_closed_by_us(c);
                return 1;
        }
        log_error("%s session %s of %s%s (grant %s %s)%s: %s", w->log_doing, c->session.session_id, c->session.user,
                  w->log_after, c->session.grant_id, c->why, w->log_via, bus_reply_error_message(reply));
        batch_fail(c->batch, -EIO, "%s session %s: %s", w->batch_doing, c->session.session_id,
                   bus_reply_error_message(reply));
        return -EIO;
}

static int on_session_terminated(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SessionCall *c = userdata;

        c->answered = true;
        if (session_reply_error(c, reply, &terminate_words) != 0)
                return 0;

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

/* Takes c (the bus call frees it, also when it fails).
 *
 * A session whose user logged out while processes stayed (closing) is
 * killed rather than terminated: logind's TerminateSession does nothing to
 * a session it is already stopping, and what is left in it may well ignore
 * SIGTERM. */
static void terminate_session(SessionCall *c) {
        /* Held across the call: a call that fails frees c at once. */
        TerminateBatch *batch = batch_ref(c->batch);
        char id[JIT_SESSION_MAX + 1];
        bool closing = c->closing;
        int r;

        snprintf(id, sizeof(id), "%s", c->session.session_id);
        log_info("Ending session %s of %s%s: grant %s %s.", id, c->session.user,
                 closing ? " (logged out, processes left)" : "", c->session.grant_id, c->why);
        c->sent = true;
        if (closing)
                r = bus_call_method_async(c->m->bus, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER, "KillSession",
                                          on_session_terminated, c, session_call_free, "ssi", id, "all",
                                          (int32_t) SIGKILL);
        else
                r = bus_call_method_async(c->m->bus, LOGIND_SERVICE, LOGIND_PATH, LOGIND_MANAGER,
                                          "TerminateSession", on_session_terminated, c, session_call_free, "s",
                                          id);
        if (r < 0) {
                log_error_errno(r, "Failed to ask logind to end session %s: %m", id);
                batch_fail(batch, r, "cannot ask logind to end session %s: %s", id, strerror(-r));
        }
        batch_unref(batch);
}

/* User (uid), TimestampMonotonic and whether State is "closing", from a
 * Properties.GetAll reply. */
static int read_session_identity(sd_bus_message *reply, uint32_t *ret_uid, uint64_t *ret_created,
                                 bool *ret_closing) {
        bool have_uid = false, have_created = false;
        const char *state;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name, *path;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "User") == 0) {
                        r = sd_bus_message_read(reply, "v", "(uo)", ret_uid, &path);
                        have_uid = r >= 0;
                } else if (strcmp(name, "TimestampMonotonic") == 0) {
                        r = sd_bus_message_read(reply, "v", "t", ret_created);
                        have_created = r >= 0;
                } else if (strcmp(name, "State") == 0) {
                        r = sd_bus_message_read(reply, "v", "s", &state);
                        if (r >= 0)
                                *ret_closing = strcmp(state, "closing") == 0;
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return have_uid && have_created ? 0 : -EBADMSG;
}

/* Whether logind's session by the recorded id is the recorded session. Ids
 * alone do not say: they start again after a reboot, and without audit
 * session ids ("c1", "c2") again after logind restarts. The record holds
 * the boot it was made in (checked before asking), the session's owner and
 * CLOCK_MONOTONIC when jitd recorded it. pam_jit records a session while
 * it exists, so the recorded session was created before that moment; and
 * no two live sessions share an id. A session of that id and owner that
 * logind says was created no later than the record, in this boot, was
 * therefore alive then and is the one recorded. */
static int on_session_identity(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SessionCall *c = userdata, *d;
        uint64_t created = 0;
        uint32_t uid = 0;
        int r;

        c->answered = true;
        if (session_reply_error(c, reply, &identity_words) != 0)
                return 0;
        r = read_session_identity(reply, &uid, &created, &c->closing);
        if (r < 0) {
                log_error_errno(r, "Cannot read what logind says of session %s, so it is not ended: %m",
                                c->session.session_id);
                batch_fail(c->batch, r, "cannot read what logind says of session %s: %s",
                           c->session.session_id, strerror(-r));
                return 0;
        }
        if (c->session.uid < 0 || (int64_t) uid != c->session.uid || created == 0 ||
            created > (uint64_t) c->session.opened_monotonic_usec) {
                log_notice("Session %s is not the one recorded for %s under grant %s (owner uid %u, created at "
                           "%" PRIu64 " us, recorded at %" PRIi64 " us); not ending it.",
                           c->session.session_id, c->session.user, c->session.grant_id, (unsigned) uid, created,
                           c->session.opened_monotonic_usec);
                if (c->session.closed_at == 0)
                        session_closed_by_us(c); /* ours is gone: another one has its id */
                return 0;
        }

        d = session_call_dup(c); /* c belongs to this call */
        if (d)
                terminate_session(d);
        else {
                log_error("Out of memory: cannot end session %s.", c->session.session_id);
                batch_fail(c->batch, -ENOMEM, "out of memory");
        }
        return 0;
}

/* Takes c. */
static void end_session(SessionCall *c, const char *boot_id) {
        _cleanup_(session_call_freep) SessionCall *owned = c;
        TerminateBatch *batch = c->batch; /* the caller holds a reference */
        _cleanup_free_ char *path = NULL;
        char id[JIT_SESSION_MAX + 1];
        int r;

        if (!c->session.boot_id[0]) {
                /* Recorded before jitd kept sessions' identity: an open one is
                 * ended as it always was; a closed one cannot be proved to be
                 * what logind now has under its id, so it is left alone. */
                if (c->session.closed_at == 0)
                        terminate_session(TAKE_PTR(owned));
                return;
        }
        if (!boot_id || strcmp(c->session.boot_id, boot_id) != 0) {
                log_debug("Session %s of %s was recorded in another boot; not ending it.", c->session.session_id,
                          c->session.user);
                if (c->session.closed_at == 0 && boot_id)
                        session_closed_by_us(c);
                return;
        }

        r = sd_bus_path_encode(LOGIND_SESSION_PATH_PREFIX, c->session.session_id, &path);
        if (r < 0) {
                log_error_errno(r, "Cannot name session %s on the bus: %m", c->session.session_id);
                batch_fail(batch, r, "cannot name session %s on the bus: %s", c->session.session_id,
                           strerror(-r));
                return;
        }
        snprintf(id, sizeof(id), "%s", c->session.session_id);
        c->sent = true;
        r = bus_call_method_async(c->m->bus, LOGIND_SERVICE, path, "org.freedesktop.DBus.Properties", "GetAll",
                                  on_session_identity, TAKE_PTR(owned), session_call_free, "s", LOGIND_SESSION);
        if (r < 0) {
                log_error_errno(r, "Failed to ask logind about session %s: %m", id);
                batch_fail(batch, r, "cannot ask logind about session %s: %s", id, strerror(-r));
        }
}

/* Every session recorded under `g` (closed ones too: with KillUserProcesses=no
 * a session's processes outlive the logout), and the closed ones of the
 * grants it extended (their open ones moved to `g`). */
static int grant_sessions(Manager *m, const GrantRecord *g, SessionList *ret) {
        char id[JIT_ID_MAX];
        int r;

        *ret = (SessionList) {};
        snprintf(id, sizeof(id), "%s", g->id);
        for (unsigned hops = 0; id[0] && hops < EXTENSION_CHAIN_MAX; hops++) {
                GrantRecord prev;

                r = store_list_sessions(m->store, id, false, collect_session, ret);
                if (r < 0)
                        goto fail;
                r = store_get_grant(m->store, id, &prev);
                if (r < 0)
                        goto fail;
                snprintf(id, sizeof(id), "%s", prev.extends_grant_id);
        }
        return 0;
fail:
        free(ret->items);
        *ret = (SessionList) {};
        return log_error_errno(r, "Cannot list the sessions of grant %s: %m", g->id);
}

void logind_terminate_sessions(Manager *m, const GrantRecord *g, const char *why, LogindDone done,
                               void *userdata) {
        char boot_id[SD_ID128_STRING_MAX];
        TerminateBatch *batch;
        sd_id128_t boot;
        SessionList l;
        size_t n_live = 0;
        int r;

        r = grant_sessions(m, g, &l);
        if (r < 0) {
                done(m, r, NULL, userdata);
                return;
        }
        for (size_t i = 0; i < l.n; i++)
                if (l.items[i].closed_at == 0)
                        n_live++;
        if (l.n == 0) {
                free(l.items);
                done(m, 0, NULL, userdata);
                return;
        }

        /* Nothing to retry: without a bus there is no logind to ask. */
        if (!m->bus) {
                if (!m->logind_missing_logged)
                        log_warning("No system bus: sessions of ended grants cannot be ended through logind.");
                m->logind_missing_logged = true;
                log_warning("Grant %s of %s %s; its %zu open session(s) stay open.", g->id, g->user, why, n_live);
                free(l.items);
                done(m, 0, NULL, userdata);
                return;
        }

        batch = malloc(sizeof(TerminateBatch));
        if (!batch) {
                free(l.items);
                done(m, -ENOMEM, "out of memory", userdata);
                return;
        }
        /* Our own reference: the batch ends when this loop is over and
         * every call has answered, not when the first call fails at once. */
        *batch = (TerminateBatch) { .m = m, .n_ref = 1, .done = done, .userdata = userdata };

        if (sd_id128_get_boot(&boot) < 0) {
                log_warning("Cannot tell this boot's id: only sessions recorded without one are ended.");
                boot_id[0] = '\0';
        } else
                sd_id128_to_string(boot, boot_id);

        for (size_t i = 0; i < l.n; i++) {
                SessionCall call, *c;

                session_call_init(&call, m, &l.items[i], g);
                call.batch = batch;
                snprintf(call.why, sizeof(call.why), "%s", why);
                c = session_call_dup(&call);
                if (!c) {
                        log_error("Out of memory: cannot end session %s.", l.items[i].session_id);
                        batch_fail(batch, -ENOMEM, "out of memory");
                        continue;
                }
                end_session(c, boot_id[0] ? boot_id : NULL);
        }
        free(l.items);
        batch_unref(batch);
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
        _cleanup_(nss_user_done) NssUser pw = {};
        char path[TTY_NAME_MAX];
        int r;

        r = tty_path_from_name(tty, path, sizeof(path));
        if (r < 0) {
                log_debug("Session %s of %s has no terminal to warn (%s).", c->session.session_id, c->session.user,
                          tty && *tty ? "not a pty or console" : "none");
                return;
        }
        if (nss_user_by_name(c->session.user, &pw) < 0) {
                log_debug("Cannot resolve user %s; not warning %s.", c->session.user, path);
                return;
        }

        r = tty_write_text(path, pw.uid, c->text);
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
        char boot_id[SD_ID128_STRING_MAX] = "";
        sd_id128_t boot;
        SessionList l;
        int r;

        if (open_sessions(m, g, &l) < 0)
                return;
        if (sd_id128_get_boot(&boot) >= 0)
                sd_id128_to_string(boot, boot_id);

        for (size_t i = 0; i < l.n; i++) {
                _cleanup_free_ char *path = NULL;
                SessionCall call, *c;

                /* A row left open in an earlier boot: its terminal is somebody
                 * else's now, or nobody's. */
                if (l.items[i].boot_id[0] && strcmp(l.items[i].boot_id, boot_id) != 0)
                        continue;
                session_call_init(&call, m, &l.items[i], g);
                if (expiry_warning_text(g, jit_now_realtime(), call.text, sizeof(call.text)) < 0)
                        continue;

                if (m->bus && sd_bus_path_encode(LOGIND_SESSION_PATH_PREFIX, call.session.session_id, &path) >= 0 &&
                    (c = session_call_dup(&call))) {
                        r = bus_call_method_async(m->bus, LOGIND_SERVICE, path, "org.freedesktop.DBus.Properties",
                                                  "Get", on_session_tty, c, session_call_free, "ss", LOGIND_SESSION,
                                                  "TTY");
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
