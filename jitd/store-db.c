/* The store's SQLite plumbing, in one place (store-db.h): the connection
 * and its prepared statements, binding typed arguments, stepping, reading
 * columns as hostile input, the mapping of SQLite results to -errno, and
 * the flat nested transactions. Besides store-schema.c (schema, migrations,
 * the checks at open) this is the only file of jitd that includes
 * sqlite3.h: the table files (store-grants.c, store-requests.c, ...) say
 * which rows, this file says how.
 *
 * The store is used from one thread (SQLITE_OPEN_NOMUTEX). */

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macros.h"
#include "store-internal.h"

const char *const store_db_sql[_STMT_MAX] = {
        [STMT_BEGIN] = "BEGIN IMMEDIATE",
        [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",
};

/* Each table file's statements; every id is in exactly one. */
static const char *const *const statement_tables[] = {
        store_db_sql,       store_grants_sql, store_requests_sql, store_sessions_sql,
        store_teardowns_sql, store_outbox_sql, store_approvals_sql, store_retention_sql,
};

/* ---- errors ---- */

int store_sqlite_errno(int rc) {
        switch (rc) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
                return -EEXIST;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
                return -ENOENT;
        }
        switch (rc & 0xff) {
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_CONSTRAINT:
        case SQLITE_TOOBIG:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

/* ---- the connection ---- */

int store_new(const char *path, Store **ret) {
        Store *s;
        int rc;

        s = calloc(1, sizeof(Store));
        if (!s)
                return -ENOMEM;
        s->path = strdup(path);
        if (!s->path) {
                free(s);
                return -ENOMEM;
        }
        rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                                     SQLITE_OPEN_NOFOLLOW,
                             NULL);
        if (rc != SQLITE_OK) {
                store_log(path, "cannot open: %s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
                store_close(s);
                return store_sqlite_errno(rc);
        }
        sqlite3_extended_result_codes(s->db, 1);
        *ret = s;
        return 0;
}

int store_prepare_statements(Store *s) {
        for (size_t i = 0; i < _STMT_MAX; i++) {
                const char *sql = NULL;
                int rc;

                for (size_t t = 0; t < ELEMENTSOF(statement_tables); t++) {
                        if (!statement_tables[t][i])
                                continue;
                        if (sql)
                                return -EINVAL; /* two files claim one id */
                        sql = statement_tables[t][i];
                }
                if (!sql)
                        return -EINVAL;
                rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL);
                if (rc != SQLITE_OK) {
                        store_log(s->path, "cannot prepare statement %zu: %s", i, sqlite3_errmsg(s->db));
                        return store_sqlite_errno(rc);
                }
        }
        return 0;
}

void store_close(Store *s) {
        if (!s)
                return;
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(s->stmt[i]);
        sqlite3_close(s->db);
        free(s->path);
        free(s);
}

int store_schema_version(Store *s) {
        return s ? s->schema_version : -EINVAL;
}

sqlite3 *store_get_sqlite(Store *s) {
        return s ? s->db : NULL;
}

/* ---- statements ---- */

void store_statement_resetp(StoreStatement **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}

static int bind_arg(sqlite3_stmt *st, int i, const SqlArg *a) {
        const char *text = a->p;
        int rc;

        switch (a->type) {
        case SQL_ARG_TEXT:
                rc = sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
                break;
        case SQL_ARG_TEXT_OR_EMPTY:
                rc = sqlite3_bind_text(st, i, text ?: "", -1, SQLITE_STATIC);
                break;
        case SQL_ARG_TEXT_OR_NULL:
                rc = text && *text ? sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
                break;
        case SQL_ARG_INT:
                rc = sqlite3_bind_int64(st, i, a->i);
                break;
        case SQL_ARG_BLOB:
                rc = sqlite3_bind_blob(st, i, a->p, (int) a->i, SQLITE_STATIC);
                break;
        case SQL_ARG_SKIP:
                return 0;
        default:
                return -EINVAL;
        }
        return rc == SQLITE_OK ? 0 : -ENOMEM;
}

int store_query(Store *s, StatementId id, StoreStatement **ret, const SqlArg *args, size_t n) {
        sqlite3_stmt *st;

        if (!s || (unsigned) id >= _STMT_MAX)
                return -EINVAL;
        st = s->stmt[id];
        if (!st)
                return -EIO;
        if (sqlite3_stmt_busy(st))
                return -EBUSY;
        for (size_t i = 0; i < n; i++)
                if (bind_arg(st, (int) i + 1, args + i) < 0) {
                        sqlite3_clear_bindings(st);
                        return -ENOMEM;
                }
        *ret = st;
        return 0;
}

int sql_next(StoreStatement *st) {
        int rc = sqlite3_step(st);

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_sqlite_errno(rc);
}

int sql_run(StoreStatement *st) {
        int k;

        while ((k = sql_next(st)) > 0)
                ;
        return k;
}

int store_exec(Store *s, StatementId id, const SqlArg *args, size_t n) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k;

        k = store_query(s, id, &st, args, n);
        if (k < 0)
                return k;
        k = sql_run(st);
        return k < 0 ? k : sqlite3_changes(s->db);
}

