/* jitd's etcd v3 JSON-gateway client: request bodies (base64 keys and
 * values), one blocking libcurl call per operation with endpoint failover,
 * and strict parsers of what etcd answers. Failover: a connection failure
 * or a timeout moves to the next endpoint, and the one that answered is
 * tried first next time; an answer from etcd (even an error) is final.
 * Responses are capped at ETCD_RESPONSE_MAX, parsed with a depth-limited
 * json_tokener, and every field is type- and range-checked. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "crypto-util.h"
#include "etcd-client.h"
#include "json-util.h"
#include "macros.h"

struct EtcdClient {
        CURL *curl;
        char **endpoints;
        size_t n_endpoints;
        size_t current;
        char *ca_file, *cert_file, *key_file;
        long connect_timeout_ms, timeout_ms;
        char error[256];
};

typedef struct Buffer {
        char *data;
        size_t size;
        bool too_big;
} Buffer;

static void json_putp(struct json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static void tokener_freep(struct json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

EtcdClient *etcd_client_free(EtcdClient *c) {
        if (!c)
                return NULL;
        if (c->curl)
                curl_easy_cleanup(c->curl);
        for (size_t i = 0; i < c->n_endpoints; i++)
                free(c->endpoints[i]);
        free(c->endpoints);
        free(c->ca_file);
        free(c->cert_file);
        free(c->key_file);
        free(c);
        return NULL;
}

static int strdup_optional(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static long usec_to_ms(uint64_t usec) {
        uint64_t ms = (usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC;

        return ms > 86400000 ? 86400000 : (long) (ms ?: 1);
}

int etcd_client_new(const EtcdClientSettings *s, EtcdClient **ret) {
        _cleanup_(etcd_client_freep) EtcdClient *c = NULL;

        if (!s || s->n_endpoints == 0 || s->timeout_usec == 0 || !!s->cert_file != !!s->key_file)
                return -EINVAL;
        for (size_t i = 0; i < s->n_endpoints; i++)
                if (!s->endpoints[i] || (strncmp(s->endpoints[i], "https://", 8) != 0 &&
                                         strncmp(s->endpoints[i], "http://", 7) != 0))
                        return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->endpoints = calloc(s->n_endpoints, sizeof(char *));
        if (!c->endpoints)
                return -ENOMEM;
        for (; c->n_endpoints < s->n_endpoints; c->n_endpoints++) {
                /* Without a trailing slash, so that "/v3/..." appends. */
                size_t n = strlen(s->endpoints[c->n_endpoints]);
                while (n > 0 && s->endpoints[c->n_endpoints][n - 1] == '/')
                        n--;
                c->endpoints[c->n_endpoints] = strndup(s->endpoints[c->n_endpoints], n);
                if (!c->endpoints[c->n_endpoints])
                        return -ENOMEM;
        }
        if (strdup_optional(s->ca_file, &c->ca_file) < 0 || strdup_optional(s->cert_file, &c->cert_file) < 0 ||
            strdup_optional(s->key_file, &c->key_file) < 0)
                return -ENOMEM;
        c->timeout_ms = usec_to_ms(s->timeout_usec);
        c->connect_timeout_ms = usec_to_ms(s->connect_timeout_usec ?: s->timeout_usec);
        c->curl = curl_easy_init();
        if (!c->curl)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

const char *etcd_client_last_error(EtcdClient *c) {
        return c->error;
}

size_t etcd_client_current_endpoint(EtcdClient *c) {
        return c->current;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *userdata) {
        Buffer *b = userdata;
        size_t n = size * nmemb;
        char *d;

        if (n > ETCD_RESPONSE_MAX - b->size) {
                b->too_big = true;
                return 0; /* aborts the transfer */
        }
        d = realloc(b->data, b->size + n + 1);
        if (!d)
                return 0;
        memcpy(d + b->size, p, n);
        b->data = d;
        b->size += n;
        b->data[b->size] = 0;
        return n;
}

