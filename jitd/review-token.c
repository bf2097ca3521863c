/* Review-link tokens: generation from getrandom(2), the strict shape check
 * done before any lookup, the SHA-256 form the store keeps, and CSRF
 * tokens derived from the link token with the server key. Every comparison
 * of secret material is constant-time. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "crypto-util.h"
#include "random.h"
#include "review-token.h"

/* Domain separation: the server key signs nothing else, but if it ever
 * does, a CSRF token must not double as anything else. */
#define CSRF_CONTEXT "jit-review-csrf-v1"
#define KEY_FILE_MAX 256U

int review_token_generate(char token[static REVIEW_TOKEN_STRING_MAX]) {
        uint8_t bytes[REVIEW_TOKEN_RANDOM_BYTES];
        int r;

        r = random_bytes(bytes, sizeof(bytes));
        if (r < 0)
                return r;
        r = base64_encode(bytes, sizeof(bytes), true, token, REVIEW_TOKEN_STRING_MAX);
        explicit_bzero(bytes, sizeof(bytes));
        return r;
}

bool review_token_is_well_formed(const char *token) {
        uint8_t bytes[REVIEW_TOKEN_RANDOM_BYTES];
        size_t n = 0;
        bool ok;

        if (!token || strnlen(token, REVIEW_TOKEN_LENGTH + 1) != REVIEW_TOKEN_LENGTH)
                return false;
        ok = base64_decode(token, REVIEW_TOKEN_LENGTH, true, bytes, sizeof(bytes), &n) == 0 &&
             n == sizeof(bytes);
        explicit_bzero(bytes, sizeof(bytes));
        return ok;
}

int review_token_hash(const char *token, ReviewTokenHash *ret) {
        if (!ret || !review_token_is_well_formed(token))
                return -EINVAL;
        return sha256(token, REVIEW_TOKEN_LENGTH, ret->bytes);
}

