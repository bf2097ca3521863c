/* See web-helpers.h. */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "macros.h"
#include "web-helpers.h"
#include "crypto-util.h"
#include "random.h"

const char *test_python;
const char *test_receiver_script;
static char *scratch;

uint64_t now_usec_monotonic(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void remove_scratch(void) {
        if (scratch)
                scratch_remove(scratch);
        scratch = NULL;
}

void web_test_init(int argc, char **argv, const char *test_name) {
        harness_require_root(test_name);
        if (argc < 3 || !argv[1][0] || access(argv[1], X_OK) < 0) {
                fprintf(stderr, "%s: skipped: needs python3 for the webhook receivers.\n", test_name);
                exit(77);
        }
        test_python = argv[1];
        test_receiver_script = argv[2];
        curl_global_init(CURL_GLOBAL_DEFAULT);
        scratch = scratch_create();
        if (!scratch) {
                fprintf(stderr, "%s: cannot create a scratch directory\n", test_name);
                exit(EXIT_FAILURE);
        }
        /* Receivers read their own files; nothing here must be world-readable
         * but the directory must be searchable for nobody's clients. */
        (void) chmod(scratch, 0755);
        atexit(remove_scratch);
}

const char *web_scratch(void) {
        return scratch;
}

int make_secret(const char *name, char **ret_path, char **ret_text) {
        uint8_t key[32];
        char b64[64], *text = NULL, *path;
        int r;

        r = random_bytes(key, sizeof(key));
        if (r < 0)
                return r;
        r = base64_encode(key, sizeof(key), false, b64, sizeof(b64));
        if (r < 0)
                return r;
        if (asprintf(&text, "whsec_%s", b64) < 0)
                return -ENOMEM;
        path = write_file(scratch, name, text, 0600);
        if (!path) {
                free(text);
                return -EIO;
        }
        *ret_path = path;
        *ret_text = text;
        return 0;
}

void start_receiver(Receiver *r, const char *name, const char *const *extra) {
        int k = receiver_start(test_python, test_receiver_script, scratch, name, extra, r);

        if (k < 0) {
                fprintf(stderr, "cannot start the webhook receiver %s: %s\n", name, strerror(-k));
                exit(EXIT_FAILURE);
        }
}

uint16_t free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        uint16_t port = 0;

        if (fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0 &&
            getsockname(fd, (struct sockaddr *) &sa, &len) >= 0)
                port = ntohs(sa.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

/* A generic body's request id, or a Slack/Teams body's (found as text). */
static bool body_is_about(struct json_object *body, const char *raw, const char *request_id, const char *type) {
        struct json_object *data, *v;

        if (json_object_object_get_ex(body, "data", &data) && json_object_object_get_ex(data, "request_id", &v)) {
                if (strcmp(json_object_get_string(v), request_id) != 0)
                        return false;
                if (!type)
                        return true;
                return json_object_object_get_ex(body, "type", &v) && strcmp(json_object_get_string(v), type) == 0;
        }
        /* Slack and Teams carry the id in their text. */
        return strstr(raw, request_id) != NULL && !type;
}

struct json_object *records_for(const Receiver *r, const char *request_id, const char *type) {
        struct json_object *all = receiver_records(r), *out = json_object_new_array();
        size_t n = all ? json_object_array_length(all) : 0;

        for (size_t i = 0; i < n; i++) {
                struct json_object *rec = json_object_array_get_idx(all, i), *b, *h, *sig;
                const char *raw;
                struct json_object *body;

                if (!json_object_object_get_ex(rec, "body", &b))
                        continue;
                raw = json_object_get_string(b);
                body = json_tokener_parse(raw);
                if (!body)
                        continue;
                if (!body_is_about(body, raw, request_id, type)) {
                        json_object_put(body);
                        continue;
                }
                if (json_object_object_get_ex(rec, "headers", &h))
                        json_object_object_add(body, "_headers", json_object_get(h));
                if (json_object_object_get_ex(rec, "signature_valid", &sig))
                        json_object_object_add(body, "_signature_valid", json_object_get(sig));
                if (json_object_object_get_ex(rec, "time", &sig))
                        json_object_object_add(body, "_time", json_object_get(sig));
                json_object_object_add(body, "_raw", json_object_new_string(raw));
                json_object_array_add(out, body);
        }
        json_object_put(all);
        return out;
}

bool wait_records(const Receiver *r, const char *request_id, const char *type, size_t n, uint64_t timeout_usec) {
        uint64_t deadline = now_usec_monotonic() + timeout_usec;

        for (;;) {
                struct json_object *a = records_for(r, request_id, type);
                size_t have = json_object_array_length(a);

                json_object_put(a);
                if (have >= n)
                        return true;
                if (now_usec_monotonic() >= deadline)
                        return false;
                sleep_usec(50000);
        }
}

char *body_link(struct json_object *body, const char *approver) {
        struct json_object *data, *links;
        size_t n;

        if (!json_object_object_get_ex(body, "data", &data) || !json_object_object_get_ex(data, "review_links", &links))
                return NULL;
        n = json_object_array_length(links);
        for (size_t i = 0; i < n; i++) {
                struct json_object *l = json_object_array_get_idx(links, i), *a, *u;
                const char *name = "";

                if (json_object_object_get_ex(l, "approver", &a) && json_object_is_type(a, json_type_string))
                        name = json_object_get_string(a);
                if (strcmp(name, approver) == 0 && json_object_object_get_ex(l, "url", &u))
                        return strdup(json_object_get_string(u));
        }
        return NULL;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
        HttpResult *r = userdata;
        size_t k = size * n;
        char *b = realloc(r->body, r->size + k + 1);

        if (!b)
                return 0;
        memcpy(b + r->size, p, k);
        r->body = b;
        r->size += k;
        b[r->size] = 0;
        return k;
}

const char *http_proxy_header;

int http_do(const char *method, const char *url, const char *body, const char *const *headers, HttpResult *ret) {
        struct curl_slist *list = NULL;
        CURL *c = curl_easy_init();
        CURLcode rc;

        *ret = (HttpResult){};
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; headers && headers[i]; i++)
                list = curl_slist_append(list, headers[i]);
        if (http_proxy_header)
                list = curl_slist_append(list, http_proxy_header);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, ret);
        if (strcmp(method, "HEAD") == 0)
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (strcmp(method, "POST") == 0) {
                curl_easy_setopt(c, CURLOPT_POST, 1L);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        } else if (strcmp(method, "GET") != 0)
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        rc = curl_easy_perform(c);
        if (rc == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
        curl_slist_free_all(list);
        curl_easy_cleanup(c);
        return rc == CURLE_OK ? 0 : -EIO;
}

void http_result_done(HttpResult *r) {
        free(r->body);
        *r = (HttpResult){};
}

char *page_csrf(const char *html) {
        const char *p = html ? strstr(html, "name=\"csrf\" value=\"") : NULL;
        size_t n;

        if (!p)
                return NULL;
        p += strlen("name=\"csrf\" value=\"");
        n = strcspn(p, "\"");
        return strndup(p, n);
}

int review_decide(const char *url, const char *identity, const char *decision, const char *duration,
                  HttpResult *ret) {
        _cleanup_free_ char *csrf = NULL, *form = NULL, *header = NULL;
        const char *headers[3] = {};
        HttpResult page;
        int r;

        if (identity) {
                if (asprintf(&header, "X-Remote-User: %s", identity) < 0)
                        return -ENOMEM;
                headers[0] = header;
        }
        r = http_do("GET", url, NULL, headers, &page);
        if (r < 0)
                return r;
        csrf = page_csrf(page.body);
        if (!csrf) {
                /* No form: hand back the page that came instead. */
                *ret = page;
                return 0;
        }
        http_result_done(&page);
        if (asprintf(&form, "csrf=%s&decision=%s%s%s", csrf, decision, duration ? "&duration=" : "",
                     duration ? duration : "") < 0)
                return -ENOMEM;
        return http_do("POST", url, form, headers, ret);
}

/* ---- jitd ---- */

struct json_object *show_request(Jitd *j, const char *request_id) {
        struct json_object *reply = NULL, *p;

        if (call(j, JIT_METHOD_SHOW, params("id", request_id, NULL), &reply) < 0 || !reply)
                return NULL;
        if (!json_object_object_get_ex(reply, "parameters", &p)) {
                json_object_put(reply);
                return NULL;
        }
        p = json_object_get(p);
        json_object_put(reply);
        return p;
}

const char *request_state(Jitd *j, const char *request_id) {
        static char buf[32];
        struct json_object *p = show_request(j, request_id), *r, *s;

        snprintf(buf, sizeof(buf), "?");
        if (p && json_object_object_get_ex(p, "request", &r) && json_object_object_get_ex(r, "state", &s))
                snprintf(buf, sizeof(buf), "%s", json_object_get_string(s));
        json_object_put(p);
        return buf;
}

int count_active_grants(Jitd *j, const char *user) {
        struct json_object *reply = NULL, *grants;
        int n = 0;

        if (call(j, JIT_METHOD_LIST, params("filter", "active", NULL), &reply) < 0)
                return -1;
        grants = reply_member(reply, "grants");
        for (size_t i = 0; grants && i < json_object_array_length(grants); i++) {
                struct json_object *g = json_object_array_get_idx(grants, i), *u;

                if (json_object_object_get_ex(g, "user", &u) && strcmp(json_object_get_string(u), user) == 0)
                        n++;
        }
        json_object_put(reply);
        return n;
}

int audit_count(Jitd *j, const char *event, const char *request_id) {
        FILE *f = fopen(j->audit, "re");
        char line[8192];
        int n = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                struct json_object *o = json_tokener_parse(line), *v;

                if (!o)
                        continue;
                if (json_object_object_get_ex(o, "JIT_EVENT", &v) && strcmp(json_object_get_string(v), event) == 0 &&
                    (!request_id || (json_object_object_get_ex(o, "JIT_REQUEST_ID", &v) &&
                                     strcmp(json_object_get_string(v), request_id) == 0)))
                        n++;
                json_object_put(o);
        }
        fclose(f);
        return n;
}
