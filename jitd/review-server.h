/* The review server's lifecycle: the web server that serves review links
 * (/r/<token>), with what it needs to start: the CSRF key, the trusted
 * proxy's shared secret, and the public URL every link is built from. What
 * its pages do is review.c's; how HTTP is spoken is http-server.c's. It
 * runs only while the outbox does (outbox_start() starts it): without
 * webhooks, nobody gets a link. */
#pragma once

#include "jitd.h"
#include "review-token.h"

typedef struct ReviewServer ReviewServer;

/* Load the proxy secret (when [review] identity_header is set) and the
 * review key (created on first use), listen if [review] listen= is set, and
 * work out the links' base URL. A secret or key that cannot be read is
 * fatal (<0); a server that cannot listen is logged and left out (links
 * then go nowhere: approve with jitctl). */
int review_server_start(Manager *m);
void review_server_stop(Manager *m);

/* For review.c: the CSRF key, and the base URL links use, without a
 * trailing slash (its origin is the only one a decision may be posted
 * from). NULL when the server is not set up; the URL also when neither a
 * listener nor [review] public_url gives one. */
const ReviewKey *review_server_key(Manager *m);
const char *review_server_public_url(Manager *m);
