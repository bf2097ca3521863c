/* Talking to jitd: one connection per call, bounded by --timeout, and the
 * translation of every way a call can fail into one line on stderr and the
 * exit code jitctl(8) promises. Everything jitd sends back may carry a
 * user's text (names, reasons), so it is read through the field_*()
 * getters, which sanitise. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "jitctl.h"
#include "text.h"

static void client_closep(JitClient *c) {
        jit_client_close(c);
}

int jitctl_report_client_error(const JitctlArgs *args, int r) {
        char path[128];

        jit_sanitize(args->socket_path, path, sizeof(path));

        switch (r) {
        case -ENOENT:
        case -ECONNREFUSED:
                fprintf(stderr, "jitctl: cannot reach jitd at %s: %s (is jitd running?)\n", path,
                        strerror(-r));
                return JITCTL_EXIT_UNREACHABLE;
        case -EACCES:
                fprintf(stderr, "jitctl: cannot reach jitd at %s: %s\n", path, strerror(-r));
                return JITCTL_EXIT_UNREACHABLE;
        case -EPERM:
                fprintf(stderr,
                        "jitctl: refusing to talk to %s: it is not a socket owned by root and served "
                        "by a root process\n",
                        path);
                return JITCTL_EXIT_UNREACHABLE;
        case -ETIMEDOUT:
                fprintf(stderr, "jitctl: jitd at %s did not answer within %" PRIu64 " ms\n", path,
                        args->timeout_msec);
                return JITCTL_EXIT_UNREACHABLE;
        case -EPROTO:
                fprintf(stderr,
                        "jitctl: jitd at %s speaks another protocol version than jitctl (%d); "
                        "jitctl and jitd must be upgraded together\n",
                        path, JIT_PROTOCOL_VERSION);
                return JITCTL_EXIT_UNREACHABLE;
        case -EBADMSG:
                fprintf(stderr, "jitctl: jitd at %s sent a malformed reply\n", path);
                return JITCTL_EXIT_UNREACHABLE;
        case -ECONNRESET:
        case -EPIPE:
                fprintf(stderr, "jitctl: jitd at %s closed the connection before answering\n", path);
                return JITCTL_EXIT_UNREACHABLE;
        case -ENOMEM:
                fprintf(stderr, "jitctl: out of memory\n");
                return JITCTL_EXIT_FAILURE;
        default:
                fprintf(stderr, "jitctl: talking to jitd at %s failed: %s\n", path, strerror(-r));
                return JITCTL_EXIT_UNREACHABLE;
        }
}

/* PermissionDenied: jitd names the rule that refused us; say it in words. */
static int report_permission_denied(struct json_object *params, const CallContext *what) {
        char reason[128];
        const char *r = field_str(params, "reason", NULL, reason, sizeof(reason));

        if (r && strcmp(r, "own-request") == 0)
                fprintf(stderr, "jitctl: permission denied: nobody may decide their own request, "
                                "under their own account or another (sudo included)\n");
        else if (r && strcmp(r, "no-person") == 0)
                fprintf(stderr, "jitctl: permission denied: root outside any login is nobody in "
                                "particular; approve from your own login (e.g. with sudo)\n");
        else if (r && strcmp(r, "unknown-person") == 0)
                fprintf(stderr, "jitctl: permission denied: jitd cannot tell whose login this call "
                                "comes from\n");
        else if (r && strcmp(r, "unknown-user") == 0)
                fprintf(stderr,
                        "jitctl: permission denied: jitd cannot resolve your uid to a user name\n");
        else if (what && what->doing && what->needs)
                fprintf(stderr, "jitctl: permission denied: %s needs %s\n", what->doing,
                        what->needs);
        else
                fprintf(stderr, "jitctl: permission denied%s%s\n", r ? ": " : "", r ? r : "");
        return JITCTL_EXIT_DENIED;
}

