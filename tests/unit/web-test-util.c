/* Helpers for the notification tests; see web-test-util.h. Children
 * are plain fork()+exec or fork()+libcurl: the child never touches the
 * parent's sd-event loop and leaves with _exit(). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macros.h"
#include "web-test-util.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

char *scratch_create(void) {
        const char *tmp = getenv("TMPDIR");
        char *dir;

        if (asprintf(&dir, "%s/jit-web-test.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                return NULL;
        if (!mkdtemp(dir)) {
                free(dir);
                return NULL;
        }
        return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

void scratch_remove(char *dir) {
        if (!dir)
                return;
        (void) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
}

char *write_file(const char *dir, const char *name, const char *text, mode_t mode) {
        char *path;
        int fd;
        size_t n = strlen(text);

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return NULL;
        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, n) != (ssize_t) n || fchmod(fd, mode) < 0) {
                if (fd >= 0)
                        close(fd);
                free(path);
                return NULL;
        }
        close(fd);
        return path;
}

static int read_line_with_deadline(int fd, char *buf, size_t size, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;
        size_t n = 0;

        while (n + 1 < size) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = now_usec();
                ssize_t k;

                if (now >= deadline)
                        return -ETIMEDOUT;
                if (poll(&p, 1, (int) ((deadline - now) / 1000 + 1)) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (!(p.revents & (POLLIN | POLLHUP)))
                        continue;
                k = read(fd, buf + n, 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EPIPE;
                if (buf[n] == '\n') {
                        buf[n] = 0;
                        return 0;
                }
                n++;
        }
        return -ENOBUFS;
}

int receiver_start(const char *python, const char *script, const char *dir, const char *name,
                   const char *const *extra, Receiver *ret) {
        const char *argv[32];
        size_t n = 0;
        char line[64];
        int pipefd[2], r;
        pid_t pid;
        char *log_path;

        if (asprintf(&log_path, "%s/%s.log", dir, name) < 0)
                return -ENOMEM;

        argv[n++] = python;
        argv[n++] = script;
        argv[n++] = "--log";
        argv[n++] = log_path;
        for (size_t i = 0; extra && extra[i] && n < ELEMENTSOF(argv) - 1; i++)
                argv[n++] = extra[i];
        argv[n] = NULL;

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                free(log_path);
                return -errno;
        }
        pid = fork();
        if (pid < 0) {
                free(log_path);
                return -errno;
        }
        if (pid == 0) {
                /* A test that dies (an abort, a sanitizer report) must not
                 * leave its receiver holding ctest's output pipe open until
                 * the test's timeout. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(pipefd[1], STDOUT_FILENO);
                execv(python, (char *const *) argv);
                _exit(127);
        }
        close(pipefd[1]);

        r = read_line_with_deadline(pipefd[0], line, sizeof(line), 10 * 1000000ULL);
        close(pipefd[0]);
        if (r < 0 || atoi(line) <= 0 || atoi(line) > 65535) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                free(log_path);
                return r < 0 ? r : -EIO;
        }

        *ret = (Receiver) { .pid = pid, .port = (uint16_t) atoi(line), .log_path = log_path };
        return 0;
}

void receiver_stop(Receiver *r) {
        if (!r || r->pid <= 0)
                return;
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
        free(r->log_path);
        r->log_path = NULL;
}

struct json_object *receiver_records(const Receiver *r) {
        struct json_object *array = json_object_new_array();
        FILE *f = fopen(r->log_path, "re");
        char *line = NULL;
        size_t size = 0;

        if (!f)
                return array;
        while (getline(&line, &size, f) > 0) {
                struct json_object *o = json_tokener_parse(line);

                if (o)
                        json_object_array_add(array, o);
        }
        free(line);
        fclose(f);
        return array;
}

size_t receiver_count(const Receiver *r) {
        struct json_object *a = receiver_records(r);
        size_t n = json_object_array_length(a);

        json_object_put(a);
        return n;
}

bool receiver_wait(const Receiver *r, size_t n, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;

        while (receiver_count(r) < n) {
                if (now_usec() >= deadline)
                        return false;
                usleep(20000);
        }
        return true;
}

int loop_run_until(sd_event *e, const bool *flag, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;

        while (!*flag) {
                uint64_t now = now_usec();

                if (now >= deadline)
                        return -ETIMEDOUT;
                if (sd_event_run(e, deadline - now) < 0)
                        return -EIO;
        }
        return 0;
}

void loop_run_for(sd_event *e, uint64_t usec) {
        uint64_t deadline = now_usec() + usec;

        for (uint64_t now = now_usec(); now < deadline; now = now_usec())
                (void) sd_event_run(e, deadline - now);
}

/* ---- HTTP client children ---- */

