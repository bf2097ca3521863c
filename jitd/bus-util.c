/* The system bus as jitd uses it (see bus-util.h). jitd never makes a
 * blocking D-Bus call: a slow or stuck systemd or logind must not delay a
 * login decision, so every call is sent with a callback and its userdata is
 * owned by the call's slot. */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bus-util.h"
#include "macros.h"

int bus_open_system_attached(sd_event *event, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        /* Connecting is a non-blocking connect(); the authentication
         * handshake then runs on the event loop, and calls made meanwhile
         * are queued. */
        r = sd_bus_open_system_with_description(&bus, "system");
        if (r < 0)
                return r;
        /* Losing the bus is handled by falling back, not by exiting. */
        (void) sd_bus_set_exit_on_disconnect(bus, false);
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                sd_bus_close_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int bus_call_async(sd_bus *bus, sd_bus_message *msg, sd_bus_message_handler_t callback, void *userdata,
                   sd_bus_destroy_t destroy) {
        sd_bus_slot *slot = NULL;
        int r;

        r = sd_bus_call_async(bus, &slot, msg, callback, userdata, 0);
        if (r < 0) {
                if (destroy)
                        destroy(userdata);
                return r;
        }
        /* The slot owns userdata from here, and the bus owns the slot: the
         * reply callback runs once, and userdata goes with the slot, also
         * when the bus is closed before a reply came. */
        if (destroy)
                (void) sd_bus_slot_set_destroy_callback(slot, destroy);
        r = sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return r < 0 ? r : 0;
}

int bus_call_method_async(sd_bus *bus, const char *destination, const char *path, const char *interface,
                          const char *member, sd_bus_message_handler_t callback, void *userdata,
                          sd_bus_destroy_t destroy, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &msg, destination, path, interface, member);
        /* Calling a service must never start it (bus activation): jitd
         * asks systemd and logind when they are there, and moves on when
         * they are not. */
        if (r >= 0)
                r = sd_bus_message_set_auto_start(msg, false);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(msg, types, ap);
                va_end(ap);
        }
        if (r < 0) {
                if (destroy)
                        destroy(userdata);
                return r;
        }
        return bus_call_async(bus, msg, callback, userdata, destroy);
}

const char *bus_reply_error_name(sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        return e ? e->name : NULL;
}

const char *bus_reply_error_message(sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                return NULL;
        return e->message ? e->message : e->name;
}
