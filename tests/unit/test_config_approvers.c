/* jitd.conf's notification keys ([review], [webhook NAME], approvers= and
 * quorum=) through the real config loader: defaults, every key, list rules
 * across files, and each mistake an admin is likely to make, reported with
 * the section it is in. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-approvers.h"
#include "config.h"
#include "http-server.h"
#include "crypto-util.h"
#include "macros.h"
#include "test.h"

static char tmpdir[256];

static const char *tmp_file(const char *name, const char *content) {
        static char buf[8][512];
        static unsigned i;
        char *p = buf[i++ % 8];
        FILE *f;

        snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
        f = fopen(p, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(content, f);
                fclose(f);
        }
        return p;
}

static bool has(const StringList *l, const char *s) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i], s) == 0)
                        return true;
        return false;
}

static void expect_error(const char *content, const char *what) {
        Config c;
        ConfigError err = {};
        int r = config_load(&c, tmp_file("bad.conf", content), true, &err);

        CHECK(r < 0);
        if (r >= 0) {
                config_free(&c);
                return;
        }
        if (!strstr(err.message, what)) {
                fprintf(stderr, "expected an error with \"%s\", got \"%s\"\n", what, err.message);
                test_failures++;
        }
}

static void test_defaults(void) {
        Config c;
        ConfigError err = {};

        CHECK_INT(config_load(&c, tmp_file("empty.conf", ""), true, &err), 0);
        CHECK(c.approval != NULL);
        CHECK_STR(c.approval->review.listen, "127.0.0.1:8743");
        CHECK_STR(c.approval->review.listen_address, "127.0.0.1");
        CHECK_INT(c.approval->review.listen_port, 8743);
        CHECK(c.approval->review.public_url == NULL);
        CHECK(c.approval->review.identity_header == NULL);
        CHECK(has(&c.approval->review.trusted_proxies, "127.0.0.1") && has(&c.approval->review.trusted_proxies, "::1"));
        CHECK_INT(c.approval->review.max_connections, 64);
        CHECK_INT(c.approval->review.max_connections_per_ip, 16);
        CHECK_INT(c.approval->review.max_body, 8192);
        CHECK_INT(c.approval->review.connection_timeout_sec, 30);
        CHECK_INT(c.approval->review.request_timeout_sec, 10);
        CHECK_INT(c.approval->n_webhooks, 0);
        CHECK(!approver_config_any_webhook(c.approval));
        CHECK_INT(approver_config_quorum(c.approval, JIT_ACTION_LOGIN), 1);
        CHECK_INT(approver_config_quorum(c.approval, JIT_ACTION_SUDO), 1);
        config_free(&c);
}

static void test_full(void) {
        Config c;
        ConfigError err = {};
        const char *secret = tmp_file("hook.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
        char *text = NULL;
        const WebhookConfig *w;
        int r;

        const char *proxy_secret = tmp_file("full-proxy.secret", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA\n");

        CHECK(chmod(secret, 0600) == 0);
        CHECK(chmod(proxy_secret, 0600) == 0);
        CHECK(asprintf(&text,
                       "[login]\nusers = alice\napprovers = carol dave\napprovers = erin\nquorum = 2\n"
                       "[sudo]\nusers = alice\napprovers = carol\n"
                       "[review]\nlisten = [::1]:9000\npublic_url = https://jit.example.com/base/\n"
                       "identity_header = X-Remote-User\nidentity_secret_file = %s\n"
                       "identity_secret_header = X-Proxy-Token\ntrusted_proxies = 10.0.0.5 ::1\nmax_connections = 100\n"
                       "max_connections_per_ip = 10\nconnection_timeout = 1m\nrequest_timeout = 5s\nmax_body = 4K\n"
                       "[webhook ops-chat]\nurl = https://hooks.slack.com/services/T/B/x\nformat = slack\n"
                       "actions = sudo\nevents = created approved cancelled\napprovers = carol shared\ntimeout = 20s\n"
                       "connect_timeout = 5s\nproxy = http://proxy.example:3128\nretry_initial = 2s\n"
                       "retry_max_delay = 10m\nmax_age = 2h\n"
                       "[webhook siem]\nurl = https://siem.example/ingest\nsecret_file = %s\n",
                       proxy_secret, secret) > 0);
        r = config_load(&c, tmp_file("full.conf", text), true, &err);
        free(text);
        CHECK_INT(r, 0);
        if (r < 0) {
                fprintf(stderr, "%s\n", err.message);
                return;
        }
        CHECK(has(&c.approval->approvers[JIT_ACTION_LOGIN], "carol") && has(&c.approval->approvers[JIT_ACTION_LOGIN], "erin"));
        CHECK_INT(c.approval->approvers[JIT_ACTION_LOGIN].n, 3);
        CHECK_INT(approver_config_quorum(c.approval, JIT_ACTION_LOGIN), 2);
        CHECK(approver_config_is_approver(c.approval, JIT_ACTION_SUDO, "carol"));
        CHECK(!approver_config_is_approver(c.approval, JIT_ACTION_SUDO, "dave"));
        CHECK_STR(c.approval->review.listen_address, "::1");
        CHECK_INT(c.approval->review.listen_port, 9000);
        CHECK_STR(c.approval->review.public_url, "https://jit.example.com/base");
        CHECK_STR(c.approval->review.identity_header, "X-Remote-User");
        CHECK_STR(c.approval->review.identity_secret_file, proxy_secret);
        CHECK_STR(c.approval->review.identity_secret_header, "X-Proxy-Token");
        CHECK_INT(c.approval->review.trusted_proxies.n, 2);
        CHECK_INT(c.approval->review.max_body, 4096);
        CHECK_INT(c.approval->review.connection_timeout_sec, 60);
        CHECK_INT(c.approval->review.request_timeout_sec, 5);

        CHECK_INT(c.approval->n_webhooks, 2);
        w = &c.approval->webhooks[0];
        CHECK_STR(w->name, "ops-chat");
        CHECK_INT(w->format, WEBHOOK_FORMAT_SLACK);
        CHECK(!w->actions[JIT_ACTION_LOGIN] && w->actions[JIT_ACTION_SUDO]);
        CHECK(w->events[WEBHOOK_EVENT_REQUEST_CREATED] && w->events[WEBHOOK_EVENT_REQUEST_APPROVED] &&
              !w->events[WEBHOOK_EVENT_REQUEST_DENIED] && !w->events[WEBHOOK_EVENT_REQUEST_EXPIRED] &&
              w->events[WEBHOOK_EVENT_REQUEST_CANCELLED]);
        CHECK_INT(w->timeout_sec, 20);
        CHECK_INT(w->connect_timeout_sec, 5);
        CHECK_STR(w->proxy, "http://proxy.example:3128");
        CHECK_INT(w->max_age_sec, 7200);
        /* Links: carol (an approver for sudo) and the shared one, not dave. */
        CHECK(webhook_config_links_for(c.approval, w, JIT_ACTION_SUDO, "carol"));
        CHECK(webhook_config_links_for(c.approval, w, JIT_ACTION_SUDO, ""));
        CHECK(!webhook_config_links_for(c.approval, w, JIT_ACTION_SUDO, "dave"));
        w = &c.approval->webhooks[1];
        CHECK_INT(w->format, WEBHOOK_FORMAT_GENERIC);
        CHECK(w->actions[JIT_ACTION_LOGIN] && w->actions[JIT_ACTION_SUDO]);
        /* Unset events=: every one, a requester's withdrawal too. */
        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                CHECK(w->events[t]);
        /* Unset approvers=: everyone who approves the action. */
        CHECK(webhook_config_links_for(c.approval, w, JIT_ACTION_LOGIN, "dave"));
        CHECK(!webhook_config_links_for(c.approval, w, JIT_ACTION_SUDO, "dave"));
        CHECK_INT(config_approvers_verify_files(&c, stderr), 0);

        {
                char *out = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&out, &size);

                config_print(&c, f);
                fclose(f);
                CHECK(out && strstr(out, "[webhook ops-chat]") && strstr(out, "quorum = 2") &&
                      strstr(out, "public_url = https://jit.example.com/base") &&
                      strstr(out, "events = created approved cancelled\n") &&
                      strstr(out, "events = created approved denied expired cancelled\n"));
                free(out);
        }
        config_free(&c);
}

