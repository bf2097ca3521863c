/* etcd's JSON-gateway responses (jitd/etcd-client.c's etcd_parse_*()): the
 * first byte picks the parser, the rest is the body.
 *
 * Oracles: no crash or leak; every error is a negative errno from the
 * documented set; a parsed range's keys and values, base64-encoded again
 * into a fresh response, parse back to the same bytes and revisions; every
 * parsed revision, id and TTL is in range. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-util.h"
#include "etcd-client.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        return 0;
}

static void check_errno(int r, const char *what) {
        if (r >= 0)
                return;
        if (r != -EBADMSG && r != -ENOMEM && r != -ESTALE && r != -ENOENT && r != -EACCES && r != -EPERM &&
            r != -EIO)
                fuzz_fail("%s: unexpected error %d", what, r);
}

static char *b64(const uint8_t *p, size_t n) {
        size_t len = base64_encoded_length(n, false);
        char *s = malloc(len + 1);

        if (!s || base64_encode(p, n, false, s, len + 1) < 0)
                fuzz_fail("base64_encode of %zu bytes failed", n);
        return s;
}

static bool kv_equal(const EtcdKv *a, const EtcdKv *b) {
        return a->key_size == b->key_size && memcmp(a->key, b->key, a->key_size) == 0 &&
               a->value_size == b->value_size && (a->value_size == 0 || memcmp(a->value, b->value, a->value_size) == 0) &&
               a->mod_revision == b->mod_revision && a->create_revision == b->create_revision;
}

static void round_trip(const EtcdRange *r) {
        struct json_object *o = json_object_new_object(), *h = json_object_new_object(), *kvs = json_object_new_array();
        char rev[32];
        EtcdRange again = {};
        const char *body;

        snprintf(rev, sizeof(rev), "%" PRIi64, r->revision);
        json_object_object_add(h, "revision", json_object_new_string(rev));
        json_object_object_add(o, "header", h);
        for (size_t i = 0; i < r->n_kvs; i++) {
                struct json_object *kv = json_object_new_object();
                char *k = b64(r->kvs[i].key, r->kvs[i].key_size), *v = b64(r->kvs[i].value, r->kvs[i].value_size);

                if (r->kvs[i].key_size == 0 || r->kvs[i].mod_revision < 1 || r->kvs[i].mod_revision > r->revision ||
                    r->kvs[i].create_revision < 1 || r->kvs[i].create_revision > r->kvs[i].mod_revision)
                        fuzz_fail("kv %zu: empty key or revision out of range", i);
                json_object_object_add(kv, "key", json_object_new_string(k));
                json_object_object_add(kv, "value", json_object_new_string(v));
                snprintf(rev, sizeof(rev), "%" PRIi64, r->kvs[i].create_revision);
                json_object_object_add(kv, "create_revision", json_object_new_string(rev));
                snprintf(rev, sizeof(rev), "%" PRIi64, r->kvs[i].mod_revision);
                json_object_object_add(kv, "mod_revision", json_object_new_string(rev));
                json_object_array_add(kvs, kv);
                free(k);
                free(v);
        }
        json_object_object_add(o, "kvs", kvs);
        body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        if (etcd_parse_range(body, strlen(body), &again) < 0)
                fuzz_fail("re-encoded range does not parse:\n%s", body);
        if (again.n_kvs != r->n_kvs || again.revision != r->revision)
                fuzz_fail("re-encoded range differs:\n%s", body);
        for (size_t i = 0; i < r->n_kvs; i++)
                if (!kv_equal(&r->kvs[i], &again.kvs[i]))
                        fuzz_fail("kv %zu differs after a round trip:\n%s", i, body);
        etcd_range_done(&again);
        json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *body = (const char *) data + 1;
        EtcdRange range = {};
        int64_t a = 0, b = 0;
        char msg[64];
        int r;

        if (size < 1)
                return 0;
        size--;
        switch (data[0] % 6) {
        case 0:
                r = etcd_parse_range(body, size, &range);
                check_errno(r, "range");
                if (r >= 0) {
                        if (range.revision < 1)
                                fuzz_fail("range: revision %" PRIi64, range.revision);
                        round_trip(&range);
                        etcd_range_done(&range);
                }
                break;
        case 1:
                r = etcd_parse_txn(body, size);
                check_errno(r, "txn");
                break;
        case 2:
                r = etcd_parse_lease_grant(body, size, &a, &b);
                check_errno(r, "lease grant");
                if (r >= 0 && (a < 1 || b < 1))
                        fuzz_fail("lease grant: id %" PRIi64 " ttl %" PRIi64, a, b);
                break;
        case 3:
                r = etcd_parse_keepalive(body, size, &a);
                check_errno(r, "keepalive");
                if (r >= 0 && a < 1)
                        fuzz_fail("keepalive: ttl %" PRIi64, a);
                break;
        case 4:
                r = etcd_parse_deleted(body, size, &a);
                check_errno(r, "deleterange");
                break;
        default:
                r = etcd_parse_error(body, size, msg, sizeof(msg));
                if (r != -EACCES && r != -EPERM && r != -EIO)
                        fuzz_fail("error body: %d", r);
                for (const char *p = msg; *p; p++)
                        if (*p < 0x20 || *p >= 0x7f)
                                fuzz_fail("error message not sanitised");
                break;
        }
        return 0;
}
