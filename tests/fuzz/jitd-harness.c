/* See jitd-harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "config-approvers.h"
#include "expiry.h"
#include "fuzz.h"
#include "jitd-harness.h"
#include "log.h"
#include "outbox.h"
#include "server.h"
#include "store.h"
#include "systemd-timers.h"
#include "teardown.h"

/* The audit trail (audit.c) promises every field is sanitised: checked
 * here for every entry, instead of flooding the host's journal. (What
 * sd_journal_sendv() expands to in audit.c.) */
int sd_journal_sendv_with_location(const char *file, const char *line, const char *func, const struct iovec *iov,
                                   int n);
int sd_journal_sendv_with_location(const char *file, const char *line, const char *func, const struct iovec *iov,
                                   int n) {
        for (int i = 0; i < n; i++) {
                const char *s = iov[i].iov_base, *eq = memchr(s, '=', iov[i].iov_len);

                if (!eq)
                        fuzz_fail("audit field without '=': %.*s", (int) iov[i].iov_len, s);
                if (!fuzz_text_is_clean(eq + 1, iov[i].iov_len - (size_t) (eq + 1 - s)))
                        fuzz_fail("audit field is not clean text: %.*s", (int) iov[i].iov_len, s);
        }
        return 0;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode) {
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text) || close(fd) < 0)
                fuzz_fail("cannot write %s: %m", path);
}

static void store_start(FuzzJitd *j) {
        char path[512];
        int r;

        snprintf(path, sizeof(path), "%s/state/jitd.db", j->dir);
        r = store_open(path, &j->m.store);
        if (r < 0)
                fuzz_fail("store_open(%s): %d", path, r);
        if (teardown_start(&j->m) < 0 || expiry_start(&j->m) < 0 || systemd_timers_start(&j->m) < 0 ||
            outbox_start(&j->m) < 0)
                fuzz_fail("cannot start jitd's timers, outbox or review server");
        j->inputs = 0;
}

static void store_stop(FuzzJitd *j) {
        static const char *const files[] = { "jitd.db", "jitd.db-wal", "jitd.db-shm", "jitd.db-journal" };
        char path[512];

        outbox_stop(&j->m);
        expiry_stop(&j->m);
        teardown_stop(&j->m);
        store_close(j->m.store);
        j->m.store = NULL;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(path, sizeof(path), "%s/state/%s", j->dir, files[i]);
                (void) unlink(path);
        }
}

FuzzJitd *fuzz_jitd_start(void) {
        FuzzJitd *j = calloc(1, sizeof(*j));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *config = NULL;
        char path[512], state[300];
        ConfigError err = {};
        int fd;

        if (!j)
                abort();
        /* Quiet: the fuzzer's output is for findings. JIT_FUZZ_LOG=7 shows jitd's debug log. */
        log_set_max_level(getenv("JIT_FUZZ_LOG") ? atoi(getenv("JIT_FUZZ_LOG")) : -1);
        umask(0077);

        /* 0755: nobody and daemon must reach the socket in it. */
        fuzz_make_scratch("jitd-fuzz", j->dir, sizeof(j->dir));
        if (chmod(j->dir, 0755) < 0)
                fuzz_fail("chmod %s: %m", j->dir);
        snprintf(state, sizeof(state), "%s/state", j->dir);
        snprintf(path, sizeof(path), "%s/sudo-ts", j->dir);
        if (mkdir(state, 0700) < 0 || mkdir(path, 0700) < 0)
                fuzz_fail("mkdir: %m");
        snprintf(j->socket_path, sizeof(j->socket_path), "%s/io.jit", j->dir);
        snprintf(j->proxy_secret, sizeof(j->proxy_secret), "fuzz-proxy-secret-0123456789");
        write_file(j->dir, "proxy-secret", j->proxy_secret, 0600);

        if (asprintf(&config,
                     "[jitd]\nsocket = %s\nstate_directory = %s\nsudo_timestamp_dir = %s/sudo-ts\n"
                     "admin_group = daemon\nrequest_ttl = 10m\nmax_connections = 64\nmax_connections_per_uid = 8\n"
                     "[login]\nusers = nobody daemon\napprovers = carol dave daemon\nquorum = 2\n"
                     "default_duration = 30m\nmax_duration = 8h\n"
                     "[sudo]\nusers = *\nexempt_users = root\napprovers = carol dave nobody daemon\n"
                     "[breakglass]\nusers = daemon\n"
                     "[review]\nlisten = 127.0.0.1:0\nidentity_header = X-Remote-User\n"
                     "identity_secret_file = %s/proxy-secret\n"
                     "[webhook ops]\nurl = http://127.0.0.1:9/hook\nallow_http_loopback = yes\nformat = slack\n"
                     "[webhook teams]\nurl = http://127.0.0.1:9/teams\nallow_http_loopback = yes\nformat = teams\n"
                     "approvers = carol dave\n",
                     j->socket_path, state, j->dir, j->dir) < 0)
                abort();
        write_file(j->dir, "jitd.conf", config, 0644);
        snprintf(path, sizeof(path), "%s/jitd.conf", j->dir);
        if (config_load(&j->m.config, path, true, &err) < 0)
                fuzz_fail("the fuzzers' jitd.conf does not load: %s", err.message);

        if (sd_event_new(&j->m.event) < 0)
                abort();
        signal(SIGPIPE, SIG_IGN);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        memcpy(sa.sun_path, j->socket_path, strlen(j->socket_path));
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(j->socket_path, 0666) < 0 ||
            listen(fd, SOMAXCONN) < 0)
                fuzz_fail("cannot listen on %s: %m", j->socket_path);
        j->m.socket_path = strdup(j->socket_path);
        if (server_new(&j->m, fd, &j->m.server) < 0)
                fuzz_fail("server_new failed");

        store_start(j);
        return j;
}

void fuzz_jitd_maybe_reset(FuzzJitd *j, unsigned every) {
        if (++j->inputs < every)
                return;
        store_stop(j);
        store_start(j);
}

bool fuzz_jitd_step(FuzzJitd *j) {
        int r = sd_event_run(j->m.event, 0);

        if (r < 0)
                fuzz_fail("sd_event_run: %d", r);
        return r > 0;
}

int fuzz_jitd_connect(FuzzJitd *j, uid_t uid) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        bool as_root = geteuid() == 0;
        int fd, r;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                fuzz_fail("socket: %m");
        memcpy(sa.sun_path, j->socket_path, strlen(j->socket_path));
        /* SO_PEERCRED records the effective uid and gid at connect(); the
         * gid counts for admin_group. */
        if (as_root && uid != 0) {
                struct passwd *pw = getpwuid(uid);

                if (!pw || setegid(pw->pw_gid) < 0 || seteuid(uid) < 0)
                        fuzz_fail("cannot become uid %u: %m", (unsigned) uid);
        }
        r = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
        if (as_root && uid != 0 && (seteuid(0) < 0 || setegid(0) < 0))
                fuzz_fail("cannot become root again: %m");
        if (r < 0)
                fuzz_fail("connect(%s): %m", j->socket_path);
        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
                fuzz_fail("fcntl: %m");
        return fd;
}
