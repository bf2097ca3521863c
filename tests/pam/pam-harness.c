/* The machinery behind the pam_jit.so tests (see pam-harness.h). Paths of
 * the artifacts under test come in as compile definitions: PAM_JIT_MODULE,
 * PAM_MARKER_MODULE, JITD_PATH and PAM_WRAPPER_LIB. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "jit-protocol.h"
#include "loginuid.h"
#include "pam-harness.h"
#include "varlink.h"

#define NOBODY 65534
/* 200 bytes: longer than any name a receiver may show. */
#define LONG_NAME_20 "xxxxxxxxxxxxxxxxxxxx"
#define LONG_NAME LONG_NAME_20 LONG_NAME_20 LONG_NAME_20 LONG_NAME_20 LONG_NAME_20 \
        LONG_NAME_20 LONG_NAME_20 LONG_NAME_20 LONG_NAME_20 LONG_NAME_20
#define ENV_DIR "PAM_JIT_TEST_DIR"

/* Always short (/tmp/pam-jit-test.XXXXXX): socket paths in it must fit sun_path. */
static char dir[64];
static pid_t children[32];
static size_t n_children;

uint64_t now_usec(void) {
        return now_monotonic_usec();
}

const char *test_dir(void) {
        return dir;
}

const char *test_path(const char *name) {
        static char bufs[8][256];
        static unsigned next;
        char *b = bufs[next++ % 8];

        snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
        return b;
}

static void die(const char *what) {
        fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

static void track_child(pid_t pid) {
        if (n_children < sizeof(children) / sizeof(children[0]))
                children[n_children++] = pid;
}

static void untrack_child(pid_t pid) {
        for (size_t i = 0; i < n_children; i++)
                if (children[i] == pid)
                        children[i] = 0;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                die(path);
}

/* "@" in module arguments stands for the test directory. */
static void expand(const char *in, char *out, size_t size) {
        size_t o = 0;

        for (const char *p = in; *p && o + 1 < size; p++) {
                if (*p == '@') {
                        int k = snprintf(out + o, size - o, "%s", dir);
                        if (k < 0 || (size_t) k >= size - o)
                                break;
                        o += (size_t) k;
                } else
                        out[o++] = *p;
        }
        out[o] = 0;
}

void harness_setup(int argc, char **argv, const Profile *profiles, size_t n_profiles, bool need_root) {
        const char *d = getenv(ENV_DIR);
        char tmpl[] = "/tmp/pam-jit-test.XXXXXX", svc[128], asan[512];
        const char *old_asan;

        if (d) {
                if (strlen(d) >= sizeof(dir)) {
                        fprintf(stderr, "harness: %s too long\n", ENV_DIR);
                        exit(EXIT_FAILURE);
                }
                memcpy(dir, d, strlen(d) + 1);
                return;
        }

        if (need_root && geteuid() != 0) {
                printf("SKIP: pam_jit.so trusts only a jitd running as root (socket file and peer uid 0); "
                       "run this test as root.\n");
                exit(77);
        }
        /* The approver in these tests is root: an admin logged in as root. */
        if (need_root)
                test_become_root_login("test-pam-jit");

        /* Short and fixed under /tmp: socket paths must fit sun_path. */
        if (!mkdtemp(tmpl))
                die("mkdtemp");
        if (chmod(tmpl, 0755) < 0)
                die("chmod");
        memcpy(dir, tmpl, sizeof(tmpl));
        snprintf(svc, sizeof(svc), "%s/svc", dir);
        if (mkdir(svc, 0755) < 0)
                die("mkdir svc");

        for (size_t i = 0; i < n_profiles; i++) {
                char args[1024], text[4096], path[PATH_MAX];

                expand(profiles[i].args, args, sizeof(args));
                snprintf(text, sizeof(text),
                         "auth    [success=done ignore=ignore default=die] %1$s %2$s\n"
                         "auth    required %3$s\n"
                         "account [success=done ignore=ignore default=die] %1$s %2$s\n"
                         "account required %3$s\n"
                         "session [success=done ignore=ignore default=die] %1$s %2$s\n"
                         "session required %3$s\n",
                         PAM_JIT_MODULE, args, PAM_MARKER_MODULE);
                if (snprintf(path, sizeof(path), "%s/%s", svc, profiles[i].service) >= (int) sizeof(path))
                        die("service path");
                write_file(path, text);
        }

        {
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%s/other", svc);
                write_file(path,
                           "auth required pam_deny.so\naccount required pam_deny.so\n"
                           "session required pam_deny.so\n");
        }

        /* pam_wrapper copies the service directory when it is loaded, so
         * the files must exist before: run ourselves again with it. */
        old_asan = getenv("ASAN_OPTIONS");
        snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old_asan ?: "", old_asan ? ":" : "");
        if (setenv("LD_PRELOAD", PAM_WRAPPER_LIB, 1) < 0 || setenv("PAM_WRAPPER", "1", 1) < 0 ||
            setenv("PAM_WRAPPER_SERVICE_DIR", svc, 1) < 0 || setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1) < 0 ||
            setenv("ASAN_OPTIONS", asan, 1) < 0 || setenv(ENV_DIR, dir, 1) < 0)
                die("setenv");
