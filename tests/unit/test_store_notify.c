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

#include "store-internal.h"
#include "store-notify.h"
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

int main(void) {
        Store *s = NULL;

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jit-store-notify.XXXXXX");
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

        {
                char cmd[600];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", tmpdir);
        }
        return test_result("test_store_notify");
}
