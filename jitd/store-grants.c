/* The grants table (store.h): the live-grant lookups io.jit.Check runs on
 * every login and sudo, the transitions that create a grant (an approval,
 * with an extension's hand-over, or break-glass) and end one (revocation,
 * expiry; each writes its pending teardown in the same transaction), the
 * deadlines the expiry timers wait for, and the listings. Rows read back
 * are validated before they are copied into the fixed-size records: a
 * tampered file yields -EIO, not an overflow. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-db.h"
#include "store.h"

static const char *const grant_state_table[_GRANT_STATE_MAX] = {
        [GRANT_ACTIVE] = "active",
        [GRANT_EXPIRED] = "expired",
        [GRANT_REVOKED] = "revoked",
};
DEFINE_STRING_TABLE(, grant_state, GrantState, _GRANT_STATE_INVALID);

const char *const store_grants_sql[_STMT_MAX] = {
        /* Strictly after now: a grant whose deadline is this second is over. */
        [STMT_FIND_LIVE_GRANT] = "SELECT " GRANT_COLUMNS " FROM grants"
                                 " WHERE user = ?1 AND action = ?2 AND state = 'active' AND expires_at > ?3"
                                 " ORDER BY expires_at DESC LIMIT 1",
        /* The same query for io.jit.Check, reading only what its answer
         * and audit entry use: every text column read is copied and freed
         * by SQLite, on each of the most frequent calls. */
        [STMT_CHECK_LIVE_GRANT] = "SELECT id, request_id, expires_at, approver, breakglass FROM grants"
                                  " WHERE user = ?1 AND action = ?2 AND state = 'active' AND expires_at > ?3"
                                  " ORDER BY expires_at DESC LIMIT 1",
        [STMT_GET_GRANT] = "SELECT " GRANT_COLUMNS " FROM grants WHERE id = ?1",
        [STMT_GRANT_EXISTS] = "SELECT 1 FROM grants WHERE id = ?1",

        /* First decision wins: only a pending, unexpired request changes. */
        [STMT_APPROVE_REQUEST] = "UPDATE requests SET state = 'approved', decided_at = ?2, decided_by = ?3,"
                                 " grant_id = ?4, decided_by_person = ?5"
                                 " WHERE id = ?1 AND state = 'pending' AND expires_at > ?2"
                                 " RETURNING user, action, reason, extends_grant_id",
        [STMT_INSERT_GRANT] = "INSERT INTO grants (" GRANT_COLUMNS ")"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        [STMT_END_GRANT] = "UPDATE grants SET state = ?2, ended_at = ?3, ended_by = ?4, ended_by_person = ?5"
                           " WHERE id = ?1 AND state = 'active' RETURNING " GRANT_COLUMNS,
        /* An extension approved: the grant it extends ends now (only if it
         * is still the user's live grant for that action), and its open
         * sessions carry on under the new grant. */
        [STMT_SUPERSEDE_GRANT] = "UPDATE grants SET state = 'expired', ended_at = ?3, ended_by = ?4, extended_by = ?2"
                                 " WHERE id = ?1 AND user = ?5 AND action = ?6 AND state = 'active'",
        [STMT_MOVE_SESSIONS] = "UPDATE sessions SET grant_id = ?2 WHERE grant_id = ?1 AND closed_at = 0",

        /* A grant ended at its deadline, whenever we got round to noticing. */
        [STMT_EXPIRE_GRANTS] = "UPDATE grants SET state = 'expired', ended_at = expires_at"
                               " WHERE rowid IN (SELECT rowid FROM grants"
                               "  WHERE state = 'active' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2)"
                               " RETURNING " GRANT_COLUMNS,
        [STMT_EXPIRE_REQUESTS] = "UPDATE requests SET state = 'expired', decided_at = expires_at"
                                 " WHERE rowid IN (SELECT rowid FROM requests"
                                 "  WHERE state = 'pending' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2)"
                                 " RETURNING " REQUEST_COLUMNS,
        [STMT_NEXT_DEADLINE] = "SELECT (SELECT min(expires_at) FROM grants WHERE state = 'active'),"
                               " (SELECT min(expires_at) FROM requests WHERE state = 'pending')",
        /* Expiry warnings: the next deadline after a point, and the grants
         * whose deadline falls in a window. */
        [STMT_NEXT_GRANT_DEADLINE_AFTER] = "SELECT min(expires_at) FROM grants WHERE state = 'active' AND expires_at > ?1",
        [STMT_LIST_GRANTS_EXPIRING] = "SELECT " GRANT_COLUMNS " FROM grants"
                                      " WHERE state = 'active' AND expires_at > ?1 AND expires_at <= ?2"
                                      " ORDER BY expires_at, rowid LIMIT ?3",

        [STMT_LIST_GRANTS] = "SELECT " GRANT_COLUMNS " FROM grants"
                             " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_GRANTS_USER] = "SELECT " GRANT_COLUMNS " FROM grants WHERE user = ?1"
                                  " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_ACTIVE] = "SELECT " GRANT_COLUMNS " FROM grants"
                             " WHERE state = 'active' AND expires_at > ?2"
                             " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        [STMT_LIST_ACTIVE_USER] = "SELECT " GRANT_COLUMNS " FROM grants"
                                  " WHERE user = ?1 AND state = 'active' AND expires_at > ?2"
                                  " ORDER BY created_at DESC, rowid DESC LIMIT ?3",
};

