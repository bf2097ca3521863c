/* Tests for webhook signing: the Standard Webhooks published test vector,
 * an independent check with Python's hmac module, verification of what we
 * sign, the secret formats admins will paste, refusal of secret files
 * other users can read, and the strict base64 both rest on.
 * argv[1]: python3 (may be empty), argv[2]: the receiver script (unused). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web-test-util.h"
#include "crypto-util.h"
#include "random.h"
#include "test.h"
#include "webhook-sign.h"

/* Published with the specification and used by its reference libraries. */
#define SPEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TIMESTAMP 1614265330
#define SPEC_BODY "{\"test\": 2432232314}"
#define SPEC_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_base64(void) {
        static const struct {
                const char *plain, *standard, *url;
        } vectors[] = {
                /* RFC 4648 section 10 */
                { "", "", "" },
                { "f", "Zg==", "Zg" },
                { "fo", "Zm8=", "Zm8" },
                { "foo", "Zm9v", "Zm9v" },
                { "foob", "Zm9vYg==", "Zm9vYg" },
                { "fooba", "Zm9vYmE=", "Zm9vYmE" },
                { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
        };
        char buf[64];
        uint8_t out[64];
        size_t n;

        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                size_t len = strlen(vectors[i].plain);

                CHECK_INT(base64_encode(vectors[i].plain, len, false, buf, sizeof(buf)), 0);
                CHECK_STR(buf, vectors[i].standard);
                CHECK_INT(base64_encode(vectors[i].plain, len, true, buf, sizeof(buf)), 0);
                CHECK_STR(buf, vectors[i].url);
                CHECK_INT(base64_encoded_length(len, false), strlen(vectors[i].standard));
                CHECK_INT(base64_encoded_length(len, true), strlen(vectors[i].url));

                CHECK_INT(base64_decode(vectors[i].standard, strlen(vectors[i].standard), false, out, sizeof(out), &n),
                          0);
                CHECK_INT(n, len);
                CHECK(memcmp(out, vectors[i].plain, len) == 0);
                CHECK_INT(base64_decode(vectors[i].url, strlen(vectors[i].url), true, out, sizeof(out), &n), 0);
                CHECK_INT(n, len);
        }

        /* Both alphabets, each only where it belongs. */
        CHECK_INT(base64_encode("\xfb\xff", 2, false, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "+/8=");
        CHECK_INT(base64_encode("\xfb\xff", 2, true, buf, sizeof(buf)), 0);
        CHECK_STR(buf, "-_8");
        CHECK_INT(base64_decode("-_8=", 4, false, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("+/8", 3, true, out, sizeof(out), &n), -EINVAL);

        /* One spelling per byte string: everything else is refused. */
        CHECK_INT(base64_decode("Zg=", 3, false, out, sizeof(out), &n), -EINVAL);      /* short */
        CHECK_INT(base64_decode("Zg", 2, false, out, sizeof(out), &n), -EINVAL);       /* unpadded */
        CHECK_INT(base64_decode("Zh==", 4, false, out, sizeof(out), &n), -EINVAL);     /* stray bits */
        CHECK_INT(base64_decode("Zm9=", 4, false, out, sizeof(out), &n), -EINVAL);     /* stray bits */
        CHECK_INT(base64_decode("Zg==Zg==", 8, false, out, sizeof(out), &n), -EINVAL); /* pad inside */
        CHECK_INT(base64_decode("Z===", 4, false, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("====", 4, false, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("Zm 9", 4, false, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("Zm9\n", 4, false, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("Zm\0v", 4, false, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("Zg==", 4, true, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("Z", 1, true, out, sizeof(out), &n), -EINVAL);
        CHECK_INT(base64_decode("Zh", 2, true, out, sizeof(out), &n), -EINVAL);
        /* Output bound. */
        CHECK_INT(base64_decode("Zm9vYmFy", 8, false, out, 5, &n), -ENOBUFS);
        CHECK_INT(base64_encode("foobar", 6, false, buf, 8), -ENOBUFS);
}

static void test_spec_vector(void) {
        WebhookSecret s;
        char sig[WEBHOOK_SIGNATURE_MAX];

        CHECK_INT(webhook_secret_parse(SPEC_SECRET, strlen(SPEC_SECRET), &s, NULL, 0), 0);
        CHECK_INT(s.size, 24);
        CHECK_INT(webhook_sign(&s, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY), sig, sizeof(sig)), 0);
        CHECK_STR(sig, SPEC_SIGNATURE);

        CHECK_INT(webhook_verify(&s, SPEC_ID, "1614265330", SPEC_BODY, strlen(SPEC_BODY), SPEC_SIGNATURE), 0);
        /* Rotation: several entries, other versions skipped. */
        CHECK_INT(webhook_verify(&s, SPEC_ID, "1614265330", SPEC_BODY, strlen(SPEC_BODY),
                                 "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5 v1,AAAA " SPEC_SIGNATURE),
                  0);
        /* Any change to what is signed breaks it. */
        CHECK_INT(webhook_verify(&s, SPEC_ID, "1614265331", SPEC_BODY, strlen(SPEC_BODY), SPEC_SIGNATURE), -EBADMSG);
        CHECK_INT(webhook_verify(&s, "msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330", SPEC_BODY, strlen(SPEC_BODY),
                                 SPEC_SIGNATURE),
                  -EBADMSG);
        CHECK_INT(webhook_verify(&s, SPEC_ID, "1614265330", "{\"test\":2432232314}", 19, SPEC_SIGNATURE), -EBADMSG);
        CHECK_INT(webhook_verify(&s, SPEC_ID, "1614265330", SPEC_BODY, strlen(SPEC_BODY),
                                 "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
                  -EBADMSG);
        CHECK_INT(webhook_verify(&s, SPEC_ID, "1614265330", SPEC_BODY, strlen(SPEC_BODY), ""), -EBADMSG);
        /* Ambiguous inputs are refused outright. */
        CHECK_INT(webhook_verify(&s, "msg.x", "1614265330", SPEC_BODY, strlen(SPEC_BODY), SPEC_SIGNATURE), -EINVAL);
        CHECK_INT(webhook_verify(&s, SPEC_ID, "16142.65330", SPEC_BODY, strlen(SPEC_BODY), SPEC_SIGNATURE), -EINVAL);
        CHECK_INT(webhook_verify(&s, SPEC_ID, "-1", SPEC_BODY, strlen(SPEC_BODY), SPEC_SIGNATURE), -EINVAL);
        CHECK_INT(webhook_sign(&s, "msg.x", SPEC_TIMESTAMP, "", 0, sig, sizeof(sig)), -EINVAL);
        CHECK_INT(webhook_sign(&s, SPEC_ID, -5, "", 0, sig, sizeof(sig)), -EINVAL);
        CHECK_INT(webhook_sign(&s, SPEC_ID, SPEC_TIMESTAMP, "", 0, sig, 10), -ENOBUFS);

        /* The headers for curl. */
        {
                WebhookSignatureHeaders h;

                CHECK_INT(webhook_signature_headers(&s, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY), &h), 0);
                CHECK_STR(h.id, "webhook-id: " SPEC_ID);
                CHECK_STR(h.timestamp, "webhook-timestamp: 1614265330");
                CHECK_STR(h.signature, "webhook-signature: " SPEC_SIGNATURE);
        }

        webhook_secret_erase(&s);
        CHECK_INT(s.size, 0);
}

static void test_secret_parse(void) {
        WebhookSecret s;
        char error[256];

        /* Bare base64, surrounding whitespace and a trailing newline. */
        CHECK_INT(webhook_secret_parse("  MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 35, &s, NULL, 0), 0);
        CHECK_INT(s.size, 24);
        CHECK_INT(webhook_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\r\n", 40, &s, NULL, 0), 0);

        /* 18 bytes: too short for the spec. */
        CHECK_INT(webhook_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8I", 26, &s, error, sizeof(error)), -EMSGSIZE);
        CHECK(strstr(error, "24 bytes") != NULL);
        CHECK_INT(webhook_secret_parse("whsec_", 6, &s, error, sizeof(error)), -EINVAL);
        CHECK_INT(webhook_secret_parse("", 0, &s, error, sizeof(error)), -EINVAL);
        /* A password is not a secret in the documented format. */
        CHECK_INT(webhook_secret_parse("correct horse battery staple", 28, &s, error, sizeof(error)), -EINVAL);
        CHECK(strstr(error, "base64") != NULL);
        CHECK_INT(webhook_secret_parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", 37, &s, NULL, 0), -EINVAL);

        /* Long secrets are fine up to the cap, then refused. */
        {
                uint8_t raw[600];
                char text[1024];

                memset(raw, 0xa5, sizeof(raw));
                CHECK_INT(base64_encode(raw, 512, false, text, sizeof(text)), 0);
                CHECK_INT(webhook_secret_parse(text, strlen(text), &s, NULL, 0), 0);
                CHECK_INT(s.size, 512);
                CHECK_INT(base64_encode(raw, 513, false, text, sizeof(text)), 0);
                CHECK_INT(webhook_secret_parse(text, strlen(text), &s, error, sizeof(error)), -EMSGSIZE);
                CHECK_INT(base64_encode(raw, 600, false, text, sizeof(text)), 0);
                CHECK_INT(webhook_secret_parse(text, strlen(text), &s, error, sizeof(error)), -EMSGSIZE);
        }
}

static void test_secret_file(void) {
        char *dir = scratch_create();
        char *path;
        WebhookSecret s;
        char error[512];

        CHECK(dir != NULL);
        if (!dir)
                return;

        path = write_file(dir, "ok", SPEC_SECRET "\n", 0600);
        CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), 0);
        CHECK_INT(s.size, 24);
        free(path);

        path = write_file(dir, "readonly", SPEC_SECRET "\n", 0400);
        CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), 0);
        free(path);

        /* Readable or writable by anyone else: refused, and the message
         * says how to fix it. */
        path = write_file(dir, "world", SPEC_SECRET "\n", 0644);
        CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), -EPERM);
        CHECK(strstr(error, "0644") != NULL);
        CHECK(strstr(error, "chmod") != NULL);
        free(path);
        path = write_file(dir, "group", SPEC_SECRET "\n", 0640);
        CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), -EPERM);
        free(path);
        path = write_file(dir, "groupwrite", SPEC_SECRET "\n", 0620);
        CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), -EPERM);
        free(path);

        /* Someone else's file. */
        if (geteuid() == 0) {
                path = write_file(dir, "nobody", SPEC_SECRET "\n", 0600);
                CHECK_INT(chown(path, 65534, 65534), 0);
                CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), -EPERM);
                CHECK(strstr(error, "owned by uid 65534") != NULL);
                free(path);
        }

        /* Not a file, not there, too big, not a secret. */
        CHECK_INT(webhook_secret_load(dir, &s, error, sizeof(error)), -EINVAL);
        {
                char *missing;

                CHECK(asprintf(&missing, "%s/missing", dir) > 0);
                CHECK_INT(webhook_secret_load(missing, &s, error, sizeof(error)), -ENOENT);
                CHECK(strstr(error, "missing") != NULL);
                free(missing);
        }
        {
                char *big = malloc(WEBHOOK_SECRET_FILE_MAX + 2);

                memset(big, 'A', WEBHOOK_SECRET_FILE_MAX + 1);
                big[WEBHOOK_SECRET_FILE_MAX + 1] = 0;
                path = write_file(dir, "big", big, 0600);
                CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), -EFBIG);
                free(path);
                free(big);
        }
        path = write_file(dir, "short", "whsec_c2hvcnQ=\n", 0600);
        CHECK_INT(webhook_secret_load(path, &s, error, sizeof(error)), -EMSGSIZE);
        CHECK(strstr(error, path) != NULL);
        free(path);

        scratch_remove(dir);
}

