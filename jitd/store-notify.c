/* The notification tables (see store-notify.h; the schema is step 3 of
 * store.c's migrations). Statements are prepared per call: none of this is
 * on the Check hot path, and it keeps store.c's statement table to the
 * core. Rows are read back as hostile as any other input. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-internal.h"
#include "store-notify.h"

#define OUTBOX_LIST_REQUEST_MAX 256
#define APPROVALS_LIST_MAX 64

static const char *const outbox_state_table[_OUTBOX_STATE_MAX] = {
        [OUTBOX_PENDING] = "pending",
        [OUTBOX_DELIVERED] = "delivered",
        [OUTBOX_FAILED] = "failed",
        [OUTBOX_CANCELLED] = "cancelled",
};

static const char *const outbox_event_table[_WEBHOOK_EVENT_MAX] = {
        [WEBHOOK_EVENT_REQUEST_CREATED] = "created",
        [WEBHOOK_EVENT_REQUEST_APPROVED] = "approved",
        [WEBHOOK_EVENT_REQUEST_DENIED] = "denied",
        [WEBHOOK_EVENT_REQUEST_EXPIRED] = "expired",
        [WEBHOOK_EVENT_REQUEST_CANCELLED] = "cancelled", /* schema 6 */
};

const char *outbox_state_to_string(OutboxState s) {
        return s >= 0 && s < _OUTBOX_STATE_MAX ? outbox_state_table[s] : NULL;
}

static OutboxState outbox_state_from_string(const char *s) {
        for (OutboxState i = 0; i < _OUTBOX_STATE_MAX; i++)
                if (strcmp(outbox_state_table[i], s) == 0)
                        return i;
        return _OUTBOX_STATE_INVALID;
}

const char *outbox_event_to_string(WebhookEventType t) {
        return t >= 0 && t < _WEBHOOK_EVENT_MAX ? outbox_event_table[t] : NULL;
}

static WebhookEventType outbox_event_from_string(const char *s) {
        for (WebhookEventType i = 0; i < _WEBHOOK_EVENT_MAX; i++)
                if (strcmp(outbox_event_table[i], s) == 0)
                        return i;
        return _WEBHOOK_EVENT_INVALID;
}

/* ---- SQLite plumbing ---- */