/* ---- rows ---- */

int read_grant(StoreStatement *st, GrantRecord *ret) {
        GrantRecord g = {};
        char state[16];
        int64_t breakglass;

        if (COL_STR(st, 0, g.id, true) < 0 || COL_STR(st, 1, g.request_id, false) < 0 ||
            COL_STR(st, 2, g.user, true) < 0 || sql_column_action(st, 3, &g.action) < 0 ||
            sql_column_int(st, 4, &g.created_at) < 0 || sql_column_int(st, 5, &g.expires_at) < 0 ||
            COL_STR(st, 6, g.approver, false) < 0 || COL_STR(st, 7, g.reason, false) < 0 ||
            COL_STR(st, 8, state, true) < 0 || sql_column_int(st, 9, &breakglass) < 0 ||
            (breakglass != 0 && breakglass != 1) || sql_column_int(st, 10, &g.ended_at) < 0 ||
            COL_STR(st, 11, g.ended_by, false) < 0 || COL_STR(st, 12, g.extends_grant_id, false) < 0 ||
            COL_STR(st, 13, g.extended_by, false) < 0 || COL_STR(st, 14, g.approver_person, false) < 0 ||
            COL_STR(st, 15, g.ended_by_person, false) < 0)
                return -EIO;
        g.breakglass = breakglass == 1;
        g.state = grant_state_from_string(state);
        if (g.state < 0)
                return -EIO;
        *ret = g;
        return 0;
}

int read_grant_any(StoreStatement *st, void *ret) {
        return read_grant(st, ret);
}

static bool grant_ok(const GrantRecord *g) {
        return g && FIELD_OK(g->id, true) && FIELD_OK(g->request_id, false) && FIELD_OK(g->user, true) &&
               jit_action_to_string(g->action) && FIELD_OK(g->approver, false) && FIELD_OK(g->reason, false) &&
               grant_state_to_string(g->state) && FIELD_OK(g->ended_by, false) &&
               FIELD_OK(g->extends_grant_id, false) && FIELD_OK(g->extended_by, false) &&
               FIELD_OK(g->approver_person, false) && FIELD_OK(g->ended_by_person, false);
}

