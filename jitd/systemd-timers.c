/* Expiry timers in systemd (see systemd-timers.h). Each live grant gets a
 * transient jit-expire-<grant>.timer with OnCalendar= at its absolute
 * deadline in UTC and AccuracySec=1s, and an aux jit-expire-<grant>.service
 * (Type=oneshot) that runs "jitctl expire <grant>": the expiry's actions
 * (audit, ending sessions, dropping sudo's timestamp) then run in jitd when
 * systemd says the time has come, and admins see every pending expiry in
 * "systemctl list-timers 'jit-*'".
 *
 * Transient units live in PID 1, not in jitd: they survive a jitd restart
 * (creating one that exists is fine) but not a reboot, so they are
 * re-created from the store whenever jitd finds systemd on the bus.
 *
 * Whether systemd is there is found out asynchronously (NameHasOwner on the
 * bus, never a blocking call). Without a bus, without systemd, or after
 * losing the bus, jitd's own CLOCK_REALTIME timer carries out expiry, and
 * the log says so once. */

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus-util.h"
#include "expiry.h"
#include "log.h"
#include "macros.h"
#include "systemd-timers.h"
#include "text.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define UNIT_PREFIX "jit-expire-"
#define UNIT_NAME_MAX 64
/* The oneshot service waits this long for jitd at most. */
#define EXPIRE_TIMEOUT_MSEC "30000"
#define EXPIRE_SERVICE_TIMEOUT_USEC (60ULL * USEC_PER_SEC)

int systemd_timer_unit_name(const char *grant_id, const char *suffix, char *buf, size_t size) {
        int n;

        /* Grant ids are "g" + base32: valid in a unit name as they are. */
        if (!jit_id_is_valid(grant_id, 'g'))
                return -EINVAL;
        n = snprintf(buf, size, UNIT_PREFIX "%s%s", grant_id, suffix);
        return n > 0 && (size_t) n < size ? 0 : -ENAMETOOLONG;
}

int systemd_calendar_spec(int64_t t, char *buf, size_t size) {
        time_t tt = (time_t) t;
        struct tm tm;

        /* UTC, explicitly: the timer must not move with the host's zone. */
        if ((int64_t) tt != t || !gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                return -ERANGE;
        return 0;
}

bool systemd_timers_active(const Manager *m) {
        return m->timer_backend == TIMER_BACKEND_SYSTEMD && !m->timer_unit_failed;
}

static void use_own_timer(Manager *m) {
        if (m->timer_backend == TIMER_BACKEND_OWN)
                return;
        m->timer_backend = TIMER_BACKEND_OWN;
        /* Expiry is now due at the deadline itself, not after a grace. */
        expiry_rearm(m);
}

/* ---- creating a grant's timer ---- */

typedef struct TimerCall {
        Manager *m;
        char grant_id[JIT_ID_MAX];
        char unit[UNIT_NAME_MAX];
} TimerCall;

static TimerCall *timer_call_new(Manager *m, const char *grant_id, const char *unit) {
        TimerCall *c = calloc(1, sizeof(TimerCall));

        if (!c)
                return NULL;
        c->m = m;
        snprintf(c->grant_id, sizeof(c->grant_id), "%s", grant_id);
        snprintf(c->unit, sizeof(c->unit), "%s", unit);
        return c;
}

static int on_timer_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        TimerCall *c = userdata;
        const char *error = bus_reply_error_name(reply);

        if (!error) {
                log_debug("Created %s.", c->unit);
                return 0;
        }
        /* Left from before a jitd restart: the same grant, the same deadline. */
        if (strcmp(error, "org.freedesktop.systemd1.UnitExists") == 0) {
                log_debug("%s exists already.", c->unit);
                return 0;
        }

        log_warning("Failed to create %s for grant %s: %s. jitd expires grants on its own timer as well.",
                    c->unit, c->grant_id, bus_reply_error_message(reply));
        if (!c->m->timer_unit_failed) {
                c->m->timer_unit_failed = true;
                expiry_rearm(c->m);
        }
        return 0;
}

