/* What survives a crash and what a damaged store does: an acknowledged
 * approval is on disk (jitd killed with SIGKILL right after it still has
 * the grant), a corrupt database never turns into "allow", and
 * --check-config validates without starting anything. */

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define ROUNDS 5

static int run_check_config(const char *config, char *out, size_t size) {
        int pipefd[2], status;
        size_t n = 0;
        pid_t pid;

        if (pipe(pipefd) < 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                dup2(pipefd[1], STDOUT_FILENO);
                dup2(pipefd[1], STDERR_FILENO);
                close(pipefd[0]);
                close(pipefd[1]);
                execl(JITD_PATH, "jitd", "--check-config", "--config", config, (char *) NULL);
                _exit(127);
        }
        close(pipefd[1]);
        for (;;) {
                ssize_t k = read(pipefd[0], out + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
                if (n >= size - 1)
                        break;
        }
        out[n] = 0;
        close(pipefd[0]);
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

static void test_acknowledged_survives_sigkill(Jitd *j) {
        for (int round = 0; round < ROUNDS; round++) {
                struct json_object *reply = NULL;
                char request_id[JIT_ID_MAX], grant_id[JIT_ID_MAX] = "";
                int status = 0;

                CHECK_INT(create_request(j, "nobody", "sudo", request_id, sizeof(request_id)), 0);
                CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
                CHECK_OK(reply);
                if (reply_string(reply, "grant_id"))
                        snprintf(grant_id, sizeof(grant_id), "%s", reply_string(reply, "grant_id"));
                json_object_put(reply);

                /* Acknowledged: now crash. */
                jitd_crash(j);
                CHECK_INT(jitd_start(j, &status), 0);

                CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                               &reply),
                          0);
                CHECK_OK(reply);
                CHECK_STR(reply_string(reply, "decision"), "allow");
                CHECK_STR(reply_string(reply, "grant_id"), grant_id);
                json_object_put(reply);

                CHECK_INT(call(j, JIT_METHOD_REVOKE, params("grant_id", grant_id, NULL), &reply), 0);
                CHECK_OK(reply);
                json_object_put(reply);

                /* The revocation is a decision too. */
                jitd_crash(j);
                CHECK_INT(jitd_start(j, &status), 0);
                CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                               &reply),
                          0);
                CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
                json_object_put(reply);
        }
}

static int overwrite(const char *path, off_t offset, size_t size) {
        char junk[4096];
        int fd;

        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (char) (0xA5 ^ (i * 7));
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        for (size_t done = 0; done < size; done += sizeof(junk))
                if (pwrite(fd, junk, sizeof(junk), offset + (off_t) done) < 0) {
                        close(fd);
                        return -1;
                }
        fsync(fd);
        close(fd);
        return 0;
}

/* jitd must start anyway (if it exited, clients would see "unreachable",
 * which failmode=safe lets in) and answer StoreUnavailable to everything
 * that needs the store, never "allow" for a grant it cannot read. */
