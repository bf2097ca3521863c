/* io.jit.Show's view of a request's notifications (see outbox.h): the
 * outbox rows (what was sent where, and how it went) and the approvals
 * the links and jitctl collected, with how many are needed. */

#include <errno.h>

#include "config-approvers.h"
#include "json-util.h"
#include "macros.h"
#include "varlink.h"
#include "outbox.h"
#include "store-outbox.h"

static struct json_object *notification_json(const void *item) {
        const OutboxRecord *o = item;
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

static struct json_object *approval_json(const void *item) {
        const ApprovalRecord *v = item;
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

/* A new array member `key` of `reply`, an element per item. */
static int add_array(struct json_object *reply, const char *key, const void *items, size_t n, size_t item_size,
                     struct json_object *(*to_json)(const void *item)) {
        struct json_object *a = json_object_new_array();
        int k;

        k = json_add(reply, key, a);
        for (size_t i = 0; k >= 0 && i < n; i++) {
                struct json_object *e = to_json((const char *) items + i * item_size);

                if (!e || json_object_array_add(a, e) < 0) {
                        json_object_put(e);
                        k = -ENOMEM;
                }
        }
        return k;
}

int outbox_show_request(Manager *m, const RequestRecord *r, struct json_object *reply) {
        _cleanup_free_ OutboxRecord *rows = NULL;
        _cleanup_free_ ApprovalRecord *votes = NULL;
        size_t n = 0, n_votes = 0;
        int k;

        k = store_outbox_list_request(m->store, r->id, &rows, &n);
        if (k >= 0)
                k = add_array(reply, "notifications", rows, n, sizeof(OutboxRecord), notification_json);
        if (k >= 0)
                k = store_list_approvals(m->store, r->id, &votes, &n_votes);
        if (k >= 0)
                k = add_array(reply, "approvals", votes, n_votes, sizeof(ApprovalRecord), approval_json);
        if (k >= 0)
                k = json_add_int(reply, "approvals_needed", approver_config_quorum(m->config.approval, r->action));
        return k;
}
