/* What test_store.c and test_store_grants.c share: a temporary directory
 * for the store files, fresh stores in it, raw SQL on an open store, and a
 * request and a grant record to insert. Each test is one file, so these are
 * static and their checks count in that file's test_failures. */
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-internal.h"
#include "store.h"
#include "test.h"

static char tmpdir[256];

static inline const char *tmp_path(const char *name) {
        static char buf[8][512];
        static unsigned i;
        char *p = buf[i++ % 8];

        snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
        return p;
}

static inline void remove_db(const char *path) {
        char p[600];

        unlink(path);
        snprintf(p, sizeof p, "%s-wal", path);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", path);
        unlink(p);
}

static inline int64_t sql_int(Store *s, const char *sql) {
        sqlite3_stmt *st = NULL;
        int64_t v = -1;

        if (sqlite3_prepare_v2(store_get_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static inline int sql_exec(Store *s, const char *sql) {
        return sqlite3_exec(store_get_sqlite(s), sql, NULL, NULL, NULL);
}

static inline RequestRecord make_request(const char *id, const char *user, JitAction action, int64_t created,
                                         int64_t expires) {
        RequestRecord r = {
                .action = action,
                .state = REQUEST_PENDING,
                .created_at = created,
                .expires_at = expires,
                .duration_sec = 3600,
        };
        snprintf(r.id, sizeof r.id, "%s", id);
        snprintf(r.user, sizeof r.user, "%s", user);
        snprintf(r.service, sizeof r.service, "sshd");
        snprintf(r.rhost, sizeof r.rhost, "192.0.2.7");
        snprintf(r.tty, sizeof r.tty, "ssh");
        snprintf(r.reason, sizeof r.reason, "deploy hotfix");
        snprintf(r.match_code, sizeof r.match_code, "482-913");
        return r;
}

static inline GrantRecord make_grant(const char *id, const char *user, JitAction action, int64_t created,
                                     int64_t expires) {
        GrantRecord g = {
                .action = action,
                .created_at = created,
                .expires_at = expires,
                .state = GRANT_ACTIVE,
        };
        snprintf(g.id, sizeof g.id, "%s", id);
        snprintf(g.user, sizeof g.user, "%s", user);
        snprintf(g.approver, sizeof g.approver, "carol");
        snprintf(g.reason, sizeof g.reason, "test");
        return g;
}

static inline Store *open_fresh(const char *name) {
        const char *path = tmp_path(name);
        Store *s = NULL;

        remove_db(path);
        CHECK_INT(store_open(path, &s), 0);
        return s;
}


static inline int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

/* Makes the temporary directory under $TMPDIR: false if it cannot. */
static inline bool store_test_begin(const char *name) {
        const char *base = getenv("TMPDIR") ?: "/tmp";

        snprintf(tmpdir, sizeof tmpdir, "%s/%s.XXXXXX", base, name);
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return false;
        }
        return true;
}

/* Removes the directory if every check passed (keeps it to look at if
 * not) and gives the test's exit code. */
static inline int store_test_end(const char *name) {
        if (test_failures == 0)
                (void) nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        else
                fprintf(stderr, "%s: files kept in %s\n", name, tmpdir);
        return test_result(name);
}
