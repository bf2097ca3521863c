/* The socket framing every jitd connection and every client goes through
 * (common/varlink.c): the input is a byte stream as a local user would
 * write it, fed to a frame buffer in pieces; every message popped is read
 * as a call and as a reply, and its parameters through the typed accessors.
 *
 * Oracles: a string the accessors accept is clean and within its bound; an
 * int is within its range; a message that parsed serialises and parses
 * back to an equal object; no more than the frame limit is ever buffered. */
#include <json-c/json.h>

#include "fuzz.h"
#include "jit-protocol.h"
#include "varlink.h"

static const char *const keys[] = { "user", "action", "service", "rhost", "tty", "reason", "request_id",
                                    "grant_id", "session_id", "duration", "decision", "protocol", "" };

static void check_parameters(struct json_object *params) {
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                const char *s = NULL;
                int64_t v = 0;
                bool b;
                int r;

                r = varlink_param_string(params, keys[i], i % 2, 64, &s);
                if (r > 0)
                        fuzz_assert_clean("varlink_param_string", s, 64);
                r = varlink_param_int(params, keys[i], false, -5, 1000, &v);
                if (r > 0 && (v < -5 || v > 1000))
                        fuzz_fail("varlink_param_int: %lld outside [-5, 1000]", (long long) v);
                (void) varlink_param_bool(params, keys[i], false, &b);
        }
        (void) varlink_check_protocol(params);
}

static void check_message(struct json_object *message) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ struct json_object *again = NULL;
        struct json_object *params = NULL;
        const char *method = NULL, *error = NULL;
        bool more = false, continues = false;
        size_t size = 0;

        if (varlink_call_parse(message, &method, &params, &more) >= 0 && params)
                check_parameters(params);
        params = NULL;
        if (varlink_reply_parse(message, &error, &params, &continues) >= 0 && params)
                check_parameters(params);

        /* What we accepted, we can send on and read back (jitctl relays). */
        if (varlink_message_format(message, &text, &size) < 0)
                return;
        if (size == 0 || text[size - 1] != 0)
                fuzz_fail("varlink_message_format: the message does not end in its NUL");
        if (varlink_message_parse(text, size - 1, &again) < 0)
                fuzz_fail("a message we parsed does not parse after formatting: %s", text);
        if (!json_object_equal(message, again))
                fuzz_fail("a message changed through format and parse: %s", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        VarlinkFrameBuffer b;
        /* How the stream is cut into reads; a small limit so the size cap is reached. */
        uint8_t chunk = fuzz_take_u8(&in);
        bool small_limit = chunk & 0x80;
        size_t piece = (chunk & 0x7F) + 1;
        int r = 0;

        varlink_frame_buffer_init(&b);
        if (small_limit)
                b.max = 256;

        while (in.size > 0 && r >= 0) {
                size_t n = in.size < piece ? in.size : piece;

                r = varlink_frame_buffer_append(&b, in.data, n);
                in.data += n;
                in.size -= n;

                while (r >= 0) {
                        _cleanup_json_ struct json_object *message = NULL;

                        r = varlink_frame_buffer_pop(&b, &message);
                        if (r <= 0)
                                break;
                        if (!json_object_is_type(message, json_type_object))
                                fuzz_fail("varlink_frame_buffer_pop returned a non-object");
                        check_message(message);
                }
                /* Every complete message is gone: what is left waits for its NUL. */
                if (r == 0 && b.size > b.max)
                        fuzz_fail("frame buffer holds %zu bytes of one message, limit %zu", b.size, b.max);
        }
        varlink_frame_buffer_done(&b);

        /* The one-message parser on the whole input, too. */
        {
                _cleanup_json_ struct json_object *message = NULL;

                if (varlink_message_parse((const char *) data, size, &message) >= 0)
                        check_message(message);
        }
        return 0;
}