static int sqlite_errno(int rc) {
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
        case SQLITE_CONSTRAINT:
        case SQLITE_TOOBIG:
        case SQLITE_MISMATCH:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static void finalizep(sqlite3_stmt **st) {
        sqlite3_finalize(*st);
}
#define _cleanup_finalize_ _cleanup_(finalizep)

static int prepare(Store *s, const char *sql, sqlite3_stmt **ret) {
        sqlite3 *db = store_get_sqlite(s);
        int rc;

        if (!db)
                return -EINVAL;
        rc = sqlite3_prepare_v2(db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : sqlite_errno(rc);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v) {
        return sqlite3_bind_text(st, i, v ?: "", -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -ENOMEM;
}

static int bind_int(sqlite3_stmt *st, int i, int64_t v) {
        return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -ENOMEM;
}

static int bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
        return sqlite3_bind_blob(st, i, p, (int) n, SQLITE_STATIC) == SQLITE_OK ? 0 : -ENOMEM;
}

/* 1 row, 0 done, <0 error. */
static int step(sqlite3_stmt *st) {
        int rc = sqlite3_step(st);

        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return sqlite_errno(sqlite3_extended_errcode(sqlite3_db_handle(st)));
}

static int run(sqlite3_stmt *st) {
        int r;

        while ((r = step(st)) > 0)
                ;
        return r;
}

static int column_string(sqlite3_stmt *st, int col, char *buf, size_t size, bool required) {
        const unsigned char *t;
        int n;

        if (sqlite3_column_type(st, col) != SQLITE_TEXT)
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
#define COL_STR(st, col, field, required) column_string((st), (col), (field), sizeof(field), (required))

static int column_int(sqlite3_stmt *st, int col, int64_t *ret) {
        if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
                return -EIO;
        *ret = sqlite3_column_int64(st, col);
        return 0;
}

static bool field_ok(const char *field, size_t size, bool required) {
        size_t n = strnlen(field, size);
        return n < size && (!required || n > 0);
}
#define FIELD_OK(field, required) field_ok((field), sizeof(field), (required))

static bool arg_ok(const char *s, size_t max, bool required) {
        if (!s)
                return !required;
        size_t n = strnlen(s, max + 1);
        return n <= max && (!required || n > 0);
}

/* Growing arrays of records. */
static void *array_next(void **items, size_t *n, size_t *allocated, size_t item_size) {
        if (*n >= *allocated) {
                size_t want = *allocated ? *allocated * 2 : 16;
                void *p = reallocarray(*items, want, item_size);

                if (!p)
                        return NULL;
                *items = p;
                *allocated = want;
        }
        return (uint8_t *) *items + *n * item_size;
}

/* ---- outbox ---- */

#define OUTBOX_COLUMNS                                                                                   \
        "id, message_id, endpoint, request_id, event, created_at, next_attempt_usec, attempts, state, " \
        "last_status, last_error, last_attempt_at, delivered_at, requester, turn"

static int read_outbox(sqlite3_stmt *st, OutboxRecord *ret) {
        OutboxRecord r = {};
        char event[16], state[16];
        int64_t next, attempts, status;

        if (column_int(st, 0, &r.id) < 0 || COL_STR(st, 1, r.message_id, true) < 0 ||
            COL_STR(st, 2, r.endpoint, true) < 0 || COL_STR(st, 3, r.request_id, true) < 0 ||
            COL_STR(st, 4, event, true) < 0 || column_int(st, 5, &r.created_at) < 0 || column_int(st, 6, &next) < 0 ||
            next < 0 || column_int(st, 7, &attempts) < 0 || attempts < 0 || attempts > 1000000 ||
            COL_STR(st, 8, state, true) < 0 || column_int(st, 9, &status) < 0 || status < 0 || status > 999 ||
            COL_STR(st, 10, r.last_error, false) < 0 || column_int(st, 11, &r.last_attempt_at) < 0 ||
            column_int(st, 12, &r.delivered_at) < 0 || COL_STR(st, 13, r.requester, false) < 0 ||
            column_int(st, 14, &r.turn) < 0 || r.turn < 0)
                return -EIO;
        r.event = outbox_event_from_string(event);
        r.state = outbox_state_from_string(state);
        if (r.event < 0 || r.state < 0 || !webhook_message_id_is_valid(r.message_id))
                return -EIO;
        r.next_attempt_usec = (uint64_t) next;
        r.attempts = (unsigned) attempts;
        r.last_status = (long) status;
        *ret = r;
        return 0;
}

static bool outbox_ok(const OutboxRecord *r) {
        return r && FIELD_OK(r->message_id, true) && webhook_message_id_is_valid(r->message_id) &&
               FIELD_OK(r->endpoint, true) && FIELD_OK(r->request_id, true) && outbox_event_to_string(r->event) &&
               outbox_state_to_string(r->state) && FIELD_OK(r->last_error, false) && FIELD_OK(r->requester, false) &&
               r->next_attempt_usec <= INT64_MAX && r->last_status >= 0 && r->last_status <= 999;
}

int store_outbox_insert(Store *s, const OutboxRecord *r) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !outbox_ok(r))
                return -EINVAL;
        k = prepare(s,
                    "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at, next_attempt_usec, "
                    "attempts, state, last_status, last_error, last_attempt_at, delivered_at, requester, turn)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                    "  max(coalesce((SELECT min(turn) FROM outbox WHERE endpoint = ?2 AND state = 'pending'), 0),"
                    "      coalesce((SELECT max(turn) + 1 FROM outbox"
                    "                WHERE endpoint = ?2 AND requester = ?13 AND state = 'pending'), 0)))",
                    &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, r->message_id) < 0 || bind_text(st, 2, r->endpoint) < 0 ||
            bind_text(st, 3, r->request_id) < 0 || bind_text(st, 4, outbox_event_to_string(r->event)) < 0 ||
            bind_int(st, 5, r->created_at) < 0 || bind_int(st, 6, (int64_t) r->next_attempt_usec) < 0 ||
            bind_int(st, 7, r->attempts) < 0 || bind_text(st, 8, outbox_state_to_string(r->state)) < 0 ||
            bind_int(st, 9, r->last_status) < 0 || bind_text(st, 10, r->last_error) < 0 ||
            bind_int(st, 11, r->last_attempt_at) < 0 || bind_int(st, 12, r->delivered_at) < 0 ||
            bind_text(st, 13, r->requester) < 0)
                return -ENOMEM;
        return run(st);
}

static int outbox_collect(sqlite3_stmt *st, size_t max, OutboxRecord **ret, size_t *ret_n) {
        OutboxRecord *items = NULL;
        size_t n = 0, allocated = 0;
        int k;

        while ((k = step(st)) > 0 && n < max) {
                OutboxRecord *slot = array_next((void **) &items, &n, &allocated, sizeof(OutboxRecord));

                if (!slot) {
                        k = -ENOMEM;
                        break;
                }
                k = read_outbox(st, slot);
                if (k < 0)
                        break;
                n++;
        }
        if (k < 0) {
                free(items);
                return k;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}

int store_outbox_list_due(Store *s, uint64_t now_usec, unsigned limit, OutboxRecord **ret, size_t *ret_n) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !ret || !ret_n || now_usec > INT64_MAX)
                return -EINVAL;
        k = prepare(s,
                    "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state = 'pending' AND next_attempt_usec <= ?1"
                    " ORDER BY next_attempt_usec, id LIMIT ?2",
                    &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, (int64_t) now_usec) < 0 || bind_int(st, 2, limit) < 0)
                return -ENOMEM;
        return outbox_collect(st, limit, ret, ret_n);
}

