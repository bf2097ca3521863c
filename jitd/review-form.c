/* The review form (see review-form.h): picking the fields out of a
 * decoded POST body, and reading the decision from them. Values are
 * checked here, not trusted: a reason is sanitised and bounded, a duration
 * parsed and held to the policy's maximum. */
#include <errno.h>
#include <string.h>

#include "review-form.h"
#include "text.h"

int review_form_pick(const HttpFormField *fields, size_t n_fields, ReviewForm *ret) {
        static const char *const names[] = {
                REVIEW_FIELD_CSRF,
                REVIEW_FIELD_DECISION,
                REVIEW_FIELD_DURATION,
                REVIEW_FIELD_REASON,
        };
        const char *values[4] = {};

        if ((!fields && n_fields > 0) || !ret)
                return -EINVAL;
        for (size_t i = 0; i < n_fields; i++)
                for (size_t k = 0; k < 4; k++) {
                        if (strcmp(fields[i].name, names[k]) != 0)
                                continue;
                        /* A repeated field is ambiguous: which one did the
                         * person mean? */
                        if (values[k])
                                return -EBADMSG;
                        values[k] = fields[i].value;
                }

        *ret = (ReviewForm) {
                .csrf = values[0],
                .decision = values[1],
                .duration = values[2],
                .reason = values[3],
        };
        return 0;
}

int review_form_parse(const char *decision, const char *duration, const char *reason, uint64_t max_duration_sec,
                      ReviewDecision *ret) {
        ReviewDecision d = {};
        int r;

        if (!ret || !decision)
                return -EINVAL;

        if (strcmp(decision, REVIEW_DECISION_APPROVE) == 0) {
                d.kind = REVIEW_DECISION_KIND_APPROVE;
                if (!duration || strlen(duration) > 32)
                        return -EINVAL;
                r = jit_parse_duration(duration, &d.duration_sec);
                if (r < 0)
                        return r == -ERANGE ? -ERANGE : -EINVAL;
                if (max_duration_sec > 0 && d.duration_sec > max_duration_sec)
                        return -ERANGE;
        } else if (strcmp(decision, REVIEW_DECISION_DENY) == 0) {
                d.kind = REVIEW_DECISION_KIND_DENY;
                if (reason) {
                        if (strnlen(reason, JIT_REASON_MAX + 1) > JIT_REASON_MAX)
                                return -EMSGSIZE;
                        jit_sanitize(reason, d.reason, sizeof(d.reason));
                }
        } else
                return -EINVAL;

        *ret = d;
        return 0;
}