static int append_exec_start(sd_bus_message *msg, const Manager *m, const char *grant_id) {
        const char *jitctl = m->jitctl_path;
        int r;

        /* ExecStart: a(sasb) = [(path, argv, ignore-failure)]. The socket is
         * named whenever we know it, so a jitd on another socket is found. */
        r = sd_bus_message_open_container(msg, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", "ExecStart");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'v', "a(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sasb)");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'r', "sasb");
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", jitctl);
        if (r >= 0) {
                if (m->socket_path)
                        r = sd_bus_message_append(msg, "as", 7, jitctl, "--socket", m->socket_path, "--timeout",
                                                  EXPIRE_TIMEOUT_MSEC, "expire", grant_id);
                else
                        r = sd_bus_message_append(msg, "as", 5, jitctl, "--timeout", EXPIRE_TIMEOUT_MSEC, "expire",
                                                  grant_id);
        }
        if (r >= 0)
                r = sd_bus_message_append(msg, "b", 0);
        for (int i = 0; r >= 0 && i < 4; i++)
                r = sd_bus_message_close_container(msg);
        return r;
}

static int build_start_transient_unit(Manager *m, const GrantRecord *g, const char *timer, const char *service,
                                      sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        char spec[64], timer_description[256], service_description[256];
        const char *action = jit_action_to_string(g->action);
        int r;

        r = systemd_calendar_spec(g->expires_at, spec, sizeof(spec));
        if (r < 0)
                return r;
        /* The user name is validated and the id is base32: nothing here can
         * confuse a unit file or a terminal. */
        snprintf(timer_description, sizeof(timer_description), "JIT: %s's %s grant %s ends %s", g->user, action,
                 g->id, spec);
        snprintf(service_description, sizeof(service_description), "JIT: expire %s's %s grant %s", g->user, action,
                 g->id);

        r = sd_bus_message_new_method_call(m->bus, &msg, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_set_auto_start(msg, false);
        if (r >= 0)
                r = sd_bus_message_append(msg, "ss", timer, "fail");
        if (r < 0)
                return r;

        /* The timer. A realtime deadline, in UTC, exact to the second, and
         * gone once it has fired. */
        r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Description", "s", timer_description);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "TimersCalendar", "a(ss)", 1, "OnCalendar", spec);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "AccuracyUSec", "t", USEC_PER_SEC);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "RemainAfterElapse", "b", 0);
        if (r >= 0)
                r = sd_bus_message_close_container(msg);
        if (r < 0)
                return r;

        /* The service it starts. A failed run (jitd was down) is collected
         * rather than left behind: jitd expires what is overdue when it
         * starts, and the journal keeps the failure. */
        r = sd_bus_message_open_container(msg, 'a', "(sa(sv))");
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'r', "sa(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", service);
        if (r >= 0)
                r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Description", "s", service_description);
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "Type", "s", "oneshot");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "CollectMode", "s", "inactive-or-failed");
        if (r >= 0)
                r = sd_bus_message_append(msg, "(sv)", "TimeoutStartUSec", "t", EXPIRE_SERVICE_TIMEOUT_USEC);
        if (r >= 0)
                r = append_exec_start(msg, m, g->id);
        for (int i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(msg);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(msg);
        return 0;
}

void systemd_timers_add(Manager *m, const GrantRecord *g) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        char timer[UNIT_NAME_MAX], service[UNIT_NAME_MAX];
        TimerCall *c;
        int r;

        /* While probing, the answer re-creates all live grants' timers. */
        if (m->timer_backend != TIMER_BACKEND_SYSTEMD || !m->bus || !m->jitctl_path || g->state != GRANT_ACTIVE)
                return;

        r = systemd_timer_unit_name(g->id, ".timer", timer, sizeof(timer));
        if (r >= 0)
                r = systemd_timer_unit_name(g->id, ".service", service, sizeof(service));
        if (r >= 0)
                r = build_start_transient_unit(m, g, timer, service, &msg);
        if (r < 0) {
                log_warning_errno(r, "Cannot describe the expiry timer of grant %s: %m", g->id);
                goto fail;
        }

        c = timer_call_new(m, g->id, timer);
        if (!c) {
                r = -ENOMEM;
                goto fail;
        }
        r = bus_call_async(m->bus, msg, on_timer_started, c, free);
        if (r < 0) {
                log_warning_errno(r, "Failed to ask systemd for %s: %m", timer);
                goto fail;
        }
        return;

fail:
        if (!m->timer_unit_failed) {
                m->timer_unit_failed = true;
                expiry_rearm(m);
        }
}

/* ---- removing it ---- */

static int on_timer_stopped(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        TimerCall *c = userdata;
        const char *error = bus_reply_error_name(reply);

        /* NoSuchUnit: it fired already, or never existed (jitd's own timer
         * at work, or created while probing). Either way nothing is left.
         * Asked while probing a bus without systemd: there never was one. */
        if (!error || strcmp(error, "org.freedesktop.systemd1.NoSuchUnit") == 0 ||
            c->m->timer_backend != TIMER_BACKEND_SYSTEMD)
                log_debug("Removed %s.", c->unit);
        else
                /* It will fire and find the grant ended: "jitctl expire" then
                 * does nothing. Untidy, not unsafe. */
                log_warning("Failed to remove %s: %s", c->unit, bus_reply_error_message(reply));
        return 0;
}

