/* The store's plumbing, for the store-*.c table files only (never for the
 * rest of jitd, which sees store.h and store-outbox.h): the ids of the
 * prepared statements, running a statement with typed arguments, reading
 * columns as hostile input, collecting rows so callbacks run with no
 * statement in flight, and the nested transaction helpers. store-db.c
 * implements it on SQLite; this header names no SQLite type, so a table
 * file cannot reach past it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "macros.h"
#include "store.h"

#define STORE_LIST_MAX 10000U  /* rows handed out by one listing */
#define STORE_EXPIRE_BATCH 256 /* rows changed per transaction in store_expire_due() */

/* Every statement of the store, prepared once at open (store_open()) and
 * kept: Check runs on every login and sudo. Each table file defines the
 * SQL of its own ids in a table of its own (store_*_sql[] below). */
typedef enum StatementId {
        STMT_BEGIN, /* store-db.c */
        STMT_COMMIT,
        STMT_ROLLBACK,
        STMT_FIND_LIVE_GRANT, /* store-grants.c */
        STMT_CHECK_LIVE_GRANT,
        STMT_GET_GRANT,
        STMT_GRANT_EXISTS,
        STMT_APPROVE_REQUEST,
        STMT_INSERT_GRANT,
        STMT_END_GRANT,
        STMT_SUPERSEDE_GRANT,
        STMT_MOVE_SESSIONS,
        STMT_EXPIRE_GRANTS,
        STMT_EXPIRE_REQUESTS,
        STMT_NEXT_DEADLINE,
        STMT_NEXT_GRANT_DEADLINE_AFTER,
        STMT_LIST_GRANTS_EXPIRING,
        STMT_LIST_GRANTS,
        STMT_LIST_GRANTS_USER,
        STMT_LIST_ACTIVE,
        STMT_LIST_ACTIVE_USER,
        STMT_FIND_PENDING_REQUEST, /* store-requests.c */
        STMT_FIND_RECENT_REQUEST,
        STMT_NTH_NEWEST_REQUEST,
        STMT_INSERT_REQUEST,
        STMT_UPDATE_REQUEST_REASON,
        STMT_GET_REQUEST,
        STMT_REQUEST_EXISTS,
        STMT_DENY_REQUEST,
        STMT_LIST_REQUESTS,
        STMT_LIST_REQUESTS_USER,
        STMT_LIST_PENDING,
        STMT_LIST_PENDING_USER,
        STMT_CLOSE_STALE_SESSION, /* store-sessions.c */
        STMT_INSERT_SESSION,
        STMT_CLOSE_SESSION,
        STMT_LIST_SESSIONS,
        STMT_LIST_SESSIONS_OPEN,
        STMT_LIST_SESSIONS_GRANT,
        STMT_LIST_SESSIONS_GRANT_OPEN,
        STMT_TEARDOWN_INSERT, /* store-teardowns.c */
        STMT_TEARDOWN_SET_REASON,
        STMT_TEARDOWN_GET,
        STMT_TEARDOWN_LIST_DUE,
        STMT_TEARDOWN_NEXT_DUE,
        STMT_TEARDOWN_ATTEMPT,
        STMT_TEARDOWN_DONE,
        STMT_TEARDOWN_ALL_DUE,
        STMT_OUTBOX_INSERT, /* store-outbox.c */
        STMT_OUTBOX_LIST_DUE,
        STMT_OUTBOX_LIST_FAIR,
        STMT_OUTBOX_NEXT_DUE_AFTER,
        STMT_OUTBOX_NEXT_DUE,
        STMT_OUTBOX_UPDATE,
        STMT_OUTBOX_LIST_REQUEST,
        STMT_OUTBOX_REQUEUE_ENDED,
        STMT_OUTBOX_REQUEUE_PENDING,
        STMT_OUTBOX_ENDPOINTS,
        STMT_OUTBOX_CANCEL_ENDPOINT,
        STMT_OUTBOX_COUNT,
        STMT_REVIEW_LINK_INSERT,
        STMT_REVIEW_LINK_GET,
        STMT_REVIEW_LINKS_PURGE,
        STMT_APPROVAL_REQUEST_OPEN, /* store-approvals.c */
        STMT_APPROVAL_INSERT,
        STMT_APPROVAL_TALLY,
        STMT_APPROVAL_COUNT,
        STMT_APPROVAL_HAS,
        STMT_APPROVAL_LIST,
        STMT_PRUNE_MESSAGES, /* store-retention.c */
        STMT_PRUNE_SESSIONS,
        STMT_PRUNE_GRANTS,
        STMT_PRUNE_APPROVALS,
        STMT_PRUNE_REVIEW_LINKS,
        STMT_PRUNE_REQUEST_MESSAGES,
        STMT_PRUNE_REQUESTS,
        _STMT_MAX,
} StatementId;

