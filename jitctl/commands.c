/* The jitctl commands but "request" (request.c): each parses its own
 * options (the global ones included), validates what it can locally so a
 * typo is a usage error and not a round trip, makes its call and prints the
 * result for a human or, with --json, jitd's reply parameters as they are.
 * The option helpers here are shared with request.c. */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "jitctl.h"
#include "text.h"

#define REASON_COLUMN_MAX 40

static const char admin_needs[] = "membership in the admin group";

/* getopt_long()'s failures, worded once. */
int option_error(int c, char **argv) {
        if (c == ':')
                usage_error("option '%s' needs a value", argv[optind - 1]);
        else if (optopt > 0 && optopt < ARG_SOCKET)
                usage_error("unknown option '-%c'", optopt);
        else
                usage_error("unknown option '%s'", argv[optind - 1]);
        return JITCTL_EXIT_USAGE;
}

/* Handle a global option inside a command's loop: 1 handled, 0 not global,
 * <0 the negative exit code. */
int global_option(JitctlArgs *args, int c) {
        return parse_global_option(args, c, optarg);
}

/* The next option of a command, the global ones handled here: its code,
 * 0 when there are no more, or a negative exit code. */
int next_option(JitctlArgs *args, int argc, char **argv, const struct option *options) {
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = global_option(args, c);
                if (r < 0)
                        return r;
                if (r == 0)
                        return c;
        }
        return 0;
}

/* --wait SECONDS as well as --wait=SECONDS: the next word is taken if it
 * is a number of seconds. */
