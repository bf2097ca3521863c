/* The review links' pages: what GET/HEAD and POST on /r/<token> do. A GET
 * or HEAD only reads (chat unfurlers and mail scanners fetch every link);
 * only a POST with the CSRF token bound to the link (and, for a shared
 * link, to the person the trusted proxy names) decides, through the same
 * decision code as jitctl. The handlers are http-server.h's callbacks,
 * with the Manager as userdata. */
#pragma once

#include "http-server.h"

int review_on_view(HttpServer *s, const HttpReviewRequest *req, HttpReply *reply, void *userdata);
int review_on_decision(HttpServer *s, const HttpReviewRequest *req, HttpReply *reply, void *userdata);
