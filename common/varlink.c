/* The varlink wire codec: NUL-framed JSON messages on a stream socket, the
 * call/reply/error envelopes, and typed access to parameters. Both ends of
 * the jitd socket run this code on bytes written by someone else (jitd on
 * any local user's bytes, pam_jit.so and jitctl on the daemon's), so every
 * message is size-capped before parsing, parsed with a depth limit and UTF-8
 * validation, and every parameter is checked for type and bounds before use. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-protocol.h"
#include "json-util.h"
#include "text.h"
#include "utf8.h"
#include "varlink.h"

/* Method and error names are short identifiers; cap them like any other
 * string we did not write ourselves. */
#define VARLINK_NAME_MAX 255

/* A reader may hold at most this many max-sized messages worth of bytes
 * that have not been popped yet. Callers pop everything complete after each
 * read, so a well-behaved peer never gets near it; a peer that pipelines
 * without reading our replies is cut off instead of growing our memory. */
#define FRAME_BUFFER_MESSAGES_MAX 4
#define FRAME_BUFFER_READ_MAX (64U * 1024U)
/* A read goes into the room the buffer already has, grown (doubling) only
 * when less than this is left. Replies are a few hundred bytes: reserving a
 * maximum-sized message up front would cost every decision in sshd and
 * sudo a 64 KiB allocation (and often a brk() to get and give it back). */
#define FRAME_BUFFER_READ_MIN 4096U

static size_t frame_buffer_max(const VarlinkFrameBuffer *b) {
        return b->max > 0 ? b->max : JIT_MESSAGE_SIZE_MAX;
}

static size_t frame_buffer_cap(const VarlinkFrameBuffer *b) {
        return FRAME_BUFFER_MESSAGES_MAX * (frame_buffer_max(b) + 1);
}

/* JSON text is UTF-8 as a whole, keys included, and raw control characters
 * may only appear as whitespace between tokens. json-c's own UTF-8 check
 * lets overlong forms through, so check the bytes before json-c sees them. */
