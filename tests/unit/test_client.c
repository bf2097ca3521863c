/* Tests for common/client.c against a small server forked by the test: the
 * trust checks on the socket and the peer, the one deadline over connect,
 * send and receive, and what a broken or hostile daemon turns into. These
 * are the outcomes pam_jit.so maps to PAM codes, so each one is something
 * a user at a login prompt would notice. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "jit-protocol.h"
#include "test.h"

static char dir[] = "/tmp/jit-test-client-XXXXXX";
static char sock_path[128];

typedef enum Behaviour {
        SERVE_REPLY, /* read the call, answer with `reply` */
        SERVE_REPLY_SLOWLY, /* the same, one byte every few ms */
        SERVE_SILENT, /* read the call, never answer */
        SERVE_CLOSE, /* read the call, hang up */
        SERVE_OVERSIZED, /* answer with more than the max and no NUL */
} Behaviour;

static int listen_at(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        (void) unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Read one NUL-terminated call; check it is a well-formed io.jit call with
 * our protocol version, so the test also proves what the client sends. */
static bool read_call(int fd, char *buf, size_t size) {
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *params = NULL;
        const char *method = NULL;
        size_t n = 0;

        while (n < size) {
                ssize_t k = read(fd, buf + n, 1);

                if (k <= 0)
                        return false;
                if (buf[n] == 0)
                        break;
                n++;
        }
        if (n >= size)
                return false;
        if (varlink_message_parse(buf, n, &o) < 0)
                return false;
        if (varlink_call_parse(o, &method, &params, NULL) < 0)
                return false;
        return varlink_check_protocol(params) == 0;
}

static void serve_one(int lfd, Behaviour what, const char *reply, size_t reply_size) {
        char buf[4096];
        int fd;

        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                _exit(10);
        if (!read_call(fd, buf, sizeof(buf)))
                _exit(11);

        switch (what) {
        case SERVE_REPLY:
                if (write(fd, reply, reply_size) != (ssize_t) reply_size)
                        _exit(12);
                break;
        case SERVE_REPLY_SLOWLY:
                for (size_t i = 0; i < reply_size; i++) {
                        if (write(fd, reply + i, 1) != 1)
                                _exit(12);
                        usleep(2000);
                }
                break;
        case SERVE_SILENT:
                pause(); /* killed by the parent */
                break;
        case SERVE_CLOSE:
                break;
        case SERVE_OVERSIZED: {
                char chunk[4096];

                memset(chunk, ' ', sizeof(chunk));
                for (size_t i = 0; i < JIT_MESSAGE_SIZE_MAX / sizeof(chunk) + 2; i++)
                        if (write(fd, chunk, sizeof(chunk)) != (ssize_t) sizeof(chunk))
                                break; /* the client may hang up first */
                break;
        }
        }
        /* Give the client a moment to read before the hang-up. */
        usleep(50 * 1000);
        close(fd);
        _exit(0);
}

static pid_t server_start(Behaviour what, const char *reply, size_t reply_size) {
        int lfd;
        pid_t pid;

        lfd = listen_at(sock_path);
        if (lfd < 0)
                return -1;
        pid = fork();
        if (pid == 0)
                serve_one(lfd, what, reply, reply_size);
        close(lfd);
        return pid;
}

static int server_stop(pid_t pid) {
        int status = 0;

        if (pid <= 0)
                return -1;
        (void) kill(pid, SIGKILL); /* harmless if it already exited */
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* One call against a server doing `what`; returns the client's result and
 * stores the reply's "x" parameter if there was one. */
static int call_with(Behaviour what, const char *reply, size_t reply_size, uint64_t timeout_usec,
                     int64_t *ret_x) {
        _cleanup_json_ struct json_object *m = NULL;
        JitClient c = { .fd = -1 };
        pid_t pid;
        int r;

        pid = server_start(what, reply, reply_size);
        CHECK(pid > 0);
        if (pid <= 0)
                return -EIO;

        r = jit_client_connect(&c, sock_path, false, now_monotonic_usec() + timeout_usec);
        if (r >= 0)
                r = jit_client_call(&c, JIT_METHOD_STATUS, NULL, now_monotonic_usec() + timeout_usec, &m);
        jit_client_close(&c);
        (void) server_stop(pid);

        if (r >= 0 && ret_x) {
                struct json_object *params = NULL;

                CHECK_INT(varlink_reply_parse(m, NULL, &params, NULL), 0);
                if (varlink_param_int(params, "x", true, INT64_MIN + 1, INT64_MAX, ret_x) != 1)
                        *ret_x = -1;
        }
        return r;
}

#define REPLY(s) s, sizeof(s) /* string literal with its NUL */

static void test_replies(void) {
        int64_t x = 0;

        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"parameters\":{\"protocol\":1,\"x\":5}}"), 2000000, &x),
                  0);
        CHECK_INT(x, 5);

        /* A reply dribbled out byte by byte still arrives whole. */
        CHECK_INT(call_with(SERVE_REPLY_SLOWLY, REPLY("{\"parameters\":{\"protocol\":1,\"x\":6}}"), 5000000,
                            &x),
                  0);
        CHECK_INT(x, 6);

        /* Garbage, oversized replies and framing abuse are -EBADMSG. */
        CHECK_INT(call_with(SERVE_REPLY, REPLY("this is not json"), 2000000, NULL), -EBADMSG);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("[1,2,3]"), 2000000, NULL), -EBADMSG);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"parameters\":{\"protocol\":1}}trailing"), 2000000, NULL),
                  -EBADMSG);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"parameters\":42}"), 2000000, NULL), -EBADMSG);
        CHECK_INT(call_with(SERVE_OVERSIZED, NULL, 0, 2000000, NULL), -EBADMSG);

        /* Another protocol version is -EPROTO, whichever way it is said. */
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"parameters\":{\"protocol\":2}}"), 2000000, NULL),
                  -EPROTO);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"parameters\":{}}"), 2000000, NULL), -EPROTO);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"parameters\":{\"protocol\":\"1\"}}"), 2000000, NULL),
                  -EPROTO);
        CHECK_INT(call_with(SERVE_REPLY,
                            REPLY("{\"error\":\"io.jit.ProtocolMismatch\",\"parameters\":{\"protocol\":1}}"),
                            2000000, NULL),
                  -EPROTO);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"error\":\"io.jit.NoGrant\",\"parameters\":{}}"), 2000000,
                            NULL),
                  -EPROTO);

        /* Errors with our version come back as replies for the caller to read;
         * the varlink layer's own errors need not carry a version. */
        CHECK_INT(call_with(SERVE_REPLY,
                            REPLY("{\"error\":\"io.jit.NoGrant\",\"parameters\":{\"protocol\":1,\"x\":9}}"),
                            2000000, &x),
                  0);
        CHECK_INT(x, 9);
        CHECK_INT(call_with(SERVE_REPLY, REPLY("{\"error\":\"org.varlink.service.MethodNotFound\"}"),
                            2000000, NULL),
                  0);

        /* A daemon that hangs up is -ECONNRESET, not a hang. */
        CHECK_INT(call_with(SERVE_CLOSE, NULL, 0, 2000000, NULL), -ECONNRESET);
}