static int insert_grant(Store *s, const GrantRecord *g) {
        int k;

        k = store_exec(s, STMT_INSERT_GRANT,
                       SQL_ARGS(SQL_TEXT(g->id), SQL_TEXT_OR_NULL(g->request_id), SQL_TEXT(g->user),
                                SQL_TEXT(jit_action_to_string(g->action)), SQL_INT(g->created_at),
                                SQL_INT(g->expires_at), SQL_TEXT(g->approver), SQL_TEXT(g->reason),
                                SQL_TEXT(grant_state_to_string(g->state)), SQL_INT(g->breakglass ? 1 : 0),
                                SQL_INT(g->ended_at), SQL_TEXT(g->ended_by), SQL_TEXT(g->extends_grant_id),
                                SQL_TEXT(g->extended_by), SQL_TEXT(g->approver_person),
                                SQL_TEXT(g->ended_by_person)));
        return k < 0 ? k : 0;
}

/* ---- the decision path's lookups ---- */

/* One of the two live-grant queries (same WHERE clause, different
 * columns): 1 with its row read into *ret, 0 if none. */
static int live_grant_row(Store *s, StatementId id, const char *user, JitAction action, int64_t now,
                          RowReader reader, void *ret) {
        if (!s || !arg_ok(user, JIT_USER_MAX, true) || !jit_action_to_string(action))
                return -EINVAL;
        return store_query_row(s, id, SQL_ARGS(SQL_TEXT(user), SQL_TEXT(jit_action_to_string(action)), SQL_INT(now)),
                               reader, ret);
}

int store_find_live_grant(Store *s, const char *user, JitAction action, int64_t now, GrantRecord *ret) {
        GrantRecord g;
        int k;

        k = live_grant_row(s, STMT_FIND_LIVE_GRANT, user, action, now, read_grant_any, &g);
        if (k > 0 && ret)
                *ret = g;
        return k;
}

/* What io.jit.Check needs of the live grant (STMT_CHECK_LIVE_GRANT's columns). */
static int read_live_grant(StoreStatement *st, void *ret) {
        LiveGrant g = {};
        int64_t breakglass;

        if (COL_STR(st, 0, g.id, true) < 0 || COL_STR(st, 1, g.request_id, false) < 0 ||
            sql_column_int(st, 2, &g.expires_at) < 0 || COL_STR(st, 3, g.approver, false) < 0 ||
            sql_column_int(st, 4, &breakglass) < 0 || (breakglass != 0 && breakglass != 1))
                return -EIO;
        g.breakglass = breakglass == 1;
        *(LiveGrant *) ret = g;
        return 0;
}

int store_check_live_grant(Store *s, const char *user, JitAction action, int64_t now, LiveGrant *ret) {
        LiveGrant g;
        int k;

        k = live_grant_row(s, STMT_CHECK_LIVE_GRANT, user, action, now, read_live_grant, &g);
        if (k > 0 && ret)
                *ret = g;
        return k;
}

int store_get_grant(Store *s, const char *id, GrantRecord *ret) {
        GrantRecord g;
        int k;

        if (!s || !arg_ok(id, JIT_ID_MAX - 1, true))
                return -EINVAL;
        k = store_query_row(s, STMT_GET_GRANT, SQL_ARGS(SQL_TEXT(id)), read_grant_any, &g);
        if (k == 0)
                return -ENOENT;
        if (k > 0 && ret)
                *ret = g;
        return k < 0 ? k : 0;
}

/* ---- creating and ending grants ---- */

int store_insert_grant(Store *s, const GrantRecord *g) {
        if (!s || !grant_ok(g))
                return -EINVAL;
        return insert_grant(s, g);
}

/* The request row decides whose grant this is and what it is for: mark it
 * approved and read its user, action, reason and extended grant into *g. */
static int approve_request_row(Store *s, const char *request_id, const char *approver, int64_t now, GrantRecord *g,
                               char *request_reason, size_t reason_size) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k;

        k = store_query(s, STMT_APPROVE_REQUEST, &st,
                        SQL_ARGS(SQL_TEXT(request_id), SQL_INT(now), SQL_TEXT(approver), SQL_TEXT(g->id),
                                 SQL_TEXT(g->approver_person)));
        if (k < 0)
                return k;
        k = store_step_returning(s, &st, STMT_REQUEST_EXISTS, request_id);
        if (k < 0)
                return k;
        if (COL_STR(st, 0, g->user, true) < 0 || sql_column_action(st, 1, &g->action) < 0 ||
            sql_column_string(st, 2, request_reason, reason_size, false) < 0 ||
            COL_STR(st, 3, g->extends_grant_id, false) < 0)
                return -EIO;
        return sql_run(st);
}

