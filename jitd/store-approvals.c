/* The approvals table (store.h): one vote per person towards a request's
 * quorum, counted only while the request is pending. Meant to run inside
 * the caller's transaction, with the approval that the last vote makes. */

#include <errno.h>
#include <stdlib.h>

#include "macros.h"
#include "store-db.h"
#include "store.h"

#define APPROVALS_LIST_MAX 64

const char *const store_approvals_sql[_STMT_MAX] = {
        [STMT_APPROVAL_REQUEST_OPEN] = "SELECT state = 'pending' AND expires_at > ?2 FROM requests WHERE id = ?1",
        [STMT_APPROVAL_INSERT] = "INSERT INTO approvals (request_id, approver, approved_at, duration, via, person)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [STMT_APPROVAL_TALLY] = "SELECT count(*), min(CASE WHEN duration > 0 THEN duration ELSE ?2 END)"
                                " FROM approvals WHERE request_id = ?1",
        [STMT_APPROVAL_COUNT] = "SELECT count(*) FROM approvals WHERE request_id = ?1",
        [STMT_APPROVAL_HAS] = "SELECT 1 FROM approvals WHERE request_id = ?1 AND person = ?2",
        [STMT_APPROVAL_LIST] = "SELECT request_id, approver, approved_at, duration, via, person FROM approvals"
                               " WHERE request_id = ?1 ORDER BY approved_at, person LIMIT ?2",
};

/* 0 if the request is pending and unexpired at `now`, -ESTALE if not,
 * -ENOENT if unknown. */
static int request_open(Store *s, const char *request_id, int64_t now) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int64_t open;
        int k;

        k = store_query_first(s, STMT_APPROVAL_REQUEST_OPEN, &st, SQL_ARGS(SQL_TEXT(request_id), SQL_INT(now)));
        if (k <= 0)
                return k < 0 ? k : -ENOENT;
        return sql_column_int(st, 0, &open) >= 0 && open == 1 ? 0 : -ESTALE;
}

/* Votes so far, and the shortest duration among them. */
static int tally(Store *s, const char *request_id, uint64_t default_duration, int64_t *ret_count,
                 int64_t *ret_min_duration) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k;

        k = store_query_first(s, STMT_APPROVAL_TALLY, &st, SQL_ARGS(SQL_TEXT(request_id), SQL_INT(default_duration)));
        if (k <= 0)
                return k < 0 ? k : -EIO;
        if (sql_column_int(st, 0, ret_count) < 0 || *ret_count < 1 || *ret_count > 100000 ||
            sql_column_int(st, 1, ret_min_duration) < 0 || *ret_min_duration <= 0)
                return -EIO;
        return 0;
}

int store_record_approval(Store *s, const ApprovalRecord *a, int64_t now, uint64_t default_duration,
                          unsigned *ret_count, uint64_t *ret_min_duration) {
        int64_t count, min_duration;
        int k;

        if (!s || !a || !FIELD_OK(a->request_id, true) || !FIELD_OK(a->approver, true) || !FIELD_OK(a->person, true) ||
            !FIELD_OK(a->via, false) || a->duration_sec > INT64_MAX || default_duration == 0 ||
            default_duration > INT64_MAX)
                return -EINVAL;

        k = request_open(s, a->request_id, now);
        if (k < 0)
                return k;
        k = store_exec(s, STMT_APPROVAL_INSERT,
                       SQL_ARGS(SQL_TEXT(a->request_id), SQL_TEXT(a->approver),
                                SQL_INT(a->approved_at > 0 ? a->approved_at : now), SQL_INT(a->duration_sec),
                                SQL_TEXT(a->via), SQL_TEXT(a->person)));
        if (k < 0)
                return k; /* -EEXIST: counted already */
        k = tally(s, a->request_id, default_duration, &count, &min_duration);
        if (k < 0)
                return k;
        if (ret_count)
                *ret_count = (unsigned) count;
        if (ret_min_duration)
                *ret_min_duration = (uint64_t) min_duration;
        return 0;
}

int store_count_approvals(Store *s, const char *request_id, unsigned *ret) {
        int64_t v;
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !ret)
                return -EINVAL;
        k = store_query_int(s, STMT_APPROVAL_COUNT, SQL_ARGS(SQL_TEXT(request_id)), &v);
        if (k < 0)
                return k;
        if (k == 0 || v < 0 || v > 100000)
                return -EIO;
        *ret = (unsigned) v;
        return 0;
}

bool store_has_approval(Store *s, const char *request_id, const char *person) {
        _cleanup_stmt_ StoreStatement *st = NULL;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(person, JIT_USER_MAX, true))
                return false;
        return store_query_first(s, STMT_APPROVAL_HAS, &st, SQL_ARGS(SQL_TEXT(request_id), SQL_TEXT(person))) > 0;
}

static int read_approval(StoreStatement *st, void *ret) {
        ApprovalRecord a = {};
        int64_t duration;

        if (COL_STR(st, 0, a.request_id, true) < 0 || COL_STR(st, 1, a.approver, true) < 0 ||
            sql_column_int(st, 2, &a.approved_at) < 0 || sql_column_int(st, 3, &duration) < 0 || duration < 0 ||
            COL_STR(st, 4, a.via, false) < 0 || COL_STR(st, 5, a.person, true) < 0)
                return -EIO;
        a.duration_sec = (uint64_t) duration;
        *(ApprovalRecord *) ret = a;
        return 0;
}

int store_list_approvals(Store *s, const char *request_id, ApprovalRecord **ret, size_t *ret_n) {
        RowArray a = { .item_size = sizeof(ApprovalRecord) };
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !ret || !ret_n)
                return -EINVAL;
        k = store_query_rows(s, STMT_APPROVAL_LIST, SQL_ARGS(SQL_TEXT(request_id), SQL_INT(APPROVALS_LIST_MAX)),
                             read_approval, 0, &a);
        if (k < 0)
                return k;
        *ret = a.items;
        *ret_n = a.n;
        return 0;
}
