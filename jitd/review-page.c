/* HTML for the review link: the review page and the result pages. One
 * rule for every interpolated value: jit_sanitize() into a buffer of the
 * field's cap, then HTML-escape &, <, >, " and '. Values only ever appear
 * in element text or in double-quoted attribute values, never in a tag
 * name, URL, style or script context (there are no scripts at all), so
 * that escaping is sufficient. The pages post to their own URL (no action
 * attribute), which the CSP's form-action 'self' allows. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "review-page.h"
#include "text.h"

#define HOST_MAX 255U

const ReviewHeader review_page_headers[] = {
        { "Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
          "base-uri 'none'" },
        { "Referrer-Policy", "no-referrer" },
        { "X-Frame-Options", "DENY" },
        { "X-Content-Type-Options", "nosniff" },
        { "Cache-Control", "no-store" },
};
const size_t review_page_n_headers = ELEMENTSOF(review_page_headers);

static const char style[] =
        "body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "background:#f4f5f7;color:#1d1f23}"
        "main{max-width:36rem;margin:0 auto;padding:1rem}"
        "h1{font-size:1.35rem;margin:.5rem 0 1rem}"
        ".card{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem;"
        "box-shadow:0 1px 2px rgba(0,0,0,.12)}"
        ".lead{font-size:1.1rem;margin:0 0 .75rem}"
        ".code{font:700 1.4rem/1.2 ui-monospace,Menlo,Consolas,monospace;letter-spacing:.05em}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem .9rem;margin:0}"
        "dt{color:#5b616b}dd{margin:0;overflow-wrap:anywhere}"
        "label{display:block;margin:.25rem 0}"
        "select,input[type=text]{box-sizing:border-box;width:100%;font:inherit;padding:.55rem;"
        "border:1px solid #b8bec8;border-radius:.35rem;background:#fff}"
        "button{width:100%;font:inherit;font-weight:600;padding:.75rem;margin-top:.75rem;"
        "border:0;border-radius:.35rem;color:#fff;cursor:pointer}"
        ".approve button{background:#1a7f37}.deny button{background:#b42318}"
        ".note{color:#5b616b;font-size:.9rem}"
        ".ok{border-left:.35rem solid #1a7f37}.bad{border-left:.35rem solid #b42318}"
        ".info{border-left:.35rem solid #8a94a6}";

/* A page under construction. Markup comes from this file only; every
 * value goes through page_text(). The first failure (memory, a value that
 * cannot be sanitised) sticks and fails the render. */
typedef struct Page {
        FILE *f;
        char *buf;
        size_t size;
        bool failed;
} Page;

static int page_open(Page *p) {
        *p = (Page) {};
        p->f = open_memstream(&p->buf, &p->size);
        return p->f ? 0 : -ENOMEM;
}

static void page_discard(Page *p) {
        if (p->f)
                fclose(p->f);
        free(p->buf);
        *p = (Page) {};
}

static int page_finish(Page *p, char **ret, size_t *ret_size) {
        int r = 0;

        if (ferror(p->f))
                p->failed = true;
        if (fclose(p->f) != 0)
                p->failed = true;
        p->f = NULL;
        if (p->failed)
                r = -ENOMEM;
        else if (p->size > REVIEW_PAGE_MAX)
                r = -EMSGSIZE;
        if (r < 0) {
                page_discard(p);
                return r;
        }
        *ret = TAKE_PTR(p->buf);
        if (ret_size)
                *ret_size = p->size;
        return 0;
}

static void page_puts(Page *p, const char *markup) {
        if (fputs(markup, p->f) < 0)
                p->failed = true;
}

static void page_printf(Page *p, const char *format, ...) _printf_(2, 3);
static void page_printf(Page *p, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (vfprintf(p->f, format, ap) < 0)
                p->failed = true;
        va_end(ap);
}

