/* The notification tables on a real SQLite file: the outbox survives a
 * close and reopen, a request and its outbox rows commit or roll back
 * together (also when a step inside fails), approvals count one person
 * once and only while the request is pending, and review links keep only
 * the token's hash. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "store-internal.h"
#include "store-outbox.h"
#include "store-retention.h"
#include "store.h"
#include "test.h"

static char tmpdir[256];
static char db_path[512];

static RequestRecord make_request(const char *id, const char *user, int64_t created, int64_t expires) {
        RequestRecord r = {
                .action = JIT_ACTION_SUDO,
                .state = REQUEST_PENDING,
                .created_at = created,
                .expires_at = expires,
        };
        snprintf(r.id, sizeof r.id, "%s", id);
        snprintf(r.user, sizeof r.user, "%s", user);
        snprintf(r.match_code, sizeof r.match_code, "123-456");
        return r;
}

static OutboxRecord make_row(const char *message_id, const char *request_id, uint64_t due) {
        OutboxRecord o = {
                .event = WEBHOOK_EVENT_REQUEST_CREATED,
                .created_at = 1000,
                .next_attempt_usec = due,
                .state = OUTBOX_PENDING,
        };
        snprintf(o.message_id, sizeof o.message_id, "%s", message_id);
        snprintf(o.endpoint, sizeof o.endpoint, "ops");
        snprintf(o.request_id, sizeof o.request_id, "%s", request_id);
        return o;
}

static void test_schema(Store *s) {
        CHECK_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
        CHECK(STORE_SCHEMA_VERSION >= 3);
}

static void test_request_and_outbox_atomic(Store *s) {
        RequestRecord r = make_request("raaaaaaaaaaaaaaa1", "alice", 1000, 2000), got;
        OutboxRecord o = make_row("msg_one", r.id, 5), bad = make_row("msg_one", r.id, 5);
        OutboxRecord *rows = NULL;
        size_t n = 0;

        /* Committed together. */
        CHECK_INT(store_transaction_begin(s), 0);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_outbox_insert(s, &o), 0);
        CHECK_INT(store_transaction_commit(s), 0);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(store_outbox_list_due(s, 10, 10, &rows, &n), 0);
        CHECK_INT(n, 1);
        free(rows);

        /* A failing second row takes the request with it. */
        r = make_request("raaaaaaaaaaaaaaa2", "bob", 1000, 2000);
        CHECK_INT(store_transaction_begin(s), 0);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_outbox_insert(s, &bad), -EEXIST); /* message ids are unique */
        store_transaction_rollback(s);
        CHECK_INT(store_get_request(s, r.id, &got), -ENOENT);

        /* A store call that fails inside dooms the whole transaction: the
         * approval of an unknown request inside, then commit. */
        r = make_request("raaaaaaaaaaaaaaa3", "carl", 1000, 2000);
        CHECK_INT(store_transaction_begin(s), 0);
        CHECK_INT(store_insert_request(s, &r), 0);
        {
                GrantRecord g = { .expires_at = 5000 };
                snprintf(g.id, sizeof g.id, "gaaaaaaaaaaaaaaa1");
                CHECK_INT(store_approve_request(s, "rzzzzzzzzzzzzzzzz", "dave", 1500, &g), -ENOENT);
        }
        CHECK_INT(store_transaction_commit(s), -ECANCELED);
        store_transaction_rollback(s);
        CHECK_INT(store_get_request(s, r.id, &got), -ENOENT);

        /* And an approval inside a transaction commits with it. */
        r = make_request("raaaaaaaaaaaaaaa4", "dora", 1000, 2000);
        CHECK_INT(store_insert_request(s, &r), 0);
        CHECK_INT(store_transaction_begin(s), 0);
        {
                GrantRecord g = { .expires_at = 5000 };
                OutboxRecord a = make_row("msg_approved", r.id, 5);

                snprintf(g.id, sizeof g.id, "gaaaaaaaaaaaaaaa2");
                CHECK_INT(store_approve_request(s, r.id, "erin", 1500, &g), 0);
                a.event = WEBHOOK_EVENT_REQUEST_APPROVED;
                CHECK_INT(store_outbox_insert(s, &a), 0);
        }
        CHECK_INT(store_transaction_commit(s), 0);
        CHECK_INT(store_get_request(s, r.id, &got), 0);
        CHECK_INT(got.state, REQUEST_APPROVED);
}

