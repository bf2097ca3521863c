/* The daemon's one context object: configuration, store, event loop, socket
 * server and expiry timer. Everything in jitd runs on this one sd-event loop
 * in one thread, so a handler may use any of it without locking. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "store.h"

typedef struct Server Server;
typedef struct Outbox Outbox;
typedef struct ReviewServer ReviewServer;
typedef struct RequestLimiter RequestLimiter;
typedef struct Retention Retention;
typedef struct Waiter Waiter;

/* Who carries out a grant's expiry (systemd-timers.h). */
typedef enum TimerBackend {
        TIMER_BACKEND_PROBING, /* asking the bus whether systemd is there */
        TIMER_BACKEND_SYSTEMD, /* transient jit-expire-<grant>.timer units */
        TIMER_BACKEND_OWN,     /* jitd's own sd-event timer */
} TimerBackend;

typedef struct Manager {
        Config config;
        sd_event *event;
        Store *store;
        Server *server;
        Waiter *waiters; /* blocked in WaitDecision (waiters.h) */
        sd_event_source *expiry_source;

        /* Grant lifecycle (expiry.c, systemd-timers.c, logind.c). The system
         * bus is NULL where there is none; everything on it is asynchronous. */
        sd_bus *bus;
        TimerBackend timer_backend;
        bool timer_unit_failed;  /* a transient timer could not be made: expire on our own too */
        char *socket_path;       /* the socket we serve, for the timers' "jitctl expire" */
        char *jitctl_path;       /* what the timers run: [jitd] jitctl, or found next to jitd */
        int64_t warned_until;    /* expiry warnings are done for deadlines up to this + warn_before */
        bool logind_missing_logged;
        sd_event_source *teardown_source; /* retries of grant teardowns (teardown.c) */
        int64_t teardown_backoff_until;   /* the store failed: no teardown pass before this */
        int64_t expiry_backoff_until;     /* the store failed: no expiry pass before this */

        /* Not NULL while jitd runs without the admin's configuration (it
         * did not load at start, or its webhooks could not be set up):
         * why, for the log and the unit status. The policy in `config` is
         * then the last one that loaded (or a fail-closed one): it tells
         * users who need no approval from those who do, and those get
         * io.jit.ConfigUnavailable. */
        char *config_problem;
        /* SIGHUP found a configuration that loads: leave the loop and
         * re-execute jitd on the same socket (main.c). */
        bool reexec;

        /* Approver notification: the webhook outbox (outbox.c) and the review
         * server (review-server.c); NULL when no [webhook] is configured. */
        Outbox *outbox;
        ReviewServer *review_server;

        /* Refused requests being counted for their audit entries
         * (request-limit.c); NULL until the first refusal. */
        RequestLimiter *limiter;
        /* Pruning of ended rows past [jitd] retention (retention.c). */
        Retention *retention;
} Manager;

/* sd-event priorities. Root's connections (sshd, sudo asking Check) come
 * first, so a flood from an unprivileged user cannot delay a login decision.
 * Accepting shares their priority: every PAM decision is a new connection,
 * and sd-event runs sources of equal priority in the order they became
 * ready, so busy root connections and new ones take turns. (Above them,
 * accept would never be reached while root's connections had calls queued.)
 * Both come before serving unprivileged connections, so root can always get
 * in. */
#define JITD_PRIORITY_SIGNAL (SD_EVENT_PRIORITY_IMPORTANT - 100)
#define JITD_PRIORITY_ROOT SD_EVENT_PRIORITY_IMPORTANT
#define JITD_PRIORITY_ACCEPT JITD_PRIORITY_ROOT
#define JITD_PRIORITY_EXPIRY (SD_EVENT_PRIORITY_IMPORTANT + 10)
#define JITD_PRIORITY_USER SD_EVENT_PRIORITY_NORMAL
/* Webhook deliveries and their timers: after every connection. The review
 * server's connections run at JITD_PRIORITY_USER. */
#define JITD_PRIORITY_NOTIFY (SD_EVENT_PRIORITY_NORMAL + 10)
