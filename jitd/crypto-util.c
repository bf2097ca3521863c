/* Primitives shared by the webhook and review-link code: strict base64
 * (a secret or a token has exactly one accepted spelling),
 * SHA-256 and HMAC-SHA256 through OpenSSL's EVP interfaces,
 * constant-time comparison, and the one place that decides whether a
 * secret file is private enough to use. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "crypto-util.h"

static const char base64_standard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char base64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64_encoded_length(size_t n, bool url) {
        if (url)
                return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
        return (n + 2) / 3 * 4;
}

int base64_encode(const void *p, size_t n, bool url, char *buf, size_t size) {
        const uint8_t *in = p;
        const char *alphabet = url ? base64_url : base64_standard;
        size_t out = 0, i;

        if ((!p && n > 0) || !buf)
                return -EINVAL;
        if (n > (SIZE_MAX - 4) / 4 * 3 || size <= base64_encoded_length(n, url))
                return -ENOBUFS;

        for (i = 0; i + 3 <= n; i += 3) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];

                buf[out++] = alphabet[v >> 18 & 63];
                buf[out++] = alphabet[v >> 12 & 63];
                buf[out++] = alphabet[v >> 6 & 63];
                buf[out++] = alphabet[v & 63];
        }
        if (n - i == 1) {
                uint32_t v = (uint32_t) in[i] << 16;

                buf[out++] = alphabet[v >> 18 & 63];
                buf[out++] = alphabet[v >> 12 & 63];
                if (!url) {
                        buf[out++] = '=';
                        buf[out++] = '=';
                }
        } else if (n - i == 2) {
                uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;

                buf[out++] = alphabet[v >> 18 & 63];
                buf[out++] = alphabet[v >> 12 & 63];
                buf[out++] = alphabet[v >> 6 & 63];
                if (!url)
                        buf[out++] = '=';
        }
        buf[out] = 0;
        return 0;
}

static int base64_value(char c, bool url) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == (url ? '-' : '+'))
                return 62;
        if (c == (url ? '_' : '/'))
                return 63;
        return -1;
}

int base64_decode(const char *s, size_t len, bool url, void *buf, size_t size, size_t *ret_size) {
        uint8_t *out = buf;
        size_t data_len = len, pad = 0, n = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        if ((!s && len > 0) || (!buf && size > 0))
                return -EINVAL;

        if (!url) {
                if (len % 4 != 0)
                        return -EINVAL;
                while (pad < 2 && data_len > 0 && s[data_len - 1] == '=') {
                        data_len--;
                        pad++;
                }
                /* The padding must be exactly what the data length implies. */
                if (pad != (4 - data_len % 4) % 4)
                        return -EINVAL;
        }
        if (data_len % 4 == 1)
                return -EINVAL;
        if (data_len / 4 * 3 + (data_len % 4 == 0 ? 0 : data_len % 4 - 1) > size)
                return -ENOBUFS;

        for (size_t i = 0; i < data_len; i++) {
                int v = base64_value(s[i], url);

                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6 | (uint32_t) v) & 0xffffff;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (uint8_t) (acc >> bits);
                }
        }
        /* Leftover bits of the last character must be zero. */
        if (bits > 0 && (acc & ((1U << bits) - 1)) != 0) {
                explicit_bzero(buf, n);
                return -EINVAL;
        }

        if (ret_size)
                *ret_size = n;
        return 0;
}

int sha256(const void *p, size_t n, uint8_t out[static SHA256_DIGEST_SIZE]) {
        unsigned int len = 0;

        if (!p && n > 0)
                return -EINVAL;
        if (EVP_Digest(p ? p : "", n, out, &len, EVP_sha256(), NULL) != 1 || len != SHA256_DIGEST_SIZE)
                return -EIO;
        return 0;
}

static void evp_mac_freep(EVP_MAC **m) {
        EVP_MAC_free(*m);
}

static void evp_mac_ctx_freep(EVP_MAC_CTX **c) {
        EVP_MAC_CTX_free(*c);
}

