/* The notification tables (store-outbox.h; the schema is step 3 of
 * store-schema.c's migrations): the webhook outbox, one row per message to
 * one endpoint, written in the transaction that creates or decides the
 * request; and the review links, kept as token hashes. None of this is on
 * the Check hot path. Rows are read back as hostile as any other input. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-db.h"
#include "store-outbox.h"

#define OUTBOX_LIST_REQUEST_MAX 256

static const char *const outbox_state_table[_OUTBOX_STATE_MAX] = {
        [OUTBOX_PENDING] = "pending",
        [OUTBOX_DELIVERED] = "delivered",
        [OUTBOX_FAILED] = "failed",
        [OUTBOX_CANCELLED] = "cancelled",
};
DEFINE_STRING_TABLE(, outbox_state, OutboxState, _OUTBOX_STATE_INVALID);

static const char *const outbox_event_table[_WEBHOOK_EVENT_MAX] = {
        [WEBHOOK_EVENT_REQUEST_CREATED] = "created",
        [WEBHOOK_EVENT_REQUEST_APPROVED] = "approved",
        [WEBHOOK_EVENT_REQUEST_DENIED] = "denied",
        [WEBHOOK_EVENT_REQUEST_EXPIRED] = "expired",
        [WEBHOOK_EVENT_REQUEST_CANCELLED] = "cancelled", /* schema 6 */
};
DEFINE_STRING_TABLE(, outbox_event, WebhookEventType, _WEBHOOK_EVENT_INVALID);

#define OUTBOX_COLUMNS                                                                                   \
        "id, message_id, endpoint, request_id, event, created_at, next_attempt_usec, attempts, state, " \
        "last_status, last_error, last_attempt_at, delivered_at, requester, turn"

