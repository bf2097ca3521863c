/* Pruning ended rows past their retention (see store-retention.h). Not on
 * any hot path. Each kind is found through
 * a created_at index, so a pass reads old rows only, however large the
 * store: its work is bounded by `max` plus the few old rows that are still
 * pinned (a grant with a session still open). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "store-db.h"
#include "store-retention.h"

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

const char *const store_retention_sql[_STMT_MAX] = {
        /* Messages on their own: a request kept longer (its grant lives on)
         * does not keep its old messages. */
        [STMT_PRUNE_MESSAGES] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at < ?1"
                                " AND state <> 'pending' ORDER BY created_at, id LIMIT ?2)",
        [STMT_PRUNE_SESSIONS] = "DELETE FROM sessions WHERE grant_id IN (" PRUNE_GRANTS ")",
        [STMT_PRUNE_GRANTS] = "DELETE FROM grants WHERE id IN (" PRUNE_GRANTS ")",
        [STMT_PRUNE_APPROVALS] = "DELETE FROM approvals WHERE request_id IN (" PRUNE_REQUESTS ")",
        [STMT_PRUNE_REVIEW_LINKS] = "DELETE FROM review_links WHERE request_id IN (" PRUNE_REQUESTS ")",
        [STMT_PRUNE_REQUEST_MESSAGES] = "DELETE FROM outbox WHERE request_id IN (" PRUNE_REQUESTS ")",
        [STMT_PRUNE_REQUESTS] = "DELETE FROM requests WHERE id IN (" PRUNE_REQUESTS ")",
};

/* Run one of them with ?1 = t, ?2 = n; the number of rows changed. */
static int run_with(Store *s, StatementId id, int64_t t, int64_t n) {
        return store_exec(s, id, SQL_ARGS(SQL_INT(t), SQL_INT(n)));
}

int store_prune(Store *s, int64_t cutoff, unsigned max, PruneCounts *ret) {
        PruneCounts c = {};
        bool more = false;
        int k;

        if (!s || max == 0)
                return -EINVAL;

        k = store_transaction_begin(s);
        if (k < 0)
                return k;

        k = run_with(s, STMT_PRUNE_MESSAGES, cutoff, max);
        if (k >= 0) {
                c.messages = (unsigned) k;
                more = more || (unsigned) k >= max;
                k = run_with(s, STMT_PRUNE_SESSIONS, cutoff, max);
        }
        if (k >= 0) {
                c.sessions = (unsigned) k;
                k = run_with(s, STMT_PRUNE_GRANTS, cutoff, max);
        }
        if (k >= 0) {
                c.grants = (unsigned) k;
                more = more || (unsigned) k >= max;
                k = run_with(s, STMT_PRUNE_APPROVALS, cutoff, max);
        }
        if (k >= 0)
                k = run_with(s, STMT_PRUNE_REVIEW_LINKS, cutoff, max);
        if (k >= 0)
                k = run_with(s, STMT_PRUNE_REQUEST_MESSAGES, cutoff, max);
        if (k >= 0) {
                c.messages += (unsigned) k;
                k = run_with(s, STMT_PRUNE_REQUESTS, cutoff, max);
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
