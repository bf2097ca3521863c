/* The requests table (store.h): filing a request, the lookups Check and
 * the request limit make, and a request's end without a grant (denied by
 * an approver, withdrawn by its requester). Its approval creates a grant
 * and lives with the grants (store-grants.c); its expiry too. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-db.h"
#include "store.h"

static const char *const request_state_table[_REQUEST_STATE_MAX] = {
        [REQUEST_PENDING] = "pending",     [REQUEST_APPROVED] = "approved", [REQUEST_DENIED] = "denied",
        [REQUEST_EXPIRED] = "expired",     [REQUEST_CANCELLED] = "cancelled",
};
DEFINE_STRING_TABLE(, request_state, RequestState, _REQUEST_STATE_INVALID);

const char *const store_requests_sql[_STMT_MAX] = {
        [STMT_FIND_PENDING_REQUEST] = "SELECT " REQUEST_COLUMNS " FROM requests"
                                      " WHERE user = ?1 AND action = ?2 AND state = 'pending' AND expires_at > ?3"
                                      " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        [STMT_FIND_RECENT_REQUEST] = "SELECT " REQUEST_COLUMNS " FROM requests"
                                     " WHERE user = ?1 AND action = ?2 AND state <> 'pending' AND decided_at >= ?3"
                                     " ORDER BY decided_at DESC, rowid DESC LIMIT 1",
        /* The request limit: requests_user_created serves it, and it reads
         * at most `limit` index entries however many the user filed. */
        [STMT_NTH_NEWEST_REQUEST] = "SELECT created_at FROM requests WHERE user = ?1 AND created_at > ?2"
                                    " ORDER BY created_at DESC LIMIT 1 OFFSET ?3",

        [STMT_INSERT_REQUEST] = "INSERT INTO requests (" REQUEST_COLUMNS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        [STMT_UPDATE_REQUEST_REASON] = "UPDATE requests SET reason = ?2 WHERE id = ?1 AND state = 'pending'",
        [STMT_GET_REQUEST] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE id = ?1",
        [STMT_REQUEST_EXISTS] = "SELECT 1 FROM requests WHERE id = ?1",
        /* Denied by an approver, or cancelled (withdrawn) by the requester. */
        [STMT_DENY_REQUEST] = "UPDATE requests SET state = ?5, decided_at = ?2, decided_by = ?3,"
                              " decision_reason = ?4, decided_by_person = ?6"
                              " WHERE id = ?1 AND state = 'pending' AND expires_at > ?2"
                              " RETURNING " REQUEST_COLUMNS,

        [STMT_LIST_REQUESTS] = "SELECT " REQUEST_COLUMNS " FROM requests"
                               " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_REQUESTS_USER] = "SELECT " REQUEST_COLUMNS " FROM requests WHERE user = ?1"
                                    " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_PENDING] = "SELECT " REQUEST_COLUMNS " FROM requests"
                              " WHERE state = 'pending' AND expires_at > ?2"
                              " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_PENDING_USER] = "SELECT " REQUEST_COLUMNS " FROM requests"
                                   " WHERE user = ?1 AND state = 'pending' AND expires_at > ?2"
                                   " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
};

/* ---- rows ---- */

int read_request(StoreStatement *st, RequestRecord *ret) {
        RequestRecord r = {};
        char state[16];
        int64_t duration;

        if (COL_STR(st, 0, r.id, true) < 0 || COL_STR(st, 1, r.user, true) < 0 ||
            sql_column_action(st, 2, &r.action) < 0 || COL_STR(st, 3, r.service, false) < 0 ||
            COL_STR(st, 4, r.rhost, false) < 0 || COL_STR(st, 5, r.tty, false) < 0 ||
            COL_STR(st, 6, r.reason, false) < 0 || sql_column_int(st, 7, &duration) < 0 || duration < 0 ||
            COL_STR(st, 8, r.match_code, false) < 0 || COL_STR(st, 9, state, true) < 0 ||
            sql_column_int(st, 10, &r.created_at) < 0 || sql_column_int(st, 11, &r.expires_at) < 0 ||
            sql_column_int(st, 12, &r.decided_at) < 0 || COL_STR(st, 13, r.decided_by, false) < 0 ||
            COL_STR(st, 14, r.decision_reason, false) < 0 || COL_STR(st, 15, r.grant_id, false) < 0 ||
            COL_STR(st, 16, r.extends_grant_id, false) < 0 || COL_STR(st, 17, r.decided_by_person, false) < 0)
                return -EIO;
        r.duration_sec = (uint64_t) duration;
        r.state = request_state_from_string(state);
        if (r.state < 0)
                return -EIO;
        *ret = r;
        return 0;
}

int read_request_any(StoreStatement *st, void *ret) {
        return read_request(st, ret);
}

static bool request_ok(const RequestRecord *r) {
        return r && FIELD_OK(r->id, true) && FIELD_OK(r->user, true) && jit_action_to_string(r->action) &&
               FIELD_OK(r->service, false) && FIELD_OK(r->rhost, false) && FIELD_OK(r->tty, false) &&
               FIELD_OK(r->reason, false) && r->duration_sec <= INT64_MAX && FIELD_OK(r->match_code, false) &&
               request_state_to_string(r->state) && FIELD_OK(r->decided_by, false) &&
               FIELD_OK(r->decision_reason, false) && FIELD_OK(r->grant_id, false) &&
               FIELD_OK(r->extends_grant_id, false) && FIELD_OK(r->decided_by_person, false);
}

/* ---- lookups ---- */

