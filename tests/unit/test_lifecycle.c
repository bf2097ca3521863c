/* The pieces of a grant's life that need no daemon: the store's schema
 * migration to version 2 and its extension, expiry and warning queries;
 * the on_expiry / warn_before / sudo_timestamp_dir / jitctl keys; the
 * transient timer's unit name and OnCalendar= spec; which terminal names a
 * warning may go to and the checks before writing; the warning line;
 * dropping sudo's timestamp without following links; and when the user's
 * manager is ended with a login grant, and its audit entry. Real SQLite files,
 * real config files, real ptys, in a temporary directory. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audit.h"
#include "config.h"
#include "jit-message-ids.h"
#include "logind.h"
#include "macros.h"
#include "store-internal.h"
#include "store.h"
#include "sudo-timestamp.h"
#include "systemd-timers.h"
#include "teardown.h"
#include "test.h"
#include "text.h"
#include "user-manager.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
        static char buf[8][512];
        static unsigned i;
        char *p = buf[i++ % 8];

        snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
        return p;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static RequestRecord make_request(const char *id, const char *user, JitAction action, const char *extends) {
        RequestRecord r = {
                .action = action,
                .state = REQUEST_PENDING,
                .created_at = 1000,
                .expires_at = 100000,
                .duration_sec = 600,
        };
        snprintf(r.id, sizeof r.id, "%s", id);
        snprintf(r.user, sizeof r.user, "%s", user);
        snprintf(r.extends_grant_id, sizeof r.extends_grant_id, "%s", extends ? extends : "");
        return r;
}

static GrantRecord make_grant(const char *id, const char *user, JitAction action, int64_t expires) {
        GrantRecord g = {
                .action = action,
                .created_at = 1000,
                .expires_at = expires,
                .state = GRANT_ACTIVE,
        };
        snprintf(g.id, sizeof g.id, "%s", id);
        snprintf(g.user, sizeof g.user, "%s", user);
        snprintf(g.approver, sizeof g.approver, "carol");
        return g;
}

static SessionRecord make_session(const char *sid, const char *grant, const char *user) {
        SessionRecord r = { .opened_at = 1100 };

        snprintf(r.session_id, sizeof r.session_id, "%s", sid);
        snprintf(r.grant_id, sizeof r.grant_id, "%s", grant);
        snprintf(r.user, sizeof r.user, "%s", user);
        snprintf(r.tty, sizeof r.tty, "pts/1");
        return r;
}

typedef struct Seen {
        char ids[16][JIT_ID_MAX];
        size_t n;
} Seen;

static int seen_grant(const GrantRecord *g, void *userdata) {
        Seen *s = userdata;

        if (s->n < 16)
                snprintf(s->ids[s->n++], JIT_ID_MAX, "%s", g->id);
        return 0;
}

static int seen_session(const SessionRecord *r, void *userdata) {
        Seen *s = userdata;

        if (s->n < 16)
                snprintf(s->ids[s->n++], JIT_ID_MAX, "%s", r->session_id);
        return 0;
}

/* A version 1 file (as jitd 0.1.0 left it, from the frozen schema in
 * tests/unit/data) is migrated in place through every later step and keeps
 * its rows. */
