/* The real jitctl binary against a real jitd: what an admin or a script
 * sees. Each command's text and --json output for root; the exit statuses
 * jitctl(8) promises (0 success, 2 usage, 3 jitd unreachable, 4 permission
 * denied, 5 no such id, 6 conflict) and a clear line on stderr for each
 * failure. The plain user is daemon (uid 1): in this configuration nobody
 * is an admin (nogroup is the admin group). Each jitctl runs in a login of
 * its own user (audit loginuid), or as "sudo jitctl" in someone else's. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../loginuid.h"
#include "../test.h"
#include "harness.h"
#include "macros.h"
#include "text.h"

#ifndef JITCTL_PATH
#error "JITCTL_PATH must point to the jitctl binary under test"
#endif

#define ARGS_MAX 24
#define OUTPUT_MAX (256U * 1024U)

/* Exit statuses from jitctl(8). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3,
        EXIT_DENIED = 4,
        EXIT_NOT_FOUND = 5,
        EXIT_CONFLICT = 6,
};

/* Well-formed ids (r/g + 16 of the id alphabet) that jitd never issued. */
#define UNKNOWN_REQUEST "r0000000000000000"
#define UNKNOWN_GRANT "g0000000000000000"

/* An endpoint nobody listens on: its messages stay queued for retry, so
 * resend has something to send again. The review pages on any free port,
 * not on the default one a real jitd on this host may hold. */
#define DEAD_WEBHOOK \
        "[webhook ops]\nurl = http://127.0.0.1:1/hook\nformat = slack\nallow_http_loopback = yes\n" \
        "[review]\nlisten = 127.0.0.1:0\n"

typedef struct Run {
        int status; /* exit status, 128+signal, or -errno */
        char *out;
        char *err;
} Run;

static void run_done(Run *r) {
        free(r->out);
        free(r->err);
        *r = (Run) {};
}

static char *slurp(int fd) {
        char *buf = malloc(OUTPUT_MAX + 1);
        size_t n = 0;

        if (!buf)
                return NULL;
        if (lseek(fd, 0, SEEK_SET) == 0)
                for (;;) {
                        ssize_t k = read(fd, buf + n, OUTPUT_MAX - n);

                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                break;
                        n += (size_t) k;
                        if (n >= OUTPUT_MAX)
                                break;
                }
        buf[n] = 0;
        return buf;
}

/* jitctl --socket <j's socket> ARGS..., as uid/gid (0: root), stdout and
 * stderr kept apart. `socket` NULL: the test's jitd. */
/* jitctl as uid/gid, in a login of `loginuid`'s (the person behind it,
 * jitd/person.h): root with daemon's loginuid is daemon's "sudo jitctl". */
static Run jitctl_as(uid_t uid, gid_t gid, uid_t loginuid, const char *socket, const char *arg, ...) {
        const char *argv[ARGS_MAX + 4];
        size_t n = 0;
        Run r = { .status = -EIO };
        FILE *out = tmpfile(), *err = tmpfile();
        va_list ap;
        pid_t pid;
        int status;

        argv[n++] = "jitctl";
        argv[n++] = "--socket";
        argv[n++] = socket;
        va_start(ap, arg);
        for (const char *a = arg; a && n < ARGS_MAX + 3; a = va_arg(ap, const char *))
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;

        if (!out || !err)
                goto finish;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                r.status = -errno;
                goto finish;
        }
        if (pid == 0) {
                if (dup2(fileno(out), STDOUT_FILENO) < 0 || dup2(fileno(err), STDERR_FILENO) < 0)
                        _exit(126);
                if (test_set_loginuid(loginuid) < 0)
                        _exit(126);
                if (uid != 0 &&
                    (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0))
                        _exit(126);
                execv(JITCTL_PATH, (char **) argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0) {
                r.status = -errno;
                goto finish;
        }
        r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = slurp(fileno(out));
        r.err = slurp(fileno(err));
finish:
        if (!r.out)
                r.out = strdup("");
        if (!r.err)
                r.err = strdup("");
        if (out)
                fclose(out);
        if (err)
                fclose(err);
        return r;
}