/* The SQL of each table file's statements, indexed by id (NULL for the
 * others' ids). store-db.c checks at open that each id has exactly one. */
extern const char *const store_db_sql[_STMT_MAX];
extern const char *const store_grants_sql[_STMT_MAX];
extern const char *const store_requests_sql[_STMT_MAX];
extern const char *const store_sessions_sql[_STMT_MAX];
extern const char *const store_teardowns_sql[_STMT_MAX];
extern const char *const store_outbox_sql[_STMT_MAX];
extern const char *const store_approvals_sql[_STMT_MAX];
extern const char *const store_retention_sql[_STMT_MAX];

/* The columns each file reads back, in the order its reader expects. */
#define REQUEST_COLUMNS                                                                                    \
        "id, user, action, service, rhost, tty, reason, duration, match_code, state, created_at, expires_at, " \
        "decided_at, decided_by, decision_reason, grant_id, extends_grant_id, decided_by_person"
#define GRANT_COLUMNS                                                                                      \
        "id, request_id, user, action, created_at, expires_at, approver, reason, state, breakglass, ended_at, " \
        "ended_by, extends_grant_id, extended_by, approver_person, ended_by_person"

/* A statement in flight; opaque here (a sqlite3_stmt in store-db.c). */
typedef struct sqlite3_stmt StoreStatement;

/* One argument of a statement, bound to ?1, ?2, ... in order. */
typedef enum SqlArgType {
        SQL_ARG_TEXT,          /* as is: NULL binds SQL NULL */
        SQL_ARG_TEXT_OR_EMPTY, /* NULL binds '' (for NOT NULL columns) */
        SQL_ARG_TEXT_OR_NULL,  /* NULL and '' bind SQL NULL (grants.request_id) */
        SQL_ARG_INT,
        SQL_ARG_BLOB,
        SQL_ARG_SKIP, /* this ?N is not in the statement */
} SqlArgType;

typedef struct SqlArg {
        SqlArgType type;
        const void *p;
        int64_t i; /* the value, or a blob's size */
} SqlArg;

#define SQL_TEXT(v) ((SqlArg){ .type = SQL_ARG_TEXT, .p = (v) })
#define SQL_TEXT_OR_EMPTY(v) ((SqlArg){ .type = SQL_ARG_TEXT_OR_EMPTY, .p = (v) })
#define SQL_TEXT_OR_NULL(v) ((SqlArg){ .type = SQL_ARG_TEXT_OR_NULL, .p = (v) })
#define SQL_INT(v) ((SqlArg){ .type = SQL_ARG_INT, .i = (int64_t) (v) })
#define SQL_BLOB(ptr, n) ((SqlArg){ .type = SQL_ARG_BLOB, .p = (ptr), .i = (int64_t) (n) })
#define SQL_SKIP ((SqlArg){ .type = SQL_ARG_SKIP })
/* The argument list of store_query() and friends. */
#define SQL_ARGS(...) (const SqlArg[]){ __VA_ARGS__ }, ELEMENTSOF(((const SqlArg[]){ __VA_ARGS__ }))
#define SQL_NO_ARGS NULL, 0

/* Every statement is used by one caller at a time (-EBUSY otherwise: a
 * callback that reaches back into a statement still stepping). Bound and
 * ready to step in *ret; the cleanup resets it. */
int store_query(Store *s, StatementId id, StoreStatement **ret, const SqlArg *args, size_t n);
void store_statement_resetp(StoreStatement **st);
#define _cleanup_stmt_ _cleanup_(store_statement_resetp)

/* Run a statement to its end: the number of rows it changed, or -errno
 * (-EEXIST a key taken, -ENOENT a foreign key missing, -EROFS, ...). */
int store_exec(Store *s, StatementId id, const SqlArg *args, size_t n);
/* store_query() and the first step: 1 on a row, 0 if none, <0. */
int store_query_first(Store *s, StatementId id, StoreStatement **ret, const SqlArg *args, size_t n);
/* A one-row, one-column integer query (min(), count()): 1 with *ret,
 * 0 if the value is NULL, -EIO if there is no row. */
int store_query_int(Store *s, StatementId id, const SqlArg *args, size_t n, int64_t *ret);

/* The first row of a query, read by `reader` into *ret: 1, or 0 if none. */
typedef int (*RowReader)(StoreStatement *st, void *ret);
int store_query_row(Store *s, StatementId id, const SqlArg *args, size_t n, RowReader reader, void *ret);

/* 1 with a row, 0 at the end, <0 on error. */
int sql_next(StoreStatement *st);
/* Step to the end (rows not wanted). */
int sql_run(StoreStatement *st);

