/* Decoding an application/x-www-form-urlencoded POST body into fields
 * (http-form.c), for http-server.c. */
#pragma once

#include <stddef.h>

#include "http-server.h"

struct MHD_Connection;

/* The fields of `body` in order, repeats and all, percent-decoded ('+' is
 * a space). -EBADMSG for a malformed body (a bad escape, a NUL, raw or
 * encoded), -EMSGSIZE for a value above HTTP_FORM_VALUE_MAX. `connection`
 * is the request's (libmicrohttpd's post processor reads its
 * Content-Type, which must be the form encoding). */
int http_form_decode(struct MHD_Connection *connection, const char *body, size_t size, HttpFormField **ret,
                     size_t *ret_n);
void http_form_fields_free(HttpFormField *fields, size_t n);
