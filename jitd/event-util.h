/* Timers on the wall clock as jitd keeps them for deadlines stored in
 * seconds since the epoch (grant expiry, teardown retries): one sd-event
 * source per kind, created disabled, armed once for the next deadline. A
 * wall-clock timer fires at the right moment even when the clock is set. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

/* A CLOCK_REALTIME source, disabled until event_arm_wall_timer(). 0 or -errno. */
int event_add_wall_timer(sd_event *event, sd_event_source **ret, uint64_t accuracy_usec,
                         sd_event_time_handler_t callback, void *userdata, int64_t priority,
                         const char *description);

/* Fire `s` once at second `sec` of the wall clock: at once for sec <= 0,
 * never later than sd-event can express. 0 or -errno. */
int event_arm_wall_timer(sd_event_source *s, int64_t sec);