static void escape_to(FILE *f, const char *s) {
        static const char *const entities[256] = {
                ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
        };

        for (const char *q = s; *q; q++) {
                const char *e = entities[(unsigned char) *q];

                if (e)
                        fputs(e, f);
                else
                        fputc(*q, f);
        }
}

/* A value, sanitised to at most `cap` bytes and escaped. Safe in element
 * text and in double-quoted attribute values. */
static void page_text(Page *p, const char *s, size_t cap) {
        char stack[JIT_REASON_MAX + 1];
        _cleanup_free_ char *heap = NULL;
        char *buf = stack;

        if (cap + 1 > sizeof(stack)) {
                heap = malloc(cap + 1);
                if (!heap) {
                        p->failed = true;
                        return;
                }
                buf = heap;
        }
        jit_sanitize(s, buf, cap + 1);
        escape_to(p->f, buf);
}

char *review_html_escape(const char *s) {
        Page p;
        char *ret = NULL;

        if (page_open(&p) < 0)
                return NULL;
        page_text(&p, s, s ? strlen(s) : 0);
        if (page_finish(&p, &ret, NULL) < 0)
                return NULL;
        return ret;
}

static void page_head(Page *p, const char *title) {
        page_puts(p,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<meta name=\"robots\" content=\"noindex, nofollow\">"
                  "<meta name=\"referrer\" content=\"no-referrer\"><title>");
        page_text(p, title, 200);
        page_puts(p, "</title><style>");
        page_puts(p, style);
        page_puts(p, "</style></head><body><main>\n");
}

static void page_tail(Page *p) {
        page_puts(p, "</main></body></html>\n");
}

static void page_fact(Page *p, const char *label, const char *value, size_t cap) {
        page_puts(p, "<dt>");
        page_puts(p, label);
        page_puts(p, "</dt><dd>");
        if (value && *value)
                page_text(p, value, cap);
        else
                page_puts(p, "&ndash;");
        page_puts(p, "</dd>");
}

static void page_time_fact(Page *p, const char *label, int64_t t) {
        char buf[64];

        if (t <= 0)
                return;
        page_fact(p, label, jit_format_time(t, buf, sizeof(buf)), sizeof(buf));
}

static const char *action_name(JitAction a) {
        const char *s = jit_action_to_string(a);

        return s ? s : "unknown";
}

static void page_duration(Page *p, uint64_t sec) {
        char buf[32];

        page_text(p, jit_format_duration(sec, buf, sizeof(buf)), sizeof(buf));
}

size_t review_duration_choices(uint64_t requested_sec, uint64_t default_sec, uint64_t max_sec,
                               uint64_t out[static REVIEW_DURATION_CHOICES_MAX], size_t *ret_selected) {
        static const uint64_t ladder[] = {
                15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600,
                24 * 3600, 2 * 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600,
        };
        uint64_t want;
        size_t n = 0, selected = 0;

        if (max_sec == 0 || max_sec > JIT_DURATION_MAX_SEC)
                max_sec = max_sec == 0 ? 3600 : JIT_DURATION_MAX_SEC;

        want = requested_sec > 0 ? requested_sec : default_sec;
        if (want == 0 || want > max_sec)
                want = max_sec;

        /* The ladder below max, then want and max, kept sorted and unique
         * by insertion (at most 13 values). */
        for (size_t i = 0; i <= ELEMENTSOF(ladder) + 1; i++) {
                uint64_t v = i < ELEMENTSOF(ladder) ? ladder[i] : i == ELEMENTSOF(ladder) ? want : max_sec;
                size_t k;

                if (v > max_sec)
                        continue;
                for (k = 0; k < n && out[k] < v; k++)
                        ;
                if (k < n && out[k] == v)
                        continue;
                memmove(out + k + 1, out + k, (n - k) * sizeof(out[0]));
                out[k] = v;
                n++;
        }

        for (size_t i = 0; i < n; i++)
                if (out[i] == want)
                        selected = i;
        if (ret_selected)
                *ret_selected = selected;
        return n;
}

