/* Resource limits and fairness: a per-uid connection cap, connections kept
 * free for root however many users connect, idle connections closed (but
 * not a login waiting for its decision), root's Checks answered within a
 * bound while an unprivileged user floods the socket, and new connections
 * accepted while root's existing ones are busy. */

#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define SEC 1000000ULL
#define MAX_CONNECTIONS 32
#define PER_UID 4
#define IDLE_TIMEOUT_SEC 2
#define FLOODERS 12
#define ROOT_FLOODERS 24
#define FLOOD_SEC 4
#define CHECK_LATENCY_BOUND_USEC (500ULL * 1000ULL)

static const char status_call[] = "{\"method\":\"io.jit.Status\",\"parameters\":{\"protocol\":1}}";

static void drop_to(uid_t uid, gid_t gid) {
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(100);
}

/* Open `n` connections and say how many jitd kept (answered a call with
 * something other than LimitExceeded). Holds them until stdin-like pipe
 * `hold` closes. */
static int hold_connections(Jitd *j, unsigned n, int hold) {
        int fds[64], kept = 0;

        for (unsigned i = 0; i < n && i < 64; i++) {
                struct json_object *reply = NULL;
                const char *e;

                fds[i] = raw_connect(j);
                if (fds[i] < 0)
                        continue;
                (void) raw_send(fds[i], status_call, sizeof(status_call));
                if (raw_receive(fds[i], CALL_TIMEOUT_USEC, &reply) == 1) {
                        e = reply_error(reply);
                        if (!e || strcmp(e, JIT_ERROR_LIMIT) != 0)
                                kept++;
                        else if (!raw_wait_closed(fds[i], CALL_TIMEOUT_USEC))
                                kept += 1000; /* refused but not closed: flag it */
                }
                json_object_put(reply);
        }
        if (hold >= 0) {
                char c;
                (void) !read(hold, &c, 1);
        }
        return kept;
}

static void test_per_uid_cap(Jitd *j) {
        int pipefd[2], status;
        pid_t pid;

        CHECK_INT(pipe(pipefd), 0);
        pid = fork();
        if (pid == 0) {
                close(pipefd[1]);
                drop_to(UID_DAEMON, GID_DAEMON);
                _exit(hold_connections(j, PER_UID + 3, pipefd[0]));
        }
        close(pipefd[0]);

        /* While daemon holds its share, root still gets in. */
        sleep_usec(SEC);
        {
                struct json_object *reply = NULL;

                CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "daemon", "action", "login", "service", "x", NULL),
                               &reply),
                          0);
                CHECK_OK(reply);
                json_object_put(reply);
        }

        close(pipefd[1]);
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
        CHECK_INT(WEXITSTATUS(status), PER_UID);
}

/* Many users, each within their own cap, together exceed what unprivileged
 * users may have: the rest stays free for root. Users need no passwd entry
 * to connect, so arbitrary uids do. */
static void test_root_reserve(Jitd *j) {
        enum { USERS = MAX_CONNECTIONS / PER_UID + 2 };
        int pipefd[2], total = 0;
        pid_t pids[USERS];

        CHECK_INT(pipe(pipefd), 0);
        for (int i = 0; i < USERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        close(pipefd[1]);
                        drop_to(20000 + (uid_t) i, 20000 + (gid_t) i);
                        _exit(hold_connections(j, PER_UID, pipefd[0]));
                }
        }
        close(pipefd[0]);
        sleep_usec(2 * SEC);

        /* Root: several connections at once, all served. */
        for (int i = 0; i < 3; i++) {
                struct json_object *reply = NULL;

                CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "daemon", "action", "login", "service", "x", NULL),
                               &reply),
                          0);
                CHECK_OK(reply);
                json_object_put(reply);
        }

        close(pipefd[1]);
        for (int i = 0; i < USERS; i++) {
                int status;

                if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status))
                        total += WEXITSTATUS(status);
        }
        /* Unprivileged users together got less than max_connections (and
         * none was left half-refused), but not nothing. */
        fprintf(stderr, "unprivileged connections kept: %d of %d\n", total, USERS * PER_UID);
        CHECK(total < MAX_CONNECTIONS);
        CHECK(total >= MAX_CONNECTIONS / 2);
}