static void test_migration_from_v1(void) {
        const char *path = tmp_path("v1.db");
        _cleanup_free_ char *schema = NULL;
        char fixture[512];
        sqlite3 *db = NULL;
        Store *s = NULL;
        RequestRecord r;
        GrantRecord g;
        size_t size = 0;
        FILE *f;

        snprintf(fixture, sizeof fixture, "%s/store-schema-v1.sql", JIT_TEST_DATA_DIR);
        f = fopen(fixture, "re");
        CHECK(f != NULL);
        if (!f)
                return;
        schema = calloc(1, 65536);
        if (schema)
                size = fread(schema, 1, 65535, f);
        fclose(f);
        CHECK(size > 0);

        CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
        CHECK_INT(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
        CHECK_INT(sqlite3_exec(db,
                               "INSERT INTO requests (id, user, action, state, created_at, expires_at)"
                               " VALUES ('r0000000000000001', 'alice', 'login', 'pending', 1, 99999);"
                               "INSERT INTO grants (id, user, action, created_at, expires_at, state)"
                               " VALUES ('g0000000000000001', 'alice', 'sudo', 1, 99999, 'active');"
                               "PRAGMA application_id = 1246318660; PRAGMA user_version = 1;",
                               NULL, NULL, NULL),
                  SQLITE_OK);
        sqlite3_close(db);
        (void) chmod(path, 0600);

        CHECK_INT(store_open(path, &s), 0);
        if (!s)
                return;
        CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
        CHECK_INT(store_get_request(s, "r0000000000000001", &r), 0);
        CHECK_STR(r.user, "alice");
        CHECK_STR(r.extends_grant_id, "");
        CHECK_INT(store_get_grant(s, "g0000000000000001", &g), 0);
        CHECK_STR(g.extends_grant_id, "");
        CHECK_STR(g.extended_by, "");
        store_close(s);
}

/* Approving an extension ends the old grant and moves its open sessions in
 * the same transaction; an old grant that ended meanwhile keeps its own. */
static void test_extension_approval(void) {
        Store *s = NULL;
        RequestRecord r;
        GrantRecord old = make_grant("g0000000000000010", "alice", JIT_ACTION_LOGIN, 5000), g, got;
        SessionRecord open1 = make_session("1", old.id, "alice"), open2 = make_session("2", old.id, "alice"),
                      closed = make_session("3", old.id, "alice");
        Seen seen = {};

        CHECK_INT(store_open(tmp_path("extend.db"), &s), 0);
        if (!s)
                return;
        CHECK_INT(store_insert_grant(s, &old), 0);
        CHECK_INT(store_open_session(s, &open1), 0);
        CHECK_INT(store_open_session(s, &open2), 0);
        CHECK_INT(store_open_session(s, &closed), 0);
        CHECK_INT(store_close_session(s, "alice", "3", 1200), 0);

        r = make_request("r0000000000000010", "alice", JIT_ACTION_LOGIN, old.id);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_get_request(s, r.id, &r), 0);
        CHECK_STR(r.extends_grant_id, old.id);

        g = make_grant("g0000000000000011", "", JIT_ACTION_LOGIN, 5600);
        CHECK_INT(store_approve_request(s, r.id, "carol", 2000, &g), 0);
        CHECK_STR(g.user, "alice");
        CHECK_STR(g.extends_grant_id, old.id);

        CHECK_INT(store_get_grant(s, old.id, &got), 0);
        CHECK_INT(got.state, GRANT_EXPIRED);
        CHECK_INT(got.ended_at, 2000);
        CHECK_STR(got.ended_by, "carol");
        CHECK_STR(got.extended_by, g.id);
        CHECK_INT(store_get_grant(s, g.id, &got), 0);
        CHECK_STR(got.extends_grant_id, old.id);

        CHECK_INT(store_list_sessions(s, g.id, true, seen_session, &seen), 2);
        CHECK_STR(seen.ids[0], "1");
        CHECK_STR(seen.ids[1], "2");
        seen = (Seen) {};
        CHECK_INT(store_list_sessions(s, old.id, false, seen_session, &seen), 1); /* the closed one stays */
        CHECK_STR(seen.ids[0], "3");

        /* Extending a grant that was revoked meanwhile: a new grant, the old
         * one left as it is, its sessions not taken over. */
        old = make_grant("g0000000000000020", "alice", JIT_ACTION_SUDO, 5000);
        CHECK_INT(store_insert_grant(s, &old), 0);
        open1 = make_session("21", old.id, "alice");
        CHECK_INT(store_open_session(s, &open1), 0);
        r = make_request("r0000000000000020", "alice", JIT_ACTION_SUDO, old.id);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_end_grant(s, old.id, GRANT_REVOKED, "dave", NULL, 2100, NULL), 0);
        g = make_grant("g0000000000000021", "", JIT_ACTION_SUDO, 5600);
        CHECK_INT(store_approve_request(s, r.id, "carol", 2200, &g), 0);
        CHECK_INT(store_get_grant(s, old.id, &got), 0);
        CHECK_INT(got.state, GRANT_REVOKED);
        CHECK_STR(got.ended_by, "dave");
        CHECK_STR(got.extended_by, "");
        seen = (Seen) {};
        CHECK_INT(store_list_sessions(s, g.id, true, seen_session, &seen), 0);

        /* An "extension" naming somebody else's grant changes nothing of
         * theirs (jitd refuses it earlier; the store holds the line too). */
        old = make_grant("g0000000000000030", "bob", JIT_ACTION_LOGIN, 5000);
        CHECK_INT(store_insert_grant(s, &old), 0);
        r = make_request("r0000000000000030", "alice", JIT_ACTION_LOGIN, old.id);
        CHECK_INT(store_insert_request(s, &r), 0);
        g = make_grant("g0000000000000031", "", JIT_ACTION_LOGIN, 5600);
        CHECK_INT(store_approve_request(s, r.id, "carol", 2300, &g), 0);
        CHECK_INT(store_get_grant(s, old.id, &got), 0);
        CHECK_INT(got.state, GRANT_ACTIVE);
        store_close(s);
}