static void test_message_ids(void) {
        char a[WEBHOOK_MESSAGE_ID_MAX], b[WEBHOOK_MESSAGE_ID_MAX];

        CHECK_INT(webhook_message_id_generate(a, sizeof(a)), 0);
        CHECK_INT(webhook_message_id_generate(b, sizeof(b)), 0);
        CHECK(strncmp(a, "msg_", 4) == 0);
        CHECK_INT(strlen(a), 4 + 22);
        CHECK(strcmp(a, b) != 0);
        CHECK(webhook_message_id_is_valid(a));
        CHECK(!strchr(a, '.'));
        CHECK_INT(webhook_message_id_generate(a, 10), -ENOBUFS);

        CHECK(webhook_message_id_is_valid(SPEC_ID));
        CHECK(!webhook_message_id_is_valid(""));
        CHECK(!webhook_message_id_is_valid(NULL));
        CHECK(!webhook_message_id_is_valid("msg.1"));
        CHECK(!webhook_message_id_is_valid("msg 1"));
        CHECK(!webhook_message_id_is_valid("msg\n1"));
        CHECK(!webhook_message_id_is_valid("msg_\xc3\xa9"));
        {
                char long_id[WEBHOOK_MESSAGE_ID_MAX + 1];

                memset(long_id, 'a', WEBHOOK_MESSAGE_ID_MAX);
                long_id[WEBHOOK_MESSAGE_ID_MAX] = 0;
                CHECK(!webhook_message_id_is_valid(long_id));
        }
}