typedef struct Buffer {
        char *data;
        size_t size;
} Buffer;

static size_t buffer_append(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Buffer *b = userdata;
        size_t n = size * nmemb;
        char *p = realloc(b->data, b->size + n + 1);

        if (!p)
                return 0;
        memcpy(p + b->size, ptr, n);
        b->data = p;
        b->size += n;
        b->data[b->size] = 0;
        return n;
}

static void write_all_or_die(int fd, const void *p, size_t n) {
        const char *q = p;

        while (n > 0) {
                ssize_t k = write(fd, q, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(2);
                }
                q += k;
                n -= (size_t) k;
        }
}

_Noreturn static void client_child(const HttpClientRequest *req, int fd) {
        struct curl_slist *headers = NULL;
        Buffer h = {}, b = {};
        char line[128];
        long status = 0;
        CURLcode code;
        CURL *c;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        c = curl_easy_init();
        if (!c)
                _exit(3);
        curl_easy_setopt(c, CURLOPT_URL, req->url);
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 20000L);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, buffer_append);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buffer_append);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        if (req->ca_file)
                curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
        for (size_t i = 0; req->headers && req->headers[i]; i++)
                headers = curl_slist_append(headers, req->headers[i]);
        if (headers)
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

        if (strcmp(req->method, "HEAD") == 0)
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (strcmp(req->method, "POST") == 0) {
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        } else if (strcmp(req->method, "GET") != 0) {
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
                if (req->body)
                        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        }

        code = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

        snprintf(line, sizeof(line), "%ld %d %zu %zu\n", status, (int) code, h.size, b.size);
        write_all_or_die(fd, line, strlen(line));
        write_all_or_die(fd, h.data ? h.data : "", h.size);
        write_all_or_die(fd, b.data ? b.data : "", b.size);
        _exit(0);
}

static void client_parse(HttpClient *c) {
        size_t hlen = 0, blen = 0;
        char *nl;
        int code = 0;

        c->done = true;
        if (!c->buf)
                return;
        nl = memchr(c->buf, '\n', c->size);
        if (!nl || sscanf(c->buf, "%ld %d %zu %zu", &c->status, &code, &hlen, &blen) != 4)
                return;
        c->curl_code = code;
        if ((size_t) (nl + 1 - c->buf) + hlen + blen > c->size)
                return;
        c->headers = strndup(nl + 1, hlen);
        c->body = malloc(blen + 1);
        if (c->body) {
                memcpy(c->body, nl + 1 + hlen, blen);
                c->body[blen] = 0;
                c->body_size = blen;
        }
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpClient *c = userdata;
        char buf[16384];
        ssize_t k = read(fd, buf, sizeof(buf));

        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (k > 0) {
                char *p = realloc(c->buf, c->size + (size_t) k + 1);

                if (!p)
                        return -ENOMEM;
                memcpy(p + c->size, buf, (size_t) k);
                c->buf = p;
                c->size += (size_t) k;
                c->buf[c->size] = 0;
                return 0;
        }
        /* EOF or error: the child is done. */
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
        client_parse(c);
        return 0;
}

