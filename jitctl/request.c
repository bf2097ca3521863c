/* The engineer's side of waiting for access: "jitctl request" asks jitd for
 * a grant on the caller's own behalf and, with --wait, follows the decision
 * over io.jit.WaitDecision, a streaming call that answers "pending" at once
 * and once more when an approver decides. Interrupting the wait leaves the
 * request pending; running the same command again picks it up. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "jitctl.h"
#include "text.h"

/* The terminal we run on, as pam_jit.so would report PAM_TTY, so the
 * approver sees where the request came from. */
static const char *own_tty(char *buf, size_t size) {
        const char *t;

        if (!isatty(STDIN_FILENO))
                return NULL;
        t = ttyname(STDIN_FILENO);
        if (!t)
                return NULL;
        if (strncmp(t, "/dev/", 5) == 0)
                t += 5;
        if (!jit_text_is_clean(t, JIT_TTY_MAX) || strlen(t) >= size)
                return NULL;
        memcpy(buf, t, strlen(t) + 1);
        return buf;
}

static void progress(bool tty, const char *id, const char *code, uint64_t started_usec, bool done) {
        uint64_t s;

        if (!tty)
                return;
        s = (now_monotonic_usec() - started_usec) / USEC_PER_SEC;
        /* \r and erase-line keep one status line on the terminal. */
        fprintf(stderr, "\r\033[KWaiting for a decision on %s (match code %s)... %" PRIu64 ":%02" PRIu64, id,
                code, s / 60, s % 60);
        if (done)
                fputc('\n', stderr);
        fflush(stderr);
}

/* A final WaitDecision reply: print it, return the exit code. */
static int report_decision(const JitctlArgs *args, struct json_object *params, const char *id) {
        char state[32], who[WHO_MAX], grant[JIT_ID_MAX], reason[JIT_REASON_MAX + 1], when[128];
        const char *s = field_str(params, "state", "?", state, sizeof(state));
        int64_t expires;

        if (args->json)
                jitctl_print_json(params);

        if (strcmp(s, "approved") == 0) {
                if (!args->json)
                        printf("Approved by %s: grant %s, expires %s.\n",
                               field_who(params, "approver", "approver_person", "?", who, sizeof(who)),
                               field_str(params, "grant_id", "?", grant, sizeof(grant)),
                               field_int(params, "expires_at", &expires)
                                       ? format_when_full(expires, when, sizeof(when))
                                       : "-");
                return JITCTL_EXIT_OK;
        }
        if (strcmp(s, "denied") == 0) {
                const char *r = field_str(params, "reason", NULL, reason, sizeof(reason));

                fprintf(stderr, "jitctl: request %s was denied by %s%s%s\n", id,
                        field_who(params, "approver", "approver_person", "?", who, sizeof(who)), r && r[0] ? ": " : "",
                        r ? r : "");
                return JITCTL_EXIT_FAILURE;
        }
        if (strcmp(s, "expired") == 0) {
                fprintf(stderr, "jitctl: request %s expired without a decision\n", id);
                return JITCTL_EXIT_FAILURE;
        }
        if (strcmp(s, "cancelled") == 0) {
                fprintf(stderr, "jitctl: request %s was cancelled\n", id);
                return JITCTL_EXIT_FAILURE;
        }
        fprintf(stderr, "jitctl: jitd ended the wait on %s without a decision (state %s)\n", id, s);
        return JITCTL_EXIT_FAILURE;
}

static void client_closep(JitClient *c) {
        jit_client_close(c);
}

/* io.jit.WaitDecision with "more": replies until one does not continue. We
 * wake up once a second only to update the progress line. */
static int wait_decision(JitctlArgs *args, const char *id, const char *code, uint64_t wait_usec) {
        _cleanup_(client_closep) JitClient c = { .fd = -1 };
        static const CallContext what = { .doing = "waiting on this request",
                                          .needs = "being its requester" };
        bool tty = isatty(STDERR_FILENO);
        uint64_t started = now_monotonic_usec(), deadline, end;
        struct json_object *p;
        int r;

        deadline = started + args->timeout_msec * USEC_PER_MSEC;
        end = started + wait_usec;

        r = jit_client_connect(&c, args->socket_path, true, deadline);
        if (r < 0)
                return jitctl_report_client_error(args, r);
        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "request_id", id) < 0) {
                json_object_put(p);
                return oom();
        }
        r = jit_client_send(&c, JIT_METHOD_WAIT_DECISION, p, true, deadline);
        if (r < 0)
                return jitctl_report_client_error(args, r);

        if (!tty && !args->json)
                fprintf(stderr, "Waiting for a decision on %s (match code %s)...\n", id, code);

        for (;;) {
                _cleanup_json_ struct json_object *m = NULL;
                struct json_object *params = NULL;
                const char *error = NULL;
                bool continues = false;
                uint64_t now = now_monotonic_usec(), tick;

                if (now >= end) {
                        progress(tty, id, code, started, true);
                        fprintf(stderr,
                                "jitctl: no decision on %s yet; it stays pending. Check with "
                                "'jitctl status' or wait again with 'jitctl request ... --wait'.\n",
                                id);
                        return JITCTL_EXIT_FAILURE;
                }
                progress(tty, id, code, started, false);
                tick = now + USEC_PER_SEC < end ? now + USEC_PER_SEC : end;

                r = jit_client_receive(&c, tick, &m);
                if (r == -ETIMEDOUT)
                        continue;
                if (r < 0) {
                        progress(tty, id, code, started, true);
                        return jitctl_report_client_error(args, r);
                }

                r = varlink_reply_parse(m, &error, &params, &continues);
                if (r < 0) {
                        progress(tty, id, code, started, true);
                        return jitctl_report_client_error(args, -EBADMSG);
                }
                if (error) {
                        progress(tty, id, code, started, true);
                        return jitctl_report_error(error, params, &what);
                }
                if (continues)
                        continue; /* "pending": keep waiting */

                progress(tty, id, code, started, true);
                return report_decision(args, params, id);
        }
}

