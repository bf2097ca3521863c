/* jitd/etcd-client.c against a real 3-member etcd cluster this test starts
 * itself (plain http on free loopback ports, a temp dir), and its parsers
 * on fixed response texts. The members get PR_SET_PDEATHSIG and are killed
 * at exit, so a failing or crashing test leaves none behind. Exit 77 only
 * if /usr/bin/etcd is missing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto-util.h"
#include "etcd-client.h"
#include "macros.h"
#include "test.h"

#define ETCD "/usr/bin/etcd"
#define N 3

static pid_t members[N];
static char tmpdir[] = "/tmp/test-etcd-client.XXXXXX";
static char *client_urls[N];

static void kill_member(int i) {
        if (members[i] > 0) {
                kill(members[i], SIGKILL);
                (void) waitpid(members[i], NULL, 0);
                members[i] = 0;
        }
}

static void cleanup(void) {
        char cmd[128];

        for (int i = 0; i < N; i++)
                kill_member(i);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        (void) system(cmd);
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static pid_t spawn_member(int i, int base, const char *cluster, const char *token) {
        char name[8], data[256], peer[64], client[64], log[256];
        pid_t pid;

        snprintf(name, sizeof(name), "m%d", i + 1);
        snprintf(data, sizeof(data), "%s/%s", tmpdir, name);
        snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", base + 10 + i);
        snprintf(client, sizeof(client), "http://127.0.0.1:%d", base + i);
        snprintf(log, sizeof(log), "%s/%s.log", tmpdir, name);
        pid = fork();
        if (pid == 0) {
                FILE *f = fopen(log, "w");

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (f) {
                        dup2(fileno(f), 1);
                        dup2(fileno(f), 2);
                }
                execl(ETCD, ETCD, "--name", name, "--data-dir", data, "--listen-peer-urls", peer,
                      "--initial-advertise-peer-urls", peer, "--listen-client-urls", client,
                      "--advertise-client-urls", client, "--initial-cluster", cluster,
                      "--initial-cluster-state", "new", "--initial-cluster-token", token, (char *) NULL);
                _exit(127);
        }
        return pid;
}

static EtcdClient *new_client(uint64_t timeout_usec) {
        EtcdClientSettings s = {
                .endpoints = client_urls, .n_endpoints = N, .timeout_usec = timeout_usec,
        };
        EtcdClient *c = NULL;

        if (etcd_client_new(&s, &c) < 0)
                return NULL;
        return c;
}

/* A cluster on random ports; a port taken makes a member exit, so retry. */
static int start_cluster(void) {
        for (int attempt = 0; attempt < 5; attempt++) {
                int base = 20000 + (int) (now_usec() % 20000) / 20 * 20;
                char cluster[512], token[32];
                _cleanup_(etcd_client_freep) EtcdClient *c = NULL;

                snprintf(cluster, sizeof(cluster),
                         "m1=http://127.0.0.1:%d,m2=http://127.0.0.1:%d,m3=http://127.0.0.1:%d", base + 10,
                         base + 11, base + 12);
                snprintf(token, sizeof(token), "t%d", base);
                for (int i = 0; i < N; i++) {
                        free(client_urls[i]);
                        if (asprintf(&client_urls[i], "http://127.0.0.1:%d", base + i) < 0)
                                return -ENOMEM;
                        members[i] = spawn_member(i, base, cluster, token);
                }
                c = new_client(2 * USEC_PER_SEC);
                if (!c)
                        return -ENOMEM;
                for (int t = 0; t < 100; t++) {
                        EtcdRange r = {};
                        bool dead = false;

                        if (etcd_range(c, "health", 6, false, &r) >= 0) {
                                etcd_range_done(&r);
                                return 0;
                        }
                        for (int i = 0; i < N; i++)
                                if (members[i] > 0 && waitpid(members[i], NULL, WNOHANG) == members[i]) {
                                        members[i] = 0; /* reaped: never kill a reused pid */
                                        dead = true;
                                }
                        if (dead)
                                break;
                        usleep(100000);
                }
                cleanup();
                if (mkdir(tmpdir, 0700) < 0)
                        return -errno;
        }
        return -ETIMEDOUT;
}

static const EtcdKv *find(const EtcdRange *r, const char *key) {
        for (size_t i = 0; i < r->n_kvs; i++)
                if (r->kvs[i].key_size == strlen(key) && memcmp(r->kvs[i].key, key, strlen(key)) == 0)
                        return &r->kvs[i];
        return NULL;
}