/* An extension: in the same transaction, the grant it extends ends (if it
 * is still the live one) and its open sessions move to the new grant, so
 * there is no moment with both or neither. An extended grant that ended
 * meanwhile (expired, revoked) had its sessions ended with it: nothing to
 * carry over. */
static int supersede_extended_grant(Store *s, const GrantRecord *g, const char *approver, int64_t now) {
        int k;

        k = store_exec(s, STMT_SUPERSEDE_GRANT,
                       SQL_ARGS(SQL_TEXT(g->extends_grant_id), SQL_TEXT(g->id), SQL_INT(now), SQL_TEXT(approver),
                                SQL_TEXT(g->user), SQL_TEXT(jit_action_to_string(g->action))));
        if (k <= 0)
                return k;
        k = store_teardown_insert(s, g->extends_grant_id, now);
        if (k < 0)
                return k;
        k = store_exec(s, STMT_MOVE_SESSIONS, SQL_ARGS(SQL_TEXT(g->extends_grant_id), SQL_TEXT(g->id)));
        return k < 0 ? k : 0;
}

int store_approve_request(Store *s, const char *request_id, const char *approver, int64_t now,
                          GrantRecord *grant) {
        _cleanup_rollback_ Store *tx = NULL;
        GrantRecord g;
        char request_reason[JIT_REASON_MAX + 1];
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(approver, JIT_USER_MAX, true) || !grant ||
            !FIELD_OK(grant->id, true) || !FIELD_OK(grant->reason, false) || !FIELD_OK(grant->approver_person, false) ||
            grant->expires_at <= now)
                return -EINVAL;

        /* The store, not the caller, says whose grant this is and what it
         * is for: the request row decides. */
        g = (GrantRecord){
                .created_at = grant->created_at > 0 ? grant->created_at : now,
                .expires_at = grant->expires_at,
                .state = GRANT_ACTIVE,
        };
        memcpy(g.id, grant->id, sizeof g.id);
        memcpy(g.reason, grant->reason, sizeof g.reason);
        strcpy(g.request_id, request_id); /* lengths checked above */
        strcpy(g.approver, approver);
        memcpy(g.approver_person, grant->approver_person, sizeof g.approver_person);

        k = store_begin_tx(s, &tx);
        if (k < 0)
                return k;

        k = approve_request_row(s, request_id, approver, now, &g, request_reason, sizeof request_reason);
        if (k < 0)
                return k;
        /* Nobody approves their own request, under their own account or
         * another (also checked by the caller). */
        if (strcmp(g.user, approver) == 0 || strcmp(g.user, g.approver_person) == 0)
                return -EPERM;
        if (g.reason[0] == '\0')
                memcpy(g.reason, request_reason, sizeof g.reason);

        k = insert_grant(s, &g);
        if (k < 0)
                return k;
        /* Whatever path approves a request, an extension is carried out here. */
        if (g.extends_grant_id[0] != '\0') {
                k = supersede_extended_grant(s, &g, approver, now);
                if (k < 0)
                        return k;
        }

        k = store_commit_tx(&tx);
        if (k < 0)
                return k;

        *grant = g;
        return 0;
}

static int end_grant_row(Store *s, const char *grant_id, GrantState new_state, const char *by, const char *by_person,
                         int64_t now, GrantRecord *ret) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int k, k2;

        k = store_query(s, STMT_END_GRANT, &st,
                        SQL_ARGS(SQL_TEXT(grant_id), SQL_TEXT(grant_state_to_string(new_state)), SQL_INT(now),
                                 SQL_TEXT_OR_EMPTY(by), SQL_TEXT_OR_EMPTY(by_person)));
        if (k < 0)
                return k;
        k = store_step_returning(s, &st, STMT_GRANT_EXISTS, grant_id);
        if (k < 0)
                return k;
        k = read_grant(st, ret);
        k2 = sql_run(st);
        return k2 < 0 ? k2 : k;
}