#ifdef __SANITIZE_ADDRESS__
        /* pam_wrapper dlopen()s libpam with RTLD_DEEPBIND, which ASan
         * refuses; this pam_wrapper reads its switch under uid_wrapper's name. */
        if (setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1) < 0)
                die("setenv");
#endif
        (void) argc;
        execv("/proc/self/exe", argv);
        die("execv");
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (type == FTW_DP)
                return rmdir(path) < 0 ? 0 : 0;
        (void) unlink(path);
        return 0;
}

void harness_cleanup(void) {
        for (size_t i = 0; i < n_children; i++)
                if (children[i] > 0) {
                        (void) kill(children[i], SIGCONT);
                        (void) kill(children[i], SIGKILL);
                        (void) waitpid(children[i], NULL, 0);
                }
        n_children = 0;
        if (dir[0] && !getenv("PAM_JIT_TEST_KEEP"))
                (void) nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- jitd ---- */

static void print_file(const char *path) {
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

static bool socket_answers(const char *path) {
        JitClient c = { .fd = -1 };
        int r;

        r = jit_client_connect(&c, path, true, now_usec() + 200000);
        jit_client_close(&c);
        return r >= 0;
}

pid_t jitd_start(void) {
        return jitd_start_with(NULL);
}

pid_t jitd_start_with(const char *dropin) {
        char conf[8192], conf_path[PATH_MAX], log_path[PATH_MAX], dropin_path[PATH_MAX];
        pid_t pid;

        /* Copies: test_path()'s buffers rotate, and the wait below calls it often. */
        snprintf(conf_path, sizeof(conf_path), "%s", test_path("jitd.conf"));
        snprintf(log_path, sizeof(log_path), "%s", test_path("jitd.log"));
        snprintf(dropin_path, sizeof(dropin_path), "%s", test_path("jitd.conf.d/50-test.conf"));

        /* Fictional names: jitd matches listed users by name, so the tests
         * do not depend on this host's passwd. */
        snprintf(conf, sizeof(conf),
                 "[jitd]\n"
                 "socket = %s/io.jit\n"
                 "database = %s/jitd.db\n"
                 "state_directory = %s\n"
                 "request_ttl = 1h\n"
                 "\n"
                 "[login]\n"
                 "users = alice bob carol frank grace heidi ivan judy mallory oscar peggy\n"
                 "\n"
                 "[sudo]\n"
                 "users = alice bob carol frank grace heidi ivan judy mallory oscar peggy\n"
                 "\n"
                 "[breakglass]\n"
                 "users = erin\n",
                 dir, dir, dir);
        write_file(conf_path, conf);
        (void) unlink(dropin_path);
        if (dropin) {
                if (mkdir(test_path("jitd.conf.d"), 0700) < 0 && errno != EEXIST)
                        die("mkdir jitd.conf.d");
                write_file(dropin_path, dropin);
        }

        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                char *const args[] = { (char *) "jitd", (char *) "--config", conf_path,
                                       (char *) "--debug", NULL };
                /* No system bus: the jitd under test must not touch the
                 * host's systemd (timers) or logind (sessions). */
                char *env[8] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                 (char *) "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/jitd-test-no-bus" };
                size_t n_env = 2;
                int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

                /* The sanitizer settings of the run (scripts/test's ASan
                 * pass) hold for the jitd under test too. */
                for (const char *const *name = (const char *const[]) { "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                                                        "LSAN_OPTIONS", NULL };
                     *name; name++) {
                        const char *value = getenv(*name);
                        char *entry;

                        if (value && asprintf(&entry, "%s=%s", *name, value) >= 0)
                                env[n_env++] = entry;
                }

                /* A test that dies must not leave its jitd behind. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        _exit(127);

                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(127);
                /* A clean environment: no pam_wrapper preloaded into jitd. */
                execve(JITD_PATH, args, env);
                _exit(127);
        }
        track_child(pid);

        for (int i = 0; i < 200; i++) {
                int status;

                if (socket_answers(test_path("io.jit")))
                        return pid;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        untrack_child(pid);
                        fprintf(stderr, "harness: jitd exited during start-up (status %d)\n", status);
                        print_file(log_path);
                        exit(EXIT_FAILURE);
                }
                (void) poll(NULL, 0, 25);
        }
        fprintf(stderr, "harness: jitd did not answer on %s within 5 s\n", test_path("io.jit"));
        print_file(log_path);
        exit(EXIT_FAILURE);
}