int store_outbox_list_fair(Store *s, const char *endpoint, uint64_t now_usec, unsigned limit, OutboxRecord **ret,
                           size_t *ret_n) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(endpoint, CONFIG_WEBHOOK_NAME_MAX, true) || !ret || !ret_n || now_usec > INT64_MAX)
                return -EINVAL;
        /* outbox_fair serves it in order, without sorting the backlog
         * ("+" keeps the planner off outbox_due, which would sort every
         * due row). Rows waiting for a retry are skipped: they are few
         * unless the endpoint is failing, and then scans come only as
         * often as its retries. */
        k = prepare(s,
                    "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE endpoint = ?1 AND state = 'pending'"
                    " AND +next_attempt_usec <= ?2 ORDER BY turn, id LIMIT ?3",
                    &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, endpoint) < 0 || bind_int(st, 2, (int64_t) now_usec) < 0 || bind_int(st, 3, limit) < 0)
                return -ENOMEM;
        return outbox_collect(st, limit, ret, ret_n);
}

int store_outbox_next_due_after(Store *s, uint64_t after_usec, uint64_t *ret_usec) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int64_t v;
        int k;

        if (!s || after_usec > INT64_MAX)
                return -EINVAL;
        k = prepare(s, "SELECT min(next_attempt_usec) FROM outbox WHERE state = 'pending' AND next_attempt_usec > ?1",
                    &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, (int64_t) after_usec) < 0)
                return -ENOMEM;
        k = step(st);
        if (k <= 0)
                return k < 0 ? k : -EIO;
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
                return 0;
        if (column_int(st, 0, &v) < 0 || v < 0)
                return -EIO;
        if (ret_usec)
                *ret_usec = (uint64_t) v;
        return 1;
}

int store_outbox_next_due(Store *s, uint64_t *ret_usec) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int64_t v;
        int k;

        if (!s)
                return -EINVAL;
        k = prepare(s, "SELECT min(next_attempt_usec) FROM outbox WHERE state = 'pending'", &st);
        if (k < 0)
                return k;
        k = step(st);
        if (k <= 0)
                return k < 0 ? k : -EIO;
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
                return 0;
        if (column_int(st, 0, &v) < 0 || v < 0)
                return -EIO;
        if (ret_usec)
                *ret_usec = (uint64_t) v;
        return 1;
}

int store_outbox_update(Store *s, const OutboxRecord *r) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !outbox_ok(r))
                return -EINVAL;
        k = prepare(s,
                    "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_usec = ?4, last_status = ?5,"
                    " last_error = ?6, last_attempt_at = ?7, delivered_at = ?8 WHERE id = ?1",
                    &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, r->id) < 0 || bind_text(st, 2, outbox_state_to_string(r->state)) < 0 ||
            bind_int(st, 3, r->attempts) < 0 || bind_int(st, 4, (int64_t) r->next_attempt_usec) < 0 ||
            bind_int(st, 5, r->last_status) < 0 || bind_text(st, 6, r->last_error) < 0 ||
            bind_int(st, 7, r->last_attempt_at) < 0 || bind_int(st, 8, r->delivered_at) < 0)
                return -ENOMEM;
        k = run(st);
        if (k < 0)
                return k;
        return sqlite3_changes(store_get_sqlite(s)) > 0 ? 0 : -ENOENT;
}

