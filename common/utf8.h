/* Strict UTF-8 decoding, private to common/: text.c uses it to decide what
 * is clean, varlink.c to refuse a message that is not UTF-8 as a whole
 * (json-c's own check lets overlong forms through). Not part of the
 * contract other components code against. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decode one character from s[0..n) strictly: no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF. Returns its length in bytes and
 * stores the code point, or 0 if the bytes do not start a valid character
 * (a cut sequence at the end included). n must be > 0. */
static inline size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp) {
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF) {
                len = 2;
                cp = s[0] & 0x1F;
        } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
                len = 3;
                cp = s[0] & 0x0F;
        } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
                len = 4;
                cp = s[0] & 0x07;
        } else
                return 0; /* continuation byte, 0xC0/0xC1 (always overlong), or 0xF5.. */

        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }

        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
                return 0; /* overlong or out of range */
        if (cp >= 0xD800 && cp <= 0xDFFF)
                return 0;

        *ret_cp = cp;
        return len;
}
