/* A covered, unprivileged user floods jitd with requests, filing and
 * withdrawing their own as fast as jitd answers, from several connections
 * (issue 10, item 10). A real jitd, a real loopback webhook receiver:
 *
 *   - with the default request_limit the flooder gets exactly that many
 *     requests and then io.jit.RateLimited (audited once, nothing granted);
 *     meanwhile root's Checks keep a p99 under 5 ms over thousands of
 *     samples, and a genuine request's notice reaches the receiver within
 *     1 s of the request;
 *   - with the limit raised out of the way and a receiver that takes one
 *     message at a time (50 ms each), the flood leaves a backlog of several
 *     seconds; a genuine notice still arrives within 1 s, also after a
 *     restart of jitd with the backlog in its store (oldest-first would
 *     put it behind the whole backlog);
 *   - rows older than the retention are pruned at start, and nothing
 *     live: an active grant, a pending request, an undelivered message.
 *
 * The bounds are the targets, not loosened for a busy machine;
 * the p99 is taken over enough samples that a handful of scheduler hiccups
 * on a shared CI core cannot decide it. */

#include <grp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"
#include "web-helpers.h"

#define SEC 1000000ULL
#define FLOODERS 4
#define FLOOD_SEC 6
#define DEFAULT_REQUEST_LIMIT 20 /* jitd.conf(5) */
#define ROOT_P99_BOUND_USEC 5000ULL
#define ROOT_SAMPLES_MIN 1000
#define ROOT_SAMPLES_MAX 200000
#define NOTICE_BOUND_SEC 1.0
#define RECEIVER_SLEEP "0.05" /* seconds per message at the serial receiver */
#define BACKLOG_MIN 60        /* messages: 3 s at that receiver */

#define POLICY                                                                         \
        "[sudo]\nusers = nobody daemon\ndefault_duration = 600\nmax_duration = 3600\n" \
        "[login]\nusers = nobody\n"

typedef struct FloodStats {
        unsigned long created, cancelled, refused, reused, other;
        int64_t retry_min, retry_max;
} FloodStats;

static void drop_to(uid_t uid, gid_t gid) {
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(100);
}

static double now_realtime(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* One call on an open connection; NULL if the connection is gone. */
static struct json_object *exchange(int fd, const char *text) {
        struct json_object *reply = NULL;

        if (raw_send(fd, text, strlen(text) + 1) < 0)
                return NULL;
        if (raw_receive(fd, 5 * SEC, &reply) != 1)
                return NULL;
        return reply;
}

/* As the user who runs it: file a request, withdraw it, again, until
 * `until`, on one connection (a new one if jitd closes it). */
static void flood(Jitd *j, uint64_t until, int report) {
        static const char request[] = "{\"method\":\"io.jit.Request\",\"parameters\":{\"protocol\":1,"
                                      "\"action\":\"sudo\",\"reason\":\"flood\"}}";
        FloodStats st = { .retry_min = INT64_MAX };
        int fd = -1;

        while (now_monotonic_usec() < until) {
                struct json_object *reply;
                const char *error;

                if (fd < 0 && (fd = raw_connect(j)) < 0)
                        continue;
                reply = exchange(fd, request);
                if (!reply) {
                        close(fd);
                        fd = -1;
                        continue;
                }
                error = reply_error(reply);
                if (!error && reply_bool(reply, "created") && reply_string(reply, "request_id")) {
                        char cancel[256];
                        struct json_object *r2;

                        st.created++;
                        snprintf(cancel, sizeof(cancel),
                                 "{\"method\":\"io.jit.Deny\",\"parameters\":{\"protocol\":1,"
                                 "\"request_id\":\"%s\",\"cancel\":true}}",
                                 reply_string(reply, "request_id"));
                        r2 = exchange(fd, cancel);
                        if (r2 && !reply_error(r2))
                                st.cancelled++;
                        json_object_put(r2);
                } else if (!error && reply_string(reply, "request_id")) {
                        /* Another flooder's pending request, reused: one
                         * pending request per user and action. */
                        st.reused++;
                } else if (error && strcmp(error, JIT_ERROR_RATE_LIMITED) == 0) {
                        int64_t t = reply_int(reply, "retry_after");

                        st.refused++;
                        if (t < st.retry_min)
                                st.retry_min = t;
                        if (t > st.retry_max)
                                st.retry_max = t;
                } else {
                        if (st.other++ < 3)
                                fprintf(stderr, "flooder: unexpected reply %s\n",
                                        json_object_to_json_string(reply));
                }
                json_object_put(reply);
        }
        if (fd >= 0)
                close(fd);
        (void) !write(report, &st, sizeof(st));
}

/* Start FLOODERS processes as daemon (uid 1, covered for sudo). */
static void flood_start(Jitd *j, uint64_t until, pid_t pids[FLOODERS], int *ret_read) {
        int pipefd[2];

        CHECK_INT(pipe(pipefd), 0);
        for (int i = 0; i < FLOODERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        close(pipefd[0]);
                        drop_to(UID_DAEMON, GID_DAEMON);
                        flood(j, until, pipefd[1]);
                        _exit(0);
                }
        }
        close(pipefd[1]);
        *ret_read = pipefd[0];
}

