/* The review links' routes on the generic HTTP server (see review-http.h).
 * Only /r/<token> with a well-formed token reaches a handler; GET and HEAD
 * go to the view handler only, so a link fetched by a chat unfurler or a
 * mail scanner can change nothing. A POST the browser marks as cross-site
 * (Sec-Fetch-Site) is refused before the decision handler sees it, and so
 * is one whose body is not a well-formed form or repeats a review field. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macros.h"
#include "review-form.h"
#include "review-http.h"
#include "review-page.h"
#include "review-token.h"

#define REVIEW_HEADERS_MAX 8U

typedef struct ReviewHttp {
        ReviewHttpHandler on_view;
        ReviewHttpHandler on_decision;
        void *userdata;
        HttpHeader headers[REVIEW_HEADERS_MAX];
} ReviewHttp;

/* "/r/<token>" -> token, or NULL. */
static const char *route_token(const char *path) {
        const char *token;

        if (!path || strncmp(path, REVIEW_PATH_PREFIX, strlen(REVIEW_PATH_PREFIX)) != 0)
                return NULL;
        token = path + strlen(REVIEW_PATH_PREFIX);
        return review_token_is_well_formed(token) ? token : NULL;
}

static unsigned review_http_check(const HttpRequest *req, void *userdata) {
        if (!route_token(req->path))
                return 404;
        if (req->method == HTTP_METHOD_OTHER)
                return 405;
        return 0;
}

static int review_http_page(unsigned status, HttpRefusal why, char **ret, size_t *ret_size) {
        ReviewOutcome o = {};

        if (status == 403)
                o.kind = why == HTTP_REFUSAL_PROXY_SECRET ? REVIEW_OUTCOME_PROXY_REQUIRED
                                                          : REVIEW_OUTCOME_FORM_INVALID;
        else if (status == 404)
                o.kind = REVIEW_OUTCOME_INVALID_LINK;
        else
                return -ENOENT; /* the server's plain page */
        return review_page_render_outcome(&o, ret, ret_size);
}

static int review_http_handle(HttpServer *s, const HttpRequest *req, HttpReply *reply, void *userdata) {
        ReviewHttp *rh = userdata;
        ReviewHttpRequest rq = {
                .method = req->method,
                .token = route_token(req->path),
                .identity = req->identity,
                .peer = req->peer,
                .user_agent = req->user_agent,
                .origin = http_request_header(req, "Origin"),
                .sec_fetch_site = http_request_header(req, "Sec-Fetch-Site"),
                .tls = req->tls,
        };
        ReviewForm form;

        if (!rq.token) {
                reply->status = 404;
                return 0;
        }
        if (req->method != HTTP_METHOD_POST)
                return rh->on_view(s, &rq, reply, rh->userdata);

        /* A browser says when a form was posted from another site; no
         * legitimate decision comes from one. */
        if (rq.sec_fetch_site && strcasecmp(rq.sec_fetch_site, "cross-site") == 0) {
                reply->status = 403;
                return 0;
        }
        if (req->form_error < 0 || review_form_pick(req->fields, req->n_fields, &form) < 0) {
                reply->status = 400;
                return 0;
        }
        rq.csrf = form.csrf;
        rq.decision = form.decision;
        rq.duration = form.duration;
        rq.reason = form.reason;
        return rh->on_decision(s, &rq, reply, rh->userdata);
}

int review_http_server_new(sd_event *event, const HttpServerSettings *settings, ReviewHttpHandler on_view,
                           ReviewHttpHandler on_decision, void *userdata, HttpServer **ret) {
        _cleanup_free_ ReviewHttp *rh = NULL;
        int r;

        if (!on_view || !on_decision || review_page_n_headers > REVIEW_HEADERS_MAX)
                return -EINVAL;
        rh = calloc(1, sizeof(*rh));
        if (!rh)
                return -ENOMEM;
        *rh = (ReviewHttp) { .on_view = on_view, .on_decision = on_decision, .userdata = userdata };
        for (size_t i = 0; i < review_page_n_headers; i++)
                rh->headers[i] = (HttpHeader) { review_page_headers[i].name, review_page_headers[i].value };

        r = http_server_new(event, settings,
                            &(HttpHandler) {
                                    .check = review_http_check,
                                    .handle = review_http_handle,
                                    .page = review_http_page,
                                    .destroy = free,
                                    .content_type = REVIEW_PAGE_CONTENT_TYPE,
                                    .headers = rh->headers,
                                    .n_headers = review_page_n_headers,
                                    .allow = "GET, HEAD, POST",
                            },
                            rh, ret);
        if (r < 0)
                return r;
        TAKE_PTR(rh);
        return 0;
}