/* Grants and requests with separate cutoffs (systemd timers in charge of
 * grants get a grace), and the warning window queries. */
static void test_deadlines(void) {
        Store *s = NULL;
        GrantRecord g1 = make_grant("g0000000000000101", "alice", JIT_ACTION_LOGIN, 1000),
                    g2 = make_grant("g0000000000000102", "bob", JIT_ACTION_LOGIN, 1300),
                    g3 = make_grant("g0000000000000103", "bob", JIT_ACTION_SUDO, 1600);
        RequestRecord r = make_request("r0000000000000101", "carol", JIT_ACTION_LOGIN, NULL);
        int64_t dg = 0, dr = 0, d = 0;
        Seen seen = {};

        CHECK_INT(store_open(tmp_path("deadlines.db"), &s), 0);
        if (!s)
                return;
        CHECK_INT(store_next_deadlines(s, &dg, &dr), 0);
        CHECK(dg == INT64_MAX && dr == INT64_MAX);
        CHECK_INT(store_next_grant_deadline_after(s, 0, &d), 0);

        r.expires_at = 1005;
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_insert_grant(s, &g1), 0);
        CHECK_INT(store_insert_grant(s, &g2), 0);
        CHECK_INT(store_insert_grant(s, &g3), 0);

        CHECK_INT(store_next_deadlines(s, &dg, &dr), 1);
        CHECK_INT(dg, 1000);
        CHECK_INT(dr, 1005);
        CHECK_INT(store_next_grant_deadline_after(s, 1000, &d), 1);
        CHECK_INT(d, 1300);

        CHECK_INT(store_list_grants_expiring(s, 1000, 1600, seen_grant, &seen), 2);
        CHECK_STR(seen.ids[0], g2.id);
        CHECK_STR(seen.ids[1], g3.id);

        /* At 1010 with a 10 s grace for grants: the request goes, the grant
         * due at 1000 goes (1000 <= 1000), nothing else. */
        CHECK_INT(store_expire_due_until(s, 1000, 1010, NULL, NULL, NULL), 2);
        CHECK_INT(store_next_deadlines(s, &dg, &dr), 1);
        CHECK_INT(dg, 1300);
        CHECK(dr == INT64_MAX);
        CHECK_INT(store_expire_due_until(s, 1299, 2000, NULL, NULL, NULL), 0);
        store_close(s);
}