/* Conflict: the request or grant is no longer in the state the call needs. */
static int report_conflict(struct json_object *params, const char *the_id) {
        char reason[128], state[32], by[JIT_USER_MAX + 1];
        const char *s = field_str(params, "state", "changed", state, sizeof(state));
        const char *who = field_str(params, "decided_by", NULL, by, sizeof(by));

        if (!who)
                who = field_str(params, "ended_by", NULL, by, sizeof(by));

        /* A quorum: this approver's vote is counted already. */
        if (the_id[0] == 'r' && field_str(params, "reason", NULL, reason, sizeof(reason)) &&
            strcmp(reason, "already-approved-by-you") == 0) {
                int64_t have = 0, needed = 0;

                (void) field_int(params, "approvals", &have);
                (void) field_int(params, "approvals_needed", &needed);
                fprintf(stderr,
                        "jitctl: you have already approved request %s (%lld of %lld approvals); "
                        "another approver has to\n",
                        the_id, (long long) have, (long long) needed);
        } else if (the_id[0] == 'r')
                fprintf(stderr, "jitctl: request %s is no longer pending (%s%s%s)\n", the_id, s,
                        who ? " by " : "", who ? who : "");
        else if (the_id[0] == 'g' && strcmp(s, "active") == 0) {
                char when[64];
                int64_t t = 0;
                bool known = field_int(params, "expires_at", &t) && t > 0;

                if (known)
                        fprintf(stderr,
                                "jitctl: grant %s runs until %s; use 'jitctl revoke %s' to end it now\n",
                                the_id, format_when(t, when, sizeof(when)), the_id);
                else
                        fprintf(stderr,
                                "jitctl: grant %s has not reached its deadline yet; use 'jitctl revoke "
                                "%s' to end it now\n",
                                the_id, the_id);
        } else if (the_id[0] == 'g')
                fprintf(stderr, "jitctl: grant %s is no longer active (%s%s%s)\n", the_id, s,
                        who ? " by " : "", who ? who : "");
        else
                fprintf(stderr, "jitctl: conflict: the state is now %s\n", s);
        return JITCTL_EXIT_CONFLICT;
}

static int report_invalid_parameter(struct json_object *params) {
        char reason[128], param[64];
        const char *p = field_str(params, "parameter", NULL, param, sizeof(param));
        const char *r = field_str(params, "reason", NULL, reason, sizeof(reason));

        if (r && strcmp(r, "not-covered") == 0)
                fprintf(stderr,
                        "jitctl: the policy does not require approval for this user and action; "
                        "there is nothing to request\n");
        else if (r && strcmp(r, "breakglass") == 0)
                fprintf(stderr,
                        "jitctl: this is a break-glass account; its access needs no approval\n");
        else if (r && strcmp(r, "above-maximum") == 0)
                fprintf(stderr, "jitctl: the %s is above what the policy allows\n", p ? p : "value");
        else
                fprintf(stderr, "jitctl: jitd refused the %s%s%s%s%s\n", p ? "value of '" : "call",
                        p ? p : "", p ? "'" : "", r ? ": " : "", r ? r : "");
        return JITCTL_EXIT_FAILURE;
}

static int report_rate_limited(struct json_object *params) {
        char when[64], interval[32];
        int64_t limit = 0, seconds = 0, retry = 0;

        (void) field_int(params, "limit", &limit);
        (void) field_int(params, "interval", &seconds);
        if (limit > 0 && seconds > 0)
                fprintf(stderr,
                        "jitctl: too many requests: you filed %lld new requests within %s, the most "
                        "allowed; ",
                        (long long) limit, jit_format_duration((uint64_t) seconds, interval, sizeof(interval)));
        else
                fprintf(stderr, "jitctl: too many requests; ");
        if (field_int(params, "retry_after", &retry) && retry > 0)
                fprintf(stderr, "no request was sent. Try again after %s\n",
                        format_when(retry, when, sizeof(when)));
        else
                fprintf(stderr, "no request was sent. Try again later\n");
        return JITCTL_EXIT_FAILURE;
}

/* The errors that are said the same way whatever the call. */
static const struct {
        const char *error;
        const char *text;
        int exit_code;
} fixed_errors[] = {
        { JIT_ERROR_METHOD_NOT_FOUND, "this jitd does not know that command (is it older than jitctl?)",
          JITCTL_EXIT_UNREACHABLE },
        { JIT_ERROR_STORE_UNAVAILABLE, "jitd cannot use its state store right now; nothing was changed",
          JITCTL_EXIT_FAILURE },
        { JIT_ERROR_CONFIG_UNAVAILABLE,
          "jitd runs without a usable configuration (see 'systemctl status jitd'); nothing was changed",
          JITCTL_EXIT_FAILURE },
        { JIT_ERROR_INVALID_MESSAGE, "jitd could not understand the call (is jitd older than jitctl?)",
          JITCTL_EXIT_FAILURE },
        { JIT_ERROR_NO_GRANT, "no live grant", JITCTL_EXIT_FAILURE },
};