const char *const store_outbox_sql[_STMT_MAX] = {
        [STMT_OUTBOX_INSERT] =
                "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at, next_attempt_usec, "
                "attempts, state, last_status, last_error, last_attempt_at, delivered_at, requester, turn)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                "  max(coalesce((SELECT min(turn) FROM outbox WHERE endpoint = ?2 AND state = 'pending'), 0),"
                "      coalesce((SELECT max(turn) + 1 FROM outbox"
                "                WHERE endpoint = ?2 AND requester = ?13 AND state = 'pending'), 0)))",
        [STMT_OUTBOX_LIST_DUE] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state = 'pending'"
                                 " AND next_attempt_usec <= ?1 ORDER BY next_attempt_usec, id LIMIT ?2",
        /* outbox_fair serves it in order, without sorting the backlog ("+"
         * keeps the planner off outbox_due, which would sort every due
         * row). Rows waiting for a retry are skipped: they are few unless
         * the endpoint is failing, and then scans come only as often as its
         * retries. */
        [STMT_OUTBOX_LIST_FAIR] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE endpoint = ?1 AND state = 'pending'"
                                  " AND +next_attempt_usec <= ?2 ORDER BY turn, id LIMIT ?3",
        [STMT_OUTBOX_NEXT_DUE_AFTER] = "SELECT min(next_attempt_usec) FROM outbox WHERE state = 'pending'"
                                       " AND next_attempt_usec > ?1",
        [STMT_OUTBOX_NEXT_DUE] = "SELECT min(next_attempt_usec) FROM outbox WHERE state = 'pending'",
        [STMT_OUTBOX_UPDATE] = "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_usec = ?4, last_status = ?5,"
                               " last_error = ?6, last_attempt_at = ?7, delivered_at = ?8 WHERE id = ?1",
        [STMT_OUTBOX_LIST_REQUEST] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE request_id = ?1 ORDER BY id LIMIT ?2",
        [STMT_OUTBOX_REQUEUE_ENDED] = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_usec = ?3,"
                                      " created_at = ?4, last_error = '' WHERE request_id = ?1"
                                      " AND (?2 = '' OR endpoint = ?2) AND state IN ('failed', 'cancelled')",
        /* Still being retried: the next attempt is now. */
        [STMT_OUTBOX_REQUEUE_PENDING] = "UPDATE outbox SET next_attempt_usec = ?3 WHERE request_id = ?1"
                                        " AND (?2 = '' OR endpoint = ?2) AND state = 'pending'"
                                        " AND next_attempt_usec > ?3",
        /* The endpoints that have pending rows, from outbox_fair's leading
         * column: a handful, whatever the backlog. */
        [STMT_OUTBOX_ENDPOINTS] = "SELECT DISTINCT endpoint FROM outbox WHERE state = 'pending'",
        [STMT_OUTBOX_CANCEL_ENDPOINT] = "UPDATE outbox SET state = 'cancelled', last_error = ?2 WHERE endpoint = ?1"
                                        " AND state = 'pending'",
        [STMT_OUTBOX_COUNT] = "SELECT count(*) FROM outbox WHERE state = ?1",

        [STMT_REVIEW_LINK_INSERT] = "INSERT INTO review_links (token_hash, request_id, approver, endpoint, created_at,"
                                    " expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [STMT_REVIEW_LINK_GET] = "SELECT token_hash, request_id, approver, endpoint, created_at, expires_at"
                                 " FROM review_links WHERE token_hash = ?1",
        [STMT_REVIEW_LINKS_PURGE] = "DELETE FROM review_links WHERE expires_at < ?1",
};

/* ---- outbox ---- */

static int read_outbox(StoreStatement *st, void *ret) {
        OutboxRecord r = {};
        char event[16], state[16];
        int64_t next, attempts, status;

        if (sql_column_int(st, 0, &r.id) < 0 || COL_STR(st, 1, r.message_id, true) < 0 ||
            COL_STR(st, 2, r.endpoint, true) < 0 || COL_STR(st, 3, r.request_id, true) < 0 ||
            COL_STR(st, 4, event, true) < 0 || sql_column_int(st, 5, &r.created_at) < 0 ||
            sql_column_int(st, 6, &next) < 0 || next < 0 || sql_column_int(st, 7, &attempts) < 0 || attempts < 0 ||
            attempts > 1000000 || COL_STR(st, 8, state, true) < 0 || sql_column_int(st, 9, &status) < 0 ||
            status < 0 || status > 999 || COL_STR(st, 10, r.last_error, false) < 0 ||
            sql_column_int(st, 11, &r.last_attempt_at) < 0 || sql_column_int(st, 12, &r.delivered_at) < 0 ||
            COL_STR(st, 13, r.requester, false) < 0 || sql_column_int(st, 14, &r.turn) < 0 || r.turn < 0)
                return -EIO;
        r.event = outbox_event_from_string(event);
        r.state = outbox_state_from_string(state);
        if (r.event < 0 || r.state < 0 || !webhook_message_id_is_valid(r.message_id))
                return -EIO;
        r.next_attempt_usec = (uint64_t) next;
        r.attempts = (unsigned) attempts;
        r.last_status = (long) status;
        *(OutboxRecord *) ret = r;
        return 0;
}

static bool outbox_ok(const OutboxRecord *r) {
        return r && FIELD_OK(r->message_id, true) && webhook_message_id_is_valid(r->message_id) &&
               FIELD_OK(r->endpoint, true) && FIELD_OK(r->request_id, true) && outbox_event_to_string(r->event) &&
               outbox_state_to_string(r->state) && FIELD_OK(r->last_error, false) && FIELD_OK(r->requester, false) &&
               r->next_attempt_usec <= INT64_MAX && r->last_status >= 0 && r->last_status <= 999;
}

int store_outbox_insert(Store *s, const OutboxRecord *r) {
        int k;

        if (!s || !outbox_ok(r))
                return -EINVAL;
        k = store_exec(s, STMT_OUTBOX_INSERT,
                       SQL_ARGS(SQL_TEXT_OR_EMPTY(r->message_id), SQL_TEXT_OR_EMPTY(r->endpoint),
                                SQL_TEXT_OR_EMPTY(r->request_id), SQL_TEXT_OR_EMPTY(outbox_event_to_string(r->event)),
                                SQL_INT(r->created_at), SQL_INT(r->next_attempt_usec), SQL_INT(r->attempts),
                                SQL_TEXT_OR_EMPTY(outbox_state_to_string(r->state)), SQL_INT(r->last_status),
                                SQL_TEXT_OR_EMPTY(r->last_error), SQL_INT(r->last_attempt_at),
                                SQL_INT(r->delivered_at), SQL_TEXT_OR_EMPTY(r->requester)));
        return k < 0 ? k : 0;
}

/* The rows of a listing, at most `max`; *ret is malloc()ed. */
static int outbox_collect(Store *s, StatementId id, const SqlArg *args, size_t n, size_t max, OutboxRecord **ret,
                          size_t *ret_n) {
        RowArray a = { .item_size = sizeof(OutboxRecord) };
        int k;

        k = store_query_rows(s, id, args, n, read_outbox, max, &a);
        if (k < 0)
                return k;
        *ret = a.items;
        *ret_n = a.n;
        return 0;
}

int store_outbox_list_due(Store *s, uint64_t now_usec, unsigned limit, OutboxRecord **ret, size_t *ret_n) {
        if (!s || !ret || !ret_n || now_usec > INT64_MAX)
                return -EINVAL;
        return outbox_collect(s, STMT_OUTBOX_LIST_DUE, SQL_ARGS(SQL_INT(now_usec), SQL_INT(limit)), limit, ret,
                              ret_n);
}

int store_outbox_list_fair(Store *s, const char *endpoint, uint64_t now_usec, unsigned limit, OutboxRecord **ret,
                           size_t *ret_n) {
        if (!s || !arg_ok(endpoint, CONFIG_WEBHOOK_NAME_MAX, true) || !ret || !ret_n || now_usec > INT64_MAX)
                return -EINVAL;
        return outbox_collect(s, STMT_OUTBOX_LIST_FAIR,
                              SQL_ARGS(SQL_TEXT_OR_EMPTY(endpoint), SQL_INT(now_usec), SQL_INT(limit)), limit, ret,
                              ret_n);
}

/* The earliest next attempt among pending rows (after `after_usec` if
 * `after`): 1 found, 0 none. */
static int outbox_next(Store *s, StatementId id, const SqlArg *args, size_t n, uint64_t *ret_usec) {
        int64_t v;
        int k;

        k = store_query_int(s, id, args, n, &v);
        if (k <= 0)
                return k;
        if (v < 0)
                return -EIO;
        if (ret_usec)
                *ret_usec = (uint64_t) v;
        return 1;
}

int store_outbox_next_due_after(Store *s, uint64_t after_usec, uint64_t *ret_usec) {
        if (!s || after_usec > INT64_MAX)
                return -EINVAL;
        return outbox_next(s, STMT_OUTBOX_NEXT_DUE_AFTER, SQL_ARGS(SQL_INT(after_usec)), ret_usec);
}

int store_outbox_next_due(Store *s, uint64_t *ret_usec) {
        if (!s)
                return -EINVAL;
        return outbox_next(s, STMT_OUTBOX_NEXT_DUE, SQL_NO_ARGS, ret_usec);
}

int store_outbox_update(Store *s, const OutboxRecord *r) {
        int k;

        if (!s || !outbox_ok(r))
                return -EINVAL;
        k = store_exec(s, STMT_OUTBOX_UPDATE,
                       SQL_ARGS(SQL_INT(r->id), SQL_TEXT_OR_EMPTY(outbox_state_to_string(r->state)),
                                SQL_INT(r->attempts), SQL_INT(r->next_attempt_usec), SQL_INT(r->last_status),
                                SQL_TEXT_OR_EMPTY(r->last_error), SQL_INT(r->last_attempt_at),
                                SQL_INT(r->delivered_at)));
        if (k < 0)
                return k;
        return k > 0 ? 0 : -ENOENT;
}

int store_outbox_list_request(Store *s, const char *request_id, OutboxRecord **ret, size_t *ret_n) {
        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !ret || !ret_n)
                return -EINVAL;
        return outbox_collect(s, STMT_OUTBOX_LIST_REQUEST,
                              SQL_ARGS(SQL_TEXT_OR_EMPTY(request_id), SQL_INT(OUTBOX_LIST_REQUEST_MAX)),
                              OUTBOX_LIST_REQUEST_MAX, ret, ret_n);
}

