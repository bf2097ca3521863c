/* Tests for the review pages: everything an approver needs is on the page,
 * the page is self-contained (no scripts, no external assets, a viewport
 * for phones), every field survives hostile input (markup, quotes, control
 * characters), the duration choices never exceed policy, result pages say
 * what happened with the right HTTP status, the security headers are the
 * documented ones, and the form's values are parsed strictly. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review-page.h"
#include "test.h"

#define HOSTILE "<script>alert(1)</script>\"'><img src=x onerror=alert(2)> & \x1b[2J\n\xe2\x80\xae\xff"

static const ReviewPageView base_view = {
        .request_id = "r7k2qx9pmd3t1bfa0",
        .user = "alice",
        .host = "sbx-12",
        .action = JIT_ACTION_SUDO,
        .service = "sudo",
        .rhost = "10.1.2.3",
        .tty = "pts/3",
        .reason = "deploy hotfix 1234",
        .match_code = "482-913",
        .requested_duration_sec = 2 * 3600,
        .default_duration_sec = 3600,
        .max_duration_sec = 4 * 3600,
        .created_at = 1795442700,
        .expires_at = 1795443600,
        .approver = "bob",
        .csrf_token = "PDDpNKpuKA-dKASN_xl4Fcd14dpwd0edIgjItWJMtj0",
};

static char *render(const ReviewPageView *v) {
        char *html = NULL;
        size_t size = 0;

        CHECK_INT(review_page_render(v, &html, &size), 0);
        if (html)
                CHECK_INT(size, strlen(html));
        return html;
}

static size_t count(const char *haystack, const char *needle) {
        size_t n = 0;

        for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* Properties every page we send must have. */
static void check_self_contained(const char *html) {
        CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
        CHECK(strstr(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">") != NULL);
        CHECK(strstr(html, "<meta charset=\"utf-8\">") != NULL);
        CHECK(!strstr(html, "<script"));
        /* No element that loads anything (escaped text may say "src="). */
        CHECK(!strstr(html, "src=\""));
        CHECK(!strstr(html, "href=\""));
        CHECK(!strstr(html, "<link"));
        CHECK(!strstr(html, "<iframe"));
        CHECK(!strstr(html, "http://"));
        CHECK(!strstr(html, "https://"));
        CHECK(!strstr(html, "url("));
        CHECK(!strstr(html, "@import"));
        /* No control characters at all (newlines between elements aside). */
        for (const unsigned char *p = (const unsigned char *) html; *p; p++)
                CHECK(*p >= 0x20 || *p == '\n');
        CHECK(strlen(html) <= REVIEW_PAGE_MAX);
}

static void test_review_page(void) {
        char *html = render(&base_view);

        if (!html)
                return;
        check_self_contained(html);
        CHECK(strstr(html, "<strong>alice</strong> asks for <strong>sudo</strong> on <strong>sbx-12</strong>") != NULL);
        CHECK(strstr(html, "482-913") != NULL);
        CHECK(strstr(html, "deploy hotfix 1234") != NULL);
        CHECK(strstr(html, "10.1.2.3") != NULL);
        CHECK(strstr(html, "pts/3") != NULL);
        CHECK(strstr(html, "r7k2qx9pmd3t1bfa0") != NULL);
        CHECK(strstr(html, "2026-11-23 14:20:00 UTC") != NULL); /* expires unanswered */
        CHECK(strstr(html, "You are reviewing as <strong>bob</strong>") != NULL);

        /* Two POST forms to this same URL, each with the CSRF token. */
        CHECK_INT(count(html, "<form method=\"post\""), 2);
        CHECK(!strstr(html, "action="));
        CHECK(!strstr(html, "method=\"get\""));
        CHECK_INT(count(html, "<input type=\"hidden\" name=\"csrf\" value=\"PDDpNKpuKA-dKASN_xl4Fcd14dpwd0edIgjItWJMtj0\">"), 2);
        CHECK(strstr(html, "name=\"decision\" value=\"approve\"") != NULL);
        CHECK(strstr(html, "name=\"decision\" value=\"deny\"") != NULL);
        CHECK(strstr(html, "name=\"reason\" maxlength=\"512\"") != NULL);

        /* Durations: never above 4h, the requested 2h preselected. */
        CHECK(strstr(html, "<option value=\"7200\" selected>2h</option>") != NULL);
        CHECK(strstr(html, "<option value=\"14400\">4h</option>") != NULL);
        CHECK(strstr(html, "<option value=\"900\">15m</option>") != NULL);
        CHECK(!strstr(html, "value=\"28800\""));
        CHECK_INT(count(html, " selected>"), 1);
        /* No quorum line for a single approver. */
        CHECK(!strstr(html, "different approvers"));
        free(html);

        /* Quorum progress. */
        {
                ReviewPageView v = base_view;

                v.approvals = 1;
                v.approvals_needed = 2;
                html = render(&v);
                CHECK(html && strstr(html, "Needs 2 different approvers; 1 so far.") != NULL);
                free(html);
        }

        /* Requested more than policy allows: capped, max preselected. */
        {
                ReviewPageView v = base_view;

                v.requested_duration_sec = 3 * 24 * 3600;
                html = render(&v);
                CHECK(html && strstr(html, "<option value=\"14400\" selected>4h</option>") != NULL);
                CHECK(html && !strstr(html, "value=\"259200\""));
                free(html);
        }

        /* Refused without the things that make it safe to post. */
        {
                ReviewPageView v = base_view;
                char *out = NULL;

                v.csrf_token = NULL;
                CHECK_INT(review_page_render(&v, &out, NULL), -EINVAL);
                v = base_view;
                v.request_id = "";
                CHECK_INT(review_page_render(&v, &out, NULL), -EINVAL);
                CHECK(out == NULL);
        }
}