int store_query_first(Store *s, StatementId id, StoreStatement **ret, const SqlArg *args, size_t n) {
        int k;

        k = store_query(s, id, ret, args, n);
        if (k < 0)
                return k;
        return sql_next(*ret);
}

int store_query_int(Store *s, StatementId id, const SqlArg *args, size_t n, int64_t *ret) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k;

        k = store_query_first(s, id, &st, args, n);
        if (k <= 0)
                return k < 0 ? k : -EIO;
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
                return 0;
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
                return -EIO;
        *ret = sqlite3_column_int64(st, 0);
        return 1;
}

int store_query_row(Store *s, StatementId id, const SqlArg *args, size_t n, RowReader reader, void *ret) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k;

        k = store_query_first(s, id, &st, args, n);
        if (k <= 0)
                return k;
        k = reader(st, ret);
        return k < 0 ? k : 1;
}

/* ---- reading rows (the file is input like any other) ---- */

int sql_column_string(StoreStatement *st, int col, char *buf, size_t size, bool required) {
        const unsigned char *t;
        int type = sqlite3_column_type(st, col);
        int n;

        if (type == SQLITE_NULL) {
                if (required)
                        return -EIO;
                buf[0] = '\0';
                return 0;
        }
        if (type != SQLITE_TEXT)
                return -EIO;
        t = sqlite3_column_text(st, col);
        n = sqlite3_column_bytes(st, col);
        if (!t)
                return -ENOMEM;
        if (n < 0 || (size_t) n >= size || memchr(t, '\0', (size_t) n) || (required && n == 0))
                return -EIO;
        memcpy(buf, t, (size_t) n);
        buf[n] = '\0';
        return 0;
}

int sql_column_int(StoreStatement *st, int col, int64_t *ret) {
        if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
                return -EIO;
        *ret = sqlite3_column_int64(st, col);
        return 0;
}

int sql_column_blob(StoreStatement *st, int col, void *buf, size_t size) {
        const void *blob = sqlite3_column_blob(st, col);

        if (sqlite3_column_type(st, col) != SQLITE_BLOB || sqlite3_column_bytes(st, col) != (int) size || !blob)
                return -EIO;
        memcpy(buf, blob, size);
        return 0;
}

/* The store's spelling of an action is the protocol's (jit_action_*()):
 * the schema's CHECK (action IN ('login', 'sudo')) holds both to it. */
int sql_column_action(StoreStatement *st, int col, JitAction *ret) {
        char buf[16];

        if (sql_column_string(st, col, buf, sizeof buf, true) < 0)
                return -EIO;
        *ret = jit_action_from_string(buf);
        return *ret < 0 ? -EIO : 0;
}

/* ---- collecting rows ---- */

static void *row_array_next(RowArray *a) {
        if (a->n >= a->allocated) {
                size_t want = a->allocated ? a->allocated * 2 : 16;
                void *p = reallocarray(a->items, want, a->item_size);
                if (!p)
                        return NULL;
                a->items = p;
                a->allocated = want;
        }
        return (uint8_t *) a->items + a->n * a->item_size;
}

int store_collect_rows(StoreStatement *st, RowReader reader, size_t max, RowArray *a) {
        int k;

        while ((k = sql_next(st)) > 0) {
                void *slot;

                if (max > 0 && a->n >= max)
                        return 0;
                slot = row_array_next(a);
                if (!slot)
                        return -ENOMEM;
                k = reader(st, slot);
                if (k < 0)
                        return k;
                a->n++;
        }
        return k;
}

