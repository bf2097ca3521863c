/* seed_grants: fill a jitd database with live grants before jitd starts,
 * through jitd's own store code (store.h), so the schema and every row are
 * exactly what jitd writes. Each synthetic user PREFIX00001.. gets what an
 * approval leaves behind: a request, then store_approve_request() turning
 * it into an active grant (--breakglass: a bare grant via
 * store_insert_grant() instead). --user adds one more approved grant for
 * the benchmark user, whose Check must answer "allow".
 *
 * Going through the store instead of 100,000 io.jit.Grant calls skips the
 * per-grant audit entry and expiry timer set-up, which the benchmarks do
 * not measure; jitd still loads and schedules every grant when it starts. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bench-util.h"
#include "store.h"

static const char *arg_database = NULL;
static const char *arg_prefix = "bench";
static const char *arg_user = NULL;
static JitAction arg_action = JIT_ACTION_LOGIN;
static uint64_t arg_count = 0;
static uint64_t arg_ttl = 8 * 3600;
static bool arg_breakglass = false;

/* Ids look like jitd's: a type letter and 16 hex digits, unique per run. */
static uint64_t id_base;

static void make_id(char *buf, char type, uint64_t n) {
        snprintf(buf, JIT_ID_MAX, "%c%016" PRIx64, type, id_base + n);
}

static int seed_one(Store *s, uint64_t n, const char *user, JitAction action, int64_t now, int64_t expires_at) {
        GrantRecord g = {
                .action = action,
                .created_at = now,
                .expires_at = expires_at,
                .state = GRANT_ACTIVE,
                .breakglass = arg_breakglass,
        };
        RequestRecord rq = {
                .action = action,
                .duration_sec = (uint64_t) (expires_at - now),
                .state = REQUEST_PENDING,
                .created_at = now,
                .expires_at = now + 3600,
        };

        make_id(g.id, 'g', n);
        snprintf(g.user, sizeof(g.user), "%s", user);
        snprintf(g.approver, sizeof(g.approver), "root");
        snprintf(g.reason, sizeof(g.reason), "benchmark seed");

        if (arg_breakglass)
                return store_insert_grant(s, &g);

        make_id(rq.id, 'r', n);
        snprintf(rq.user, sizeof(rq.user), "%s", user);
        snprintf(rq.service, sizeof(rq.service), "%s", action == JIT_ACTION_SUDO ? "sudo" : "sshd");
        snprintf(rq.rhost, sizeof(rq.rhost), "127.0.0.1");
        snprintf(rq.tty, sizeof(rq.tty), "ssh");
        snprintf(rq.reason, sizeof(rq.reason), "benchmark seed");
        snprintf(rq.match_code, sizeof(rq.match_code), "%06" PRIu64, n % 1000000);
        memcpy(g.request_id, rq.id, sizeof(g.request_id));

        int r = store_insert_request(s, &rq);
        if (r < 0)
                return r;
        return store_approve_request(s, rq.id, "root", now, &g);
}

static void help(void) {
        printf("Usage: seed_grants [OPTIONS] --database PATH --count N\n"
               "Write N live grants (users PREFIX00001..) into a jitd database.\n\n"
               "  -D --database=PATH    database file (created if missing; jitd not running)\n"
               "  -n --count=N          synthetic users with a grant (0..10000000)\n"
               "  -p --prefix=TEXT      user name prefix (default: bench)\n"
               "  -u --user=USER        also grant USER (the benchmark user)\n"
               "  -a --action=ACTION    login or sudo (default: login)\n"
               "  -t --ttl=SEC          grant lifetime (default: 28800)\n"
               "     --breakglass       bare break-glass grants instead of approved requests\n"
               "  -h --help             this text\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_BREAKGLASS = 0x100,
        };
        static const struct option options[] = {
                { "database", required_argument, NULL, 'D' },
                { "count", required_argument, NULL, 'n' },
                { "prefix", required_argument, NULL, 'p' },
                { "user", required_argument, NULL, 'u' },
                { "action", required_argument, NULL, 'a' },
                { "ttl", required_argument, NULL, 't' },
                { "breakglass", no_argument, NULL, ARG_BREAKGLASS },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "D:n:p:u:a:t:h", options, NULL)) >= 0)
                switch (c) {
                case 'D':
                        arg_database = optarg;
                        break;
                case 'n':
                        if (bench_parse_uint(optarg, 0, 10000000, &arg_count) < 0) {
                                fprintf(stderr, "seed_grants: bad --count: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'p':
                        if (strlen(optarg) > JIT_USER_MAX - 8) {
                                fprintf(stderr, "seed_grants: --prefix too long\n");
                                return -EINVAL;
                        }
                        arg_prefix = optarg;
                        break;
                case 'u':
                        if (strlen(optarg) > JIT_USER_MAX) {
                                fprintf(stderr, "seed_grants: --user too long\n");
                                return -EINVAL;
                        }
                        arg_user = optarg;
                        break;
                case 'a':
                        arg_action = jit_action_from_string(optarg);
                        if (arg_action < 0) {
                                fprintf(stderr, "seed_grants: bad --action: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 't':
                        if (bench_parse_uint(optarg, 60, 366 * 24 * 3600, &arg_ttl) < 0) {
                                fprintf(stderr, "seed_grants: bad --ttl: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_BREAKGLASS:
                        arg_breakglass = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }

        if (!arg_database) {
                fprintf(stderr, "seed_grants: --database is required\n");
                return -EINVAL;
        }
        if (optind < argc) {
                fprintf(stderr, "seed_grants: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        Store *s = NULL;
        int64_t now = (int64_t) time(NULL);
        uint64_t t0, n;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (getrandom(&id_base, sizeof(id_base), 0) != sizeof(id_base)) {
                fprintf(stderr, "seed_grants: getrandom: %m\n");
                return EXIT_FAILURE;
        }
        id_base &= ~UINT64_C(0xffffffff); /* room for the counter */

        r = store_open(arg_database, &s);
        if (r < 0) {
                fprintf(stderr, "seed_grants: store_open %s: %s\n", arg_database, strerror(-r));
                return EXIT_FAILURE;
        }

        t0 = bench_now_nsec();
        for (n = 1; n <= arg_count; n++) {
                char user[JIT_USER_MAX + 1];

                snprintf(user, sizeof(user), "%s%05" PRIu64, arg_prefix, n);
                /* Spread the deadlines over an hour, as real grants would be. */
                r = seed_one(s, n, user, arg_action, now, now + (int64_t) arg_ttl + (int64_t) (n % 3600));
                if (r < 0) {
                        fprintf(stderr, "seed_grants: grant %" PRIu64 " (%s): %s\n", n, user, strerror(-r));
                        store_close(s);
                        return EXIT_FAILURE;
                }
                if (n % 20000 == 0)
                        fprintf(stderr, "seed_grants: %" PRIu64 "/%" PRIu64 "\n", n, arg_count);
        }
        if (arg_user) {
                r = seed_one(s, n, arg_user, arg_action, now, now + (int64_t) arg_ttl);
                if (r < 0) {
                        fprintf(stderr, "seed_grants: grant for %s: %s\n", arg_user, strerror(-r));
                        store_close(s);
                        return EXIT_FAILURE;
                }
                n++;
        }
        store_close(s);

        printf("seed_grants grants=%" PRIu64 " seconds=%.1f\n", n - 1, (double) (bench_now_nsec() - t0) / 1e9);
        return EXIT_SUCCESS;
}