/* Who asks for what, the match code, the facts, and what approving does. */
static void page_review_summary(Page *p, const ReviewPageView *v, bool extension) {
        page_printf(p, "<h1>%s request</h1>\n<section class=\"card\"><p class=\"lead\"><strong>",
                    extension ? "Extension" : "Access");
        page_text(p, v->user, JIT_USER_MAX);
        if (extension) {
                page_printf(p, "</strong> asks to extend <strong>%s</strong> grant <strong>", action_name(v->action));
                page_text(p, v->extends_grant_id, JIT_ID_MAX);
                page_puts(p, "</strong> on <strong>");
                page_text(p, v->host, HOST_MAX);
                page_puts(p, "</strong> by <strong>");
        } else {
                page_printf(p, "</strong> asks for <strong>%s</strong> on <strong>", action_name(v->action));
                page_text(p, v->host, HOST_MAX);
                page_puts(p, "</strong> for <strong>");
        }
        if (v->requested_duration_sec > 0)
                page_duration(p, v->requested_duration_sec);
        else
                page_puts(p, "the default time");
        page_puts(p, "</strong>.</p>\n<p>Match code <span class=\"code\">");
        page_text(p, v->match_code, JIT_MATCH_CODE_MAX);
        page_puts(p, "</span><br><span class=\"note\">The requester sees the same code. Approve only if "
                     "it matches what they tell you.</span></p>\n<dl>");
        page_fact(p, "Reason", v->reason, JIT_REASON_MAX);
        page_fact(p, "User", v->user, JIT_USER_MAX);
        page_fact(p, "Access", action_name(v->action), 16);
        page_fact(p, "Host", v->host, HOST_MAX);
        page_fact(p, "Service", v->service, JIT_SERVICE_MAX);
        page_fact(p, "From", v->rhost, JIT_RHOST_MAX);
        page_fact(p, "Terminal", v->tty, JIT_TTY_MAX);
        page_time_fact(p, "Asked at", v->created_at);
        page_time_fact(p, "Expires unanswered", v->expires_at);
        page_fact(p, "Request", v->request_id, JIT_ID_MAX);
        if (extension) {
                page_fact(p, "Extends grant", v->extends_grant_id, JIT_ID_MAX);
                page_time_fact(p, "Grant ends", v->extends_grant_expires_at);
        }
        page_puts(p, "</dl>");
}

/* What approving an extension does: expiry_extension_deadline(). */
static void page_extension_note(Page *p, const ReviewPageView *v) {
        page_puts(p, "<p class=\"note\">An extension: approved, the new grant ends the chosen time after "
                     "the current grant ends");
        if (v->extends_grant_expires_at > 0) {
                char buf[64];

                page_puts(p, " (");
                page_text(p, jit_format_time(v->extends_grant_expires_at, buf, sizeof(buf)), sizeof(buf));
                page_puts(p, ")");
        }
        page_puts(p, ", or after the approval if it has ended by then, and never later than ");
        page_duration(p, v->max_duration_sec > 0 ? v->max_duration_sec : 3600);
        page_puts(p, " after the approval. The current grant ends then; its sessions carry on.</p>");
}

/* The two forms, each with the CSRF token: approve with a duration, deny
 * with a reason. */