#define JITCTL(j, ...) jitctl_as(0, 0, 0, (j)->socket, __VA_ARGS__, (const char *) NULL)
#define JITCTL_AS_DAEMON(j, ...) \
        jitctl_as(UID_DAEMON, GID_DAEMON, UID_DAEMON, (j)->socket, __VA_ARGS__, (const char *) NULL)
#define JITCTL_AS_NOBODY(j, ...) \
        jitctl_as(UID_NOBODY, GID_NOBODY, UID_NOBODY, (j)->socket, __VA_ARGS__, (const char *) NULL)
/* "sudo jitctl ..." run by the user of `loginuid`. */
#define JITCTL_SUDO_BY(j, loginuid, ...) jitctl_as(0, 0, (loginuid), (j)->socket, __VA_ARGS__, (const char *) NULL)
#define UID_BIN 2

/* The exit status, and, if `needle` is not NULL, that it is in `text`; on
 * failure both streams are shown. */
#define CHECK_RUN(run, expected_status, text, needle)                                                      \
        do {                                                                                               \
                int _failures = test_failures;                                                             \
                const char *_needle = (needle);                                                            \
                CHECK_INT((run).status, expected_status);                                                  \
                if (_needle)                                                                               \
                        CHECK(strstr((run).text, _needle) != NULL);                                        \
                if (test_failures != _failures)                                                            \
                        fprintf(stderr, "  stdout: %s\n  stderr: %s\n", (run).out, (run).err);            \
        } while (0)
#define CHECK_OUT(run, status, needle) CHECK_RUN(run, status, out, needle)
#define CHECK_ERR(run, status, needle) CHECK_RUN(run, status, err, needle)

static const char *json_str(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool json_has_int(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int);
}

/* The element of array `key` of `o` whose "id" is `id`. */
static struct json_object *find_by_id(struct json_object *o, const char *key, const char *id) {
        struct json_object *a = NULL;

        if (!o || !json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *e = json_object_array_get_idx(a, i);
                const char *s = json_str(e, "id");

                if (s && strcmp(s, id) == 0)
                        return e;
        }
        return NULL;
}

/* stdout parsed as one JSON object, or NULL (and a failed check). */
static struct json_object *parse_json(const Run *run) {
        struct json_object *o = json_tokener_parse(run->out);

        CHECK(o && json_object_is_type(o, json_type_object));
        if (!o || !json_object_is_type(o, json_type_object)) {
                fprintf(stderr, "  stdout is not a JSON object: %s\n", run->out);
                json_object_put(o);
                return NULL;
        }
        return o;
}

static void copy_id(char *dst, const char *src) {
        snprintf(dst, JIT_ID_MAX, "%s", src ? src : "");
}

