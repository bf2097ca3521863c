/* See json-util.h. */
#include <errno.h>

#include "json-util.h"

int json_add(struct json_object *o, const char *key, struct json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(struct json_object *o, const char *key, const char *value) {
        return json_add(o, key, json_object_new_string(value ? value : ""));
}

int json_add_string_nonnull(struct json_object *o, const char *key, const char *value) {
        if (!value)
                return 0;
        return json_add(o, key, json_object_new_string(value));
}

int json_add_string_optional(struct json_object *o, const char *key, const char *value) {
        if (!value || !*value)
                return 0;
        return json_add(o, key, json_object_new_string(value));
}

int json_add_int(struct json_object *o, const char *key, int64_t value) {
        return json_add(o, key, json_object_new_int64(value));
}

int json_add_bool(struct json_object *o, const char *key, bool value) {
        return json_add(o, key, json_object_new_boolean(value));
}

struct json_object *json_member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v; /* NULL for JSON null */
}

struct json_object *json_member_of_type(struct json_object *o, const char *key, enum json_type type) {
        struct json_object *v = json_member(o, key);

        return v && json_object_is_type(v, type) ? v : NULL;
}

const char *json_member_string(struct json_object *o, const char *key) {
        struct json_object *v = json_member_of_type(o, key, json_type_string);

        return v ? json_object_get_string(v) : NULL;
}
