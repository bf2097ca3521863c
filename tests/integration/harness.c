/* The integration harness (see harness.h): spawning a real jitd with a
 * temporary configuration, and calling it as root or as another user. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../loginuid.h"
#include "harness.h"
#include "macros.h"
#include "varlink.h"

#ifndef JITD_PATH
#error "JITD_PATH must point to the jitd binary under test"
#endif
#ifndef JITD_CRASHTEST_PATH
#error "JITD_CRASHTEST_PATH must point to the test build of jitd (crash-hook.c)"
#endif

#define START_TIMEOUT_USEC (10ULL * 1000000ULL)

void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = (time_t) (usec / 1000000U), .tv_nsec = (long) (usec % 1000000U) * 1000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

void harness_require_root(const char *test_name) {
        if (geteuid() != 0) {
                fprintf(stderr, "%s: skipped: needs root to act as other users (setresuid).\n", test_name);
                exit(77);
        }
        if (!getpwuid(UID_NOBODY) || !getpwuid(UID_DAEMON) || !getgrgid(GID_NOBODY)) {
                fprintf(stderr, "%s: skipped: needs users nobody (65534), daemon (1) and group 65534.\n",
                        test_name);
                exit(77);
        }
        /* The tests approve as root: as an admin logged in as root. */
        test_become_root_login(test_name);
        /* A dead child's socket must not kill the test. */
        signal(SIGPIPE, SIG_IGN);
}

int jitd_setup(Jitd *j, const char *jitd_keys, const char *rest) {
        char tmpl[] = "/tmp/jitd-test.XXXXXX";
        FILE *f;

        *j = (Jitd) { .pid = -1 };
        if (!mkdtemp(tmpl))
                return -errno;
        /* nobody and daemon must reach the socket inside. */
        if (chmod(tmpl, 0755) < 0)
                return -errno;

        snprintf(j->dir, sizeof(j->dir), "%s", tmpl);
        snprintf(j->socket, sizeof(j->socket), "%s/io.jit", tmpl);
        snprintf(j->config, sizeof(j->config), "%s/jitd.conf", tmpl);
        snprintf(j->audit, sizeof(j->audit), "%s/audit.jsonl", tmpl);
        snprintf(j->db, sizeof(j->db), "%s/state/jitd.db", tmpl);
        snprintf(j->log, sizeof(j->log), "%s/jitd.log", tmpl);

        f = fopen(j->config, "we");
        if (!f)
                return -errno;
        fprintf(f, "[jitd]\nsocket = %s\nstate_directory = %s/state\n%s\n%s\n", j->socket, j->dir,
                jitd_keys ? jitd_keys : "", rest ? rest : "");
        if (fclose(f) != 0)
                return -errno;
        return 0;
}

static int socket_answers(const char *path) {
        JitClient c;
        int r;

        r = jit_client_connect(&c, path, true, now_monotonic_usec() + 200000U);
        jit_client_close(&c);
        return r;
}

int jitd_start(Jitd *j, int *ret_status) {
        uint64_t deadline = now_monotonic_usec() + START_TIMEOUT_USEC;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                const char *debug = getenv("JITD_TEST_DEBUG");

                /* The jitd under test never reaches the host's systemd or
                 * logind (no transient timers, no TerminateSession of a
                 * real session that shares a test's session id): no bus. */
                setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/jitd-test-no-bus", 1);

                if (j->capture_log) {
                        int fd = open(j->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

                        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
                                _exit(127);
                }
                if (j->crash_at)
                        setenv("JITD_TEST_CRASH_AT", j->crash_at, 1);
                else
                        unsetenv("JITD_TEST_CRASH_AT");

                execl(j->crash_at ? JITD_CRASHTEST_PATH : JITD_PATH, "jitd", "--config", j->config, "--audit-log",
                      j->audit, debug && *debug ? "--debug" : NULL, (char *) NULL);
                fprintf(stderr, "exec %s: %m\n", j->crash_at ? JITD_CRASHTEST_PATH : JITD_PATH);
                _exit(127);
        }
        j->pid = pid;

        while (now_monotonic_usec() < deadline) {
                int status;

                if (waitpid(pid, &status, WNOHANG) == pid) {
                        j->pid = -1;
                        if (ret_status)
                                *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                        return -ECHILD;
                }
                if (socket_answers(j->socket) >= 0)
                        return 0;
                sleep_usec(20000);
        }
        return -ETIMEDOUT;
}