static void test_config_keys(void) {
        const char *path = tmp_path("lifecycle.conf");
        ConfigError err = {};
        Config c = {};

        config_init_defaults(&c);
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].on_expiry, ON_EXPIRY_TERMINATE);
        CHECK_INT(c.policy[JIT_ACTION_SUDO].on_expiry, ON_EXPIRY_KEEP);
        CHECK_INT(c.warn_before_sec, 300);
        CHECK_STR(c.sudo_timestamp_dir, "/run/sudo/ts");
        CHECK(c.jitctl_path && c.jitctl_path[0] == '/' && strstr(c.jitctl_path, "/jitctl"));
        config_free(&c);

        write_file(path, "[jitd]\nwarn_before = 0\nsudo_timestamp_dir = /var/run/sudo/ts\njitctl = /opt/bin/jitctl\n"
                         "[login]\non_expiry = keep\n[sudo]\non_expiry = terminate\n");
        CHECK_INT(config_load(&c, path, true, &err), 0);
        CHECK_INT(c.warn_before_sec, 0);
        CHECK_STR(c.sudo_timestamp_dir, "/var/run/sudo/ts");
        CHECK_STR(c.jitctl_path, "/opt/bin/jitctl");
        CHECK_INT(c.policy[JIT_ACTION_LOGIN].on_expiry, ON_EXPIRY_KEEP);
        CHECK_INT(c.policy[JIT_ACTION_SUDO].on_expiry, ON_EXPIRY_TERMINATE);

        /* --check-config prints them so that they read back the same. */
        {
                const char *printed = tmp_path("printed.conf");
                FILE *f = fopen(printed, "we");
                Config again = {};

                CHECK(f != NULL);
                if (f) {
                        config_print(&c, f);
                        fclose(f);
                }
                CHECK_INT(config_load(&again, printed, true, &err), 0);
                CHECK_INT(again.warn_before_sec, 0);
                CHECK_INT(again.policy[JIT_ACTION_LOGIN].on_expiry, ON_EXPIRY_KEEP);
                CHECK_STR(again.jitctl_path, "/opt/bin/jitctl");
                config_free(&again);
        }
        config_free(&c);

        write_file(path, "[jitd]\nwarn_before = 1h30m\nsudo_timestamp_dir =\n");
        CHECK_INT(config_load(&c, path, true, &err), 0);
        CHECK_INT(c.warn_before_sec, 5400);
        CHECK_STR(c.sudo_timestamp_dir, ""); /* off */
        config_free(&c);

        write_file(path, "[login]\non_expiry = kill\n");
        CHECK_INT(config_load(&c, path, true, &err), -EINVAL);
        CHECK(strstr(err.message, "on_expiry") && strstr(err.message, "'kill'"));
        write_file(path, "[jitd]\nwarn_before = 2d\n");
        CHECK_INT(config_load(&c, path, true, &err), -EINVAL);
        CHECK(strstr(err.message, "out of range") != NULL);
        write_file(path, "[jitd]\nsudo_timestamp_dir = run/sudo/ts\n");
        CHECK_INT(config_load(&c, path, true, &err), -EINVAL);
        CHECK(strstr(err.message, "absolute") != NULL);
}