static void page_review_forms(Page *p, const ReviewPageView *v, bool extension) {
        uint64_t choices[REVIEW_DURATION_CHOICES_MAX];
        size_t n_choices, selected = 0;

        n_choices = review_duration_choices(v->requested_duration_sec, v->default_duration_sec,
                                            v->max_duration_sec, choices, &selected);

        page_puts(p, "<form method=\"post\" class=\"card approve\">"
                     "<input type=\"hidden\" name=\"" REVIEW_FIELD_CSRF "\" value=\"");
        page_text(p, v->csrf_token, 128);
        page_puts(p, "\"><input type=\"hidden\" name=\"" REVIEW_FIELD_DECISION "\" value=\"" REVIEW_DECISION_APPROVE
                     "\"><label for=\"duration\">");
        page_puts(p, extension ? "Extend by" : "Grant access for");
        page_puts(p, "</label><select id=\"duration\" name=\"" REVIEW_FIELD_DURATION "\">");
        for (size_t i = 0; i < n_choices; i++) {
                page_printf(p, "<option value=\"%" PRIu64 "\"%s>", choices[i], i == selected ? " selected" : "");
                page_duration(p, choices[i]);
                page_puts(p, "</option>");
        }
        page_puts(p, "</select><button type=\"submit\">Approve</button></form>\n");

        page_puts(p, "<form method=\"post\" class=\"card deny\">"
                     "<input type=\"hidden\" name=\"" REVIEW_FIELD_CSRF "\" value=\"");
        page_text(p, v->csrf_token, 128);
        page_printf(p, "\"><input type=\"hidden\" name=\"" REVIEW_FIELD_DECISION "\" value=\"" REVIEW_DECISION_DENY
                       "\"><label for=\"reason\">Reason (optional, the requester sees it)</label>"
                       "<input type=\"text\" id=\"reason\" name=\"" REVIEW_FIELD_REASON
                       "\" maxlength=\"%u\" autocomplete=\"off\">"
                       "<button type=\"submit\">Deny</button></form>\n",
                    JIT_REASON_MAX);
}

int review_page_render(const ReviewPageView *v, char **ret, size_t *ret_size) {
        char title[128];
        bool extension;
        Page p;
        int r;

        if (!v || !ret || !v->request_id || !*v->request_id || !v->csrf_token || !*v->csrf_token)
                return -EINVAL;

        r = page_open(&p);
        if (r < 0)
                return r;

        extension = v->extends_grant_id && *v->extends_grant_id;
        snprintf(title, sizeof(title), "Review %s request %.40s", extension ? "extension" : "access", v->request_id);
        page_head(&p, title);

        page_review_summary(&p, v, extension);
        if (extension)
                page_extension_note(&p, v);
        if (v->approvals_needed > 1)
                page_printf(&p,
                            "<p class=\"note\">Needs %u different approvers; %u so far.</p>",
                            v->approvals_needed, v->approvals);
        page_puts(&p, "</section>\n");

        if (v->approver && *v->approver) {
                page_puts(&p, "<p class=\"note\">You are reviewing as <strong>");
                page_text(&p, v->approver, JIT_USER_MAX);
                page_puts(&p, "</strong>.</p>\n");
        }

        page_review_forms(&p, v, extension);

        page_puts(&p, "<p class=\"note\">Opening this page changes nothing; only the buttons do.</p>\n");
        page_tail(&p);
        return page_finish(&p, ret, ret_size);
}

unsigned review_outcome_http_status(ReviewOutcomeKind k) {
        switch (k) {
        case REVIEW_OUTCOME_APPROVED:
        case REVIEW_OUTCOME_APPROVAL_RECORDED:
        case REVIEW_OUTCOME_ALREADY_COUNTED:
        case REVIEW_OUTCOME_DENIED:
                return 200;
        case REVIEW_OUTCOME_ALREADY_APPROVED:
        case REVIEW_OUTCOME_ALREADY_DENIED:
        case REVIEW_OUTCOME_WITHDRAWN:
        case REVIEW_OUTCOME_CLOSED:
                return 409;
        case REVIEW_OUTCOME_EXPIRED:
                return 410;
        case REVIEW_OUTCOME_INVALID_LINK:
                return 404;
        case REVIEW_OUTCOME_OWN_REQUEST:
        case REVIEW_OUTCOME_NOT_APPROVER:
        case REVIEW_OUTCOME_FORM_INVALID:
        case REVIEW_OUTCOME_PROXY_REQUIRED:
                return 403;
        case REVIEW_OUTCOME_DURATION_TOO_LONG:
                return 400;
        default:
                return 500;
        }
}

