/* The system bus as jitd uses it: one connection, attached to the event
 * loop, opened without waiting for anything, and method calls that are
 * always asynchronous. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

/* Connect to the system bus and attach it to `event`. Returns -errno (e.g.
 * -ENOENT: no bus on this machine) without logging; the caller decides. */
int bus_open_system_attached(sd_event *event, sd_bus **ret);

/* Send `msg` and have `callback` called with the reply (or the error, or a
 * timeout) later on the event loop. `destroy` (may be NULL) is called on
 * `userdata` once the call is done or abandoned (the bus closed first),
 * whatever happened; also when this fails. */
int bus_call_async(sd_bus *bus, sd_bus_message *msg, sd_bus_message_handler_t callback, void *userdata,
                   sd_bus_destroy_t destroy);

/* The same, building the method call from its parts and appending
 * `types` and the values that follow (sd_bus_message_append()). */
int bus_call_method_async(sd_bus *bus, const char *destination, const char *path, const char *interface,
                          const char *member, sd_bus_message_handler_t callback, void *userdata,
                          sd_bus_destroy_t destroy, const char *types, ...);

/* The error name of a failed reply, or NULL. */
const char *bus_reply_error_name(sd_bus_message *reply);
/* "org.freedesktop.systemd1.NoSuchUnit: Unit x not loaded." for a log. */
const char *bus_reply_error_message(sd_bus_message *reply);