static void test_put_range(EtcdClient *c) {
        static const uint8_t bin[] = { 'a', 0, 0xff, 0xfe, 0x80, 'z', 0 };
        EtcdRange r = {};
        const EtcdKv *kv;

        CHECK_INT(etcd_put(c, "/t/one", 6, "v1", 2, 0), 0);
        CHECK_INT(etcd_range(c, "/t/one", 6, false, &r), 0);
        CHECK_INT(r.n_kvs, 1);
        if (r.n_kvs == 1) {
                CHECK(r.kvs[0].value_size == 2 && memcmp(r.kvs[0].value, "v1", 2) == 0);
                CHECK(r.kvs[0].mod_revision > 0 && r.kvs[0].mod_revision <= r.revision);
        }
        etcd_range_done(&r);

        CHECK_INT(etcd_put(c, "/t/p/a", 6, "A", 1, 0), 0);
        CHECK_INT(etcd_put(c, "/t/p/b", 6, "", 0, 0), 0);
        CHECK_INT(etcd_put(c, "/t/p/c", 6, bin, sizeof(bin), 0), 0);
        CHECK_INT(etcd_put(c, "/t/q", 4, "Q", 1, 0), 0);
        CHECK_INT(etcd_range(c, "/t/p/", 5, true, &r), 0);
        CHECK_INT(r.n_kvs, 3);
        kv = find(&r, "/t/p/c");
        CHECK(kv && kv->value_size == sizeof(bin) && memcmp(kv->value, bin, sizeof(bin)) == 0);
        kv = find(&r, "/t/p/b");
        CHECK(kv && kv->value_size == 0);
        CHECK(!find(&r, "/t/q"));
        etcd_range_done(&r);

        CHECK_INT(etcd_range(c, "/t/none", 7, false, &r), 0);
        CHECK_INT(r.n_kvs, 0);
        etcd_range_done(&r);
}

static int64_t mod_revision_of(EtcdClient *c, const char *key) {
        EtcdRange r = {};
        int64_t m = -1;

        if (etcd_range(c, key, strlen(key), false, &r) >= 0 && r.n_kvs == 1)
                m = r.kvs[0].mod_revision;
        etcd_range_done(&r);
        return m;
}

static void test_txn_delete(EtcdClient *c) {
        int64_t m, deleted = -1;

        CHECK_INT(etcd_put_if(c, "/t/x", 4, "1", 1, 0, 0), 0);
        CHECK_INT(etcd_put_if(c, "/t/x", 4, "2", 1, 0, 0), -ESTALE);
        m = mod_revision_of(c, "/t/x");
        CHECK(m > 0);
        CHECK_INT(etcd_put_if(c, "/t/x", 4, "3", 1, m, 0), 0);
        CHECK_INT(etcd_put_if(c, "/t/x", 4, "4", 1, m, 0), -ESTALE);
        CHECK(mod_revision_of(c, "/t/x") > m);

        CHECK_INT(etcd_delete(c, "/t/x", 4, false, &deleted), 0);
        CHECK_INT(deleted, 1);
        CHECK_INT(mod_revision_of(c, "/t/x"), -1);
        CHECK_INT(etcd_delete(c, "/t/p/", 5, true, &deleted), 0);
        CHECK_INT(deleted, 3);
        CHECK(mod_revision_of(c, "/t/q") > 0); /* outside the prefix: still there */
}

static void test_lease(EtcdClient *c) {
        int64_t id = 0, ttl = 0;
        EtcdRange r = {};

        CHECK_INT(etcd_lease_grant(c, 30, &id), 0);
        CHECK(id > 0);
        CHECK_INT(etcd_put(c, "/t/leased", 9, "L", 1, id), 0);
        CHECK_INT(etcd_lease_keepalive(c, id, &ttl), 0);
        CHECK(ttl > 0 && ttl <= 30);
        CHECK_INT(etcd_range(c, "/t/leased", 9, false, &r), 0);
        CHECK_INT(r.n_kvs, 1);
        etcd_range_done(&r);
        CHECK(etcd_put(c, "/t/leased", 9, "L", 1, 12345) < 0); /* no such lease */
        CHECK_INT(etcd_lease_keepalive(c, 12345, &ttl), -ENOENT);
}

static void test_failover(EtcdClient *c) {
        /* Killing member 0 may kill the leader: a write then waits for the
         * election (~1 s by etcd's defaults), so the timeout has room for it. */
        uint64_t timeout = 5 * USEC_PER_SEC, t0;
        _cleanup_(etcd_client_freep) EtcdClient *d = new_client(timeout);
        EtcdRange r = {};
        int k;

        CHECK(d);
        if (!d)
                return;
        CHECK_INT(etcd_range(d, "/t/q", 4, false, &r), 0);
        etcd_range_done(&r);
        CHECK_INT(etcd_client_current_endpoint(d), 0);
        kill_member(0);
        CHECK_INT(etcd_put(d, "/t/after", 8, "1", 1, 0), 0);
        CHECK(etcd_client_current_endpoint(d) != 0);
        CHECK_INT(etcd_range(d, "/t/after", 8, false, &r), 0);
        CHECK_INT(r.n_kvs, 1);
        etcd_range_done(&r);

        kill_member(1);
        kill_member(2);
        t0 = now_usec();
        k = etcd_range(d, "/t/q", 4, false, &r);
        CHECK(k == -ECONNREFUSED || k == -ETIMEDOUT);
        CHECK(now_usec() - t0 < 2 * timeout);
        (void) c;
}

