/* The teardowns table (store.h): one row per grant whose end actions
 * (audit, ending its sessions, sudo's cached credentials) have not all
 * run. Written in the transaction that ends the grant (store-grants.c), so
 * a crash cannot lose it; jitd deletes it when the actions are done. */

#include <errno.h>
#include <stdlib.h>

#include "macros.h"
#include "store-db.h"
#include "store.h"

#define TEARDOWN_COLUMNS "grant_id, reason, audited, attempts, next_attempt_at, created_at"

const char *const store_teardowns_sql[_STMT_MAX] = {
        [STMT_TEARDOWN_INSERT] = "INSERT OR IGNORE INTO teardowns (grant_id, created_at) VALUES (?1, ?2)",
        [STMT_TEARDOWN_SET_REASON] = "UPDATE teardowns SET reason = ?2 WHERE grant_id = ?1",
        [STMT_TEARDOWN_GET] = "SELECT " TEARDOWN_COLUMNS " FROM teardowns WHERE grant_id = ?1",
        [STMT_TEARDOWN_LIST_DUE] = "SELECT " TEARDOWN_COLUMNS " FROM teardowns WHERE next_attempt_at <= ?1"
                                   " ORDER BY next_attempt_at, created_at LIMIT ?2",
        [STMT_TEARDOWN_NEXT_DUE] = "SELECT min(next_attempt_at) FROM teardowns",
        [STMT_TEARDOWN_ATTEMPT] = "UPDATE teardowns SET audited = 1, attempts = ?2, next_attempt_at = ?3"
                                  " WHERE grant_id = ?1",
        [STMT_TEARDOWN_DONE] = "DELETE FROM teardowns WHERE grant_id = ?1",
        [STMT_TEARDOWN_ALL_DUE] = "UPDATE teardowns SET next_attempt_at = 0",
};

static int read_teardown(StoreStatement *st, void *ret) {
        TeardownRecord t = {};
        int64_t audited, attempts;

        if (COL_STR(st, 0, t.grant_id, true) < 0 || COL_STR(st, 1, t.reason, false) < 0 ||
            sql_column_int(st, 2, &audited) < 0 || (audited != 0 && audited != 1) ||
            sql_column_int(st, 3, &attempts) < 0 || attempts < 0 || attempts > UINT32_MAX ||
            sql_column_int(st, 4, &t.next_attempt_at) < 0 || sql_column_int(st, 5, &t.created_at) < 0)
                return -EIO;
        t.audited = audited == 1;
        t.attempts = (unsigned) attempts;
        *(TeardownRecord *) ret = t;
        return 0;
}

int store_teardown_insert(Store *s, const char *grant_id, int64_t now) {
        int k = store_exec(s, STMT_TEARDOWN_INSERT, SQL_ARGS(SQL_TEXT(grant_id), SQL_INT(now)));
        return k < 0 ? k : 0;
}

/* An update of one grant's row: 0, or -ENOENT if it has none. */
static int teardown_update(Store *s, StatementId id, const SqlArg *args, size_t n) {
        int k = store_exec(s, id, args, n);

        if (k < 0)
                return k;
        return k > 0 ? 0 : -ENOENT;
}

int store_set_teardown_reason(Store *s, const char *grant_id, const char *reason) {
        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true) || !arg_ok(reason, JIT_REASON_MAX, false))
                return -EINVAL;
        return teardown_update(s, STMT_TEARDOWN_SET_REASON, SQL_ARGS(SQL_TEXT(grant_id), SQL_TEXT_OR_EMPTY(reason)));
}

int store_get_teardown(Store *s, const char *grant_id, TeardownRecord *ret) {
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_query_row(s, STMT_TEARDOWN_GET, SQL_ARGS(SQL_TEXT(grant_id)), read_teardown, ret);
        if (k < 0)
                return k;
        return k > 0 ? 0 : -ENOENT;
}

int store_list_teardowns_due(Store *s, int64_t now, unsigned limit, TeardownRecord **ret, size_t *ret_n) {
        RowArray a = { .item_size = sizeof(TeardownRecord) };
        int k;

        if (!s || !ret || !ret_n)
                return -EINVAL;
        if (limit == 0 || limit > STORE_EXPIRE_BATCH)
                limit = STORE_EXPIRE_BATCH;
        /* The query's LIMIT bounds it. */
        k = store_query_rows(s, STMT_TEARDOWN_LIST_DUE, SQL_ARGS(SQL_INT(now), SQL_INT(limit)), read_teardown, 0, &a);
        if (k < 0)
                return k;
        *ret = a.items;
        *ret_n = a.n;
        return 0;
}

int store_next_teardown_due(Store *s, int64_t *ret) {
        int64_t v;
        int k;

        if (!s)
                return -EINVAL;
        k = store_query_int(s, STMT_TEARDOWN_NEXT_DUE, SQL_NO_ARGS, &v);
        if (k > 0 && ret)
                *ret = v;
        return k;
}

int store_teardown_attempt(Store *s, const char *grant_id, unsigned attempts, int64_t next_attempt_at) {
        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        return teardown_update(s, STMT_TEARDOWN_ATTEMPT,
                               SQL_ARGS(SQL_TEXT(grant_id), SQL_INT(attempts), SQL_INT(next_attempt_at)));
}

int store_teardown_done(Store *s, const char *grant_id) {
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_exec(s, STMT_TEARDOWN_DONE, SQL_ARGS(SQL_TEXT(grant_id)));
        return k < 0 ? k : 0;
}

int store_teardowns_all_due(Store *s) {
        if (!s)
                return -EINVAL;
        return store_exec(s, STMT_TEARDOWN_ALL_DUE, SQL_NO_ARGS);
}
