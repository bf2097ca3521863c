/* The daemon's one context object: configuration, store, event loop, socket
 * server and expiry timer. Everything in jitd runs on this one sd-event loop
 * in one thread, so a handler may use any of it without locking. */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"
#include "store.h"

typedef struct Server Server;

typedef struct Manager {
        Config config;
        sd_event *event;
        Store *store;
        Server *server;
        sd_event_source *expiry_source;
} Manager;

/* sd-event priorities. Root's connections (sshd, sudo asking Check) come
 * first, so a flood from an unprivileged user cannot delay a login decision;
 * accepting new connections comes before serving unprivileged ones so root
 * can always get in. */
#define JITD_PRIORITY_SIGNAL (SD_EVENT_PRIORITY_IMPORTANT - 100)
#define JITD_PRIORITY_ROOT SD_EVENT_PRIORITY_IMPORTANT
#define JITD_PRIORITY_EXPIRY (SD_EVENT_PRIORITY_IMPORTANT + 10)
#define JITD_PRIORITY_ACCEPT (SD_EVENT_PRIORITY_IMPORTANT + 20)
#define JITD_PRIORITY_USER SD_EVENT_PRIORITY_NORMAL