int store_outbox_list_request(Store *s, const char *request_id, OutboxRecord **ret, size_t *ret_n) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !ret || !ret_n)
                return -EINVAL;
        k = prepare(s, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE request_id = ?1 ORDER BY id LIMIT ?2", &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0 || bind_int(st, 2, OUTBOX_LIST_REQUEST_MAX) < 0)
                return -ENOMEM;
        return outbox_collect(st, OUTBOX_LIST_REQUEST_MAX, ret, ret_n);
}

int store_outbox_requeue(Store *s, const char *request_id, const char *endpoint, uint64_t now_usec, int64_t now) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k, n;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(endpoint, CONFIG_WEBHOOK_NAME_MAX, false) ||
            now_usec > INT64_MAX)
                return -EINVAL;
        k = prepare(s,
                    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_usec = ?3, created_at = ?4,"
                    " last_error = '' WHERE request_id = ?1 AND (?2 = '' OR endpoint = ?2)"
                    " AND state IN ('failed', 'cancelled')",
                    &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0 || bind_text(st, 2, endpoint ?: "") < 0 ||
            bind_int(st, 3, (int64_t) now_usec) < 0 || bind_int(st, 4, now) < 0)
                return -ENOMEM;
        k = run(st);
        if (k < 0)
                return k;
        n = sqlite3_changes(store_get_sqlite(s));

        /* Still being retried: the next attempt is now. */
        sqlite3_finalize(TAKE_PTR(st));
        k = prepare(s,
                    "UPDATE outbox SET next_attempt_usec = ?3 WHERE request_id = ?1 AND (?2 = '' OR endpoint = ?2)"
                    " AND state = 'pending' AND next_attempt_usec > ?3",
                    &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0 || bind_text(st, 2, endpoint ?: "") < 0 ||
            bind_int(st, 3, (int64_t) now_usec) < 0)
                return -ENOMEM;
        k = run(st);
        if (k < 0)
                return k;
        return n + sqlite3_changes(store_get_sqlite(s));
}

int store_outbox_cancel_other_endpoints(Store *s, const char *const *names, size_t n, const char *why) {
        char unknown[64][CONFIG_WEBHOOK_NAME_MAX + 1];
        size_t n_unknown = 0;
        int k, total = 0;

        if (!s || (n > 0 && !names) || !arg_ok(why, OUTBOX_ERROR_MAX - 1, true))
                return -EINVAL;
        {
                _cleanup_finalize_ sqlite3_stmt *st = NULL;

                /* The endpoints that have pending rows, from outbox_fair's
                 * leading column: a handful, whatever the backlog. Read in
                 * full before any row changes. */
                k = prepare(s, "SELECT DISTINCT endpoint FROM outbox WHERE state = 'pending'", &st);
                if (k < 0)
                        return k;
                while (n_unknown < ELEMENTSOF(unknown) && (k = step(st)) > 0) {
                        bool configured = false;

                        if (COL_STR(st, 0, unknown[n_unknown], false) < 0)
                                return -EIO;
                        for (size_t i = 0; i < n && !configured; i++)
                                configured = names[i] && strcmp(names[i], unknown[n_unknown]) == 0;
                        if (!configured)
                                n_unknown++;
                }
                if (k < 0)
                        return k;
        }
        for (size_t i = 0; i < n_unknown; i++) {
                _cleanup_finalize_ sqlite3_stmt *st = NULL;

                k = prepare(s,
                            "UPDATE outbox SET state = 'cancelled', last_error = ?2 WHERE endpoint = ?1"
                            " AND state = 'pending'",
                            &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, unknown[i]) < 0 || bind_text(st, 2, why) < 0)
                        return -ENOMEM;
                k = run(st);
                if (k < 0)
                        return k;
                total += sqlite3_changes(store_get_sqlite(s));
        }
        return total;
}

