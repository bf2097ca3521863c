/* The review server's lifecycle (see review-server.h): secrets and key
 * loaded, the libmicrohttpd server started with review.c's handlers, the
 * public URL worked out, and all of it erased at stop. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-approvers.h"
#include "crypto-util.h"
#include "http-server.h"
#include "log.h"
#include "macros.h"
#include "review-server.h"
#include "review.h"

#define KEY_FILE_NAME "review.key"

struct ReviewServer {
        HttpServer *http;
        ReviewKey key;
        char *proxy_secret; /* [review] identity_secret_file's content */
        size_t proxy_secret_size;
        char *public_url; /* the base of every link, without trailing slash */
};

static char *effective_public_url(const ReviewConfig *rc, HttpServer *http) {
        uint16_t port = rc->listen_port;

        /* listen=host:0 (tests): the port the kernel picked. */
        if (!rc->public_url && rc->listen_address && http && port == 0 && http_server_local_port(http, &port) < 0)
                return NULL;
        return review_link_base(rc, port);
}

static void on_http_log(void *userdata, const char *message) {
        log_debug("Review server: %s", message);
}

static int listen_start(Manager *m, ReviewServer *rs) {
        const ReviewConfig *rc = &m->config.approval->review;
        const char *proxies[HTTP_TRUSTED_PROXIES_MAX];
        size_t n_proxies = 0;
        int k;

        if (!rc->listen_address)
                return 0;
        for (size_t i = 0; i < rc->trusted_proxies.n && n_proxies < HTTP_TRUSTED_PROXIES_MAX; i++)
                proxies[n_proxies++] = rc->trusted_proxies.items[i];

        k = review_http_server_new(m->event,
                            &(HttpServerSettings) {
                                    .listen_fd = -1,
                                    .address = rc->listen_address,
                                    .port = rc->listen_port,
                                    .tls_cert_file = rc->tls_cert,
                                    .tls_key_file = rc->tls_key,
                                    .connection_limit = rc->max_connections,
                                    .per_ip_connection_limit = rc->max_connections_per_ip,
                                    .connection_timeout_sec = (unsigned) rc->connection_timeout_sec,
                                    .request_timeout_sec = (unsigned) rc->request_timeout_sec,
                                    .post_body_max = (size_t) rc->max_body,
                                    .identity_header = rc->identity_header,
                                    .trusted_proxies = n_proxies > 0 ? proxies : NULL,
                                    .n_trusted_proxies = n_proxies,
                                    .identity_secret_header = rc->identity_secret_header,
                                    .identity_secret = rs->proxy_secret,
                                    .identity_secret_size = rs->proxy_secret_size,
                                    .priority = JITD_PRIORITY_USER,
                                    .log = on_http_log,
                            },
                            review_on_view, review_on_decision, m, &rs->http);
        if (k < 0)
                return log_error_errno(k,
                                       "Cannot start the review server on %s: %m. Review links will not work; "
                                       "approve with jitctl.",
                                       rc->listen);
        return 0;
}

static int load_proxy_secret(const ReviewConfig *rc, ReviewServer *rs) {
        char error[256] = "";
        int k;

        if (!rc->identity_header)
                return 0;
        /* config_approvers_check() refuses identity_header without it. */
        if (!rc->identity_secret_file)
                return log_error_errno(-EINVAL, "[review] identity_header needs identity_secret_file.");
        k = http_proxy_secret_load(rc->identity_secret_file, &rs->proxy_secret, &rs->proxy_secret_size, error,
                                   sizeof(error));
        if (k < 0)
                return log_error_errno(k, "[review] identity_secret_file %s: %s", rc->identity_secret_file,
                                       error[0] ? error : strerror(-k));
        return 0;
}

static int load_key(const Config *c, ReviewServer *rs) {
        _cleanup_free_ char *path = NULL;
        char error[256] = "";
        int k;

        if (c->approval->review.key_file)
                path = strdup(c->approval->review.key_file);
        else if (asprintf(&path, "%s/%s", c->state_directory ?: "/var/lib/jitd", KEY_FILE_NAME) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;
        k = review_key_load_or_create(path, &rs->key, error, sizeof(error));
        if (k < 0)
                return log_error_errno(k, "Review key %s: %s", path, error[0] ? error : strerror(-k));
        return 0;
}

int review_server_start(Manager *m) {
        const ReviewConfig *rc = &m->config.approval->review;
        ReviewServer *rs;
        int k;

        rs = calloc(1, sizeof(ReviewServer));
        if (!rs)
                return log_error_errno(-ENOMEM, "Out of memory.");
        m->review_server = rs;

        k = load_proxy_secret(rc, rs);
        if (k < 0)
                return k;
        k = load_key(&m->config, rs);
        if (k < 0)
                return k;

        (void) listen_start(m, rs);
        rs->public_url = effective_public_url(rc, rs->http);
        if (!rs->public_url)
                log_warning("No review server and no [review] public_url: webhook messages carry no review links.");
        else if (rs->http)
                log_info("Review links: %s/r/..., served on %s.", rs->public_url, rc->listen);
        return 0;
}

void review_server_stop(Manager *m) {
        ReviewServer *rs = m->review_server;

        if (!rs)
                return;
        rs->http = http_server_free(rs->http);
        erase_and_free(rs->proxy_secret, rs->proxy_secret_size);
        review_key_erase(&rs->key);
        free(rs->public_url);
        free(rs);
        m->review_server = NULL;
}

const ReviewKey *review_server_key(Manager *m) {
        return m->review_server ? &m->review_server->key : NULL;
}

const char *review_server_public_url(Manager *m) {
        return m->review_server ? m->review_server->public_url : NULL;
}