int store_outbox_requeue(Store *s, const char *request_id, const char *endpoint, uint64_t now_usec, int64_t now) {
        int k, n;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(endpoint, CONFIG_WEBHOOK_NAME_MAX, false) ||
            now_usec > INT64_MAX)
                return -EINVAL;
        k = store_exec(s, STMT_OUTBOX_REQUEUE_ENDED,
                       SQL_ARGS(SQL_TEXT_OR_EMPTY(request_id), SQL_TEXT_OR_EMPTY(endpoint), SQL_INT(now_usec),
                                SQL_INT(now)));
        if (k < 0)
                return k;
        n = k;
        k = store_exec(s, STMT_OUTBOX_REQUEUE_PENDING,
                       SQL_ARGS(SQL_TEXT_OR_EMPTY(request_id), SQL_TEXT_OR_EMPTY(endpoint), SQL_INT(now_usec)));
        if (k < 0)
                return k;
        return n + k;
}

/* The endpoints with pending rows that are not among names[0..n), read in
 * full before any row changes. */
static int outbox_unknown_endpoints(Store *s, const char *const *names, size_t n,
                                    char (*unknown)[CONFIG_WEBHOOK_NAME_MAX + 1], size_t max, size_t *ret_n) {
        _cleanup_stmt_ StoreStatement *st = NULL;
        size_t n_unknown = 0;
        int k;

        k = store_query(s, STMT_OUTBOX_ENDPOINTS, &st, SQL_NO_ARGS);
        if (k < 0)
                return k;
        while (n_unknown < max && (k = sql_next(st)) > 0) {
                bool configured = false;

                if (sql_column_string(st, 0, unknown[n_unknown], CONFIG_WEBHOOK_NAME_MAX + 1, false) < 0)
                        return -EIO;
                for (size_t i = 0; i < n && !configured; i++)
                        configured = names[i] && strcmp(names[i], unknown[n_unknown]) == 0;
                if (!configured)
                        n_unknown++;
        }
        if (k < 0)
                return k;
        *ret_n = n_unknown;
        return 0;
}

