/* What the review server parses itself out of a request libmicrohttpd
 * hands it: the POST body (http_form_parse in jitd/http-server.c), the
 * decision in it (review_form_parse in review-page.c), the link token from
 * the path and the CSRF token (review-token.c). The input: 8 bytes of the
 * policy's max duration, then the body; the form's csrf field doubles as
 * a link token and a hash in hex.
 *
 * Oracles: form values hold no NUL and stay within 4 KiB; an approval's
 * duration is within 1 s .. the policy max; a denial's reason is clean and
 * within JIT_REASON_MAX; a well-formed token is 43 characters of the
 * URL-safe alphabet; a hash read from hex prints back as the same hex; a
 * CSRF token verifies exactly when it equals the one computed for the
 * link and person. */
#include <ctype.h>
#include <errno.h>

#include "fuzz.h"
#include "http-server.h"
#include "jit-protocol.h"
#include "review-page.h"
#include "review-token.h"
#include "text.h"

static ReviewKey key;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        memset(&key, 0x5a, sizeof(key));
        return 0;
}

static void check_token(const char *s) {
        ReviewTokenHash h;
        char hex[REVIEW_TOKEN_HASH_HEX_MAX];

        if (review_token_is_well_formed(s)) {
                if (strlen(s) != REVIEW_TOKEN_LENGTH || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                  "0123456789-_") != REVIEW_TOKEN_LENGTH)
                        fuzz_fail("review_token_is_well_formed accepted \"%s\"", s);
                if (review_token_hash(s, &h) < 0)
                        fuzz_fail("a well-formed token does not hash");
        } else if (review_token_hash(s, &h) >= 0)
                fuzz_fail("review_token_hash hashed a malformed token");

        if (review_token_hash_from_hex(s, &h) >= 0) {
                review_token_hash_to_hex(&h, hex);
                if (strlen(s) != strlen(hex) || strncasecmp(s, hex, strlen(hex)) != 0)
                        fuzz_fail("hash hex \"%s\" reads back as \"%s\"", s, hex);
        }
}

static void check_csrf(const char *link_token, const char *identity, const char *csrf) {
        char expected[REVIEW_CSRF_STRING_MAX];
        bool computed = review_csrf_token(&key, link_token, identity, expected) >= 0;
        bool should = computed && csrf && strcmp(csrf, expected) == 0;

        if (review_csrf_verify(&key, link_token, identity, csrf) != should)
                fuzz_fail("review_csrf_verify(\"%s\", \"%s\", \"%s\") != %d", link_token, identity ?: "(null)",
                          csrf ?: "(null)", should);
        if (computed && !review_csrf_verify(&key, link_token, identity, expected))
                fuzz_fail("the CSRF token computed for a link does not verify");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        uint64_t max = fuzz_take_u64(&in) % (2 * JIT_DURATION_MAX_SEC);
        _cleanup_free_ char *storage = NULL;
        HttpForm form = {};
        ReviewDecision d;
        const char *fields[4];

        if (http_form_parse((const char *) in.data, in.size, &form, &storage) < 0)
                return 0;

        fields[0] = form.csrf;
        fields[1] = form.decision;
        fields[2] = form.duration;
        fields[3] = form.reason;
        for (size_t i = 0; i < 4; i++)
                if (fields[i] && (fields[i] < storage || fields[i] > storage + in.size || strlen(fields[i]) > 4096))
                        fuzz_fail("form field %zu is outside the body or above 4 KiB", i);

        if (form.decision && review_form_parse(form.decision, form.duration, form.reason, max, &d) >= 0) {
                if (d.kind == REVIEW_DECISION_KIND_APPROVE &&
                    (d.duration_sec < 1 || d.duration_sec > JIT_DURATION_MAX_SEC || (max > 0 && d.duration_sec > max)))
                        fuzz_fail("approved for %llu s with max %llu", (unsigned long long) d.duration_sec,
                                  (unsigned long long) max);
                if (d.kind == REVIEW_DECISION_KIND_DENY)
                        fuzz_assert_clean("denial reason", d.reason, JIT_REASON_MAX);
        }

        if (form.csrf) {
                check_token(form.csrf);
                check_csrf(form.csrf, form.reason, form.duration);
                check_csrf(form.csrf, NULL, form.decision);
        }
        return 0;
}
