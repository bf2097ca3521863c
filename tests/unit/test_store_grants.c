/* What the state store holds, on a real SQLite file in a temporary
 * directory: deadline boundaries, first-decision-wins transitions, expiry,
 * listings, sessions, field caps, the hot lookup at 100k grants, pending
 * teardowns and the request limit's window. Opening, schema and migration
 * are test_store.c's. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macros.h"
#include "store-test.h"

/* io.jit.Check's narrow query must find exactly what the full one finds. */
static void check_live_agrees(Store *s, const char *user, JitAction action, int64_t now) {
        GrantRecord full = {};
        LiveGrant brief = {};
        int a = store_find_live_grant(s, user, action, now, &full);
        int b = store_check_live_grant(s, user, action, now, &brief);

        CHECK_INT(b, a);
        if (a <= 0 || b <= 0)
                return;
        CHECK_STR(brief.id, full.id);
        CHECK_STR(brief.request_id, full.request_id);
        CHECK_STR(brief.approver, full.approver);
        CHECK_INT(brief.expires_at, full.expires_at);
        CHECK_INT(brief.breakglass, full.breakglass);
}

static void check_live_agrees_around(Store *s, int64_t T) {
        for (int64_t d = -2; d <= 2; d++) {
                check_live_agrees(s, "alice", JIT_ACTION_LOGIN, T + d);
                check_live_agrees(s, "alice", JIT_ACTION_SUDO, T + d);
                check_live_agrees(s, "ALICE", JIT_ACTION_LOGIN, T + d);
        }
}

static void test_live_grant_boundaries(void) {
        Store *s = open_fresh("boundaries.db");
        GrantRecord g, got;
        const int64_t T = 1700000000;

        if (!s)
                return;
        g = make_grant("g0000000000000100", "alice", JIT_ACTION_LOGIN, T - 3600, T);
        CHECK_INT(store_insert_grant(s, &g), 0);

        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T - 1, &got), 1);
        CHECK_STR(got.id, "g0000000000000100");
        check_live_agrees_around(s, T);
        {
                LiveGrant lg;

                CHECK_INT(store_check_live_grant(s, "alice", JIT_ACTION_LOGIN, T, &lg), 0);
                CHECK_INT(store_check_live_grant(s, "alice", JIT_ACTION_LOGIN, T - 1, &lg), 1);
                CHECK_STR(lg.id, "g0000000000000100");
                CHECK_INT(lg.expires_at, T);
                CHECK_INT(store_check_live_grant(s, NULL, JIT_ACTION_LOGIN, T, &lg), -EINVAL);
                CHECK_INT(store_check_live_grant(s, "alice", _JIT_ACTION_MAX, T, &lg), -EINVAL);
        }
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T, &got), 0); /* the deadline itself: over */
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T + 1, &got), 0);
        /* Per action and per user. */
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_SUDO, T - 1, &got), 0);
        CHECK_INT(store_find_live_grant(s, "alicex", JIT_ACTION_LOGIN, T - 1, &got), 0);
        CHECK_INT(store_find_live_grant(s, "ALICE", JIT_ACTION_LOGIN, T - 1, &got), 0);

        /* A grant expiring a second later is live at T. */
        g = make_grant("g0000000000000101", "alice", JIT_ACTION_LOGIN, T - 10, T + 1);
        CHECK_INT(store_insert_grant(s, &g), 0);
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T, &got), 1);
        CHECK_STR(got.id, "g0000000000000101");
        /* With two live grants, the one lasting longest wins. */
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T - 1, &got), 1);
        CHECK_STR(got.id, "g0000000000000101");
        check_live_agrees_around(s, T);

        /* Revoked grants are not live, whatever their deadline. */
        CHECK_INT(store_end_grant(s, "g0000000000000101", GRANT_REVOKED, "carol", NULL, T - 5, &got), 0);
        CHECK_INT(got.state, GRANT_REVOKED);
        CHECK_STR(got.ended_by, "carol");
        CHECK_INT(got.ended_at, T - 5);
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T, &got), 0);
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T - 1, &got), 1);
        CHECK_STR(got.id, "g0000000000000100");
        check_live_agrees_around(s, T);

        /* Pending requests follow the same rule. */
        RequestRecord r = make_request("r0000000000000100", "alice", JIT_ACTION_SUDO, T - 100, T), rr;
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_find_pending_request(s, "alice", JIT_ACTION_SUDO, T - 1, &rr), 1);
        CHECK_STR(rr.id, "r0000000000000100");
        CHECK_INT(store_find_pending_request(s, "alice", JIT_ACTION_SUDO, T, &rr), 0);
        CHECK_INT(store_find_pending_request(s, "alice", JIT_ACTION_LOGIN, T - 1, &rr), 0);
        /* The newest pending one is returned. */
        r = make_request("r0000000000000101", "alice", JIT_ACTION_SUDO, T - 50, T + 100);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_find_pending_request(s, "alice", JIT_ACTION_SUDO, T - 1, &rr), 1);
        CHECK_STR(rr.id, "r0000000000000101");

        CHECK_INT(store_find_live_grant(s, NULL, JIT_ACTION_LOGIN, T, &got), -EINVAL);
        CHECK_INT(store_find_live_grant(s, "alice", _JIT_ACTION_MAX, T, &got), -EINVAL);
        store_close(s);
}

/* Parts of test_decisions(), on one store. The first decision wins:
 * approve, approve again, too late, deny then approve. */