/* The end of what is said of a pending request: when it expires (read
 * into *ret_expires if jitd said) and the match code reminder. */
static void show_pending_request(struct json_object *params, int64_t *ret_expires) {
        char when[128];

        if (field_int(params, "request_expires_at", ret_expires))
                printf("Approvers have been asked; the request expires %s.\n",
                       format_when_full(*ret_expires, when, sizeof(when)));
        printf("Check the match code with your approver before they approve.\n");
        fflush(stdout);
}

/* --wait: for `wait_sec`, or (0) until the request expires at `expires`
 * (3600 s if unknown), plus a little so jitd's "expired" arrives before we
 * give up. */
static int wait_for_request(JitctlArgs *args, const char *id, const char *code, uint64_t wait_sec, int64_t expires) {
        if (wait_sec == 0) {
                int64_t left = expires > 0 ? expires - jit_now_realtime() + 5 : 3600;

                wait_sec = left > 0 ? (uint64_t) left : 5;
        }
        return wait_decision(args, id, code, wait_sec * USEC_PER_SEC);
}

/* The options of request and extend; --action is required by request. */
static int parse_request_options(JitctlArgs *args, int argc, char **argv, bool action_required, CommandOptions *o) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "action", required_argument, NULL, ARG_ACTION },
                { "reason", required_argument, NULL, ARG_REASON },
                { "duration", required_argument, NULL, ARG_DURATION },
                { "wait", optional_argument, NULL, ARG_WAIT },
                {},
        };
        int r;

        r = parse_command_options(args, argc, argv, options, o);
        if (r)
                return r;
        r = too_many_arguments(argc, argv, 0);
        if (r)
                return r;
        if (action_required && !o->action) {
                usage_error("request needs --action login or --action sudo");
                return JITCTL_EXIT_USAGE;
        }
        return 0;
}

/* What jitd said of the request, for people (and as JSON with --json).
 * 1 if there is a pending request to wait for; *ret_expires is when it
 * expires, as far as it was read (0 if not). */
static int show_request(const JitctlArgs *args, struct json_object *params, const char *action, const char *id,
                        const char *code, int64_t *ret_expires) {
        char state[32], grant[JIT_ID_MAX], when[128];
        int64_t expires = 0;

        field_str(params, "state", "?", state, sizeof(state));

        if (args->json)
                jitctl_print_json(params);

        if (strcmp(state, "approved") == 0) {
                if (!args->json)
                        printf("You already have %s access: grant %s, expires %s.\n"
                               "To ask for more time: jitctl extend --action %s\n",
                               action, field_str(params, "grant_id", "?", grant, sizeof(grant)),
                               field_int(params, "expires_at", &expires)
                                       ? format_when_full(expires, when, sizeof(when))
                                       : "-",
                               action);
                return 0;
        }

        if (!args->json) {
                printf("%s %s for %s access, match code %s.\n",
                       field_bool(params, "created") ? "Created request" : "Your pending request is", id,
                       action, code);
                show_pending_request(params, ret_expires);
        }
        return 1;
}

int verb_request(JitctlArgs *args, int argc, char **argv) {
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        static const CallContext what = { .doing = "requesting access for another user", .needs = "root" };
        CommandOptions o = {};
        const char *user = NULL, *tty;
        char id[JIT_ID_MAX], code[JIT_MATCH_CODE_MAX], tty_buf[JIT_TTY_MAX + 1];
        struct json_object *params;
        int64_t expires = 0;
        int r;

        r = parse_request_options(args, argc, argv, /* action_required= */ true, &o);
        if (r)
                return r;
        r = self_user_name(&user);
        if (r)
                return r;
        tty = own_tty(tty_buf, sizeof(tty_buf));

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "user", user) < 0 || json_add_string_nonnull(p, "action", o.action) < 0 ||
            json_add_string_nonnull(p, "service", "jitctl") < 0 || json_add_string_nonnull(p, "tty", tty) < 0 ||
            json_add_string_nonnull(p, "reason", o.reason) < 0 ||
            (o.duration > 0 && json_add_int(p, "duration", (int64_t) o.duration) < 0))
                return oom();
        r = jitctl_call(args, JIT_METHOD_REQUEST, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        field_str(params, "request_id", "?", id, sizeof(id));
        field_str(params, "match_code", "?", code, sizeof(code));
        if (show_request(args, params, o.action, id, code, &expires) == 0 || !o.wait)
                return JITCTL_EXIT_OK;
        return wait_for_request(args, id, code, o.wait_sec, expires);
}