/* An extension (jitctl extend) says so, names the grant and its current
 * end, and what approving it does: the chosen time counts from that end,
 * capped at max_duration from the approval. */
static void test_review_page_extension(void) {
        ReviewPageView v = base_view;
        char *html;

        v.extends_grant_id = "g4za8hy3d8083168";
        v.extends_grant_expires_at = 1795446300; /* 2026-11-23 15:05:00 UTC */
        html = render(&v);
        if (!html)
                return;
        check_self_contained(html);
        CHECK(strstr(html, "<h1>Extension request</h1>") != NULL);
        CHECK(strstr(html, "<strong>alice</strong> asks to extend <strong>sudo</strong> grant "
                           "<strong>g4za8hy3d8083168</strong> on <strong>sbx-12</strong> by <strong>2h</strong>") != NULL);
        CHECK(strstr(html, "<dt>Extends grant</dt><dd>g4za8hy3d8083168</dd>") != NULL);
        CHECK(strstr(html, "<dt>Grant ends</dt><dd>2026-11-23 15:05:00 UTC</dd>") != NULL);
        CHECK(strstr(html, "the new grant ends the chosen time after the current grant ends "
                           "(2026-11-23 15:05:00 UTC)") != NULL);
        CHECK(strstr(html, "never later than 4h after the approval") != NULL);
        CHECK(strstr(html, ">Extend by</label>") != NULL);
        CHECK(!strstr(html, "Grant access for"));
        free(html);

        /* Not an extension: none of it. */
        html = render(&base_view);
        CHECK(html && !strstr(html, "xtend"));
        CHECK(html && strstr(html, "<h1>Access request</h1>") != NULL);
        free(html);

        /* The extended grant has ended: no end shown, still an extension. */
        v.extends_grant_expires_at = 0;
        html = render(&v);
        CHECK(html && strstr(html, "<dt>Extends grant</dt>") != NULL);
        CHECK(html && !strstr(html, "Grant ends"));
        CHECK(html && strstr(html, "or after the approval if it has ended by then") != NULL);
        free(html);

        /* The grant id is escaped like every other value. */
        v.extends_grant_id = HOSTILE;
        html = render(&v);
        CHECK(html && !strstr(html, "<script>"));
        free(html);
}

static void test_review_page_hostile(void) {
        ReviewPageView v = base_view;
        char *html;

        v.user = v.host = v.service = v.rhost = v.tty = v.reason = v.match_code = v.approver = v.request_id =
                v.csrf_token = HOSTILE;
        html = render(&v);
        if (!html)
                return;
        check_self_contained(html);
        CHECK(!strstr(html, "<img"));
        CHECK(!strstr(html, "onerror=alert(2)>"));
        CHECK(!strstr(html, "\"'>"));
        CHECK(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt; "
                           "&amp; ?[2J??") != NULL);
        /* Inside the attribute, the token cannot close the quote. */
        CHECK(strstr(html, "name=\"csrf\" value=\"&lt;script&gt;") != NULL);
        /* The bidi override and the bad byte are gone, not escaped. */
        CHECK(!strstr(html, "\xe2\x80\xae"));
        CHECK(!strstr(html, "\xff"));
        free(html);

        /* Long values are capped, never the page. */
        {
                char *big = malloc(100000);

                memset(big, 'x', 99999);
                big[99999] = 0;
                v = base_view;
                v.reason = v.user = v.host = big;
                html = render(&v);
                CHECK(html && strlen(html) < 8000);
                free(html);
                free(big);
        }
}

