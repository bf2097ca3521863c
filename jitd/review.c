/* The review pages (see review.h). Both handlers start with the same
 * lookup, and every path through it only reads: the token's hash finds the
 * link, the link its request; a link that is unknown, expired, for a
 * request no longer pending, for someone who may not approve (any more), or
 * for the requester themselves ends in a result page. Only then does a GET
 * render the form and a POST check the CSRF token and the form and decide.
 * The token itself is never logged. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config-approvers.h"
#include "decision.h"
#include "jitd.h"
#include "log.h"
#include "review-server.h"
#include "review-page.h"
#include "review-token.h"
#include "review.h"
#include "store-outbox.h"
#include "text.h"

typedef struct Review {
        Manager *m;
        ReviewLinkRecord link;
        RequestRecord request;
        GrantRecord grant;
        bool have_grant;
        char approver[JIT_USER_MAX + 1];
        bool shared; /* the link names nobody; the trusted header did */
        unsigned approvals, approvals_needed;
        char host[HOST_NAME_MAX + 1];
} Review;

static void outcome_init(const Review *rv, ReviewOutcomeKind kind, ReviewOutcome *o) {
        *o = (ReviewOutcome){
                .kind = kind,
                .approvals = rv->approvals,
                .approvals_needed = rv->approvals_needed,
        };
        if (rv->request.id[0]) {
                o->request_id = rv->request.id;
                o->user = rv->request.user;
                o->action = rv->request.action;
                o->host = rv->host;
                o->decided_by = rv->request.decided_by;
                o->decision_reason = rv->request.decision_reason;
                if (rv->have_grant)
                        o->grant_expires_at = rv->grant.expires_at;
                if (rv->request.action >= 0 && rv->request.action < _JIT_ACTION_MAX)
                        o->max_duration_sec = rv->m->config.policy[rv->request.action].max_duration_sec;
        }
}

static int reply_outcome(const Review *rv, ReviewOutcomeKind kind, HttpReply *reply) {
        ReviewOutcome o;
        int r;

        outcome_init(rv, kind, &o);
        r = review_page_render_outcome(&o, &reply->body, &reply->size);
        if (r < 0)
                return r;
        reply->status = review_outcome_http_status(kind);
        return 0;
}

/* What a decided or closed request says. */
static ReviewOutcomeKind state_outcome(Review *rv, int64_t now) {
        switch (rv->request.state) {
        case REQUEST_PENDING:
                return rv->request.expires_at <= now ? REVIEW_OUTCOME_EXPIRED : _REVIEW_OUTCOME_INVALID;
        case REQUEST_APPROVED:
                if (rv->request.grant_id[0] && store_get_grant(rv->m->store, rv->request.grant_id, &rv->grant) >= 0)
                        rv->have_grant = true;
                return REVIEW_OUTCOME_ALREADY_APPROVED;
        case REQUEST_DENIED:
                return REVIEW_OUTCOME_ALREADY_DENIED;
        case REQUEST_EXPIRED:
                return REVIEW_OUTCOME_EXPIRED;
        case REQUEST_CANCELLED:
                return REVIEW_OUTCOME_WITHDRAWN;
        default:
                return REVIEW_OUTCOME_CLOSED;
        }
}

/* _REVIEW_OUTCOME_INVALID: go on (render or decide); otherwise the page to
 * show instead. Reads only. */