static void sanitise(const char *s, size_t n, char *out, size_t out_size) {
        size_t j = 0;

        if (out_size == 0)
                return;
        for (size_t i = 0; i < n && j + 1 < out_size; i++)
                out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
        out[j] = 0;
}

static int setup_call(EtcdClient *c, const char *url, const char *body, Buffer *b) {
        CURL *h = c->curl;

        curl_easy_reset(h);
        if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK)
                return -EIO;
        if (c->ca_file && curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) != CURLE_OK)
                return -EIO;
        if (c->cert_file && (curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file) != CURLE_OK ||
                             curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file) != CURLE_OK))
                return -EIO;
        return 0;
}

/* POST body to path on one endpoint after another. On 200, *ret holds the
 * response (NUL-terminated). An etcd error body is mapped to -errno. */
static int call(EtcdClient *c, const char *path, const char *body, Buffer *ret) {
        int r = -ECONNREFUSED;

        c->error[0] = 0;
        for (size_t k = 0; k < c->n_endpoints; k++) {
                size_t i = (c->current + k) % c->n_endpoints;
                _cleanup_free_ char *url = NULL;
                Buffer b = {};
                long status = 0;
                CURLcode cc;

                if (asprintf(&url, "%s%s", c->endpoints[i], path) < 0)
                        return -ENOMEM;
                r = setup_call(c, url, body, &b);
                if (r < 0)
                        return r;
                cc = curl_easy_perform(c->curl);
                if (cc != CURLE_OK) {
                        free(b.data);
                        if (b.too_big)
                                return -EMSGSIZE;
                        snprintf(c->error, sizeof(c->error), "%s: %s", c->endpoints[i], curl_easy_strerror(cc));
                        r = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
                        continue; /* connection, TLS or timeout: the next endpoint */
                }
                c->current = i;
                curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
                if (status != 200) {
                        r = etcd_parse_error(b.data ?: "", b.size, c->error, sizeof(c->error));
                        free(b.data);
                        return r;
                }
                if (!b.data)
                        return -EBADMSG; /* an empty 200 */
                *ret = b;
                return 0;
        }
        return r;
}

/* ---- request bodies ---- */

static int add_b64(struct json_object *o, const char *name, const void *p, size_t n) {
        size_t len = base64_encoded_length(n, false);
        _cleanup_free_ char *s = malloc(len + 1);
        int r;

        if (!s)
                return -ENOMEM;
        r = base64_encode(p, n, false, s, len + 1);
        if (r < 0)
                return r;
        return json_add_string(o, name, s);
}

static int add_int64(struct json_object *o, const char *name, int64_t v) {
        char s[32];

        /* The gateway takes int64 as strings, like it sends them. */
        snprintf(s, sizeof(s), "%" PRIi64, v);
        return json_add_string(o, name, s);
}

/* The end of the range of keys starting with key: key with its last byte
 * below 0xff incremented; "\0" (every key) if there is none. */
static int add_prefix_end(struct json_object *o, const void *key, size_t n) {
        _cleanup_free_ uint8_t *end = malloc(n ?: 1);
        const uint8_t *k = key;

        if (!end)
                return -ENOMEM;
        memcpy(end, k, n);
        while (n > 0 && end[n - 1] == 0xff)
                n--;
        if (n == 0) {
                end[0] = 0;
                return add_b64(o, "range_end", end, 1);
        }
        end[n - 1]++;
        return add_b64(o, "range_end", end, n);
}

static int put_object(const void *key, size_t key_size, const void *value, size_t value_size, int64_t lease,
                      struct json_object **ret) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = add_b64(o, "key", key, key_size);
        if (r >= 0)
                r = add_b64(o, "value", value, value_size);
        if (r >= 0 && lease != 0)
                r = add_int64(o, "lease", lease);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int call_object(EtcdClient *c, const char *path, struct json_object *o, Buffer *ret) {
        const char *body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

        if (!body)
                return -ENOMEM;
        return call(c, path, body, ret);
}