static void test_outbox_lifecycle(void) {
        Store *s = NULL;
        OutboxRecord *rows = NULL;
        size_t n = 0;
        uint64_t next = 0, count = 0;

        CHECK_INT(store_open(db_path, &s), 0);
        if (!s)
                return;
        /* From before the reopen: still due. */
        CHECK_INT(store_outbox_next_due(s, &next), 1);
        CHECK_INT(next, 5);
        CHECK_INT(store_outbox_list_due(s, 4, 10, &rows, &n), 0);
        CHECK_INT(n, 0);
        free(rows);
        CHECK_INT(store_outbox_list_due(s, 5, 10, &rows, &n), 0);
        CHECK_INT(n, 2);
        if (n > 0) {
                rows[0].attempts = 1;
                rows[0].last_status = 503;
                snprintf(rows[0].last_error, sizeof rows[0].last_error, "busy");
                rows[0].next_attempt_usec = 100;
                CHECK_INT(store_outbox_update(s, &rows[0]), 0);
                rows[1].state = OUTBOX_DELIVERED;
                rows[1].delivered_at = 1001;
                if (n > 1)
                        CHECK_INT(store_outbox_update(s, &rows[1]), 0);
        }
        free(rows);
        CHECK_INT(store_outbox_next_due(s, &next), 1);
        CHECK_INT(next, 100);
        CHECK_INT(store_outbox_count(s, OUTBOX_DELIVERED, &count), 0);
        CHECK_INT(count, 1);

        CHECK_INT(store_outbox_list_request(s, "raaaaaaaaaaaaaaa1", &rows, &n), 0);
        CHECK_INT(n, 1);
        if (n == 1) {
                CHECK_STR(rows[0].last_error, "busy");
                CHECK_INT(rows[0].last_status, 503);
                rows[0].state = OUTBOX_FAILED;
                CHECK_INT(store_outbox_update(s, &rows[0]), 0);
        }
        free(rows);
        CHECK_INT(store_outbox_next_due(s, &next), 0);
        CHECK_INT(store_outbox_requeue(s, "raaaaaaaaaaaaaaa1", NULL, 777, 2000), 1);
        CHECK_INT(store_outbox_requeue(s, "raaaaaaaaaaaaaaa1", NULL, 777, 2000), 0);
        CHECK_INT(store_outbox_next_due(s, &next), 1);
        CHECK_INT(next, 777);

        /* A tampered row is refused, not used. */
        CHECK_INT(sqlite3_exec(store_get_sqlite(s), "UPDATE outbox SET message_id = 'a.b' WHERE id = 1", NULL, NULL,
                               NULL),
                  SQLITE_OK);
        CHECK_INT(store_outbox_list_due(s, 1000, 10, &rows, &n), -EIO);
        store_close(s);
}

static void test_approvals(Store *s) {
        RequestRecord r = make_request("rbbbbbbbbbbbbbbb1", "alice", 1000, 2000);
        ApprovalRecord a = { .approved_at = 1100, .duration_sec = 900 };
        unsigned count = 0;
        uint64_t shortest = 0;

        CHECK_INT(store_insert_request(s, &r), 0);
        snprintf(a.request_id, sizeof a.request_id, "%s", r.id);
        snprintf(a.approver, sizeof a.approver, "carol");
        snprintf(a.person, sizeof a.person, "carol");
        snprintf(a.via, sizeof a.via, "web");
        CHECK_INT(store_record_approval(s, &a, 1100, 3600, &count, &shortest), 0);
        CHECK_INT(count, 1);
        CHECK_INT(shortest, 900);
        CHECK_INT(store_record_approval(s, &a, 1100, 3600, &count, &shortest), -EEXIST);
        CHECK(store_has_approval(s, r.id, "carol"));
        CHECK(!store_has_approval(s, r.id, "dave"));

        /* One vote per person, whatever the account: carol again, as root. */
        snprintf(a.approver, sizeof a.approver, "root");
        CHECK_INT(store_record_approval(s, &a, 1100, 3600, &count, &shortest), -EEXIST);
        /* A vote without a person is no vote. */
        a.person[0] = 0;
        CHECK_INT(store_record_approval(s, &a, 1100, 3600, &count, &shortest), -EINVAL);

        /* dave as root: root is not one person, dave is another. */
        snprintf(a.person, sizeof a.person, "dave");
        a.duration_sec = 0; /* no choice: counts as the default */
        CHECK_INT(store_record_approval(s, &a, 1100, 600, &count, &shortest), 0);
        CHECK_INT(count, 2);
        CHECK_INT(shortest, 600);
        CHECK_INT(store_count_approvals(s, r.id, &count), 0);
        CHECK_INT(count, 2);
        CHECK(store_has_approval(s, r.id, "dave"));
        CHECK(!store_has_approval(s, r.id, "root"));

        /* Past its deadline, or decided: no more votes. */
        snprintf(a.approver, sizeof a.approver, "erin");
        snprintf(a.person, sizeof a.person, "erin");
        CHECK_INT(store_record_approval(s, &a, 2000, 600, &count, &shortest), -ESTALE);
        CHECK_INT(store_deny_request(s, r.id, "frank", NULL, "no", 1200, NULL), 0);
        CHECK_INT(store_record_approval(s, &a, 1300, 600, &count, &shortest), -ESTALE);
        snprintf(a.request_id, sizeof a.request_id, "rzzzzzzzzzzzzzzzz");
        CHECK_INT(store_record_approval(s, &a, 1300, 600, &count, &shortest), -ENOENT);

        {
                ApprovalRecord *list = NULL;
                size_t n = 0;

                CHECK_INT(store_list_approvals(s, r.id, &list, &n), 0);
                CHECK_INT(n, 2);
                if (n == 2) {
                        CHECK_STR(list[0].via, "web");
                        CHECK_INT(list[0].duration_sec + list[1].duration_sec, 900);
                        CHECK_STR(list[0].approver, "carol");
                        CHECK_STR(list[0].person, "carol");
                        CHECK_STR(list[1].approver, "root");
                        CHECK_STR(list[1].person, "dave");
                }
                free(list);
        }
}