static void check_first_decision_wins(Store *s, const int64_t T) {
        RequestRecord r, got;
        GrantRecord g, gg;

        /* Approve: the request flips and the grant appears, together. */
        r = make_request("r0000000000000200", "alice", JIT_ACTION_LOGIN, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), 0);
        g = make_grant("g0000000000000200", "mallory", JIT_ACTION_SUDO, 0, T + 10 + 3600);
        g.reason[0] = '\0';
        g.breakglass = true;
        CHECK_INT(store_approve_request(s, r.id, "carol", T + 10, &g), 0);
        /* The store takes user/action from the request, not from the caller. */
        CHECK_STR(g.user, "alice");
        CHECK_INT(g.action, JIT_ACTION_LOGIN);
        CHECK_STR(g.request_id, "r0000000000000200");
        CHECK_STR(g.approver, "carol");
        CHECK_STR(g.reason, "deploy hotfix");
        CHECK(!g.breakglass);
        CHECK_INT(g.state, GRANT_ACTIVE);
        CHECK_INT(g.created_at, T + 10);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_APPROVED);
        CHECK_STR(got.decided_by, "carol");
        CHECK_INT(got.decided_at, T + 10);
        CHECK_STR(got.grant_id, "g0000000000000200");
        CHECK_INT(store_get_grant(s, "g0000000000000200", &gg), 0);
        CHECK_STR(gg.user, "alice");
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T + 11, &gg), 1);
        CHECK_INT(store_find_pending_request(s, "alice", JIT_ACTION_LOGIN, T + 11, &got), 0);

        /* Second approval (a double click, a second approver): stale. */
        g = make_grant("g0000000000000201", "alice", JIT_ACTION_LOGIN, T + 12, T + 12 + 3600);
        CHECK_INT(store_approve_request(s, r.id, "dave", T + 12, &g), -ESTALE);
        CHECK_INT(store_get_grant(s, "g0000000000000201", &gg), -ENOENT);
        CHECK_INT(store_deny_request(s, r.id, "dave", NULL, "no", T + 12, &got), -ESTALE);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_STR(got.decided_by, "carol");

        /* Unknown id. */
        CHECK_INT(store_approve_request(s, "r0000000000000299", "carol", T, &g), -ENOENT);
        CHECK_INT(store_deny_request(s, "r0000000000000299", "carol", NULL, NULL, T, &got), -ENOENT);

        /* After its TTL a request can no longer be approved, even unswept. */
        r = make_request("r0000000000000202", "alice", JIT_ACTION_SUDO, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), 0);
        g = make_grant("g0000000000000202", "alice", JIT_ACTION_SUDO, T + 900, T + 900 + 3600);
        CHECK_INT(store_approve_request(s, r.id, "carol", T + 900, &g), -ESTALE);
        CHECK_INT(store_get_grant(s, "g0000000000000202", &gg), -ENOENT);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_PENDING);
        /* ... while one second earlier it could have been. */

        /* Deny, then approve: the denial stands. */
        r = make_request("r0000000000000203", "bob", JIT_ACTION_SUDO, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_deny_request(s, r.id, "carol", NULL, "not during the freeze", T + 5, &got), 0);
        CHECK_INT(got.state, REQUEST_DENIED);
        CHECK_STR(got.decided_by, "carol");
        CHECK_STR(got.decided_by_person, "");
        CHECK_STR(got.decision_reason, "not during the freeze");
        CHECK_INT(got.decided_at, T + 5);
        g = make_grant("g0000000000000203", "bob", JIT_ACTION_SUDO, T + 6, T + 6 + 3600);
        CHECK_INT(store_approve_request(s, r.id, "carol", T + 6, &g), -ESTALE);
        CHECK_INT(store_find_live_grant(s, "bob", JIT_ACTION_SUDO, T + 7, &gg), 0);
        /* Check can tell the user it was denied. */
        CHECK_INT(store_find_recent_request(s, "bob", JIT_ACTION_SUDO, T, &got), 1);
        CHECK_STR(got.id, "r0000000000000203");
        CHECK_INT(got.state, REQUEST_DENIED);
        CHECK_INT(store_find_recent_request(s, "bob", JIT_ACTION_SUDO, T + 6, &got), 0);
        CHECK_INT(store_find_recent_request(s, "bob", JIT_ACTION_LOGIN, T, &got), 0);
}

