/* jitd's client for etcd's v3 JSON gateway (issue 12, the fleet): put,
 * range, delete, "put if mod_revision == N", lease grant and one lease
 * keepalive, over blocking libcurl easy calls on one reused handle, with
 * failover across the configured endpoints. The watch stream and sd-event
 * integration come later; nothing in jitd calls this yet. Keys and values
 * are bytes (pointer + length); every response is parsed by the
 * etcd_parse_*() functions, which take (body, size) so they can be fuzzed
 * and trust nothing they are given. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Responses larger than this are refused (-EMSGSIZE). */
#define ETCD_RESPONSE_MAX (4U * 1024U * 1024U)
/* The json_tokener depth limit for a response. */
#define ETCD_JSON_DEPTH 16

typedef struct EtcdClientSettings {
        /* https://HOST:PORT, or http:// loopback for tests; tried in order. */
        char **endpoints;
        size_t n_endpoints;
        const char *ca_file;   /* NULL: the system's trust store */
        const char *cert_file; /* client certificate (optional, with key_file) */
        const char *key_file;
        uint64_t connect_timeout_usec; /* per endpoint; 0: timeout_usec */
        uint64_t timeout_usec;         /* whole call per endpoint */
} EtcdClientSettings;

typedef struct EtcdKv {
        uint8_t *key;
        size_t key_size;
        uint8_t *value;
        size_t value_size;
        int64_t create_revision;
        int64_t mod_revision;
} EtcdKv;

typedef struct EtcdRange {
        EtcdKv *kvs;
        size_t n_kvs;
        int64_t revision; /* the header's: the store revision the range saw */
} EtcdRange;

typedef struct EtcdClient EtcdClient;

int etcd_client_new(const EtcdClientSettings *s, EtcdClient **ret);
EtcdClient *etcd_client_free(EtcdClient *c);
static inline void etcd_client_freep(EtcdClient **c) {
        if (*c)
                etcd_client_free(*c);
}
/* etcd's message for the last -EIO/-EACCES/-EPERM (sanitised), or "". */
const char *etcd_client_last_error(EtcdClient *c);
/* The index of the endpoint that answered last. */
size_t etcd_client_current_endpoint(EtcdClient *c);

/* lease 0: none. Errors: -EACCES (permission denied), -EPERM
 * (authentication), -EIO (other etcd errors), -ECONNREFUSED/-ETIMEDOUT
 * (no endpoint answered), -EBADMSG (a response we cannot trust). */
int etcd_put(EtcdClient *c, const void *key, size_t key_size, const void *value, size_t value_size, int64_t lease);
/* prefix: every key starting with key. */
int etcd_range(EtcdClient *c, const void *key, size_t key_size, bool prefix, EtcdRange *ret);
int etcd_delete(EtcdClient *c, const void *key, size_t key_size, bool prefix, int64_t *ret_deleted);
/* Put only if the key's mod_revision is mod_revision (0: only if the key is
 * absent); -ESTALE if not. */
int etcd_put_if(EtcdClient *c, const void *key, size_t key_size, const void *value, size_t value_size,
                int64_t mod_revision, int64_t lease);
int etcd_lease_grant(EtcdClient *c, int64_t ttl_sec, int64_t *ret_id);
/* One keepalive; *ret_ttl is the remaining TTL. -ENOENT if the lease is gone. */
int etcd_lease_keepalive(EtcdClient *c, int64_t id, int64_t *ret_ttl);

void etcd_range_done(EtcdRange *r);

/* Parsers of a 200 response body. */
int etcd_parse_range(const char *body, size_t size, EtcdRange *ret);
int etcd_parse_header_revision(const char *body, size_t size, int64_t *ret_revision);
int etcd_parse_deleted(const char *body, size_t size, int64_t *ret_deleted);
/* 0 if the txn succeeded, -ESTALE if its compare failed. */
int etcd_parse_txn(const char *body, size_t size);
int etcd_parse_lease_grant(const char *body, size_t size, int64_t *ret_id, int64_t *ret_ttl);
int etcd_parse_keepalive(const char *body, size_t size, int64_t *ret_ttl);
/* An error body: -EACCES, -EPERM or -EIO; the message, sanitised, in msg. */
int etcd_parse_error(const char *body, size_t size, char *msg, size_t msg_size);
/* A decimal int64 from a JSON string or integer, within [min, max]. */
struct json_object;
int etcd_parse_int64(struct json_object *v, int64_t min, int64_t max, int64_t *ret);
