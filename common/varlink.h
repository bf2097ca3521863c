/* The varlink wire format over a stream socket: NUL-framed JSON objects,
 * parsed with a size and depth limit, plus typed, bounds-checked access to
 * call parameters. Every byte read here is treated as hostile. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macros.h"

static inline void json_object_putp(struct json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Parse exactly one message body (without its NUL). The result is always a
 * JSON object. -EMSGSIZE if too large, -EBADMSG if not a JSON object, too
 * deep, or containing trailing garbage. */
int varlink_message_parse(const char *data, size_t size, struct json_object **ret);

/* Serialize a message, NUL included. *ret_size counts the NUL. */
int varlink_message_format(struct json_object *message, char **ret, size_t *ret_size);

/* Incoming byte stream -> messages. */
typedef struct VarlinkFrameBuffer {
        char *data;
        size_t size;
        size_t allocated;
        size_t max; /* JIT_MESSAGE_SIZE_MAX unless set otherwise */
} VarlinkFrameBuffer;

void varlink_frame_buffer_init(VarlinkFrameBuffer *b);
void varlink_frame_buffer_done(VarlinkFrameBuffer *b);
/* Append raw bytes (as read from the socket). -EMSGSIZE once a message
 * would exceed b->max before its NUL arrives. */
int varlink_frame_buffer_append(VarlinkFrameBuffer *b, const void *p, size_t n);
/* Read whatever the non-blocking fd has. >0 bytes read, 0 on EOF, -EAGAIN,
 * or another -errno. */
int varlink_frame_buffer_read(VarlinkFrameBuffer *b, int fd);
/* Pop the next complete message: 1 and *ret set, 0 if none is complete yet,
 * <0 on a malformed message (the connection should be dropped). */
int varlink_frame_buffer_pop(VarlinkFrameBuffer *b, struct json_object **ret);

/* Calls and replies. Borrowed pointers point into the message object. */
int varlink_call_parse(struct json_object *message, const char **ret_method,
                       struct json_object **ret_parameters, bool *ret_more);
int varlink_reply_parse(struct json_object *message, const char **ret_error,
                        struct json_object **ret_parameters, bool *ret_continues);

/* Build messages. They take ownership of `parameters` (may be NULL). */
struct json_object *varlink_call_new(const char *method, struct json_object *parameters, bool more);
struct json_object *varlink_reply_new(struct json_object *parameters, bool continues);
struct json_object *varlink_error_new(const char *error, struct json_object *parameters);

/* Typed parameter access. Return 1 if present and valid, 0 if absent and
 * !required, -ENOENT if absent and required, -EINVAL if the wrong type or
 * out of bounds. Strings must be valid UTF-8 without control characters or
 * NUL and at most max_size bytes. */
int varlink_param_string(struct json_object *params, const char *key, bool required,
                         size_t max_size, const char **ret);
int varlink_param_int(struct json_object *params, const char *key, bool required,
                      int64_t min, int64_t max, int64_t *ret);
int varlink_param_bool(struct json_object *params, const char *key, bool required, bool *ret);

/* Checks the "protocol" member of a call's or reply's parameters: 0 if it
 * equals JIT_PROTOCOL_VERSION, -EPROTO otherwise (absent included). */
int varlink_check_protocol(struct json_object *params);
