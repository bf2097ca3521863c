/* jitd.conf parsing against real files: the built-in defaults, every key,
 * each kind of mistake reported at the right file:line, drop-in order, the
 * syntax rules we impose on top of inih, and the config we ship. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-approvers.h"
#include "config.h"
#include "macros.h"
#include "test.h"

static char tmpdir[256];

static const char *data(const char *name) {
        static char buf[8][512];
        static unsigned i;
        char *p = buf[i++ % 8];

        snprintf(p, sizeof buf[0], "%s/%s", JIT_TEST_DATA_DIR, name);
        return p;
}

static const char *tmp_file(const char *name, const char *content) {
        static char buf[8][512];
        static unsigned i;
        char *p = buf[i++ % 8];
        FILE *f;

        snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
        f = fopen(p, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(content, f);
                fclose(f);
        }
        return p;
}

static const char *path_in_tmp(const char *name) {
        static char buf[512];

        snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
        return buf;
}

static bool list_is(const StringList *l, const char *const *expected) {
        size_t n = 0;

        for (; expected[n]; n++)
                if (n >= l->n || strcmp(l->items[n], expected[n]) != 0)
                        return false;
        return n == l->n;
}
#define LIST_IS(l, ...) list_is((l), (const char *const[]){ __VA_ARGS__, NULL })

/* Load a file expected to fail; the message must contain `where` (file
 * name:line) and `what`. */
static void expect_error(const char *path, bool must_exist, int expected_r, const char *where, const char *what) {
        Config c;
        ConfigError err = {};
        int r;

        memset(&c, 0x5a, sizeof c); /* config_load must not read what was there */
        r = config_load(&c, path, must_exist, &err);
        CHECK_INT(r, expected_r);
        if (r != expected_r)
                fprintf(stderr, "  ... for %s (message: \"%s\")\n", path, err.message);
        if (!strstr(err.message, where) || !strstr(err.message, what)) {
                fprintf(stderr, "%s: message \"%s\" lacks \"%s\" or \"%s\"\n", path, err.message, where, what);
                test_failures++;
        }
        /* On failure the config is left empty, safe to free again. */
        CHECK(c.socket_path == NULL && c.policy[JIT_ACTION_LOGIN].users.n == 0);
        config_free(&c);
}

static void test_defaults(void) {
        Config c;
        ConfigError err = {};

        config_init_defaults(&c);
        CHECK_STR(c.socket_path, "/run/jitd/io.jit");
        CHECK_STR(c.state_directory, "/var/lib/jitd");
        CHECK(c.database_path == NULL); /* <state_directory>/jitd.db */
        CHECK_STR(c.admin_group, "jit-admin");
        CHECK_INT(c.request_ttl_sec, 15 * 60);
        CHECK_INT(c.max_connections, 256);
        CHECK_INT(c.max_connections_per_uid, 16);
        CHECK_INT(c.idle_timeout_sec, 30);
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].default_duration_sec, 3600);
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].max_duration_sec, 8 * 3600);
        CHECK_INT(c.policy[JIT_ACTION_SUDO].default_duration_sec, 30 * 60);
        CHECK_INT(c.policy[JIT_ACTION_SUDO].max_duration_sec, 4 * 3600);
        /* Nobody needs approval until the admin says who. */
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                CHECK_INT(c.policy[a].users.n, 0);
                CHECK_INT(c.policy[a].groups.n, 0);
                CHECK_INT(c.policy[a].exempt_users.n, 0);
        }
        CHECK_INT(c.breakglass_users.n + c.breakglass_groups.n, 0);
        config_free(&c);
        config_free(&c); /* idempotent */
        config_free(NULL);

        /* An empty file and a missing optional file both give the defaults. */
        CHECK_INT(config_load(&c, data("empty.conf"), true, &err), 0);
        CHECK_STR(c.socket_path, "/run/jitd/io.jit");
        CHECK_INT(c.policy[JIT_ACTION_SUDO].max_duration_sec, 4 * 3600);
        CHECK(c.database_path == NULL);
        /* jitd.conf(5)'s defaults for the flood bounds. */
        CHECK_INT(c.request_limit, 20);
        CHECK_INT(c.request_limit_interval_sec, 600);
        CHECK_INT(c.retention_sec, 30 * 24 * 3600);
        config_free(&c);

        CHECK_INT(config_load(&c, data("no-such-file.conf"), false, &err), 0);
        CHECK_STR(c.admin_group, "jit-admin");
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].groups.n, 0);
        config_free(&c);
}