static ReviewOutcomeKind review_lookup(Review *rv, const ReviewHttpRequest *req) {
        Manager *m = rv->m;
        ReviewTokenHash h;
        int64_t now = jit_now_realtime();
        ReviewOutcomeKind kind;
        int r;

        if (gethostname(rv->host, sizeof(rv->host) - 1) < 0 || !rv->host[0])
                snprintf(rv->host, sizeof(rv->host), "localhost");

        if (!review_server_key(m) || review_token_hash(req->token, &h) < 0)
                return REVIEW_OUTCOME_INVALID_LINK;
        r = store_review_link_get(m->store, &h, &rv->link);
        if (r == -ENOENT)
                return REVIEW_OUTCOME_INVALID_LINK;
        if (r < 0) {
                log_error_errno(r, "Cannot look up a review link: %m");
                return REVIEW_OUTCOME_ERROR;
        }
        r = store_get_request(m->store, rv->link.request_id, &rv->request);
        if (r < 0) {
                rv->request = (RequestRecord){};
                if (r == -ENOENT)
                        return REVIEW_OUTCOME_INVALID_LINK;
                log_error_errno(r, "Cannot read request %s for a review link: %m", rv->link.request_id);
                return REVIEW_OUTCOME_ERROR;
        }
        if (rv->request.action < 0 || rv->request.action >= _JIT_ACTION_MAX)
                return REVIEW_OUTCOME_ERROR;
        rv->approvals_needed = approver_config_quorum(m->config.approval, rv->request.action);
        (void) store_count_approvals(m->store, rv->request.id, &rv->approvals);

        kind = state_outcome(rv, now);
        if (kind != _REVIEW_OUTCOME_INVALID)
                return kind;
        if (!review_link_is_live(rv->link.expires_at, now))
                return REVIEW_OUTCOME_EXPIRED;

        /* Who is deciding: the person the link was made for, or (shared
         * link) the one the trusted proxy names. Behind a proxy that names
         * someone, a per-approver link works only for that person. */
        if (rv->link.approver[0]) {
                if (req->identity && strcmp(req->identity, rv->link.approver) != 0)
                        return REVIEW_OUTCOME_NOT_APPROVER;
                snprintf(rv->approver, sizeof(rv->approver), "%s", rv->link.approver);
        } else {
                if (!req->identity || !jit_user_name_is_valid(req->identity))
                        return REVIEW_OUTCOME_NOT_APPROVER;
                snprintf(rv->approver, sizeof(rv->approver), "%s", req->identity);
                rv->shared = true;
        }
        if (strcmp(rv->approver, rv->request.user) == 0)
                return REVIEW_OUTCOME_OWN_REQUEST;
        /* The configuration may have changed since the link was made. */
        if (!approver_config_is_approver(m->config.approval, rv->request.action, rv->approver))
                return REVIEW_OUTCOME_NOT_APPROVER;
        if (rv->approvals_needed > 1 && store_has_approval(m->store, rv->request.id, rv->approver))
                return REVIEW_OUTCOME_ALREADY_COUNTED;
        return _REVIEW_OUTCOME_INVALID;
}

int review_on_view(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata) {
        Review rv = { .m = userdata };
        const ActionPolicy *ap;
        char csrf[REVIEW_CSRF_STRING_MAX];
        GrantRecord extended = {};
        ReviewOutcomeKind kind;
        int r;

        kind = review_lookup(&rv, req);
        if (kind != _REVIEW_OUTCOME_INVALID)
                return reply_outcome(&rv, kind, reply);

        /* An extension: the approver sees which grant and until when it
         * runs now; an ended one shows no end (the time counts from the
         * approval then). */
        if (rv.request.extends_grant_id[0] &&
            (store_get_grant(rv.m->store, rv.request.extends_grant_id, &extended) < 0 ||
             extended.state != GRANT_ACTIVE))
                extended.expires_at = 0;

        r = review_csrf_token(review_server_key(rv.m), req->token, rv.shared ? rv.approver : NULL, csrf);
        if (r < 0)
                return r;

        ap = &rv.m->config.policy[rv.request.action];
        r = review_page_render(&(ReviewPageView) {
                                       .request_id = rv.request.id,
                                       .user = rv.request.user,
                                       .host = rv.host,
                                       .action = rv.request.action,
                                       .service = rv.request.service,
                                       .rhost = rv.request.rhost,
                                       .tty = rv.request.tty,
                                       .reason = rv.request.reason,
                                       .match_code = rv.request.match_code,
                                       .requested_duration_sec = rv.request.duration_sec,
                                       .default_duration_sec = ap->default_duration_sec,
                                       .max_duration_sec = ap->max_duration_sec,
                                       .created_at = rv.request.created_at,
                                       .expires_at = rv.request.expires_at,
                                       .approver = rv.approver,
                                       .csrf_token = csrf,
                                       .approvals = rv.approvals,
                                       .approvals_needed = rv.approvals_needed,
                                       .extends_grant_id = rv.request.extends_grant_id,
                                       .extends_grant_expires_at = extended.expires_at,
                               },
                               &reply->body, &reply->size);
        explicit_bzero(csrf, sizeof(csrf));
        if (r < 0)
                return r;
        reply->status = 200;
        return 0;
}

/* "https://jit.example.com/base" -> does `origin` name the same scheme,
 * host and port? Browsers send "null" under Referrer-Policy: no-referrer;
 * that, and no Origin at all, leave the decision to the CSRF token. */
