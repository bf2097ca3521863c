/* The approver's pages (jitd/review-page.c): the HTML escaper and both
 * page renderers, with every requester-controlled string from the input.
 *
 * Oracles:
 *   review_html_escape: clean UTF-8 out, no '<', '>', '"' or '\'' at all,
 *     and every '&' starts one of the five entities it writes;
 *   review_page_render and review_page_render_outcome: the page has exactly
 *     as many '<', '>', '"' and '\'' as the same page rendered with every
 *     non-empty string replaced by "x", i.e. no input string adds markup;
 *     and no control character other than newline anywhere in the page. */
#include "fuzz.h"
#include "review-page.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        return 0;
}

static void check_escape(const char *s) {
        _cleanup_free_ char *e = review_html_escape(s);
        static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };

        if (!e)
                return; /* out of memory or above REVIEW_PAGE_MAX: refused, fine */
        if (!fuzz_text_is_clean(e, strlen(e)))
                fuzz_fail("review_html_escape: not clean text: %s", e);
        if (strpbrk(e, "<>\"'"))
                fuzz_fail("review_html_escape left markup in \"%s\"", e);
        for (const char *a = strchr(e, '&'); a; a = strchr(a + 1, '&')) {
                bool known = false;

                for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
                        known = known || strncmp(a, entities[i], strlen(entities[i])) == 0;
                if (!known)
                        fuzz_fail("review_html_escape: a bare '&' in \"%s\"", e);
        }
}

static void count_markup(const char *page, size_t counts[4]) {
        memset(counts, 0, 4 * sizeof(size_t));
        for (const char *p = page; *p; p++) {
                const char *k = strchr("<>\"'", *p);

                if (*p && k)
                        counts[k - "<>\"'"]++;
        }
}

static const char *benign(const char *s) {
        return s && *s ? "x" : s;
}

static void check_same_markup(const char *what, const char *page, const char *plain) {
        size_t a[4], b[4];

        if (!fuzz_utf8_walk(page, strlen(page), fuzz_cp_not_control_but_newline, NULL))
                fuzz_fail("%s: a control character or invalid UTF-8 in the page:\n%s", what, page);
        count_markup(page, a);
        count_markup(plain, b);
        if (memcmp(a, b, sizeof(a)) != 0)
                fuzz_fail("%s: input strings changed the markup (< > \" ': %zu %zu %zu %zu, not %zu %zu %zu %zu):\n%s",
                          what, a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        uint8_t flags = fuzz_take_u8(&in);
        uint64_t requested = fuzz_take_u64(&in) % (400ULL * 86400ULL);
        char *s[9];
        _cleanup_free_ char *page = NULL, *plain = NULL;
        ReviewPageView v, vb;
        ReviewOutcome o, ob;

        for (size_t i = 0; i < 9; i++)
                s[i] = fuzz_take_string(&in);

        check_escape(s[0]);

        v = (ReviewPageView) {
                .request_id = "rabcdefghjkmnpqrs",
                .user = s[0],
                .host = s[1],
                .action = flags & 1 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN,
                .service = s[2],
                .rhost = s[3],
                .tty = s[4],
                .reason = s[5],
                .match_code = s[6],
                .requested_duration_sec = requested,
                .default_duration_sec = 1800,
                .max_duration_sec = 8 * 3600,
                .created_at = 1900000000,
                .expires_at = 1900000600,
                .approver = s[7],
                .csrf_token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
                .approvals = flags >> 4,
                .approvals_needed = (flags >> 1) & 7,
                .extends_grant_id = flags & 0x80 ? s[8] : NULL,
                .extends_grant_expires_at = flags & 0x80 ? 1900003600 : 0,
        };
        vb = v;
        vb.user = benign(v.user);
        vb.host = benign(v.host);
        vb.service = benign(v.service);
        vb.rhost = benign(v.rhost);
        vb.tty = benign(v.tty);
        vb.reason = benign(v.reason);
        vb.match_code = benign(v.match_code);
        vb.approver = benign(v.approver);
        vb.extends_grant_id = benign(v.extends_grant_id);
        if (review_page_render(&v, &page, NULL) >= 0 && review_page_render(&vb, &plain, NULL) >= 0)
                check_same_markup("review_page_render", page, plain);
        free(page);
        free(plain);
        page = plain = NULL;

        o = (ReviewOutcome) {
                .kind = (ReviewOutcomeKind) (flags % _REVIEW_OUTCOME_MAX),
                .request_id = "rabcdefghjkmnpqrs",
                .user = s[0],
                .action = flags & 1 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN,
                .host = s[1],
                .decided_by = s[7],
                .grant_expires_at = flags & 0x40 ? 1900003600 : 0,
                .decision_reason = s[5],
                .approvals = flags >> 4,
                .approvals_needed = (flags >> 1) & 7,
                .max_duration_sec = 8 * 3600,
        };
        ob = o;
        ob.user = benign(o.user);
        ob.host = benign(o.host);
        ob.decided_by = benign(o.decided_by);
        ob.decision_reason = benign(o.decision_reason);
        if (review_page_render_outcome(&o, &page, NULL) >= 0 && review_page_render_outcome(&ob, &plain, NULL) >= 0)
                check_same_markup("review_page_render_outcome", page, plain);

        for (size_t i = 0; i < 9; i++)
                free(s[i]);
        return 0;
}