static int parse_wait_option(int argc, char **argv, CommandOptions *o) {
        const char *v = optarg;

        if (!v && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                v = argv[optind++];
        o->wait = true;
        if (v && jit_parse_duration(v, &o->wait_sec) < 0) {
                char buf[64];

                usage_error("invalid --wait time '%s'", jit_sanitize(v, buf, sizeof(buf)));
                return JITCTL_EXIT_USAGE;
        }
        return 0;
}

int parse_command_options(JitctlArgs *args, int argc, char **argv, const struct option *options, CommandOptions *o) {
        int c, r;

        optind = 0;
        while ((c = next_option(args, argc, argv, options)) > 0) {
                switch (c) {
                case ARG_USER:
                        r = parse_user_option(optarg, &o->user);
                        break;
                case ARG_ACTION:
                        r = parse_action_option(optarg, &o->action);
                        break;
                case ARG_REASON:
                        r = parse_reason_option(optarg, &o->reason);
                        break;
                case ARG_DURATION:
                        r = parse_duration_option(optarg, &o->duration);
                        break;
                case ARG_WAIT:
                        r = parse_wait_option(argc, argv, o);
                        break;
                default:
                        return option_error(c, argv);
                }
                if (r)
                        return r;
        }
        return c < 0 ? -c : 0;
}

/* A command's single argument after its options: a request id (prefix
 * 'r'), a grant id ('g') or either (0). */
int id_argument(int argc, char **argv, const char *command, char prefix, const char *what, const char **ret) {
        int r;

        if (optind >= argc) {
                usage_error("%s needs a %s id", command, what);
                return JITCTL_EXIT_USAGE;
        }
        r = too_many_arguments(argc, argv, 1);
        if (r)
                return r;
        r = parse_id_argument(argv[optind], prefix, what);
        if (r)
                return r;
        *ret = argv[optind];
        return 0;
}

int too_many_arguments(int argc, char **argv, int expected) {
        if (argc - optind > expected) {
                char buf[64];

                usage_error("unexpected argument '%s'",
                            jit_sanitize(argv[optind + expected], buf, sizeof(buf)));
                return JITCTL_EXIT_USAGE;
        }
        return 0;
}

int parse_duration_option(const char *value, uint64_t *ret) {
        int r = jit_parse_duration(value, ret);

        if (r < 0) {
                char buf[64];

                usage_error("invalid duration '%s': use e.g. 90, 90s, 15m, 1h30m or 2d (at most 366d)",
                            jit_sanitize(value, buf, sizeof(buf)));
                return JITCTL_EXIT_USAGE;
        }
        return 0;
}

int parse_reason_option(const char *value, const char **ret) {
        if (!jit_text_is_clean(value, JIT_REASON_MAX)) {
                usage_error("--reason must be at most %d bytes of printable UTF-8 text on one line",
                            JIT_REASON_MAX);
                return JITCTL_EXIT_USAGE;
        }
        *ret = value;
        return 0;
}

int parse_user_option(const char *value, const char **ret) {
        if (!jit_user_name_is_valid(value)) {
                char buf[80];

                usage_error("invalid user name '%s'", jit_sanitize(value, buf, sizeof(buf)));
                return JITCTL_EXIT_USAGE;
        }
        *ret = value;
        return 0;
}

int parse_action_option(const char *value, const char **ret) {
        if (jit_action_from_string(value) < 0) {
                char buf[64];

                usage_error("invalid action '%s': use login or sudo", jit_sanitize(value, buf, sizeof(buf)));
                return JITCTL_EXIT_USAGE;
        }
        *ret = value;
        return 0;
}

int parse_id_argument(const char *value, char prefix, const char *what) {
        if (!jit_id_is_valid(value, prefix)) {
                char buf[64];

                usage_error("'%s' is not a %s id (%s followed by 16 characters)",
                            jit_sanitize(value, buf, sizeof(buf)), what,
                            prefix == 'r'   ? "r"
                            : prefix == 'g' ? "g"
                                            : "r or g");
                return JITCTL_EXIT_USAGE;
        }
        return 0;
}

/* The caller's own user name: jitd decides who we are from SO_PEERCRED,
 * so this only fills in the "user" the protocol asks for. */
int self_user_name(const char **ret) {
        struct passwd *pw;

        errno = 0;
        pw = getpwuid(getuid());
        if (!pw || !jit_user_name_is_valid(pw->pw_name)) {
                fprintf(stderr, "jitctl: cannot determine your user name (uid %u)\n", (unsigned) getuid());
                return JITCTL_EXIT_FAILURE;
        }
        *ret = pw->pw_name;
        return 0;
}

int oom(void) {
        fprintf(stderr, "jitctl: out of memory\n");
        return JITCTL_EXIT_FAILURE;
}

struct json_object *reply_parameters(struct json_object *m) {
        struct json_object *p = NULL;

        (void) varlink_reply_parse(m, NULL, &p, NULL);
        return p;
}

/* ---- tables of requests and grants ---------------------------------- */

static int add_request_row(Table *t, struct json_object *r, bool with_user) {
        char id[JIT_ID_MAX], user[JIT_USER_MAX + 1], action[16], state[16], code[JIT_MATCH_CODE_MAX],
                created[64], expires[64], reason[JIT_REASON_MAX + 1];
        int64_t v;
        const char *cells[TABLE_COLUMNS_MAX];
        size_t n = 0;

        cells[n++] = field_str(r, "id", "?", id, sizeof(id));
        if (with_user)
                cells[n++] = field_str(r, "user", "?", user, sizeof(user));
        cells[n++] = field_str(r, "action", "?", action, sizeof(action));
        cells[n++] = field_str(r, "state", "?", state, sizeof(state));
        cells[n++] = field_str(r, "match_code", "-", code, sizeof(code));
        cells[n++] = field_int(r, "created_at", &v) ? format_when(v, created, sizeof(created)) : "-";
        cells[n++] = field_int(r, "expires_at", &v) ? format_when(v, expires, sizeof(expires)) : "-";
        cells[n++] = field_str(r, "reason", "-", reason, sizeof(reason));
        {
                /* Approvers must see that this asks for more time on a grant
                 * already running, not for access from scratch. */
                char extends[JIT_ID_MAX], line[JIT_REASON_MAX + 64];

                if (field_str(r, "extends", NULL, extends, sizeof(extends))) {
                        snprintf(line, sizeof(line), "extension of %s: %s", extends, cells[n - 1]);
                        cells[n - 1] = line;
                        return table_add_row(t, cells);
                }
        }
        return table_add_row(t, cells);
}

static int add_grant_row(Table *t, struct json_object *g, bool with_user) {
        char id[JIT_ID_MAX], user[JIT_USER_MAX + 1], action[16], state[32], expires[64],
                approver[WHO_MAX], reason[JIT_REASON_MAX + 1];
        int64_t v;
        const char *cells[TABLE_COLUMNS_MAX];
        size_t n = 0;

        cells[n++] = field_str(g, "id", "?", id, sizeof(id));
        if (with_user)
                cells[n++] = field_str(g, "user", "?", user, sizeof(user));
        cells[n++] = field_str(g, "action", "?", action, sizeof(action));
        if (field_bool(g, "breakglass")) {
                char s[16];

                /* An extended grant ended because a later one took over;
                 * "expired" with a deadline still ahead would puzzle. */
                if (field_str(g, "extended_by", NULL, s, sizeof(s)))
                        snprintf(s, sizeof(s), "extended");
                else
                        field_str(g, "state", "?", s, sizeof(s));
                snprintf(state, sizeof(state), "%s!", s);
                cells[n++] = state; /* "active!" marks break-glass; the legend says so */
        } else if (field_str(g, "extended_by", NULL, state, sizeof(state)))
                cells[n++] = "extended";
        else
                cells[n++] = field_str(g, "state", "?", state, sizeof(state));
        cells[n++] = field_int(g, "expires_at", &v) ? format_when(v, expires, sizeof(expires)) : "-";
        cells[n++] = field_who(g, "approver", "approver_person", "-", approver, sizeof(approver));
        cells[n++] = field_str(g, "reason", "-", reason, sizeof(reason));
        return table_add_row(t, cells);
}

/* Print the requests and grants arrays of a reply. Returns the number of
 * rows printed, or -ENOMEM. */
static int print_requests_and_grants(struct json_object *params, bool with_user) {
        static const char *const request_headers_user[] = { "REQUEST", "USER",    "ACTION",  "STATE",
                                                            "CODE",    "CREATED", "EXPIRES", "REASON" };
        static const char *const request_headers[] = { "REQUEST", "ACTION",  "STATE", "CODE",
                                                       "CREATED", "EXPIRES", "REASON" };
        static const char *const grant_headers_user[] = { "GRANT",   "USER",     "ACTION", "STATE",
                                                          "EXPIRES", "APPROVER", "REASON" };
        static const char *const grant_headers[] = { "GRANT",   "ACTION",   "STATE",
                                                     "EXPIRES", "APPROVER", "REASON" };
        struct json_object *requests = field_array(params, "requests"),
                           *grants = field_array(params, "grants");
        size_t n_requests = requests ? json_object_array_length(requests) : 0;
        size_t n_grants = grants ? json_object_array_length(grants) : 0;
        bool breakglass = false;
        Table t;
        int r;

        if (n_requests > 0) {
                table_init(&t, with_user ? ELEMENTSOF(request_headers_user) : ELEMENTSOF(request_headers),
                           with_user ? request_headers_user : request_headers);
                t.max_width[t.n_columns - 1] = REASON_COLUMN_MAX;
                for (size_t i = 0; i < n_requests; i++) {
                        r = add_request_row(&t, json_object_array_get_idx(requests, i), with_user);
                        if (r < 0) {
                                table_done(&t);
                                return r;
                        }
                }
                table_print(&t);
                table_done(&t);
        }

        if (n_grants > 0) {
                if (n_requests > 0)
                        putchar('\n');
                table_init(&t, with_user ? ELEMENTSOF(grant_headers_user) : ELEMENTSOF(grant_headers),
                           with_user ? grant_headers_user : grant_headers);
                t.max_width[t.n_columns - 1] = REASON_COLUMN_MAX;
                for (size_t i = 0; i < n_grants; i++) {
                        struct json_object *g = json_object_array_get_idx(grants, i);

                        breakglass = breakglass || field_bool(g, "breakglass");
                        r = add_grant_row(&t, g, with_user);
                        if (r < 0) {
                                table_done(&t);
                                return r;
                        }
                }
                table_print(&t);
                table_done(&t);
                if (breakglass)
                        printf("(! = break-glass grant)\n");
        }

        return (int) (n_requests + n_grants);
}

/* ---- list ------------------------------------------------------------ */

int verb_list(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "all", no_argument, NULL, ARG_ALL },
                { "pending", no_argument, NULL, ARG_PENDING },
                { "active", no_argument, NULL, ARG_ACTIVE },
                {},
        };
        static const CallContext what = { .doing = "listing requests and grants", .needs = admin_needs };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        struct json_object *params;
        const char *filter = NULL;
        int c, r;

        optind = 0;
        while ((c = next_option(args, argc, argv, options)) > 0) {
                switch (c) {
                case ARG_ALL:
                case ARG_PENDING:
                case ARG_ACTIVE: {
                        const char *f = c == ARG_ALL ? "all" : c == ARG_PENDING ? "pending" : "active";

                        if (filter && strcmp(filter, f) != 0) {
                                usage_error("--all, --pending and --active exclude each other");
                                return JITCTL_EXIT_USAGE;
                        }
                        filter = f;
                        break;
                }
                default:
                        return option_error(c, argv);
                }
        }
        if (c < 0)
                return -c;
        r = too_many_arguments(argc, argv, 0);
        if (r)
                return r;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "filter", filter) < 0)
                return oom();

        r = jitctl_call(args, JIT_METHOD_LIST, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }

        r = print_requests_and_grants(params, true);
        if (r < 0)
                return oom();
        if (field_bool(params, "truncated"))
                printf("(jitd cut the list short; narrow it with --pending or --active)\n");
        if (r == 0)
                printf("%s\n", !filter                          ? "No pending requests and no active grants."
                               : strcmp(filter, "pending") == 0 ? "No pending requests."
                               : strcmp(filter, "active") == 0  ? "No active grants."
                                                                : "No requests or grants.");
        return JITCTL_EXIT_OK;
}