static void test_timer_names(void) {
        char buf[64];

        CHECK_INT(systemd_timer_unit_name("g4za8hy3d8083168a", ".timer", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "jit-expire-g4za8hy3d8083168a.timer");
        CHECK_INT(systemd_timer_unit_name("../etc", ".timer", buf, sizeof(buf)), -EINVAL);
        CHECK_INT(systemd_timer_unit_name("r4za8hy3d8083168a", ".timer", buf, sizeof(buf)), -EINVAL);

        /* UTC whatever the host's zone says. */
        setenv("TZ", "America/New_York", 1);
        CHECK_INT(systemd_calendar_spec(1763900705, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "2025-11-23 12:25:05 UTC");
        CHECK_INT(systemd_calendar_spec(0, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "1970-01-01 00:00:00 UTC");
        unsetenv("TZ");
}

static void test_tty_names(void) {
        static const struct {
                const char *in, *out;
        } table[] = {
                { "/dev/pts/3", "/dev/pts/3" }, { "pts/17", "/dev/pts/17" }, { "tty1", "/dev/tty1" },
                { "/dev/ttyS0", "/dev/ttyS0" }, { "ssh", NULL },             { ":0", NULL },
                { "", NULL },                   { "/dev/tty", NULL },        { "/dev/pts/", NULL },
                { "/dev/pts/3/../../sda", NULL }, { "/dev/pts/x", NULL },    { "/tmp/pts/3", NULL },
                { "/dev/tty1/x", NULL },        { "pts/1234567890", NULL },
        };
        char buf[32];

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                int r = tty_path_from_name(table[i].in, buf, sizeof(buf));

                if (table[i].out) {
                        CHECK_INT(r, 0);
                        CHECK_STR(buf, table[i].out);
                } else if (r != -EINVAL) {
                        fprintf(stderr, "tty_path_from_name(\"%s\") accepted\n", table[i].in);
                        CHECK_INT(r, -EINVAL);
                }
        }
        CHECK_INT(tty_path_from_name(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_tty_write(void) {
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        const char *name;
        char buf[256] = "";
        ssize_t n;

        /* A character device, but no tty. */
        CHECK_INT(tty_write_text("/dev/null", getuid(), "x"), -ENOTTY);
        /* A regular file named like nothing we accept is refused by name
         * first; by type here. */
        write_file(tmp_path("file"), "");
        CHECK_INT(tty_write_text(tmp_path("file"), getuid(), "x"), -ENOTTY);
        CHECK(symlink("/dev/null", tmp_path("link")) == 0);
        CHECK_INT(tty_write_text(tmp_path("link"), getuid(), "x"), -ELOOP);

        CHECK(master >= 0);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !(name = ptsname(master))) {
                CHECK(!"pty");
                if (master >= 0)
                        close(master);
                return;
        }
        /* Not the session user's terminal. */
        CHECK_INT(tty_write_text(name, getuid() + 1, "x"), -EPERM);
        CHECK_INT(tty_write_text(name, getuid(), "hello\n"), 0);
        n = read(master, buf, sizeof(buf) - 1);
        CHECK(n > 0);
        buf[n > 0 ? n : 0] = 0;
        CHECK(strstr(buf, "hello") != NULL);
        close(master);
}

static void test_warning_text(void) {
        GrantRecord g = make_grant("g4za8hy3d8083168a", "alice", JIT_ACTION_LOGIN, 1763900705);
        char buf[512];

        CHECK_INT(expiry_warning_text(&g, 1763900405, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "\r\npam_jit: your access (login grant g4za8hy3d8083168a) ends at 12:25 UTC; run "
                       "`jitctl extend --action login` to ask for more time.\r\n");
        /* Another day: the date too. */
        g.action = JIT_ACTION_SUDO;
        CHECK_INT(expiry_warning_text(&g, 1763900705 - 86400, buf, sizeof(buf)), 0);
        CHECK(strstr(buf, "(sudo grant g4za8hy3d8083168a) ends at 2025-11-23 12:25 UTC;") != NULL);
        CHECK(strstr(buf, "--action sudo") != NULL);
}

static void test_sudo_timestamp(void) {
        char dir[600], target[600];
        struct stat st;

        snprintf(dir, sizeof(dir), "%s/ts", tmpdir);
        CHECK_INT(mkdir(dir, 0700), 0);

        CHECK_INT(sudo_timestamp_drop(dir, "alice"), 0); /* nothing there */
        write_file(tmp_path("ts/alice"), "");
        CHECK_INT(sudo_timestamp_drop(dir, "alice"), 1);
        CHECK(lstat(tmp_path("ts/alice"), &st) < 0 && errno == ENOENT);

        /* A symlink under the user's name: neither followed nor removed. */
        snprintf(target, sizeof(target), "%s", tmp_path("precious"));
        write_file(target, "keep");
        CHECK_INT(symlink(target, tmp_path("ts/bob")), 0);
        CHECK_INT(sudo_timestamp_drop(dir, "bob"), -ELOOP);
        CHECK_INT(lstat(target, &st), 0);
        CHECK_INT(lstat(tmp_path("ts/bob"), &st), 0);

        CHECK_INT(mkdir(tmp_path("ts/carol"), 0700), 0);
        CHECK_INT(sudo_timestamp_drop(dir, "carol"), -EPERM);

        /* Names that are not user names never become paths. */
        CHECK_INT(sudo_timestamp_drop(dir, ".."), -EINVAL);
        CHECK_INT(sudo_timestamp_drop(dir, "../precious"), -EINVAL);
        CHECK_INT(sudo_timestamp_drop(dir, ""), -EINVAL);
        CHECK_INT(sudo_timestamp_drop("ts", "alice"), -EINVAL);
        CHECK_INT(lstat(target, &st), 0);

        /* The directory itself a symlink: not followed. */
        CHECK_INT(symlink(dir, tmp_path("ts-link")), 0);
        write_file(tmp_path("ts/alice"), "");
        CHECK_INT(sudo_timestamp_drop(tmp_path("ts-link"), "alice"), -ENOTDIR); /* O_DIRECTORY|O_NOFOLLOW */
        CHECK_INT(lstat(tmp_path("ts/alice"), &st), 0);

        /* No directory (sudo not used since boot): nothing to do. */
        CHECK_INT(sudo_timestamp_drop(tmp_path("no-such-dir"), "alice"), 0);
}

/* Line `n` (0, 1, ...) of the --audit-log file, parsed. */
static struct json_object *audit_line(const char *path, unsigned n) {
        char line[4096];
        FILE *f = fopen(path, "re");
        struct json_object *o = NULL;

        if (!f)
                return NULL;
        for (unsigned i = 0; fgets(line, sizeof line, f); i++)
                if (i == n) {
                        o = json_tokener_parse(line);
                        break;
                }
        fclose(f);
        return o;
}

static const char *audit_field(struct json_object *o, const char *key) {
        struct json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* What an admin auditing a grant sees when jitd cannot end its sessions:
 * a session-teardown-failed entry per attempt, found by the grant's id,
 * warning while it retries and crit with what to do when it gives up. */
static void test_teardown_failed_audit(void) {
        const char *path = tmp_path("audit.jsonl");
        char host[256] = "", want[1024];
        GrantRecord g = {
                .action = JIT_ACTION_LOGIN,
                .state = GRANT_EXPIRED,
        };
        struct json_object *o;

        snprintf(g.id, sizeof g.id, "g0123456789abcdef");
        snprintf(g.request_id, sizeof g.request_id, "r0123456789abcdef");
        snprintf(g.user, sizeof g.user, "alice");
        (void) gethostname(host, sizeof host - 1);

        CHECK_INT(audit_open_file(path), 0);
        teardown_audit_failed(&g, 1, -EIO, "cannot ask logind about session 3: Unit is masked.\n", 2);
        teardown_audit_failed(&g, 8, -ECONNRESET, NULL, 0);
        audit_close_file();

        o = audit_line(path, 0);
        CHECK(o != NULL);
        CHECK_STR(audit_field(o, "JIT_EVENT"), "session-teardown-failed");
        CHECK_STR(audit_field(o, "MESSAGE_ID"), JIT_MESSAGE_ID_SESSION_TEARDOWN_FAILED);
        CHECK_STR(audit_field(o, "PRIORITY"), "4");
        CHECK_STR(audit_field(o, "SYSLOG_IDENTIFIER"), "jitd");
        CHECK_STR(audit_field(o, "JIT_GRANT_ID"), "g0123456789abcdef");
        CHECK_STR(audit_field(o, "JIT_REQUEST_ID"), "r0123456789abcdef");
        CHECK_STR(audit_field(o, "JIT_USER"), "alice");
        CHECK_STR(audit_field(o, "JIT_ACTION"), "login");
        CHECK_STR(audit_field(o, "JIT_ATTEMPTS"), "1");
        /* logind's text is sanitised: no line break to forge entries with */
        CHECK(audit_field(o, "JIT_REASON") && !strchr(audit_field(o, "JIT_REASON"), '\n'));
        snprintf(want, sizeof want,
                 "could not end alice's sessions under login grant g0123456789abcdef on %s (attempt 1 of 8): "
                 "cannot ask logind about session 3: Unit is masked.",
                 host);
        CHECK(audit_field(o, "MESSAGE") && strncmp(audit_field(o, "MESSAGE"), want, strlen(want)) == 0);
        CHECK(audit_field(o, "MESSAGE") && strstr(audit_field(o, "MESSAGE"), "; trying again in 2s"));
        json_object_put(o);

        o = audit_line(path, 1);
        CHECK(o != NULL);
        CHECK_STR(audit_field(o, "JIT_EVENT"), "session-teardown-failed");
        CHECK_STR(audit_field(o, "PRIORITY"), "2"); /* crit */
        CHECK_STR(audit_field(o, "JIT_GRANT_ID"), "g0123456789abcdef");
        CHECK_STR(audit_field(o, "JIT_ATTEMPTS"), "8");
        CHECK_STR(audit_field(o, "JIT_REASON"), strerror(ECONNRESET));
        snprintf(want, sizeof want,
                 "gave up ending alice's sessions under login grant g0123456789abcdef on %s after 8 attempts: "
                 "%s; they may still be running: end them by hand (loginctl terminate-user alice)",
                 host, strerror(ECONNRESET));
        CHECK_STR(audit_field(o, "MESSAGE"), want);
        json_object_put(o);

        CHECK(audit_line(path, 2) == NULL);
}

typedef struct Done {
        unsigned calls;
        int result;
} Done;

static void on_done(Manager *m, int result, const char *error, void *userdata) {
        Done *d = userdata;

        d->calls++;
        d->result = result;
}

static unsigned audit_lines(const char *path) {
        char line[4096];
        unsigned n = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return 0;
        while (fgets(line, sizeof line, f))
                n++;
        fclose(f);
        return n;
}

/* The cases that never reach systemd: the end of a sudo grant, a user with
 * another live login grant, a user who no longer exists, and no bus. Each
 * answers at once, with success (a teardown must not be retried for them),
 * and audits nothing. That the manager is killed, and that another live
 * login grant keeps it, needs systemd: the e2e suite's lifecycle.sh cases
 * scheduled_jobs and user_manager. */
static void test_user_manager(void) {
        const char *path = tmp_path("um-audit.jsonl");
        int64_t now = jit_now_realtime();
        char unit[32], host[256] = "", want[512];
        GrantRecord ended = make_grant("g0000000000000201", "nobody", JIT_ACTION_LOGIN, now - 5),
                    other = make_grant("g0000000000000202", "nobody", JIT_ACTION_LOGIN, now + 3600),
                    sudo = make_grant("g0000000000000203", "nobody", JIT_ACTION_SUDO, now - 5),
                    ghost = make_grant("g0000000000000204", "no-such-user-jit", JIT_ACTION_LOGIN, now - 5);
        Manager m = {};
        Done d;
        struct json_object *o;

        CHECK_INT(user_manager_unit_name(1000, unit, sizeof unit), 0);
        CHECK_STR(unit, "user@1000.service");
        CHECK_INT(user_manager_unit_name(4294967294U, unit, 10), -ENAMETOOLONG);

        CHECK_INT(store_open(tmp_path("um.db"), &m.store), 0);
        if (!m.store)
                return;
        ended.state = sudo.state = ghost.state = GRANT_EXPIRED;
        CHECK_INT(store_insert_grant(m.store, &ended), 0);
        CHECK_INT(store_insert_grant(m.store, &other), 0);
        CHECK_INT(audit_open_file(path), 0);

        d = (Done) { .result = 1 };
        user_manager_stop(&m, &sudo, "expired", on_done, &d);
        CHECK_INT(d.calls, 1);
        CHECK_INT(d.result, 0);

        d = (Done) { .result = 1 };
        user_manager_stop(&m, &ended, "expired", on_done, &d); /* `other` is live */
        CHECK_INT(d.calls, 1);
        CHECK_INT(d.result, 0);

        d = (Done) { .result = 1 };
        user_manager_stop(&m, &ghost, "was revoked", on_done, &d);
        CHECK_INT(d.calls, 1);
        CHECK_INT(d.result, 0);

        CHECK_INT(store_end_grant(m.store, other.id, GRANT_REVOKED, "carol", "carol", now, NULL), 0);
        d = (Done) { .result = 1 };
        user_manager_stop(&m, &ended, "expired", on_done, &d); /* the last one, but no bus */
        CHECK_INT(d.calls, 1);
        CHECK_INT(d.result, 0);
        CHECK_INT(audit_lines(path), 0);

        /* The entry itself: found by grant and unit, text sanitised. */
        (void) gethostname(host, sizeof host - 1);
        audit_log(AUDIT_USER_MANAGER_STOPPED,
                  &(AuditFields) {
                          .grant_id = ended.id,
                          .request_id = "r0000000000000201",
                          .user = "nobody",
                          .action = "login",
                          .unit = "user@65534.service\nFORGED=1",
                          .reason = "expired",
                          .expires = ended.expires_at,
                  });
        audit_close_file();
        o = audit_line(path, 0);
        CHECK(o != NULL);
        CHECK_STR(audit_field(o, "JIT_EVENT"), "user-manager-stopped");
        CHECK_STR(audit_field(o, "MESSAGE_ID"), JIT_MESSAGE_ID_USER_MANAGER_STOPPED);
        CHECK_STR(audit_field(o, "PRIORITY"), "5");
        CHECK_STR(audit_field(o, "JIT_GRANT_ID"), ended.id);
        CHECK_STR(audit_field(o, "JIT_USER"), "nobody");
        CHECK(audit_field(o, "JIT_UNIT") && !strchr(audit_field(o, "JIT_UNIT"), '\n'));
        CHECK(audit_field(o, "JIT_UNIT") && strncmp(audit_field(o, "JIT_UNIT"), "user@65534.service", 18) == 0);
        snprintf(want, sizeof want, "ended nobody's user manager user@65534.service");
        CHECK(audit_field(o, "MESSAGE") && strncmp(audit_field(o, "MESSAGE"), want, strlen(want)) == 0);
        snprintf(want, sizeof want, " on %s because login grant %s expired, their last live login grant", host,
                 ended.id);
        CHECK(audit_field(o, "MESSAGE") && strstr(audit_field(o, "MESSAGE"), want));
        json_object_put(o);
        store_close(m.store);
}

int main(void) {
        char cmd[512];

        snprintf(tmpdir, sizeof tmpdir, "/tmp/jit-test-lifecycle.XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }

        test_migration_from_v1();
        test_extension_approval();
        test_deadlines();
        test_config_keys();
        test_timer_names();
        test_tty_names();
        test_tty_write();
        test_warning_text();
        test_sudo_timestamp();
        test_teardown_failed_audit();
        test_user_manager();

        snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", tmpdir);
        (void) !system(cmd);
        return test_result("jitd/test_lifecycle");
}