int jitctl_report_error(const char *error, struct json_object *params, const CallContext *what) {
        char reason[128], id[JIT_ID_MAX], err[128];
        const char *the_id;

        the_id = what && what->id ? jit_sanitize(what->id, id, sizeof(id))
                                  : field_str(params, "id", "?", id, sizeof(id));

        if (strcmp(error, JIT_ERROR_PERMISSION_DENIED) == 0)
                return report_permission_denied(params, what);
        if (strcmp(error, JIT_ERROR_NOT_FOUND) == 0) {
                fprintf(stderr, "jitctl: no such request or grant: %s\n", the_id);
                return JITCTL_EXIT_NOT_FOUND;
        }
        if (strcmp(error, JIT_ERROR_CONFLICT) == 0)
                return report_conflict(params, the_id);
        if (strcmp(error, JIT_ERROR_INVALID_PARAMETER) == 0)
                return report_invalid_parameter(params);
        if (strcmp(error, JIT_ERROR_PROTOCOL_MISMATCH) == 0) {
                fprintf(stderr, "jitctl: jitd speaks another protocol version than jitctl (%d)\n",
                        JIT_PROTOCOL_VERSION);
                return JITCTL_EXIT_UNREACHABLE;
        }
        if (strcmp(error, JIT_ERROR_LIMIT) == 0) {
                const char *r = field_str(params, "reason", NULL, reason, sizeof(reason));

                fprintf(stderr, "jitctl: jitd refused: limit exceeded%s%s%s\n", r ? " (" : "", r ? r : "",
                        r ? ")" : "");
                return JITCTL_EXIT_FAILURE;
        }
        if (strcmp(error, JIT_ERROR_RATE_LIMITED) == 0)
                return report_rate_limited(params);
        for (size_t i = 0; i < ELEMENTSOF(fixed_errors); i++)
                if (strcmp(error, fixed_errors[i].error) == 0) {
                        fprintf(stderr, "jitctl: %s\n", fixed_errors[i].text);
                        return fixed_errors[i].exit_code;
                }

        fprintf(stderr, "jitctl: jitd answered with error %s\n", jit_sanitize(error, err, sizeof(err)));
        return JITCTL_EXIT_FAILURE;
}

int jitctl_call(const JitctlArgs *args, const char *method, struct json_object *parameters,
                const CallContext *what, struct json_object **ret_message) {
        _cleanup_(client_closep) JitClient c = { .fd = -1 };
        _cleanup_json_ struct json_object *m = NULL;
        struct json_object *params = NULL;
        const char *error = NULL;
        uint64_t deadline;
        int r;

        /* One deadline for connect, send and receive, as in pam_jit.so. */
        deadline = now_monotonic_usec() + args->timeout_msec * USEC_PER_MSEC;

        r = jit_client_connect(&c, args->socket_path, true, deadline);
        if (r < 0) {
                json_object_put(parameters);
                return jitctl_report_client_error(args, r);
        }

        r = jit_client_call(&c, method, parameters, deadline, &m);
        if (r < 0)
                return jitctl_report_client_error(args, r);

        r = varlink_reply_parse(m, &error, &params, NULL);
        if (r < 0)
                return jitctl_report_client_error(args, -EBADMSG);
        if (error && what && what->ret_conflict && strcmp(error, JIT_ERROR_CONFLICT) == 0) {
                *what->ret_conflict = params ? json_object_get(params) : json_object_new_object();
                return JITCTL_EXIT_CONFLICT;
        }
        if (error)
                return jitctl_report_error(error, params, what);

        *ret_message = TAKE_PTR(m);
        return JITCTL_EXIT_OK;
}

void jitctl_print_json(struct json_object *params) {
        const char *s;

        if (!params) {
                puts("{}");
                return;
        }
        /* json-c escapes control characters in strings, so this is safe to
         * print even though the strings came from users. */
        s = json_object_to_json_string_ext(params, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        puts(s ? s : "{}");
}

const char *field_str(struct json_object *o, const char *key, const char *fallback, char *buf, size_t size) {
        struct json_object *v = json_member_of_type(o, key, json_type_string);

        return v ? jit_sanitize(json_object_get_string(v), buf, size) : fallback;
}

const char *field_who(struct json_object *o, const char *account_key, const char *person_key, const char *fallback,
                      char *buf, size_t size) {
        char account[JIT_USER_MAX + 1], person[JIT_USER_MAX + 1];

        if (!field_str(o, account_key, NULL, account, sizeof(account)))
                return fallback;
        if (field_str(o, person_key, NULL, person, sizeof(person)) && strcmp(person, account) != 0)
                snprintf(buf, size, "%s (%s)", account, person);
        else
                snprintf(buf, size, "%s", account);
        return buf;
}

bool field_int(struct json_object *o, const char *key, int64_t *ret) {
        struct json_object *v = json_member_of_type(o, key, json_type_int);

        if (!v)
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

bool field_bool(struct json_object *o, const char *key) {
        struct json_object *v = json_member_of_type(o, key, json_type_boolean);

        return v && json_object_get_boolean(v);
}

struct json_object *field_array(struct json_object *o, const char *key) {
        return json_member_of_type(o, key, json_type_array);
}

struct json_object *field_object(struct json_object *o, const char *key) {
        return json_member_of_type(o, key, json_type_object);
}