/* ---- show ------------------------------------------------------------ */

static void show_line(const char *label, const char *value) {
        if (value && value[0])
                printf("  %-13s %s\n", label, value);
}

static void show_time(struct json_object *o, const char *label, const char *key) {
        char buf[128];
        int64_t v;

        if (field_int(o, key, &v) && v > 0)
                show_line(label, format_when_full(v, buf, sizeof(buf)));
}

static void show_request(struct json_object *r) {
        char id[JIT_ID_MAX], s1[JIT_REASON_MAX + 1], s2[JIT_RHOST_MAX + 1], s3[JIT_TTY_MAX + 1], line[1024];
        int64_t v;

        printf("Request %s\n", field_str(r, "id", "?", id, sizeof(id)));
        show_line("User:", field_str(r, "user", "?", s1, sizeof(s1)));
        show_line("Action:", field_str(r, "action", "?", s1, sizeof(s1)));
        show_line("State:", field_str(r, "state", "?", s1, sizeof(s1)));
        show_line("Match code:", field_str(r, "match_code", NULL, s1, sizeof(s1)));
        show_line("Service:", field_str(r, "service", NULL, s1, sizeof(s1)));
        {
                const char *rhost = field_str(r, "rhost", NULL, s2, sizeof(s2));
                const char *tty = field_str(r, "tty", NULL, s3, sizeof(s3));

                if (rhost && rhost[0] && tty && tty[0]) {
                        snprintf(line, sizeof(line), "%s (%s)", rhost, tty);
                        show_line("From:", line);
                } else
                        show_line("From:", rhost && rhost[0] ? rhost : tty);
        }
        if (field_int(r, "duration", &v) && v > 0) {
                char d[32];

                show_line("Duration:", jit_format_duration((uint64_t) v, d, sizeof(d)));
        }
        show_line("Extension of:", field_str(r, "extends", NULL, s1, sizeof(s1)));
        show_line("Reason:", field_str(r, "reason", NULL, s1, sizeof(s1)));
        show_time(r, "Created:", "created_at");
        /* A request's own deadline only matters while nobody decided it. */
        if (strcmp(field_str(r, "state", "", s1, sizeof(s1)), "pending") == 0)
                show_time(r, "Expires:", "expires_at");
        show_time(r, "Decided:", "decided_at");
        show_line("Decided by:", field_who(r, "decided_by", "decided_by_person", NULL, s1, sizeof(s1)));
        show_line("Decision:", field_str(r, "decision_reason", NULL, s1, sizeof(s1)));
        show_line("Grant:", field_str(r, "grant_id", NULL, s1, sizeof(s1)));
}