int http_client_start(sd_event *e, const HttpClientRequest *req, HttpClient **ret) {
        HttpClient *c = calloc(1, sizeof(*c));
        int pipefd[2], r;

        if (!c)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
                free(c);
                return -errno;
        }
        c->pid = fork();
        if (c->pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                free(c);
                return r;
        }
        if (c->pid == 0) {
                int flags;

                close(pipefd[0]);
                flags = fcntl(pipefd[1], F_GETFL);
                fcntl(pipefd[1], F_SETFL, flags & ~O_NONBLOCK);
                client_child(req, pipefd[1]);
        }
        close(pipefd[1]);
        c->fd = pipefd[0];
        r = sd_event_add_io(e, &c->source, c->fd, EPOLLIN, on_client_io, c);
        if (r < 0) {
                http_client_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int http_client_wait(sd_event *e, HttpClient *c, uint64_t timeout_usec) {
        return loop_run_until(e, &c->done, timeout_usec);
}

void http_client_free(HttpClient *c) {
        if (!c)
                return;
        sd_event_source_disable_unref(c->source);
        if (c->pid > 0) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, NULL, 0);
        }
        if (c->fd > 0)
                close(c->fd);
        free(c->buf);
        free(c->headers);
        free(c->body);
        free(c);
}

HttpClient *http_request(sd_event *e, const HttpClientRequest *req) {
        HttpClient *c = NULL;

        if (http_client_start(e, req, &c) < 0)
                return NULL;
        if (http_client_wait(e, c, 30 * 1000000ULL) < 0) {
                http_client_free(c);
                return NULL;
        }
        return c;
}

char *http_client_header(const HttpClient *c, const char *name) {
        size_t n = strlen(name);

        if (!c || !c->headers)
                return NULL;
        for (const char *p = c->headers; p && *p;) {
                const char *eol = strstr(p, "\r\n");
                size_t len = eol ? (size_t) (eol - p) : strlen(p);

                if (len > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':') {
                        const char *v = p + n + 1;

                        while (*v == ' ')
                                v++;
                        return strndup(v, len - (size_t) (v - p));
                }
                p = eol ? eol + 2 : NULL;
        }
        return NULL;
}

int run_command(const char *const *argv, char **ret_out) {
        int pipefd[2] = { -1, -1 }, status;
        pid_t pid;
        char *out = NULL;
        size_t size = 0;

        if (ret_out && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDERR_FILENO);
                        if (!ret_out)
                                dup2(null, STDOUT_FILENO);
                }
                if (ret_out)
                        dup2(pipefd[1], STDOUT_FILENO);
                execvp(argv[0], (char *const *) argv);
                _exit(127);
        }
        if (ret_out) {
                char buf[4096];
                ssize_t k;

                close(pipefd[1]);
                while ((k = read(pipefd[0], buf, sizeof(buf))) > 0) {
                        char *p = realloc(out, size + (size_t) k + 1);

                        if (!p)
                                break;
                        memcpy(p + size, buf, (size_t) k);
                        out = p;
                        size += (size_t) k;
                        out[size] = 0;
                }
                close(pipefd[0]);
        }
        if (waitpid(pid, &status, 0) < 0) {
                free(out);
                return -errno;
        }
        if (ret_out)
                *ret_out = out ? out : strdup("");
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int make_self_signed_cert(const char *dir, char **ret_cert, char **ret_key) {
        char *cert = NULL, *key = NULL;
        int r;

        if (asprintf(&cert, "%s/cert.pem", dir) < 0 || asprintf(&key, "%s/key.pem", dir) < 0) {
                free(cert);
                return -ENOMEM;
        }
        {
                const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                                       "-days", "2", "-subj", "/CN=localhost", "-addext",
                                       "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL };

                r = run_command(argv, NULL);
        }
        if (r != 0) {
                free(cert);
                free(key);
                return r == 127 ? -ENOENT : -EIO;
        }
        chmod(key, 0600);
        *ret_cert = cert;
        *ret_key = key;
        return 0;
}