static void test_links(Store *s) {
        ReviewLinkRecord l = { .created_at = 1000, .expires_at = 2000 }, got;
        ReviewTokenHash other;
        char token[REVIEW_TOKEN_STRING_MAX];

        CHECK_INT(review_token_generate(token), 0);
        CHECK_INT(review_token_hash(token, &l.hash), 0);
        snprintf(l.request_id, sizeof l.request_id, "raaaaaaaaaaaaaaa1");
        snprintf(l.approver, sizeof l.approver, "carol");
        snprintf(l.endpoint, sizeof l.endpoint, "ops");
        CHECK_INT(store_review_link_insert(s, &l), 0);
        CHECK_INT(store_review_link_get(s, &l.hash, &got), 0);
        CHECK_STR(got.approver, "carol");
        CHECK_INT(got.expires_at, 2000);
        other = l.hash;
        other.bytes[0] ^= 1;
        CHECK_INT(store_review_link_get(s, &other, &got), -ENOENT);
        /* The token itself is nowhere in the file. */
        {
                sqlite3_stmt *st = NULL;
                int found = -1;

                if (sqlite3_prepare_v2(store_get_sqlite(s), "SELECT count(*) FROM review_links WHERE token_hash = ?1",
                                       -1, &st, NULL) == SQLITE_OK) {
                        sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
                        if (sqlite3_step(st) == SQLITE_ROW)
                                found = sqlite3_column_int(st, 0);
                }
                sqlite3_finalize(st);
                CHECK_INT(found, 0);
        }
        CHECK_INT(store_review_links_purge(s, 2000), 0);
        CHECK_INT(store_review_links_purge(s, 2001), 1);
        CHECK_INT(store_review_link_get(s, &l.hash, &got), -ENOENT);
}