static bool printed_has(const Config *c, const char *needle) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        bool found;

        if (!f)
                return false;
        config_print(c, f);
        fclose(f);
        found = buf && strstr(buf, needle);
        free(buf);
        return found;
}

/* The built-in defaults gate nobody: legal (the default config may be
 * missing), but never silent. --check-config prints a warning line (jitd
 * logs the same at start), and only then. */
static void test_gates_nobody(void) {
        static const char warning[] = "# warning: no user or group needs approval for any action";
        Config c;
        ConfigError err = {};

        CHECK_INT(config_load(&c, data("no-such-file.conf"), false, &err), 0);
        CHECK(config_gates_nobody(&c));
        CHECK(printed_has(&c, warning));
        config_free(&c);

        /* Exemptions and break-glass alone still gate nobody. */
        CHECK_INT(config_load(&c,
                              tmp_file("exempt-only.conf",
                                       "[login]\nexempt_users = alice\n[breakglass]\nusers = root\n"),
                              true, &err),
                  0);
        CHECK(config_gates_nobody(&c));
        CHECK(printed_has(&c, warning));
        config_free(&c);

        /* One action with anyone on it is a policy. */
        CHECK_INT(config_load(&c, tmp_file("sudo-star.conf", "[sudo]\nusers = *\n"), true, &err), 0);
        CHECK(!config_gates_nobody(&c));
        CHECK(!printed_has(&c, warning));
        config_free(&c);
        CHECK_INT(config_load(&c, tmp_file("login-group.conf", "[login]\ngroups = staff\n"), true, &err), 0);
        CHECK(!config_gates_nobody(&c));
        config_free(&c);

        CHECK_INT(config_load(&c, JIT_SHIPPED_CONFIG, true, &err), 0);
        CHECK(!config_gates_nobody(&c));
        CHECK(!printed_has(&c, warning));
        config_free(&c);
}

static void test_every_key(void) {
        Config c;
        ConfigError err = {};

        CHECK_INT(config_load(&c, data("full.conf"), true, &err), 0);
        if (err.message[0])
                fprintf(stderr, "full.conf: %s\n", err.message);
        CHECK_STR(c.socket_path, "/run/jitd-test/io.jit");
        CHECK_STR(c.state_directory, "/var/lib/jitd-test");
        CHECK_STR(c.database_path, "/var/lib/jitd-test/other.db");
        CHECK_STR(c.admin_group, "wheel");
        CHECK_INT(c.request_ttl_sec, 300);
        CHECK_INT(c.max_connections, 100);
        CHECK_INT(c.max_connections_per_uid, 10);
        CHECK_INT(c.idle_timeout_sec, 60);
        CHECK_INT(c.request_limit, 5);
        CHECK_INT(c.request_limit_interval_sec, 3600);
        CHECK_INT(c.retention_sec, 90 * 24 * 3600);

        const ActionPolicy *login = &c.policy[JIT_ACTION_LOGIN], *sudo = &c.policy[JIT_ACTION_SUDO];
        /* Inline comments are cut; an indented second line adds to the list. */
        CHECK(LIST_IS(&login->users, "alice", "bob", "carol"));
        CHECK(LIST_IS(&login->groups, "jit-users", "ops"));
        CHECK(LIST_IS(&login->exempt_users, "deploy"));
        CHECK_INT(login->default_duration_sec, 2 * 3600);
        CHECK_INT(login->max_duration_sec, 12 * 3600);
        CHECK(LIST_IS(&sudo->users, "*"));
        CHECK_INT(sudo->groups.n, 0);
        CHECK(LIST_IS(&sudo->exempt_users, "backup", "deploy"));
        CHECK_INT(sudo->default_duration_sec, 600);
        CHECK_INT(sudo->max_duration_sec, 3600);
        CHECK(LIST_IS(&c.breakglass_users, "oncall"));
        CHECK(LIST_IS(&c.breakglass_groups, "sre"));

        /* What --check-config shows is itself a valid config with the same meaning. */
        char printed[512];
        snprintf(printed, sizeof printed, "%s/printed.conf", tmpdir);
        FILE *f = fopen(printed, "we");
        CHECK(f != NULL);
        if (f) {
                config_print(&c, f);
                fclose(f);
        }
        Config again;
        CHECK_INT(config_load(&again, printed, true, &err), 0);
        if (err.message[0])
                fprintf(stderr, "printed: %s\n", err.message);
        CHECK_STR(again.socket_path, c.socket_path);
        CHECK_STR(again.database_path, c.database_path);
        CHECK_INT(again.request_ttl_sec, c.request_ttl_sec);
        CHECK(LIST_IS(&again.policy[JIT_ACTION_LOGIN].users, "alice", "bob", "carol"));
        CHECK(LIST_IS(&again.policy[JIT_ACTION_SUDO].exempt_users, "backup", "deploy"));
        CHECK(LIST_IS(&again.breakglass_groups, "sre"));
        CHECK_INT(again.policy[JIT_ACTION_LOGIN].max_duration_sec, 12 * 3600);
        config_free(&again);

        /* And it explains who needs approval in words. */
        char *text = NULL;
        size_t size = 0;
        f = open_memstream(&text, &size);
        CHECK(f != NULL);
        if (f) {
                config_print(&c, f);
                fclose(f);
                CHECK(strstr(text, "sudo  needs approval: every user, except backup, deploy") != NULL);
                CHECK(strstr(text, "members of jit-users, ops") != NULL);
                CHECK(strstr(text, "root and members of group 'wheel'") != NULL);
                free(text);
        }
        config_free(&c);
}

