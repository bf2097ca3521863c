/* The HTTP server. libmicrohttpd runs in external-epoll mode without
 * threads: its epoll fd is one sd-event io source, and before each loop
 * iteration a prepare callback asks MHD_get_timeout() when MHD must run
 * next and arms one time source for that. MHD_run() is called from either
 * and calls our access handler, so handlers run on jitd's loop like
 * everything else and may use the store directly.
 *
 * What a client controls is bounded: connections in total and per source
 * and the time each may live (http-connection.c), MHD's per-connection
 * memory (request line and headers), and the POST body, which is refused
 * with 413 as soon as it (or its Content-Length) exceeds the cap. Each
 * connection carries one request: every response says "Connection:
 * close", so the time bound covers all of a connection's life.
 *
 * A request goes: the handler's check() (the route and method), then, in
 * identity_header mode, the proxy secret, then for a POST the form
 * encoding and Content-Length, then the body (decoded by http-form.c),
 * and then handle(). What is served is the handler's business; this file
 * knows HTTP only. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-connection.h"
#include "http-form.h"
#include "http-server.h"
#include "macros.h"
#include "crypto-util.h"
#include "text.h"

#define CONNECTION_MEMORY_LIMIT (32U * 1024U)
#define TLS_FILE_MAX (64U * 1024U)
#define USER_AGENT_MAX 256U
#define LISTEN_BACKLOG 64
#define LISTEN_FD_MIN 3 /* SD_LISTEN_FDS_START */
/* A body that turns out too large is read and dropped up to this much
 * more, so the client can read the 413 (closing a socket with unread input
 * makes the kernel reset the connection, which may destroy the response on
 * its way); beyond it the connection is simply closed. */
#define POST_DISCARD_MAX (64U * 1024U)

typedef struct TrustedAddress {
        struct in6_addr address; /* IPv4 as v4-mapped */
} TrustedAddress;

struct HttpServer {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io_source;
        sd_event_source *time_source;
        HttpConnections connections;
        bool connections_ready;
        bool tls;
        size_t post_body_max;
        char *identity_header;
        TrustedAddress trusted[HTTP_TRUSTED_PROXIES_MAX];
        size_t n_trusted;
        char *identity_secret_header;
        char *identity_secret;
        size_t identity_secret_size;
        char *cert_pem;
        char *key_pem;
        size_t key_size;
        HttpHandler handler;
        void *userdata;
        void (*log)(void *userdata, const char *message);
};

/* Per request (MHD's req_cls). */
typedef struct Request {
        char *body;
        size_t size;
        size_t discarded;
        bool too_large;
        bool responded;
} Request;

bool http_server_tls_supported(void) {
        return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* ---- responses ---- */

static const char *status_title(unsigned status) {
        switch (status) {
        case 400:
                return "Bad request";
        case 404:
                return "Not found";
        case 405:
                return "Method not allowed";
        case 413:
                return "Request too large";
        case 415:
                return "Unsupported form encoding";
        default:
                return "Something went wrong";
        }
}

/* The page for a response without a body: the handler's, else a plain one. */
static int status_page(HttpServer *s, unsigned status, HttpRefusal why, char **ret, size_t *ret_size) {
        int n;

        if (s->handler.page && s->handler.page(status, why, ret, ret_size) >= 0)
                return 0;
        n = asprintf(ret,
                     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>%s</title></head><body><h1>%s</h1></body></html>\n",
                     status_title(status), status_title(status));
        if (n < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        *ret_size = (size_t) n;
        return 0;
}

static enum MHD_Result respond_why(HttpServer *s, struct MHD_Connection *connection, Request *req, unsigned status,
                                   HttpRefusal why, char *body, size_t size) {
        struct MHD_Response *response;
        enum MHD_Result result;

        if (req)
                req->responded = true;
        http_connection_mark_answered(connection);

        if (!body && status_page(s, status, why, &body, &size) < 0)
                return MHD_NO; /* out of memory: drop the connection */

        response = MHD_create_response_from_buffer_with_free_callback(size, body, free);
        if (!response) {
                free(body);
                return MHD_NO;
        }

        if (s->handler.content_type &&
            MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, s->handler.content_type) != MHD_YES)
                goto fail;
        for (size_t i = 0; i < s->handler.n_headers; i++)
                if (MHD_add_response_header(response, s->handler.headers[i].name, s->handler.headers[i].value) !=
                    MHD_YES)
                        goto fail;
        if (status == 405 && s->handler.allow &&
            MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, s->handler.allow) != MHD_YES)
                goto fail;
        /* One request per connection: the time bound then covers all of
         * a connection's life (see the top of this file). */
        if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
                goto fail;

        result = MHD_queue_response(connection, status, response);
        MHD_destroy_response(response);
        return result;

fail:
        MHD_destroy_response(response);
        return MHD_NO;
}