/* A drop-in replaces a list set in the main file. */
static void test_dropin_replaces(void) {
        Config c;
        ConfigError err = {};
        char dir[512];

        snprintf(dir, sizeof(dir), "%s/main.conf.d", tmpdir);
        CHECK(mkdir(dir, 0755) == 0);
        tmp_file("main.conf.d/10-approvers.conf", "[sudo]\napprovers = frank\n");
        CHECK_INT(config_load(&c, tmp_file("main.conf", "[sudo]\napprovers = carol dave\n"), true, &err), 0);
        CHECK_INT(c.approval->approvers[JIT_ACTION_SUDO].n, 1);
        CHECK(has(&c.approval->approvers[JIT_ACTION_SUDO], "frank"));
        config_free(&c);
}

static void test_mistakes(void) {
        expect_error("[webhook ops]\nformat = slack\n", "needs url=");
        expect_error("[webhook ops]\nurl = https://x.example/\n", "needs secret_file=");
        expect_error("[webhook ops]\nurl = http://example.com/\nformat = slack\n", "is not allowed");
        expect_error("[webhook ops]\nurl = http://example.com/\nformat = slack\nallow_http_loopback = yes\n",
                     "is not allowed");
        expect_error("[webhook ops]\nurl = ftp://example.com/\nformat = teams\n", "is not allowed");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = xml\n", "not generic, slack or teams");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\ncolour = red\n", "unknown key 'colour'");
        expect_error("[webhook bad name]\nurl = https://x.example/\n", "webhook name");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\napprovers = shared\n",
                     "needs [review] identity_header");
        /* A proxy's identity header is believed only with its secret. */
        expect_error("[review]\nlisten = 127.0.0.1:8743\nidentity_header = X-Remote-User\n",
                     "bad.conf:3: [review] identity_header= needs identity_secret_file=");
        expect_error("[review]\nidentity_header = X-Remote-User\nidentity_secret_file = /etc/jitd/p.secret\n"
                     "identity_secret_header = x-remote-user\n",
                     "must differ from identity_header");
        expect_error("[review]\nidentity_secret_header = X Token\n", "not an HTTP header name");
        expect_error("[review]\nidentity_secret_file = proxy.secret\n", "absolute path");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\napprovers = zed\n",
                     "not in [login] or [sudo] approvers");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\nevents = created paged\n",
                     "invalid entry 'paged'");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\ntimeout = 0\n", "invalid duration");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\nproxy = proxy:3128\n",
                     "is not a proxy URL");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\nsecret_file = relative\n",
                     "absolute path");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = slack\nretry_initial = 1h\n"
                     "retry_max_delay = 1m\n",
                     "retry_initial is longer");
        expect_error("[review]\nlisten = localhost:80\n", "numeric ADDRESS:PORT");
        expect_error("[review]\nlisten = 127.0.0.1:99999\n", "numeric ADDRESS:PORT");
        expect_error("[review]\npublic_url = https://user:pw@jit.example.com\n", "public_url");
        expect_error("[review]\npublic_url = https://jit.example.com/?x=1\n", "public_url");
        expect_error("[review]\ntls_cert = /etc/cert.pem\n", "tls_cert and tls_key");
        expect_error("[review]\ntrusted_proxies = proxy.example\n", "invalid entry");
        expect_error("[review]\nidentity_header = X Remote\n", "not an HTTP header name");
        expect_error("[review]\nmax_body = 1M\n", "invalid size");
        expect_error("[review]\nmax_body = 100\n", "out of range");
        expect_error("[review]\nrequest_timeout = 0\n", "request_timeout");
        expect_error("[review]\nrequest_timeout = 10m\n", "request_timeout");
        expect_error("[review]\nmax_connections = 10\nmax_connections_per_ip = 20\n", "max_connections_per_ip");
        expect_error("[review]\nport = 1\n", "unknown key 'port'");
        expect_error("[sudo]\nquorum = 0\n", "quorum");
        expect_error("[sudo]\nquorum = 17\n", "quorum");
        expect_error("[login]\napprovers = -rf\n", "invalid entry");
        expect_error("[webhook ops]\nurl = https://x.example/\nformat = generic\nsecret_file = /nonexistent\n"
                     "[webhook ops]\nmax_age = 30s\n",
                     "out of range");
}