static void test_escape(void) {
        char *s;

        s = review_html_escape("a&b<c>d\"e'f");
        CHECK_STR(s, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        free(s);
        s = review_html_escape("tab\there\x7f\xc2\x9b");
        CHECK_STR(s, "tab?here??");
        free(s);
        s = review_html_escape(NULL);
        CHECK_STR(s, "");
        free(s);
        s = review_html_escape("caf\xc3\xa9");
        CHECK_STR(s, "caf\xc3\xa9");
        free(s);
}

static void test_duration_choices(void) {
        uint64_t out[REVIEW_DURATION_CHOICES_MAX];
        size_t n, selected;

        n = review_duration_choices(7200, 3600, 4 * 3600, out, &selected);
        CHECK_INT(n, 5); /* 15m 30m 1h 2h 4h */
        CHECK_INT(out[0], 900);
        CHECK_INT(out[n - 1], 4 * 3600);
        CHECK_INT(out[selected], 7200);

        /* An odd request is offered as is, in order. */
        n = review_duration_choices(5400, 3600, 4 * 3600, out, &selected);
        CHECK_INT(n, 6);
        CHECK_INT(out[3], 5400);
        CHECK_INT(selected, 3);
        for (size_t i = 1; i < n; i++)
                CHECK(out[i - 1] < out[i]);

        /* Nothing requested: the policy default. */
        n = review_duration_choices(0, 1800, 4 * 3600, out, &selected);
        CHECK_INT(out[selected], 1800);

        /* Above max, or default above max: max. */
        n = review_duration_choices(999999, 0, 3 * 3600, out, &selected);
        CHECK_INT(out[selected], 3 * 3600);
        CHECK_INT(out[n - 1], 3 * 3600);
        n = review_duration_choices(0, 86400, 600, out, &selected);
        CHECK_INT(n, 1);
        CHECK_INT(out[0], 600);

        /* Very large max: bounded list, all ascending, none above max. */
        n = review_duration_choices(123, 0, 366ULL * 86400, out, &selected);
        CHECK(n <= REVIEW_DURATION_CHOICES_MAX);
        CHECK_INT(out[0], 123);
        CHECK_INT(out[n - 1], 366ULL * 86400);
        for (size_t i = 1; i < n; i++)
                CHECK(out[i - 1] < out[i]);
}

static void test_outcomes(void) {
        for (ReviewOutcomeKind k = 0; k < _REVIEW_OUTCOME_MAX; k++) {
                ReviewOutcome o = {
                        .kind = k,
                        .request_id = HOSTILE,
                        .user = HOSTILE,
                        .host = HOSTILE,
                        .action = JIT_ACTION_LOGIN,
                        .decided_by = HOSTILE,
                        .grant_expires_at = 1795446300,
                        .decision_reason = HOSTILE,
                        .approvals = 1,
                        .approvals_needed = 2,
                        .max_duration_sec = 3600,
                };
                char *html = NULL;

                CHECK_INT(review_page_render_outcome(&o, &html, NULL), 0);
                if (!html)
                        continue;
                check_self_contained(html);
                CHECK(!strstr(html, "<img"));
                CHECK(!strstr(html, "<form"));
                CHECK(review_outcome_http_status(k) >= 200);
                free(html);
        }

        {
                ReviewOutcome o = { .kind = REVIEW_OUTCOME_ALREADY_APPROVED, .decided_by = "carol",
                                    .grant_expires_at = 1795446300 };
                char *html = NULL;

                CHECK_INT(review_page_render_outcome(&o, &html, NULL), 0);
                CHECK(html && strstr(html, "already approved by <strong>carol</strong>") != NULL);
                CHECK(html && strstr(html, "2026-11-23 15:05:00 UTC") != NULL);
                CHECK(html && strstr(html, "Nothing changed") != NULL);
                free(html);
        }
        {
                ReviewOutcome o = { .kind = REVIEW_OUTCOME_APPROVED, .user = "alice", .host = "sbx-12",
                                    .action = JIT_ACTION_SUDO, .grant_expires_at = 1795446300 };
                char *html = NULL;

                CHECK_INT(review_page_render_outcome(&o, &html, NULL), 0);
                CHECK(html && strstr(html, "<h1>Approved</h1>") != NULL);
                CHECK(html && strstr(html, "<strong>alice</strong>&#39;s request for <strong>sudo</strong>") != NULL);
                free(html);
        }
        /* A request its requester withdrew says so, with their reason;
         * not "denied", not a vague "no longer pending". */
        {
                ReviewOutcome o = { .kind = REVIEW_OUTCOME_WITHDRAWN, .request_id = "r7k2qx9pmd3t1bfa", .user = "alice",
                                    .host = "sbx-12", .action = JIT_ACTION_SUDO, .decided_by = "alice",
                                    .decision_reason = "fixed it myself" };
                char *html = NULL;

                CHECK_INT(review_page_render_outcome(&o, &html, NULL), 0);
                CHECK(html && strstr(html, "<h1>Withdrawn</h1>") != NULL);
                CHECK(html && strstr(html, "withdrawn by the requester, <strong>alice</strong>") != NULL);
                CHECK(html && strstr(html, "Reason: fixed it myself") != NULL);
                CHECK(html && strstr(html, "nothing changed") != NULL);
                CHECK(html && !strstr(html, "enied"));
                free(html);
        }
        {
                ReviewOutcome o = { .kind = REVIEW_OUTCOME_APPROVAL_RECORDED, .approvals = 1,
                                    .approvals_needed = 2 };
                char *html = NULL;

                CHECK_INT(review_page_render_outcome(&o, &html, NULL), 0);
                CHECK(html && strstr(html, "1 of 2") != NULL);
                free(html);
        }

        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_APPROVED), 200);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_ALREADY_APPROVED), 409);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_WITHDRAWN), 409);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_EXPIRED), 410);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_INVALID_LINK), 404);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_FORM_INVALID), 403);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_OWN_REQUEST), 403);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_DURATION_TOO_LONG), 400);
        CHECK_INT(review_outcome_http_status(REVIEW_OUTCOME_ERROR), 500);
        {
                ReviewOutcome o = { .kind = _REVIEW_OUTCOME_MAX };
                char *html = NULL;

                CHECK_INT(review_page_render_outcome(&o, &html, NULL), -EINVAL);
        }
}

