/* Internals of store.c shared with its unit test and with store-notify.c
 * (the notification tables): the SQLite handle, to check pragmas, to batch
 * test data in one transaction and to prepare the notification statements;
 * and the transaction helpers, so a request (or a decision) and its outbox
 * rows are written in one transaction. The rest of the daemon goes through
 * store.h and store-notify.h only. */
#pragma once

#include <sqlite3.h>

#include "store.h"

sqlite3 *store_get_sqlite(Store *s);

/* BEGIN IMMEDIATE, or join the transaction already open: store functions
 * called in between become part of it (an inner failure dooms it, so the
 * outermost commit returns -ECANCELED). Every successful begin is paired
 * with a commit or a rollback. */
int store_transaction_begin(Store *s);
int store_transaction_commit(Store *s);
void store_transaction_rollback(Store *s);
