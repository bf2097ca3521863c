/* Pruning ended rows past their retention (see store-retention.h). Not on
 * any hot path; statements are prepared per call. Each kind is found through
 * a created_at index, so a pass reads old rows only, however large the
 * store: its work is bounded by `max` plus the few old rows that are still
 * pinned (a grant with a session still open). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-internal.h"
#include "store-retention.h"

static void finalizep(sqlite3_stmt **st) {
        sqlite3_finalize(*st);
}
#define _cleanup_finalize_ _cleanup_(finalizep)

static int sqlite_result(sqlite3 *db, int rc) {
        if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
                return 0;
        switch (sqlite3_extended_errcode(db) & 0xff) {
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_FULL:
                return -ENOSPC;
        default:
                return -EIO;
        }
}

/* Run `sql` with ?1 = t, ?2 = n; the number of rows changed. */
static int run_with(sqlite3 *db, const char *sql, int64_t t, int64_t n) {
        _cleanup_finalize_ sqlite3_stmt *st = NULL;
        int rc;

        rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return sqlite_result(db, rc);
        if (sqlite3_bind_int64(st, 1, t) != SQLITE_OK || sqlite3_bind_int64(st, 2, n) != SQLITE_OK)
                return -ENOMEM;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        if (rc != SQLITE_DONE)
                return sqlite_result(db, rc);
        return sqlite3_changes(db);
}

/* The rows one pass removes. Each child table is cleared with the same
 * subquery as its parent: deleting the children does not change which
 * parents qualify, and the order is total, so every statement of a pass
 * sees the same set. */
#define PRUNE_GRANTS                                                                                  \
        "SELECT id FROM grants WHERE created_at < ?1 AND state <> 'active' AND ended_at < ?1"          \
        " AND NOT EXISTS (SELECT 1 FROM teardowns WHERE teardowns.grant_id = grants.id)"               \
        " AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.grant_id = grants.id"                  \
        "                 AND sessions.closed_at = 0)"                                                 \
        " ORDER BY created_at, id LIMIT ?2"
#define PRUNE_REQUESTS                                                                                \
        "SELECT id FROM requests WHERE created_at < ?1 AND state <> 'pending' AND decided_at < ?1"      \
        " AND expires_at < ?1"                                                                        \
        " AND NOT EXISTS (SELECT 1 FROM grants WHERE grants.request_id = requests.id)"                 \
        " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.request_id = requests.id"                  \
        "                 AND outbox.state = 'pending')"                                               \
        " ORDER BY created_at, id LIMIT ?2"

int store_prune(Store *s, int64_t cutoff, unsigned max, PruneCounts *ret) {
        sqlite3 *db = store_get_sqlite(s);
        PruneCounts c = {};
        bool more = false;
        int k;

        if (!db || max == 0)
                return -EINVAL;

        k = store_transaction_begin(s);
        if (k < 0)
                return k;

        /* Messages on their own: a request kept longer (its grant lives on)
         * does not keep its old messages. */
        k = run_with(db,
                     "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < ?1"
                     " AND state <> 'pending' ORDER BY created_at, id LIMIT ?2)",
                     cutoff, max);
        if (k >= 0) {
                c.messages = (unsigned) k;
                more = more || (unsigned) k >= max;
                k = run_with(db, "DELETE FROM sessions WHERE grant_id IN (" PRUNE_GRANTS ")", cutoff, max);
        }
        if (k >= 0) {
                c.sessions = (unsigned) k;
                k = run_with(db, "DELETE FROM grants WHERE id IN (" PRUNE_GRANTS ")", cutoff, max);
        }
        if (k >= 0) {
                c.grants = (unsigned) k;
                more = more || (unsigned) k >= max;
                k = run_with(db, "DELETE FROM approvals WHERE request_id IN (" PRUNE_REQUESTS ")", cutoff, max);
        }
        if (k >= 0)
                k = run_with(db, "DELETE FROM review_links WHERE request_id IN (" PRUNE_REQUESTS ")", cutoff, max);
        if (k >= 0)
                k = run_with(db, "DELETE FROM outbox WHERE request_id IN (" PRUNE_REQUESTS ")", cutoff, max);
        if (k >= 0) {
                c.messages += (unsigned) k;
                k = run_with(db, "DELETE FROM requests WHERE id IN (" PRUNE_REQUESTS ")", cutoff, max);
        }
        if (k >= 0) {
                c.requests = (unsigned) k;
                more = more || (unsigned) k >= max;
                k = store_transaction_commit(s);
        }
        if (k < 0) {
                store_transaction_rollback(s);
                return k;
        }
        if (ret)
                *ret = c;
        return more ? 1 : 0;
}