int store_end_grant(Store *s, const char *grant_id, GrantState new_state, const char *by, const char *by_person,
                    int64_t now, GrantRecord *ret) {
        _cleanup_rollback_ Store *tx = NULL;
        GrantRecord g;
        int k;

        if (!s || !arg_ok(grant_id, JIT_ID_MAX - 1, true) || !arg_ok(by, JIT_USER_MAX, false) ||
            !arg_ok(by_person, JIT_USER_MAX, false) ||
            (new_state != GRANT_REVOKED && new_state != GRANT_EXPIRED))
                return -EINVAL;

        k = store_begin_tx(s, &tx);
        if (k < 0)
                return k;

        k = end_grant_row(s, grant_id, new_state, by, by_person, now, &g);
        if (k < 0)
                return k;
        k = store_teardown_insert(s, grant_id, now);
        if (k < 0)
                return k;

        k = store_commit_tx(&tx);
        if (k < 0)
                return k;

        if (ret)
                *ret = g;
        return 0;
}

/* ---- expiry ---- */

int store_expire_due(Store *s, int64_t now, StoreGrantCallback on_grant, StoreRequestCallback on_request,
                     void *userdata) {
        return store_expire_due_until(s, now, now, on_grant, on_request, userdata);
}

int store_expire_due_until(Store *s, int64_t grants_until, int64_t requests_until, StoreGrantCallback on_grant,
                           StoreRequestCallback on_request, void *userdata) {
        return store_expire_due_tx(s, grants_until, requests_until, NULL, on_grant, on_request, userdata);
}

/* One batch, in one transaction: grants and requests due marked expired
 * (their rows in *grants and *requests), each grant's teardown written,
 * and `in_tx` run for each request before the commit. */
static int expire_batch(Store *s, int64_t grants_until, int64_t requests_until, StoreRequestCallback in_tx,
                        void *userdata, RowArray *grants, RowArray *requests) {
        _cleanup_rollback_ Store *tx = NULL;
        int k;

        grants->n = requests->n = 0;
        k = store_begin_tx(s, &tx);
        if (k < 0)
                return k;

        {
                _cleanup_stmt_ StoreStatement *st = NULL;

                k = store_query(s, STMT_EXPIRE_GRANTS, &st,
                                SQL_ARGS(SQL_INT(grants_until), SQL_INT(STORE_EXPIRE_BATCH)));
                if (k < 0 || (k = store_collect_rows(st, read_grant_any, 0, grants)) < 0)
                        return k;
        }
        for (size_t i = 0; k >= 0 && i < grants->n; i++)
                k = store_teardown_insert(s, ((GrantRecord *) grants->items)[i].id, requests_until);
        if (k < 0)
                return k;
        {
                _cleanup_stmt_ StoreStatement *st = NULL;

                k = store_query(s, STMT_EXPIRE_REQUESTS, &st,
                                SQL_ARGS(SQL_INT(requests_until), SQL_INT(STORE_EXPIRE_BATCH)));
                if (k < 0 || (k = store_collect_rows(st, read_request_any, 0, requests)) < 0)
                        return k;
        }

        /* What must be written with the expiry (the webhook outbox rows): a
         * failure undoes the whole batch, to be retried. */
        for (size_t i = 0; in_tx && k >= 0 && i < requests->n; i++)
                k = in_tx((RequestRecord *) requests->items + i, userdata);
        if (k < 0)
                return k;

        return store_commit_tx(&tx);
}