static void expect_store_unavailable(Jitd *j, const char *what) {
        struct json_object *reply = NULL;
        int status = 0, r;

        fprintf(stderr, "-- corrupt database: %s\n", what);
        r = jitd_start(j, &status);
        CHECK_INT(r, 0);
        if (r < 0) {
                fprintf(stderr, "   jitd exited with status %d\n", status);
                return;
        }
        CHECK_INT(call(j, JIT_METHOD_CHECK,
                       params_add_bool(params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                                       "create_request", true),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_STORE_UNAVAILABLE);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_REQUEST, params("user", "nobody", "action", "sudo", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_STORE_UNAVAILABLE);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_LIST, params(NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_STORE_UNAVAILABLE);
        json_object_put(reply);
        /* What needs no store still works: a user the policy does not
         * cover, a break-glass account. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "daemon", "action", "login", "service", "sshd", NULL),
                       &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "ignore");
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "bin", "action", "sudo", "service", "sudo", NULL),
                       &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        json_object_put(reply);
        /* Still up after all that. */
        CHECK(waitpid(j->pid, &status, WNOHANG) == 0);
        jitd_crash(j);
}

static void test_corrupt_database(Jitd *j) {
        char out[8192], wal[256], shm[256];
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];
        struct stat st;

        /* A live grant, so a store read as empty would be noticed... */
        CHECK_INT(create_request(j, "nobody", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK_INT(jitd_stop(j), 0);

        CHECK_INT(run_check_config(j->config, out, sizeof(out)), 0);

        /* ...and the file damaged behind the header. */
        snprintf(wal, sizeof(wal), "%s-wal", j->db);
        snprintf(shm, sizeof(shm), "%s-shm", j->db);
        (void) unlink(wal);
        (void) unlink(shm);
        CHECK_INT(stat(j->db, &st), 0);
        CHECK_INT(overwrite(j->db, 100, (size_t) st.st_size > 8192 ? (size_t) st.st_size - 100 : 8192), 0);
        expect_store_unavailable(j, "pages overwritten");
        CHECK(run_check_config(j->config, out, sizeof(out)) != 0);

        /* Not a database at all. */
        CHECK_INT(overwrite(j->db, 0, 16384), 0);
        (void) unlink(wal);
        (void) unlink(shm);
        expect_store_unavailable(j, "garbage file");
        CHECK(run_check_config(j->config, out, sizeof(out)) != 0);
        CHECK(strstr(out, j->db) != NULL);
}

/* The store going bad under a running jitd (a disk error, someone writing
 * to the file) also denies: the grant it can no longer read is no grant.
 * Another connection writes to the file afterwards, as sqlite3(1) in an
 * admin's hands would, so jitd's cached pages are stale and it has to read
 * the damaged ones. */
static void test_corrupt_while_running(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];
        sqlite3 *db = NULL;
        struct stat st;

        char path[256];

        fprintf(stderr, "-- the database goes bad while jitd runs\n");
        /* A fresh store (the test before left a broken one). */
        (void) unlink(j->db);
        snprintf(path, sizeof(path), "%s-wal", j->db);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s-shm", j->db);
        (void) unlink(path);
        CHECK_INT(jitd_start(j, NULL), 0);
        CHECK_INT(create_request(j, "nobody", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                       &reply),
                  0);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        json_object_put(reply);

        /* Everything into the main file, then every page but the first
         * (the header and the schema) scribbled over. */
        CHECK_INT(sqlite3_open_v2(j->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        CHECK_INT(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
        CHECK_INT(stat(j->db, &st), 0);
        CHECK(st.st_size > 4096);
        CHECK_INT(overwrite(j->db, 4096, (size_t) st.st_size - 4096), 0);
        CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 4", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);

        CHECK_INT(call(j, JIT_METHOD_CHECK,
                       params_add_bool(params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                                       "create_request", true),
                       &reply),
                  0);
        CHECK(reply_error(reply) != NULL);
        CHECK_ERROR(reply, JIT_ERROR_STORE_UNAVAILABLE);
        json_object_put(reply);
        /* Still up, and still saying no. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_STORE_UNAVAILABLE);
        json_object_put(reply);
        jitd_crash(j);
}

static void test_check_config(Jitd *j) {
        char out[8192], path[256];
        FILE *f;

        CHECK_INT(run_check_config(j->config, out, sizeof(out)), 0);

        snprintf(path, sizeof(path), "%s/bad.conf", j->dir);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fprintf(f, "[jitd]\nsocket = %s/bad.sock\nno_such_key = 1\n", j->dir);
        fclose(f);
        CHECK(run_check_config(path, out, sizeof(out)) == 1);
        /* The error names the file and line. */
        CHECK(strstr(out, "bad.conf:3") != NULL);

        /* An error found after parsing (the secret file is missing) is
         * located too, and a bad config prints no policy. */
        snprintf(path, sizeof(path), "%s/bad-secret.conf", j->dir);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fprintf(f, "[jitd]\nsocket = %s/bad.sock\n[webhook ops]\nurl = https://hooks.example/\nsecret_file = %s/none\n",
                j->dir, j->dir);
        fclose(f);
        CHECK(run_check_config(path, out, sizeof(out)) == 1);
        CHECK(strstr(out, "bad-secret.conf:5") != NULL);
        CHECK(strstr(out, "\n[login]\n") == NULL);

        CHECK_INT(run_check_config(j->config, out, sizeof(out)), 0);
        CHECK(strstr(out, "\n[login]\n") != NULL);

        snprintf(path, sizeof(path), "%s/missing.conf", j->dir);
        CHECK(run_check_config(path, out, sizeof(out)) == 1);

        /* A policy that gates nobody is valid, with a warning line; the
         * test policy gates someone and gets none. */
        CHECK(strstr(out, "no user or group needs approval") == NULL);
        snprintf(path, sizeof(path), "%s/nobody-gated.conf", j->dir);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fprintf(f, "[jitd]\nsocket = %s/nobody-gated.sock\nstate_directory = %s\n", j->dir, j->dir);
        fclose(f);
        CHECK_INT(run_check_config(path, out, sizeof(out)), 0);
        CHECK(strstr(out, "# warning: no user or group needs approval for any action") != NULL);
        CHECK_INT(run_check_config(j->config, out, sizeof(out)), 0);
        CHECK(strstr(out, "no user or group needs approval") == NULL);
}

/* A restart (SIGTERM) must not refuse the check sshd or sudo has in flight:
 * a connection jitd accepted before the signal is still answered, then
 * closed, and jitd exits on its own once nothing is left. */
static void test_sigterm_answers_accepted_calls(Jitd *j) {
        static const char check_call[] =
                "{\"method\":\"io.jit.Check\",\"parameters\":{\"protocol\":1,\"user\":\"daemon\","
                "\"action\":\"login\",\"service\":\"sshd\"}}";
        struct json_object *reply = NULL;
        uint64_t deadline;
        int fd, status = 0, r = 0;

        fprintf(stderr, "-- SIGTERM answers the calls already accepted\n");
        fd = raw_connect(j);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        sleep_usec(200 * 1000); /* accepted by jitd before the signal */
        CHECK_INT(kill(j->pid, SIGTERM), 0);
        sleep_usec(200 * 1000); /* the signal is handled before the call arrives */

        CHECK_INT(raw_send(fd, check_call, sizeof(check_call)), 0); /* NUL included */
        CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
        CHECK_STR(reply_string(reply, "decision"), "ignore");
        json_object_put(reply);
        CHECK(raw_wait_closed(fd, CALL_TIMEOUT_USEC));
        close(fd);

        /* Nothing left: jitd exits well before its grace period ends. */
        deadline = now_monotonic_usec() + 1500 * 1000;
        while ((r = waitpid(j->pid, &status, WNOHANG)) == 0 && now_monotonic_usec() < deadline)
                sleep_usec(20 * 1000);
        CHECK(r == j->pid);
        if (r == j->pid) {
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                j->pid = -1;
        }
        CHECK_INT(jitd_start(j, NULL), 0);
}

int main(void) {
        Jitd j;
        int status = 0;

        harness_require_root("integration-durability");
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-durability");
        }

        test_acknowledged_survives_sigkill(&j);
        test_sigterm_answers_accepted_calls(&j);
        test_check_config(&j);
        test_corrupt_database(&j);
        test_corrupt_while_running(&j);

        jitd_cleanup(&j);
        return test_result("integration-durability");
}