static void show_sessions(struct json_object *sessions) {
        size_t n = sessions ? json_object_array_length(sessions) : 0;

        if (n == 0)
                return;
        printf("  Sessions:\n");
        for (size_t i = 0; i < n; i++) {
                struct json_object *s = json_object_array_get_idx(sessions, i);
                char id[JIT_SESSION_MAX + 1], service[JIT_SERVICE_MAX + 1], tty[JIT_TTY_MAX + 1],
                        rhost[JIT_RHOST_MAX + 1], opened[64], closed[64];
                const char *sid = field_str(s, "session_id", NULL, id, sizeof(id));
                int64_t v;

                if (!sid)
                        sid = field_str(s, "id", "?", id, sizeof(id));
                printf("    %s  %s  %s  %s  opened %s", sid,
                       field_str(s, "service", "-", service, sizeof(service)),
                       field_str(s, "tty", "-", tty, sizeof(tty)),
                       field_str(s, "rhost", "-", rhost, sizeof(rhost)),
                       field_int(s, "opened_at", &v) ? format_when(v, opened, sizeof(opened)) : "-");
                if (field_int(s, "closed_at", &v) && v > 0)
                        printf(", closed %s", format_when(v, closed, sizeof(closed)));
                putchar('\n');
        }
}

static void show_grant(struct json_object *g, struct json_object *sessions) {
        char id[JIT_ID_MAX], s1[JIT_REASON_MAX + 1];

        printf("Grant %s%s\n", field_str(g, "id", "?", id, sizeof(id)),
               field_bool(g, "breakglass") ? " (break-glass)" : "");
        show_line("User:", field_str(g, "user", "?", s1, sizeof(s1)));
        show_line("Action:", field_str(g, "action", "?", s1, sizeof(s1)));
        show_line("State:", field_str(g, "state", "?", s1, sizeof(s1)));
        show_line("Request:", field_str(g, "request_id", NULL, s1, sizeof(s1)));
        show_line("Extends:", field_str(g, "extends", NULL, s1, sizeof(s1)));
        show_line("Approver:", field_who(g, "approver", "approver_person", NULL, s1, sizeof(s1)));
        show_line("Reason:", field_str(g, "reason", NULL, s1, sizeof(s1)));
        show_time(g, "Created:", "created_at");
        show_time(g, "Expires:", "expires_at");
        show_time(g, "Ended:", "ended_at");
        show_line("Ended by:", field_who(g, "ended_by", "ended_by_person", NULL, s1, sizeof(s1)));
        show_line("Extended by:", field_str(g, "extended_by", NULL, s1, sizeof(s1)));
        show_sessions(sessions);
}