int jitd_stop(Jitd *j) {
        int status;

        if (j->pid <= 0)
                return 0;
        kill(j->pid, SIGTERM);
        if (waitpid(j->pid, &status, 0) < 0)
                return -errno;
        j->pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void jitd_crash(Jitd *j) {
        if (j->pid <= 0)
                return;
        kill(j->pid, SIGKILL);
        (void) waitpid(j->pid, NULL, 0);
        j->pid = -1;
}

bool jitd_wait_crashed(Jitd *j, uint64_t timeout_usec) {
        uint64_t deadline = now_monotonic_usec() + timeout_usec;
        int status;

        if (j->pid <= 0)
                return false;
        while (now_monotonic_usec() < deadline) {
                if (waitpid(j->pid, &status, WNOHANG) == j->pid) {
                        j->pid = -1;
                        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
                }
                sleep_usec(20000);
        }
        return false;
}

static bool log_contains(Jitd *j, const char *text) {
        char line[4096];
        bool found = false;
        FILE *f;

        f = fopen(j->log, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strstr(line, text) != NULL;
        fclose(f);
        return found;
}

bool log_has(Jitd *j, const char *text) {
        /* jitd listens before it has set up expiry, timers and webhooks, so
         * their start-up lines may follow a successful first call. */
        uint64_t deadline = now_monotonic_usec() + 5 * 1000000ULL;

        for (;;) {
                if (log_contains(j, text))
                        return true;
                if (now_monotonic_usec() >= deadline)
                        return false;
                (void) usleep(20 * 1000);
        }
}

static void print_log(const char *path) {
        char buf[4096];
        FILE *f = fopen(path, "re");
        size_t k;

        if (!f)
                return;
        fprintf(stderr, "---- %s ----\n", path);
        while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, k, stderr);
        fclose(f);
        fprintf(stderr, "---- end ----\n");
}

void jitd_cleanup(Jitd *j) {
        char cmd[256];
        int status;

        /* jitd exits 0 on SIGTERM; anything else fails the test, also where
         * the test did not check jitd_stop() itself: in the sanitizer build,
         * a leak or a report LeakSanitizer or UBSan made at exit. */
        status = jitd_stop(j);
        if (status != 0) {
                fprintf(stderr, "harness: jitd exited with %d on SIGTERM, expected 0 (log: %s)\n", status,
                        j->capture_log ? j->log : "the test's stderr");
                if (j->capture_log)
                        print_log(j->log);
        }
        if (!getenv("JITD_TEST_KEEP") && j->dir[0]) {
                /* Our own mkdtemp() directory; nothing else. */
                snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", j->dir);
                (void) !system(cmd);
        }
        if (status != 0)
                exit(EXIT_FAILURE);
}

struct json_object *params(const char *key, ...) {
        struct json_object *p = json_object_new_object();
        va_list ap;

        va_start(ap, key);
        for (const char *k = key; k; k = va_arg(ap, const char *)) {
                const char *v = va_arg(ap, const char *);

                json_object_object_add(p, k, json_object_new_string(v));
        }
        va_end(ap);
        return p;
}

struct json_object *params_add_int(struct json_object *p, const char *key, int64_t v) {
        json_object_object_add(p, key, json_object_new_int64(v));
        return p;
}

struct json_object *params_add_bool(struct json_object *p, const char *key, bool v) {
        json_object_object_add(p, key, json_object_new_boolean(v));
        return p;
}

int call(Jitd *j, const char *method, struct json_object *parameters, struct json_object **ret_reply) {
        uint64_t deadline = now_monotonic_usec() + CALL_TIMEOUT_USEC;
        JitClient c;
        int r;

        *ret_reply = NULL;
        r = jit_client_connect(&c, j->socket, true, deadline);
        if (r < 0) {
                json_object_put(parameters);
                jit_client_close(&c);
                return r;
        }
        r = jit_client_call(&c, method, parameters, deadline, ret_reply);
        jit_client_close(&c);
        return r;
}

int call_as(Jitd *j, uid_t uid, gid_t gid, const char *method, struct json_object *parameters,
            struct json_object **ret_reply) {
        return call_as_login(j, uid, gid, uid, method, parameters, ret_reply);
}

int call_as_login(Jitd *j, uid_t uid, gid_t gid, uid_t loginuid, const char *method, struct json_object *parameters,
                  struct json_object **ret_reply) {
        int pipefd[2], status;
        char buf[JIT_MESSAGE_SIZE_MAX + 64];
        size_t n = 0;
        pid_t pid;

        *ret_reply = NULL;
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                json_object_put(parameters);
                return -errno;
        }

        pid = fork();
        if (pid < 0) {
                json_object_put(parameters);
                return -errno;
        }
        if (pid == 0) {
                struct json_object *reply = NULL;
                char line[64];
                int r;

                close(pipefd[0]);
                /* Still root here: CAP_AUDIT_CONTROL may change it. */
                if (test_set_loginuid(loginuid) < 0)
                        _exit(101);
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                        _exit(100);
                r = call(j, method, parameters, &reply);
                snprintf(line, sizeof(line), "%d\n", r);
                (void) !write(pipefd[1], line, strlen(line));
                if (reply) {
                        const char *s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
                        (void) !write(pipefd[1], s, strlen(s));
                }
                _exit(0);
        }

        json_object_put(parameters);
        close(pipefd[1]);
        for (;;) {
                ssize_t k = read(pipefd[0], buf + n, sizeof(buf) - 1 - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
                if (n >= sizeof(buf) - 1)
                        break;
        }
        close(pipefd[0]);
        buf[n] = 0;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ECHILD;

        {
                char *nl = strchr(buf, '\n');
                int r;

                if (!nl)
                        return -EIO;
                *nl = 0;
                r = (int) strtol(buf, NULL, 10); /* our own child's output */
                if (nl[1])
                        *ret_reply = json_tokener_parse(nl + 1);
                return r;
        }
}

struct json_object *reply_member(struct json_object *reply, const char *key) {
        struct json_object *p = NULL, *v = NULL;

        if (!reply || !json_object_object_get_ex(reply, "parameters", &p) || !p)
                return NULL;
        if (!json_object_object_get_ex(p, key, &v))
                return NULL;
        return v;
}

const char *reply_error(struct json_object *reply) {
        struct json_object *e = NULL;

        if (!reply || !json_object_object_get_ex(reply, "error", &e) || !e)
                return NULL;
        return json_object_get_string(e);
}

const char *reply_string(struct json_object *reply, const char *key) {
        struct json_object *v = reply_member(reply, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t reply_int(struct json_object *reply, const char *key) {
        struct json_object *v = reply_member(reply, key);
        return v ? json_object_get_int64(v) : 0;
}

bool reply_bool(struct json_object *reply, const char *key) {
        struct json_object *v = reply_member(reply, key);
        return v ? json_object_get_boolean(v) : false;
}

int raw_connect(Jitd *j) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        memcpy(sa.sun_path, j->socket, strlen(j->socket));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int raw_send(int fd, const void *data, size_t size) {
        const char *p = data;

        while (size > 0) {
                ssize_t k = send(fd, p, size, MSG_NOSIGNAL);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

int raw_receive(int fd, uint64_t timeout_usec, struct json_object **ret) {
        uint64_t deadline = now_monotonic_usec() + timeout_usec;
        static char buf[JIT_MESSAGE_SIZE_MAX + 1];
        size_t n = 0;

        *ret = NULL;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = now_monotonic_usec();
                ssize_t k;

                if (now >= deadline)
                        return -ETIMEDOUT;
                if (poll(&p, 1, (int) ((deadline - now) / 1000U) + 1) <= 0)
                        continue;
                /* One byte at a time: never eat into the next message. */
                k = recv(fd, buf + n, 1, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return n == 0 ? 0 : -errno;
                }
                if (k == 0)
                        return n == 0 ? 0 : -ECONNRESET;
                if (buf[n] == 0) {
                        *ret = json_tokener_parse(buf);
                        return *ret ? 1 : -EBADMSG;
                }
                if (++n >= sizeof(buf) - 1)
                        return -EMSGSIZE;
        }
}

bool raw_wait_closed(int fd, uint64_t timeout_usec) {
        uint64_t deadline = now_monotonic_usec() + timeout_usec;
        char buf[4096];

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = now_monotonic_usec();
                ssize_t k;

                if (now >= deadline)
                        return false;
                if (poll(&p, 1, (int) ((deadline - now) / 1000U) + 1) <= 0)
                        continue;
                k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
                        return true;
        }
}

bool audit_has(Jitd *j, const char *event, const char *key, const char *value) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        bool found = false;
        FILE *f;

        f = fopen(j->audit, "re");
        if (!f)
                return false;
        while (!found && getline(&line, &size, f) > 0) {
                struct json_object *o = json_tokener_parse(line), *v = NULL;

                if (!o)
                        continue;
                if (json_object_object_get_ex(o, "JIT_EVENT", &v) && strcmp(json_object_get_string(v), event) == 0) {
                        if (!key)
                                found = true;
                        else if (json_object_object_get_ex(o, key, &v) &&
                                 strcmp(json_object_get_string(v), value) == 0)
                                found = true;
                }
                json_object_put(o);
        }
        fclose(f);
        return found;
}

int create_request(Jitd *j, const char *user, const char *action, char *ret_id, size_t size) {
        struct json_object *reply = NULL;
        const char *id;
        int r;

        r = call(j, JIT_METHOD_REQUEST,
                 params("user", user, "action", action, "service", "sshd", "reason", "integration test", NULL),
                 &reply);
        if (r < 0)
                return r;
        id = reply_string(reply, "request_id");
        if (!id || reply_error(reply) || !reply_string(reply, "state") ||
            strcmp(reply_string(reply, "state"), "pending") != 0) {
                json_object_put(reply);
                return -EBADMSG;
        }
        snprintf(ret_id, size, "%s", id);
        json_object_put(reply);
        return 0;
}