/* The copy of the last policy that loaded (jitd(8)): what
 * config_write_policy() writes loads back to the same policy; and what a
 * degraded jitd uses without one, and from a broken file. */
static void test_policy_copy(void) {
        Config c, again, fallback;
        ConfigError err = {};
        char path[512];
        FILE *f;

        CHECK_INT(config_load(&c, data("full.conf"), true, &err), 0);
        snprintf(path, sizeof path, "%s/policy.last-good", tmpdir);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                CHECK_INT(config_write_policy(&c, f), 0);
                fclose(f);
        }
        CHECK_INT(config_load(&again, path, true, &err), 0);
        if (err.message[0])
                fprintf(stderr, "policy copy: %s\n", err.message);
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                const ActionPolicy *x = &c.policy[a], *y = &again.policy[a];

                CHECK_INT(x->users.n, y->users.n);
                for (size_t i = 0; i < x->users.n && i < y->users.n; i++)
                        CHECK_STR(x->users.items[i], y->users.items[i]);
                CHECK_INT(x->groups.n, y->groups.n);
                CHECK_INT(x->exempt_users.n, y->exempt_users.n);
                CHECK_INT(x->default_duration_sec, y->default_duration_sec);
                CHECK_INT(x->max_duration_sec, y->max_duration_sec);
                CHECK_INT(x->on_expiry, y->on_expiry);
        }
        CHECK(LIST_IS(&again.policy[JIT_ACTION_SUDO].users, "*"));
        CHECK(LIST_IS(&again.policy[JIT_ACTION_SUDO].exempt_users, "backup", "deploy"));
        CHECK(LIST_IS(&again.breakglass_users, "oncall"));
        CHECK(LIST_IS(&again.breakglass_groups, "sre"));
        CHECK_STR(again.admin_group, "wheel");
        /* Only the policy: paths stay those of whoever reads it. */
        CHECK_STR(again.socket_path, JIT_SOCKET_PATH_DEFAULT);

        /* Taken over into a configuration of defaults, as at a degraded start. */
        config_init_defaults(&fallback);
        config_adopt_policy(&fallback, &again);
        CHECK(LIST_IS(&fallback.policy[JIT_ACTION_LOGIN].users, "alice", "bob", "carol"));
        CHECK_STR(fallback.admin_group, "wheel");
        config_free(&again);

        /* Without a copy: every user but root needs approval, nobody is
         * break-glass, only root administers. */
        CHECK_INT(config_set_fail_closed_policy(&fallback), 0);
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                CHECK(LIST_IS(&fallback.policy[a].users, "*"));
                CHECK(LIST_IS(&fallback.policy[a].exempt_users, "root"));
                CHECK_INT(fallback.policy[a].groups.n, 0);
        }
        CHECK_INT(fallback.breakglass_users.n + fallback.breakglass_groups.n, 0);
        CHECK_STR(fallback.admin_group, "");
        config_free(&fallback);
        config_free(&c);

        /* The paths of a file that does not parse: only plain [jitd] lines. */
        config_init_defaults(&fallback);
        CHECK_INT(config_salvage_paths(&fallback,
                                       tmp_file("broken.conf", "[jitd]\nsocket = /run/x/io.jit\n"
                                                               "state_directory = /srv/st # where\n"
                                                               "this line does not parse\n"
                                                               "database = relative/not/taken\n"
                                                               "[login]\nsocket = /not/in/jitd\n")),
                  0);
        CHECK_STR(fallback.socket_path, "/run/x/io.jit");
        CHECK_STR(fallback.state_directory, "/srv/st");
        CHECK(fallback.database_path == NULL);
        config_free(&fallback);

        /* Nothing from a file anyone may write. */
        config_init_defaults(&fallback);
        CHECK_INT(chmod(tmp_file("open.conf", "[jitd]\nsocket = /tmp/evil.sock\n"), 0666), 0);
        CHECK_INT(config_salvage_paths(&fallback, path_in_tmp("open.conf")), 0);
        CHECK_STR(fallback.socket_path, JIT_SOCKET_PATH_DEFAULT);
        config_free(&fallback);
}