int etcd_put(EtcdClient *c, const void *key, size_t key_size, const void *value, size_t value_size, int64_t lease) {
        _cleanup_json_ struct json_object *o = NULL;
        Buffer b = {};
        int64_t rev;
        int r;

        if (!c || key_size == 0 || lease < 0)
                return -EINVAL;
        r = put_object(key, key_size, value, value_size, lease, &o);
        if (r < 0)
                return r;
        r = call_object(c, "/v3/kv/put", o, &b);
        if (r < 0)
                return r;
        r = etcd_parse_header_revision(b.data, b.size, &rev);
        free(b.data);
        return r;
}

static int key_object(const void *key, size_t key_size, bool prefix, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = add_b64(o, "key", key, key_size);
        if (r >= 0 && prefix)
                r = add_prefix_end(o, key, key_size);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int etcd_range(EtcdClient *c, const void *key, size_t key_size, bool prefix, EtcdRange *ret) {
        _cleanup_json_ struct json_object *o = NULL;
        Buffer b = {};
        int r;

        if (!c || !ret || key_size == 0)
                return -EINVAL;
        r = key_object(key, key_size, prefix, &o);
        if (r < 0)
                return r;
        r = call_object(c, "/v3/kv/range", o, &b);
        if (r < 0)
                return r;
        r = etcd_parse_range(b.data, b.size, ret);
        free(b.data);
        return r;
}

int etcd_delete(EtcdClient *c, const void *key, size_t key_size, bool prefix, int64_t *ret_deleted) {
        _cleanup_json_ struct json_object *o = NULL;
        Buffer b = {};
        int64_t deleted;
        int r;

        if (!c || key_size == 0)
                return -EINVAL;
        r = key_object(key, key_size, prefix, &o);
        if (r < 0)
                return r;
        r = call_object(c, "/v3/kv/deleterange", o, &b);
        if (r < 0)
                return r;
        r = etcd_parse_deleted(b.data, b.size, &deleted);
        free(b.data);
        if (r >= 0 && ret_deleted)
                *ret_deleted = deleted;
        return r;
}

static int txn_object(const void *key, size_t key_size, const void *value, size_t value_size, int64_t mod_revision,
                      int64_t lease, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = json_object_new_object(), *cmp = json_object_new_object(),
                                          *cmps = json_object_new_array(), *ops = json_object_new_array(),
                                          *op = json_object_new_object(), *put = NULL;
        int r;

        if (!o || !cmp || !cmps || !ops || !op)
                return -ENOMEM;
        /* An absent key's mod_revision compares as 0: "create only". */
        r = add_b64(cmp, "key", key, key_size);
        if (r >= 0)
                r = json_add_string(cmp, "target", "MOD");
        if (r >= 0)
                r = json_add_string(cmp, "result", "EQUAL");
        if (r >= 0)
                r = add_int64(cmp, "mod_revision", mod_revision);
        if (r >= 0)
                r = put_object(key, key_size, value, value_size, lease, &put);
        if (r >= 0)
                r = json_add(op, "request_put", TAKE_PTR(put));
        if (r < 0)
                return r;
        if (json_object_array_add(cmps, TAKE_PTR(cmp)) < 0 || json_object_array_add(ops, TAKE_PTR(op)) < 0)
                return -ENOMEM;
        r = json_add(o, "compare", TAKE_PTR(cmps));
        if (r >= 0)
                r = json_add(o, "success", TAKE_PTR(ops));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int etcd_put_if(EtcdClient *c, const void *key, size_t key_size, const void *value, size_t value_size,
                int64_t mod_revision, int64_t lease) {
        _cleanup_json_ struct json_object *o = NULL;
        Buffer b = {};
        int r;

        if (!c || key_size == 0 || mod_revision < 0 || lease < 0)
                return -EINVAL;
        r = txn_object(key, key_size, value, value_size, mod_revision, lease, &o);
        if (r < 0)
                return r;
        r = call_object(c, "/v3/kv/txn", o, &b);
        if (r < 0)
                return r;
        r = etcd_parse_txn(b.data, b.size);
        free(b.data);
        return r;
}

/* The lease calls take one int64 member: {"TTL": "30"} or {"ID": "..."}. */
static int call_lease(EtcdClient *c, const char *path, const char *name, int64_t v, Buffer *ret) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = add_int64(o, name, v);
        if (r < 0)
                return r;
        return call_object(c, path, o, ret);
}

int etcd_lease_grant(EtcdClient *c, int64_t ttl_sec, int64_t *ret_id) {
        Buffer b = {};
        int64_t ttl;
        int r;

        if (!c || !ret_id || ttl_sec <= 0)
                return -EINVAL;
        r = call_lease(c, "/v3/lease/grant", "TTL", ttl_sec, &b);
        if (r < 0)
                return r;
        r = etcd_parse_lease_grant(b.data, b.size, ret_id, &ttl);
        free(b.data);
        return r;
}

int etcd_lease_keepalive(EtcdClient *c, int64_t id, int64_t *ret_ttl) {
        Buffer b = {};
        int64_t ttl;
        int r;

        if (!c || id <= 0)
                return -EINVAL;
        r = call_lease(c, "/v3/lease/keepalive", "ID", id, &b);
        if (r < 0)
                return r;
        r = etcd_parse_keepalive(b.data, b.size, &ttl);
        free(b.data);
        if (r >= 0 && ret_ttl)
                *ret_ttl = ttl;
        return r;
}

/* ---- parsers: nothing in a response is trusted ---- */

static int parse_json(const char *body, size_t size, struct json_object **ret) {
        _cleanup_(tokener_freep) struct json_tokener *t = NULL;
        struct json_object *o;

        if (!body || size == 0 || size > ETCD_RESPONSE_MAX || size > INT32_MAX)
                return -EBADMSG;
        t = json_tokener_new_ex(ETCD_JSON_DEPTH);
        if (!t)
                return -ENOMEM;
        json_tokener_set_flags(t, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(t, body, (int) size);
        if (!o || json_tokener_get_error(t) != json_tokener_success)
                goto bad;
        /* Only whitespace may follow the object. */
        for (size_t i = json_tokener_get_parse_end(t); i < size; i++)
                if (!strchr(" \t\r\n", body[i]) || body[i] == 0)
                        goto bad;
        if (!json_object_is_type(o, json_type_object))
                goto bad;
        *ret = o;
        return 0;
bad:
        json_object_put(o);
        return -EBADMSG;
}

int etcd_parse_int64(struct json_object *v, int64_t min, int64_t max, int64_t *ret) {
        const char *s;
        int64_t x = 0;
        bool neg;
        size_t i, n;

        if (json_object_is_type(v, json_type_int)) {
                errno = 0;
                x = json_object_get_int64(v);
                if (errno != 0 || x < min || x > max)
                        return -ERANGE;
                *ret = x;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        n = (size_t) json_object_get_string_len(v);
        neg = n > 0 && s[0] == '-';
        i = neg ? 1 : 0;
        if (i == n || n > 20)
                return -EBADMSG;
        for (; i < n; i++) {
                int d;

                if (s[i] < '0' || s[i] > '9')
                        return -EBADMSG;
                d = s[i] - '0';
                if (!neg && x > (INT64_MAX - d) / 10)
                        return -ERANGE;
                if (neg && x < (INT64_MIN + d) / 10)
                        return -ERANGE;
                x = neg ? x * 10 - d : x * 10 + d;
        }
        if (x < min || x > max)
                return -ERANGE;
        *ret = x;
        return 0;
}

/* An optional int64 member: absent means 0 (the gateway omits zeros). */
static int member_int64(struct json_object *o, const char *name, int64_t min, int64_t max, int64_t *ret) {
        struct json_object *v = json_member(o, name);

        if (!v) {
                if (min > 0)
                        return -EBADMSG;
                *ret = 0;
                return 0;
        }
        return etcd_parse_int64(v, min, max, ret) < 0 ? -EBADMSG : 0;
}

static int header_revision(struct json_object *o, int64_t *ret) {
        struct json_object *h = json_member(o, "header");

        if (!h || !json_object_is_type(h, json_type_object))
                return -EBADMSG;
        return member_int64(h, "revision", 1, INT64_MAX, ret);
}

static int member_bytes(struct json_object *o, const char *name, bool required, uint8_t **ret, size_t *ret_size) {
        struct json_object *v = json_member(o, name);
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len, n;
        int r;

        if (!v) {
                if (required)
                        return -EBADMSG;
                /* Empty values are omitted: a 1-byte buffer keeps data non-NULL. */
                *ret = calloc(1, 1);
                *ret_size = 0;
                return *ret ? 0 : -ENOMEM;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        len = (size_t) json_object_get_string_len(v);
        buf = malloc(len / 4 * 3 + 1);
        if (!buf)
                return -ENOMEM;
        r = base64_decode(json_object_get_string(v), len, false, buf, len / 4 * 3 + 1, &n);
        if (r < 0)
                return -EBADMSG;
        if (required && n == 0)
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

static void kv_done(EtcdKv *kv) {
        free(kv->key);
        free(kv->value);
        *kv = (EtcdKv) {};
}

void etcd_range_done(EtcdRange *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_kvs; i++)
                kv_done(&r->kvs[i]);
        free(r->kvs);
        *r = (EtcdRange) {};
}

static int parse_kv(struct json_object *o, EtcdKv *ret) {
        EtcdKv kv = {};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = member_bytes(o, "key", true, &kv.key, &kv.key_size);
        if (r >= 0)
                r = member_bytes(o, "value", false, &kv.value, &kv.value_size);
        if (r >= 0)
                r = member_int64(o, "create_revision", 1, INT64_MAX, &kv.create_revision);
        if (r >= 0)
                r = member_int64(o, "mod_revision", 1, INT64_MAX, &kv.mod_revision);
        if (r >= 0 && kv.mod_revision < kv.create_revision)
                r = -EBADMSG;
        if (r < 0) {
                kv_done(&kv);
                return r;
        }
        *ret = kv;
        return 0;
}

int etcd_parse_range(const char *body, size_t size, EtcdRange *ret) {
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *kvs;
        EtcdRange range = {};
        size_t n;
        int r;

        r = parse_json(body, size, &o);
        if (r < 0)
                return r;
        r = header_revision(o, &range.revision);
        if (r < 0)
                return r;
        kvs = json_member(o, "kvs");
        if (kvs && !json_object_is_type(kvs, json_type_array))
                return -EBADMSG;
        n = kvs ? json_object_array_length(kvs) : 0;
        if (n > 0) {
                range.kvs = calloc(n, sizeof(EtcdKv));
                if (!range.kvs)
                        return -ENOMEM;
        }
        for (; range.n_kvs < n; range.n_kvs++) {
                r = parse_kv(json_object_array_get_idx(kvs, range.n_kvs), &range.kvs[range.n_kvs]);
                if (r >= 0 && range.kvs[range.n_kvs].mod_revision > range.revision) {
                        kv_done(&range.kvs[range.n_kvs]);
                        r = -EBADMSG; /* from the future */
                }
                if (r < 0) {
                        etcd_range_done(&range);
                        return r;
                }
        }
        *ret = range;
        return 0;
}

/* A response with a valid header: the object and the header's revision. */
static int parse_response(const char *body, size_t size, struct json_object **ret, int64_t *ret_revision) {
        _cleanup_json_ struct json_object *o = NULL;
        int64_t rev;
        int r = parse_json(body, size, &o);

        if (r < 0)
                return r;
        r = header_revision(o, &rev);
        if (r < 0)
                return r;
        if (ret_revision)
                *ret_revision = rev;
        *ret = TAKE_PTR(o);
        return 0;
}

int etcd_parse_header_revision(const char *body, size_t size, int64_t *ret_revision) {
        _cleanup_json_ struct json_object *o = NULL;

        return parse_response(body, size, &o, ret_revision);
}

int etcd_parse_deleted(const char *body, size_t size, int64_t *ret_deleted) {
        _cleanup_json_ struct json_object *o = NULL;
        int r = parse_response(body, size, &o, NULL);

        return r < 0 ? r : member_int64(o, "deleted", 0, INT64_MAX, ret_deleted);
}

int etcd_parse_txn(const char *body, size_t size) {
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *v;
        int r = parse_response(body, size, &o, NULL);

        if (r < 0)
                return r;
        /* "succeeded": false is omitted by the gateway. */
        v = json_member(o, "succeeded");
        if (!v)
                return -ESTALE;
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        return json_object_get_boolean(v) ? 0 : -ESTALE;
}

int etcd_parse_lease_grant(const char *body, size_t size, int64_t *ret_id, int64_t *ret_ttl) {
        _cleanup_json_ struct json_object *o = NULL;
        int64_t id, ttl;
        int r = parse_response(body, size, &o, NULL);

        if (r >= 0)
                r = member_int64(o, "ID", 1, INT64_MAX, &id);
        if (r >= 0)
                r = member_int64(o, "TTL", 1, INT64_MAX, &ttl);
        if (r < 0)
                return r;
        *ret_id = id;
        *ret_ttl = ttl;
        return 0;
}

int etcd_parse_keepalive(const char *body, size_t size, int64_t *ret_ttl) {
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *res;
        int64_t rev, ttl;
        int r = parse_json(body, size, &o);

        if (r < 0)
                return r;
        /* A stream of one message: {"result": {...}} or {"error": {...}}. */
        res = json_member(o, "result");
        if (!res || !json_object_is_type(res, json_type_object))
                return -EBADMSG;
        r = header_revision(res, &rev);
        if (r >= 0)
                r = member_int64(res, "TTL", INT64_MIN, INT64_MAX, &ttl);
        if (r < 0)
                return r;
        if (ttl <= 0)
                return -ENOENT; /* expired or revoked */
        *ret_ttl = ttl;
        return 0;
}

int etcd_parse_error(const char *body, size_t size, char *msg, size_t msg_size) {
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *e, *err;
        const char *m = NULL;
        int64_t code = 0;

        if (msg_size > 0)
                msg[0] = 0;
        if (parse_json(body, size, &o) < 0) {
                sanitise(body ?: "", body ? (size < 200 ? size : 200) : 0, msg, msg_size);
                return -EIO;
        }
        /* {"error": "...", "code": N, "message": "..."}; a stream wraps it in "error". */
        e = json_member(o, "error");
        err = e && json_object_is_type(e, json_type_object) ? e : o;
        e = json_member(err, "message") ?: json_member(err, "error");
        if (e && json_object_is_type(e, json_type_string)) {
                m = json_object_get_string(e);
                sanitise(m, (size_t) json_object_get_string_len(e), msg, msg_size);
        }
        if (json_member(err, "code"))
                (void) etcd_parse_int64(json_member(err, "code"), 0, 100, &code);
        if (code == 7 || (m && strstr(m, "permission denied")))
                return -EACCES;
        if (code == 16 || (m && (strstr(m, "authentication failed") || strstr(m, "invalid auth token") ||
                                 strstr(m, "user name is empty"))))
                return -EPERM;
        return -EIO;
}