int store_expire_due_tx(Store *s, int64_t grants_until, int64_t requests_until, StoreRequestCallback in_tx,
                        StoreGrantCallback on_grant, StoreRequestCallback on_request, void *userdata) {
        RowArray grants = { .item_size = sizeof(GrantRecord) };
        RowArray requests = { .item_size = sizeof(RequestRecord) };
        int total = 0, k = 0;

        if (!s)
                return -EINVAL;

        /* In batches, so a backlog (jitd was down for a week) does not make
         * one huge transaction or one huge allocation. */
        for (;;) {
                k = expire_batch(s, grants_until, requests_until, in_tx, userdata, &grants, &requests);
                if (k < 0)
                        break;

                /* Committed: now tell the caller (audit, waking waiters). A
                 * failing callback does not undo the change or stop the others. */
                for (size_t i = 0; i < grants.n; i++)
                        if (on_grant)
                                (void) on_grant((GrantRecord *) grants.items + i, userdata);
                for (size_t i = 0; i < requests.n; i++)
                        if (on_request)
                                (void) on_request((RequestRecord *) requests.items + i, userdata);

                total += (int) (grants.n + requests.n);
                if (grants.n < STORE_EXPIRE_BATCH && requests.n < STORE_EXPIRE_BATCH)
                        break;
        }

        free(grants.items);
        free(requests.items);
        return k < 0 ? k : total;
}

/* ---- deadlines ---- */

int store_next_deadlines(Store *s, int64_t *ret_grant, int64_t *ret_request) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        int64_t g = INT64_MAX, r = INT64_MAX;
        bool have_g, have_r;
        int k;

        if (!s)
                return -EINVAL;
        k = store_query_first(s, STMT_NEXT_DEADLINE, &st, SQL_NO_ARGS);
        if (k <= 0)
                return k < 0 ? k : -EIO;

        /* Two columns, each NULL when there is nothing of its kind. A value
         * may be <= now when something is due and not swept yet: the
         * caller then runs store_expire_due() at once. */
        have_g = sql_column_int(st, 0, &g) >= 0;
        have_r = sql_column_int(st, 1, &r) >= 0;
        if (ret_grant)
                *ret_grant = have_g ? g : INT64_MAX;
        if (ret_request)
                *ret_request = have_r ? r : INT64_MAX;
        return have_g || have_r;
}

int store_next_deadline(Store *s, int64_t *ret) {
        int64_t g, r;
        int k;

        k = store_next_deadlines(s, &g, &r);
        if (k <= 0)
                return k;
        if (ret)
                *ret = g < r ? g : r;
        return 1;
}

int store_next_grant_deadline_after(Store *s, int64_t after, int64_t *ret) {
        int64_t v;
        int k;

        if (!s)
                return -EINVAL;
        k = store_query_int(s, STMT_NEXT_GRANT_DEADLINE_AFTER, SQL_ARGS(SQL_INT(after)), &v);
        if (k > 0 && ret)
                *ret = v;
        return k;
}

/* ---- listings ---- */

DEFINE_ROW_VISITOR(visit_grant, StoreGrantCallback)

int store_list_grants(Store *s, const char *user, bool active_only, int64_t now, unsigned limit,
                      StoreGrantCallback cb, void *userdata) {
        static const StatementId ids[4] = { STMT_LIST_GRANTS, STMT_LIST_GRANTS_USER, STMT_LIST_ACTIVE,
                                            STMT_LIST_ACTIVE_USER };

        if (!cb)
                return -EINVAL;
        return store_list_by_user(s, ids, user, active_only, now, limit, read_grant_any, sizeof(GrantRecord),
                                  visit_grant, &(visit_grant_ctx){ cb, userdata });
}

int store_list_grants_expiring(Store *s, int64_t after, int64_t until, StoreGrantCallback cb, void *userdata) {
        if (!s || !cb)
                return -EINVAL;
        return store_query_each(s, STMT_LIST_GRANTS_EXPIRING,
                                SQL_ARGS(SQL_INT(after), SQL_INT(until), SQL_INT(STORE_LIST_MAX)), read_grant_any,
                                sizeof(GrantRecord), visit_grant, &(visit_grant_ctx){ cb, userdata });
}