/* The signature a receiver computes with Python's standard library must
 * match ours for a body with every byte value a JSON body could hold. */
static void test_python_cross_check(const char *python) {
        static const char code[] =
                "import base64,hashlib,hmac,sys\n"
                "key=base64.b64decode(sys.argv[1][6:])\n"
                "body=open(sys.argv[4],'rb').read()\n"
                "m=sys.argv[2].encode()+b'.'+sys.argv[3].encode()+b'.'+body\n"
                "print('v1,'+base64.b64encode(hmac.new(key,m,hashlib.sha256).digest()).decode())\n";
        char *dir, *body_path, *out = NULL, secret_text[128], id[WEBHOOK_MESSAGE_ID_MAX], sig[WEBHOOK_SIGNATURE_MAX];
        uint8_t key[32];
        char body[512];
        WebhookSecret s;
        size_t n = 0;

        if (!python || !*python) {
                printf("python cross-check: skipped (no python3)\n");
                return;
        }

        dir = scratch_create();
        CHECK(dir != NULL);
        CHECK_INT(random_bytes(key, sizeof(key)), 0);
        strcpy(secret_text, "whsec_");
        CHECK_INT(base64_encode(key, sizeof(key), false, secret_text + 6, sizeof(secret_text) - 6), 0);
        CHECK_INT(webhook_secret_parse(secret_text, strlen(secret_text), &s, NULL, 0), 0);
        CHECK_INT(webhook_message_id_generate(id, sizeof(id)), 0);

        n = (size_t) snprintf(body, sizeof(body), "{\"reason\":\"caf\xc3\xa9 \\u0000 \\\"q\\\" <b>&amp;\",\"n\":1}");
        body_path = write_file(dir, "body", body, 0600);
        CHECK_INT(webhook_sign(&s, id, 1700000000, body, n, sig, sizeof(sig)), 0);
        {
                const char *argv[] = { python, "-c", code, secret_text, id, "1700000000", body_path, NULL };

                CHECK_INT(run_command(argv, &out), 0);
        }
        if (out) {
                out[strcspn(out, "\n")] = 0;
                CHECK_STR(out, sig);
        }
        free(out);
        free(body_path);
        webhook_secret_erase(&s);
        scratch_remove(dir);
}

int main(int argc, char **argv) {
        test_base64();
        test_spec_vector();
        test_secret_parse();
        test_secret_file();
        test_message_ids();
        test_python_cross_check(argc > 1 ? argv[1] : NULL);
        return test_result("test_webhook_sign");
}
