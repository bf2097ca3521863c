/* A small HTTP/1.1 server: libmicrohttpd in external-epoll mode, run
 * from jitd's sd-event loop (MHD's epoll fd as one io source, MHD's timeout
 * as one time source), with limits on connections (total and per source,
 * the oldest connection still waiting for its request giving way to a new
 * one), idle time, the time a request may take, request memory and body
 * size, and optional TLS. It knows HTTP, not what is served: one
 * HttpHandler says which requests it takes (check), answers them (handle)
 * and renders the pages of the refusals the server answers itself. A POST
 * must be an application/x-www-form-urlencoded form; the server decodes it
 * (libmicrohttpd's post processor) into fields for the handler. Every
 * response carries the handler's headers and "Connection: close". */
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
        HTTP_METHOD_OTHER, /* anything else: the handler's check() answers it */
} HttpMethod;

/* One decoded form field: the name is NUL-terminated, the value has no NUL
 * (size is its length) and is at most HTTP_FORM_VALUE_MAX bytes. */
#define HTTP_FORM_VALUE_MAX 4096U
typedef struct HttpFormField {
        char *name;
        char *value;
        size_t size;
} HttpFormField;

typedef struct HttpRequest {
        HttpMethod method;
        const char *path;       /* the request target as sent, e.g. "/r/abc" */
        const char *identity;   /* from the trusted header, or NULL; only in handle() */
        const char *peer;       /* numeric client address ("?" if unknown); only in handle() */
        const char *user_agent; /* sanitised, may be NULL; only in handle() */
        bool tls;
        /* POST, in handle(): the form's fields in body order, repeats and
         * all; or form_error < 0 when the body is not a well-formed form
         * (-EBADMSG: a bad escape, a NUL; -EMSGSIZE: a value above
         * HTTP_FORM_VALUE_MAX), and then no fields. */
        const HttpFormField *fields;
        size_t n_fields;
        int form_error;
        void *connection; /* the server's; for http_request_header() */
} HttpRequest;

/* A request header's value (the first if repeated), or NULL. */
const char *http_request_header(const HttpRequest *req, const char *name);

typedef struct HttpReply {
        unsigned status; /* 0: 200 */
        char *body;      /* malloc()ed, taken over by the server; NULL: the page for the status */
        size_t size;
} HttpReply;

typedef struct HttpHeader {
        const char *name;
        const char *value;
} HttpHeader;

/* Why the server answers a request itself without asking handle(). */
typedef enum HttpRefusal {
        HTTP_REFUSAL_STATUS,       /* the status says it (check(), 413, 415, a failed handle()) */
        HTTP_REFUSAL_PROXY_SECRET, /* 403: identity_header mode, the proxy secret is missing or wrong */
} HttpRefusal;

typedef struct HttpHandler {
        /* Once the request line and headers are in, before any body and
         * before the proxy secret is checked: 0 to take the request, or
         * the status to answer it with at once. Must change nothing. */
        unsigned (*check)(const HttpRequest *req, void *userdata);
        /* The request in full: fill *reply and return 0, or <0 for a 500. */
        int (*handle)(HttpServer *s, const HttpRequest *req, HttpReply *reply, void *userdata);
        /* The page for a response without a body: 0 with a malloc()ed
         * *ret, or <0 for the server's plain page. May be NULL. */
        int (*page)(unsigned status, HttpRefusal why, char **ret, size_t *ret_size);
        /* With http_server_free(); may be NULL. */
        void (*destroy)(void *userdata);
        const char *content_type;  /* of every response */
        const HttpHeader *headers; /* added to every response */
        size_t n_headers;
        const char *allow;         /* the Allow header of a 405 */
} HttpHandler;

/* *handler is copied (its strings and headers are not: they must outlive
 * the server). On failure, handler->destroy is not called. */
int http_server_new(sd_event *event, const HttpServerSettings *settings, const HttpHandler *handler,
                    void *userdata, HttpServer **ret);
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