static enum MHD_Result respond(HttpServer *s, struct MHD_Connection *connection, Request *req, unsigned status,
                               char *body, size_t size) {
        return respond_why(s, connection, req, status, HTTP_REFUSAL_STATUS, body, size);
}

/* ---- request details ---- */

const char *http_request_header(const HttpRequest *req, const char *name) {
        if (!req || !req->connection || !name)
                return NULL;
        return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

typedef struct HeaderCount {
        const char *name;
        const char *value;
        unsigned count;
} HeaderCount;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        HeaderCount *h = cls;

        if (key && strcasecmp(key, h->name) == 0) {
                h->count++;
                h->value = value;
        }
        return MHD_YES;
}

/* identity_header mode: did the proxy send its secret, exactly once? The
 * comparison takes the same time wherever the first difference is; only
 * the length may show, and a wrong length is refused all the same. */
static bool proxy_secret_ok(HttpServer *s, struct MHD_Connection *connection) {
        HeaderCount h = { .name = s->identity_secret_header };

        if (!s->identity_header)
                return true;
        MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header, &h);
        if (h.count != 1 || !h.value || strlen(h.value) != s->identity_secret_size)
                return false;
        return memeq_consttime(h.value, s->identity_secret, s->identity_secret_size);
}

/* The trusted header's value, or NULL if it must not be believed. */
static const char *trusted_identity(HttpServer *s, struct MHD_Connection *connection, const struct in6_addr *peer,
                                    bool peer_ok) {
        HeaderCount h = { .name = s->identity_header };
        bool trusted = false;

        if (!s->identity_header || !peer_ok)
                return NULL;
        if (s->n_trusted == 0)
                trusted = http_mapped_is_loopback(peer);
        for (size_t i = 0; i < s->n_trusted && !trusted; i++)
                trusted = memcmp(&s->trusted[i].address, peer, sizeof(*peer)) == 0;
        if (!trusted)
                return NULL;

        MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header, &h);
        if (h.count != 1 || !h.value || !*h.value || !jit_text_is_clean(h.value, HTTP_IDENTITY_MAX))
                return NULL;
        return h.value;
}
static bool content_type_is_form(const char *ct) {
        static const char form[] = "application/x-www-form-urlencoded";
        size_t n = strlen(form);

        if (!ct || strncasecmp(ct, form, n) != 0)
                return false;
        ct += n;
        while (*ct == ' ' || *ct == '\t')
                ct++;
        return *ct == 0 || *ct == ';';
}

static HttpMethod method_from_string(const char *method) {
        if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
                return HTTP_METHOD_GET;
        if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
                return HTTP_METHOD_HEAD;
        if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
                return HTTP_METHOD_POST;
        return HTTP_METHOD_OTHER;
}