static void test_idle_timeout(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];
        uint64_t t0;
        JitClient waiter;
        int fd, partial;

        /* A silent connection, and one that stops halfway through a call. */
        t0 = now_monotonic_usec();
        fd = raw_connect(j);
        partial = raw_connect(j);
        CHECK(fd >= 0 && partial >= 0);
        CHECK_INT(raw_send(partial, status_call, 10), 0);

        /* A login waiting for its decision is not idle. */
        CHECK_INT(create_request(j, "daemon", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(jit_client_connect(&waiter, j->socket, true, now_monotonic_usec() + CALL_TIMEOUT_USEC), 0);
        CHECK_INT(jit_client_send(&waiter, JIT_METHOD_WAIT_DECISION, params("request_id", request_id, NULL), true,
                                  now_monotonic_usec() + CALL_TIMEOUT_USEC),
                  0);
        CHECK_INT(jit_client_receive(&waiter, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK_STR(reply_string(reply, "state"), "pending");
        json_object_put(reply);

        CHECK(raw_wait_closed(fd, (IDLE_TIMEOUT_SEC + 3) * SEC));
        CHECK(now_monotonic_usec() - t0 >= (IDLE_TIMEOUT_SEC * SEC) - SEC / 2);
        CHECK(raw_wait_closed(partial, 2 * SEC));
        close(fd);
        close(partial);

        sleep_usec(IDLE_TIMEOUT_SEC * SEC);
        CHECK_INT(call(j, JIT_METHOD_DENY, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK_INT(jit_client_receive(&waiter, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK_STR(reply_string(reply, "state"), "denied");
        json_object_put(reply);
        jit_client_close(&waiter);
}

/* One flooder: reconnect and pipeline Status calls as fast as possible. */
static void flood(Jitd *j, uint64_t until, int report) {
        char batch[sizeof(status_call) * 32];
        unsigned long answered = 0;

        for (size_t i = 0; i < 32; i++)
                memcpy(batch + i * sizeof(status_call), status_call, sizeof(status_call));

        while (now_monotonic_usec() < until) {
                int fd = raw_connect(j);

                if (fd < 0)
                        continue;
                for (int round = 0; round < 20 && now_monotonic_usec() < until; round++) {
                        struct json_object *reply = NULL;

                        if (raw_send(fd, batch, sizeof(batch)) < 0)
                                break;
                        for (int k = 0; k < 32; k++) {
                                if (raw_receive(fd, 2 * SEC, &reply) != 1)
                                        break;
                                json_object_put(reply);
                                answered++;
                        }
                }
                close(fd);
        }
        (void) !write(report, &answered, sizeof(answered));
}

static void test_flood_does_not_starve_root(Jitd *j) {
        uint64_t until = now_monotonic_usec() + FLOOD_SEC * SEC, worst = 0, sum = 0;
        unsigned long flood_total = 0;
        pid_t pids[FLOODERS];
        int pipefd[2], n = 0;

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
        sleep_usec(SEC / 2);

        while (now_monotonic_usec() < until - SEC / 2) {
                struct json_object *reply = NULL;
                uint64_t t = now_monotonic_usec(), d;

                CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                               &reply),
                          0);
                d = now_monotonic_usec() - t;
                CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
                json_object_put(reply);
                if (d > worst)
                        worst = d;
                sum += d;
                n++;
                sleep_usec(20000);
        }

        for (int i = 0; i < FLOODERS; i++) {
                unsigned long v = 0;

                if (read(pipefd[0], &v, sizeof(v)) == (ssize_t) sizeof(v))
                        flood_total += v;
        }
        close(pipefd[0]);
        for (int i = 0; i < FLOODERS; i++)
                (void) waitpid(pids[i], NULL, 0);

        fprintf(stderr, "flood: %lu calls answered; root: %d checks, worst %llu us, mean %llu us\n", flood_total, n,
                (unsigned long long) worst, (unsigned long long) (n ? sum / (uint64_t) n : 0));
        CHECK(flood_total > 1000); /* it really was a flood */
        CHECK(n > 10);
        CHECK(worst < CHECK_LATENCY_BOUND_USEC);
}

/* One busy root client: one connection, kept, calls pipelined back to back
 * (a persistent client of jitd, or many sudo calls sharing a loop). */
static void busy_root_client(Jitd *j, uint64_t until, int report) {
        char batch[sizeof(status_call) * 8];
        unsigned long answered = 0;
        int fd;

        for (size_t i = 0; i < 8; i++)
                memcpy(batch + i * sizeof(status_call), status_call, sizeof(status_call));

        fd = raw_connect(j);
        while (fd >= 0 && now_monotonic_usec() < until) {
                struct json_object *reply = NULL;
                int k;

                if (raw_send(fd, batch, sizeof(batch)) < 0)
                        break;
                for (k = 0; k < 8; k++) {
                        if (raw_receive(fd, 2 * SEC, &reply) != 1)
                                break;
                        json_object_put(reply);
                        answered++;
                }
                if (k < 8)
                        break;
        }
        if (fd >= 0)
                close(fd);
        (void) !write(report, &answered, sizeof(answered));
}

/* Root's own busy connections (a burst of sudo calls, a monitoring loop
 * keeping a connection busy) must not keep jitd from accepting: every PAM
 * decision is a new connection. jitd used to serve root's connections at a
 * higher priority than the listening socket, so while they had calls
 * queued, a new login's connection was not accepted at all. */
static void test_busy_root_does_not_starve_accept(Jitd *j) {
        uint64_t until = now_monotonic_usec() + FLOOD_SEC * SEC, worst = 0, sum = 0;
        unsigned long flood_total = 0;
        pid_t pids[ROOT_FLOODERS];
        int pipefd[2], n = 0;

        CHECK_INT(pipe(pipefd), 0);
        for (int i = 0; i < ROOT_FLOODERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        close(pipefd[0]);
                        busy_root_client(j, until, pipefd[1]);
                        _exit(0);
                }
        }
        close(pipefd[1]);
        sleep_usec(SEC / 2);

        while (now_monotonic_usec() < until - SEC / 2) {
                struct json_object *reply = NULL;
                uint64_t t = now_monotonic_usec(), d;

                /* call() makes a new connection, as pam_jit.so does. */
                CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                               &reply),
                          0);
                d = now_monotonic_usec() - t;
                CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
                json_object_put(reply);
                if (d > worst)
                        worst = d;
                sum += d;
                n++;
                sleep_usec(20000);
        }

        for (int i = 0; i < ROOT_FLOODERS; i++) {
                unsigned long v = 0;

                if (read(pipefd[0], &v, sizeof(v)) == (ssize_t) sizeof(v))
                        flood_total += v;
        }
        close(pipefd[0]);
        for (int i = 0; i < ROOT_FLOODERS; i++)
                (void) waitpid(pids[i], NULL, 0);

        fprintf(stderr,
                "busy root connections: %lu calls answered; new connections: %d checks, worst %llu us, mean %llu us\n",
                flood_total, n, (unsigned long long) worst, (unsigned long long) (n ? sum / (uint64_t) n : 0));
        CHECK(flood_total > 1000); /* they really were busy */
        CHECK(n > 10);
        CHECK(worst < CHECK_LATENCY_BOUND_USEC);
}

int main(void) {
        char keys[256];
        Jitd j;
        int status = 0;

        harness_require_root("integration-limits");
        snprintf(keys, sizeof(keys),
                 "admin_group = nogroup\nmax_connections = %d\nmax_connections_per_uid = %d\nidle_timeout = %d\n",
                 MAX_CONNECTIONS, PER_UID, IDLE_TIMEOUT_SEC);
        CHECK_INT(jitd_setup(&j, keys, TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-limits");
        }

        test_per_uid_cap(&j);
        test_root_reserve(&j);
        test_idle_timeout(&j);
        test_flood_does_not_starve_root(&j);
        test_busy_root_does_not_starve_accept(&j);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        return test_result("integration-limits");
}
