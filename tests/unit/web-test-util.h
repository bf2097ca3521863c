/* Helpers for the notification and review-link tests: a scratch
 * directory, the Python webhook receiver (tests/tools/webhook-receiver.py)
 * as a child process, HTTP clients in child processes (so the server under
 * test keeps running on this process's sd-event loop), a self-signed TLS
 * certificate from the openssl command, and running the loop until
 * something happened. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* A fresh directory under $TMPDIR (or /tmp); removed by scratch_remove(). */
char *scratch_create(void);
void scratch_remove(char *dir);

/* Write `text` to dir/name with `mode`; returns the malloc()ed path. */
char *write_file(const char *dir, const char *name, const char *text, mode_t mode);

typedef struct Receiver {
        pid_t pid;
        uint16_t port;
        char *log_path;
} Receiver;

/* Start the receiver (`python` and `script` come from the test's argv).
 * extra: NULL-terminated further arguments. 0, or <0 if it did not come
 * up within 10 s. */
int receiver_start(const char *python, const char *script, const char *dir, const char *name,
                   const char *const *extra, Receiver *ret);
void receiver_stop(Receiver *r);
/* The records so far: a JSON array (json_object_put() it). */
struct json_object *receiver_records(const Receiver *r);
size_t receiver_count(const Receiver *r);
/* Poll until the receiver recorded at least n requests or timeout. */
bool receiver_wait(const Receiver *r, size_t n, uint64_t timeout_usec);

/* Run the loop until *flag is true; -ETIMEDOUT after timeout_usec. */
int loop_run_until(sd_event *e, const bool *flag, uint64_t timeout_usec);
/* Run the loop for this long. */
void loop_run_for(sd_event *e, uint64_t usec);

typedef struct HttpClientRequest {
        const char *method; /* "GET", "HEAD", "POST", or anything else */
        const char *url;
        const char *body;   /* POST body (NULL: none) */
        const char *const *headers; /* NULL-terminated "Name: value" lines */
        const char *ca_file;
        long timeout_ms;
} HttpClientRequest;

typedef struct HttpClient {
        pid_t pid;
        int fd;
        sd_event_source *source;
        char *buf;
        size_t size;
        bool done;
        /* Parsed once done: */
        long status;
        int curl_code;
        char *headers; /* raw header block, lower-cased names */
        char *body;
        size_t body_size;
} HttpClient;

/* Fork a child that performs one request with libcurl and writes the
 * result back through a pipe watched by `e`. */
int http_client_start(sd_event *e, const HttpClientRequest *req, HttpClient **ret);
/* Run the loop until the client finished; 0 or -ETIMEDOUT. */
int http_client_wait(sd_event *e, HttpClient *c, uint64_t timeout_usec);
void http_client_free(HttpClient *c);
/* Convenience: start, wait, return (NULL on failure). */
HttpClient *http_request(sd_event *e, const HttpClientRequest *req);
/* The value of a response header (case-insensitive name), malloc()ed, or NULL. */
char *http_client_header(const HttpClient *c, const char *name);

/* A self-signed certificate for "localhost" and 127.0.0.1 in dir/cert.pem
 * and dir/key.pem (mode 0600). -ENOENT if the openssl command is missing. */
int make_self_signed_cert(const char *dir, char **ret_cert, char **ret_key);

/* Run a command, return its exit status (or -errno). stdout into *ret_out
 * if not NULL. */
int run_command(const char *const *argv, char **ret_out);
