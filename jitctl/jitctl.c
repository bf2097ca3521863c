/* jitctl: the command line for admins and engineers over the jitd socket.
 * This file owns the command line itself: global options, the choice of
 * command, help and version. The commands live in commands.c and
 * request.c, the talking to jitd and the wording of its errors in call.c,
 * and the output helpers in format.c. jitctl trusts jitd only as far as
 * common/client.c allows (a root-owned socket served by root) and prints
 * nothing from it unsanitised. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jitctl.h"
#include "text.h"

#ifndef JIT_VERSION
#define JIT_VERSION "unknown"
#endif

void usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("jitctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'jitctl --help' for more information.\n", stderr);
}

void help(void) {
        printf("Usage: jitctl [OPTIONS] COMMAND [ARGS]\n"
               "\n"
               "Just-in-time access approval: requests, grants and decisions, via jitd.\n"
               "\n"
               "Engineer commands:\n"
               "  status [--user USER]                 Your live grants and pending requests\n"
               "  request --action login|sudo [--reason TEXT] [--duration D] [--wait [SECONDS]]\n"
               "                                       Ask for access; --wait waits for the decision\n"
               "  extend [--action login|sudo] [--duration D] [--reason TEXT] [--wait [SECONDS]]\n"
               "                                       Ask for more time on your live grant\n"
               "  show ID                              One request (r...) or grant (g...) of yours\n"
               "  cancel REQUEST_ID [--reason TEXT]    Withdraw your own pending request\n"
               "\n"
               "Admin commands:\n"
               "  list [--all|--pending|--active]      Requests and grants (default: pending and active)\n"
               "  approve REQUEST_ID [--duration D]    Approve, optionally for less time than asked\n"
               "  deny REQUEST_ID [--reason TEXT]      Deny a pending request\n"
               "  revoke GRANT_ID [--reason TEXT]      End a grant now and its sessions\n"
               "  revoke --user USER [--action login|sudo] [--reason TEXT]\n"
               "                                       End all of a user's grants\n"
               "  grant --user USER --action login|sudo --duration D --reason TEXT\n"
               "                                       Break-glass grant without a request (audited)\n"
               "  expire GRANT_ID                      Run the expiry of a grant past its deadline\n"
               "  resend REQUEST_ID [--endpoint NAME]  Send a request's failed webhook messages again\n"
               "                                       (or remind the approvers of a pending one)\n"
               "\n"
               "Options:\n"
               "  --socket PATH     jitd socket (default: " JIT_SOCKET_PATH_DEFAULT ")\n"
               "  --timeout MS      Give up on jitd after MS milliseconds (default: %u)\n"
               "  --json            Print jitd's reply as JSON\n"
               "  -h, --help        Show this help\n"
               "  --version         Show the version\n"
               "\n"
               "Durations: 90 (seconds), 90s, 15m, 1h, 1h30m, 2d.\n"
               "Exit status: 0 ok, 1 failure, 2 usage, 3 jitd unreachable or untrusted,\n"
               "4 permission denied, 5 not found, 6 conflict. See jitctl(8).\n",
               JITCTL_TIMEOUT_MSEC_DEFAULT);
}

/* Options every command accepts, wherever they appear on the line. Returns
 * 1 if handled, 0 if `opt` is not a global option, or -JITCTL_EXIT_USAGE. */
int parse_global_option(JitctlArgs *args, int opt, const char *value) {
        uint64_t v;

        switch (opt) {
        case ARG_SOCKET:
                if (!value || value[0] != '/' || strlen(value) >= 108) {
                        usage_error("--socket needs an absolute path shorter than 108 bytes");
                        return -JITCTL_EXIT_USAGE;
                }
                args->socket_path = value;
                return 1;
        case ARG_TIMEOUT:
                if (jit_parse_uint64(value, 1, JITCTL_TIMEOUT_MSEC_MAX, &v) < 0) {
                        usage_error("--timeout needs milliseconds between 1 and %u, not '%s'",
                                    JITCTL_TIMEOUT_MSEC_MAX, value ? value : "");
                        return -JITCTL_EXIT_USAGE;
                }
                args->timeout_msec = v;
                return 1;
        case ARG_JSON:
                args->json = true;
                return 1;
        case 'h':
                help();
                exit(JITCTL_EXIT_OK);
        case ARG_VERSION:
                printf("jitctl %s (protocol %d)\n", JIT_VERSION, JIT_PROTOCOL_VERSION);
                exit(JITCTL_EXIT_OK);
        default:
                return 0;
        }
}

static const struct {
        const char *name;
        int (*run)(JitctlArgs *args, int argc, char **argv);
} verbs[] = {
        { "list", verb_list },       { "show", verb_show },     { "approve", verb_approve },
        { "deny", verb_deny },       { "revoke", verb_revoke }, { "grant", verb_grant },
        { "status", verb_status },   { "request", verb_request }, { "expire", verb_expire },
        { "extend", verb_extend },   { "resend", verb_resend }, { "cancel", verb_cancel },
};

int main(int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                {},
        };
        JitctlArgs args = {
                .socket_path = JIT_SOCKET_PATH_DEFAULT,
                .timeout_msec = JITCTL_TIMEOUT_MSEC_DEFAULT,
        };
        const char *verb;
        int c, r;

        /* "+": stop at the command name; the command parses the rest,
         * global options included, so both "jitctl --json list" and
         * "jitctl list --json" work. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                r = parse_global_option(&args, c, optarg);
                if (r < 0)
                        return -r;
                if (r > 0)
                        continue;
                if (c == ':')
                        usage_error("option '%s' needs a value", argv[optind - 1]);
                else if (optopt)
                        usage_error("unknown option '-%c'", optopt);
                else
                        usage_error("unknown option '%s'", argv[optind - 1]);
                return JITCTL_EXIT_USAGE;
        }

        if (optind >= argc) {
                usage_error("missing command");
                return JITCTL_EXIT_USAGE;
        }
        verb = argv[optind];

        if (strcmp(verb, "help") == 0) {
                help();
                return JITCTL_EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verb, verbs[i].name) == 0)
                        return verbs[i].run(&args, argc - optind, argv + optind);

        {
                char buf[64];

                usage_error("unknown command '%s'", jit_sanitize(verb, buf, sizeof(buf)));
        }
        return JITCTL_EXIT_USAGE;
}
