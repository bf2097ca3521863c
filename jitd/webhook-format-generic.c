/* Generic messages (see webhook-payload.c for what every format carries):
 * the Standard Webhooks payload shape, {"type","timestamp","data"}, with
 * every fact under "data" and the review links as {"approver","url"}. */
#include "webhook-format.h"

struct json_object *webhook_format_generic(Builder *b, const Facts *f) {
        const WebhookEvent *e = f->event;
        struct json_object *root, *data, *links;

        root = b_object(b);
        data = b_object(b);
        links = b_array(b);

        b_string(b, root, "type", webhook_event_type_to_string(e->type));
        b_string(b, root, "timestamp", f->event_iso);

        b_string(b, data, "request_id", f->request_id);
        b_string(b, data, "user", f->user);
        b_string(b, data, "host", f->host);
        b_string(b, data, "action", f->action);
        b_string(b, data, "service", f->service);
        b_string(b, data, "rhost", f->rhost);
        b_string(b, data, "tty", f->tty);
        b_string(b, data, "reason", f->reason);
        b_int(b, data, "requested_duration_sec", (int64_t) e->requested_duration_sec);
        b_string(b, data, "match_code", f->match_code);
        if (e->request_expires_at > 0)
                b_string(b, data, "request_expires_at", f->expires_iso);
        b_string(b, data, "extends_grant_id", f->extends);
        if (f->extends_iso[0])
                b_string(b, data, "extends_grant_expires_at", f->extends_iso);

        for (size_t i = 0; i < e->n_links; i++) {
                struct json_object *l = b_object(b);

                if (f->approvers[i][0])
                        b_string(b, l, "approver", f->approvers[i]);
                b_string(b, l, "url", e->links[i].url);
                b_append(b, links, l);
        }

        switch (e->type) {
        case WEBHOOK_EVENT_REQUEST_APPROVED:
                b_string(b, data, "decided_by", f->decided_by);
                if (e->grant_expires_at > 0)
                        b_string(b, data, "grant_expires_at", f->grant_iso);
                if (e->granted_duration_sec > 0)
                        b_int(b, data, "granted_duration_sec", (int64_t) e->granted_duration_sec);
                break;
        case WEBHOOK_EVENT_REQUEST_DENIED:
        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                b_string(b, data, "decided_by", f->decided_by);
                b_string(b, data, "decision_reason", f->decision_reason);
                break;
        default:
                break;
        }

        b_add(b, data, "review_links", links);
        b_add(b, root, "data", data);
        return root;
}
