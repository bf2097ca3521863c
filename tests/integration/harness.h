/* The integration harness: a real jitd on a temporary socket, database and
 * configuration, and clients that talk to it as root or, from a forked child
 * that dropped its privileges with setresuid(), as an unprivileged user.
 * Needs root (for the uid switch); tests exit 77 (skipped) otherwise. The
 * test process itself is root logged in (audit loginuid 0): jitd refuses
 * approvals from root outside any login (tests/loginuid.h). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"
#include "jit-protocol.h"

/* Unprivileged peers. On Debian, nobody's primary group is nogroup (65534);
 * the configs below make nogroup the admin group, so nobody is an admin and
 * daemon (uid 1) is a plain user. */
#define UID_NOBODY 65534
#define GID_NOBODY 65534
#define UID_DAEMON 1
#define GID_DAEMON 1

#define CALL_TIMEOUT_USEC (5ULL * 1000000ULL)

typedef struct Jitd {
        char dir[128];
        char socket[192];
        char config[192];
        char audit[192];
        char db[192];
        char log[192]; /* jitd's stderr, when capture_log is set */
        pid_t pid;
        /* Set after jitd_setup(), before jitd_start(); they apply to every
         * start until changed. */
        bool capture_log;     /* append jitd's stderr to `log` instead of the test's */
        const char *crash_at; /* run the test build of jitd (crash-hook.c), killed with SIGKILL at this
                               * point (test-hooks.h: "teardown", "expiry-committed", "webhook-answered");
                               * NULL: the real jitd */
} Jitd;

/* Exit 77 unless root; call first. */
void harness_require_root(const char *test_name);

/* Temporary directory and config. `jitd_keys` are extra lines for the
 * [jitd] section (socket and state_directory are set already), `rest` the
 * other sections, both may be NULL. */
int jitd_setup(Jitd *j, const char *jitd_keys, const char *rest);
/* Start jitd and wait until it answers on its socket. -ECHILD if it exited
 * first (its exit status in *ret_status, if not NULL). */
int jitd_start(Jitd *j, int *ret_status);
/* SIGTERM and reap; returns the exit status or -errno. */
int jitd_stop(Jitd *j);
/* SIGKILL and reap: a crash, nothing flushed by jitd itself. */
void jitd_crash(Jitd *j);
/* Wait up to timeout_usec for jitd to die on its own (a crash_at point);
 * true if it died of SIGKILL. */
bool jitd_wait_crashed(Jitd *j, uint64_t timeout_usec);
/* Does jitd's captured log (capture_log) have a line containing `text`,
 * within 5 s? (Start-up lines may come after the socket answers.) */
bool log_has(Jitd *j, const char *text);
/* Stop and remove the temporary directory; exits the test with a failure
 * if jitd did not exit 0 (a sanitizer report at exit, in the ASan build). */
void jitd_cleanup(Jitd *j);

/* Parameters from string pairs: params("user", "nobody", "action", "sudo", NULL). */
struct json_object *params(const char *key, ...);
struct json_object *params_add_int(struct json_object *p, const char *key, int64_t v);
struct json_object *params_add_bool(struct json_object *p, const char *key, bool v);

/* One call on a fresh connection, as root. Returns what jit_client_call
 * returned; *ret_reply is the whole reply message. */
int call(Jitd *j, const char *method, struct json_object *parameters, struct json_object **ret_reply);
/* The same as another user, from a forked child with uid/gid switched,
 * logged in as itself (its audit loginuid is its uid). */
int call_as(Jitd *j, uid_t uid, gid_t gid, const char *method, struct json_object *parameters,
            struct json_object **ret_reply);
/* The same with the child's audit loginuid set to `loginuid` first: the
 * person behind the call (jitd/person.h). uid 0 with loginuid 1 is what
 * "sudo jitctl" run by daemon looks like to jitd; TEST_LOGINUID_UNSET
 * (tests/loginuid.h) is a process outside any login, a system service. */
int call_as_login(Jitd *j, uid_t uid, gid_t gid, uid_t loginuid, const char *method, struct json_object *parameters,
                  struct json_object **ret_reply);

/* Reply accessors; NULL/0/false when absent. reply_error() is NULL for success. */
const char *reply_error(struct json_object *reply);
const char *reply_string(struct json_object *reply, const char *key);
int64_t reply_int(struct json_object *reply, const char *key);
bool reply_bool(struct json_object *reply, const char *key);
struct json_object *reply_member(struct json_object *reply, const char *key);

/* Raw sockets, for what a well-behaved client would never send. */
int raw_connect(Jitd *j);
int raw_send(int fd, const void *data, size_t size);
/* Read one NUL-terminated message within timeout_usec: 1 and *ret set, 0 on
 * EOF before any byte, -ETIMEDOUT. */
int raw_receive(int fd, uint64_t timeout_usec, struct json_object **ret);
/* True if the peer closes the connection within timeout_usec (anything it
 * sends before is discarded). */
bool raw_wait_closed(int fd, uint64_t timeout_usec);

/* Does the --audit-log file have an event `event` whose `key` is `value`
 * (key NULL: any)? */
bool audit_has(Jitd *j, const char *event, const char *key, const char *value);

/* A pending request for `user`, filed by root with io.jit.Request; its id. */
int create_request(Jitd *j, const char *user, const char *action, char *ret_id, size_t size);

void sleep_usec(uint64_t usec);

/* For the test programs (after tests/test.h): a successful reply, or one
 * with this error; the failure message shows what came instead. */
#define CHECK_OK(reply) CHECK_STR(reply_error(reply) ? reply_error(reply) : "(success)", "(success)")
#define CHECK_ERROR(reply, error) CHECK_STR(reply_error(reply) ? reply_error(reply) : "(success)", error)

/* The configuration most tests share: nobody and daemon need approval for
 * sudo, nobody for login; bin is a break-glass account; nogroup (nobody's
 * group) is the admin group. */
#define TEST_JITD_KEYS \
        "admin_group = nogroup\n" \
        "request_ttl = 60\n"
#define TEST_POLICY \
        "[sudo]\n" \
        "users = nobody daemon root\n" \
        "default_duration = 600\n" \
        "max_duration = 3600\n" \
        "[login]\n" \
        "users = nobody\n" \
        "[breakglass]\n" \
        "users = bin\n"
