/* io.jit.Show's view of a request's notifications (see outbox.h): the
 * outbox rows (what was sent where, and how it went) and the approvals
 * the links and jitctl collected, with how many are needed. */

#include <errno.h>

#include "config-notify.h"
#include "json-util.h"
#include "macros.h"
#include "varlink.h"
#include "outbox.h"
#include "store-notify.h"

static struct json_object *notification_json(const OutboxRecord *o) {
        _cleanup_json_ struct json_object *e = json_object_new_object();
        int k;

        if (!e)
                return NULL;
        k = json_add_string(e, "endpoint", o->endpoint);
        if (k >= 0)
                k = json_add_string(e, "event", outbox_event_to_string(o->event));
        if (k >= 0)
                k = json_add_string(e, "state", outbox_state_to_string(o->state));
        if (k >= 0)
                k = json_add_string(e, "webhook_id", o->message_id);
        if (k >= 0)
                k = json_add_int(e, "attempts", o->attempts);
        if (k >= 0 && o->last_status > 0)
                k = json_add_int(e, "last_status", o->last_status);
        if (k >= 0)
                k = json_add_string_optional(e, "last_error", o->last_error);
        if (k >= 0 && o->last_attempt_at > 0)
                k = json_add_int(e, "last_attempt_at", o->last_attempt_at);
        if (k >= 0 && o->state == OUTBOX_PENDING)
                k = json_add_int(e, "next_attempt_at", (int64_t) (o->next_attempt_usec / USEC_PER_SEC));
        if (k >= 0 && o->delivered_at > 0)
                k = json_add_int(e, "delivered_at", o->delivered_at);
        return k < 0 ? NULL : TAKE_PTR(e);
}

static struct json_object *approval_json(const ApprovalRecord *v) {
        _cleanup_json_ struct json_object *e = json_object_new_object();
        int k;

        if (!e)
                return NULL;
        k = json_add_string(e, "approver", v->approver);
        if (k >= 0)
                k = json_add_string(e, "person", v->person);
        if (k >= 0)
                k = json_add_int(e, "approved_at", v->approved_at);
        if (k >= 0 && v->duration_sec > 0)
                k = json_add_int(e, "duration", (int64_t) v->duration_sec);
        if (k >= 0)
                k = json_add_string_optional(e, "via", v->via);
        return k < 0 ? NULL : TAKE_PTR(e);
}

/* Append to a new array member `key` of `reply`. */
static struct json_object *add_array(struct json_object *reply, const char *key) {
        struct json_object *a = json_object_new_array();

        return json_add(reply, key, a) < 0 ? NULL : a;
}

static int append(struct json_object *a, struct json_object *e) {
        if (!e || json_object_array_add(a, e) < 0) {
                json_object_put(e);
                return -ENOMEM;
        }
        return 0;
}

int outbox_show_request(Manager *m, const RequestRecord *r, struct json_object *reply) {
        _cleanup_free_ OutboxRecord *rows = NULL;
        _cleanup_free_ ApprovalRecord *votes = NULL;
        struct json_object *a;
        size_t n = 0, n_votes = 0;
        int k;

        k = store_outbox_list_request(m->store, r->id, &rows, &n);
        if (k < 0)
                return k;
        a = add_array(reply, "notifications");
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                k = append(a, notification_json(&rows[i]));
                if (k < 0)
                        return k;
        }

        k = store_list_approvals(m->store, r->id, &votes, &n_votes);
        if (k < 0)
                return k;
        a = add_array(reply, "approvals");
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n_votes; i++) {
                k = append(a, approval_json(&votes[i]));
                if (k < 0)
                        return k;
        }
        return json_add_int(reply, "approvals_needed", notify_config_quorum(m->config.notify, r->action));
}
