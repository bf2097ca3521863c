/* One structured journald entry, sent as a datagram in journald's native
 * protocol with plain libc: the module may not link libsystemd. */
#pragma once

#include <stddef.h>

typedef struct JournalField {
        const char *name;  /* upper case, [A-Z0-9_], not starting with '_' */
        const char *value; /* any text; sanitised to one line here. NULL: field left out */
} JournalField;

/* Never blocks. 0, or a negative errno (journald absent, backed up...). */
int journal_native_send(const char *socket_path, const JournalField *fields, size_t n_fields);
