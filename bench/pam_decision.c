/* pam_decision: how long an account decision takes through libpam, the way
 * sshd and sudo pay for it. One iteration is pam_start_confdir() +
 * pam_acct_mgmt() + pam_end(), so module loading, config parsing and the
 * module's own work (for pam_jit: connect, Check, reply) are all inside the
 * measured time. Each stack is given as LABEL=CONFDIR, where CONFDIR holds a
 * service file named after --service; comparing stacks that differ only in
 * their one account line gives each module's cost.
 *
 * With --reuse-handle a second measurement times pam_acct_mgmt() alone on
 * one long-lived handle (the module's per-call work without dlopen).
 *
 * Every iteration must return PAM_SUCCESS; any other result is counted,
 * reported, and makes the program exit non-zero, so a broken or denying
 * stack can never pass for a fast one. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"

#define STACKS_MAX 16

typedef struct Stack {
        const char *label;
        const char *confdir;
} Stack;

static uint64_t arg_iterations = 20000;
static uint64_t arg_warmup = 1000;
static const char *arg_user = NULL;
static const char *arg_service = "sshd";
static const char *arg_rhost = "127.0.0.1";
static const char *arg_tty = "ssh";
static const char *arg_tag = NULL;
static bool arg_reuse_handle = false;
static Stack arg_stacks[STACKS_MAX];
static size_t arg_n_stacks = 0;

/* The account phase must not prompt; informational messages are accepted
 * (and dropped) so a module that explains a denial does not fail here. */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *userdata) {
        struct pam_response *r;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        for (int i = 0; i < n; i++)
                if (msg[i]->msg_style != PAM_TEXT_INFO && msg[i]->msg_style != PAM_ERROR_MSG)
                        return PAM_CONV_ERR;

        r = calloc((size_t) n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        *resp = r;
        return PAM_SUCCESS;
}

static const struct pam_conv conv = {
        .conv = conversation,
};

static int set_items(pam_handle_t *h) {
        int r;

        r = pam_set_item(h, PAM_RHOST, arg_rhost);
        if (r != PAM_SUCCESS)
                return r;
        return pam_set_item(h, PAM_TTY, arg_tty);
}

/* One full decision. Returns the PAM result of the first step that failed. */
static int decide_once(const Stack *s) {
        pam_handle_t *h = NULL;
        int r;

        r = pam_start_confdir(arg_service, arg_user, &conv, s->confdir, &h);
        if (r != PAM_SUCCESS)
                return r;

        r = set_items(h);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(h, 0);

        (void) pam_end(h, r);
        return r;
}

static void print_result(const Stack *s, const char *mode, const LatencyStats *st, uint64_t failures) {
        printf("pam_decision stack=%s mode=%s%s%s n=%zu failures=%" PRIu64
               " mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f\n",
               s->label, mode, arg_tag ? " tag=" : "", arg_tag ?: "", st->n, failures,
               st->mean_usec, st->p50_usec, st->p90_usec, st->p99_usec, st->min_usec, st->max_usec);
        fflush(stdout);
}

/* Per stack: its samples and failures of the current measurement. */
typedef struct StackRun {
        uint64_t *samples;
        uint64_t failures;
        int last_failure;
        pam_handle_t *handle; /* acct-only mode */
} StackRun;

static int report(StackRun *runs, const char *mode) {
        int ret = 0;

        for (size_t k = 0; k < arg_n_stacks; k++) {
                LatencyStats st;

                latency_stats_compute(runs[k].samples, arg_iterations, &st);
                print_result(&arg_stacks[k], mode, &st, runs[k].failures);
                if (runs[k].failures > 0) {
                        fprintf(stderr, "pam_decision: stack %s (%s): %" PRIu64 " iteration(s) failed, last: %s (%d)\n",
                                arg_stacks[k].label, mode, runs[k].failures,
                                pam_strerror(NULL, runs[k].last_failure), runs[k].last_failure);
                        ret = -EIO;
                }
        }
        return ret;
}

/* The stacks are measured interleaved, one iteration of each in turn, so a
 * change in machine load hits all of them alike and their difference (the
 * module's overhead) stays fair. */
static int bench_full(StackRun *runs) {
        for (uint64_t i = 0; i < arg_warmup; i++)
                for (size_t k = 0; k < arg_n_stacks; k++) {
                        int r = decide_once(&arg_stacks[k]);
                        if (r != PAM_SUCCESS) {
                                /* A stack that does not allow during warm-up is
                                 * misconfigured: stop instead of timing errors. */
                                fprintf(stderr, "pam_decision: stack %s: warm-up decision failed: %s (%d)\n",
                                        arg_stacks[k].label, pam_strerror(NULL, r), r);
                                return -EIO;
                        }
                }

        for (uint64_t i = 0; i < arg_iterations; i++)
                for (size_t k = 0; k < arg_n_stacks; k++) {
                        uint64_t t0 = bench_now_nsec();
                        int r = decide_once(&arg_stacks[k]);
                        runs[k].samples[i] = bench_now_nsec() - t0;
                        if (r != PAM_SUCCESS) {
                                runs[k].failures++;
                                runs[k].last_failure = r;
                        }
                }

        return report(runs, "full");
}

static int bench_reuse_handle(StackRun *runs) {
        int ret = 0, r;

        for (size_t k = 0; k < arg_n_stacks; k++) {
                runs[k].failures = 0;
                r = pam_start_confdir(arg_service, arg_user, &conv, arg_stacks[k].confdir, &runs[k].handle);
                if (r == PAM_SUCCESS)
                        r = set_items(runs[k].handle);
                if (r != PAM_SUCCESS) {
                        fprintf(stderr, "pam_decision: stack %s: cannot open a handle: %s\n", arg_stacks[k].label,
                                pam_strerror(runs[k].handle, r));
                        ret = -EIO;
                        goto finish;
                }
        }

        for (uint64_t i = 0; i < arg_warmup; i++)
                for (size_t k = 0; k < arg_n_stacks; k++) {
                        r = pam_acct_mgmt(runs[k].handle, 0);
                        if (r != PAM_SUCCESS) {
                                fprintf(stderr, "pam_decision: stack %s: warm-up decision failed: %s (%d)\n",
                                        arg_stacks[k].label, pam_strerror(runs[k].handle, r), r);
                                ret = -EIO;
                                goto finish;
                        }
                }

        for (uint64_t i = 0; i < arg_iterations; i++)
                for (size_t k = 0; k < arg_n_stacks; k++) {
                        uint64_t t0 = bench_now_nsec();
                        r = pam_acct_mgmt(runs[k].handle, 0);
                        runs[k].samples[i] = bench_now_nsec() - t0;
                        if (r != PAM_SUCCESS) {
                                runs[k].failures++;
                                runs[k].last_failure = r;
                        }
                }

        ret = report(runs, "acct-only");

finish:
        for (size_t k = 0; k < arg_n_stacks; k++)
                if (runs[k].handle) {
                        (void) pam_end(runs[k].handle, PAM_SUCCESS);
                        runs[k].handle = NULL;
                }
        return ret;
}

static void help(void) {
        printf("Usage: pam_decision [OPTIONS] --user USER LABEL=CONFDIR...\n"
               "Time pam_start_confdir + pam_acct_mgmt + pam_end for each PAM stack.\n\n"
               "  -u --user=USER        user to decide for (required)\n"
               "  -s --service=NAME     service file name in each CONFDIR (default: sshd)\n"
               "  -n --iterations=N     measured iterations per stack (default: 20000)\n"
               "  -w --warmup=N         untimed iterations first (default: 1000)\n"
               "     --rhost=HOST       PAM_RHOST (default: 127.0.0.1)\n"
               "     --tty=TTY          PAM_TTY (default: ssh)\n"
               "     --tag=TEXT         copied into every result line (e.g. grants=100000)\n"
               "     --reuse-handle     also time pam_acct_mgmt alone on one handle\n"
               "  -h --help             this text\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_RHOST = 0x100,
                ARG_TTY,
                ARG_TAG,
                ARG_REUSE_HANDLE,
        };
        static const struct option options[] = {
                { "user", required_argument, NULL, 'u' },
                { "service", required_argument, NULL, 's' },
                { "iterations", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, 'w' },
                { "rhost", required_argument, NULL, ARG_RHOST },
                { "tty", required_argument, NULL, ARG_TTY },
                { "tag", required_argument, NULL, ARG_TAG },
                { "reuse-handle", no_argument, NULL, ARG_REUSE_HANDLE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "u:s:n:w:h", options, NULL)) >= 0)
                switch (c) {
                case 'u':
                        arg_user = optarg;
                        break;
                case 's':
                        arg_service = optarg;
                        break;
                case 'n':
                        if (bench_parse_uint(optarg, 1, 100000000, &arg_iterations) < 0) {
                                fprintf(stderr, "pam_decision: bad --iterations: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (bench_parse_uint(optarg, 0, 100000000, &arg_warmup) < 0) {
                                fprintf(stderr, "pam_decision: bad --warmup: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_RHOST:
                        arg_rhost = optarg;
                        break;
                case ARG_TTY:
                        arg_tty = optarg;
                        break;
                case ARG_TAG:
                        arg_tag = optarg;
                        break;
                case ARG_REUSE_HANDLE:
                        arg_reuse_handle = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }

        if (!arg_user) {
                fprintf(stderr, "pam_decision: --user is required\n");
                return -EINVAL;
        }
        if (optind >= argc) {
                fprintf(stderr, "pam_decision: no LABEL=CONFDIR given\n");
                return -EINVAL;
        }
        for (int i = optind; i < argc; i++) {
                char *eq = strchr(argv[i], '=');

                if (!eq || eq == argv[i] || eq[1] == '\0') {
                        fprintf(stderr, "pam_decision: expected LABEL=CONFDIR, got: %s\n", argv[i]);
                        return -EINVAL;
                }
                if (arg_n_stacks >= STACKS_MAX) {
                        fprintf(stderr, "pam_decision: at most %d stacks\n", STACKS_MAX);
                        return -E2BIG;
                }
                *eq = '\0';
                arg_stacks[arg_n_stacks++] = (Stack) { .label = argv[i], .confdir = eq + 1 };
        }
        return 1;
}

int main(int argc, char *argv[]) {
        StackRun runs[STACKS_MAX] = {};
        int r, ret = EXIT_SUCCESS;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        for (size_t k = 0; k < arg_n_stacks; k++) {
                runs[k].samples = calloc(arg_iterations, sizeof(uint64_t));
                if (!runs[k].samples) {
                        fprintf(stderr, "pam_decision: out of memory\n");
                        ret = EXIT_FAILURE;
                        goto finish;
                }
        }

        if (bench_full(runs) < 0)
                ret = EXIT_FAILURE;
        if (arg_reuse_handle && bench_reuse_handle(runs) < 0)
                ret = EXIT_FAILURE;

finish:
        for (size_t k = 0; k < arg_n_stacks; k++)
                free(runs[k].samples);
        return ret;
}