int store_query_rows(Store *s, StatementId id, const SqlArg *args, size_t n, RowReader reader, size_t max,
                     RowArray *ret) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        RowArray a = { .item_size = ret->item_size };
        int k;

        k = store_query(s, id, &st, args, n);
        if (k < 0)
                return k;
        k = store_collect_rows(st, reader, max, &a);
        if (k < 0) {
                free(a.items);
                return k;
        }
        *ret = a;
        return 0;
}

int store_query_each(Store *s, StatementId id, const SqlArg *args, size_t n, RowReader reader, size_t item_size,
                     RowVisitor visit, void *ctx) {
        RowArray a = { .item_size = item_size };
        int k;

        k = store_query_rows(s, id, args, n, reader, 0, &a);
        if (k < 0)
                return k;
        for (size_t i = 0; i < a.n && k >= 0; i++)
                k = visit((const uint8_t *) a.items + i * item_size, ctx);
        free(a.items);
        return k < 0 ? k : (int) a.n;
}

int store_list_by_user(Store *s, const StatementId ids[static 4], const char *user, bool live_only, int64_t now,
                       unsigned limit, RowReader reader, size_t item_size, RowVisitor visit, void *ctx) {
        StatementId id;

        if (!s || !arg_ok(user, JIT_USER_MAX, false))
                return -EINVAL;
        if (user && !*user)
                user = NULL;
        id = ids[(live_only ? 2 : 0) + (user ? 1 : 0)];
        return store_query_each(s, id,
                                SQL_ARGS(user ? SQL_TEXT(user) : SQL_SKIP, live_only ? SQL_INT(now) : SQL_SKIP,
                                         SQL_INT(store_clamp_limit(limit))),
                                reader, item_size, visit, ctx);
}

/* ---- state transitions that lost a race ---- */

int store_stale_or_missing(Store *s, StatementId exists, const char *id) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k;

        k = store_query_first(s, exists, &st, SQL_ARGS(SQL_TEXT(id)));
        if (k < 0)
                return k;
        return k > 0 ? -ESTALE : -ENOENT;
}

int store_step_returning(Store *s, StoreStatement **st, StatementId exists, const char *id) {
        int k = sql_next(*st);

        if (k == 0) {
                store_statement_resetp(st);
                return store_stale_or_missing(s, exists, id);
        }
        return k;
}

/* ---- transactions ---- */

static int store_begin(Store *s) {
        int r;

        if (s->tx_depth > 0) {
                s->tx_depth++;
                return 0;
        }
        r = store_exec(s, STMT_BEGIN, SQL_NO_ARGS);
        if (r >= 0) {
                s->tx_depth = 1;
                s->tx_failed = false;
        }
        return r < 0 ? r : 0;
}

static int store_commit(Store *s) {
        int r;

        if (s->tx_depth > 1) {
                s->tx_depth--;
                return 0;
        }
        /* A part failed: the caller's cleanup rolls all of it back. */
        if (s->tx_failed)
                return -ECANCELED;
        r = store_exec(s, STMT_COMMIT, SQL_NO_ARGS);
        if (r >= 0)
                s->tx_depth = 0;
        return r < 0 ? r : 0;
}

/* Cleanup for a transaction that did not reach COMMIT. */
void store_rollbackp(Store **s) {
        if (!*s)
                return;
        if ((*s)->tx_depth > 1) {
                (*s)->tx_depth--;
                (*s)->tx_failed = true;
                return;
        }
        if (!sqlite3_get_autocommit((*s)->db))
                (void) store_exec(*s, STMT_ROLLBACK, SQL_NO_ARGS);
        (*s)->tx_depth = 0;
        (*s)->tx_failed = false;
}

int store_begin_tx(Store *s, Store **tx) {
        int k = store_begin(s);

        if (k >= 0)
                *tx = s;
        return k;
}

int store_commit_tx(Store **tx) {
        int k = store_commit(*tx);

        if (k >= 0)
                *tx = NULL;
        return k;
}

int store_transaction_begin(Store *s) {
        return s ? store_begin(s) : -EINVAL;
}

int store_transaction_commit(Store *s) {
        return s ? store_commit(s) : -EINVAL;
}

void store_transaction_rollback(Store *s) {
        store_rollbackp(&s);
}
