/* Form bodies: libmicrohttpd's post processor does the decoding. What it
 * lets through or refuses differently from what this server has always
 * accepted is settled here first, on the raw body (form_check()), so the
 * server's answer to a given body is the one it always was:
 *   - a '%' not followed by two hex digits, and a NUL (raw or %00), in a
 *     name or a value, is refused (MHD passes "%zz" through as is and
 *     drops a "%4" at the end);
 *   - a value longer than HTTP_FORM_VALUE_MAX once decoded is refused;
 *   - a field with an empty name ("=x") is ignored, and an '=' inside a
 *     value belongs to the value (MHD fails the whole body on either);
 *   - a control character (CR, LF, ...) is part of its name or value
 *     (MHD takes a line break for the end of the body);
 *   - a name without '=' is a field with an empty value, also as the last
 *     field (MHD drops a last one that no '&' ends).
 * form_normalise() therefore hands MHD each field as "name=value&" with
 * every '=' in it and every control character escaped. MHD may deliver one value in several
 * pieces; on_field() assembles them. */
#include <errno.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http-form.h"
#include "macros.h"

#define POST_BUFFER_MIN 256U

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Percent escapes in [p, p+n): well formed and not a NUL. Returns the
 * decoded length, or -EBADMSG. */
static ssize_t escapes_check(const char *p, size_t n) {
        size_t decoded = 0;

        for (size_t i = 0; i < n; i++, decoded++) {
                if (p[i] != '%')
                        continue;
                if (n - i < 3 || !is_hex(p[i + 1]) || !is_hex(p[i + 2]) || (p[i + 1] == '0' && p[i + 2] == '0'))
                        return -EBADMSG;
                i += 2;
        }
        return (ssize_t) decoded;
}

/* A byte of a name or value as MHD reads it as itself: escaped if it is
 * an '=' (a value's) or a control character (MHD ends the body at a line
 * break, which this server always took as part of the value). */
static void out_byte(char *out, size_t *out_len, char c) {
        static const char hex[] = "0123456789ABCDEF";
        unsigned char u = (unsigned char) c;

        if (c != '=' && u >= 0x20 && u != 0x7f) {
                out[(*out_len)++] = c;
                return;
        }
        out[(*out_len)++] = '%';
        out[(*out_len)++] = hex[u >> 4];
        out[(*out_len)++] = hex[u & 0xf];
}

/* One field, [p, p+n), "name", "name=" or "name=value": checked as the
 * server always checked it (the value first), then appended to `out`
 * as "name=value&" unless its name is empty. */
static int field_normalise(const char *p, size_t n, char *out, size_t *out_len) {
        const char *eq = memchr(p, '=', n);
        size_t name_len = eq ? (size_t) (eq - p) : n;
        ssize_t k;

        if (eq) {
                k = escapes_check(eq + 1, n - name_len - 1);
                if (k < 0)
                        return (int) k;
                if ((size_t) k > HTTP_FORM_VALUE_MAX)
                        return -EMSGSIZE;
        }
        k = escapes_check(p, name_len);
        if (k < 0)
                return (int) k;
        if (name_len == 0)
                return 0;

        for (size_t i = 0; i < name_len; i++)
                out_byte(out, out_len, p[i]);
        out[(*out_len)++] = '=';
        for (size_t i = name_len + 1; eq && i < n; i++)
                out_byte(out, out_len, p[i]);
        out[(*out_len)++] = '&';
        return 0;
}

static int form_normalise(const char *body, size_t size, char **ret, size_t *ret_len) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        int r;

        if (size > 0 && memchr(body, 0, size))
                return -EBADMSG;
        /* Worst case: every byte escaped, an '=' and an '&' for each of
         * k fields in size - (k - 1) bytes of them, and the NUL. */
        out = malloc(3 * size + 3);
        if (!out)
                return -ENOMEM;
        for (const char *p = body, *end = size > 0 ? body + size : body; p < end;) {
                const char *amp = memchr(p, '&', (size_t) (end - p));
                size_t n = (size_t) ((amp ? amp : end) - p);

                if (n > 0) {
                        r = field_normalise(p, n, out, &len);
                        if (r < 0)
                                return r;
                }
                p += n + 1;
        }
        out[len] = 0;
        *ret = TAKE_PTR(out);
        *ret_len = len;
        return 0;
}

typedef struct FormState {
        HttpFormField *fields;
        size_t n;
        int error;
} FormState;

static int field_append(FormState *st, const char *key) {
        HttpFormField *f = reallocarray(st->fields, st->n + 1, sizeof(*f));

        if (!f)
                return -ENOMEM;
        st->fields = f;
        f = &st->fields[st->n];
        *f = (HttpFormField) { .name = strdup(key), .value = malloc(HTTP_FORM_VALUE_MAX + 1) };
        st->n++; /* freed with the others, even half made */
        if (!f->name || !f->value)
                return -ENOMEM;
        f->value[0] = 0;
        return 0;
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                const char *content_type, const char *transfer_encoding, const char *data,
                                uint64_t off, size_t size) {
        FormState *st = cls;
        HttpFormField *f;
        int r;

        if (!key) {
                st->error = -EBADMSG;
                return MHD_NO;
        }
        /* A new field starts at offset 0; later pieces continue the last. */
        if (off == 0) {
                r = field_append(st, key);
                if (r < 0) {
                        st->error = r;
                        return MHD_NO;
                }
        }
        f = st->n > 0 ? &st->fields[st->n - 1] : NULL;
        if (!f || off != f->size || strcmp(f->name, key) != 0) {
                st->error = -EBADMSG;
                return MHD_NO;
        }
        if (size > HTTP_FORM_VALUE_MAX - f->size) {
                st->error = -EMSGSIZE;
                return MHD_NO;
        }
        if (size > 0 && (!data || memchr(data, 0, size))) {
                st->error = -EBADMSG;
                return MHD_NO;
        }
        if (size > 0)
                memcpy(f->value + f->size, data, size);
        f->size += size;
        f->value[f->size] = 0;
        return MHD_YES;
}

void http_form_fields_free(HttpFormField *fields, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(fields[i].name);
                free(fields[i].value);
        }
        free(fields);
}

int http_form_decode(struct MHD_Connection *connection, const char *body, size_t size, HttpFormField **ret,
                     size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        FormState st = {};
        struct MHD_PostProcessor *pp;
        size_t len = 0;
        int r;

        if (!connection || (!body && size > 0) || !ret || !ret_n)
                return -EINVAL;
        r = form_normalise(body, size, &text, &len);
        if (r < 0)
                return r;

        if (len > 0) {
                /* Room for the longest name in one piece. */
                pp = MHD_create_post_processor(connection, len + POST_BUFFER_MIN, on_field, &st);
                if (!pp)
                        return -EBADMSG;
                if (MHD_post_process(pp, text, len) != MHD_YES && st.error == 0)
                        st.error = -EBADMSG;
                if (MHD_destroy_post_processor(pp) != MHD_YES && st.error == 0)
                        st.error = -EBADMSG;
        }
        if (st.error < 0) {
                http_form_fields_free(st.fields, st.n);
                return st.error;
        }
        *ret = st.fields;
        *ret_n = st.n;
        return 0;
}