int store_outbox_count(Store *s, OutboxState state, uint64_t *ret) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int64_t v;
        int k;

        if (!s || !outbox_state_to_string(state) || !ret)
                return -EINVAL;
        k = prepare(s, "SELECT count(*) FROM outbox WHERE state = ?1", &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, outbox_state_to_string(state)) < 0)
                return -ENOMEM;
        k = step(st);
        if (k <= 0)
                return k < 0 ? k : -EIO;
        if (column_int(st, 0, &v) < 0 || v < 0)
                return -EIO;
        *ret = (uint64_t) v;
        return 0;
}

/* ---- review links ---- */

int store_review_link_insert(Store *s, const ReviewLinkRecord *l) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s || !l || !FIELD_OK(l->request_id, true) || !FIELD_OK(l->approver, false) ||
            !FIELD_OK(l->endpoint, false))
                return -EINVAL;
        k = prepare(s,
                    "INSERT INTO review_links (token_hash, request_id, approver, endpoint, created_at, expires_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &st);
        if (k < 0)
                return k;
        if (bind_blob(st, 1, l->hash.bytes, sizeof(l->hash.bytes)) < 0 || bind_text(st, 2, l->request_id) < 0 ||
            bind_text(st, 3, l->approver) < 0 || bind_text(st, 4, l->endpoint) < 0 ||
            bind_int(st, 5, l->created_at) < 0 || bind_int(st, 6, l->expires_at) < 0)
                return -ENOMEM;
        return run(st);
}

int store_review_link_get(Store *s, const ReviewTokenHash *h, ReviewLinkRecord *ret) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        ReviewLinkRecord l = {};
        const void *blob;
        int k;

        if (!s || !h || !ret)
                return -EINVAL;
        k = prepare(s,
                    "SELECT token_hash, request_id, approver, endpoint, created_at, expires_at FROM review_links"
                    " WHERE token_hash = ?1",
                    &st);
        if (k < 0)
                return k;
        if (bind_blob(st, 1, h->bytes, sizeof(h->bytes)) < 0)
                return -ENOMEM;
        k = step(st);
        if (k < 0)
                return k;
        if (k == 0)
                return -ENOENT;
        blob = sqlite3_column_blob(st, 0);
        if (sqlite3_column_type(st, 0) != SQLITE_BLOB || sqlite3_column_bytes(st, 0) != (int) sizeof(l.hash.bytes) ||
            !blob)
                return -EIO;
        memcpy(l.hash.bytes, blob, sizeof(l.hash.bytes));
        if (COL_STR(st, 1, l.request_id, true) < 0 || COL_STR(st, 2, l.approver, false) < 0 ||
            COL_STR(st, 3, l.endpoint, false) < 0 || column_int(st, 4, &l.created_at) < 0 ||
            column_int(st, 5, &l.expires_at) < 0)
                return -EIO;
        /* The index found it; still, a tampered row must not match another hash. */
        if (!review_token_hash_equal(&l.hash, h))
                return -EIO;
        *ret = l;
        return 0;
}

int store_review_links_purge(Store *s, int64_t before) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int k;

        if (!s)
                return -EINVAL;
        k = prepare(s, "DELETE FROM review_links WHERE expires_at < ?1", &st);
        if (k < 0)
                return k;
        if (bind_int(st, 1, before) < 0)
                return -ENOMEM;
        k = run(st);
        if (k < 0)
                return k;
        return sqlite3_changes(store_get_sqlite(s));
}

/* ---- approvals ---- */

