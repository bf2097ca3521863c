/* The sessions table (store.h): the login and sudo sessions opened under a
 * grant, so its end can end them. logind session ids repeat after a
 * reboot, so a row also says which boot and which instant it was. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-db.h"
#include "store.h"

#define SESSION_COLUMNS                                                                                    \
        "session_id, grant_id, user, service, tty, rhost, pid, opened_at, closed_at, boot_id, "               \
        "opened_monotonic_usec, uid"

const char *const store_sessions_sql[_STMT_MAX] = {
        /* A session id still "open" from before is a different session now
         * (a login), or this sudo grant's earlier row of the same login
         * session (sudo rows of one grant carry the session's id too). */
        [STMT_CLOSE_STALE_SESSION] = "UPDATE sessions SET closed_at = ?3"
                                     " WHERE user = ?1 AND session_id = ?2 AND closed_at = 0"
                                     " AND (grant_id = ?4 OR (SELECT action FROM grants WHERE id = ?4) = 'login')",
        [STMT_INSERT_SESSION] = "INSERT INTO sessions (" SESSION_COLUMNS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        [STMT_CLOSE_SESSION] = "UPDATE sessions SET closed_at = ?3"
                               " WHERE user = ?1 AND session_id = ?2 AND closed_at = 0",
        [STMT_LIST_SESSIONS] = "SELECT " SESSION_COLUMNS " FROM sessions ORDER BY opened_at, rowid LIMIT ?2",
        [STMT_LIST_SESSIONS_OPEN] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE closed_at = 0"
                                    " ORDER BY opened_at, rowid LIMIT ?2",
        [STMT_LIST_SESSIONS_GRANT] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE grant_id = ?1"
                                     " ORDER BY opened_at, rowid LIMIT ?2",
        [STMT_LIST_SESSIONS_GRANT_OPEN] = "SELECT " SESSION_COLUMNS " FROM sessions"
                                          " WHERE grant_id = ?1 AND closed_at = 0"
                                          " ORDER BY opened_at, rowid LIMIT ?2",
};

/* "" or 32 lowercase hex digits (sd_id128_to_string()). */
static bool boot_id_ok(const char *s) {
        size_t n = strlen(s);

        if (n != 0 && n != 32)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

static int read_session(StoreStatement *st, void *ret) {
        SessionRecord r = {};

        if (COL_STR(st, 0, r.session_id, true) < 0 || COL_STR(st, 1, r.grant_id, true) < 0 ||
            COL_STR(st, 2, r.user, true) < 0 || COL_STR(st, 3, r.service, false) < 0 ||
            COL_STR(st, 4, r.tty, false) < 0 || COL_STR(st, 5, r.rhost, false) < 0 ||
            sql_column_int(st, 6, &r.pid) < 0 || sql_column_int(st, 7, &r.opened_at) < 0 ||
            sql_column_int(st, 8, &r.closed_at) < 0 || COL_STR(st, 9, r.boot_id, false) < 0 ||
            sql_column_int(st, 10, &r.opened_monotonic_usec) < 0 || sql_column_int(st, 11, &r.uid) < 0 ||
            !boot_id_ok(r.boot_id) || r.uid < -1 || r.uid > UINT32_MAX)
                return -EIO;
        *(SessionRecord *) ret = r;
        return 0;
}

static bool session_ok(const SessionRecord *r) {
        return r && FIELD_OK(r->session_id, true) && FIELD_OK(r->grant_id, true) && FIELD_OK(r->user, true) &&
               FIELD_OK(r->service, false) && FIELD_OK(r->tty, false) && FIELD_OK(r->rhost, false) &&
               FIELD_OK(r->boot_id, false) && boot_id_ok(r->boot_id) && r->uid >= -1 && r->uid <= UINT32_MAX;
}

int store_open_session(Store *s, const SessionRecord *r) {
        _cleanup_rollback_ Store *tx = NULL;
        int k;

        if (!s || !session_ok(r))
                return -EINVAL;

        k = store_begin_tx(s, &tx);
        if (k < 0)
                return k;

        k = store_exec(s, STMT_CLOSE_STALE_SESSION,
                       SQL_ARGS(SQL_TEXT(r->user), SQL_TEXT(r->session_id), SQL_INT(r->opened_at),
                                SQL_TEXT(r->grant_id)));
        if (k < 0)
                return k;
        k = store_exec(s, STMT_INSERT_SESSION,
                       SQL_ARGS(SQL_TEXT(r->session_id), SQL_TEXT(r->grant_id), SQL_TEXT(r->user),
                                SQL_TEXT(r->service), SQL_TEXT(r->tty), SQL_TEXT(r->rhost), SQL_INT(r->pid),
                                SQL_INT(r->opened_at), SQL_INT(r->closed_at), SQL_TEXT(r->boot_id),
                                SQL_INT(r->opened_monotonic_usec), SQL_INT(r->uid)));
        if (k < 0)
                return k; /* -ENOENT: no such grant */

        return store_commit_tx(&tx);
}

int store_close_session(Store *s, const char *user, const char *session_id, int64_t now) {
        int k;

        if (!s || !arg_ok(user, JIT_USER_MAX, true) || !arg_ok(session_id, JIT_SESSION_MAX, true))
                return -EINVAL;
        k = store_exec(s, STMT_CLOSE_SESSION, SQL_ARGS(SQL_TEXT(user), SQL_TEXT(session_id), SQL_INT(now)));
        if (k < 0)
                return k;
        return k > 0 ? 0 : -ENOENT;
}

DEFINE_ROW_VISITOR(visit_session, StoreSessionCallback)

int store_list_sessions(Store *s, const char *grant_id, bool open_only, StoreSessionCallback cb, void *userdata) {
        StatementId id;

        if (!s || !cb || !arg_ok(grant_id, JIT_ID_MAX - 1, false))
                return -EINVAL;
        if (grant_id && !*grant_id)
                grant_id = NULL;
        id = grant_id ? (open_only ? STMT_LIST_SESSIONS_GRANT_OPEN : STMT_LIST_SESSIONS_GRANT)
                      : (open_only ? STMT_LIST_SESSIONS_OPEN : STMT_LIST_SESSIONS);
        return store_query_each(s, id, SQL_ARGS(grant_id ? SQL_TEXT(grant_id) : SQL_SKIP, SQL_INT(STORE_LIST_MAX)),
                                read_session, sizeof(SessionRecord), visit_session,
                                &(visit_session_ctx){ cb, userdata });
}