void review_token_hash_to_hex(const ReviewTokenHash *h, char hex[static REVIEW_TOKEN_HASH_HEX_MAX]) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < sizeof(h->bytes); i++) {
                hex[2 * i] = digits[h->bytes[i] >> 4];
                hex[2 * i + 1] = digits[h->bytes[i] & 15];
        }
        hex[2 * sizeof(h->bytes)] = 0;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int review_token_hash_from_hex(const char *hex, ReviewTokenHash *ret) {
        ReviewTokenHash h;

        if (!hex || !ret || strnlen(hex, REVIEW_TOKEN_HASH_HEX_MAX) != REVIEW_TOKEN_HASH_HEX_MAX - 1)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(h.bytes); i++) {
                int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return -EINVAL;
                h.bytes[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = h;
        return 0;
}

bool review_token_hash_equal(const ReviewTokenHash *a, const ReviewTokenHash *b) {
        if (!a || !b)
                return false;
        return memeq_consttime(a->bytes, b->bytes, sizeof(a->bytes));
}

bool review_link_is_live(int64_t expires_at, int64_t now) {
        return now < expires_at;
}

int review_key_generate(ReviewKey *ret) {
        if (!ret)
                return -EINVAL;
        return random_bytes(ret->bytes, sizeof(ret->bytes));
}

void review_key_erase(ReviewKey *k) {
        if (k)
                explicit_bzero(k, sizeof(*k));
}

static int key_parse(const char *text, size_t len, ReviewKey *ret) {
        uint8_t bytes[REVIEW_KEY_SIZE + 3];
        size_t n = 0;
        int r;

        strip_ascii_whitespace(&text, &len);
        r = base64_decode(text, len, false, bytes, sizeof(bytes), &n);
        if (r >= 0 && n != REVIEW_KEY_SIZE)
                r = -EINVAL;
        if (r >= 0)
                memcpy(ret->bytes, bytes, REVIEW_KEY_SIZE);
        explicit_bzero(bytes, sizeof(bytes));
        return r;
}

static int key_read(const char *path, ReviewKey *ret, char *error, size_t error_size) {
        char *text = NULL;
        size_t size = 0;
        int r;

        r = read_private_file(path, KEY_FILE_MAX, &text, &size, error, error_size);
        if (r < 0)
                return r;
        r = key_parse(text, size, ret);
        erase_and_free(text, size);
        if (r < 0 && error)
                snprintf(error, error_size, "%s: not a review key (base64 of %u bytes)", path, REVIEW_KEY_SIZE);
        return r;
}

static int write_all(int fd, const void *p, size_t n) {
        const char *q = p;

        while (n > 0) {
                ssize_t k = write(fd, q, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                q += k;
                n -= (size_t) k;
        }
        return 0;
}

static int fsync_directory_of(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return fsync(fd) < 0 ? negative_errno() : 0;
}

static int key_create(const char *path, ReviewKey *ret, char *error, size_t error_size) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        char text[64];
        ReviewKey k;
        int r;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        /* mkostemp creates mode 0600. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = negative_errno();
                if (error)
                        snprintf(error, error_size, "%s: cannot create: %s", path, strerror(-r));
                return r;
        }

        r = review_key_generate(&k);
        if (r >= 0)
                r = base64_encode(k.bytes, sizeof(k.bytes), false, text, sizeof(text) - 1);
        if (r >= 0) {
                strcat(text, "\n");
                r = write_all(fd, text, strlen(text));
        }
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        /* link(2) fails with EEXIST instead of replacing: if another start
         * won the race, its key is the one everybody uses. */
        if (r >= 0 && link(tmp, path) < 0)
                r = negative_errno();
        (void) unlink(tmp);
        explicit_bzero(text, sizeof(text));

        if (r == -EEXIST) {
                review_key_erase(&k);
                return key_read(path, ret, error, error_size);
        }
        if (r < 0) {
                review_key_erase(&k);
                if (error)
                        snprintf(error, error_size, "%s: cannot create: %s", path, strerror(-r));
                return r;
        }

        (void) fsync_directory_of(path);
        *ret = k;
        review_key_erase(&k);
        return 0;
}

int review_key_load_or_create(const char *path, ReviewKey *ret, char *error, size_t error_size) {
        int r;

        if (!path || !*path || !ret)
                return -EINVAL;

        r = key_read(path, ret, error, error_size);
        if (r != -ENOENT)
                return r;
        return key_create(path, ret, error, error_size);
}

int review_csrf_token(const ReviewKey *k, const char *link_token, const char *identity,
                      char ret[static REVIEW_CSRF_STRING_MAX]) {
        uint8_t mac[SHA256_DIGEST_SIZE];
        struct iovec iov[5];
        int r;

        if (!k || !review_token_is_well_formed(link_token))
                return -EINVAL;
        if (!identity)
                identity = "";
        if (strnlen(identity, 4096) >= 4096)
                return -EINVAL;

        /* NUL separators: no (token, identity) pair can be re-split into
         * another. */
        iov[0] = (struct iovec) { .iov_base = (void *) CSRF_CONTEXT, .iov_len = sizeof(CSRF_CONTEXT) };
        iov[1] = (struct iovec) { .iov_base = (void *) link_token, .iov_len = REVIEW_TOKEN_LENGTH };
        iov[2] = (struct iovec) { .iov_base = (void *) "", .iov_len = 1 };
        iov[3] = (struct iovec) { .iov_base = (void *) identity, .iov_len = strlen(identity) };
        iov[4] = (struct iovec) { .iov_base = (void *) "", .iov_len = 1 };

        r = hmac_sha256(k->bytes, sizeof(k->bytes), iov, ELEMENTSOF(iov), mac);
        if (r < 0)
                return r;
        r = base64_encode(mac, sizeof(mac), true, ret, REVIEW_CSRF_STRING_MAX);
        explicit_bzero(mac, sizeof(mac));
        return r;
}

bool review_csrf_verify(const ReviewKey *k, const char *link_token, const char *identity, const char *csrf) {
        char expected[REVIEW_CSRF_STRING_MAX];
        bool ok;

        if (!csrf || strnlen(csrf, REVIEW_CSRF_LENGTH + 1) != REVIEW_CSRF_LENGTH)
                return false;
        if (review_csrf_token(k, link_token, identity, expected) < 0)
                return false;
        ok = memeq_consttime(expected, csrf, REVIEW_CSRF_LENGTH);
        explicit_bzero(expected, sizeof(expected));
        return ok;
}