void systemd_timers_remove(Manager *m, const GrantRecord *g) {
        char timer[UNIT_NAME_MAX];
        TimerCall *c;
        int r;

        /* While probing too: a revoke in the first milliseconds must not
         * leave a timer of the previous jitd behind. */
        if (m->timer_backend == TIMER_BACKEND_OWN || !m->bus)
                return;
        if (systemd_timer_unit_name(g->id, ".timer", timer, sizeof(timer)) < 0)
                return;

        c = timer_call_new(m, g->id, timer);
        if (!c) {
                log_error("Out of memory: cannot remove %s.", timer);
                return;
        }
        /* Only the timer: its service may not exist, or may be the very
         * "jitctl expire" that is ending this grant right now. */
        r = bus_call_method_async(m->bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit",
                                  on_timer_stopped, c, free, "ss", timer, "replace");
        if (r < 0)
                log_warning_errno(r, "Failed to ask systemd to remove %s: %m", timer);
}

/* ---- is systemd there? ---- */

static int add_timer_cb(const GrantRecord *g, void *userdata) {
        systemd_timers_add(userdata, g);
        return 0;
}

/* Transient units do not survive a reboot, and jitd may have been down
 * when a grant was made: every live grant gets its timer (again). */
static void recreate_timers(Manager *m) {
        int r;

        r = store_list_grants(m->store, NULL, true, jit_now_realtime(), 0, add_timer_cb, m);
        if (r < 0)
                log_warning_errno(r, "Cannot list live grants to re-create their expiry timers: %m");
        else if (r > 0)
                log_info("Re-creating the expiry timers of %i live grant(s).", r);
}

/* The timers' service runs jitctl; a timer whose jitctl cannot be executed
 * only fails at the deadline. So check now: the configured path, else the
 * jitctl installed beside this jitd (<prefix>/sbin/jitd, <prefix>/bin/jitctl),
 * which covers a build installed under another prefix. */
static int find_jitctl(Manager *m) {
        char exe[PATH_MAX], *prefix, candidate[PATH_MAX + 16];
        ssize_t n;

        if (access(m->config.jitctl_path, X_OK) >= 0) {
                m->jitctl_path = strdup(m->config.jitctl_path);
                return m->jitctl_path ? 0 : -ENOMEM;
        }

        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = 0;
                prefix = dirname(dirname(exe));
                snprintf(candidate, sizeof(candidate), "%s/bin/jitctl", strcmp(prefix, "/") == 0 ? "" : prefix);
                if (access(candidate, X_OK) >= 0) {
                        log_notice("%s is not executable; the expiry timers run %s, found beside jitd.",
                                   m->config.jitctl_path, candidate);
                        m->jitctl_path = strdup(candidate);
                        return m->jitctl_path ? 0 : -ENOMEM;
                }
        }
        return -ENOENT;
}

static int on_systemd_probed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        int has = 0, r;

        if (m->timer_backend != TIMER_BACKEND_PROBING)
                return 0;

        if (bus_reply_error_name(reply)) {
                log_info("Cannot ask the system bus for systemd (%s): grant expiry runs on jitd's own timer.",
                         bus_reply_error_message(reply));
                use_own_timer(m);
                return 0;
        }
        r = sd_bus_message_read(reply, "b", &has);
        if (r < 0 || !has) {
                log_info("No systemd manager on the system bus: grant expiry runs on jitd's own timer.");
                use_own_timer(m);
                return 0;
        }

        if (find_jitctl(m) < 0) {
                log_warning("%s is not executable, so systemd timers could not run it: grant expiry runs on "
                            "jitd's own timer. Set [jitd] jitctl= in jitd.conf.",
                            m->config.jitctl_path);
                use_own_timer(m);
                return 0;
        }

        m->timer_backend = TIMER_BACKEND_SYSTEMD;
        log_info("Grant expiry runs from transient systemd timers (systemctl list-timers 'jit-*').");
        recreate_timers(m);
        expiry_rearm(m);
        return 0;
}

static int on_bus_message(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;

        if (!sd_bus_message_is_signal(msg, "org.freedesktop.DBus.Local", "Disconnected"))
                return 0;
        if (m->timer_backend != TIMER_BACKEND_OWN)
                log_warning("Lost the system bus: grant expiry runs on jitd's own timer from now on; "
                            "sessions of ended grants cannot be ended through logind.");
        use_own_timer(m);
        return 0;
}

int systemd_timers_start(Manager *m) {
        int r;

        if (!m->bus) {
                m->timer_backend = TIMER_BACKEND_OWN;
                log_info("No system bus: grant expiry runs on jitd's own timer.");
                return 0;
        }

        m->timer_backend = TIMER_BACKEND_PROBING;
        r = sd_bus_add_filter(m->bus, NULL, on_bus_message, m);
        if (r < 0)
                log_warning_errno(r, "Cannot watch the system bus connection: %m");

        /* NameHasOwner does not start anything (no bus activation): it only
         * says whether systemd is PID 1 on this bus. */
        r = bus_call_method_async(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                  "NameHasOwner", on_systemd_probed, m, NULL, "s", SYSTEMD_SERVICE);
        if (r < 0) {
                log_full_errno(LOG_INFO, r,
                               "Cannot ask the system bus for systemd (%m): grant expiry runs on jitd's own timer.");
                use_own_timer(m);
        }
        return 0;
}