/* Columns, checked: wrong type, embedded NUL, too long or an empty
 * required string is -EIO (a tampered file), never an overflow. SQL NULL
 * reads as "" where a string is optional. */
int sql_column_string(StoreStatement *st, int col, char *buf, size_t size, bool required);
#define COL_STR(st, col, field, required) sql_column_string((st), (col), (field), sizeof(field), (required))
int sql_column_int(StoreStatement *st, int col, int64_t *ret);
/* Exactly `size` bytes of a BLOB column. */
int sql_column_blob(StoreStatement *st, int col, void *buf, size_t size);
int sql_column_action(StoreStatement *st, int col, JitAction *ret);

/* Transactions (see store.h). A function that opens one holds it in a
 * _cleanup_rollback_ variable: store_begin_tx() sets it to the store,
 * store_commit_tx() commits and clears it, and if it is still set on
 * return the cleanup rolls back (or dooms the caller's outer transaction). */
void store_rollbackp(Store **s);
#define _cleanup_rollback_ _cleanup_(store_rollbackp)
int store_begin_tx(Store *s, Store **tx);
int store_commit_tx(Store **tx);

/* Rows read in full before anything is handed out, so callbacks run with
 * no statement in flight and may call back into the store. */
typedef struct RowArray {
        void *items;
        size_t n, allocated, item_size;
} RowArray;
/* Step `st` to the end (at most `max` rows; 0: no cap), appending each. */
int store_collect_rows(StoreStatement *st, RowReader reader, size_t max, RowArray *a);
/* store_query() and store_collect_rows() in one: on success *ret holds
 * the rows (free ret->items), on failure nothing. */
int store_query_rows(Store *s, StatementId id, const SqlArg *args, size_t n, RowReader reader, size_t max,
                     RowArray *ret);
/* The rows of a query handed to `visit` one by one, once all are read:
 * the number of rows, or the first error (of `visit` too). */
typedef int (*RowVisitor)(const void *item, void *ctx);
/* A RowVisitor `name` that hands each row to a typed callback (StoreGrantCallback,
 * ...): pass it with &(name##_ctx){ cb, userdata }. */
#define DEFINE_ROW_VISITOR(name, callback_type)                 \
        typedef struct name##_ctx {                             \
                callback_type cb;                               \
                void *userdata;                                 \
        } name##_ctx;                                           \
        static int name(const void *item, void *ctx) {          \
                const name##_ctx *v = ctx;                      \
                return v->cb(item, v->userdata);                \
        }
int store_query_each(Store *s, StatementId id, const SqlArg *args, size_t n, RowReader reader, size_t item_size,
                     RowVisitor visit, void *ctx);
/* The listings newest first: ids[] are the statements for everyone, one
 * user (?1), the live rows only (?2 = now), and one user's live rows; the
 * limit is ?3. user NULL or "" means everyone. */
int store_list_by_user(Store *s, const StatementId ids[static 4], const char *user, bool live_only, int64_t now,
                       unsigned limit, RowReader reader, size_t item_size, RowVisitor visit, void *ctx);
/* At most STORE_LIST_MAX; 0 means the maximum. */
static inline unsigned store_clamp_limit(unsigned limit) {
        return limit == 0 || limit > STORE_LIST_MAX ? STORE_LIST_MAX : limit;
}

/* Steps an UPDATE ... RETURNING of the object `id` to its row: 1 on it;
 * if it matched nothing, the statement is reset and the answer is -ESTALE
 * (`exists` finds the object: it is in another state) or -ENOENT. */
int store_step_returning(Store *s, StoreStatement **st, StatementId exists, const char *id);
/* After an UPDATE matched nothing: -ESTALE if `exists` finds `id`, else -ENOENT. */
int store_stale_or_missing(Store *s, StatementId exists, const char *id);

/* Checking what callers hand us. A string in a fixed-size record field
 * must be NUL-terminated inside the field. */
static inline bool field_ok(const char *field, size_t size, bool required) {
        size_t n = strnlen(field, size);
        return n < size && (!required || n > 0);
}
#define FIELD_OK(field, required) field_ok((field), sizeof(field), (required))
/* A string argument with a byte cap. NULL counts as "" for optional ones. */
static inline bool arg_ok(const char *s, size_t max, bool required) {
        if (!s)
                return !required;
        size_t n = strnlen(s, max + 1);
        return n <= max && (!required || n > 0);
}

/* Shared between the table files. */
int read_request(StoreStatement *st, RequestRecord *ret);
int read_request_any(StoreStatement *st, void *ret);
int read_grant(StoreStatement *st, GrantRecord *ret);
int read_grant_any(StoreStatement *st, void *ret);
/* A grant ended: its end actions are pending (store-teardowns.c). Call in
 * the transaction that ends it. */
int store_teardown_insert(Store *s, const char *grant_id, int64_t now);
