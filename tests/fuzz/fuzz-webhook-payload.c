/* Webhook bodies (jitd/webhook-payload.c) in the generic, Slack and Teams
 * formats, for every event type, with every requester-controlled string
 * from the input (user, host, service, rhost, tty, reason, match code,
 * decided_by, decision reason, an approver's name).
 *
 * Oracles: the body is JSON that json-c parses, no larger than
 * WEBHOOK_BODY_MAX and as long as *ret_size says; no string in it holds a
 * control character other than the newlines of our own multi-line texts,
 * or invalid UTF-8; and its shape (types, object keys, array lengths) is
 * that of the same body built with every non-empty string replaced by
 * "x": input text never adds a block, a field or a button. */
#include <json-c/json.h>

#include "fuzz.h"
#include "webhook-payload.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        return 0;
}

static void check_strings(struct json_object *o, const char *body) {
        switch (json_object_get_type(o)) {
        case json_type_string: {
                const char *s = json_object_get_string(o);

                if (!fuzz_utf8_walk(s, (size_t) json_object_get_string_len(o), fuzz_cp_not_control_but_newline, NULL))
                        fuzz_fail("a control character or invalid UTF-8 in a string of:\n%s", body);
                break;
        }
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        check_strings(json_object_array_get_idx(o, i), body);
                break;
        case json_type_object: {
                json_object_object_foreach(o, k, v) {
                        if (!fuzz_text_is_clean(k, strlen(k)))
                                fuzz_fail("a key that is not clean text in:\n%s", body);
                        check_strings(v, body);
                }
                break;
        }
        default:
                break;
        }
}

static bool same_shape(struct json_object *a, struct json_object *b) {
        if (json_object_get_type(a) != json_object_get_type(b))
                return false;
        switch (json_object_get_type(a)) {
        case json_type_array:
                if (json_object_array_length(a) != json_object_array_length(b))
                        return false;
                for (size_t i = 0; i < json_object_array_length(a); i++)
                        if (!same_shape(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                                return false;
                return true;
        case json_type_object: {
                if (json_object_object_length(a) != json_object_object_length(b))
                        return false;
                json_object_object_foreach(a, k, v) {
                        struct json_object *w;

                        if (!json_object_object_get_ex(b, k, &w) || !same_shape(v, w))
                                return false;
                }
                return true;
        }
        default:
                return true;
        }
}

static const char *benign(const char *s) {
        return s && *s ? "x" : s;
}

static struct json_object *build(const WebhookEvent *e, WebhookFormat f, char **ret_body) {
        size_t size = 0;
        struct json_object *o;

        *ret_body = NULL;
        if (webhook_payload_build(e, f, ret_body, &size) < 0)
                return NULL;
        if (size != strlen(*ret_body) || size > WEBHOOK_BODY_MAX)
                fuzz_fail("body of %zu bytes (strlen %zu, max %u)", size, strlen(*ret_body), WEBHOOK_BODY_MAX);
        o = json_tokener_parse(*ret_body);
        if (!o)
                fuzz_fail("the body is not JSON:\n%s", *ret_body);
        return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        uint8_t flags = fuzz_take_u8(&in);
        uint64_t duration = fuzz_take_u8(&in) * 600ULL;
        char *s[11];
        WebhookReviewLink links[3], links_b[3];
        WebhookEvent e, eb;

        for (size_t i = 0; i < 11; i++)
                s[i] = fuzz_take_string(&in);

        links[0] = (WebhookReviewLink) { .approver = s[9], .url = "https://jit.example/r/AAAA" };
        links[1] = (WebhookReviewLink) { .approver = "dave", .url = "https://jit.example/r/BBBB" };
        links[2] = (WebhookReviewLink) { .approver = s[10], .url = "https://jit.example/r/CCCC" };
        e = (WebhookEvent) {
                .type = (WebhookEventType) ((flags & 7) % _WEBHOOK_EVENT_MAX),
                .timestamp = 1900000000,
                .request_id = "rabcdefghjkmnpqrs",
                .user = s[0],
                .host = s[1],
                .action = flags & 8 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN,
                .service = s[2],
                .rhost = s[3],
                .tty = s[4],
                .reason = s[5],
                .requested_duration_sec = duration,
                .match_code = s[6],
                .request_expires_at = 1900000600,
                .extends_grant_id = flags & 0x10 ? "gabcdefghjkmnpqrs" : NULL,
                .extends_grant_expires_at = flags & 0x10 ? 1900001000 : 0,
                .max_duration_sec = 8 * 3600,
                .links = links,
                .n_links = (flags >> 5) % 4,
                .decided_by = s[7],
                .grant_expires_at = 1900003600,
                .granted_duration_sec = duration,
                .decision_reason = s[8],
        };
        eb = e;
        eb.user = benign(e.user);
        eb.host = benign(e.host);
        eb.service = benign(e.service);
        eb.rhost = benign(e.rhost);
        eb.tty = benign(e.tty);
        eb.reason = benign(e.reason);
        eb.match_code = benign(e.match_code);
        eb.decided_by = benign(e.decided_by);
        eb.decision_reason = benign(e.decision_reason);
        for (size_t i = 0; i < 3; i++)
                links_b[i] = (WebhookReviewLink) { .approver = benign(links[i].approver), .url = links[i].url };
        eb.links = links_b;

        for (WebhookFormat f = 0; f < _WEBHOOK_FORMAT_MAX; f++) {
                _cleanup_free_ char *body = NULL, *body_b = NULL;
                struct json_object *o = build(&e, f, &body), *ob;

                if (!o)
                        continue;
                check_strings(o, body);
                ob = build(&eb, f, &body_b);
                if (ob && !same_shape(o, ob))
                        fuzz_fail("input text changed the shape of the %s body:\n%s\n--- with \"x\" for each string:\n%s",
                                  webhook_format_to_string(f), body, body_b);
                json_object_put(o);
                json_object_put(ob);
        }

        for (size_t i = 0; i < 11; i++)
                free(s[i]);
        return 0;
}