static void test_deadline(void) {
        uint64_t start, elapsed;
        int r;

        /* A daemon that never answers costs exactly the deadline. */
        start = now_monotonic_usec();
        r = call_with(SERVE_SILENT, NULL, 0, 300000, NULL);
        elapsed = now_monotonic_usec() - start;
        CHECK_INT(r, -ETIMEDOUT);
        CHECK(elapsed >= 300000);
        CHECK(elapsed < 300000 + 250000);
}

static void test_streaming(void) {
        static const char two[] =
                "{\"parameters\":{\"protocol\":1,\"state\":\"pending\"},\"continues\":true}\0"
                "{\"parameters\":{\"protocol\":1,\"state\":\"approved\"}}";
        _cleanup_json_ struct json_object *m1 = NULL, *m2 = NULL;
        JitClient c = { .fd = -1 };
        bool cont = false;
        pid_t pid;

        /* Both replies of a "more" call in one write: the second is kept for
         * the next receive. */
        pid = server_start(SERVE_REPLY, two, sizeof(two));
        CHECK(pid > 0);
        CHECK_INT(jit_client_connect(&c, sock_path, false, now_monotonic_usec() + 2000000), 0);
        CHECK_INT(jit_client_send(&c, JIT_METHOD_WAIT_DECISION, NULL, true, now_monotonic_usec() + 2000000),
                  0);
        CHECK_INT(jit_client_receive(&c, now_monotonic_usec() + 2000000, &m1), 0);
        CHECK_INT(varlink_reply_parse(m1, NULL, NULL, &cont), 0);
        CHECK(cont);
        CHECK_INT(jit_client_receive(&c, now_monotonic_usec() + 2000000, &m2), 0);
        CHECK_INT(varlink_reply_parse(m2, NULL, NULL, &cont), 0);
        CHECK(!cont);
        jit_client_close(&c);
        jit_client_close(&c); /* idempotent */
        (void) server_stop(pid);
}

