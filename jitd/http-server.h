/* The review-link HTTP server: libmicrohttpd in external-epoll mode, run
 * from jitd's sd-event loop (MHD's epoll fd as one io source, MHD's timeout
 * as one time source), with limits on connections (total and per address,
 * the oldest connection still waiting for its request giving way to a new
 * one), idle time, the time a request may take, request memory and body
 * size, and optional TLS. It routes
 * exactly one resource, /r/<token>:
 *   GET, HEAD  -> the view handler renders a page; it must never change state
 *   POST       -> form fields are parsed and the decision handler runs
 * Anything else is 404 (other paths) or 405 (other methods). The handlers
 * return HTML with a status; this file adds the security headers to every
 * response. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct HttpServer HttpServer;

#define HTTP_CONNECTION_LIMIT_DEFAULT 64U
#define HTTP_PER_IP_CONNECTION_LIMIT_DEFAULT 16U
#define HTTP_CONNECTION_TIMEOUT_DEFAULT_SEC 30U
#define HTTP_REQUEST_TIMEOUT_DEFAULT_SEC 10U
#define HTTP_POST_BODY_MAX_DEFAULT (8U * 1024U)
#define HTTP_POST_BODY_MAX (64U * 1024U)
#define HTTP_IDENTITY_MAX 64U
#define HTTP_TRUSTED_PROXIES_MAX 16U
#define HTTP_PROXY_SECRET_MIN 16U
#define HTTP_PROXY_SECRET_MAX 1024U
#define HTTP_PROXY_SECRET_FILE_MAX 4096U
#define HTTP_PROXY_SECRET_HEADER_DEFAULT "X-Jit-Proxy-Secret"

typedef struct HttpServerSettings {
        /* Where to listen: an already bound and listening socket (socket
         * activation: >= SD_LISTEN_FDS_START, i.e. 3), or else, for any
         * smaller value, a new socket bound to address:port. A passed socket
         * belongs to the server once http_server_new() succeeded (closed by
         * http_server_free()); on failure it is left to the caller. */
        int listen_fd;
        const char *address;           /* numeric IPv4 or IPv6; NULL: 127.0.0.1 */
        uint16_t port;                 /* 0: any free port (see http_server_local_port) */

        const char *tls_cert_file;     /* PEM; both or neither */
        const char *tls_key_file;      /* PEM; must be private (read_private_file rules) */

        /* The per-address limit counts a connection from this host per
         * local user (the owner of the client's socket, from sock_diag).
         * When a new connection finds a limit reached, it takes the slot
         * of the oldest connection (from its own source, for the
         * per-address limit) that has not sent its request in full; with
         * none, it is refused. */
        unsigned connection_limit;         /* 0: default */
        unsigned per_ip_connection_limit;  /* 0: default */
        unsigned connection_timeout_sec;   /* idle timeout; 0: default */
        /* A connection carries one request and is closed this long after
         * it was accepted, whatever it is doing; 0: default. */
        unsigned request_timeout_sec;
        size_t post_body_max;              /* 0: default; capped at HTTP_POST_BODY_MAX */

        /* Trusted reverse proxy (SSO): the named request header carries the
         * approver's identity. It is believed only on connections from the
         * listed numeric addresses (NULL/0 entries: loopback only), only if
         * it occurs once, and only if it is clean text of at most
         * HTTP_IDENTITY_MAX bytes. NULL: the header is ignored.
         *
         * Peer addresses alone cannot tell the proxy from a local user
         * connecting to a loopback listener directly, so with an identity
         * header the proxy must also send identity_secret in the
         * identity_secret_header (NULL: HTTP_PROXY_SECRET_HEADER_DEFAULT);
         * every request without it, exactly once and equal, is refused
         * with 403 before any handler runs. Required with identity_header. */
        const char *identity_header;
        const char *const *trusted_proxies;
        size_t n_trusted_proxies;
        const char *identity_secret_header;
        const char *identity_secret; /* copied; wiped when the server is freed */
        size_t identity_secret_size;

        int64_t priority; /* sd-event priority of the server's sources */

        /* MHD's own diagnostics (optional). */
        void (*log)(void *userdata, const char *message);
} HttpServerSettings;

typedef enum HttpMethod {
        HTTP_METHOD_GET,
        HTTP_METHOD_HEAD,
        HTTP_METHOD_POST,
} HttpMethod;

typedef struct HttpReviewRequest {
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
} HttpReviewRequest;

typedef struct HttpReply {
        unsigned status; /* 0: 200 */
        char *body;      /* malloc()ed HTML, taken over by the server; NULL: a generic page */
        size_t size;
} HttpReply;

/* Return 0 with *reply filled, or <0 for a 500 with a generic page. */
typedef int (*HttpReviewHandler)(HttpServer *s, const HttpReviewRequest *req, HttpReply *reply, void *userdata);

int http_server_new(sd_event *event, const HttpServerSettings *settings, HttpReviewHandler on_view,
                    HttpReviewHandler on_decision, void *userdata, HttpServer **ret);
/* NULL ok. Closes every connection. */
HttpServer *http_server_free(HttpServer *s);
static inline void http_server_freep(HttpServer **s) {
        http_server_free(*s);
}
int http_server_local_port(HttpServer *s, uint16_t *ret);

/* Read the proxy secret ([review] identity_secret_file): a private file
 * (read_private_file() rules) holding HTTP_PROXY_SECRET_MIN to _MAX
 * printable ASCII characters without blanks (a header value), blanks and
 * line ends around it ignored. *ret is released with erase_and_free(). */
int http_proxy_secret_load(const char *path, char **ret, size_t *ret_size, char *error, size_t error_size);
bool http_server_tls_supported(void);

/* Parse application/x-www-form-urlencoded text into the four review
 * fields (others are ignored). Each field may occur once; values are
 * percent-decoded ('+' is a space). -EBADMSG for a malformed body (bad
 * escape, a NUL, a repeated field), -EMSGSIZE for a value above 4 KiB.
 * Strings in *ret point into `storage`, which the caller frees. */
typedef struct HttpForm {
        char *csrf;
        char *decision;
        char *duration;
        char *reason;
} HttpForm;
int http_form_parse(const char *body, size_t size, HttpForm *ret, char **ret_storage);
