/* Standard Webhooks signatures for the "generic" webhook format: the
 * endpoint secret (parsed strictly, at least 24 bytes, from a file only
 * root can read), message ids, and the v1 HMAC-SHA256 signature over
 * "id.timestamp.body". Verification is here too, for tests and for anyone
 * who wants to check what jitd sends with the same code. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"
#include "crypto-util.h"
#include "random.h"
#include "webhook-sign.h"

#define SECRET_PREFIX "whsec_"
#define SIGNATURE_VERSION "v1"
#define MESSAGE_ID_PREFIX "msg_"
#define MESSAGE_ID_RANDOM_BYTES 16U

void webhook_secret_erase(WebhookSecret *s) {
        if (s)
                explicit_bzero(s, sizeof(*s));
}

static void set_error(char *error, size_t error_size, const char *message) {
        if (error && error_size > 0)
                snprintf(error, error_size, "%s", message);
}

int webhook_secret_parse(const char *text, size_t len, WebhookSecret *ret, char *error, size_t error_size) {
        /* Big enough for any base64 text that could decode to the cap, plus
         * one byte, so "too long" is told apart from "not base64". */
        uint8_t decoded[WEBHOOK_SECRET_SIZE_MAX + 3];
        size_t n = 0;
        int r;

        if (!text || !ret)
                return -EINVAL;

        strip_ascii_whitespace(&text, &len);
        if (len >= strlen(SECRET_PREFIX) && memcmp(text, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0) {
                text += strlen(SECRET_PREFIX);
                len -= strlen(SECRET_PREFIX);
        }
        if (len == 0) {
                set_error(error, error_size, "the webhook secret is empty");
                return -EINVAL;
        }
        if (len > base64_encoded_length(sizeof(decoded), false)) {
                set_error(error, error_size, "the webhook secret is longer than 512 bytes");
                return -EMSGSIZE;
        }

        r = base64_decode(text, len, false, decoded, sizeof(decoded), &n);
        if (r < 0) {
                explicit_bzero(decoded, sizeof(decoded));
                set_error(error, error_size,
                          "the webhook secret is not base64 (expected \"whsec_\" followed by base64, "
                          "e.g. from: echo whsec_$(head -c 32 /dev/urandom | base64))");
                return -EINVAL;
        }
        if (n < WEBHOOK_SECRET_SIZE_MIN) {
                explicit_bzero(decoded, sizeof(decoded));
                set_error(error, error_size, "the webhook secret is shorter than 24 bytes");
                return -EMSGSIZE;
        }
        if (n > WEBHOOK_SECRET_SIZE_MAX) {
                explicit_bzero(decoded, sizeof(decoded));
                set_error(error, error_size, "the webhook secret is longer than 512 bytes");
                return -EMSGSIZE;
        }

        ret->size = n;
        memcpy(ret->key, decoded, n);
        explicit_bzero(decoded, sizeof(decoded));
        return 0;
}

int webhook_secret_load(const char *path, WebhookSecret *ret, char *error, size_t error_size) {
        char *text = NULL;
        size_t size = 0;
        char message[256];
        int r;

        if (!path || !ret)
                return -EINVAL;

        r = read_private_file(path, WEBHOOK_SECRET_FILE_MAX, &text, &size, error, error_size);
        if (r < 0)
                return r;

        r = webhook_secret_parse(text, size, ret, message, sizeof(message));
        erase_and_free(text, size);
        if (r < 0 && error)
                snprintf(error, error_size, "%s: %s", path, message);
        return r;
}

int webhook_message_id_generate(char *buf, size_t size) {
        uint8_t bytes[MESSAGE_ID_RANDOM_BYTES];
        size_t prefix = strlen(MESSAGE_ID_PREFIX);
        int r;

        if (!buf)
                return -EINVAL;
        if (size < prefix + base64_encoded_length(sizeof(bytes), true) + 1)
                return -ENOBUFS;

        r = random_bytes(bytes, sizeof(bytes));
        if (r < 0)
                return r;

        memcpy(buf, MESSAGE_ID_PREFIX, prefix);
        return base64_encode(bytes, sizeof(bytes), true, buf + prefix, size - prefix);
}

bool webhook_message_id_is_valid(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strnlen(id, WEBHOOK_MESSAGE_ID_MAX);
        if (n == 0 || n >= WEBHOOK_MESSAGE_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-'))
                        return false;
        }
        return true;
}