/* First call: the request line and headers are in. */
static enum MHD_Result on_headers(HttpServer *s, struct MHD_Connection *connection, Request *req,
                                  const HttpRequest *rq) {
        const char *cl;
        uint64_t length;
        unsigned status;

        status = s->handler.check ? s->handler.check(rq, s->userdata) : 0;
        if (status != 0)
                return respond(s, connection, req, status, NULL, 0);
        /* Behind the SSO proxy, only the proxy is served: a local user
         * connecting to the listener directly could name any approver in
         * the identity header. */
        if (!proxy_secret_ok(s, connection))
                return respond_why(s, connection, req, 403, HTTP_REFUSAL_PROXY_SECRET, NULL, 0);
        if (rq->method != HTTP_METHOD_POST)
                return MHD_YES;

        if (!content_type_is_form(
                    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
                return respond(s, connection, req, 415, NULL, 0);
        cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && (jit_parse_uint64(cl, 0, UINT64_MAX, &length) < 0 || length > s->post_body_max))
                return respond(s, connection, req, 413, NULL, 0);
        /* Wait for the body. */
        return MHD_YES;
}

/* A piece of a POST body. */
static enum MHD_Result on_body(HttpServer *s, Request *req, const char *data, size_t *size) {
        char *p;

        if (req->too_large || *size > s->post_body_max - req->size) {
                req->too_large = true;
                req->discarded += *size;
                *size = 0;
                return req->discarded > POST_DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        p = realloc(req->body, req->size + *size + 1);
        if (!p)
                return MHD_NO;
        memcpy(p + req->size, data, *size);
        req->body = p;
        req->size += *size;
        req->body[req->size] = 0;
        *size = 0;
        return MHD_YES;
}

static void call_handler(HttpServer *s, const HttpRequest *rq, HttpReply *reply) {
        *reply = (HttpReply) {};
        if (!s->handler.handle || s->handler.handle(s, rq, reply, s->userdata) < 0) {
                free(reply->body);
                *reply = (HttpReply) { .status = 500 };
        }
        if (reply->status == 0)
                reply->status = 200;
        if (reply->status < 100 || reply->status > 599)
                reply->status = 500;
}

/* GET/HEAD on the first call, POST once the body is complete. */
static enum MHD_Result on_complete(HttpServer *s, struct MHD_Connection *connection, Request *req, HttpRequest *rq) {
        const union MHD_ConnectionInfo *info;
        struct in6_addr peer = {};
        bool peer_ok = false;
        char peer_text[INET6_ADDRSTRLEN], user_agent[USER_AGENT_MAX + 1];
        HttpFormField *fields = NULL;
        size_t n_fields = 0;
        const char *ua;
        HttpReply reply;

        info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info)
                http_address_to_mapped(info->client_addr, &peer, &peer_ok);
        if (peer_ok)
                http_mapped_to_string(&peer, peer_text, sizeof(peer_text));
        else
                snprintf(peer_text, sizeof(peer_text), "?");
        ua = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);

        rq->identity = trusted_identity(s, connection, &peer, peer_ok);
        rq->peer = peer_text;
        rq->user_agent = ua ? jit_sanitize(ua, user_agent, sizeof(user_agent)) : NULL;
        rq->tls = s->tls;
        if (rq->method == HTTP_METHOD_POST) {
                rq->form_error = http_form_decode(connection, req->body, req->size, &fields, &n_fields);
                if (rq->form_error == -ENOMEM)
                        return MHD_NO;
                rq->fields = fields;
                rq->n_fields = n_fields;
        }

        call_handler(s, rq, &reply);
        http_form_fields_free(fields, n_fields);
        return respond(s, connection, req, reply.status, reply.body, reply.size);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
        HttpServer *s = cls;
        Request *req = *req_cls;
        HttpRequest rq = {
                .method = method_from_string(method),
                .path = url,
                .connection = connection,
        };

        if (!req) {
                enum MHD_Result result;

                req = calloc(1, sizeof(*req));
                if (!req)
                        return MHD_NO;
                *req_cls = req;
                result = on_headers(s, connection, req, &rq);
                if (result != MHD_YES || req->responded || rq.method == HTTP_METHOD_POST)
                        return result;
        } else if (req->responded) {
                /* A response is already queued (e.g. 413): discard the rest. */
                *upload_data_size = 0;
                return MHD_YES;
        } else if (*upload_data_size > 0)
                return on_body(s, req, upload_data, upload_data_size);
        else if (req->too_large)
                return respond(s, connection, req, 413, NULL, 0);

        return on_complete(s, connection, req, &rq);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
        Request *req = *req_cls;

        if (!req)
                return;
        free(req->body);
        free(req);
        *req_cls = NULL;
}

/* MHD passes its own format and arguments (clang's -Wformat-nonliteral needs to be told). */
static void on_mhd_log(void *cls, const char *format, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *format, va_list ap) {
        HttpServer *s = cls;
        char buf[512], clean[512];
        size_t n;

        if (!s->log)
                return;
        vsnprintf(buf, sizeof(buf), format, ap);
        n = strlen(buf);
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = 0;
        s->log(s->userdata, jit_sanitize(buf, clean, sizeof(clean)));
}

