/* See event-util.h. */
#include "event-util.h"
#include "macros.h"

int event_add_wall_timer(sd_event *event, sd_event_source **ret, uint64_t accuracy_usec,
                         sd_event_time_handler_t callback, void *userdata, int64_t priority,
                         const char *description) {
        int r;

        r = sd_event_add_time(event, ret, CLOCK_REALTIME, UINT64_MAX - 1, accuracy_usec, callback, userdata);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(*ret, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(*ret, priority);
        (void) sd_event_source_set_description(*ret, description);
        return 0;
}

int event_arm_wall_timer(sd_event_source *s, int64_t sec) {
        uint64_t usec;
        int r;

        if (sec <= 0)
                usec = 1; /* long past: now */
        else if ((uint64_t) sec > UINT64_MAX / USEC_PER_SEC - 1)
                usec = UINT64_MAX - 1;
        else
                usec = (uint64_t) sec * USEC_PER_SEC;

        r = sd_event_source_set_time(s, usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}