/* ---- extend ------------------------------------------------------------ */

/* The caller's live grant to extend: the one for `action`, or the only one.
 * Fills grant_id/action_buf/expires; returns 0 or an exit code. */
static int pick_live_grant(JitctlArgs *args, const char *user, const char *action, char *grant_id,
                           size_t grant_id_size, char *action_buf, size_t action_size, int64_t *ret_expires) {
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        static const CallContext what = { .doing = "looking up your grants", .needs = "being yourself" };
        struct json_object *grants;
        size_t n, found = 0;
        int r;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "user", user) < 0)
                return oom();
        r = jitctl_call(args, JIT_METHOD_STATUS, TAKE_PTR(p), &what, &m);
        if (r)
                return r;

        grants = field_array(reply_parameters(m), "grants");
        n = grants ? json_object_array_length(grants) : 0;
        for (size_t i = 0; i < n; i++) {
                struct json_object *g = json_object_array_get_idx(grants, i);
                char a[16], id[JIT_ID_MAX], state[16];
                int64_t expires = 0;

                if (!field_str(g, "id", NULL, id, sizeof(id)) || !field_str(g, "action", NULL, a, sizeof(a)) ||
                    strcmp(field_str(g, "state", "", state, sizeof(state)), "active") != 0)
                        continue;
                if (action && strcmp(a, action) != 0)
                        continue;
                /* Status lists the latest deadline first within an action
                 * only by accident; keep the one that runs longest. */
                (void) field_int(g, "expires_at", &expires);
                if (found > 0 && strcmp(a, action_buf) == 0) {
                        if (expires > *ret_expires) {
                                snprintf(grant_id, grant_id_size, "%s", id);
                                *ret_expires = expires;
                        }
                        continue;
                }
                if (found > 0) {
                        usage_error("you have live login and sudo grants; say which to extend with --action");
                        return JITCTL_EXIT_USAGE;
                }
                snprintf(grant_id, grant_id_size, "%s", id);
                snprintf(action_buf, action_size, "%s", a);
                *ret_expires = expires;
                found++;
        }

        if (found == 0) {
                fprintf(stderr,
                        "jitctl: you have no live %s%sgrant to extend; ask for access with "
                        "'jitctl request --action %s'\n",
                        action ? action : "", action ? " " : "", action ? action : "login|sudo");
                return JITCTL_EXIT_NOT_FOUND;
        }
        return 0;
}

int verb_extend(JitctlArgs *args, int argc, char **argv) {
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        static const CallContext what = { .doing = "extending a grant", .needs = "owning it" };
        CommandOptions o = {};
        const char *user = NULL;
        char id[JIT_ID_MAX], code[JIT_MATCH_CODE_MAX], grant[JIT_ID_MAX], grant_action[16], when[128];
        int64_t grant_expires = 0, expires = 0;
        struct json_object *params;
        int r;

        r = parse_request_options(args, argc, argv, /* action_required= */ false, &o);
        if (r)
                return r;
        r = self_user_name(&user);
        if (r)
                return r;

        r = pick_live_grant(args, user, o.action, grant, sizeof(grant), grant_action, sizeof(grant_action),
                            &grant_expires);
        if (r)
                return r;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "user", user) < 0 ||
            json_add_string_nonnull(p, "action", grant_action) < 0 ||
            json_add_string_nonnull(p, "extends", grant) < 0 ||
            json_add_string_nonnull(p, "reason", o.reason) < 0 ||
            (o.duration > 0 && json_add_int(p, "duration", (int64_t) o.duration) < 0))
                return oom();
        r = jitctl_call(args, JIT_METHOD_REQUEST, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        field_str(params, "request_id", "?", id, sizeof(id));
        field_str(params, "match_code", "?", code, sizeof(code));

        if (args->json)
                jitctl_print_json(params);
        else {
                printf("%s %s to extend your %s grant %s (ends %s), match code %s.\n",
                       field_bool(params, "created") ? "Created request" : "Your pending request is", id,
                       grant_action, grant, format_when(grant_expires, when, sizeof(when)), code);
                show_pending_request(params, &expires);
        }
        if (!o.wait)
                return JITCTL_EXIT_OK;
        return wait_for_request(args, id, code, o.wait_sec, expires);
}