/* ---- event loop ---- */

static int on_mhd_run(HttpServer *s) {
        (void) MHD_run(s->daemon);
        return 0;
}

static int on_mhd_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        return on_mhd_run(userdata);
}

static int on_mhd_time(sd_event_source *es, uint64_t usec, void *userdata) {
        return on_mhd_run(userdata);
}

static void on_connection_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                                 enum MHD_ConnectionNotificationCode code) {
        HttpServer *s = cls;

        if (code == MHD_CONNECTION_NOTIFY_STARTED)
                http_connection_started(&s->connections, connection, socket_context);
        else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
                http_connection_closed(&s->connections, socket_context);
}


/* Before every poll: MHD says how long it may wait at most (0 if it has
 * buffered work, e.g. data already read from a socket). */
static int on_prepare(sd_event_source *es, void *userdata) {
        HttpServer *s = userdata;
        MHD_UNSIGNED_LONG_LONG timeout_ms;
        uint64_t now;
        int r;

        r = http_connections_arm_deadline(&s->connections);
        if (r < 0)
                return r;
        if (MHD_get_timeout(s->daemon, &timeout_ms) != MHD_YES)
                return sd_event_source_set_enabled(s->time_source, SD_EVENT_OFF);

        now = now_monotonic_usec();
        if (timeout_ms > 24ULL * 3600ULL * 1000ULL)
                timeout_ms = 24ULL * 3600ULL * 1000ULL;
        r = sd_event_source_set_time(s->time_source, now + timeout_ms * 1000ULL);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->time_source, SD_EVENT_ONESHOT);
}

static int listen_on(const char *address, uint16_t port) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t len;
        _cleanup_close_ int fd = -1;
        int family, one = 1;
        struct in6_addr a6;
        struct in_addr a4;

        if (!address)
                address = "127.0.0.1";
        if (inet_pton(AF_INET, address, &a4) == 1) {
                family = AF_INET;
                sa.in.sin_family = AF_INET;
                sa.in.sin_port = htons(port);
                sa.in.sin_addr = a4;
                len = sizeof(sa.in);
        } else if (inet_pton(AF_INET6, address, &a6) == 1) {
                family = AF_INET6;
                sa.in6.sin6_family = AF_INET6;
                sa.in6.sin6_port = htons(port);
                sa.in6.sin6_addr = a6;
                len = sizeof(sa.in6);
        } else
                return -EINVAL;

        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return negative_errno();
        if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                return negative_errno();
        if (bind(fd, &sa.sa, len) < 0)
                return negative_errno();
        if (listen(fd, LISTEN_BACKLOG) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;

        sd_event_source_disable_unref(s->io_source);
        sd_event_source_disable_unref(s->time_source);
        if (s->daemon)
                MHD_stop_daemon(s->daemon); /* closes the listening socket and every connection */
        if (s->connections_ready)
                http_connections_done(&s->connections);
        sd_event_unref(s->event);
        if (s->handler.destroy)
                s->handler.destroy(s->userdata);
        free(s->identity_header);
        free(s->identity_secret_header);
        erase_and_free(s->identity_secret, s->identity_secret_size);
        free(s->cert_pem);
        erase_and_free(s->key_pem, s->key_size);
        free(s);
        return NULL;
}

static int load_tls(HttpServer *s, const HttpServerSettings *settings) {
        char error[512];
        size_t size = 0;
        int r;

        if (!http_server_tls_supported()) {
                if (s->log)
                        s->log(s->userdata, "libmicrohttpd was built without TLS support");
                return -EOPNOTSUPP;
        }

        /* The certificate is public; only its size is bounded. */
        {
                _cleanup_free_ char *pem = NULL;
                FILE *f = fopen(settings->tls_cert_file, "re");

                if (!f)
                        return negative_errno();
                pem = malloc(TLS_FILE_MAX + 1);
                if (!pem) {
                        fclose(f);
                        return -ENOMEM;
                }
                size = fread(pem, 1, TLS_FILE_MAX + 1, f);
                r = ferror(f) ? -EIO : 0;
                fclose(f);
                if (r < 0)
                        return r;
                if (size > TLS_FILE_MAX || size == 0)
                        return -EFBIG;
                pem[size] = 0;
                s->cert_pem = TAKE_PTR(pem);
        }

        r = read_private_file(settings->tls_key_file, TLS_FILE_MAX, &s->key_pem, &s->key_size, error, sizeof(error));
        if (r < 0 && s->log)
                s->log(s->userdata, error);
        return r;
}