static void expect_loads(const char *content) {
        Config c;
        ConfigError err = {};

        if (config_load(&c, tmp_file("ok.conf", content), true, &err) < 0) {
                fprintf(stderr, "refused \"%s\": %s\n", content, err.message);
                test_failures++;
        } else
                config_free(&c);
}

/* public_url and proxy= go through libcurl's URL parser: the corners of
 * both, accepted and refused. */
static void test_url_corners(void) {
        static const char *const public_ok[] = {
                "https://jit.example.com:8443/x", "HTTPS://jit.example.com", "https://[::1]:9000",
                "https://jit.example.com/a@b",    "https://jit.example.com/base//",
        };
        static const char *const public_bad[] = {
                "https://@jit.example.com", "https://u:p@jit.example.com", "https://jit.example.com/#",
                "https://jit.example.com/?", "https://jit.example.com/a b", "https:///x",
                "https://",                 "ftp://jit.example.com",    "jit.example.com",
                "https://jit.example.com/\xc3\xa4", "https://:443", "https://jit.example.com:99999",
                "https://[::1",
        };
        static const char *const proxy_ok[] = {
                "http://proxy:3128",          "https://proxy",     "socks5://p:1080",          "socks5h://p:1080",
                "SOCKS5://p:1080",            "http://[::1]:3128", "http://user:pw@proxy:3128",
        };
        static const char *const proxy_bad[] = {
                "proxy:3128", "socks4://p:1080", "http://", "http:// proxy", "http://:3128", "http://proxy:99999",
        };
        char conf[512];

        for (size_t i = 0; i < ELEMENTSOF(public_ok); i++) {
                snprintf(conf, sizeof conf, "[review]\npublic_url = %s\n", public_ok[i]);
                expect_loads(conf);
        }
        for (size_t i = 0; i < ELEMENTSOF(public_bad); i++) {
                snprintf(conf, sizeof conf, "[review]\npublic_url = %s\n", public_bad[i]);
                expect_error(conf, "bad.conf:2: [review] public_url: ");
        }
        for (size_t i = 0; i < ELEMENTSOF(proxy_ok); i++) {
                snprintf(conf, sizeof conf, "[webhook ops]\nurl = https://x.example/\nformat = slack\nproxy = %s\n",
                         proxy_ok[i]);
                expect_loads(conf);
        }
        for (size_t i = 0; i < ELEMENTSOF(proxy_bad); i++) {
                snprintf(conf, sizeof conf, "[webhook ops]\nurl = https://x.example/\nformat = slack\nproxy = %s\n",
                         proxy_bad[i]);
                expect_error(conf, "bad.conf:4: [webhook ops] proxy: ");
        }
}