void jitd_stop(pid_t pid) {
        int status = 0;

        if (pid <= 0)
                return;
        (void) kill(pid, SIGCONT);
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, &status, 0);
        untrack_child(pid);
        /* jitd exits 0 on SIGTERM. Anything else is a failure of the test:
         * in the sanitizer build, a leak or a report LeakSanitizer or
         * UBSan made at exit. */
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "harness: jitd exited with status 0x%x on SIGTERM, expected 0\n", (unsigned) status);
                print_file(test_path("jitd.log"));
                harness_cleanup();
                exit(EXIT_FAILURE);
        }
}

/* ---- fake servers ---- */

static const char *fake_reply(FakeMode mode) {
        switch (mode) {
        case FAKE_GARBAGE:
                return "this is not JSON, and not a jitd either";
        case FAKE_WRONG_PROTOCOL:
                return "{\"parameters\":{\"protocol\":2,\"decision\":\"allow\","
                       "\"grant_id\":\"gabcdefghjkmnpqrs\"}}";
        case FAKE_STORE_ERROR:
                return "{\"error\":\"io.jit.StoreUnavailable\",\"parameters\":{\"protocol\":1}}";
        case FAKE_ALLOW:
                return "{\"parameters\":{\"protocol\":1,\"decision\":\"allow\","
                       "\"grant_id\":\"gabcdefghjkmnpqrs\",\"expires_at\":4102444800}}";
        case FAKE_HOSTILE_PENDING:
                /* Escape sequences, a name far too long, too many names,
                 * a non-string: all for the terminal of the user. */
                return "{\"error\":\"io.jit.NoGrant\",\"parameters\":{\"protocol\":1,\"state\":\"pending\","
                       "\"request_id\":\"rabcdefghjkmnpqrs\",\"match_code\":\"123-456\",\"created\":true,"
                       "\"endpoints\":[\"\\u001b[2Jwipe\",7,\"e2\",\"e3\",\"e4\",\"e5\",\"e6\",\"e7\",\"e8\","
                       "\"e9\",\"e10\"],"
                       "\"approvers\":[\"bell\\u0007\\r\\nroot\","
                       "\"" LONG_NAME "\"]}}";
        default:
                return NULL;
        }
}