static void test_headers(void) {
        static const struct {
                const char *name, *value;
        } expected[] = {
                { "Content-Security-Policy",
                  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
                  "base-uri 'none'" },
                { "Referrer-Policy", "no-referrer" },
                { "X-Frame-Options", "DENY" },
                { "X-Content-Type-Options", "nosniff" },
                { "Cache-Control", "no-store" },
        };

        CHECK_INT(review_page_n_headers, 5);
        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
                bool found = false;

                for (size_t j = 0; j < review_page_n_headers; j++)
                        if (strcmp(review_page_headers[j].name, expected[i].name) == 0) {
                                CHECK_STR(review_page_headers[j].value, expected[i].value);
                                found = true;
                        }
                CHECK(found);
        }
        CHECK_STR(REVIEW_PAGE_CONTENT_TYPE, "text/html; charset=utf-8");
}

static void test_form_parse(void) {
        ReviewDecision d;
        char reason[600];

        CHECK_INT(review_form_parse("approve", "3600", NULL, 4 * 3600, &d), 0);
        CHECK_INT(d.kind, REVIEW_DECISION_KIND_APPROVE);
        CHECK_INT(d.duration_sec, 3600);
        CHECK_INT(review_form_parse("approve", "1h30m", NULL, 4 * 3600, &d), 0);
        CHECK_INT(d.duration_sec, 5400);
        CHECK_INT(review_form_parse("approve", "14400", NULL, 4 * 3600, &d), 0);

        /* Above policy: refused, never silently capped. */
        CHECK_INT(review_form_parse("approve", "14401", NULL, 4 * 3600, &d), -ERANGE);
        CHECK_INT(review_form_parse("approve", "367d", NULL, 4 * 3600, &d), -ERANGE);
        CHECK_INT(review_form_parse("approve", "0", NULL, 4 * 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse("approve", "-5", NULL, 4 * 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse("approve", "1h ", NULL, 4 * 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse("approve", "", NULL, 4 * 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse("approve", NULL, NULL, 4 * 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse("approve", "99999999999999999999999", NULL, 4 * 3600, &d), -ERANGE);

        CHECK_INT(review_form_parse("deny", NULL, "not now", 3600, &d), 0);
        CHECK_INT(d.kind, REVIEW_DECISION_KIND_DENY);
        CHECK_STR(d.reason, "not now");
        CHECK_INT(review_form_parse("deny", NULL, NULL, 3600, &d), 0);
        CHECK_STR(d.reason, "");
        CHECK_INT(review_form_parse("deny", NULL, "line1\nline2\x1b[0m", 3600, &d), 0);
        CHECK_STR(d.reason, "line1?line2?[0m");
        memset(reason, 'r', sizeof(reason) - 1);
        reason[sizeof(reason) - 1] = 0;
        CHECK_INT(review_form_parse("deny", NULL, reason, 3600, &d), -EMSGSIZE);
        reason[JIT_REASON_MAX] = 0;
        CHECK_INT(review_form_parse("deny", NULL, reason, 3600, &d), 0);

        CHECK_INT(review_form_parse("Approve", "3600", NULL, 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse("grant", "3600", NULL, 3600, &d), -EINVAL);
        CHECK_INT(review_form_parse(NULL, "3600", NULL, 3600, &d), -EINVAL);
}

int main(int argc, char **argv) {
        test_review_page();
        test_review_page_hostile();
        test_review_page_extension();
        test_escape();
        test_duration_choices();
        test_outcomes();
        test_headers();
        test_form_parse();
        return test_result("test_review_page");
}