/* --check-config prints a long approvers= over several lines that load
 * again (one printer for every list; a line is at most 199 bytes). */
static void test_long_list_prints_readable(void) {
        char text[4096] = "[login]\n", *out = NULL;
        size_t len = 0, n = strlen(text);
        Config c, again;
        ConfigError err = {};
        FILE *f;

        for (int i = 0; i < 40; i++)
                n += (size_t) snprintf(text + n, sizeof text - n, "approvers = approver%d\n", i);
        CHECK_INT(config_load(&c, tmp_file("long.conf", text), true, &err), 0);
        f = open_memstream(&out, &len);
        CHECK(f != NULL);
        if (!f)
                return;
        config_print(&c, f);
        fclose(f);
        CHECK_INT(config_load(&again, tmp_file("printed.conf", out), true, &err), 0);
        CHECK_INT(again.approval->approvers[JIT_ACTION_LOGIN].n, 40);
        config_free(&again);
        config_free(&c);
        free(out);
}

static void test_secret_files_checked(void) {
        Config c;
        ConfigError err = {};
        const char *secret = tmp_file("open.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
        char *text = NULL;
        FILE *devnull = fopen("/dev/null", "we");

        CHECK(chmod(secret, 0644) == 0);
        CHECK(asprintf(&text, "[webhook ops]\nurl = https://x.example/\nsecret_file = %s\n", secret) > 0);
        CHECK_INT(config_load(&c, tmp_file("open.conf", text), true, &err), 0);
        /* Loads (a syntax check), but the file check refuses it. */
        CHECK(config_approvers_verify_files(&c, devnull) < 0);
        config_free(&c);
        free(text);
        fclose(devnull);
}

/* Review links are bearer tokens: plain http only to loopback, unless the
 * admin says so. */
static void test_review_links_over_http(void) {
        static const char hook[] = "[webhook chat]\nurl = https://x.example/\nformat = slack\n";
        Config c;
        ConfigError err = {};
        char conf[512];

        snprintf(conf, sizeof(conf), "%s[review]\npublic_url = http://jit.example.com\n", hook);
        expect_error(conf, "bad.conf:5: [review] review links would be plain http to another host (http://jit.example.com)");
        snprintf(conf, sizeof(conf), "%s[review]\nlisten = 0.0.0.0:8743\n", hook);
        expect_error(conf, "plain http to another host (http://0.0.0.0:8743)");
        snprintf(conf, sizeof(conf), "%s[review]\nlisten = 192.0.2.7:0\n", hook);
        expect_error(conf, "plain http to another host");
        snprintf(conf, sizeof(conf), "%s[review]\nallow_http = maybe\n", hook);
        expect_error(conf, "not yes or no");

        /* https, loopback, no links at all, or allowed. */
        const char *fine[] = {
                "[review]\npublic_url = https://jit.example.com\n",
                "[review]\nlisten = 0.0.0.0:8743\npublic_url = https://jit.example.com\n",
                "[review]\nlisten = [::1]:8743\n",
                "[review]\npublic_url = http://127.0.0.1:9000\n",
                "[review]\npublic_url = http://jit.example.com\nallow_http = yes\n",
        };
        for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
                snprintf(conf, sizeof(conf), "%s%s", hook, fine[i]);
                if (config_load(&c, tmp_file("fine.conf", conf), true, &err) < 0) {
                        fprintf(stderr, "refused (%s): %s\n", fine[i], err.message);
                        test_failures++;
                } else {
                        CHECK(c.approval->review.allow_http == (strstr(fine[i], "allow_http") != NULL));
                        config_free(&c);
                }
        }
        /* No webhook: no links are sent, so nothing to refuse. */
        CHECK_INT(config_load(&c, tmp_file("nolinks.conf", "[review]\npublic_url = http://jit.example.com\n"), true,
                              &err),
                  0);
        config_free(&c);
}