static void fake_serve(int fd, FakeMode mode) {
        const char *reply = fake_reply(mode);

        for (;;) {
                char buf[4096];
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

                if (c < 0)
                        continue;
                /* Read the call (up to its NUL), then answer, or not. */
                for (;;) {
                        struct pollfd p = { .fd = c, .events = POLLIN };
                        ssize_t k;

                        if (poll(&p, 1, 2000) <= 0)
                                break;
                        k = read(c, buf, sizeof(buf));
                        if (k <= 0 || memchr(buf, 0, (size_t) k))
                                break;
                }
                if (!reply)
                        continue; /* FAKE_SILENT: keep the connection, say nothing */
                (void) !write(c, reply, strlen(reply) + 1);
                close(c);
        }
}

pid_t fake_server_start(const char *path, FakeMode mode, FakeOwner owner) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int ready[2];
        pid_t pid;
        char c;

        (void) unlink(path);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (pipe2(ready, O_CLOEXEC) < 0)
                die("pipe");

        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        _exit(1);

                if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0)
                        _exit(1);
                if (owner == FAKE_OWNER_FILE_NOBODY && chown(path, NOBODY, NOBODY) < 0)
                        _exit(1);
                /* The server's SO_PEERCRED is taken at listen(): drop to
                 * nobody before it, keeping the root-owned socket file. */
                if (owner == FAKE_OWNER_PROCESS_NOBODY &&
                    (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
                     setresuid(NOBODY, NOBODY, NOBODY) < 0))
                        _exit(1);
                if (listen(fd, 16) < 0)
                        _exit(1);
                (void) !write(ready[1], "x", 1);
                fake_serve(fd, mode);
                _exit(0);
        }
        close(ready[1]);
        if (read(ready[0], &c, 1) != 1) {
                fprintf(stderr, "harness: fake server on %s did not start\n", path);
                exit(EXIT_FAILURE);
        }
        close(ready[0]);
        track_child(pid);
        return pid;
}

void fake_server_stop(pid_t pid, const char *path) {
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        untrack_child(pid);
        (void) unlink(path);
}

/* ---- admin side ---- */

int admin_call(const char *method, struct json_object *parameters, struct json_object **ret_parameters,
               char **ret_error) {
        JitClient c = { .fd = -1 };
        struct json_object *reply = NULL, *params = NULL;
        const char *error = NULL;
        uint64_t deadline = now_usec() + 5000000;
        int r;

        if (ret_parameters)
                *ret_parameters = NULL;
        if (ret_error)
                *ret_error = NULL;

        r = jit_client_connect(&c, test_path("io.jit"), true, deadline);
        if (r < 0) {
                json_object_put(parameters);
                return r;
        }
        r = jit_client_call(&c, method, parameters, deadline, &reply);
        jit_client_close(&c);
        if (r < 0)
                return r;
        r = varlink_reply_parse(reply, &error, &params, NULL);
        if (r < 0) {
                json_object_put(reply);
                return r;
        }
        if (error) {
                if (ret_error)
                        *ret_error = strdup(error);
                json_object_put(reply);
                return 1;
        }
        if (ret_parameters && params)
                *ret_parameters = json_object_get(params);
        json_object_put(reply);
        return 0;
}