/* "alice's request for sudo on host" */
static void page_request_phrase(Page *p, const ReviewOutcome *o) {
        page_puts(p, "<strong>");
        page_text(p, o->user, JIT_USER_MAX);
        page_printf(p, "</strong>&#39;s request for <strong>%s</strong> on <strong>", action_name(o->action));
        page_text(p, o->host, HOST_MAX);
        page_puts(p, "</strong>");
}

static void page_until(Page *p, int64_t t) {
        char buf[64];

        if (t <= 0)
                return;
        page_puts(p, " Access ends at <strong>");
        page_text(p, jit_format_time(t, buf, sizeof(buf)), sizeof(buf));
        page_puts(p, "</strong>.");
}

static void page_by(Page *p, const char *by) {
        page_puts(p, " by <strong>");
        page_text(p, by && *by ? by : "someone", JIT_USER_MAX);
        page_puts(p, "</strong>");
}

/* Each outcome's title, card style and, for those that say nothing more,
 * its message. */
static const struct {
        const char *title;
        const char *class;
        const char *message;
} outcome_texts[_REVIEW_OUTCOME_MAX] = {
        [REVIEW_OUTCOME_APPROVED] = { .title = "Approved", .class = "ok" },
        [REVIEW_OUTCOME_APPROVAL_RECORDED] = { .title = "Approval recorded", .class = "ok" },
        [REVIEW_OUTCOME_ALREADY_COUNTED] = { .title = "Already counted", .class = "info" },
        [REVIEW_OUTCOME_DENIED] = { .title = "Denied", .class = "ok" },
        [REVIEW_OUTCOME_ALREADY_APPROVED] = { .title = "Already approved", .class = "info" },
        [REVIEW_OUTCOME_ALREADY_DENIED] = { .title = "Already denied", .class = "info" },
        [REVIEW_OUTCOME_WITHDRAWN] = { .title = "Withdrawn", .class = "info" },
        [REVIEW_OUTCOME_CLOSED] = { .title = "No longer pending", .class = "info",
                .message = "This request is no longer pending. Nothing changed." },
        [REVIEW_OUTCOME_EXPIRED] = { .title = "Expired", .class = "info",
                .message = "This request or this link has expired. Nothing changed; the requester can "
                           "ask again." },
        [REVIEW_OUTCOME_INVALID_LINK] = { .title = "Link not valid", .class = "bad",
                .message = "This review link is not valid. Use the link from the notification you "
                           "received." },
        [REVIEW_OUTCOME_OWN_REQUEST] = { .title = "Not allowed", .class = "bad",
                .message = "You cannot approve your own request. Another approver has to decide." },
        [REVIEW_OUTCOME_NOT_APPROVER] = { .title = "Not allowed", .class = "bad",
                .message = "You are not one of the approvers for this request." },
        [REVIEW_OUTCOME_FORM_INVALID] = { .title = "Form no longer valid", .class = "bad",
                .message = "This form is no longer valid. Nothing changed. Open the review link again "
                           "and decide from the fresh page." },
        [REVIEW_OUTCOME_DURATION_TOO_LONG] = { .title = "Duration too long", .class = "bad" },
        [REVIEW_OUTCOME_PROXY_REQUIRED] = { .title = "Sign in first", .class = "bad",
                .message = "This server answers only through its sign-in proxy. Open the review "
                           "link from the notification you received." },
        [REVIEW_OUTCOME_ERROR] = { .title = "Something went wrong", .class = "bad" },
};

/* "You approved alice's request for sudo on host." */
static void page_you_decided(Page *p, const ReviewOutcome *o, const char *verb) {
        page_printf(p, "You %s ", verb);
        if (o->user && *o->user)
                page_request_phrase(p, o);
        else
                page_puts(p, "the request");
        page_puts(p, ".");
}

