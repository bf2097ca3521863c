/* journald's native protocol, the small part we need: one datagram to
 * /run/systemd/journal/socket holding "FIELD=value\n" lines. Values that
 * contained a newline would need the binary length-prefixed form; we
 * sanitise every value instead (control characters become '?'), which also
 * keeps a hostile user or host name from forging fields. The entry is small
 * (every field is capped) so it always fits one datagram, and the send is
 * non-blocking: a stuck journald must not hold up a login. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "journal_native.h"
#include "macros.h"
#include "text.h"

#define JOURNAL_ENTRY_MAX 8192U
#define JOURNAL_VALUE_MAX 1024U

static bool field_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 64 || s[0] == '_')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

int journal_native_send(const char *socket_path, const JournalField *fields, size_t n_fields) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        char entry[JOURNAL_ENTRY_MAX];
        size_t len = 0, plen;
        ssize_t k;

        plen = strlen(socket_path);
        if (plen == 0 || plen >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, socket_path, plen + 1);

        for (size_t i = 0; i < n_fields; i++) {
                char value[JOURNAL_VALUE_MAX];
                size_t nlen, vlen;

                if (!fields[i].value)
                        continue;
                if (!field_name_is_valid(fields[i].name))
                        return -EINVAL;

                jit_sanitize(fields[i].value, value, sizeof(value));
                nlen = strlen(fields[i].name);
                vlen = strlen(value);
                if (len + nlen + 1 + vlen + 1 > sizeof(entry))
                        return -EMSGSIZE;

                memcpy(entry + len, fields[i].name, nlen);
                len += nlen;
                entry[len++] = '=';
                memcpy(entry + len, value, vlen);
                len += vlen;
                entry[len++] = '\n';
        }

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();

        k = sendto(fd, entry, len, MSG_NOSIGNAL | MSG_DONTWAIT, (const struct sockaddr *) &sa, sizeof(sa));
        if (k < 0)
                return negative_errno();
        if ((size_t) k != len)
                return -EIO;
        return 0;
}