/* Who may decide and who did, the reason while pending, and revoking. */
static void check_who_decides(Store *s, const int64_t T) {
        RequestRecord r, got;
        GrantRecord g, gg;

        /* Nobody approves their own request. */
        r = make_request("r0000000000000204", "carol", JIT_ACTION_SUDO, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), 0);
        g = make_grant("g0000000000000204", "carol", JIT_ACTION_SUDO, T + 1, T + 3600);
        CHECK_INT(store_approve_request(s, r.id, "carol", T + 1, &g), -EPERM);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_PENDING);
        CHECK_INT(store_get_grant(s, "g0000000000000204", &gg), -ENOENT);
        /* ... nor through sudo, as root. */
        snprintf(g.approver_person, sizeof g.approver_person, "carol");
        CHECK_INT(store_approve_request(s, r.id, "root", T + 1, &g), -EPERM);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_PENDING);
        CHECK_INT(store_get_grant(s, "g0000000000000204", &gg), -ENOENT);
        g.approver_person[0] = 0;

        /* A grant id that already exists rolls the whole approval back. */
        g = make_grant("g0000000000000200", "carol", JIT_ACTION_SUDO, T + 1, T + 3600);
        CHECK_INT(store_approve_request(s, r.id, "dave", T + 1, &g), -EEXIST);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_PENDING);
        CHECK_STR(got.grant_id, "");
        /* A deadline not after now is a caller bug. */
        g = make_grant("g0000000000000205", "carol", JIT_ACTION_SUDO, T + 1, T + 1);
        CHECK_INT(store_approve_request(s, r.id, "dave", T + 1, &g), -EINVAL);

        /* Who decided: the account and the person behind it, both kept. */
        r = make_request("r0000000000000206", "bob", JIT_ACTION_SUDO, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), 0);
        g = make_grant("g0000000000000206", "bob", JIT_ACTION_SUDO, T + 1, T + 3600);
        snprintf(g.approver_person, sizeof g.approver_person, "dave");
        CHECK_INT(store_approve_request(s, r.id, "root", T + 1, &g), 0);
        CHECK_STR(g.approver, "root");
        CHECK_STR(g.approver_person, "dave");
        CHECK_INT(store_get_grant(s, "g0000000000000206", &gg), 0);
        CHECK_STR(gg.approver_person, "dave");
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_STR(got.decided_by, "root");
        CHECK_STR(got.decided_by_person, "dave");
        r = make_request("r0000000000000207", "bob", JIT_ACTION_LOGIN, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_cancel_request(s, r.id, "root", "bob", "not needed", T + 2, &got), 0);
        CHECK_INT(got.state, REQUEST_CANCELLED);
        CHECK_STR(got.decided_by, "root");
        CHECK_STR(got.decided_by_person, "bob");
        r = make_request("r0000000000000204", "carol", JIT_ACTION_SUDO, T, T + 900);

        /* The reason can be added while pending, not after. */
        CHECK_INT(store_update_request_reason(s, r.id, "need to restart nginx"), 0);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_STR(got.reason, "need to restart nginx");
        CHECK_INT(store_update_request_reason(s, "r0000000000000203", "late"), -ESTALE);
        CHECK_INT(store_update_request_reason(s, "r0000000000000298", "x"), -ENOENT);

        /* Revoke. */
        CHECK_INT(store_end_grant(s, "g0000000000000200", GRANT_REVOKED, "root", "dave", T + 20, &gg), 0);
        CHECK_STR(gg.ended_by, "root");
        CHECK_STR(gg.ended_by_person, "dave");
        CHECK_INT(gg.state, GRANT_REVOKED);
        CHECK_INT(store_end_grant(s, "g0000000000000200", GRANT_REVOKED, "dave", NULL, T + 21, &gg), -ESTALE);
        CHECK_INT(store_end_grant(s, "g0000000000000200", GRANT_EXPIRED, NULL, NULL, T + 21, &gg), -ESTALE);
        CHECK_INT(store_end_grant(s, "g0000000000000299", GRANT_REVOKED, "dave", NULL, T + 21, &gg), -ENOENT);
        CHECK_INT(store_end_grant(s, "g0000000000000200", GRANT_ACTIVE, "dave", NULL, T + 21, &gg), -EINVAL);
        CHECK_INT(store_get_grant(s, "g0000000000000200", &gg), 0);
        CHECK_INT(gg.state, GRANT_REVOKED);
        CHECK_INT(gg.ended_at, T + 20);
        CHECK_INT(store_find_live_grant(s, "alice", JIT_ACTION_LOGIN, T + 22, &gg), 0);
}

static void test_decisions(void) {
        Store *s = open_fresh("decisions.db");
        const int64_t T = 1700000000;

        if (!s)
                return;

        check_first_decision_wins(s, T);
        check_who_decides(s, T);

        store_close(s);
}

typedef struct Seen {
        char ids[1024][JIT_SESSION_MAX + 1];
        size_t n;
} Seen;

static int seen_grant(const GrantRecord *g, void *userdata) {
        Seen *seen = userdata;
        if (seen->n < ELEMENTSOF(seen->ids))
                memcpy(seen->ids[seen->n], g->id, JIT_ID_MAX);
        seen->n++;
        return 0;
}

static int seen_request(const RequestRecord *r, void *userdata) {
        Seen *seen = userdata;
        if (seen->n < ELEMENTSOF(seen->ids))
                memcpy(seen->ids[seen->n], r->id, JIT_ID_MAX);
        seen->n++;
        return 0;
}

static int seen_session(const SessionRecord *r, void *userdata) {
        Seen *seen = userdata;
        if (seen->n < ELEMENTSOF(seen->ids))
                snprintf(seen->ids[seen->n], sizeof seen->ids[0], "%s", r->session_id);
        seen->n++;
        return 0;
}

static bool seen_has(const Seen *seen, const char *id) {
        for (size_t i = 0; i < seen->n && i < ELEMENTSOF(seen->ids); i++)
                if (strcmp(seen->ids[i], id) == 0)
                        return true;
        return false;
}

typedef struct ReentrantCtx {
        Store *s;
        int ended;
} ReentrantCtx;

/* A callback that writes to the store while being called from it. */
static int revoke_each(const GrantRecord *g, void *userdata) {
        ReentrantCtx *c = userdata;
        if (store_end_grant(c->s, g->id, GRANT_REVOKED, "root", NULL, 10, NULL) == 0)
                c->ended++;
        return 0;
}

static int fail_second(const GrantRecord *g, void *userdata) {
        int *n = userdata;
        return ++*n >= 2 ? -ECANCELED : 0;
}

/* Part of test_expiry_and_lists(): listings after the expiry, and
 * callbacks that fail or write to the store. */