/* ---- parsers on fixed texts ---- */

#define S(s) s, strlen(s)

static int parse_range_text(const char *s, EtcdRange *r) {
        return etcd_parse_range(s, strlen(s), r);
}

static void test_parsers(void) {
        EtcdRange r = {};
        int64_t x;
        char msg[64];
        const char *good = "{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"2\","
                           "\"mod_revision\":\"5\",\"version\":\"2\",\"value\":\"AP8=\"}],\"count\":\"1\"}";

        CHECK_INT(parse_range_text(good, &r), 0);
        CHECK_INT(r.revision, 7);
        CHECK_INT(r.n_kvs, 1);
        if (r.n_kvs == 1) {
                CHECK(r.kvs[0].key_size == 2 && memcmp(r.kvs[0].key, "/a", 2) == 0);
                CHECK(r.kvs[0].value_size == 2 && r.kvs[0].value[0] == 0 && r.kvs[0].value[1] == 0xff);
                CHECK_INT(r.kvs[0].mod_revision, 5);
                CHECK_INT(r.kvs[0].create_revision, 2);
        }
        etcd_range_done(&r);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"3\"}}", &r), 0);
        CHECK_INT(r.n_kvs, 0);
        etcd_range_done(&r);

        /* truncated, wrong types, huge revision, bad base64, trailing junk, depth */
        CHECK_INT(etcd_parse_range(good, strlen(good) - 3, &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":7.5}}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":[]}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"3\"},\"kvs\":{}}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"99999999999999999999\"}}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"-1\"}}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"L2E\","
                                   "\"create_revision\":\"2\",\"mod_revision\":\"2\"}]}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"L2E=\","
                                   "\"create_revision\":\"2\",\"mod_revision\":\"9\"}]}", &r), -EBADMSG);
        CHECK_INT(parse_range_text("{\"header\":{\"revision\":\"3\"}} x", &r), -EBADMSG);
        CHECK_INT(parse_range_text("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", &r), -EBADMSG);
        CHECK_INT(etcd_parse_range("", 0, &r), -EBADMSG);

        CHECK_INT(etcd_parse_txn(S("{\"header\":{\"revision\":\"3\"},\"succeeded\":true}")), 0);
        CHECK_INT(etcd_parse_txn(S("{\"header\":{\"revision\":\"3\"}}")), -ESTALE);
        CHECK_INT(etcd_parse_txn(S("{\"header\":{\"revision\":\"3\"},\"succeeded\":\"yes\"}")), -EBADMSG);
        CHECK_INT(etcd_parse_header_revision(S("{\"header\":{\"revision\":\"9223372036854775807\"}}"), &x), 0);
        CHECK_INT(x, INT64_MAX);
        CHECK_INT(etcd_parse_header_revision(S("{\"header\":{\"revision\":\"9223372036854775808\"}}"), &x), -EBADMSG);

        CHECK_INT(etcd_parse_error(S("{\"error\":\"etcdserver: permission denied\",\"code\":7}"), msg, sizeof(msg)), -EACCES);
        CHECK_STR(msg, "etcdserver: permission denied");
        CHECK_INT(etcd_parse_error(S("{\"message\":\"etcdserver: authentication failed, x\",\"code\":3}"), msg, sizeof(msg)), -EPERM);
        CHECK_INT(etcd_parse_error(S("{\"error\":\"bad\\u0001thing\",\"code\":2}"), msg, sizeof(msg)), -EIO);
        CHECK_STR(msg, "bad?thing");
        CHECK_INT(etcd_parse_error(S("<html>"), msg, sizeof(msg)), -EIO);
}

int main(int argc, char **argv) {
        _cleanup_(etcd_client_freep) EtcdClient *c = NULL;

        test_parsers();
        if (argc > 1 && strcmp(argv[1], "--parsers") == 0)
                return test_result("test-etcd-client --parsers");
        if (access(ETCD, X_OK) < 0) {
                fprintf(stderr, "%s missing: skipping the cluster tests\n", ETCD);
                return test_failures ? 1 : TEST_SKIP;
        }
        if (!mkdtemp(tmpdir))
                return 1;
        atexit(cleanup);
        CHECK_INT(start_cluster(), 0);
        c = new_client(2 * USEC_PER_SEC);
        CHECK(c);
        if (c && test_failures == 0) {
                test_put_range(c);
                test_txn_delete(c);
                test_lease(c);
                test_failover(c);
        }
        return test_result("test-etcd-client");
}
