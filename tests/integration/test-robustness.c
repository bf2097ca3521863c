/* Hostile bytes on the socket: garbage, a JSON value that is not a call, an
 * oversized message, nesting beyond the limit. Each gets io.jit.InvalidMessage
 * and a closed connection, and jitd keeps answering everyone else. Pipelined
 * and fragmented calls, which a correct client may send, work. */

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

static const char check_call[] =
        "{\"method\":\"io.jit.Check\",\"parameters\":{\"protocol\":1,\"user\":\"daemon\",\"action\":\"login\","
        "\"service\":\"sshd\"}}";

/* jitd still answers a normal Check on a new connection. */
static void check_still_serving(Jitd *j) {
        struct json_object *reply = NULL;

        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "daemon", "action", "login", "service", "sshd", NULL),
                       &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "ignore");
        json_object_put(reply);
}

static void expect_invalid_and_closed(Jitd *j, const void *data, size_t size, const char *what) {
        struct json_object *reply = NULL;
        int fd;

        fprintf(stderr, "-- %s\n", what);
        fd = raw_connect(j);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        /* jitd may hang up before it has read everything: that is fine. */
        (void) raw_send(fd, data, size);
        CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_MESSAGE);
        json_object_put(reply);
        CHECK(raw_wait_closed(fd, CALL_TIMEOUT_USEC));
        close(fd);
        check_still_serving(j);
}

static void test_malformed(Jitd *j) {
        static const char garbage[] = "this is not json";
        static const char not_a_call[] = "{\"hello\":\"world\"}";
        static const char array[] = "[1,2,3]";
        static const char bad_method[] = "{\"method\":\"io.jit.Check\\n\",\"parameters\":{\"protocol\":1}}";
        static const char two_values[] = "{\"method\":\"io.jit.Check\"} {}";
        static const char deep[] =
                "{\"method\":\"io.jit.Check\",\"parameters\":{\"protocol\":1,\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}}";
        static const char bad_utf8[] =
                "{\"method\":\"io.jit.Check\",\"parameters\":{\"protocol\":1,\"user\":\"\xc0\xaf\"}}";

        expect_invalid_and_closed(j, garbage, sizeof(garbage), "garbage");
        expect_invalid_and_closed(j, not_a_call, sizeof(not_a_call), "object without method");
        expect_invalid_and_closed(j, array, sizeof(array), "array");
        expect_invalid_and_closed(j, bad_method, sizeof(bad_method), "control character in method");
        expect_invalid_and_closed(j, two_values, sizeof(two_values), "trailing value");
        expect_invalid_and_closed(j, deep, sizeof(deep), "nesting beyond the limit");
        expect_invalid_and_closed(j, bad_utf8, sizeof(bad_utf8), "overlong UTF-8");
}

static void test_oversized(Jitd *j) {
        static const char prefix[] = "{\"method\":\"io.jit.Check\",\"parameters\":{\"protocol\":1,\"user\":\"";
        size_t size = JIT_MESSAGE_SIZE_MAX + 4096;
        char *big = malloc(size);

        CHECK(big != NULL);
        if (!big)
                return;

        /* A string that never ends: refused before its NUL ever arrives. */
        memset(big, 'a', size);
        memcpy(big, prefix, sizeof(prefix) - 1);
        expect_invalid_and_closed(j, big, size, "oversized, no NUL");

        /* The same, terminated. */
        big[size - 1] = 0;
        expect_invalid_and_closed(j, big, size, "oversized, terminated");
        free(big);
}

static void test_pipelined_and_fragmented(Jitd *j) {
        char buf[sizeof(check_call) * 10];
        struct json_object *reply = NULL;
        int fd;

        fd = raw_connect(j);
        CHECK(fd >= 0);
        if (fd < 0)
                return;

        /* Ten calls in one write: ten replies, in order. */
        for (size_t i = 0; i < 10; i++)
                memcpy(buf + i * sizeof(check_call), check_call, sizeof(check_call));
        CHECK_INT(raw_send(fd, buf, sizeof(buf)), 0);
        for (int i = 0; i < 10; i++) {
                CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
                CHECK_OK(reply);
                CHECK_STR(reply_string(reply, "decision"), "ignore");
                json_object_put(reply);
        }

        /* One call in three pieces. */
        CHECK_INT(raw_send(fd, check_call, 10), 0);
        sleep_usec(50000);
        CHECK_INT(raw_send(fd, check_call + 10, 30), 0);
        sleep_usec(50000);
        CHECK_INT(raw_send(fd, check_call + 40, sizeof(check_call) - 40), 0);
        CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
        CHECK_OK(reply);
        json_object_put(reply);

        /* "oneway" is refused, but the connection survives it. */
        {
                static const char oneway[] =
                        "{\"method\":\"io.jit.Check\",\"oneway\":true,\"parameters\":{\"protocol\":1}}";

                CHECK_INT(raw_send(fd, oneway, sizeof(oneway)), 0);
                CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
                CHECK_ERROR(reply, JIT_ERROR_INVALID_MESSAGE);
                json_object_put(reply);
                CHECK_INT(raw_send(fd, check_call, sizeof(check_call)), 0);
                CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
                CHECK_OK(reply);
                json_object_put(reply);
        }

        /* A client that sends and half-closes still gets its answer. */
        CHECK_INT(raw_send(fd, check_call, sizeof(check_call)), 0);
        shutdown(fd, SHUT_WR);
        CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(raw_wait_closed(fd, CALL_TIMEOUT_USEC));
        close(fd);
}

/* A client that sends calls but never reads its replies must not grow
 * jitd's memory without bound or stall others. */
static void test_reader_that_never_reads(Jitd *j) {
        char buf[sizeof(check_call) * 64];
        int fd;

        fd = raw_connect(j);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        for (size_t i = 0; i < 64; i++)
                memcpy(buf + i * sizeof(check_call), check_call, sizeof(check_call));
        /* ~600 KiB of calls; the kernel buffers fill and send() would block, so
         * stop after a while. */
        for (int i = 0; i < 64; i++) {
                ssize_t k = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
                if (k < 0)
                        break;
        }
        check_still_serving(j);
        close(fd);
        check_still_serving(j);
}

int main(void) {
        Jitd j;
        int status = 0;

        harness_require_root("integration-robustness");
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-robustness");
        }

        test_malformed(&j);
        test_oversized(&j);
        test_pipelined_and_fragmented(&j);
        test_reader_that_never_reads(&j);

        /* Still alive and stops cleanly. */
        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        return test_result("integration-robustness");
}