int store_record_approval(Store *s, const ApprovalRecord *a, int64_t now, uint64_t default_duration,
                          unsigned *ret_count, uint64_t *ret_min_duration) {
        int64_t count, min_duration;
        int k;

        if (!s || !a || !FIELD_OK(a->request_id, true) || !FIELD_OK(a->approver, true) || !FIELD_OK(a->person, true) ||
            !FIELD_OK(a->via, false) ||
            a->duration_sec > INT64_MAX || default_duration == 0 || default_duration > INT64_MAX)
                return -EINVAL;

        {
                _cleanup_finalize_ sqlite3_stmt *st = NULL;

                k = prepare(s, "SELECT state = 'pending' AND expires_at > ?2 FROM requests WHERE id = ?1", &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, a->request_id) < 0 || bind_int(st, 2, now) < 0)
                        return -ENOMEM;
                k = step(st);
                if (k < 0)
                        return k;
                if (k == 0)
                        return -ENOENT;
                if (sqlite3_column_int(st, 0) != 1)
                        return -ESTALE;
        }
        {
                _cleanup_finalize_ sqlite3_stmt *st = NULL;

                k = prepare(s,
                            "INSERT INTO approvals (request_id, approver, approved_at, duration, via, person)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, a->request_id) < 0 || bind_text(st, 2, a->approver) < 0 ||
                    bind_int(st, 3, a->approved_at > 0 ? a->approved_at : now) < 0 ||
                    bind_int(st, 4, (int64_t) a->duration_sec) < 0 || bind_text(st, 5, a->via) < 0 ||
                    bind_text(st, 6, a->person) < 0)
                        return -ENOMEM;
                k = run(st);
                if (k < 0)
                        return k; /* -EEXIST: counted already */
        }
        {
                _cleanup_finalize_ sqlite3_stmt *st = NULL;

                k = prepare(s,
                            "SELECT count(*), min(CASE WHEN duration > 0 THEN duration ELSE ?2 END) FROM approvals"
                            " WHERE request_id = ?1",
                            &st);
                if (k < 0)
                        return k;
                if (bind_text(st, 1, a->request_id) < 0 || bind_int(st, 2, (int64_t) default_duration) < 0)
                        return -ENOMEM;
                k = step(st);
                if (k <= 0)
                        return k < 0 ? k : -EIO;
                if (column_int(st, 0, &count) < 0 || count < 1 || count > 100000 ||
                    column_int(st, 1, &min_duration) < 0 || min_duration <= 0)
                        return -EIO;
        }
        if (ret_count)
                *ret_count = (unsigned) count;
        if (ret_min_duration)
                *ret_min_duration = (uint64_t) min_duration;
        return 0;
}

int store_count_approvals(Store *s, const char *request_id, unsigned *ret) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int64_t v;
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !ret)
                return -EINVAL;
        k = prepare(s, "SELECT count(*) FROM approvals WHERE request_id = ?1", &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0)
                return -ENOMEM;
        k = step(st);
        if (k <= 0)
                return k < 0 ? k : -EIO;
        if (column_int(st, 0, &v) < 0 || v < 0 || v > 100000)
                return -EIO;
        *ret = (unsigned) v;
        return 0;
}

bool store_has_approval(Store *s, const char *request_id, const char *person) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !arg_ok(person, JIT_USER_MAX, true))
                return false;
        if (prepare(s, "SELECT 1 FROM approvals WHERE request_id = ?1 AND person = ?2", &st) < 0)
                return false;
        if (bind_text(st, 1, request_id) < 0 || bind_text(st, 2, person) < 0)
                return false;
        return step(st) > 0;
}

int store_list_approvals(Store *s, const char *request_id, ApprovalRecord **ret, size_t *ret_n) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        ApprovalRecord *items = NULL;
        size_t n = 0, allocated = 0;
        int k;

        if (!s || !arg_ok(request_id, JIT_ID_MAX - 1, true) || !ret || !ret_n)
                return -EINVAL;
        k = prepare(s,
                    "SELECT request_id, approver, approved_at, duration, via, person FROM approvals"
                    " WHERE request_id = ?1 ORDER BY approved_at, person LIMIT ?2",
                    &st);
        if (k < 0)
                return k;
        if (bind_text(st, 1, request_id) < 0 || bind_int(st, 2, APPROVALS_LIST_MAX) < 0)
                return -ENOMEM;
        while ((k = step(st)) > 0) {
                ApprovalRecord *a = array_next((void **) &items, &n, &allocated, sizeof(ApprovalRecord));
                int64_t duration;

                if (!a) {
                        k = -ENOMEM;
                        break;
                }
                *a = (ApprovalRecord){};
                if (COL_STR(st, 0, a->request_id, true) < 0 || COL_STR(st, 1, a->approver, true) < 0 ||
                    column_int(st, 2, &a->approved_at) < 0 || column_int(st, 3, &duration) < 0 || duration < 0 ||
                    COL_STR(st, 4, a->via, false) < 0 || COL_STR(st, 5, a->person, true) < 0) {
                        k = -EIO;
                        break;
                }
                a->duration_sec = (uint64_t) duration;
                n++;
        }
        if (k < 0) {
                free(items);
                return k;
        }
        *ret = items;
        *ret_n = n;
        return 0;
}