static int settings_check(const HttpServerSettings *settings) {
        if (!!settings->tls_cert_file != !!settings->tls_key_file)
                return -EINVAL;
        if (settings->n_trusted_proxies > HTTP_TRUSTED_PROXIES_MAX ||
            (settings->n_trusted_proxies > 0 && !settings->trusted_proxies))
                return -EINVAL;
        if (settings->identity_header && (!*settings->identity_header || strlen(settings->identity_header) > 64))
                return -EINVAL;
        if (settings->identity_header &&
            (!settings->identity_secret || settings->identity_secret_size < HTTP_PROXY_SECRET_MIN ||
             settings->identity_secret_size > HTTP_PROXY_SECRET_MAX ||
             (settings->identity_secret_header &&
              (!*settings->identity_secret_header || strlen(settings->identity_secret_header) > 64))))
                return -EINVAL;
        if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES)
                return -EOPNOTSUPP;
        return 0;
}

/* The trusted proxy: its header, its secret, its addresses. */
static int settings_copy_proxy(HttpServer *s, const HttpServerSettings *settings) {
        if (settings->identity_header) {
                s->identity_header = strdup(settings->identity_header);
                s->identity_secret_header = strdup(settings->identity_secret_header ?: HTTP_PROXY_SECRET_HEADER_DEFAULT);
                s->identity_secret = malloc(settings->identity_secret_size + 1);
                if (!s->identity_header || !s->identity_secret_header || !s->identity_secret)
                        return -ENOMEM;
                memcpy(s->identity_secret, settings->identity_secret, settings->identity_secret_size);
                s->identity_secret[settings->identity_secret_size] = 0;
                s->identity_secret_size = settings->identity_secret_size;
        }
        for (size_t i = 0; i < settings->n_trusted_proxies; i++)
                if (http_parse_numeric_address(settings->trusted_proxies[i], &s->trusted[s->n_trusted++].address) < 0)
                        return -EINVAL;
        return 0;
}

/* MHD on `fd`; on failure the caller still owns fd. */
static int daemon_start(HttpServer *s, const HttpServerSettings *settings, int fd) {
        struct MHD_OptionItem options[16];
        size_t n = 0;
        unsigned flags;

        /* The logger first, so start-up messages go through it too. */
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t) on_mhd_log, s };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_LISTEN_SOCKET, fd, NULL };
        /* Our limits are enforced in http-connection.c; MHD's is room for
         * them plus the connections refused or evicted but not yet closed
         * (no per-address limit of its own: it counts the proxy and every
         * local user as one, and refuses before we could evict). */
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_LIMIT,
                                                 2 * (intptr_t) s->connections.limit, NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) on_connection_notify, s };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_TIMEOUT,
                                                 settings->connection_timeout_sec
                                                         ? settings->connection_timeout_sec
                                                         : HTTP_CONNECTION_TIMEOUT_DEFAULT_SEC,
                                                 NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY_LIMIT, NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) on_completed, NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
        if (s->tls) {
                options[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem };
                options[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem };
        }
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };

        flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (s->tls ? MHD_USE_TLS : 0);
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
        return s->daemon ? 0 : -EIO;
}

/* MHD's epoll fd and timeout as sd-event sources. */
static int event_sources_add(HttpServer *s, int64_t priority) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        int r;

        if (!info)
                return -EIO;
        r = sd_event_add_io(s->event, &s->io_source, info->epoll_fd, EPOLLIN, on_mhd_io, s);
        if (r >= 0)
                r = sd_event_source_set_prepare(s->io_source, on_prepare);
        if (r >= 0)
                r = sd_event_source_set_priority(s->io_source, priority);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->io_source, "http-server");
        return http_timer_add(s->event, &s->time_source, on_mhd_time, s, priority, "http-server-timer");
}