static int64_t sql_count(Store *s, const char *sql) {
        sqlite3_stmt *st = NULL;
        int64_t v = -1;

        if (sqlite3_prepare_v2(store_get_sqlite(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static void insert_fair_row(Store *s, const char *message_id, const char *request_id, const char *requester) {
        OutboxRecord o = make_row(message_id, request_id, 5);

        snprintf(o.endpoint, sizeof o.endpoint, "fair");
        snprintf(o.requester, sizeof o.requester, "%s", requester);
        CHECK_INT(store_outbox_insert(s, &o), 0);
}

/* One requester's backlog does not hold back another's message: each
 * endpoint goes round the requesters, one message each per round. */
static void test_outbox_fair_order(void) {
        RequestRecord flood = make_request("rfffffffffffffff1", "mallory", 1000, 2000);
        RequestRecord genuine = make_request("rfffffffffffffff2", "alice", 1000, 2000);
        RequestRecord later = make_request("rfffffffffffffff3", "bob", 1000, 2000);
        static const char *const expected[] = { "m0", "a0", "m1", "m2", "m3", "m4" };
        OutboxRecord *rows = NULL;
        size_t n = 0;
        char id[16], path[600];
        Store *s = NULL;

        snprintf(path, sizeof path, "%s/fair.db", tmpdir);
        CHECK_INT(store_open(path, &s), 0);
        if (!s)
                return;
        CHECK_INT(store_insert_request(s, &flood), 0);
        CHECK_INT(store_insert_request(s, &genuine), 0);
        CHECK_INT(store_insert_request(s, &later), 0);
        for (int i = 0; i < 5; i++) {
                snprintf(id, sizeof id, "m%d", i);
                insert_fair_row(s, id, flood.id, "mallory");
        }
        insert_fair_row(s, "a0", genuine.id, "alice");

        CHECK_INT(store_outbox_list_fair(s, "fair", 10, 100, &rows, &n), 0);
        CHECK_INT(n, ELEMENTSOF(expected));
        for (size_t i = 0; i < n && i < ELEMENTSOF(expected); i++) {
                CHECK_STR(rows[i].message_id, expected[i]);
                CHECK_STR(rows[i].requester, strcmp(expected[i], "a0") == 0 ? "alice" : "mallory");
        }
        /* The first round went out; a newcomer joins the current round,
         * not the end of mallory's queue. */
        for (size_t i = 0; i < 2 && i < n; i++) {
                rows[i].state = OUTBOX_DELIVERED;
                CHECK_INT(store_outbox_update(s, &rows[i]), 0);
        }
        free(rows);
        insert_fair_row(s, "b0", later.id, "bob");
        CHECK_INT(store_outbox_list_fair(s, "fair", 10, 2, &rows, &n), 0);
        CHECK_INT(n, 2);
        if (n == 2) {
                CHECK_STR(rows[0].message_id, "m1");
                CHECK_STR(rows[1].message_id, "b0");
        }
        free(rows);
        /* Not due yet, or another endpoint's: not listed. */
        CHECK_INT(store_outbox_list_fair(s, "fair", 4, 100, &rows, &n), 0);
        CHECK_INT(n, 0);
        free(rows);
        CHECK_INT(store_outbox_list_fair(s, "nowhere", 10, 100, &rows, &n), 0);
        CHECK_INT(n, 0);
        free(rows);
        {
                uint64_t next = 0;

                CHECK_INT(store_outbox_next_due_after(s, 4, &next), 1);
                CHECK_INT(next, 5);
                CHECK_INT(store_outbox_next_due_after(s, 5000000000ULL, &next), 0);
        }
        /* An endpoint that is no longer configured: its pending rows are
         * settled, the others' left alone. */
        {
                const char *names[] = { "ops" };
                OutboxRecord keep = make_row("keep", genuine.id, 5);

                CHECK_INT(store_outbox_insert(s, &keep), 0);

                CHECK_INT(store_outbox_cancel_other_endpoints(s, names, 1, "gone"), 5);
                CHECK_INT(sql_count(s, "SELECT count(*) FROM outbox WHERE endpoint = 'fair' AND state = 'cancelled'"
                                       " AND last_error = 'gone'"),
                          5);
                CHECK_INT(sql_count(s, "SELECT count(*) FROM outbox WHERE endpoint = 'ops' AND state = 'pending'"),
                          1);
        }
        store_close(s);
}

/* Retention removes what ended before the cutoff, in bounded passes, and
 * nothing that is live or still needed. */
static void test_prune(void) {
        char path[600];
        Store *s = NULL;
        PruneCounts c = {};
        int k, passes = 0;

        snprintf(path, sizeof path, "%s/prune.db", tmpdir);
        CHECK_INT(store_open(path, &s), 0);
        if (!s)
                return;
        CHECK_INT(sqlite3_exec(store_get_sqlite(s),
                               /* Old and finished: go, with their votes, links, messages, sessions. */
                               "INSERT INTO requests (id, user, action, state, created_at, expires_at, decided_at)"
                               " VALUES ('rold1', 'u', 'sudo', 'denied', 100, 200, 150),"
                               "        ('rold2', 'u', 'sudo', 'cancelled', 101, 200, 151),"
                               "        ('rold3', 'u', 'sudo', 'expired', 102, 200, 0),"
                               "        ('rold4', 'u', 'login', 'approved', 103, 200, 153),"
                               /* Old but live or pinned: stay. */
                               "        ('rpend', 'u', 'sudo', 'pending', 104, 99999, 0),"
                               "        ('rlive', 'u', 'login', 'approved', 105, 200, 155),"
                               "        ('rsess', 'u', 'login', 'approved', 106, 200, 156),"
                               "        ('rmsg', 'u', 'sudo', 'denied', 107, 200, 157),"
                               /* Recent: stays. */
                               "        ('rnew', 'u', 'sudo', 'denied', 5000, 6000, 5500);"
                               "INSERT INTO grants (id, request_id, user, action, created_at, expires_at, state, ended_at)"
                               " VALUES ('gold4', 'rold4', 'u', 'login', 153, 180, 'expired', 180),"
                               "        ('glive', 'rlive', 'u', 'login', 155, 99999, 'active', 0),"
                               "        ('gsess', 'rsess', 'u', 'login', 156, 180, 'revoked', 170),"
                               "        ('gtear', NULL, 'u', 'sudo', 157, 180, 'revoked', 170);"
                               "INSERT INTO teardowns (grant_id, created_at) VALUES ('gtear', 170);"
                               "INSERT INTO sessions (session_id, grant_id, user, opened_at, closed_at)"
                               " VALUES ('1', 'gold4', 'u', 154, 170), ('2', 'gsess', 'u', 157, 0);"
                               "INSERT INTO approvals (request_id, approver, person, approved_at)"
                               " VALUES ('rold4', 'carol', 'carol', 153);"
                               "INSERT INTO review_links (token_hash, request_id, created_at, expires_at)"
                               " VALUES (zeroblob(32), 'rold1', 100, 200);"
                               "INSERT INTO outbox (message_id, endpoint, request_id, event, created_at, next_attempt_usec,"
                               " state) VALUES ('o1', 'ops', 'rold1', 'created', 100, 1, 'delivered'),"
                               "        ('o2', 'ops', 'rold1', 'denied', 150, 1, 'failed'),"
                               "        ('o3', 'ops', 'rmsg', 'denied', 157, 1, 'pending'),"
                               "        ('o4', 'ops', 'rlive', 'created', 105, 1, 'delivered'),"
                               "        ('o5', 'ops', 'rnew', 'created', 5000, 1, 'delivered');",
                               NULL, NULL, NULL),
                  SQLITE_OK);

        /* Two rows of a kind per pass: more passes, the same end. */
        while ((k = store_prune(s, 1000, 2, &c)) > 0 && passes < 20)
                passes++;
        CHECK_INT(k, 0);
        CHECK(passes >= 1);
        CHECK_INT(sql_count(s, "SELECT count(*) FROM requests WHERE id IN ('rold1', 'rold2', 'rold3', 'rold4')"), 0);
        CHECK_INT(sql_count(s, "SELECT group_concat(id) = 'rlive,rmsg,rnew,rpend,rsess' FROM"
                               " (SELECT id FROM requests ORDER BY id)"),
                  1);
        CHECK_INT(sql_count(s, "SELECT group_concat(id) = 'glive,gsess,gtear' FROM (SELECT id FROM grants ORDER BY id)"),
                  1);
        CHECK_INT(sql_count(s, "SELECT group_concat(session_id) FROM sessions"), 2);
        CHECK_INT(sql_count(s, "SELECT count(*) FROM approvals"), 0);
        CHECK_INT(sql_count(s, "SELECT count(*) FROM review_links"), 0);
        /* Old finished messages go even when their request stays (o4);
         * a pending one stays, and so does a recent one. */
        CHECK_INT(sql_count(s, "SELECT group_concat(message_id) = 'o3,o5' FROM"
                               " (SELECT message_id FROM outbox ORDER BY message_id)"),
                  1);
        CHECK_INT(sql_count(s, "PRAGMA foreign_key_check"), -1); /* no row: no violation */
        CHECK_INT(store_prune(s, 1000, 2, &c), 0);
        CHECK_INT(c.requests + c.grants + c.sessions + c.messages, 0);
        store_close(s);
}

int main(void) {
        Store *s = NULL;

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jit-store-outbox.XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        snprintf(db_path, sizeof(db_path), "%s/jitd.db", tmpdir);

        CHECK_INT(store_open(db_path, &s), 0);
        if (s) {
                test_schema(s);
                test_request_and_outbox_atomic(s);
                test_approvals(s);
                test_links(s);
                store_close(s);
        }
        test_outbox_lifecycle();
        test_outbox_fair_order();
        test_prune();

        {
                char cmd[600];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", tmpdir);
        }
        return test_result("test_store_outbox");
}
