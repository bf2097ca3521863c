/* "resend", which sends a request's failed webhook messages again or
 * reminds the approvers of a pending request, and the part of "show" that
 * says what resend would act on: the delivery state of those messages and
 * the quorum votes they brought back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jitctl.h"
#include "text.h"

#define ENDPOINT_NAME_MAX 32

void show_notifications(struct json_object *params) {
        struct json_object *a = field_array(params, "notifications");
        struct json_object *votes = field_array(params, "approvals");
        size_t n = a ? json_object_array_length(a) : 0, n_votes = votes ? json_object_array_length(votes) : 0;
        int64_t needed = 0;

        if (field_int(params, "approvals_needed", &needed) && (needed > 1 || n_votes > 0)) {
                printf("  Approvals:    %zu of %lld\n", n_votes, (long long) (needed > 0 ? needed : 1));
                for (size_t i = 0; i < n_votes; i++) {
                        struct json_object *v = json_object_array_get_idx(votes, i);
                        char who[WHO_MAX], via[32], when[64], d[32];
                        int64_t t, duration;

                        printf("    %s", field_who(v, "approver", "person", "?", who, sizeof(who)));
                        if (field_int(v, "approved_at", &t))
                                printf("  %s", format_when(t, when, sizeof(when)));
                        if (field_str(v, "via", NULL, via, sizeof(via)))
                                printf("  via %s", via);
                        if (field_int(v, "duration", &duration) && duration > 0)
                                printf("  for %s", jit_format_duration((uint64_t) duration, d, sizeof(d)));
                        putchar('\n');
                }
        }

        if (n == 0)
                return;
        printf("  Notifications:\n");
        for (size_t i = 0; i < n; i++) {
                struct json_object *o = json_object_array_get_idx(a, i);
                char endpoint[ENDPOINT_NAME_MAX + 1], event[16], state[16], error[256], when[64];
                int64_t attempts = 0, status = 0, t;

                printf("    %-12s %-9s %-10s", field_str(o, "endpoint", "?", endpoint, sizeof(endpoint)),
                       field_str(o, "event", "?", event, sizeof(event)), field_str(o, "state", "?", state, sizeof(state)));
                (void) field_int(o, "attempts", &attempts);
                printf(" %lld attempt%s", (long long) attempts, attempts == 1 ? "" : "s");
                if (field_int(o, "last_status", &status) && status > 0)
                        printf(", HTTP %lld", (long long) status);
                if (strcmp(state, "delivered") == 0 && field_int(o, "delivered_at", &t))
                        printf(", delivered %s", format_when(t, when, sizeof(when)));
                else if (strcmp(state, "pending") == 0 && field_int(o, "next_attempt_at", &t))
                        printf(", next %s", format_when(t, when, sizeof(when)));
                putchar('\n');
                if (strcmp(state, "delivered") != 0 && field_str(o, "last_error", NULL, error, sizeof(error)))
                        printf("      last error: %s\n", error);
        }
}

static bool endpoint_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > ENDPOINT_NAME_MAX)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '_'))
                        return false;
        return true;
}

int verb_resend(JitctlArgs *args, int argc, char **argv) {
        static const struct option options[] = {
                GLOBAL_OPTIONS,
                { "endpoint", required_argument, NULL, ARG_ENDPOINT },
                {},
        };
        _cleanup_json_ struct json_object *m = NULL, *p = NULL;
        CallContext what = { .doing = "resending notifications", .needs = "membership in the admin group" };
        const char *id, *endpoint = NULL;
        struct json_object *params;
        int64_t queued = 0;
        int c, r;

        optind = 0;
        while ((c = next_option(args, argc, argv, options)) > 0) {
                if (c == ARG_ENDPOINT) {
                        if (!endpoint_name_is_valid(optarg)) {
                                char buf[64];

                                usage_error("invalid endpoint name '%s'", jit_sanitize(optarg, buf, sizeof(buf)));
                                return JITCTL_EXIT_USAGE;
                        }
                        endpoint = optarg;
                } else
                        return option_error(c, argv);
        }
        if (c < 0)
                return -c;
        r = id_argument(argc, argv, "resend", 'r', "request", &id);
        if (r)
                return r;
        what.id = id;

        p = json_object_new_object();
        if (!p || json_add_string_nonnull(p, "request_id", id) < 0 ||
            (endpoint && json_add_string_nonnull(p, "endpoint", endpoint) < 0))
                return oom();
        r = jitctl_call(args, JIT_METHOD_RESEND, TAKE_PTR(p), &what, &m);
        if (r)
                return r;
        params = reply_parameters(m);

        if (args->json) {
                jitctl_print_json(params);
                return JITCTL_EXIT_OK;
        }
        (void) field_int(params, "queued", &queued);
        if (queued > 0)
                printf("Queued %lld message%s for %s; see 'jitctl show %s'.\n", (long long) queued,
                       queued == 1 ? "" : "s", id, id);
        else
                printf("Nothing to resend for %s: no messages waiting or failed, and it is no longer pending.\n", id);
        return JITCTL_EXIT_OK;
}