static FloodStats flood_wait(pid_t pids[FLOODERS], int fd) {
        FloodStats total = { .retry_min = INT64_MAX };

        for (int i = 0; i < FLOODERS; i++) {
                FloodStats st;
                int status;

                if (read(fd, &st, sizeof(st)) == (ssize_t) sizeof(st)) {
                        total.created += st.created;
                        total.cancelled += st.cancelled;
                        total.refused += st.refused;
                        total.reused += st.reused;
                        total.other += st.other;
                        if (st.retry_min < total.retry_min)
                                total.retry_min = st.retry_min;
                        if (st.retry_max > total.retry_max)
                                total.retry_max = st.retry_max;
                }
                CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        close(fd);
        return total;
}

static void start_jitd(Jitd *j, const char *jitd_keys, const char *rest, Receiver *rcv) {
        _cleanup_free_ char *keys = NULL, *config = NULL;
        int status = 0, r;

        CHECK(asprintf(&keys, "%s%s", TEST_JITD_KEYS, jitd_keys) > 0);
        CHECK(asprintf(&config, "%s%s", POLICY, rest) > 0);
        CHECK_INT(jitd_setup(j, keys, config), 0);
        j->capture_log = true; /* for log_has() */
        r = jitd_start(j, &status);
        if (r < 0) {
                fprintf(stderr, "jitd did not start (%d, status %d); its log is %s\n", r, status, j->log);
                receiver_stop(rcv);
                exit(EXIT_FAILURE);
        }
}

/* The receiver and the signed [webhook ops] section that points at it. */
static char *start_webhook(Receiver *rcv, const char *name, const char *const *extra) {
        _cleanup_free_ char *file = NULL, *secret_path = NULL, *secret = NULL;
        char *s = NULL;

        CHECK(asprintf(&file, "%s.secret", name) > 0);
        CHECK_INT(make_secret(file, &secret_path, &secret), 0);
        start_receiver(rcv, name, extra);
        CHECK(asprintf(&s,
                       "[webhook ops]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\nsecret_file = %s\n",
                       rcv->port, secret_path) > 0);
        return s;
}

/* Seconds from `filed_at` until the receiver got the "created" message of
 * `id`; a large number if it never came within 10 s. */
static double notice_delay(const Receiver *rcv, const char *id, double filed_at) {
        struct json_object *recs, *t;
        double delay = 1e9;

        if (!wait_records(rcv, id, "jit.request.created", 1, 10 * SEC))
                return delay;
        recs = records_for(rcv, id, "jit.request.created");
        if (json_object_array_length(recs) > 0 &&
            json_object_object_get_ex(json_object_array_get_idx(recs, 0), "_time", &t))
                delay = json_object_get_double(t) - filed_at;
        json_object_put(recs);
        return delay;
}

/* A genuine request by root (pam_jit's auth phase files these) for
 * `user`, and how long its notice took. */
static double genuine_notice(Jitd *j, const Receiver *rcv, const char *user, const char *action, char *id,
                             size_t size) {
        double filed_at = now_realtime(), delay;

        CHECK_INT(create_request(j, user, action, id, size), 0);
        delay = notice_delay(rcv, id, filed_at);
        fprintf(stderr, "genuine %s request %s of %s: notice after %.3f s\n", action, id, user, delay);
        return delay;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* ---- the default limit: a bounded flooder, root unharmed ---- */

/* Set when the machine was too busy to tell whether root's p99 holds
 * (it missed the bound with no flood at all): the test then says so and
 * exits 77 rather than pass or fail on noise. */
static bool root_latency_inconclusive;

typedef struct RootRun {
        Jitd *j;
        const Receiver *rcv;
        uint64_t genuine_at; /* CLOCK_MONOTONIC; 0: no genuine request */
        double genuine_delay;
        bool genuine_done;
        char genuine_id[JIT_ID_MAX];
} RootRun;

/* Root's Checks of nobody's live grant, one connection each like sshd and
 * sudo, back to back for `usec`: their p99 in microseconds. */
static uint64_t root_checks(RootRun *run, uint64_t usec, uint64_t *samples, size_t *ret_n) {
        uint64_t until = now_monotonic_usec() + usec, p99;
        size_t n = 0, over = 0;

        while (now_monotonic_usec() < until && n < ROOT_SAMPLES_MAX) {
                struct json_object *reply = NULL;
                uint64_t t = now_monotonic_usec();

                CHECK_INT(call(run->j, JIT_METHOD_CHECK,
                               params("user", "nobody", "action", "sudo", "service", "sudo", NULL), &reply),
                          0);
                samples[n++] = now_monotonic_usec() - t;
                CHECK_OK(reply);
                CHECK_STR(reply_string(reply, "decision"), "allow");
                json_object_put(reply);

                if (run->genuine_at > 0 && !run->genuine_done && now_monotonic_usec() >= run->genuine_at) {
                        /* An engineer's login request, once the flooder is
                         * limited. Timed from here; root's samples pause. */
                        run->genuine_delay = genuine_notice(run->j, run->rcv, "nobody", "login", run->genuine_id,
                                                            sizeof(run->genuine_id));
                        run->genuine_done = true;
                }
        }
        qsort(samples, n, sizeof(uint64_t), compare_u64);
        for (size_t i = 0; i < n; i++)
                over += samples[i] >= ROOT_P99_BOUND_USEC;
        p99 = n > 0 ? samples[n * 99 / 100] : UINT64_MAX;
        fprintf(stderr, "root Check: %zu samples, median %.3f ms, p99 %.3f ms, max %.3f ms, %zu over %.1f ms\n", n,
                n ? (double) samples[n / 2] / 1000.0 : 0.0, (double) p99 / 1000.0,
                n ? (double) samples[n - 1] / 1000.0 : 0.0, over, ROOT_P99_BOUND_USEC / 1000.0);
        *ret_n = n;
        return p99;
}

/* A flood of FLOOD_SEC with root's Checks measured through it. */
static uint64_t flood_round(RootRun *run, uint64_t *samples, size_t *ret_n, FloodStats *ret_stats) {
        uint64_t until = now_monotonic_usec() + FLOOD_SEC * SEC, p99;
        pid_t pids[FLOODERS];
        int fd;

        flood_start(run->j, until, pids, &fd);
        sleep_usec(SEC / 2);
        p99 = root_checks(run, FLOOD_SEC * SEC - SEC, samples, ret_n);
        *ret_stats = flood_wait(pids, fd);
        fprintf(stderr, "flood: %lu created, %lu cancelled, %lu refused, %lu reused, %lu other\n",
                ret_stats->created, ret_stats->cancelled, ret_stats->refused, ret_stats->reused, ret_stats->other);
        return p99;
}

static void test_bounded_flood(Jitd *j, Receiver *rcv) {
        _cleanup_free_ char *rest = NULL;
        _cleanup_free_ uint64_t *samples = calloc(ROOT_SAMPLES_MAX, sizeof(uint64_t));
        struct json_object *reply = NULL;
        RootRun run = { .j = j, .rcv = rcv };
        size_t n = 0;
        uint64_t p99;
        FloodStats st;
        int64_t flood_started = (int64_t) now_realtime();

        CHECK(samples != NULL);
        if (!samples)
                return;
        rest = start_webhook(rcv, "bounded", NULL);
        start_jitd(j, "", rest, rcv);

        /* nobody holds a live sudo grant: root's Checks for it are the
         * decisions that must stay fast. */
        CHECK_INT(call(j, JIT_METHOD_GRANT,
                       params_add_int(params("user", "nobody", "action", "sudo", "reason", "on call", NULL), "duration",
                                      3600),
                       &reply),
                  0);
        CHECK_OK(reply);
        json_object_put(reply);

        run.genuine_at = now_monotonic_usec() + 2 * SEC;
        p99 = flood_round(&run, samples, &n, &st);
        CHECK(n >= ROOT_SAMPLES_MIN);
        /* Missed: was it the flood, or a machine too busy even without
         * one? A quiet baseline that holds the bound while the flood does
         * not is a failure; a baseline that misses it too decides nothing,
         * and another round is tried. The flooder is limited by now: the
         * later rounds are the refusals alone. */
        for (int attempt = 1; p99 >= ROOT_P99_BOUND_USEC && attempt < 3; attempt++) {
                FloodStats again;
                size_t quiet_n = 0;
                uint64_t quiet = root_checks(&run, 2 * SEC, samples, &quiet_n);

                if (quiet < ROOT_P99_BOUND_USEC) {
                        p99 = flood_round(&run, samples, &n, &again);
                        CHECK(n >= ROOT_SAMPLES_MIN);
                        CHECK(p99 < ROOT_P99_BOUND_USEC);
                        break;
                }
                fprintf(stderr, "root's p99 misses %.1f ms without a flood too: the machine is too busy to judge\n",
                        ROOT_P99_BOUND_USEC / 1000.0);
                if (attempt == 2)
                        root_latency_inconclusive = true;
                else
                        p99 = flood_round(&run, samples, &n, &again);
        }

        /* The genuine notice came within a second. */
        CHECK(run.genuine_done);
        CHECK(run.genuine_delay < NOTICE_BOUND_SEC);

        /* The flooder got exactly the documented default, every other try
         * a RateLimited that says when the window frees a place. */
        CHECK_INT(st.created, DEFAULT_REQUEST_LIMIT);
        CHECK_INT(st.cancelled, DEFAULT_REQUEST_LIMIT);
        CHECK(st.refused > 100);
        CHECK_INT(st.other, 0);
        CHECK(st.reused > 0 || st.refused > 0);
        CHECK(st.retry_min > flood_started && st.retry_max <= flood_started + 600 + FLOOD_SEC + 2);
        /* Audited, but not once per refusal: one entry for this flood. */
        CHECK_INT(audit_count(j, "request-refused", NULL), 1);
        CHECK(audit_has(j, "request-refused", "JIT_USER", "daemon"));
        CHECK_INT(audit_count(j, "request-created", NULL), DEFAULT_REQUEST_LIMIT + 1);
        CHECK_INT(count_active_grants(j, "daemon"), 0);

        /* pam_jit's account phase asks root's Check to file one: refused
         * the same way, a denial that says why. */
        CHECK_INT(call(j, JIT_METHOD_CHECK,
                       params_add_bool(params("user", "daemon", "action", "sudo", "service", "sudo", NULL),
                                       "create_request", true),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK(reply_bool(reply, "rate_limited"));
        CHECK(reply_int(reply, "retry_after") > flood_started);
        CHECK(!reply_bool(reply, "created"));
        CHECK(reply_string(reply, "request_id") == NULL);
        json_object_put(reply);
        /* The flooder's messages all went out (nothing is owed to it) and
         * nobody's notice too. */
        CHECK(WAIT_FOR(receiver_count(rcv) >= 2 * DEFAULT_REQUEST_LIMIT + 1, 10 * SEC));
}

/* ---- retention: old rows go at start, live ones stay ---- */

static int64_t db_int(sqlite3 *db, const char *sql) {
        sqlite3_stmt *st = NULL;
        int64_t v = -1;

        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static void test_retention(Jitd *j) {
        sqlite3 *db = NULL;
        int status = 0;

        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(sqlite3_open(j->db, &db), SQLITE_OK);
        /* 40 days back (the default retention is 30): every request of
         * the flood, its messages, and nobody's live grant and pending
         * login request (those must stay: live). One of the flood's
         * messages is made undelivered (due far ahead): it and its request
         * must stay too. */
        CHECK_INT(sqlite3_exec(db,
                               "UPDATE requests SET created_at = created_at - 3456000,"
                               " decided_at = max(decided_at - 3456000, 0),"
                               " expires_at = CASE WHEN state = 'pending' THEN expires_at ELSE expires_at - 3456000 END;"
                               "UPDATE grants SET created_at = created_at - 3456000;"
                               "UPDATE outbox SET created_at = created_at - 3456000;"
                               "UPDATE outbox SET state = 'pending', next_attempt_usec = 9000000000000000"
                               " WHERE id = (SELECT min(id) FROM outbox WHERE requester = 'daemon');",
                               NULL, NULL, NULL),
                  SQLITE_OK);
        CHECK_INT(db_int(db, "SELECT count(*) FROM requests WHERE user = 'daemon'"), DEFAULT_REQUEST_LIMIT);
        CHECK_INT(db_int(db, "SELECT count(*) FROM outbox WHERE requester = 'daemon'"), 2 * DEFAULT_REQUEST_LIMIT);
        sqlite3_close(db);
        db = NULL;

        CHECK_INT(jitd_start(j, &status), 0);
        CHECK(log_has(j, "Retention: removed"));

        CHECK_INT(sqlite3_open(j->db, &db), SQLITE_OK);
        CHECK(WAIT_FOR(db_int(db, "SELECT count(*) FROM requests WHERE user = 'daemon'") == 1, 5 * SEC));
        CHECK_INT(db_int(db, "SELECT count(*) FROM outbox WHERE requester = 'daemon'"), 1);
        CHECK_INT(db_int(db, "SELECT count(*) FROM outbox WHERE requester = 'daemon' AND state = 'pending'"), 1);
        CHECK_INT(db_int(db, "SELECT count(*) FROM requests r JOIN outbox o ON o.request_id = r.id"
                             " WHERE r.user = 'daemon'"),
                  1);
        /* Live: nobody's grant and pending request. */
        CHECK_INT(db_int(db, "SELECT count(*) FROM grants WHERE user = 'nobody' AND state = 'active'"), 1);
        CHECK_INT(db_int(db, "SELECT count(*) FROM requests WHERE user = 'nobody' AND state = 'pending'"), 1);
        sqlite3_close(db);
        CHECK_INT(count_active_grants(j, "nobody"), 1);
}

/* ---- fairness: a backlog of one user's messages, a notice from another ---- */

static void test_fair_outbox(void) {
        _cleanup_free_ char *rest = NULL;
        const char *extra[] = { "--serial", "--script", "200;sleep=" RECEIVER_SLEEP, NULL };
        Receiver rcv;
        Jitd j;
        pid_t pids[FLOODERS];
        int fd, status = 0;
        char id[JIT_ID_MAX];
        double delay;
        size_t received;
        FloodStats st;

        rest = start_webhook(&rcv, "serial", extra);
        /* The limit out of the way: this is about the outbox alone. */
        start_jitd(&j, "request_limit = 100000\n", rest, &rcv);

        flood_start(&j, now_monotonic_usec() + 4 * SEC, pids, &fd);
        st = flood_wait(pids, fd);
        fprintf(stderr, "unbounded flood: %lu created, %lu cancelled\n", st.created, st.cancelled);
        CHECK_INT(st.refused, 0);

        delay = genuine_notice(&j, &rcv, "nobody", "login", id, sizeof(id));
        received = receiver_count(&rcv);
        fprintf(stderr, "receiver had %zu of %lu flood messages when the notice came\n", received - 1,
                2 * st.created);
        /* The backlog was real: oldest-first would have put the notice
         * behind all of it. */
        CHECK(2 * st.created > received + BACKLOG_MIN);
        CHECK(delay < NOTICE_BOUND_SEC);

        /* The order is in the store: after a restart with the backlog
         * still there, a new notice is again first in line. */
        CHECK_INT(jitd_stop(&j), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        delay = genuine_notice(&j, &rcv, "nobody", "sudo", id, sizeof(id));
        received = receiver_count(&rcv);
        CHECK(2 * st.created > received + BACKLOG_MIN);
        CHECK(delay < NOTICE_BOUND_SEC);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
}

int main(int argc, char **argv) {
        Receiver rcv;
        Jitd j;

        web_test_init(argc, argv, "test-flood");

        test_bounded_flood(&j, &rcv);
        test_retention(&j);
        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);

        test_fair_outbox();
        if (test_result("test-flood") != 0)
                return EXIT_FAILURE;
        if (root_latency_inconclusive) {
                fprintf(stderr, "test-flood: skipped: root's decision latency could not be judged on this busy "
                                "machine (every other check passed)\n");
                return 77;
        }
        return EXIT_SUCCESS;
}