static void test_as_root(Jitd *j) {
        char breakglass[JIT_ID_MAX] = "", request[JIT_ID_MAX] = "", denied[JIT_ID_MAX] = "",
             approved_grant[JIT_ID_MAX] = "";
        struct json_object *o, *e;
        Run run;

        /* A break-glass grant, in text and as JSON. */
        run = JITCTL(j, "grant", "--user", "nobody", "--action", "login", "--duration", "1h", "--reason",
                     "INC-4711, webhook down");
        CHECK_OUT(run, EXIT_OK, "Break-glass grant g");
        CHECK(strstr(run.out, "nobody may log in until") && strstr(run.out, "This is audited."));
        run_done(&run);
        CHECK(audit_has(j, "breakglass", "JIT_REASON", "INC-4711, webhook down"));

        run = JITCTL(j, "grant", "--json", "--user", "root", "--action", "sudo", "--duration", "30m", "--reason",
                     "second");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        CHECK(json_str(o, "grant_id") && jit_id_is_valid(json_str(o, "grant_id"), 'g'));
        CHECK(json_has_int(o, "expires_at"));
        copy_id(breakglass, json_str(o, "grant_id"));
        json_object_put(o);
        run_done(&run);

        /* Requests: daemon's through jitctl itself, nobody's through the harness. */
        run = JITCTL_AS_DAEMON(j, "request", "--action", "sudo", "--reason", "restart nginx");
        CHECK_OUT(run, EXIT_OK, "Created request r");
        CHECK(strstr(run.out, "match code") != NULL);
        run_done(&run);
        run = JITCTL_AS_DAEMON(j, "request", "--json", "--action", "sudo");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        CHECK_STR(json_str(o, "state"), "pending");
        CHECK(json_str(o, "request_id") && jit_id_is_valid(json_str(o, "request_id"), 'r'));
        CHECK(json_str(o, "match_code") != NULL);
        copy_id(request, json_str(o, "request_id"));
        json_object_put(o);
        run_done(&run);
        CHECK_INT(create_request(j, "nobody", "sudo", denied, sizeof(denied)), 0);

        /* list: a table with a header, the requests and the grants. */
        run = JITCTL(j, "list");
        CHECK_OUT(run, EXIT_OK, "REQUEST");
        CHECK(strstr(run.out, "USER") && strstr(run.out, "ACTION") && strstr(run.out, "STATE") &&
              strstr(run.out, "GRANT") && strstr(run.out, "APPROVER"));
        CHECK(strstr(run.out, request) != NULL);
        CHECK(strstr(run.out, denied) != NULL);
        CHECK(strstr(run.out, breakglass) != NULL);
        CHECK(strstr(run.out, "restart nginx") != NULL);
        CHECK(strstr(run.out, "pending") != NULL);
        CHECK(strstr(run.out, "active!") != NULL);
        CHECK(strstr(run.out, "(! = break-glass grant)") != NULL);
        run_done(&run);

        run = JITCTL(j, "list", "--json");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        e = find_by_id(o, "requests", request);
        CHECK(e != NULL);
        CHECK_STR(json_str(e, "user"), "daemon");
        CHECK_STR(json_str(e, "action"), "sudo");
        CHECK_STR(json_str(e, "state"), "pending");
        CHECK_STR(json_str(e, "reason"), "restart nginx");
        CHECK_STR(json_str(e, "service"), "jitctl");
        CHECK(json_str(e, "match_code") != NULL);
        CHECK(json_has_int(e, "created_at") && json_has_int(e, "expires_at"));
        CHECK(find_by_id(o, "requests", denied) != NULL);
        e = find_by_id(o, "grants", breakglass);
        CHECK(e != NULL);
        CHECK_STR(json_str(e, "user"), "root");
        CHECK_STR(json_str(e, "action"), "sudo");
        CHECK_STR(json_str(e, "state"), "active");
        CHECK_STR(json_str(e, "approver"), "root");
        CHECK_STR(json_str(e, "reason"), "second");
        CHECK(json_has_int(e, "expires_at"));
        {
                struct json_object *v = NULL;

                CHECK(e && json_object_object_get_ex(e, "breakglass", &v) && json_object_get_boolean(v));
        }
        json_object_put(o);
        run_done(&run);

        /* The filters: --pending has no grants, --active no requests. */
        run = JITCTL(j, "list", "--pending", "--json");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        CHECK(find_by_id(o, "requests", request) && !find_by_id(o, "grants", breakglass));
        json_object_put(o);
        run_done(&run);
        run = JITCTL(j, "list", "--active");
        CHECK_OUT(run, EXIT_OK, breakglass);
        CHECK(strstr(run.out, request) == NULL);
        run_done(&run);

        /* show: one request, one grant, each in text and JSON. */
        run = JITCTL(j, "show", request);
        CHECK_OUT(run, EXIT_OK, "Request ");
        CHECK(strstr(run.out, request) && strstr(run.out, "User:") && strstr(run.out, "daemon") &&
              strstr(run.out, "State:") && strstr(run.out, "pending") && strstr(run.out, "Match code:") &&
              strstr(run.out, "Reason:") && strstr(run.out, "restart nginx"));
        /* Its message to the endpoint that is down is shown, not yet delivered. */
        CHECK(strstr(run.out, "Notifications:") && strstr(run.out, "ops"));
        run_done(&run);
        run = JITCTL(j, "show", "--json", request);
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        {
                struct json_object *r = NULL;

                CHECK(json_object_object_get_ex(o, "request", &r));
                CHECK_STR(json_str(r, "id"), request);
                CHECK_STR(json_str(r, "state"), "pending");
        }
        json_object_put(o);
        run_done(&run);
        run = JITCTL(j, "show", breakglass);
        CHECK_OUT(run, EXIT_OK, "(break-glass)");
        CHECK(strstr(run.out, breakglass) && strstr(run.out, "State:") && strstr(run.out, "active") &&
              strstr(run.out, "Expires:"));
        run_done(&run);

        /* resend: the message for the endpoint that is down, now. */
        run = JITCTL(j, "resend", request);
        CHECK_OUT(run, EXIT_OK, "Queued ");
        CHECK(strstr(run.out, request) != NULL);
        run_done(&run);
        run = JITCTL(j, "resend", "--json", request, "--endpoint", "ops");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        CHECK(json_has_int(o, "queued"));
        json_object_put(o);
        run_done(&run);
        /* An endpoint that is not configured: jitd refuses the value. */
        run = JITCTL(j, "resend", request, "--endpoint", "nosuch");
        CHECK_ERR(run, EXIT_FAIL, "jitctl: jitd refused the value of 'endpoint'");
        run_done(&run);

        /* approve, and approve again: a conflict that says who decided. */
        run = JITCTL(j, "approve", request, "--duration", "10m");
        CHECK_OUT(run, EXIT_OK, "Approved ");
        CHECK(strstr(run.out, request) && strstr(run.out, "grant g"));
        run_done(&run);
        CHECK(audit_has(j, "request-approved", "JIT_REQUEST_ID", request));
        run = JITCTL(j, "show", "--json", request);
        o = parse_json(&run);
        {
                struct json_object *r = NULL;

                CHECK(json_object_object_get_ex(o, "request", &r));
                CHECK_STR(json_str(r, "state"), "approved");
                CHECK_STR(json_str(r, "decided_by"), "root");
                copy_id(approved_grant, json_str(r, "grant_id"));
        }
        json_object_put(o);
        run_done(&run);
        CHECK(jit_id_is_valid(approved_grant, 'g'));

        run = JITCTL(j, "approve", request);
        CHECK_ERR(run, EXIT_CONFLICT, "is no longer pending (approved by root)");
        CHECK(strstr(run.err, request) != NULL);
        CHECK_STR(run.out, "");
        run_done(&run);
        run = JITCTL(j, "deny", request);
        CHECK_ERR(run, EXIT_CONFLICT, "is no longer pending");
        run_done(&run);

        /* deny, with a reason the record keeps. */
        run = JITCTL(j, "deny", denied, "--reason", "not during the freeze");
        CHECK_OUT(run, EXIT_OK, "Denied ");
        CHECK(strstr(run.out, denied) != NULL);
        run_done(&run);
        run = JITCTL(j, "show", denied);
        CHECK_OUT(run, EXIT_OK, "denied");
        CHECK(strstr(run.out, "not during the freeze") != NULL);
        run_done(&run);
        run = JITCTL(j, "approve", denied);
        CHECK_ERR(run, EXIT_CONFLICT, "is no longer pending (denied by root)");
        run_done(&run);

        /* expire: an active grant before its deadline is refused with a hint. */
        run = JITCTL(j, "expire", approved_grant);
        CHECK_ERR(run, EXIT_CONFLICT, "runs until");
        CHECK(strstr(run.err, "jitctl revoke") != NULL);
        run_done(&run);

        /* revoke one grant, then the same again: a conflict. */
        run = JITCTL(j, "revoke", breakglass, "--reason", "incident over");
        CHECK_OUT(run, EXIT_OK, "Revoked ");
        CHECK(strstr(run.out, breakglass) != NULL);
        run_done(&run);
        CHECK(audit_has(j, "grant-revoked", "JIT_GRANT_ID", breakglass));
        run = JITCTL(j, "revoke", breakglass);
        CHECK_ERR(run, EXIT_CONFLICT, "is no longer active (revoked");
        run_done(&run);
        /* What the grant's timer runs after a revoke: nothing to do, and no failure. */
        run = JITCTL(j, "expire", breakglass);
        CHECK_OUT(run, EXIT_OK, "already revoked; nothing to do");
        run_done(&run);

        /* revoke --user: all of a user's grants; none left is not an error. */
        run = JITCTL(j, "revoke", "--user", "daemon", "--action", "sudo", "--json");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        {
                struct json_object *revoked = NULL;

                CHECK(json_object_object_get_ex(o, "revoked", &revoked) &&
                      json_object_is_type(revoked, json_type_array));
                CHECK(revoked && json_object_array_length(revoked) == 1 &&
                      strcmp(json_object_get_string(json_object_array_get_idx(revoked, 0)), approved_grant) == 0);
        }
        json_object_put(o);
        run_done(&run);
        run = JITCTL(j, "revoke", "--user", "daemon");
        CHECK_OUT(run, EXIT_OK, "nothing to revoke");
        run_done(&run);
        run = JITCTL(j, "revoke", "--user", "nobody");
        CHECK_OUT(run, EXIT_OK, "Revoked g"); /* the break-glass login grant */
        run_done(&run);

        /* A grant that ran out: jitd expired it, expire has nothing to do. */
        run = JITCTL(j, "grant", "--json", "--user", "daemon", "--action", "sudo", "--duration", "1s", "--reason",
                     "short");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        copy_id(breakglass, json_str(o, "grant_id"));
        json_object_put(o);
        run_done(&run);
        sleep_usec(2500000);
        run = JITCTL(j, "expire", breakglass);
        CHECK_OUT(run, EXIT_OK, "already expired; nothing to do");
        run_done(&run);
        run = JITCTL(j, "list", "--all", "--json");
        o = parse_json(&run);
        e = find_by_id(o, "grants", breakglass);
        CHECK_STR(json_str(e, "state"), "expired");
        json_object_put(o);
        run_done(&run);

        /* Nothing to list: a sentence, not an empty table. */
        run = JITCTL(j, "list");
        CHECK_OUT(run, EXIT_OK, "No pending requests and no active grants.");
        run_done(&run);
}