int verb_show(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        struct json_object *params, *o;
        CallContext what = { .doing = "showing it", .needs = "owning it or membership in the admin group" };
        const char *id;
        int c, r;

        optind = 0;
        c = next_option(args, argc, argv, options);
        if (c < 0)
                return -c;
        if (c > 0)
                return option_error(c, argv);
        r = id_argument(argc, argv, "show", 0, "request or grant", &id);
        if (r)
                return r;
        what.id = id;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "id", id) < 0)
                return oom();
        r = jitctl_call(args, JIT_METHOD_SHOW, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }
        if ((o = field_object(params, "request"))) {
                show_request(o);
                show_notifications(params);
        } else if ((o = field_object(params, "grant"))) {
                show_grant(o, field_array(params, "sessions"));
                if (field_bool(params, "truncated"))
                        printf("  (more sessions than jitd lists at once)\n");
        } else {
                fprintf(stderr, "jitctl: jitd's reply has neither a request nor a grant\n");
                return JITCTL_EXIT_FAILURE;
        }
        return JITCTL_EXIT_OK;
}

/* ---- approve / deny --------------------------------------------------- */

int verb_approve(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "duration", required_argument, NULL, ARG_DURATION },
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        CallContext what = { .doing = "approving", .needs = admin_needs };
        char grant[JIT_ID_MAX], when[128];
        struct json_object *params;
        CommandOptions o = {};
        const char *id;
        int64_t expires;
        int r;

        r = parse_command_options(args, argc, argv, options, &o);
        if (r)
                return r;
        r = id_argument(argc, argv, "approve", 'r', "request", &id);
        if (r)
                return r;
        what.id = id;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "request_id", id) < 0 ||
            (o.duration > 0 && json_add_int(p, "duration", (int64_t) o.duration) < 0))
                return oom();
        r = jitctl_call(args, JIT_METHOD_APPROVE, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }
        if (!field_str(params, "grant_id", NULL, grant, sizeof(grant))) {
                int64_t have = 0, needed = 0;

                /* A quorum: this approval counted, more are needed. */
                (void) field_int(params, "approvals", &have);
                (void) field_int(params, "approvals_needed", &needed);
                printf("Approval of %s recorded: %lld of %lld approvers; access is granted once %lld have "
                       "approved.\n",
                       id, (long long) have, (long long) needed, (long long) needed);
                return JITCTL_EXIT_OK;
        }
        printf("Approved %s: grant %s, expires %s.\n", id, grant,
               field_int(params, "expires_at", &expires) ? format_when_full(expires, when, sizeof(when))
                                                         : "-");
        return JITCTL_EXIT_OK;
}