static int signature_bytes(const WebhookSecret *s, const char *msg_id, const char *timestamp, const void *body,
                           size_t body_size, uint8_t out[static SHA256_DIGEST_SIZE]) {
        struct iovec iov[5] = {
                { .iov_base = (void *) msg_id, .iov_len = strlen(msg_id) },
                { .iov_base = (void *) ".", .iov_len = 1 },
                { .iov_base = (void *) timestamp, .iov_len = strlen(timestamp) },
                { .iov_base = (void *) ".", .iov_len = 1 },
                { .iov_base = (void *) body, .iov_len = body_size },
        };

        if (s->size < WEBHOOK_SECRET_SIZE_MIN || s->size > WEBHOOK_SECRET_SIZE_MAX)
                return -EINVAL;
        return hmac_sha256(s->key, s->size, iov, ELEMENTSOF(iov), out);
}

static int format_timestamp(int64_t timestamp, char buf[static 24]) {
        if (timestamp < 0)
                return -EINVAL;
        snprintf(buf, 24, "%" PRIi64, timestamp);
        return 0;
}

int webhook_sign(const WebhookSecret *s, const char *msg_id, int64_t timestamp, const void *body,
                 size_t body_size, char *buf, size_t size) {
        uint8_t mac[SHA256_DIGEST_SIZE];
        char ts[24];
        int r;

        if (!s || !webhook_message_id_is_valid(msg_id) || (!body && body_size > 0) || !buf)
                return -EINVAL;
        if (size < WEBHOOK_SIGNATURE_MAX)
                return -ENOBUFS;
        r = format_timestamp(timestamp, ts);
        if (r < 0)
                return r;

        r = signature_bytes(s, msg_id, ts, body, body_size, mac);
        if (r < 0)
                return r;

        memcpy(buf, SIGNATURE_VERSION ",", strlen(SIGNATURE_VERSION) + 1);
        r = base64_encode(mac, sizeof(mac), false, buf + strlen(SIGNATURE_VERSION) + 1,
                          size - strlen(SIGNATURE_VERSION) - 1);
        explicit_bzero(mac, sizeof(mac));
        return r;
}

static bool timestamp_is_valid(const char *t) {
        size_t n;

        if (!t)
                return false;
        n = strnlen(t, 20);
        if (n == 0 || n > 19)
                return false;
        for (size_t i = 0; i < n; i++)
                if (t[i] < '0' || t[i] > '9')
                        return false;
        return true;
}

int webhook_verify(const WebhookSecret *s, const char *msg_id, const char *timestamp, const void *body,
                   size_t body_size, const char *signature_header) {
        uint8_t mac[SHA256_DIGEST_SIZE];
        const char *p;
        bool match = false;
        int r;

        if (!s || !webhook_message_id_is_valid(msg_id) || !timestamp_is_valid(timestamp) ||
            (!body && body_size > 0) || !signature_header)
                return -EINVAL;

        r = signature_bytes(s, msg_id, timestamp, body, body_size, mac);
        if (r < 0)
                return r;

        /* Entries are "version,base64", separated by single spaces. Each v1
         * entry is decoded and compared in constant time; a receiver may
         * send several during a key rotation. */
        for (p = signature_header; *p;) {
                size_t len = strcspn(p, " ");
                const char *comma = memchr(p, ',', len);

                if (comma && (size_t) (comma - p) == strlen(SIGNATURE_VERSION) &&
                    memcmp(p, SIGNATURE_VERSION, strlen(SIGNATURE_VERSION)) == 0) {
                        uint8_t candidate[SHA256_DIGEST_SIZE];
                        size_t n = 0;

                        if (base64_decode(comma + 1, len - (size_t) (comma + 1 - p), false, candidate,
                                          sizeof(candidate), &n) == 0 &&
                            n == sizeof(candidate) && memeq_consttime(candidate, mac, sizeof(mac)))
                                match = true;
                        explicit_bzero(candidate, sizeof(candidate));
                }

                p += len;
                while (*p == ' ')
                        p++;
        }

        explicit_bzero(mac, sizeof(mac));
        return match ? 0 : -EBADMSG;
}

int webhook_signature_headers(const WebhookSecret *s, const char *msg_id, int64_t timestamp,
                              const void *body, size_t body_size, WebhookSignatureHeaders *ret) {
        char signature[WEBHOOK_SIGNATURE_MAX];
        int r;

        if (!ret)
                return -EINVAL;

        r = webhook_sign(s, msg_id, timestamp, body, body_size, signature, sizeof(signature));
        if (r < 0)
                return r;

        snprintf(ret->id, sizeof(ret->id), "webhook-id: %s", msg_id);
        snprintf(ret->timestamp, sizeof(ret->timestamp), "webhook-timestamp: %" PRIi64, timestamp);
        snprintf(ret->signature, sizeof(ret->signature), "webhook-signature: %s", signature);
        return 0;
}