const char *json_string_of(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static struct json_object *object_with(const char *k1, const char *v1, const char *k2, const char *v2) {
        struct json_object *o = json_object_new_object();

        if (k1 && v1)
                json_object_object_add(o, k1, json_object_new_string(v1));
        if (k2 && v2)
                json_object_object_add(o, k2, json_object_new_string(v2));
        return o;
}

static int call_for_string(const char *method, struct json_object *params, const char *key, char *buf,
                           size_t size) {
        struct json_object *reply = NULL;
        char *error = NULL;
        const char *s;
        int r;

        r = admin_call(method, params, &reply, &error);
        if (r != 0) {
                fprintf(stderr, "harness: %s failed: %s\n", method, error ?: strerror(-r));
                free(error);
                return r < 0 ? r : -EREMOTEIO;
        }
        s = json_string_of(reply, key);
        if (buf && size) {
                if (!s) {
                        json_object_put(reply);
                        return -EBADMSG;
                }
                snprintf(buf, size, "%s", s);
        }
        json_object_put(reply);
        return 0;
}

int admin_grant(const char *user, const char *action, char *ret_grant_id, size_t size) {
        char request_id[64];
        struct json_object *p;
        int r;

        p = object_with("user", user, "action", action);
        json_object_object_add(p, "reason", json_object_new_string("granted by the test"));
        r = call_for_string(JIT_METHOD_REQUEST, p, "request_id", request_id, sizeof(request_id));
        if (r < 0)
                return r;
        return call_for_string(JIT_METHOD_APPROVE, object_with("request_id", request_id, NULL, NULL),
                               "grant_id", ret_grant_id, size);
}

int admin_approve(const char *request_id) {
        return call_for_string(JIT_METHOD_APPROVE, object_with("request_id", request_id, NULL, NULL),
                               "grant_id", NULL, 0);
}

int admin_deny(const char *request_id, const char *reason) {
        return call_for_string(JIT_METHOD_DENY, object_with("request_id", request_id, "reason", reason),
                               "state", NULL, 0);
}

struct json_object *admin_show(const char *id) {
        struct json_object *reply = NULL;
        char *error = NULL;
        int r;

        r = admin_call(JIT_METHOD_SHOW, object_with("id", id, NULL, NULL), &reply, &error);
        if (r != 0) {
                fprintf(stderr, "harness: Show %s failed: %s\n", id, error ?: strerror(-r));
                free(error);
                return NULL;
        }
        return reply;
}

int admin_pending_requests(const char *user) {
        struct json_object *reply = NULL, *requests = NULL;
        char *error = NULL;
        int r, n = 0;

        r = admin_call(JIT_METHOD_STATUS, object_with("user", user, NULL, NULL), &reply, &error);
        if (r != 0) {
                free(error);
                return r < 0 ? r : -EREMOTEIO;
        }
        if (json_object_object_get_ex(reply, "requests", &requests) &&
            json_object_is_type(requests, json_type_array))
                for (size_t i = 0; i < json_object_array_length(requests); i++) {
                        const char *state = json_string_of(json_object_array_get_idx(requests, i), "state");

                        if (state && strcmp(state, "pending") == 0)
                                n++;
                }
        json_object_put(reply);
        return n;
}

/* ---- conversation ---- */

void transcript_reset(Transcript *t) {
        for (int i = 0; i < t->n; i++)
                free(t->texts[i]);
        *t = (Transcript) {};
}

const char *transcript_find(const Transcript *t, const char *needle) {
        for (int i = 0; i < t->n; i++)
                if (t->texts[i] && strstr(t->texts[i], needle))
                        return t->texts[i];
        return NULL;
}

int transcript_style_of(const Transcript *t, const char *needle) {
        for (int i = 0; i < t->n; i++)
                if (t->texts[i] && strstr(t->texts[i], needle))
                        return t->styles[i];
        return -1;
}

int transcript_approver_wait(Transcript *t) {
        int status;

        if (t->approver_pid <= 0)
                return -1;
        if (waitpid(t->approver_pid, &status, 0) != t->approver_pid)
                return -1;
        t->approver_pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "Request rXXXX sent ...; match code 123-456. Waiting up to ..." */
static void parse_notice(Transcript *t, const char *text) {
        const char *p = strstr(text, "Request r");

        if (p) {
                size_t n;

                p += strlen("Request ");
                n = strcspn(p, " .;,");
                if (n < sizeof(t->request_id))
                        snprintf(t->request_id, sizeof(t->request_id), "%.*s", (int) n, p);
        }
        p = strstr(text, "match code ");
        if (p) {
                p += strlen("match code ");
                snprintf(t->match_code, sizeof(t->match_code), "%.*s", (int) strspn(p, "0123456789-"), p);
        }
}

/* The approver is another process, as in real life: it decides while the
 * module is blocked waiting inside pam_authenticate(). */
static void start_approver(Transcript *t) {
        pid_t pid;

        if (t->approver == APPROVER_NONE || t->approver_pid > 0 || !t->request_id[0])
                return;
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                int r;

                (void) poll(NULL, 0, 400);
                if (test_set_loginuid(t->approver_loginuid) < 0)
                        _exit(2);
                r = t->approver == APPROVER_APPROVE ? admin_approve(t->request_id)
                                                    : admin_deny(t->request_id, t->deny_reason);
                _exit(r < 0 ? 1 : 0);
        }
        t->approver_pid = pid;
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        Transcript *t = data;
        struct pam_response *r = calloc((size_t) n, sizeof(*r));

        if (!r)
                return PAM_BUF_ERR;
        t->calls++;

        for (int i = 0; i < n; i++) {
                const struct pam_message *m = msg[i];

                if (t->n < TRANSCRIPT_MAX) {
                        t->styles[t->n] = m->msg_style;
                        t->texts[t->n] = strdup(m->msg ?: "");
                        t->n++;
                }
                if (m->msg && strstr(m->msg, "Waiting up to")) {
                        parse_notice(t, m->msg);
                        start_approver(t);
                }

                if (m->msg_style == PAM_PROMPT_ECHO_ON || m->msg_style == PAM_PROMPT_ECHO_OFF) {
                        Answer a = t->prompts < t->n_answers ? t->answers[t->prompts]
                                                             : (Answer) { ANSWER_TEXT, "" };

                        t->prompts++;
                        t->prompt_call_size = n;
                        if (a.kind == ANSWER_CONV_ERR) {
                                for (int j = 0; j < n; j++)
                                        free(r[j].resp);
                                free(r);
                                return PAM_CONV_ERR;
                        }
                        if (a.kind == ANSWER_TEXT)
                                r[i].resp = strdup(a.text ?: "");
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

/* ---- running PAM ---- */

static int capture_begin(void) {
        int saved, fd;

        fflush(stderr);
        saved = dup(STDERR_FILENO);
        fd = open(test_path("pam-stderr.log"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (saved < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
                die("capture");
        close(fd);
        return saved;
}

static char *capture_end(int saved) {
        FILE *f;
        char *buf;
        long size;

        fflush(stderr);
        if (dup2(saved, STDERR_FILENO) < 0)
                die("capture restore");
        close(saved);

        f = fopen(test_path("pam-stderr.log"), "re");
        if (!f)
                return strdup("");
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = calloc(1, (size_t) (size > 0 ? size : 0) + 1);
        if (buf && size > 0 && fread(buf, 1, (size_t) size, f) != (size_t) size)
                buf[0] = 0;
        fclose(f);
        return buf ?: strdup("");
}

static const char *op_name(enum pamtest_ops op) {
        switch (op) {
        case PAMTEST_AUTHENTICATE:
                return "authenticate";
        case PAMTEST_SETCRED:
                return "setcred";
        case PAMTEST_ACCOUNT:
                return "acct_mgmt";
        case PAMTEST_OPEN_SESSION:
                return "open_session";
        case PAMTEST_CLOSE_SESSION:
                return "close_session";
        default:
                return "?";
        }
}

const char *pam_run_ruser;

void pam_run(const char *service, const char *user, const char *rhost, const char *session_id, Transcript *t,
             const Step *steps, size_t n_steps, RunResult *ret) {
        struct pam_conv conv = { conversation, t };
        struct pam_testcase tc[8];
        pam_handle_t *h = NULL;
        enum pamtest_err e;
        uint64_t start;
        int saved, r;

        *ret = (RunResult) {};
        if (n_steps > 8)
                n_steps = 8;
        for (size_t i = 0; i < n_steps; i++)
                tc[i] = (struct pam_testcase) pam_test_flags(
                        steps[i].op, steps[i].expect == PAM_IGNORE ? STACK_IGNORED : steps[i].expect,
                        steps[i].flags);

        saved = capture_begin();
        start = now_usec();

        r = pam_start(service, user, &conv, &h);
        if (r != PAM_SUCCESS) {
                ret->log = capture_end(saved);
                fprintf(stderr, "harness: pam_start(%s, %s): %d\n%s", service, user, r, ret->log);
                return;
        }
        (void) pam_set_item(h, PAM_RHOST, rhost ?: TEST_RHOST);
        (void) pam_set_item(h, PAM_TTY, TEST_TTY);
        if (pam_run_ruser)
                (void) pam_set_item(h, PAM_RUSER, pam_run_ruser);
        if (session_id) {
                char env[128];

                snprintf(env, sizeof(env), "XDG_SESSION_ID=%s", session_id);
                (void) pam_putenv(h, env);
        }

        /* libpamtest runs the steps on our handle and ends it. */
        e = _pamtest_conv(service, user, conversation, t, tc, n_steps, h);

        ret->elapsed_usec = now_usec() - start;
        ret->log = capture_end(saved);
        for (size_t i = 0; i < n_steps; i++)
                ret->codes[i] = tc[i].op_rv;
        ret->ok = e == PAMTEST_ERR_OK;

        if (getenv("PAM_JIT_TEST_VERBOSE")) {
                fprintf(stderr, "=== pam_run(%s, %s): %s, %.3f s\n", service, user, pamtest_strerror(e),
                        (double) ret->elapsed_usec / 1e6);
                for (int i = 0; i < t->n; i++)
                        fprintf(stderr, "  [style %d] %s\n", t->styles[i], t->texts[i]);
                for (const char *p = ret->log; p && *p;) {
                        const char *nl = strchr(p, '\n'), *m = strstr(p, "SYSLOG(");
                        size_t len = nl ? (size_t) (nl - p) : strlen(p);

                        if (m && m < p + len)
                                fprintf(stderr, "  %.*s\n", (int) (len - (size_t) (m - p)), m);
                        p += len + (nl ? 1 : 0);
                }
        }

        if (!ret->ok) {
                const struct pam_testcase *f = _pamtest_failed_case(tc, n_steps);

                fprintf(stderr, "pam_run(%s, %s): %s", service, user, pamtest_strerror(e));
                if (f)
                        fprintf(stderr, ": %s returned %d, expected %d", op_name(f->pam_operation), f->op_rv,
                                f->expected_rv);
                fprintf(stderr, " (%d = pam_jit.so returned PAM_IGNORE)\n--- conversation ---\n",
                        STACK_IGNORED);
                for (int i = 0; i < t->n; i++)
                        fprintf(stderr, "  [style %d] %s\n", t->styles[i], t->texts[i]);
                fprintf(stderr, "--- log ---\n%s--- end ---\n", ret->log);
        }
}

void run_result_done(RunResult *r) {
        free(r->log);
        r->log = NULL;
}

/* ---- journald stand-in ---- */

int journal_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        (void) unlink(path);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("journal socket");
        return fd;
}

char *journal_receive(int fd) {
        char buf[16384];
        ssize_t k;

        k = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (k < 0)
                return NULL;
        buf[k] = 0;
        return strdup(buf);
}