static bool origin_allowed(const char *public_url, const char *origin) {
        const char *host;
        size_t n;

        if (!origin || strcmp(origin, "null") == 0)
                return true;
        if (!public_url)
                return false;
        host = strstr(public_url, "://");
        if (!host)
                return false;
        n = (size_t) (host + 3 - public_url) + strcspn(host + 3, "/");
        return strlen(origin) == n && strncasecmp(origin, public_url, n) == 0;
}

static void log_refused(const Review *rv, const ReviewHttpRequest *req, const char *why) {
        log_notice("Review decision from %s for %s refused: %s.", req->peer ?: "?",
                   rv->request.id[0] ? rv->request.id : "an unknown link", why);
}

int review_on_decision(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata) {
        Review rv = { .m = userdata };
        ReviewDecision d;
        DecisionResult res;
        DecisionInput in;
        ReviewOutcomeKind kind;
        int r;

        kind = review_lookup(&rv, req);
        if (kind != _REVIEW_OUTCOME_INVALID)
                return reply_outcome(&rv, kind, reply);

        if (!origin_allowed(review_server_public_url(rv.m), req->origin)) {
                log_refused(&rv, req, "posted from another origin");
                return reply_outcome(&rv, REVIEW_OUTCOME_FORM_INVALID, reply);
        }
        if (!review_csrf_verify(review_server_key(rv.m), req->token, rv.shared ? rv.approver : NULL, req->csrf)) {
                log_refused(&rv, req, "missing or wrong CSRF token");
                return reply_outcome(&rv, REVIEW_OUTCOME_FORM_INVALID, reply);
        }
        r = review_form_parse(req->decision, req->duration, req->reason,
                              rv.m->config.policy[rv.request.action].max_duration_sec, &d);
        if (r == -ERANGE) {
                log_refused(&rv, req, "duration above the policy maximum");
                return reply_outcome(&rv, REVIEW_OUTCOME_DURATION_TOO_LONG, reply);
        }
        if (r < 0) {
                log_refused(&rv, req, "malformed form");
                return reply_outcome(&rv, REVIEW_OUTCOME_FORM_INVALID, reply);
        }

        in = (DecisionInput){
                .request_id = rv.request.id,
                .approver = rv.approver,
                /* The link (or the trusted header) names a person, not an
                 * account that someone else could be behind. */
                .approver_person = rv.approver,
                .via = "web",
                .duration_sec = d.kind == REVIEW_DECISION_KIND_APPROVE ? d.duration_sec : 0,
                .reason = d.kind == REVIEW_DECISION_KIND_DENY ? d.reason : NULL,
        };
        if (d.kind == REVIEW_DECISION_KIND_APPROVE)
                r = decision_approve(rv.m, &in, &res);
        else
                r = decision_deny(rv.m, &in, &res);

        if (r >= 0 || r == -ESTALE || r == -EALREADY) {
                rv.request = res.request;
                rv.approvals = res.approvals;
                if (res.approvals_needed > 0)
                        rv.approvals_needed = res.approvals_needed;
        }
        if (r >= 0 && res.outcome == DECISION_APPROVED) {
                rv.grant = res.grant;
                rv.have_grant = true;
        }

        switch (r) {
        case 0:
                switch (res.outcome) {
                case DECISION_APPROVED:
                        kind = REVIEW_OUTCOME_APPROVED;
                        break;
                case DECISION_APPROVAL_RECORDED:
                        kind = REVIEW_OUTCOME_APPROVAL_RECORDED;
                        break;
                default:
                        kind = REVIEW_OUTCOME_DENIED;
                }
                break;
        case -ESTALE:
                kind = state_outcome(&rv, jit_now_realtime());
                if (kind == _REVIEW_OUTCOME_INVALID)
                        kind = REVIEW_OUTCOME_CLOSED;
                break;
        case -EALREADY:
                kind = REVIEW_OUTCOME_ALREADY_COUNTED;
                break;
        case -EPERM:
                kind = REVIEW_OUTCOME_OWN_REQUEST;
                break;
        case -ERANGE:
                kind = REVIEW_OUTCOME_DURATION_TOO_LONG;
                break;
        case -EINVAL:
                kind = REVIEW_OUTCOME_FORM_INVALID;
                break;
        case -ENOENT:
                kind = REVIEW_OUTCOME_INVALID_LINK;
                break;
        default:
                log_error_errno(r, "Cannot record the decision on %s: %m", rv.request.id);
                kind = REVIEW_OUTCOME_ERROR;
        }
        return reply_outcome(&rv, kind, reply);
}