/* deny: an admin's no, or the requester withdrawing their own request
 * (jitd records that as cancelled). cancel: only the requester's own. */
static int deny_or_cancel(JitctlArgs *args, int argc, char **argv, bool cancel) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "reason", required_argument, NULL, ARG_REASON },
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        CallContext what = cancel ? (CallContext){ .doing = "cancelling", .needs = "the request to be yours" }
                                  : (CallContext){ .doing = "denying", .needs = admin_needs };
        const char *verb = cancel ? "cancel" : "deny";
        CommandOptions o = {};
        char state[32] = "";
        const char *id;
        int r;

        r = parse_command_options(args, argc, argv, options, &o);
        if (r)
                return r;
        r = id_argument(argc, argv, verb, 'r', "request", &id);
        if (r)
                return r;
        what.id = id;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "request_id", id) < 0 ||
            json_add_string_nonnull(p, "reason", o.reason) < 0 || (cancel && json_add_bool(p, "cancel", true) < 0))
                return oom();
        r = jitctl_call(args, JIT_METHOD_DENY, TAKE_PTR(p), &what, &m);
        if (r)
                return r;

        if (args->json)
                jitctl_print_json(reply_parameters(m));
        else if (field_str(reply_parameters(m), "state", NULL, state, sizeof(state)) && strcmp(state, "cancelled") == 0)
                printf("Cancelled %s (your own request).\n", id);
        else
                printf("Denied %s.\n", id);
        return JITCTL_EXIT_OK;
}

int verb_deny(JitctlArgs *args, int argc, char **argv) {
        return deny_or_cancel(args, argc, argv, false);
}

int verb_cancel(JitctlArgs *args, int argc, char **argv) {
        return deny_or_cancel(args, argc, argv, true);
}

/* ---- revoke / grant / expire ----------------------------------------- */

int verb_revoke(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "user", required_argument, NULL, ARG_USER },
                { "action", required_argument, NULL, ARG_ACTION },
                { "reason", required_argument, NULL, ARG_REASON },
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        CallContext what = { .doing = "revoking", .needs = admin_needs };
        CommandOptions o = {};
        const char *id = NULL;
        struct json_object *params, *revoked;
        size_t n;
        int r;

        r = parse_command_options(args, argc, argv, options, &o);
        if (r)
                return r;

        if (optind < argc) {
                r = too_many_arguments(argc, argv, 1);
                if (r)
                        return r;
                id = argv[optind];
                r = parse_id_argument(id, 'g', "grant");
                if (r)
                        return r;
        }
        if (!!id == !!o.user) {
                usage_error("revoke needs either a grant id or --user USER");
                return JITCTL_EXIT_USAGE;
        }
        if (o.action && !o.user) {
                usage_error("--action only goes with --user");
                return JITCTL_EXIT_USAGE;
        }
        what.id = id;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "grant_id", id) < 0 || json_add_string_nonnull(p, "user", o.user) < 0 ||
            json_add_string_nonnull(p, "action", o.action) < 0 || json_add_string_nonnull(p, "reason", o.reason) < 0)
                return oom();
        r = jitctl_call(args, JIT_METHOD_REVOKE, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }

        revoked = field_array(params, "revoked");
        n = revoked ? json_object_array_length(revoked) : 0;
        if (n == 0) {
                /* Nothing was live: for a user that is the desired end state,
                 * not an error a script should trip over. */
                char u[JIT_USER_MAX + 1];

                printf("No active %s%sgrants for %s; nothing to revoke.\n", o.action ? o.action : "",
                       o.action ? " " : "", o.user ? jit_sanitize(o.user, u, sizeof(u)) : id);
                return JITCTL_EXIT_OK;
        }
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(revoked, i);
                char g[JIT_ID_MAX];

                printf("Revoked %s.\n", v && json_object_is_type(v, json_type_string)
                                                ? jit_sanitize(json_object_get_string(v), g, sizeof(g))
                                                : "?");
        }
        return JITCTL_EXIT_OK;
}