static int find_one_request(Store *s, StatementId id, const char *user, JitAction action, int64_t t,
                            RequestRecord *ret) {
        RequestRecord r;
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || !jit_action_to_string(action))
                return -EINVAL;
        k = store_query_row(s, id, SQL_ARGS(SQL_TEXT(user), SQL_TEXT(jit_action_to_string(action)), SQL_INT(t)),
                            read_request_any, &r);
        if (k > 0 && ret)
                *ret = r;
        return k;
}

int store_find_pending_request(Store *s, const char *user, JitAction action, int64_t now, RequestRecord *ret) {
        return find_one_request(s, STMT_FIND_PENDING_REQUEST, user, action, now, ret);
}

int store_find_recent_request(Store *s, const char *user, JitAction action, int64_t since, RequestRecord *ret) {
        return find_one_request(s, STMT_FIND_RECENT_REQUEST, user, action, since, ret);
}

int store_nth_newest_request(Store *s, const char *user, int64_t since, unsigned n, int64_t *ret_created_at) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int64_t t;
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || n == 0)
                return -EINVAL;
        k = store_query_first(s, STMT_NTH_NEWEST_REQUEST, &st,
                              SQL_ARGS(SQL_TEXT(user), SQL_INT(since), SQL_INT((int64_t) n - 1)));
        if (k <= 0)
                return k;
        if (sql_column_int(st, 0, &t) < 0)
                return -EIO;
        if (ret_created_at)
                *ret_created_at = t;
        return 1;
}

int store_get_request(Store *s, const char *id, RequestRecord *ret) {
        RequestRecord r;
        int k;

        if (!s || !arg_ok(id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_query_row(s, STMT_GET_REQUEST, SQL_ARGS(SQL_TEXT(id)), read_request_any, &r);
        if (k == 0)
                return -ENOENT;
        if (k > 0 && ret)
                *ret = r;
        return k < 0 ? k : 0;
}

/* ---- writes ---- */

int store_insert_request(Store *s, const RequestRecord *r) {
        int k;

        if (!s || !request_ok(r))
                return -EINVAL;
        k = store_exec(s, STMT_INSERT_REQUEST,
                       SQL_ARGS(SQL_TEXT(r->id), SQL_TEXT(r->user), SQL_TEXT(jit_action_to_string(r->action)),
                                SQL_TEXT(r->service), SQL_TEXT(r->rhost), SQL_TEXT(r->tty), SQL_TEXT(r->reason),
                                SQL_INT(r->duration_sec), SQL_TEXT(r->match_code),
                                SQL_TEXT(request_state_to_string(r->state)), SQL_INT(r->created_at),
                                SQL_INT(r->expires_at), SQL_INT(r->decided_at), SQL_TEXT(r->decided_by),
                                SQL_TEXT(r->decision_reason), SQL_TEXT(r->grant_id), SQL_TEXT(r->extends_grant_id),
                                SQL_TEXT(r->decided_by_person)));
        return k < 0 ? k : 0;
}

int store_update_request_reason(Store *s, const char *request_id, const char *reason) {
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(reason, JIT_REASON_MAX, false))
                return -EINVAL;
        k = store_exec(s, STMT_UPDATE_REQUEST_REASON, SQL_ARGS(SQL_TEXT(request_id), SQL_TEXT_OR_EMPTY(reason)));
        if (k < 0)
                return k;
        if (k == 0)
                return store_stale_or_missing(s, STMT_REQUEST_EXISTS, request_id);
        return 0;
}

static int store_close_request(Store *s, const char *request_id, RequestState state, const char *by,
                               const char *by_person, const char *reason, int64_t now, RequestRecord *ret) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        RequestRecord r;
        int k, k2;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(by, JIT_USER_MAX, true) ||
            !arg_ok(by_person, JIT_USER_MAX, false) || !arg_ok(reason, JIT_REASON_MAX, false) ||
            (state != REQUEST_DENIED && state != REQUEST_CANCELLED))
                return -EINVAL;
        k = store_query(s, STMT_DENY_REQUEST, &st,
                        SQL_ARGS(SQL_TEXT(request_id), SQL_INT(now), SQL_TEXT(by), SQL_TEXT_OR_EMPTY(reason),
                                 SQL_TEXT(request_state_to_string(state)), SQL_TEXT_OR_EMPTY(by_person)));
        if (k < 0)
                return k;
        k = store_step_returning(s, &st, STMT_REQUEST_EXISTS, request_id);
        if (k < 0)
                return k;
        k = read_request(st, &r);
        /* Finish the statement so the autocommit transaction commits (and is
         * on disk) before we report success. */
        k2 = sql_run(st);
        if (k2 < 0)
                return k2;
        if (k < 0)
                return k;
        if (ret)
                *ret = r;
        return 0;
}

int store_deny_request(Store *s, const char *request_id, const char *approver, const char *approver_person,
                       const char *reason, int64_t now, RequestRecord *ret) {
        return store_close_request(s, request_id, REQUEST_DENIED, approver, approver_person, reason, now, ret);
}

int store_cancel_request(Store *s, const char *request_id, const char *by, const char *by_person, const char *reason,
                         int64_t now, RequestRecord *ret) {
        return store_close_request(s, request_id, REQUEST_CANCELLED, by, by_person, reason, now, ret);
}

/* ---- listings ---- */

DEFINE_ROW_VISITOR(visit_request, StoreRequestCallback)

int store_list_requests(Store *s, const char *user, bool pending_only, int64_t now, unsigned limit,
                        StoreRequestCallback cb, void *userdata) {
        static const StatementId ids[4] = { STMT_LIST_REQUESTS, STMT_LIST_REQUESTS_USER, STMT_LIST_PENDING,
                                            STMT_LIST_PENDING_USER };

        if (!cb)
                return -EINVAL;
        return store_list_by_user(s, ids, user, pending_only, now, limit, read_request_any, sizeof(RequestRecord),
                                  visit_request, &(visit_request_ctx){ cb, userdata });
}