static void check_listings(Store *s, const int64_t T) {
        GrantRecord gg;

        /* Listings: newest first, filters, limit. */
        Seen l = {};
        CHECK_INT(store_list_grants(s, NULL, false, T + 1, 0, seen_grant, &l), 4);
        CHECK_STR(l.ids[0], "g0000000000000304");
        CHECK_STR(l.ids[3], "g0000000000000301");
        l.n = 0;
        CHECK_INT(store_list_grants(s, NULL, true, T + 1, 100, seen_grant, &l), 1);
        CHECK_STR(l.ids[0], "g0000000000000304");
        l.n = 0;
        CHECK_INT(store_list_grants(s, "alice", false, T + 1, 100, seen_grant, &l), 2);
        l.n = 0;
        CHECK_INT(store_list_grants(s, "alice", true, T + 1, 100, seen_grant, &l), 0);
        l.n = 0;
        CHECK_INT(store_list_grants(s, NULL, false, T + 1, 2, seen_grant, &l), 2);
        CHECK_STR(l.ids[1], "g0000000000000303");
        /* "active" means live at `now`, not merely not swept yet. */
        l.n = 0;
        CHECK_INT(store_list_grants(s, "bob", true, T + 500, 100, seen_grant, &l), 0);

        l.n = 0;
        CHECK_INT(store_list_requests(s, NULL, false, T + 1, 0, seen_request, &l), 3);
        CHECK_STR(l.ids[0], "r0000000000000303");
        l.n = 0;
        CHECK_INT(store_list_requests(s, NULL, true, T + 1, 0, seen_request, &l), 2);
        l.n = 0;
        CHECK_INT(store_list_requests(s, "bob", true, T + 250, 0, seen_request, &l), 1);
        CHECK_STR(l.ids[0], "r0000000000000303");
        l.n = 0;
        CHECK_INT(store_list_requests(s, "carol", false, T, 0, seen_request, &l), 0);

        /* A callback's error stops the listing and is returned. */
        int calls = 0;
        CHECK_INT(store_list_grants(s, NULL, false, T, 0, fail_second, &calls), -ECANCELED);
        CHECK_INT(calls, 2);

        /* Callbacks may write to the store: the listing is finished by then. */
        ReentrantCtx rc = { .s = s };
        CHECK_INT(store_list_grants(s, "bob", true, T + 1, 0, revoke_each, &rc), 1);
        CHECK_INT(rc.ended, 1);
        CHECK_INT(store_get_grant(s, "g0000000000000304", &gg), 0);
        CHECK_INT(gg.state, GRANT_REVOKED);
}

static void test_expiry_and_lists(void) {
        Store *s = open_fresh("expiry.db");
        const int64_t T = 1700000000;
        Seen sg = {};
        int64_t deadline = 0;

        if (!s)
                return;

        CHECK_INT(store_next_deadline(s, &deadline), 0);
        CHECK_INT(store_expire_due(s, T, seen_grant, seen_request, NULL), 0);

        GrantRecord g1 = make_grant("g0000000000000301", "alice", JIT_ACTION_LOGIN, T - 100, T - 1);
        GrantRecord g2 = make_grant("g0000000000000302", "alice", JIT_ACTION_SUDO, T - 100, T);
        GrantRecord g3 = make_grant("g0000000000000303", "bob", JIT_ACTION_LOGIN, T - 90, T + 1);
        GrantRecord g4 = make_grant("g0000000000000304", "bob", JIT_ACTION_SUDO, T - 80, T + 500);
        CHECK_INT(store_insert_grant(s, &g1), 0);
        CHECK_INT(store_insert_grant(s, &g2), 0);
        CHECK_INT(store_insert_grant(s, &g3), 0);
        CHECK_INT(store_insert_grant(s, &g4), 0);
        RequestRecord r1 = make_request("r0000000000000301", "alice", JIT_ACTION_LOGIN, T - 50, T);
        RequestRecord r2 = make_request("r0000000000000302", "bob", JIT_ACTION_LOGIN, T - 40, T + 200);
        RequestRecord r3 = make_request("r0000000000000303", "bob", JIT_ACTION_SUDO, T - 30, T + 300);
        CHECK_INT(store_insert_request(s, &r1), 0);
        CHECK_INT(store_insert_request(s, &r2), 0);
        CHECK_INT(store_insert_request(s, &r3), 0);

        CHECK_INT(store_next_deadline(s, &deadline), 1);
        CHECK_INT(deadline, T - 1);

        /* At T: everything with a deadline <= T. */
        Seen sx = {};
        CHECK_INT(store_expire_due(s, T, seen_grant, seen_request, &sx), 3);
        CHECK_INT(sx.n, 3);
        CHECK(seen_has(&sx, "g0000000000000301"));
        CHECK(seen_has(&sx, "g0000000000000302"));
        CHECK(seen_has(&sx, "r0000000000000301"));
        CHECK(!seen_has(&sx, "g0000000000000303"));

        GrantRecord gg;
        RequestRecord rr;
        CHECK_INT(store_get_grant(s, "g0000000000000302", &gg), 0);
        CHECK_INT(gg.state, GRANT_EXPIRED);
        CHECK_INT(gg.ended_at, T); /* at its deadline */
        CHECK_INT(store_get_request(s, "r0000000000000301", &rr), 0);
        CHECK_INT(rr.state, REQUEST_EXPIRED);
        CHECK_INT(rr.decided_at, T);
        /* Expired requests count as "recently decided" for Check. */
        CHECK_INT(store_find_recent_request(s, "alice", JIT_ACTION_LOGIN, T - 10, &rr), 1);
        CHECK_INT(rr.state, REQUEST_EXPIRED);

        /* Nothing twice; callbacks optional. */
        CHECK_INT(store_expire_due(s, T, NULL, NULL, NULL), 0);
        CHECK_INT(store_next_deadline(s, &deadline), 1);
        CHECK_INT(deadline, T + 1);
        CHECK_INT(store_expire_due(s, T + 1, seen_grant, seen_request, &sg), 1);
        CHECK_INT(store_next_deadline(s, &deadline), 1);
        CHECK_INT(deadline, T + 200);

        check_listings(s, T);

        /* A backlog larger than one batch is expired completely. */
        CHECK_INT(sql_exec(s, "BEGIN"), SQLITE_OK);
        for (int i = 0; i < 700; i++) {
                char id[32];
                snprintf(id, sizeof id, "g1%015d", i);
                GrantRecord g = make_grant(id, "bulk", JIT_ACTION_LOGIN, T, T + 1000 + i % 7);
                CHECK_INT(store_insert_grant(s, &g), 0);
                snprintf(id, sizeof id, "r1%015d", i);
                RequestRecord r = make_request(id, "bulk", JIT_ACTION_LOGIN, T, T + 1000 + i % 5);
                CHECK_INT(store_insert_request(s, &r), 0);
        }
        CHECK_INT(sql_exec(s, "COMMIT"), SQLITE_OK);
        Seen big = {};
        /* Two pending requests (r2 at T+200, r3 at T+300) also fall due. */
        CHECK_INT(store_expire_due(s, T + 2000, seen_grant, seen_request, &big), 1402);
        CHECK_INT(big.n, 1402);
        CHECK_INT(store_next_deadline(s, &deadline), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM grants WHERE state = 'active'"), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM requests WHERE state = 'pending'"), 0);

        store_close(s);
}