int verb_grant(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "user", required_argument, NULL, ARG_USER },
                { "action", required_argument, NULL, ARG_ACTION },
                { "duration", required_argument, NULL, ARG_DURATION },
                { "reason", required_argument, NULL, ARG_REASON },
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        static const CallContext what = { .doing = "granting break-glass access", .needs = admin_needs };
        CommandOptions o = {};
        char grant[JIT_ID_MAX], when[128];
        struct json_object *params;
        int64_t expires;
        int r;

        r = parse_command_options(args, argc, argv, options, &o);
        if (r)
                return r;
        r = too_many_arguments(argc, argv, 0);
        if (r)
                return r;
        /* Break-glass is audited with its reason; all four are required so
         * the audit entry always says who, what, how long and why. */
        if (!o.user || !o.action || o.duration == 0 || !o.reason || !o.reason[0]) {
                usage_error("grant needs --user, --action, --duration and a non-empty --reason");
                return JITCTL_EXIT_USAGE;
        }

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "user", o.user) < 0 ||
            json_add_string_nonnull(p, "action", o.action) < 0 ||
            json_add_int(p, "duration", (int64_t) o.duration) < 0 ||
            json_add_string_nonnull(p, "reason", o.reason) < 0)
                return oom();
        r = jitctl_call(args, JIT_METHOD_GRANT, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }
        printf("Break-glass grant %s: %s may %s until %s. This is audited.\n",
               field_str(params, "grant_id", "?", grant, sizeof(grant)), o.user,
               strcmp(o.action, "login") == 0 ? "log in" : "use sudo",
               field_int(params, "expires_at", &expires) ? format_when_full(expires, when, sizeof(when))
                                                         : "-");
        return JITCTL_EXIT_OK;
}

int verb_expire(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL, *conflict = NULL;
        CallContext what = { .doing = "expiring grants", .needs = admin_needs, .ret_conflict = &conflict };
        char state[32];
        const char *id;
        int c, r;

        optind = 0;
        c = next_option(args, argc, argv, options);
        if (c < 0)
                return -c;
        if (c > 0)
                return option_error(c, argv);
        r = id_argument(argc, argv, "expire", 'g', "grant", &id);
        if (r)
                return r;
        what.id = id;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "grant_id", id) < 0)
                return oom();
        r = jitctl_call(args, JIT_METHOD_EXPIRE, TAKE_PTR(p), &what, &m);
        if (r == JITCTL_EXIT_CONFLICT && conflict) {
                const char *s = field_str(conflict, "state", "?", state, sizeof(state));

                /* Ended already (revoked, or expired by jitd itself): the end
                 * state is what was asked for. This is what the grant's
                 * systemd timer runs, and it must not fail for that. */
                if (strcmp(s, "expired") == 0 || strcmp(s, "revoked") == 0) {
                        if (args->json)
                                jitctl_print_json(conflict);
                        else
                                printf("Grant %s is already %s; nothing to do.\n", id, s);
                        return JITCTL_EXIT_OK;
                }
                return jitctl_report_error(JIT_ERROR_CONFLICT, conflict, &what);
        }
        if (r)
                return r;

        if (args->json)
                jitctl_print_json(reply_parameters(m));
        else
                printf("Expired %s.\n", id);
        return JITCTL_EXIT_OK;
}

/* ---- status ------------------------------------------------------------ */

int verb_status(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "user", required_argument, NULL, ARG_USER },
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        static const CallContext what = { .doing = "showing another user's status", .needs = admin_needs };
        CommandOptions o = {};
        const char *user, *self = NULL;
        struct json_object *params, *grants, *requests;
        size_t n_grants, n_requests;
        int r;

        r = parse_command_options(args, argc, argv, options, &o);
        if (r)
                return r;
        user = o.user;
        r = too_many_arguments(argc, argv, 0);
        if (r)
                return r;
        if (!user) {
                r = self_user_name(&self);
                if (r)
                        return r;
                user = self;
        }

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "user", user) < 0)
                return oom();
        r = jitctl_call(args, JIT_METHOD_STATUS, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }

        grants = field_array(params, "grants");
        requests = field_array(params, "requests");
        n_grants = grants ? json_object_array_length(grants) : 0;
        n_requests = requests ? json_object_array_length(requests) : 0;
        if (n_grants == 0 && n_requests == 0) {
                printf("%s has no active grants and no pending requests.\n", user);
                return JITCTL_EXIT_OK;
        }
        printf("%s: %zu active grant%s, %zu pending request%s.\n\n", user, n_grants,
               n_grants == 1 ? "" : "s", n_requests, n_requests == 1 ? "" : "s");
        if (print_requests_and_grants(params, false) < 0)
                return oom();
        return JITCTL_EXIT_OK;
}