/* A message holds at most WEBHOOK_LINKS_MAX review links; a configuration
 * that would leave approvers without one is refused where the list is. */
static void test_links_cap(void) {
        static const char hook[] = "[webhook chat]\nurl = https://x.example/\nformat = slack\n";
        char names16[256] = "", conf[1024];
        Config c;
        ConfigError err = {};

        for (unsigned i = 1; i <= WEBHOOK_LINKS_MAX; i++)
                snprintf(names16 + strlen(names16), sizeof(names16) - strlen(names16), " a%02u", i);

        /* Exactly the cap: every approver gets a link. */
        snprintf(conf, sizeof(conf), "[login]\napprovers =%s\n%s", names16, hook);
        CHECK_INT(config_load(&c, tmp_file("cap.conf", conf), true, &err), 0);
        config_free(&c);

        /* One more, on a line of its own: that line is named. */
        snprintf(conf, sizeof(conf), "[login]\napprovers =%s\napprovers = zed\n%s", names16, hook);
        expect_error(conf, "bad.conf:3: [webhook chat] would carry 17 review links for a login request (17 approvers), "
                           "more than the 16");

        /* The shared link counts too: it was the one silently dropped. */
        snprintf(conf, sizeof(conf), "[login]\napprovers =%s\n%s[review]\nidentity_header = X-Remote-User\n"
                 "identity_secret_file = /etc/jitd/proxy.secret\n", names16,
                 hook);
        expect_error(conf, "bad.conf:2: [webhook chat] would carry 17 review links for a login request (16 approvers "
                           "and the shared link)");

        /* A webhook's own approvers= list is checked, at its line. */
        snprintf(conf, sizeof(conf), "[login]\napprovers =%s zed\n%sapprovers =%s zed\n", names16, hook, names16);
        expect_error(conf, "bad.conf:6: [webhook chat] would carry 17");

        /* Split over endpoints, or not sent for that action: fine. */
        snprintf(conf, sizeof(conf),
                 "[login]\napprovers =%s zed\n%sapprovers =%s\n"
                 "[webhook zed]\nurl = https://x.example/\nformat = slack\napprovers = zed\n"
                 "[webhook audit]\nurl = https://x.example/\nformat = slack\nactions = sudo\n",
                 names16, hook, names16);
        if (config_load(&c, tmp_file("split.conf", conf), true, &err) < 0) {
                fprintf(stderr, "refused: %s\n", err.message);
                test_failures++;
        } else
                config_free(&c);

        /* An endpoint that never gets the created event carries no links. */
        snprintf(conf, sizeof(conf), "[login]\napprovers =%s zed\n%sevents = approved denied\n", names16, hook);
        CHECK_INT(config_load(&c, tmp_file("outcomes.conf", conf), true, &err), 0);
        config_free(&c);
}