static void test_errors(void) {
        expect_error(data("unknown-section.conf"), true, -EINVAL, "unknown-section.conf:3:",
                     "unknown section [webhook]");
        expect_error(data("unknown-key.conf"), true, -EINVAL, "unknown-key.conf:3:",
                     "unknown key 'max_durration' in section [login]");
        expect_error(data("bad-duration.conf"), true, -EINVAL, "bad-duration.conf:4:",
                     "invalid duration '30 minutes'");
        expect_error(data("default-over-max.conf"), true, -EINVAL, "default-over-max.conf:2:",
                     "default_duration 9h is longer than max_duration 8h");
        expect_error(data("relative-path.conf"), true, -EINVAL, "relative-path.conf:3:",
                     "[jitd] state_directory must be an absolute path");
        expect_error(data("invalid-user.conf"), true, -EINVAL, "invalid-user.conf:3:", "invalid user name 'bob;rm'");
        expect_error(data("bad-number.conf"), true, -EINVAL, "bad-number.conf:2:", "invalid number '12x'");
        expect_error(data("zero-number.conf"), true, -EINVAL, "zero-number.conf:2:", "invalid number '0'");
        expect_error(data("outside-section.conf"), true, -EINVAL, "outside-section.conf:1:",
                     "key 'admin_group' outside of any section");
        expect_error(data("syntax-error.conf"), true, -EINVAL, "syntax-error.conf:2:", "syntax error");
        expect_error(data("star-in-breakglass.conf"), true, -EINVAL, "star-in-breakglass.conf:2:",
                     "'*' is only allowed");
        expect_error(data("per-uid-over-max.conf"), true, -EINVAL, "per-uid-over-max.conf:7:",
                     "max_connections_per_uid 8 is larger than max_connections 4");
        expect_error(data("no-such-file.conf"), true, -ENOENT, "no-such-file.conf:", "cannot open");

        /* Mistakes written on the spot. */
        expect_error(tmp_file("ttl.conf", "[jitd]\nrequest_ttl = 30d\n"), true, -EINVAL, "ttl.conf:2:",
                     "out of range");
        expect_error(tmp_file("dur.conf", "[sudo]\nmax_duration = 45d\n"), true, -EINVAL, "dur.conf:2:",
                     "out of range");
        expect_error(tmp_file("limit.conf", "[jitd]\nrequest_limit = 0\n"), true, -EINVAL, "limit.conf:2:",
                     "invalid number '0'");
        expect_error(tmp_file("window.conf", "[jitd]\nrequest_limit_interval = 30s\n"), true, -EINVAL,
                     "window.conf:2:", "out of range");
        expect_error(tmp_file("keep.conf", "[jitd]\nrequest_limit_interval = 2d\nretention = 1d\n"), true, -EINVAL,
                     "keep.conf:3:", "retention 1d is shorter than request_limit_interval 2d");
        expect_error(tmp_file("neg.conf", "[jitd]\nmax_connections = -1\n"), true, -EINVAL, "neg.conf:2:",
                     "invalid number");
        expect_error(tmp_file("sock.conf", "[jitd]\nsocket = /run/" /* > 107 bytes */
                                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"),
                     true, -EINVAL, "sock.conf:2:", "longer than 107 bytes");
        expect_error(tmp_file("dotdot.conf", "[jitd]\ndatabase = /var/lib/../../tmp/x.db\n"), true, -EINVAL,
                     "dotdot.conf:2:", "'..'");
        expect_error(tmp_file("emptypath.conf", "[jitd]\nsocket =\n"), true, -EINVAL, "emptypath.conf:2:",
                     "needs a value");
        expect_error(tmp_file("group.conf", "\n\n[login]\ngroups = ok, -bad\n"), true, -EINVAL, "group.conf:4:",
                     "invalid group name '-bad'");
        expect_error(tmp_file("admin.conf", "[jitd]\nadmin_group = jit admin\n"), true, -EINVAL, "admin.conf:2:",
                     "invalid group name");
        expect_error(tmp_file("case.conf", "[Login]\n"), true, -EINVAL, "case.conf:1:", "unknown section [Login]");
        expect_error(tmp_file("after.conf", "[login] x\n"), true, -EINVAL, "after.conf:1:", "unexpected text");
        expect_error(tmp_file("ctrl.conf", "[login]\nusers = al\x1b[2Jice\n"), true, -EINVAL, "ctrl.conf:2:",
                     "control character");
        /* Indentation never makes a continuation line, whatever inih's build does. */
        expect_error(tmp_file("cont.conf", "[login]\nusers = alice\n    bob\n"), true, -EINVAL, "cont.conf:3:",
                     "syntax error");

        /* inih splits an over-long line in two; we refuse it instead, so the
         * tail of a long comment can never turn into a key. */
        char longline[600];
        snprintf(longline, sizeof longline, "[login]\n# %0*d users = *\n", 400, 0);
        expect_error(tmp_file("long.conf", longline), true, -EINVAL, "long.conf:2:", "line longer than");

        /* A policy file others can rewrite is refused. */
        const char *ww = tmp_file("world-writable.conf", "[login]\nusers = alice\n");
        CHECK_INT(chmod(ww, 0666), 0);
        expect_error(ww, true, -EINVAL, "world-writable.conf", "writable by everyone");

        /* A directory or a FIFO is not a config file (and a FIFO does not hang us). */
        expect_error(tmpdir, true, -EINVAL, "", "not a regular file");
        char fifo[512];
        snprintf(fifo, sizeof fifo, "%s/fifo.conf", tmpdir);
        CHECK_INT(mkfifo(fifo, 0600), 0);
        expect_error(fifo, true, -EINVAL, "fifo.conf", "not a regular file");
}

/* A file of `n` lines "prefix<i>\n" after a `head`. */
static const char *tmp_lines(const char *name, const char *head, const char *prefix, unsigned n) {
        size_t size = strlen(head) + (size_t) n * (strlen(prefix) + 12) + 1, len;
        char *text = malloc(size);
        const char *path;

        CHECK(text != NULL);
        if (!text)
                return tmp_file(name, "");
        len = (size_t) snprintf(text, size, "%s", head);
        for (unsigned i = 0; i < n; i++)
                len += (size_t) snprintf(text + len, size - len, "%s%u\n", prefix, i);
        path = tmp_file(name, text);
        free(text);
        return path;
}

/* The limits and value checks that only a hand-made file reaches, each
 * named by file:line (by file, where the problem is the file itself). */
static void test_error_limits(void) {
        char name[JIT_USER_MAX + 2], text[256];

        expect_error(tmp_file("onexp.conf", "[login]\non_expiry = terminate\n[sudo]\non_expiry = logout\n"), true,
                     -EINVAL, "onexp.conf:4:", "[sudo] on_expiry: 'logout' is not 'terminate' or 'keep'");
        expect_error(tmp_file("sockdir.conf", "[jitd]\nsocket = /run/jitd/\n"), true, -EINVAL, "sockdir.conf:2:",
                     "[jitd] socket must name a socket, not a directory");

        /* A user name one byte over the limit; exactly at it is fine. */
        memset(name, 'a', sizeof name - 1);
        name[sizeof name - 1] = 0;
        snprintf(text, sizeof text, "[login]\n\nusers = alice %s\n", name);
        expect_error(tmp_file("longname.conf", text), true, -EINVAL, "longname.conf:3:",
                     "[login] users: name longer than 64 bytes");
        name[JIT_USER_MAX] = 0;
        snprintf(text, sizeof text, "[login]\nusers = %s\n", name);
        {
                Config c;
                ConfigError err = {};

                CHECK_INT(config_load(&c, tmp_file("maxname.conf", text), true, &err), 0);
                config_free(&c);
        }

        /* Lists hold 1024 entries; lines of one file add up. */
        expect_error(tmp_lines("biglist.conf", "[sudo]\n", "users = u", 1025), true, -EINVAL, "biglist.conf:1026:",
                     "[sudo] users: more than 1024 entries");
        {
                Config c;
                ConfigError err = {};

                CHECK_INT(config_load(&c, tmp_lines("fulllist.conf", "[sudo]\n", "users = u", 1024), true, &err), 0);
                CHECK_INT(c.policy[JIT_ACTION_SUDO].users.n, 1024);
                config_free(&c);
        }

        /* 10000 lines per file. */
        expect_error(tmp_lines("manylines.conf", "", "# comment ", 10001), true, -EINVAL, "manylines.conf:10001:",
                     "more than 10000 lines");

        /* 128 drop-ins. */
        {
                char dir[512], path[600];

                tmp_file("dropins.conf", "[login]\nusers = alice\n");
                snprintf(dir, sizeof dir, "%s/dropins.conf.d", tmpdir);
                CHECK_INT(mkdir(dir, 0755), 0);
                for (unsigned i = 0; i < 129; i++) {
                        snprintf(path, sizeof path, "dropins.conf.d/%03u.conf", i);
                        tmp_file(path, "# empty\n");
                }
                snprintf(path, sizeof path, "%s/dropins.conf", tmpdir);
                expect_error(path, true, -EINVAL, "dropins.conf.d:", "more than 128 drop-in files");
        }

        /* Not owned by root (nor by us): someone else could exempt
         * themselves. Only root can hand a file to another uid. */
        if (geteuid() == 0) {
                const char *path = tmp_file("owner.conf", "[login]\nusers = alice\n");

                CHECK_INT(chown(path, 1, 1), 0);
                expect_error(path, true, -EINVAL, "owner.conf:", "owned by uid 1, not root; refusing it");
        } else
                fprintf(stderr, "test_config: not root, the owner check is not tested\n");
}

/* Checks made after parsing (across keys, or of the files keys name)
 * name the file:line of the key, like every other error. */
static void test_check_errors_located(void) {
        Config c;
        ConfigError err = {};
        char text[1024], *out = NULL;
        size_t size = 0;
        FILE *f;
        const char *secret = tmp_file("open.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");

        expect_error(tmp_file("tls1.conf", "[review]\n\ntls_cert = /etc/c.pem\n"), true, -EINVAL, "tls1.conf:3:",
                     "tls_cert and tls_key must be set together (tls_key is not set)");
        expect_error(tmp_file("tls2.conf", "[review]\ntls_key = /etc/k.pem\n"), true, -EINVAL, "tls2.conf:2:",
                     "tls_cert and tls_key must be set together (tls_cert is not set)");
        expect_error(tmp_file("perip.conf", "[review]\nmax_connections = 10\nmax_connections_per_ip = 20\n"), true,
                     -EINVAL, "perip.conf:3:", "max_connections_per_ip 20 is larger than max_connections 10 (set at ");
        expect_error(tmp_file("perip2.conf", "[review]\nmax_connections = 2\n"), true, -EINVAL, "perip2.conf:2:",
                     "is larger than max_connections 2");
        expect_error(tmp_file("url.conf", "[webhook ops]\nformat = slack\n\nurl = http://example.com/\n"), true,
                     -EINVAL, "url.conf:4:", "is not allowed");

        /* The files themselves: only --check-config looks at them. */
        CHECK_INT(chmod(secret, 0644), 0);
        snprintf(text, sizeof(text),
                 "[webhook ops]\nurl = https://x.example/\nsecret_file = %s\nca_file = %s/no-ca.pem\n"
                 "[review]\ntls_cert = %s/no-cert.pem\ntls_key = %s/no-key.pem\n",
                 secret, tmpdir, tmpdir, tmpdir);
        CHECK_INT(config_load(&c, tmp_file("files.conf", text), true, &err), 0);
        f = open_memstream(&out, &size);
        CHECK(f != NULL);
        if (f) {
                CHECK(config_approvers_verify_files(&c, f) < 0);
                fclose(f);
                CHECK(out && strstr(out, "files.conf:3: [webhook ops] secret_file "));
                CHECK(out && strstr(out, "files.conf:4: [webhook ops] ca_file "));
                CHECK(out && strstr(out, "files.conf:6: [review] tls_cert "));
                CHECK(out && strstr(out, "files.conf:7: [review] tls_key "));
                if (test_failures)
                        fprintf(stderr, "verify_files said:\n%s", out ?: "");
                free(out);
        }
        config_free(&c);
}

static void test_dropins(void) {
        Config c;
        ConfigError err = {};

        CHECK_INT(config_load(&c, data("dropin.conf"), true, &err), 0);
        if (err.message[0])
                fprintf(stderr, "dropin.conf: %s\n", err.message);
        /* 10-first replaces the user list and shortens max; 20-second, read
         * last, wins request_ttl; non-.conf and hidden files are ignored. */
        CHECK(LIST_IS(&c.policy[JIT_ACTION_LOGIN].users, "carol"));
        CHECK(LIST_IS(&c.policy[JIT_ACTION_LOGIN].groups, "jit-users"));
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].max_duration_sec, 4 * 3600);
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].default_duration_sec, 3600);
        CHECK_INT(c.request_ttl_sec, 7 * 60);
        CHECK_STR(c.admin_group, "jit-admin");
        config_free(&c);

        /* An empty drop-in directory (the admin removed the last file) is
         * no drop-in at all. */
        {
                char dir[512], path[600];

                tmp_file("emptydir.conf", "[login]\nusers = alice\n");
                snprintf(dir, sizeof dir, "%s/emptydir.conf.d", tmpdir);
                CHECK_INT(mkdir(dir, 0755), 0);
                snprintf(path, sizeof path, "%s/emptydir.conf", tmpdir);
                CHECK_INT(config_load(&c, path, true, &err), 0);
                CHECK(LIST_IS(&c.policy[JIT_ACTION_LOGIN].users, "alice"));
                config_free(&c);
        }

        /* A rule broken only once the drop-in is read is reported there. */
        expect_error(data("bad-dropin.conf"), true, -EINVAL, "bad-dropin.conf.d/50-shorter.conf:3:",
                     "default_duration 2h is longer than max_duration 1h");

        /* Drop-ins apply even when the main file is absent (and optional). */
        CHECK_INT(config_load(&c, data("missing-main.conf"), false, &err), 0);
        CHECK(LIST_IS(&c.policy[JIT_ACTION_SUDO].users, "*"));
        config_free(&c);
        expect_error(data("missing-main.conf"), true, -ENOENT, "missing-main.conf:", "No such file");

        /* An empty assignment empties a list; later lines in the same file add again. */
        CHECK_INT(config_load(&c,
                              tmp_file("reset.conf", "[login]\nusers = a b\nusers =\nusers = c\nusers = d, c\n"),
                              true, &err),
                  0);
        CHECK(LIST_IS(&c.policy[JIT_ACTION_LOGIN].users, "c", "d"));
        config_free(&c);
}