static SessionRecord make_session(const char *sid, const char *grant, const char *user, int64_t opened) {
        SessionRecord r = { .pid = 4242, .opened_at = opened };
        snprintf(r.session_id, sizeof r.session_id, "%s", sid);
        snprintf(r.grant_id, sizeof r.grant_id, "%s", grant);
        snprintf(r.user, sizeof r.user, "%s", user);
        snprintf(r.service, sizeof r.service, "sshd");
        snprintf(r.tty, sizeof r.tty, "pts/3");
        snprintf(r.rhost, sizeof r.rhost, "192.0.2.9");
        return r;
}

static void test_sessions(void) {
        Store *s = open_fresh("sessions.db");
        const int64_t T = 1700000000;
        Seen l = {};

        if (!s)
                return;
        GrantRecord g = make_grant("g0000000000000401", "alice", JIT_ACTION_LOGIN, T, T + 3600);
        CHECK_INT(store_insert_grant(s, &g), 0);

        SessionRecord a = make_session("12", g.id, "alice", T + 1);
        SessionRecord b = make_session("13", g.id, "alice", T + 2);
        CHECK_INT(store_open_session(s, &a), 0);
        CHECK_INT(store_open_session(s, &b), 0);
        SessionRecord bad = make_session("14", "g0000000000000499", "alice", T + 3);
        CHECK_INT(store_open_session(s, &bad), -ENOENT); /* no such grant */

        CHECK_INT(store_list_sessions(s, g.id, true, seen_session, &l), 2);
        CHECK_STR(l.ids[0], "12");
        CHECK_STR(l.ids[1], "13");

        CHECK_INT(store_close_session(s, "alice", "12", T + 10), 0);
        CHECK_INT(store_close_session(s, "alice", "12", T + 11), -ENOENT);
        CHECK_INT(store_close_session(s, "bob", "13", T + 11), -ENOENT); /* not bob's */
        l.n = 0;
        CHECK_INT(store_list_sessions(s, g.id, true, seen_session, &l), 1);
        CHECK_STR(l.ids[0], "13");
        l.n = 0;
        CHECK_INT(store_list_sessions(s, g.id, false, seen_session, &l), 2);
        l.n = 0;
        CHECK_INT(store_list_sessions(s, NULL, true, seen_session, &l), 1);
        l.n = 0;
        CHECK_INT(store_list_sessions(s, "g0000000000000499", false, seen_session, &l), 0);

        /* After a reboot logind reuses ids: the stale "open" one is closed. */
        SessionRecord again = make_session("13", g.id, "alice", T + 100);
        CHECK_INT(store_open_session(s, &again), 0);
        l.n = 0;
        CHECK_INT(store_list_sessions(s, g.id, true, seen_session, &l), 1);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE session_id = '13'"), 2);
        CHECK_INT(sql_int(s, "SELECT closed_at FROM sessions WHERE session_id = '13' AND opened_at = 1700000002"),
                  T + 100);
        store_close(s);
}

/* What tells a session from a later one with its id survives the store; a
 * sudo grant's row shares the login session's id without closing the
 * login's row; a new login with that id closes every open row of it. */
static int first_session(const SessionRecord *r, void *userdata) {
        SessionRecord *ret = userdata;

        if (ret->session_id[0] == '\0')
                *ret = *r;
        return 0;
}