static void page_already_decided(Page *p, const ReviewOutcome *o, const char *verb) {
        page_printf(p, "This request was already %s", verb);
        page_by(p, o->decided_by);
}

/* The first paragraph: what happened. */
static void page_outcome_message(Page *p, const ReviewOutcome *o) {
        switch (o->kind) {
        case REVIEW_OUTCOME_APPROVED:
                page_you_decided(p, o, "approved");
                page_until(p, o->grant_expires_at);
                page_puts(p, " The requester&#39;s waiting login or sudo continues now.");
                break;
        case REVIEW_OUTCOME_APPROVAL_RECORDED:
                page_printf(p,
                            "Your approval is counted: %u of %u. Access is granted once %u different "
                            "approvers have approved.",
                            o->approvals, o->approvals_needed, o->approvals_needed);
                break;
        case REVIEW_OUTCOME_ALREADY_COUNTED:
                page_printf(p,
                            "You have already approved this request (%u of %u approvals). One person "
                            "counts once; nothing changed.",
                            o->approvals, o->approvals_needed);
                break;
        case REVIEW_OUTCOME_DENIED:
                page_you_decided(p, o, "denied");
                break;
        case REVIEW_OUTCOME_ALREADY_APPROVED:
                page_already_decided(p, o, "approved");
                page_puts(p, ".");
                page_until(p, o->grant_expires_at);
                page_puts(p, " Nothing changed.");
                break;
        case REVIEW_OUTCOME_ALREADY_DENIED:
                page_already_decided(p, o, "denied");
                page_puts(p, ". Nothing changed.");
                break;
        case REVIEW_OUTCOME_WITHDRAWN: {
                const char *by = o->decided_by && *o->decided_by ? o->decided_by : o->user;

                page_puts(p, "This request was withdrawn by the requester, <strong>");
                page_text(p, by && *by ? by : "someone", JIT_USER_MAX);
                page_puts(p, "</strong>. There is nothing left to decide; nothing changed.");
                break;
        }
        case REVIEW_OUTCOME_DURATION_TOO_LONG:
                page_puts(p, "The chosen duration is longer than policy allows");
                if (o->max_duration_sec > 0) {
                        page_puts(p, " (at most <strong>");
                        page_duration(p, o->max_duration_sec);
                        page_puts(p, "</strong>)");
                }
                page_puts(p, ". Nothing changed.");
                break;
        default:
                page_puts(p, outcome_texts[o->kind].message ?: "The decision could not be recorded. Open the review "
                                                                "link again to see the current state.");
                break;
        }
}

int review_page_render_outcome(const ReviewOutcome *o, char **ret, size_t *ret_size) {
        Page p;
        int r;

        if (!o || !ret || o->kind < 0 || o->kind >= _REVIEW_OUTCOME_MAX)
                return -EINVAL;

        r = page_open(&p);
        if (r < 0)
                return r;

        page_head(&p, outcome_texts[o->kind].title);
        page_printf(&p, "<h1>%s</h1>\n<section class=\"card %s\"><p>", outcome_texts[o->kind].title,
                    outcome_texts[o->kind].class);
        page_outcome_message(&p, o);
        page_puts(&p, "</p>");

        if (o->kind == REVIEW_OUTCOME_DENIED || o->kind == REVIEW_OUTCOME_ALREADY_DENIED ||
            o->kind == REVIEW_OUTCOME_WITHDRAWN) {
                if (o->decision_reason && *o->decision_reason) {
                        page_puts(&p, "<p>Reason: ");
                        page_text(&p, o->decision_reason, JIT_REASON_MAX);
                        page_puts(&p, "</p>");
                }
        }
        if (o->request_id && *o->request_id) {
                page_puts(&p, "<p class=\"note\">Request ");
                page_text(&p, o->request_id, JIT_ID_MAX);
                page_puts(&p, "</p>");
        }
        page_puts(&p, "</section>\n");
        page_tail(&p);
        return page_finish(&p, ret, ret_size);
}