static void test_connect_failures(void) {
        char path[160];
        JitClient c = { .fd = -1 };
        int fd, lfd;

        /* Nobody there. */
        snprintf(path, sizeof(path), "%s/absent", dir);
        CHECK_INT(jit_client_connect(&c, path, false, now_monotonic_usec() + 1000000), -ENOENT);
        CHECK_INT(jit_client_connect(&c, path, true, now_monotonic_usec() + 1000000), -ENOENT);
        CHECK_INT(c.fd, -1);

        /* A stale socket file whose listener is gone. */
        snprintf(path, sizeof(path), "%s/stale", dir);
        lfd = listen_at(path);
        CHECK(lfd >= 0);
        close(lfd);
        CHECK_INT(jit_client_connect(&c, path, false, now_monotonic_usec() + 1000000), -ECONNREFUSED);

        /* A regular file is never trusted as the daemon. */
        snprintf(path, sizeof(path), "%s/file", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        close(fd);
        CHECK_INT(jit_client_connect(&c, path, true, now_monotonic_usec() + 1000000), -EPERM);

        /* Nor a symlink to the real socket (lstat, not stat). */
        snprintf(path, sizeof(path), "%s/link", dir);
        CHECK_INT(symlink(sock_path, path), 0);
        lfd = listen_at(sock_path);
        CHECK(lfd >= 0);
        CHECK_INT(jit_client_connect(&c, path, true, now_monotonic_usec() + 1000000), -EPERM);
        close(lfd);

        /* Paths that cannot be a socket address. */
        memset(path, 'a', sizeof(path) - 1);
        path[sizeof(path) - 1] = 0;
        CHECK_INT(jit_client_connect(&c, path, false, now_monotonic_usec() + 1000000), -EINVAL);
        CHECK_INT(jit_client_connect(&c, "", false, now_monotonic_usec() + 1000000), -EINVAL);
        jit_client_close(&c);
}

static void test_trust_as_root(void) {
        struct passwd *pw;
        uid_t nobody;
        JitClient c = { .fd = -1 };
        int lfd, pipefd[2];
        pid_t pid;
        char ready;

        if (geteuid() != 0) {
                printf("not root: skipping the socket owner and peer uid checks\n");
                return;
        }
        pw = getpwnam("nobody");
        nobody = pw ? pw->pw_uid : 65534;

        /* Root-owned socket, root peer: trusted. */
        lfd = listen_at(sock_path);
        CHECK(lfd >= 0);
        CHECK_INT(jit_client_connect(&c, sock_path, true, now_monotonic_usec() + 1000000), 0);
        jit_client_close(&c);

        /* A socket file owned by someone else: refused before connecting. */
        CHECK_INT(chown(sock_path, nobody, (gid_t) -1), 0);
        CHECK_INT(jit_client_connect(&c, sock_path, true, now_monotonic_usec() + 1000000), -EPERM);
        CHECK_INT(jit_client_connect(&c, sock_path, false, now_monotonic_usec() + 1000000), 0);
        jit_client_close(&c);
        close(lfd);

        /* A root-owned file, but the process behind it is not root (say it
         * was swapped in after the check): refused by SO_PEERCRED. */
        CHECK_INT(chmod(dir, 0777), 0);
        CHECK_INT(pipe2(pipefd, O_CLOEXEC), 0);
        pid = fork();
        if (pid == 0) {
                int fd;

                if (setgid(pw ? pw->pw_gid : 65534) < 0 || setuid(nobody) < 0)
                        _exit(20);
                fd = listen_at(sock_path);
                if (fd < 0)
                        _exit(21);
                if (write(pipefd[1], "x", 1) != 1)
                        _exit(22);
                pause();
                _exit(0);
        }
        close(pipefd[1]);
        CHECK_INT(read(pipefd[0], &ready, 1), 1);
        close(pipefd[0]);
        CHECK_INT(chown(sock_path, 0, 0), 0);
        CHECK_INT(jit_client_connect(&c, sock_path, true, now_monotonic_usec() + 1000000), -EPERM);
        CHECK_INT(c.fd, -1);
        CHECK_INT(jit_client_connect(&c, sock_path, false, now_monotonic_usec() + 1000000), 0);
        jit_client_close(&c);
        (void) server_stop(pid);
        CHECK_INT(chmod(dir, 0700), 0);
}

int main(void) {
        char cmd[256];

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        snprintf(sock_path, sizeof(sock_path), "%s/io.jit", dir);

        test_replies();
        test_deadline();
        test_streaming();
        test_connect_failures();
        test_trust_as_root();

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return test_result("test_client");
}
