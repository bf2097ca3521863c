/* Retention: a periodic pass that prunes ended rows older than [jitd]
 * retention from the store (store-retention.h says which rows, and that
 * nothing live is touched). A pass does bounded work in one transaction,
 * at the lowest priority of the event loop; a backlog is worked off one
 * pass every RETENTION_BACKLOG, then a pass runs every RETENTION_INTERVAL. */
#pragma once

#include "jitd.h"

int retention_start(Manager *m);
void retention_stop(Manager *m);
