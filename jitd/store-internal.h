/* SQLite-level internals of the store, for store-db.c and store-schema.c
 * (the only files of jitd that include sqlite3.h) and for the store's unit
 * tests, which check pragmas and tamper with rows through the handle. The
 * table files use store-db.h; the rest of jitd, store.h and store-outbox.h. */
#pragma once

#include <sqlite3.h>

#include "store-db.h"
#include "store.h"

struct Store {
        sqlite3 *db;
        char *path;
        int schema_version;
        sqlite3_stmt *stmt[_STMT_MAX];
        /* Transactions nest flat (store_transaction_begin()): an inner
         * begin/commit joins the outer transaction, an inner failure dooms
         * it, and only the outermost commit writes. */
        unsigned tx_depth;
        bool tx_failed;
};

sqlite3 *store_get_sqlite(Store *s);

/* A SQLite result code as -errno: -EEXIST (key taken), -ENOENT (foreign
 * key missing), -ENOMEM, -EBUSY, -ENOSPC, -EROFS, -EINVAL, else -EIO. */
int store_sqlite_errno(int rc);

/* Opening is the one place where the store explains itself: the daemon only
 * sees an errno, and "Input/output error" does not tell an admin that the
 * file is corrupt or from a newer jitd. */
#define store_log(path, fmt, ...) log_error("Store %s: " fmt, (path), ##__VA_ARGS__)

/* store-db.c: a Store around an open connection (no statements yet), and
 * every statement prepared (store_open() calls it after migrating). */
int store_new(const char *path, Store **ret);
int store_prepare_statements(Store *s);