int store_outbox_cancel_other_endpoints(Store *s, const char *const *names, size_t n, const char *why) {
        char unknown[64][CONFIG_WEBHOOK_NAME_MAX + 1];
        size_t n_unknown = 0;
        int k, total = 0;

        if (!s || (n > 0 && !names) || !arg_ok(why, OUTBOX_ERROR_MAX - 1, true))
                return -EINVAL;
        k = outbox_unknown_endpoints(s, names, n, unknown, ELEMENTSOF(unknown), &n_unknown);
        if (k < 0)
                return k;
        for (size_t i = 0; i < n_unknown; i++) {
                k = store_exec(s, STMT_OUTBOX_CANCEL_ENDPOINT,
                               SQL_ARGS(SQL_TEXT_OR_EMPTY(unknown[i]), SQL_TEXT_OR_EMPTY(why)));
                if (k < 0)
                        return k;
                total += k;
        }
        return total;
}

int store_outbox_count(Store *s, OutboxState state, uint64_t *ret) {
        int64_t v;
        int k;

        if (!s || !outbox_state_to_string(state) || !ret)
                return -EINVAL;
        k = store_query_int(s, STMT_OUTBOX_COUNT, SQL_ARGS(SQL_TEXT_OR_EMPTY(outbox_state_to_string(state))), &v);
        if (k < 0)
                return k;
        if (k == 0 || v < 0)
                return -EIO;
        *ret = (uint64_t) v;
        return 0;
}

/* ---- review links ---- */

int store_review_link_insert(Store *s, const ReviewLinkRecord *l) {
        int k;

        if (!s || !l || !FIELD_OK(l->request_id, true) || !FIELD_OK(l->approver, false) ||
            !FIELD_OK(l->endpoint, false))
                return -EINVAL;
        k = store_exec(s, STMT_REVIEW_LINK_INSERT,
                       SQL_ARGS(SQL_BLOB(l->hash.bytes, sizeof(l->hash.bytes)), SQL_TEXT_OR_EMPTY(l->request_id),
                                SQL_TEXT_OR_EMPTY(l->approver), SQL_TEXT_OR_EMPTY(l->endpoint),
                                SQL_INT(l->created_at), SQL_INT(l->expires_at)));
        return k < 0 ? k : 0;
}

static int read_review_link(StoreStatement *st, void *ret) {
        ReviewLinkRecord l = {};

        if (sql_column_blob(st, 0, l.hash.bytes, sizeof(l.hash.bytes)) < 0 ||
            COL_STR(st, 1, l.request_id, true) < 0 || COL_STR(st, 2, l.approver, false) < 0 ||
            COL_STR(st, 3, l.endpoint, false) < 0 || sql_column_int(st, 4, &l.created_at) < 0 ||
            sql_column_int(st, 5, &l.expires_at) < 0)
                return -EIO;
        *(ReviewLinkRecord *) ret = l;
        return 0;
}

int store_review_link_get(Store *s, const ReviewTokenHash *h, ReviewLinkRecord *ret) {
        ReviewLinkRecord l;
        int k;

        if (!s || !h || !ret)
                return -EINVAL;
        k = store_query_row(s, STMT_REVIEW_LINK_GET, SQL_ARGS(SQL_BLOB(h->bytes, sizeof(h->bytes))),
                            read_review_link, &l);
        if (k < 0)
                return k;
        if (k == 0)
                return -ENOENT;
        /* The index found it; still, a tampered row must not match another hash. */
        if (!review_token_hash_equal(&l.hash, h))
                return -EIO;
        *ret = l;
        return 0;
}

int store_review_links_purge(Store *s, int64_t before) {
        if (!s)
                return -EINVAL;
        return store_exec(s, STMT_REVIEW_LINKS_PURGE, SQL_ARGS(SQL_INT(before)));
}
