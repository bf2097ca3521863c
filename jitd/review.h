/* The review links' pages: what GET/HEAD and POST on /r/<token> do. A GET
 * or HEAD only reads (chat unfurlers and mail scanners fetch every link);
 * only a POST with the CSRF token bound to the link (and, for a shared
 * link, to the person the trusted proxy names) decides, through the same
 * decision code as jitctl. The handlers are review-http.h's callbacks,
 * with the Manager as userdata. */
#pragma once

#include "review-http.h"

int review_on_view(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata);
int review_on_decision(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata);