int hmac_sha256(const void *key, size_t key_size, const struct iovec *iov, size_t n_iov,
                uint8_t out[static SHA256_DIGEST_SIZE]) {
        _cleanup_(evp_mac_freep) EVP_MAC *mac = NULL;
        _cleanup_(evp_mac_ctx_freep) EVP_MAC_CTX *ctx = NULL;
        OSSL_PARAM params[2];
        size_t len = 0;

        if (!key || key_size == 0 || (!iov && n_iov > 0))
                return -EINVAL;

        mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
        if (!mac)
                return -EIO;
        ctx = EVP_MAC_CTX_new(mac);
        if (!ctx)
                return -ENOMEM;

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
        params[1] = OSSL_PARAM_construct_end();
        if (EVP_MAC_init(ctx, key, key_size, params) != 1)
                return -EIO;

        for (size_t i = 0; i < n_iov; i++) {
                if (iov[i].iov_len == 0)
                        continue;
                if (!iov[i].iov_base || EVP_MAC_update(ctx, iov[i].iov_base, iov[i].iov_len) != 1)
                        return -EIO;
        }

        if (EVP_MAC_final(ctx, out, &len, SHA256_DIGEST_SIZE) != 1 || len != SHA256_DIGEST_SIZE)
                return -EIO;
        return 0;
}

bool memeq_consttime(const void *a, const void *b, size_t n) {
        return CRYPTO_memcmp(a, b, n) == 0;
}

void erase_and_free(void *p, size_t n) {
        if (!p)
                return;
        explicit_bzero(p, n);
        free(p);
}

static bool is_ascii_whitespace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void strip_ascii_whitespace(const char **p, size_t *n) {
        const char *s = *p;
        size_t len = *n;

        while (len > 0 && is_ascii_whitespace(s[0])) {
                s++;
                len--;
        }
        while (len > 0 && is_ascii_whitespace(s[len - 1]))
                len--;
        *p = s;
        *n = len;
}

int read_private_file(const char *path, size_t max_size, char **ret, size_t *ret_size, char *error,
                      size_t error_size) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        char *buf;
        size_t n = 0;

        if (!path || !*path || !ret || max_size == 0 || max_size > SIZE_MAX - 1)
                return -EINVAL;
        if (error && error_size > 0)
                error[0] = 0;

        /* O_NONBLOCK: a FIFO planted in place of the file must not hang jitd. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int r = negative_errno();

                if (error)
                        snprintf(error, error_size, "%s: cannot open: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0)
                return negative_errno();

        if (!S_ISREG(st.st_mode)) {
                if (error)
                        snprintf(error, error_size, "%s: not a regular file", path);
                return -EINVAL;
        }
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                if (error)
                        snprintf(error, error_size, "%s: owned by uid %u; a secret file must be owned by root",
                                 path, (unsigned) st.st_uid);
                return -EPERM;
        }
        if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
                if (error)
                        snprintf(error, error_size,
                                 "%s: mode %04o gives group or others access; a secret file must be "
                                 "mode 0600 or 0400 (chmod go= %s)",
                                 path, (unsigned) (st.st_mode & 07777), path);
                return -EPERM;
        }
        if (st.st_size < 0 || (uint64_t) st.st_size > max_size) {
                if (error)
                        snprintf(error, error_size, "%s: larger than %zu bytes", path, max_size);
                return -EFBIG;
        }

        buf = malloc(max_size + 1);
        if (!buf)
                return -ENOMEM;

        /* Read up to the cap even if the size changed since fstat(). */
        for (;;) {
                ssize_t k = read(fd, buf + n, max_size + 1 - n);

                if (k < 0) {
                        int r;

                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        erase_and_free(buf, max_size + 1);
                        return r;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max_size)
                        break;
        }
        if (n > max_size) {
                erase_and_free(buf, max_size + 1);
                if (error)
                        snprintf(error, error_size, "%s: larger than %zu bytes", path, max_size);
                return -EFBIG;
        }

        buf[n] = 0;
        *ret = buf;
        if (ret_size)
                *ret_size = n;
        return 0;
}