/* The proxy secret file: private (like the webhook secrets) and a usable
 * header value; --check-config names the key's line. */
static void test_proxy_secret_checked(void) {
        Config c;
        ConfigError err = {};
        char *text = NULL, *out = NULL;
        size_t out_size = 0;
        FILE *f;
        const char *secret = tmp_file("proxy.secret", "  Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA\n");
        const char *short_secret = tmp_file("short.secret", "tooshort\n");

        CHECK(chmod(short_secret, 0600) == 0);
        CHECK(chmod(secret, 0640) == 0);
        CHECK(asprintf(&text, "[review]\nidentity_header = X-Remote-User\nidentity_secret_file = %s\n", secret) > 0);
        CHECK_INT(config_load(&c, tmp_file("proxy.conf", text), true, &err), 0);
        f = open_memstream(&out, &out_size);
        CHECK(config_approvers_verify_files(&c, f) < 0);
        fclose(f);
        CHECK(out && strstr(out, "proxy.conf:3: [review] identity_secret_file ") != NULL);
        free(out);
        out = NULL;

        CHECK(chmod(secret, 0600) == 0);
        f = open_memstream(&out, &out_size);
        CHECK_INT(config_approvers_verify_files(&c, f), 0);
        fclose(f);
        free(out);
        out = NULL;
        {
                char *value = NULL;
                size_t size = 0;

                CHECK_INT(http_proxy_secret_load(secret, &value, &size, NULL, 0), 0);
                CHECK_STR(value, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA");
                CHECK_INT(size, 30);
                erase_and_free(value, size);
                CHECK_INT(http_proxy_secret_load(short_secret, &value, &size, NULL, 0), -EINVAL);
        }
        config_free(&c);
        free(text);
}

int main(void) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jit-config-approvers.XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }

        test_defaults();
        test_full();
        test_dropin_replaces();
        test_mistakes();
        test_url_corners();
        test_long_list_prints_readable();
        test_secret_files_checked();
        test_review_links_over_http();
        test_links_cap();
        test_proxy_secret_checked();

        {
                char cmd[300];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
                if (system(cmd) != 0)
                        fprintf(stderr, "cannot remove %s\n", tmpdir);
        }
        return test_result("test_config_approvers");
}
