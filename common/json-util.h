/* json-c helpers every program here uses to build and read objects: adding
 * a member takes ownership of the value and reports -ENOMEM instead of
 * leaking it; reading a member checks its type, so hostile input of the
 * wrong shape reads as absent rather than as a coerced value. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* Add `v` (owned, may be NULL after a failed allocation) as member `key`.
 * 0 or -ENOMEM (v released). */
int json_add(struct json_object *o, const char *key, struct json_object *v);
/* `value`, or "" for NULL. */
int json_add_string(struct json_object *o, const char *key, const char *value);
/* Nothing for NULL; "" is sent as "" (jitctl passes what the user typed). */
int json_add_string_nonnull(struct json_object *o, const char *key, const char *value);
/* Nothing for NULL or "": optional fields are absent rather than "". */
int json_add_string_optional(struct json_object *o, const char *key, const char *value);
int json_add_int(struct json_object *o, const char *key, int64_t value);
int json_add_bool(struct json_object *o, const char *key, bool value);

/* Member `key` of object `o`; NULL if `o` is not an object, the member is
 * absent or it is JSON null. */
struct json_object *json_member(struct json_object *o, const char *key);
/* The same, and NULL unless the member has JSON type `type`. */
struct json_object *json_member_of_type(struct json_object *o, const char *key, enum json_type type);
/* The string member `key`, or NULL (absent, null or not a string). */
const char *json_member_string(struct json_object *o, const char *key);