static void test_shipped_config(void) {
        Config c;
        ConfigError err = {};

        CHECK_INT(config_load(&c, JIT_SHIPPED_CONFIG, true, &err), 0);
        if (err.message[0])
                fprintf(stderr, "shipped config: %s\n", err.message);
        CHECK_STR(c.admin_group, "jit-admin");
        CHECK_STR(c.socket_path, "/run/jitd/io.jit");
        CHECK(c.database_path == NULL);
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                CHECK(LIST_IS(&c.policy[a].groups, "jit-users"));
                CHECK_INT(c.policy[a].users.n, 0);
                CHECK_INT(c.policy[a].exempt_users.n, 0);
        }
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].default_duration_sec, 3600);
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].max_duration_sec, 8 * 3600);
        CHECK_INT(c.policy[JIT_ACTION_SUDO].default_duration_sec, 30 * 60);
        CHECK_INT(c.policy[JIT_ACTION_SUDO].max_duration_sec, 4 * 3600);
        CHECK_INT(c.breakglass_users.n + c.breakglass_groups.n, 0);
        config_free(&c);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

int main(void) {
        const char *base = getenv("TMPDIR") ?: "/tmp";

        snprintf(tmpdir, sizeof tmpdir, "%s/test_config.XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }

        test_defaults();
        test_gates_nobody();
        test_every_key();
        test_policy_copy();
        test_errors();
        test_error_limits();
        test_check_errors_located();
        test_dropins();
        test_shipped_config();

        if (test_failures == 0)
                (void) nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return test_result("test_config");
}