static void test_unknown_ids(Jitd *j) {
        static const char *const commands[][3] = {
                { "show", UNKNOWN_REQUEST, NULL },   { "show", UNKNOWN_GRANT, NULL },
                { "approve", UNKNOWN_REQUEST, NULL }, { "deny", UNKNOWN_REQUEST, NULL },
                { "revoke", UNKNOWN_GRANT, NULL },   { "expire", UNKNOWN_GRANT, NULL },
                { "resend", UNKNOWN_REQUEST, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                _cleanup_free_ char *message = NULL;
                Run run = JITCTL(j, commands[i][0], commands[i][1]);

                int failures = test_failures;

                CHECK(asprintf(&message, "jitctl: no such request or grant: %s\n", commands[i][1]) > 0);
                CHECK_ERR(run, EXIT_NOT_FOUND, message);
                CHECK_STR(run.out, "");
                if (test_failures != failures)
                        fprintf(stderr, "  (jitctl %s %s)\n", commands[i][0], commands[i][1]);
                run_done(&run);
        }
}

static void test_plain_user(Jitd *j) {
        char request[JIT_ID_MAX] = "", own[JIT_ID_MAX] = "", grant[JIT_ID_MAX] = "";
        struct json_object *o;
        Run run;

        CHECK_INT(create_request(j, "nobody", "login", request, sizeof(request)), 0);
        run = JITCTL(j, "grant", "--json", "--user", "root", "--action", "sudo", "--duration", "10m", "--reason",
                     "for the revoke");
        o = parse_json(&run);
        copy_id(grant, json_str(o, "grant_id"));
        json_object_put(o);
        run_done(&run);

        /* Every admin command, as daemon: 4, and a sentence naming what is missing. */
        {
                static const struct {
                        const char *args[10];
                        const char *message;
                } cases[] = {
                        { { "list", NULL }, "permission denied: listing requests and grants needs membership in the admin group" },
                        { { "list", "--all", "--json", NULL }, "permission denied: listing" },
                        { { "approve", "REQUEST", NULL }, "permission denied: approving needs membership in the admin group" },
                        { { "deny", "REQUEST", "--reason", "mine now", NULL }, "permission denied: denying needs" },
                        { { "cancel", "REQUEST", NULL }, "permission denied: cancelling needs the request to be yours" },
                        { { "revoke", "GRANT", NULL }, "permission denied: revoking needs" },
                        { { "revoke", "--user", "nobody", NULL }, "permission denied: revoking needs" },
                        { { "grant", "--user", "daemon", "--action", "sudo", "--duration", "1h", "--reason", "me", NULL },
                          "permission denied: granting break-glass access needs membership in the admin group" },
                        { { "expire", "GRANT", NULL }, "permission denied: expiring grants needs" },
                        { { "resend", "REQUEST", NULL }, "permission denied: resending notifications needs" },
                        { { "status", "--user", "nobody", NULL }, "permission denied: showing another user's status" },
                        { { "show", "REQUEST", NULL }, "permission denied: showing it needs owning it" },
                        { { "show", "GRANT", NULL }, "permission denied: showing it needs owning it" },
                };

                for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                        const char *a[10] = {};
                        int failures = test_failures;

                        for (size_t k = 0; k < ELEMENTSOF(a) && cases[i].args[k]; k++)
                                a[k] = strcmp(cases[i].args[k], "REQUEST") == 0 ? request
                                       : strcmp(cases[i].args[k], "GRANT") == 0 ? grant
                                                                                : cases[i].args[k];
                        run = JITCTL_AS_DAEMON(j, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
                        CHECK_ERR(run, EXIT_DENIED, cases[i].message);
                        CHECK(strncmp(run.err, "jitctl: permission denied", 25) == 0);
                        CHECK_STR(run.out, "");
                        if (test_failures != failures)
                                fprintf(stderr, "  (as daemon: jitctl %s %s)\n", a[0], a[1] ? a[1] : "");
                        run_done(&run);
                }
        }

        /* None of that changed anything. */
        run = JITCTL(j, "list", "--json");
        o = parse_json(&run);
        CHECK_STR(json_str(find_by_id(o, "requests", request), "state"), "pending");
        CHECK_STR(json_str(find_by_id(o, "grants", grant), "state"), "active");
        json_object_put(o);
        run_done(&run);

        /* What a plain user may do: their own status. */
        run = JITCTL_AS_DAEMON(j, "status");
        CHECK_OUT(run, EXIT_OK, "daemon");
        run_done(&run);

        /* An admin (nobody, by group) may list, but not decide their own request. */
        run = JITCTL_AS_NOBODY(j, "list", "--json");
        CHECK_OUT(run, EXIT_OK, NULL);
        o = parse_json(&run);
        CHECK(find_by_id(o, "requests", request) != NULL);
        json_object_put(o);
        run_done(&run);
        CHECK_INT(create_request(j, "nobody", "sudo", own, sizeof(own)), 0);
        run = JITCTL_AS_NOBODY(j, "approve", own);
        CHECK_ERR(run, EXIT_DENIED, "jitctl: permission denied: nobody may decide their own request");
        run_done(&run);
        run = JITCTL(j, "show", "--json", own);
        o = parse_json(&run);
        {
                struct json_object *r = NULL;

                CHECK(json_object_object_get_ex(o, "request", &r));
                CHECK_STR(json_str(r, "state"), "pending");
        }
        json_object_put(o);
        run_done(&run);
}

/* jitctl cancel: a plain user withdraws their own pending request; list
 * and show call it cancelled, and it cannot be cancelled twice. */
static void test_cancel_own_request(Jitd *j) {
        char mine[JIT_ID_MAX] = "";
        struct json_object *o;
        Run run;

        /* daemon may hold a grant from earlier tests: Request would say
         * "approved" and file nothing. */
        run = JITCTL(j, "revoke", "--user", "daemon");
        run_done(&run);
        run = JITCTL_AS_DAEMON(j, "request", "--json", "--action", "sudo", "--reason", "to be withdrawn");
        o = parse_json(&run);
        copy_id(mine, json_str(o, "request_id"));
        json_object_put(o);
        run_done(&run);
        CHECK(mine[0] == 'r');

        run = JITCTL_AS_DAEMON(j, "cancel", mine, "--reason", "not needed any more");
        CHECK_OUT(run, EXIT_OK, "Cancelled");
        CHECK(strstr(run.out, mine) != NULL);
        run_done(&run);

        run = JITCTL_AS_DAEMON(j, "show", mine);
        CHECK_OUT(run, EXIT_OK, "cancelled");
        CHECK(strstr(run.out, "not needed any more") != NULL);
        run_done(&run);
        run = JITCTL(j, "list", "--all");
        CHECK_OUT(run, EXIT_OK, mine);
        {
                const char *line = strstr(run.out, mine), *end = line ? strchr(line, '\n') : NULL;

                CHECK(line && end && memmem(line, (size_t) (end - line), "cancelled", 9) != NULL);
        }
        run_done(&run);

        /* Closed is closed: a second cancel is a conflict (6). */
        run = JITCTL_AS_DAEMON(j, "cancel", mine);
        CHECK_ERR(run, EXIT_CONFLICT, "is no longer pending (cancelled by daemon)");
        run_done(&run);
}

/* A user who files and withdraws requests in a loop is stopped at
 * request_limit (20 in 10 minutes by default, counting this test's
 * earlier requests of daemon): 1, with when to try again, and nothing
 * filed. */
static void test_too_many_requests(Jitd *j) {
        int created = 0, refused = 0;
        Run run;

        for (int i = 0; i < 25 && refused == 0; i++) {
                char mine[JIT_ID_MAX] = "";
                struct json_object *o;

                run = JITCTL_AS_DAEMON(j, "request", "--json", "--action", "sudo", "--reason", "again");
                if (run.status == EXIT_FAIL) {
                        CHECK_ERR(run, EXIT_FAIL,
                                  "jitctl: too many requests: you filed 20 new requests within 10m, the most allowed; "
                                  "no request was sent. Try again after ");
                        CHECK_STR(run.out, "");
                        refused++;
                        run_done(&run);
                        break;
                }
                CHECK_INT(run.status, EXIT_OK);
                o = parse_json(&run);
                copy_id(mine, json_str(o, "request_id"));
                json_object_put(o);
                run_done(&run);
                created++;
                run = JITCTL_AS_DAEMON(j, "cancel", mine);
                CHECK_INT(run.status, EXIT_OK);
                run_done(&run);
        }
        CHECK_INT(refused, 1);
        CHECK(created >= 1 && created < 20);
        /* Still refused, and audited. */
        run = JITCTL_AS_DAEMON(j, "request", "--action", "sudo");
        CHECK_ERR(run, EXIT_FAIL, "too many requests");
        run_done(&run);
        CHECK(audit_has(j, "request-refused", "JIT_USER", "daemon"));
}

/* sudo jitctl: root, in a login of someone's. The requester's own approval
 * is refused; another person's is shown as "root (bin)" wherever jitctl
 * names who decided; root outside any login is told why it may not. */
static void test_through_sudo(Jitd *j) {
        char req[JIT_ID_MAX] = "", grant[JIT_ID_MAX] = "";
        struct json_object *o;
        Run run;

        run = JITCTL(j, "revoke", "--user", "daemon");
        run_done(&run);
        run = JITCTL_AS_DAEMON(j, "request", "--json", "--action", "sudo", "--reason", "through sudo");
        o = parse_json(&run);
        copy_id(req, json_str(o, "request_id"));
        json_object_put(o);
        run_done(&run);
        CHECK(req[0] == 'r');

        run = JITCTL_SUDO_BY(j, UID_DAEMON, "approve", req);
        CHECK_ERR(run, EXIT_DENIED, "nobody may decide their own request, under their own account or another");
        run_done(&run);
        run = JITCTL_SUDO_BY(j, TEST_LOGINUID_UNSET, "approve", req);
        CHECK_ERR(run, EXIT_DENIED, "root outside any login is nobody in particular");
        run_done(&run);

        run = JITCTL_SUDO_BY(j, UID_BIN, "approve", "--json", req);
        CHECK_INT(run.status, EXIT_OK);
        o = parse_json(&run);
        CHECK_STR(json_str(o, "approver"), "root");
        CHECK_STR(json_str(o, "approver_person"), "bin");
        copy_id(grant, json_str(o, "grant_id"));
        json_object_put(o);
        run_done(&run);
        CHECK(grant[0] == 'g');

        run = JITCTL(j, "show", req);
        CHECK_OUT(run, EXIT_OK, "root (bin)");
        {
                const char *line = strstr(run.out, "Decided by:"), *end = line ? strchr(line, '\n') : NULL;

                CHECK(line && end && memmem(line, (size_t) (end - line), "root (bin)", 10) != NULL);
        }
        run_done(&run);
        run = JITCTL(j, "show", grant);
        CHECK_OUT(run, EXIT_OK, "root (bin)");
        run_done(&run);
        run = JITCTL(j, "list", "--active");
        CHECK_OUT(run, EXIT_OK, grant);
        {
                const char *line = strstr(run.out, grant), *end = line ? strchr(line, '\n') : NULL;

                CHECK(line && end && memmem(line, (size_t) (end - line), "root (bin)", 10) != NULL);
        }
        run_done(&run);
        run = JITCTL(j, "revoke", "--user", "daemon");
        run_done(&run);
}

/* Mistakes jitctl catches itself: 2, before anything reaches jitd. */
static void test_usage(Jitd *j) {
        Run run;

        run = JITCTL(j, "approve", "not-an-id");
        CHECK_ERR(run, EXIT_USAGE, "'not-an-id' is not a request id");
        run_done(&run);
        run = JITCTL(j, "approve", UNKNOWN_GRANT); /* a grant id where a request id belongs */
        CHECK_ERR(run, EXIT_USAGE, "is not a request id");
        run_done(&run);
        run = JITCTL(j, "grant", "--user", "nobody", "--action", "sudo", "--duration", "1h");
        CHECK_ERR(run, EXIT_USAGE, "grant needs --user, --action, --duration and a non-empty --reason");
        run_done(&run);
        run = JITCTL(j, "frobnicate");
        CHECK_ERR(run, EXIT_USAGE, "unknown command 'frobnicate'");
        run_done(&run);
        run = JITCTL(j, "list", "--all", "--pending");
        CHECK_ERR(run, EXIT_USAGE, "exclude each other");
        run_done(&run);
}

/* No jitd: 3, and the message says where it looked. */
static void test_unreachable(Jitd *j) {
        char missing[256];
        Run run;

        snprintf(missing, sizeof(missing), "%s/no-such-dir/io.jit", j->dir);
        run = jitctl_as(0, 0, 0, missing, "list", (const char *) NULL);
        CHECK_ERR(run, EXIT_UNREACHABLE, "jitctl: cannot reach jitd at ");
        CHECK(strstr(run.err, missing) && strstr(run.err, "(is jitd running?)"));
        CHECK_STR(run.out, "");
        run_done(&run);

        /* The same for a plain user, and for a command that is not admin-only. */
        run = jitctl_as(UID_DAEMON, GID_DAEMON, UID_DAEMON, missing, "status", (const char *) NULL);
        CHECK_ERR(run, EXIT_UNREACHABLE, "(is jitd running?)");
        run_done(&run);

        /* The real socket path once jitd has stopped. */
        CHECK_INT(jitd_stop(j), 0);
        run = JITCTL(j, "approve", UNKNOWN_REQUEST);
        CHECK_ERR(run, EXIT_UNREACHABLE, "jitctl: cannot reach jitd at ");
        CHECK(strstr(run.err, j->socket) != NULL);
        run_done(&run);
}

int main(void) {
        Jitd j;
        int status = 0;

        harness_require_root("integration-jitctl");
        if (access(JITCTL_PATH, X_OK) < 0) {
                fprintf(stderr, "integration-jitctl: %s: %m\n", JITCTL_PATH);
                return EXIT_FAILURE;
        }
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY DEAD_WEBHOOK), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-jitctl");
        }

        test_as_root(&j);
        test_unknown_ids(&j);
        test_plain_user(&j);
        test_cancel_own_request(&j);
        test_through_sudo(&j);
        /* Last of daemon's requests: it uses up their request_limit. */
        test_too_many_requests(&j);
        test_usage(&j);
        test_unreachable(&j);

        jitd_cleanup(&j);
        return test_result("integration-jitctl");
}