static void test_session_identity(void) {
        Store *s = open_fresh("session-identity.db");
        const int64_t T = 1700000000;
        SessionRecord back = {};

        if (!s)
                return;
        GrantRecord login = make_grant("g0000000000000601", "alice", JIT_ACTION_LOGIN, T, T + 3600);
        GrantRecord sudo = make_grant("g0000000000000602", "alice", JIT_ACTION_SUDO, T, T + 3600);
        CHECK_INT(store_insert_grant(s, &login), 0);
        CHECK_INT(store_insert_grant(s, &sudo), 0);

        SessionRecord a = make_session("20", login.id, "alice", T + 1);
        snprintf(a.boot_id, sizeof a.boot_id, "0123456789abcdef0123456789abcdef");
        a.opened_monotonic_usec = 123456789;
        a.uid = 1001;
        CHECK_INT(store_open_session(s, &a), 0);
        CHECK_INT(store_list_sessions(s, login.id, true, first_session, &back), 1);
        CHECK_STR(back.boot_id, a.boot_id);
        CHECK_INT(back.opened_monotonic_usec, 123456789);
        CHECK_INT(back.uid, 1001);

        SessionRecord b = make_session("20", sudo.id, "alice", T + 2);
        CHECK_INT(store_open_session(s, &b), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE session_id = '20' AND closed_at = 0"), 2);
        b.opened_at = T + 3; /* sudo again in that session: replaces only its own row */
        CHECK_INT(store_open_session(s, &b), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE grant_id = 'g0000000000000601' AND closed_at = 0"),
                  1);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE grant_id = 'g0000000000000602' AND closed_at = 0"),
                  1);

        SessionRecord c = make_session("20", login.id, "alice", T + 4); /* a new login with that id */
        CHECK_INT(store_open_session(s, &c), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE session_id = '20' AND closed_at = 0"), 1);
        CHECK_INT(store_close_session(s, "alice", "20", T + 5), 0);
        CHECK_INT(sql_int(s, "SELECT count(*) FROM sessions WHERE closed_at = 0"), 0);

        SessionRecord bad = make_session("21", login.id, "alice", T + 6);
        snprintf(bad.boot_id, sizeof bad.boot_id, "not-a-boot-id");
        CHECK_INT(store_open_session(s, &bad), -EINVAL);
        bad.boot_id[0] = '\0';
        bad.uid = -2;
        CHECK_INT(store_open_session(s, &bad), -EINVAL);

        /* A tampered row is an error, not a session to act on. */
        CHECK_INT(sqlite3_exec(store_get_sqlite(s), "UPDATE sessions SET boot_id = 'x' WHERE opened_at = 1700000001", NULL,
                               NULL, NULL),
                  SQLITE_OK);
        memset(&back, 0, sizeof back);
        CHECK_INT(store_list_sessions(s, login.id, false, first_session, &back), -EIO);
        store_close(s);
}

/* Part of test_field_caps(), on its store (r0000000000000501 in it). */
static void check_tampered_file(Store *s, const int64_t T) {
        RequestRecord got;
        GrantRecord g, gg;

        /* A tampered file: values that do not fit the records are an error
         * (deny), never an overflow or a silent cut. */
        g = make_grant("g0000000000000502", "bob", JIT_ACTION_SUDO, T, T + 900);
        CHECK_INT(store_insert_grant(s, &g), 0);
        CHECK_INT(store_find_live_grant(s, "bob", JIT_ACTION_SUDO, T, &gg), 1);
        CHECK_INT(sql_exec(s, "UPDATE grants SET reason = printf('%.*c', 600, 'r') WHERE id = 'g0000000000000502'"),
                  SQLITE_OK);
        CHECK_INT(store_find_live_grant(s, "bob", JIT_ACTION_SUDO, T, &gg), -EIO);
        CHECK_INT(store_get_grant(s, "g0000000000000502", &gg), -EIO);
        {
                /* Check reads fewer columns, with the same checks on each. */
                LiveGrant lg;

                CHECK_INT(sql_exec(s, "UPDATE grants SET reason = '', approver = printf('%.*c', 600, 'a')"
                                      " WHERE id = 'g0000000000000502'"),
                          SQLITE_OK);
                CHECK_INT(store_check_live_grant(s, "bob", JIT_ACTION_SUDO, T, &lg), -EIO);
                CHECK_INT(sql_exec(s, "PRAGMA ignore_check_constraints = ON;"
                                      "UPDATE grants SET approver = '', breakglass = 7"
                                      " WHERE id = 'g0000000000000502';"
                                      "PRAGMA ignore_check_constraints = OFF;"),
                          SQLITE_OK);
                CHECK_INT(store_check_live_grant(s, "bob", JIT_ACTION_SUDO, T, &lg), -EIO);
                CHECK_INT(sql_exec(s, "UPDATE grants SET breakglass = 0, reason = printf('%.*c', 600, 'r')"
                                      " WHERE id = 'g0000000000000502'"),
                          SQLITE_OK);
        }
        CHECK_INT(sql_exec(s, "UPDATE grants SET reason = 'a' || char(0) || 'b' WHERE id = 'g0000000000000502'"),
                  SQLITE_OK);
        CHECK_INT(store_get_grant(s, "g0000000000000502", &gg), -EIO);
        CHECK_INT(sql_exec(s, "PRAGMA ignore_check_constraints = ON;"
                              "UPDATE grants SET reason = '', state = 'forever' WHERE id = 'g0000000000000502';"
                              "PRAGMA ignore_check_constraints = OFF;"),
                  SQLITE_OK);
        CHECK_INT(store_get_grant(s, "g0000000000000502", &gg), -EIO);
        CHECK_INT(sql_exec(s, "UPDATE requests SET user = printf('%.*c', 100, 'u') WHERE id = 'r0000000000000501'"),
                  SQLITE_OK);
        CHECK_INT(store_get_request(s, "r0000000000000501", &got), -EIO);
        Seen l = {};
        CHECK_INT(store_list_requests(s, NULL, false, T, 0, seen_request, &l), -EIO);
}

static void test_field_caps(void) {
        Store *s = open_fresh("caps.db");
        const int64_t T = 1700000000;
        char long_reason[JIT_REASON_MAX + 2];
        RequestRecord r, got;
        GrantRecord g, gg;

        if (!s)
                return;

        /* A field that fills its array with no NUL is refused, not truncated. */
        r = make_request("r0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        memset(r.user, 'a', sizeof r.user);
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("r0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        memset(r.reason, 'x', sizeof r.reason);
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("r0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        memset(r.rhost, 'h', sizeof r.rhost);
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("", "alice", JIT_ACTION_LOGIN, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("r0000000000000501", "", JIT_ACTION_LOGIN, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("r0000000000000501", "alice", (JitAction) 7, T, T + 900);
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("r0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        r.state = (RequestState) 9;
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        r = make_request("r0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        r.duration_sec = UINT64_MAX;
        CHECK_INT(store_insert_request(s, &r), -EINVAL);
        g = make_grant("g0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        memset(g.approver, 'c', sizeof g.approver);
        CHECK_INT(store_insert_grant(s, &g), -EINVAL);
        SessionRecord se = make_session("1", "g0000000000000501", "alice", T);
        memset(se.session_id, '9', sizeof se.session_id);
        CHECK_INT(store_open_session(s, &se), -EINVAL);

        /* The longest allowed values fit exactly. */
        r = make_request("r0000000000000501", "alice", JIT_ACTION_LOGIN, T, T + 900);
        memset(r.reason, 'x', sizeof r.reason - 1);
        memset(r.user, 'u', sizeof r.user - 1);
        r.user[sizeof r.user - 1] = '\0';
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(strlen(got.reason), JIT_REASON_MAX);
        CHECK_INT(strlen(got.user), JIT_USER_MAX);

        /* String arguments are capped too. */
        memset(long_reason, 'y', sizeof long_reason - 1);
        long_reason[sizeof long_reason - 1] = '\0';
        CHECK_INT(store_update_request_reason(s, r.id, long_reason), -EINVAL);
        CHECK_INT(store_deny_request(s, r.id, "carol", NULL, long_reason, T + 1, &got), -EINVAL);
        char long_user[JIT_USER_MAX + 2];
        memset(long_user, 'z', sizeof long_user - 1);
        long_user[sizeof long_user - 1] = '\0';
        CHECK_INT(store_find_live_grant(s, long_user, JIT_ACTION_LOGIN, T, &gg), -EINVAL);
        CHECK_INT(store_deny_request(s, r.id, long_user, NULL, "", T + 1, &got), -EINVAL);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_PENDING);

        check_tampered_file(s, T);

        store_close(s);
}

static double now_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void test_many_grants(void) {
        Store *s = open_fresh("many.db");
        const int64_t T = 1700000000;
        const int N = 100000;
        GrantRecord g;
        double t0, t1;

        if (!s)
                return;

        t0 = now_sec();
        CHECK_INT(sql_exec(s, "BEGIN"), SQLITE_OK);
        for (int i = 0; i < N; i++) {
                char id[32], user[32];

                snprintf(id, sizeof id, "g%016d", i);
                snprintf(user, sizeof user, "user%05d", i % 20000);
                /* Five grants per user: per action, with deadlines spread, some expired/revoked. */
                g = make_grant(id, user, i % 2 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN, T - 3600,
                               T + (i % 5 == 4 ? -1 : 60 + i % 3600));
                if (i % 5 == 3)
                        g.state = GRANT_REVOKED;
                CHECK_INT(store_insert_grant(s, &g), 0);
        }
        CHECK_INT(sql_exec(s, "COMMIT"), SQLITE_OK);
        t1 = now_sec();
        printf("test_store: inserted %d grants in %.2fs\n", N, t1 - t0);

        /* The hot lookup is an index search, not a scan. */
        sqlite3_stmt *st = NULL;
        char plan[512] = "";
        CHECK_INT(sqlite3_prepare_v2(store_get_sqlite(s),
                                     "EXPLAIN QUERY PLAN SELECT id FROM grants WHERE user = 'x' AND action = 'login'"
                                     " AND state = 'active' AND expires_at > 5 ORDER BY expires_at DESC LIMIT 1",
                                     -1, &st, NULL),
                  SQLITE_OK);
        while (st && sqlite3_step(st) == SQLITE_ROW)
                snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s; ", sqlite3_column_text(st, 3));
        sqlite3_finalize(st);
        CHECK(strstr(plan, "USING INDEX grants_live") != NULL);
        if (!strstr(plan, "USING INDEX grants_live"))
                fprintf(stderr, "plan: %s\n", plan);

        /* Every user+action: the right answer, and quickly. */
        int found = 0, wrong = 0;
        t0 = now_sec();
        for (int u = 0; u < 20000; u++)
                for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                        char user[32];
                        int64_t best = 0;
                        const char *best_id = NULL;
                        char ids[8][32];
                        int n = 0;

                        snprintf(user, sizeof user, "user%05d", u);
                        /* Work out the expected grant from the same rules. */
                        for (int i = u; i < N; i += 20000) {
                                if ((i % 2 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN) != a)
                                        continue;
                                if (i % 5 == 3 || i % 5 == 4)
                                        continue;
                                int64_t exp = T + 60 + i % 3600;
                                snprintf(ids[n], sizeof ids[n], "g%016d", i);
                                if (exp > best) {
                                        best = exp;
                                        best_id = ids[n];
                                }
                                n++;
                        }
                        int k = store_find_live_grant(s, user, a, T, &g);
                        if (k == 1)
                                found++;
                        if ((k == 1) != (best_id != NULL) ||
                            (best_id && (strcmp(g.id, best_id) != 0 || g.expires_at != best)))
                                wrong++;
                }
        t1 = now_sec();
        CHECK_INT(wrong, 0);
        CHECK(found > 0);
        printf("test_store: %d lookups (%d live) in %.3fs: %.0f lookups/s\n", 40000, found, t1 - t0,
               40000 / (t1 - t0));

        /* Unknown users cost the same and find nothing. */
        CHECK_INT(store_find_live_grant(s, "nobody", JIT_ACTION_LOGIN, T, &g), 0);
        store_close(s);
}

static int refuse_request(const RequestRecord *r, void *userdata) {
        return -ENOSPC;
}

/* A grant's end actions are pending from the moment it ends, whatever
 * ended it, until jitd says they ran; a crash in between loses nothing. */
static void test_teardowns(void) {
        Store *s = open_fresh("teardown.db");
        const int64_t T = 1700000000;
        TeardownRecord t, *due = NULL;
        GrantRecord gg;
        size_t n = 0;
        int64_t next = 0;

        if (!s)
                return;

        CHECK_INT(store_next_teardown_due(s, &next), 0);
        CHECK_INT(store_get_teardown(s, "g0000000000000501", &t), -ENOENT);

        GrantRecord g1 = make_grant("g0000000000000501", "alice", JIT_ACTION_LOGIN, T - 100, T - 1);
        GrantRecord g2 = make_grant("g0000000000000502", "bob", JIT_ACTION_SUDO, T - 100, T + 500);
        CHECK_INT(store_insert_grant(s, &g1), 0);
        CHECK_INT(store_insert_grant(s, &g2), 0);
        /* A live grant has nothing pending. */
        CHECK_INT(store_get_teardown(s, g1.id, &t), -ENOENT);

        /* An expiry whose outbox rows cannot be written is not committed:
         * no half-expired request, no grant ended without its teardown. */
        RequestRecord r1 = make_request("r0000000000000501", "carol", JIT_ACTION_LOGIN, T - 50, T);
        CHECK_INT(store_insert_request(s, &r1), 0);
        CHECK_INT(store_expire_due_tx(s, T, T, refuse_request, NULL, NULL, NULL), -ENOSPC);
        CHECK_INT(store_get_grant(s, g1.id, &gg), 0);
        CHECK_INT(gg.state, GRANT_ACTIVE);
        CHECK_INT(store_get_teardown(s, g1.id, &t), -ENOENT);

        /* Expired by the clock: pending, due at once, not audited yet. */
        CHECK_INT(store_expire_due_tx(s, T, T, NULL, NULL, NULL, NULL), 2);
        CHECK_INT(store_get_teardown(s, g1.id, &t), 0);
        CHECK(!t.audited);
        CHECK_INT(t.attempts, 0);
        CHECK_INT(t.next_attempt_at, 0);

        /* Revoked, with its reason, in one transaction. */
        CHECK_INT(store_transaction_begin(s), 0);
        CHECK_INT(store_end_grant(s, g2.id, GRANT_REVOKED, "dave", NULL, T + 10, &gg), 0);
        CHECK_INT(store_set_teardown_reason(s, g2.id, "left the team"), 0);
        CHECK_INT(store_transaction_commit(s), 0);
        CHECK_INT(store_get_teardown(s, g2.id, &t), 0);
        CHECK_STR(t.reason, "left the team");
        /* A grant that did not end has no teardown to give a reason to. */
        CHECK_INT(store_set_teardown_reason(s, "g0000000000000599", "x"), -ENOENT);

        CHECK_INT(store_list_teardowns_due(s, T + 10, 0, &due, &n), 0);
        CHECK_INT(n, 2);
        free(due);

        /* An attempt in flight holds a lease: not due again until it runs
         * out; a failed one is due at its backoff. */
        CHECK_INT(store_teardown_attempt(s, g1.id, 1, T + 130), 0);
        CHECK_INT(store_get_teardown(s, g1.id, &t), 0);
        CHECK(t.audited);
        CHECK_INT(t.attempts, 1);
        CHECK_INT(store_list_teardowns_due(s, T + 10, 0, &due, &n), 0);
        CHECK_INT(n, 1);
        CHECK(n == 1 && strcmp(due[0].grant_id, g2.id) == 0);
        free(due);
        CHECK_INT(store_teardown_done(s, g2.id), 0);
        CHECK_INT(store_next_teardown_due(s, &next), 1);
        CHECK_INT(next, T + 130);

        /* After a restart everything left is due now. */
        CHECK_INT(store_teardowns_all_due(s), 1);
        CHECK_INT(store_list_teardowns_due(s, T + 10, 0, &due, &n), 0);
        CHECK_INT(n, 1);
        free(due);

        /* It survives closing the store (a crash), and goes when done. */
        store_close(s);
        s = NULL;
        CHECK_INT(store_open(tmp_path("teardown.db"), &s), 0);
        if (!s)
                return;
        CHECK_INT(store_get_teardown(s, g1.id, &t), 0);
        CHECK_INT(t.attempts, 1);
        CHECK_INT(store_teardown_done(s, g1.id), 0);
        CHECK_INT(store_get_teardown(s, g1.id, &t), -ENOENT);
        CHECK_INT(store_next_teardown_due(s, &next), 0);
        store_close(s);
}

/* The request limit's count: requests of one user, of any action and
 * state, created after `since`; the n-th newest says when the window
 * frees a place. */
static void test_request_window(void) {
        Store *s = open_fresh("window.db");
        const int64_t T = 1700000000;
        int64_t t = 0;

        if (!s)
                return;
        for (int i = 0; i < 5; i++) {
                char id[JIT_ID_MAX];
                RequestRecord r;

                snprintf(id, sizeof id, "r00000000000003%02d", i);
                r = make_request(id, "mallory", i % 2 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN, T + 10 * i, T + 900);
                if (i < 3)
                        r.state = REQUEST_CANCELLED;
                CHECK_INT(store_insert_request(s, &r), 0);
        }
        {
                RequestRecord other = make_request("r0000000000000399", "alice", JIT_ACTION_LOGIN, T + 45, T + 900);

                CHECK_INT(store_insert_request(s, &other), 0);
        }
        /* Five since before the first: the 5th newest is the first. */
        CHECK_INT(store_nth_newest_request(s, "mallory", T - 1, 5, &t), 1);
        CHECK_INT(t, T);
        CHECK_INT(store_nth_newest_request(s, "mallory", T - 1, 6, &t), 0);
        /* The window starts after the first two: three left. */
        CHECK_INT(store_nth_newest_request(s, "mallory", T + 10, 3, &t), 1);
        CHECK_INT(t, T + 20);
        CHECK_INT(store_nth_newest_request(s, "mallory", T + 10, 4, &t), 0);
        /* Another user's requests do not count. */
        CHECK_INT(store_nth_newest_request(s, "alice", T - 1, 1, &t), 1);
        CHECK_INT(t, T + 45);
        CHECK_INT(store_nth_newest_request(s, "alice", T - 1, 2, &t), 0);
        CHECK_INT(store_nth_newest_request(s, "nobody", 0, 1, &t), 0);
        CHECK_INT(store_nth_newest_request(s, "mallory", 0, 0, &t), -EINVAL);
        store_close(s);
}

int main(void) {
        if (!store_test_begin("test_store_grants"))
                return EXIT_FAILURE;

        test_live_grant_boundaries();
        test_decisions();
        test_expiry_and_lists();
        test_sessions();
        test_session_identity();
        test_field_caps();
        test_many_grants();
        test_teardowns();
        test_request_window();

        return store_test_end("test_store_grants");
}
