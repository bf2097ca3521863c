/* Internals of store.c that only its unit test looks at: the SQLite handle,
 * to check pragmas and to batch test data in one transaction. Not for the
 * daemon, which goes through store.h only. */
#pragma once

#include <sqlite3.h>

#include "store.h"

sqlite3 *store_get_sqlite(Store *s);