static bool message_bytes_valid(const char *data, size_t size) {
        const unsigned char *p = (const unsigned char *) data;

        for (size_t i = 0; i < size;) {
                uint32_t cp;
                size_t n;

                if (p[i] < 0x20 && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
                        return false; /* NUL included: framing abuse */
                n = utf8_decode(p + i, size - i, &cp);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

/* Nesting depth in containers: {} is 1, {"a":[]} is 2. json-c's own limit
 * counts parser states rather than containers (an empty innermost container
 * costs nothing), so it only guards the parser's stack; this is the exact
 * rule. The parser limit bounds the recursion. */
static unsigned container_depth(struct json_object *o) {
        unsigned max = 0;

        if (json_object_is_type(o, json_type_object)) {
                json_object_object_foreach(o, key, v) {
                        unsigned d;

                        (void) key;
                        d = container_depth(v);
                        if (d > max)
                                max = d;
                }
                return max + 1;
        }
        if (json_object_is_type(o, json_type_array)) {
                size_t n = json_object_array_length(o);

                for (size_t i = 0; i < n; i++) {
                        unsigned d = container_depth(json_object_array_get_idx(o, i));

                        if (d > max)
                                max = d;
                }
                return max + 1;
        }
        return 0;
}

static int message_parse_max(const char *data, size_t size, size_t max, struct json_object **ret) {
        struct json_tokener *tok;
        struct json_object *o;
        enum json_tokener_error err;
        size_t end;

        if (!data || !ret)
                return -EINVAL;
        if (size > max || size > INT_MAX)
                return -EMSGSIZE;
        if (!message_bytes_valid(data, size))
                return -EBADMSG;

        /* Two spare parser levels: enough for JIT_JSON_DEPTH_MAX containers
         * with a value in the innermost, which container_depth() judges. */
        tok = json_tokener_new_ex(JIT_JSON_DEPTH_MAX + 2);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, data, (int) size);
        err = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (!o || err != json_tokener_success) {
                if (o)
                        json_object_put(o);
                return -EBADMSG;
        }

        /* Whitespace after the object is still one JSON text; anything else
         * is a second value or garbage and the message is refused whole. */
        for (size_t i = end; i < size; i++)
                if (!strchr(" \t\r\n", data[i])) {
                        json_object_put(o);
                        return -EBADMSG;
                }

        if (!json_object_is_type(o, json_type_object) || container_depth(o) > JIT_JSON_DEPTH_MAX) {
                json_object_put(o);
                return -EBADMSG;
        }

        *ret = o;
        return 0;
}

int varlink_message_parse(const char *data, size_t size, struct json_object **ret) {
        return message_parse_max(data, size, JIT_MESSAGE_SIZE_MAX, ret);
}

int varlink_message_format(struct json_object *message, char **ret, size_t *ret_size) {
        const char *s;
        size_t len;
        char *buf;

        if (!message || !ret || !ret_size)
                return -EINVAL;

        s = json_object_to_json_string_length(message,
                                              JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (!s)
                return -ENOMEM;
        /* Never send what the other end is obliged to refuse. */
        if (len > JIT_MESSAGE_SIZE_MAX)
                return -EMSGSIZE;

        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, s, len);
        buf[len] = 0;

        *ret = buf;
        *ret_size = len + 1;
        return 0;
}

void varlink_frame_buffer_init(VarlinkFrameBuffer *b) {
        *b = (VarlinkFrameBuffer) {
                .max = JIT_MESSAGE_SIZE_MAX,
        };
}

void varlink_frame_buffer_done(VarlinkFrameBuffer *b) {
        if (!b)
                return;
        free(b->data);
        b->data = NULL;
        b->size = b->allocated = 0;
}

static int frame_buffer_reserve(VarlinkFrameBuffer *b, size_t need) {
        size_t a;
        char *p;

        if (need <= b->allocated)
                return 0;
        if (need > frame_buffer_cap(b))
                return -ENOBUFS;

        a = b->allocated > 0 ? b->allocated : 4096;
        while (a < need)
                a *= 2;
        if (a > frame_buffer_cap(b))
                a = frame_buffer_cap(b);

        p = realloc(b->data, a);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->allocated = a;
        return 0;
}

/* Judge `n` new bytes at `in` as if they were appended to `b`: every message
 * they complete, and the one they leave open, must fit b->max. An oversized
 * message is refused as soon as it is known to be oversized, not when its
 * NUL finally arrives. */
static int frame_buffer_check(const VarlinkFrameBuffer *b, const char *in, size_t n) {
        size_t max = frame_buffer_max(b), pos;
        const char *q;

        if (n > frame_buffer_cap(b) || b->size > frame_buffer_cap(b) - n)
                return -ENOBUFS;

        /* Where does the message still waiting for its NUL begin? */
        q = b->size > 0 ? memrchr(b->data, 0, b->size) : NULL;
        pos = q ? (size_t) (q - b->data) + 1 : 0;

        for (size_t i = 0; i < n;) {
                const char *nul = memchr(in + i, 0, n - i);
                size_t at;

                if (!nul)
                        break;
                at = b->size + (size_t) (nul - in); /* absolute offset of the NUL */
                if (at - pos > max)
                        return -EMSGSIZE;
                pos = at + 1;
                i = (size_t) (nul - in) + 1;
        }
        if (b->size + n - pos > max)
                return -EMSGSIZE;
        return 0;
}

int varlink_frame_buffer_append(VarlinkFrameBuffer *b, const void *p, size_t n) {
        int r;

        if (!b || (!p && n > 0))
                return -EINVAL;
        if (n == 0)
                return 0;

        r = frame_buffer_check(b, p, n);
        if (r < 0)
                return r;
        r = frame_buffer_reserve(b, b->size + n);
        if (r < 0)
                return r;
        memcpy(b->data + b->size, p, n);
        b->size += n;
        return 0;
}

int varlink_frame_buffer_read(VarlinkFrameBuffer *b, int fd) {
        size_t room;
        ssize_t k;
        int r;

        if (!b || fd < 0)
                return -EINVAL;

        room = frame_buffer_cap(b) - b->size;
        if (room == 0)
                return -ENOBUFS;
        if (b->allocated - b->size < FRAME_BUFFER_READ_MIN) {
                r = frame_buffer_reserve(b, b->size + (room < FRAME_BUFFER_READ_MIN ? room : FRAME_BUFFER_READ_MIN));
                if (r < 0)
                        return r;
        }
        if (room > b->allocated - b->size)
                room = b->allocated - b->size;
        if (room > FRAME_BUFFER_READ_MAX)
                room = FRAME_BUFFER_READ_MAX;

        do
                k = read(fd, b->data + b->size, room);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return negative_errno();
        if (k == 0)
                return 0;

        /* The bytes sit past b->size until judged by the same rules as
         * append(); refused bytes are simply never counted. */
        r = frame_buffer_check(b, b->data + b->size, (size_t) k);
        if (r < 0)
                return r;
        b->size += (size_t) k;
        return (int) k;
}

int varlink_frame_buffer_pop(VarlinkFrameBuffer *b, struct json_object **ret) {
        struct json_object *o = NULL;
        const char *nul;
        size_t len;
        int r;

        if (!b || !ret)
                return -EINVAL;
        if (b->size == 0)
                return 0;

        nul = memchr(b->data, 0, b->size);
        if (!nul)
                return 0;
        len = (size_t) (nul - b->data);

        r = message_parse_max(b->data, len, frame_buffer_max(b), &o);

        /* Drop the message either way: a malformed one must not be seen
         * again if the caller chooses to continue. */
        memmove(b->data, b->data + len + 1, b->size - len - 1);
        b->size -= len + 1;
        if (b->size == 0 && b->allocated > 2 * FRAME_BUFFER_READ_MAX) {
                /* A burst is over: give the memory back. */
                free(b->data);
                b->data = NULL;
                b->allocated = 0;
        }

        if (r < 0)
                return r;
        *ret = o;
        return 1;
}

static bool name_is_valid(const char *s) {
        /* "io.jit.Check", "org.varlink.service.MethodNotFound": printable
         * ASCII identifiers with at least one dot. */
        size_t n;

        if (!s)
                return false;
        n = strnlen(s, VARLINK_NAME_MAX + 1);
        if (n == 0 || n > VARLINK_NAME_MAX || !strchr(s, '.'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

static int optional_bool(struct json_object *o, const char *key, bool *ret) {
        struct json_object *v = json_member(o, key);

        if (!v) {
                *ret = false;
                return 0;
        }
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int optional_parameters(struct json_object *message, struct json_object **ret) {
        struct json_object *v = json_member(message, "parameters");

        if (v && !json_object_is_type(v, json_type_object))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int varlink_call_parse(struct json_object *message, const char **ret_method,
                       struct json_object **ret_parameters, bool *ret_more) {
        struct json_object *m, *params;
        bool more, oneway, upgrade;
        const char *method;
        int r;

        if (!message || !json_object_is_type(message, json_type_object))
                return -EBADMSG;

        m = json_member(message, "method");
        if (!m || !json_object_is_type(m, json_type_string))
                return -EBADMSG;
        method = json_object_get_string(m);
        if ((size_t) json_object_get_string_len(m) != strlen(method) || !name_is_valid(method))
                return -EBADMSG;

        r = optional_parameters(message, &params);
        if (r < 0)
                return r;
        r = optional_bool(message, "more", &more);
        if (r < 0)
                return r;
        /* jitd answers every call; a "oneway" call would expect no answer
         * and an "upgrade" a different protocol. Neither is supported, so
         * say so rather than silently behave differently. */
        r = optional_bool(message, "oneway", &oneway);
        if (r < 0)
                return r;
        r = optional_bool(message, "upgrade", &upgrade);
        if (r < 0)
                return r;
        if (oneway || upgrade)
                return -EOPNOTSUPP;

        if (ret_method)
                *ret_method = method;
        if (ret_parameters)
                *ret_parameters = params;
        if (ret_more)
                *ret_more = more;
        return 0;
}

int varlink_reply_parse(struct json_object *message, const char **ret_error,
                        struct json_object **ret_parameters, bool *ret_continues) {
        struct json_object *e, *params;
        const char *error = NULL;
        bool continues;
        int r;

        if (!message || !json_object_is_type(message, json_type_object))
                return -EBADMSG;

        e = json_member(message, "error");
        if (e) {
                if (!json_object_is_type(e, json_type_string))
                        return -EBADMSG;
                error = json_object_get_string(e);
                if ((size_t) json_object_get_string_len(e) != strlen(error) || !name_is_valid(error))
                        return -EBADMSG;
        }

        r = optional_parameters(message, &params);
        if (r < 0)
                return r;
        r = optional_bool(message, "continues", &continues);
        if (r < 0)
                return r;
        /* An error ends the exchange; one that claims to continue is bogus. */
        if (error && continues)
                return -EBADMSG;

        if (ret_error)
                *ret_error = error;
        if (ret_parameters)
                *ret_parameters = params;
        if (ret_continues)
                *ret_continues = continues;
        return 0;
}

/* Every message of the io.jit interface carries the protocol version in its
 * parameters; the builders add it unless the caller set one already, so a
 * reply can never forget it. */
static struct json_object *parameters_prepare(struct json_object *parameters) {
        if (!parameters) {
                parameters = json_object_new_object();
                if (!parameters)
                        return NULL;
        } else if (!json_object_is_type(parameters, json_type_object)) {
                json_object_put(parameters);
                return NULL;
        }

        if (!json_object_object_get_ex(parameters, "protocol", NULL) &&
            json_add(parameters, "protocol", json_object_new_int(JIT_PROTOCOL_VERSION)) < 0) {
                json_object_put(parameters);
                return NULL;
        }
        return parameters;
}

/* One message: `name_key` (unless NULL) naming the method or error, the
 * parameters (owned; prepared here), and `flag_key`: true when `flag`. The
 * members keep this order on the wire. NULL for an invalid name or no
 * memory. */
static struct json_object *message_new(const char *name_key, const char *name, struct json_object *parameters,
                                       const char *flag_key, bool flag) {
        struct json_object *m;

        parameters = parameters_prepare(parameters);
        if (!parameters)
                return NULL;
        if (name_key && !name_is_valid(name)) {
                json_object_put(parameters);
                return NULL;
        }

        m = json_object_new_object();
        if (!m) {
                json_object_put(parameters);
                return NULL;
        }
        if ((name_key && json_add(m, name_key, json_object_new_string(name)) < 0) ||
            json_add(m, "parameters", parameters) < 0 ||
            (flag && json_add(m, flag_key, json_object_new_boolean(true)) < 0)) {
                json_object_put(m);
                return NULL;
        }
        return m;
}

struct json_object *varlink_call_new(const char *method, struct json_object *parameters, bool more) {
        return message_new("method", method, parameters, "more", more);
}

struct json_object *varlink_reply_new(struct json_object *parameters, bool continues) {
        return message_new(NULL, NULL, parameters, "continues", continues);
}

struct json_object *varlink_error_new(const char *error, struct json_object *parameters) {
        return message_new("error", error, parameters, NULL, false);
}

int varlink_param_string(struct json_object *params, const char *key, bool required, size_t max_size,
                         const char **ret) {
        struct json_object *v = json_member(params, key);
        const char *s;

        if (!v)
                return required ? -ENOENT : 0;
        if (!json_object_is_type(v, json_type_string))
                return -EINVAL;

        s = json_object_get_string(v);
        /* "\u0000" in JSON would cut the C string short of what was sent. */
        if (!s || (size_t) json_object_get_string_len(v) != strlen(s))
                return -EINVAL;
        if (!jit_text_is_clean(s, max_size))
                return -EINVAL;

        if (ret)
                *ret = s;
        return 1;
}

int varlink_param_int(struct json_object *params, const char *key, bool required, int64_t min, int64_t max,
                      int64_t *ret) {
        struct json_object *v = json_member(params, key);
        int64_t i;

        if (!v)
                return required ? -ENOENT : 0;
        /* Strictly a JSON integer: not "5", not 5.0, not true. */
        if (!json_object_is_type(v, json_type_int))
                return -EINVAL;

        i = json_object_get_int64(v);
        /* json-c keeps values above INT64_MAX as uint64 and clamps them
         * here, and silently clamps values below INT64_MIN while parsing;
         * a clamped value must not pass for the number that was sent. No
         * io.jit field uses INT64_MIN, so it is refused outright. */
        if (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t) INT64_MAX)
                return -EINVAL;
        if (i == INT64_MIN)
                return -EINVAL;
        if (i < min || i > max)
                return -EINVAL;

        if (ret)
                *ret = i;
        return 1;
}

int varlink_param_bool(struct json_object *params, const char *key, bool required, bool *ret) {
        struct json_object *v = json_member(params, key);

        if (!v)
                return required ? -ENOENT : 0;
        if (!json_object_is_type(v, json_type_boolean))
                return -EINVAL;

        if (ret)
                *ret = json_object_get_boolean(v);
        return 1;
}

int varlink_check_protocol(struct json_object *params) {
        int64_t v;
        int r;

        r = varlink_param_int(params, "protocol", true, INT64_MIN, INT64_MAX, &v);
        if (r <= 0 || v != JIT_PROTOCOL_VERSION)
                return -EPROTO;
        return 0;
}
