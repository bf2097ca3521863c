/* The review links over HTTP (review-http.c): the one resource the review
 * server serves, /r/<token>, on the generic HTTP server (http-server.h):
 *   GET, HEAD  -> the view handler renders a page; it must never change state
 *   POST       -> the form's fields are picked (review-form.h) and the
 *                 decision handler runs
 * Anything else is 404 (other paths, malformed tokens) or 405 (other
 * methods). The handlers return HTML with a status; every response carries
 * the review pages' security headers (review-page.h). */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "http-server.h"

#define REVIEW_PATH_PREFIX "/r/"

typedef struct ReviewHttpRequest {
        HttpMethod method;
        const char *token;          /* the <token> path segment; well formed (review_token_is_well_formed) */
        const char *identity;       /* from the trusted header, or NULL */
        const char *peer;           /* numeric client address */
        const char *user_agent;     /* sanitised, may be NULL */
        const char *origin;         /* Origin header, may be NULL (POST: check it if present) */
        const char *sec_fetch_site; /* Sec-Fetch-Site header, may be NULL */
        bool tls;
        /* POST form fields; NULL when absent. Values are percent-decoded,
         * contain no NUL, and fit within post_body_max. */
        const char *csrf;
        const char *decision;
        const char *duration;
        const char *reason;
} ReviewHttpRequest;

/* Return 0 with *reply filled, or <0 for a 500 with a generic page. */
typedef int (*ReviewHttpHandler)(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata);

/* An HTTP server (http_server_new()) that serves the review links with
 * these handlers; release it with http_server_free(). */
int review_http_server_new(sd_event *event, const HttpServerSettings *settings, ReviewHttpHandler on_view,
                           ReviewHttpHandler on_decision, void *userdata, HttpServer **ret);