int http_server_new(sd_event *event, const HttpServerSettings *settings, const HttpHandler *handler,
                    void *userdata, HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        int fd, r;

        if (!event || !settings || !handler || !handler->handle || !ret)
                return -EINVAL;
        r = settings_check(settings);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->userdata = userdata;
        s->log = settings->log;
        s->post_body_max = settings->post_body_max == 0            ? HTTP_POST_BODY_MAX_DEFAULT
                           : settings->post_body_max > HTTP_POST_BODY_MAX ? HTTP_POST_BODY_MAX
                                                                          : settings->post_body_max;
        r = http_connections_init(&s->connections, event, settings->priority,
                                  settings->connection_limit ?: HTTP_CONNECTION_LIMIT_DEFAULT,
                                  settings->per_ip_connection_limit ?: HTTP_PER_IP_CONNECTION_LIMIT_DEFAULT,
                                  (uint64_t) (settings->request_timeout_sec ?: HTTP_REQUEST_TIMEOUT_DEFAULT_SEC) *
                                          USEC_PER_SEC,
                                  settings->log, userdata);
        s->connections_ready = true;
        if (r < 0)
                return r;
        r = settings_copy_proxy(s, settings);
        if (r < 0)
                return r;
        if (settings->tls_cert_file) {
                r = load_tls(s, settings);
                if (r < 0)
                        return r;
                s->tls = true;
        }

        fd = settings->listen_fd >= LISTEN_FD_MIN ? settings->listen_fd : listen_on(settings->address, settings->port);
        if (fd < 0)
                return fd;
        r = daemon_start(s, settings, fd);
        if (r < 0) {
                if (fd != settings->listen_fd)
                        close(fd);
                return r;
        }
        r = event_sources_add(s, settings->priority);
        if (r < 0)
                return r;

        /* Last: from here on, http_server_free() calls handler->destroy. */
        s->handler = *handler;
        *ret = TAKE_PTR(s);
        return 0;
}

int http_server_local_port(HttpServer *s, uint16_t *ret) {
        const union MHD_DaemonInfo *info;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa;
        socklen_t len = sizeof(sa);

        if (!s || !ret)
                return -EINVAL;
        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_LISTEN_FD);
        if (!info)
                return -EIO;
        if (getsockname(info->listen_fd, &sa.sa, &len) < 0)
                return negative_errno();
        if (sa.sa.sa_family == AF_INET)
                *ret = ntohs(sa.in.sin_port);
        else if (sa.sa.sa_family == AF_INET6)
                *ret = ntohs(sa.in6.sin6_port);
        else
                return -EAFNOSUPPORT;
        return 0;
}

int http_proxy_secret_load(const char *path, char **ret, size_t *ret_size, char *error, size_t error_size) {
        char *text = NULL, *copy;
        const char *p;
        size_t size = 0, n;
        int r;

        if (!path || !ret || !ret_size)
                return -EINVAL;
        if (error && error_size > 0)
                error[0] = 0;
        r = read_private_file(path, HTTP_PROXY_SECRET_FILE_MAX, &text, &size, error, error_size);
        if (r < 0)
                return r;

        p = text;
        n = size;
        strip_ascii_whitespace(&p, &n);
        r = 0;
        if (n < HTTP_PROXY_SECRET_MIN || n > HTTP_PROXY_SECRET_MAX)
                r = -EINVAL;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (p[i] < 0x21 || p[i] > 0x7e)
                        r = -EINVAL;
        if (r < 0) {
                if (error && error_size > 0)
                        snprintf(error, error_size,
                                 "%s: the proxy secret must be %u to %u printable ASCII characters without blanks",
                                 path, HTTP_PROXY_SECRET_MIN, HTTP_PROXY_SECRET_MAX);
                erase_and_free(text, size);
                return r;
        }

        copy = malloc(n + 1);
        if (!copy) {
                erase_and_free(text, size);
                return -ENOMEM;
        }
        memcpy(copy, p, n);
        copy[n] = 0;
        erase_and_free(text, size);
        *ret = copy;
        *ret_size = n;
        return 0;
}
