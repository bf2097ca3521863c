/* Prints, as one JSON array, the Slack and Teams bodies jitd builds
 * (webhook_payload_build(), the code jitd sends with) for every event, with
 * each field a requester or another person can put text in replaced in
 * turn by each of a set of hostile samples, followed by " Qx7" (a marker:
 * where it shows, the field is shown):
 *   [{"format": "teams", "event": "jit.request.created", "field": "reason",
 *     "sample": "...", "body": {...}}, ...]
 * render-check.js renders and checks them. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook-payload.h"

/* Markup of every kind the two formats know, one construct per sample,
 * each short enough to survive the smallest field cap (64 bytes). */
static const char *const samples[] = {
        "[Approve here](https://evil.example)",
        "<https://evil.example|Approve here>",
        "https://bare.example/approve",
        "www.evil.example",
        "mail me: evil@evil.example",
        "<!channel> <!here> @here <@U024BE7LH>",
        "#general and <#C024BE7LH>",
        "*bold* _italic_ ~strike~ `code`",
        "**bold** __bold__ ~~strike~~",
        "```block```",
        "# Heading",
        "    indented code",
        "1. numbered",
        "- bullet",
        "> quote",
        "![img](https://evil.example/x.png)",
        "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
        "&lt;b&gt; &amp; <b>bold</b>",
        "line\\\nbreak",
        "a | b\n--|--\nc | d",
        "svc_deploy",
        ":white_check_mark: approved :+1:",
        "fe80::1:2 and 2001:db8::7",
};

/* In the order event_with() uses them. */
static const char *const fields[] = {
        "user", "host", "service", "rhost", "tty", "reason", "decided_by", "decision_reason",
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static WebhookEvent event_with(WebhookEventType type, char values[][128], const WebhookReviewLink *links,
                               size_t n_links) {
        return (WebhookEvent) {
                .type = type,
                .timestamp = 1795442700,
                .request_id = "r7k2qx9pmd3t1bfa0",
                .user = values[0],
                .host = values[1],
                .action = JIT_ACTION_SUDO,
                .service = values[2],
                .rhost = values[3],
                .tty = values[4],
                .reason = values[5],
                .requested_duration_sec = 3600,
                .match_code = "482-913",
                .request_expires_at = 1795443600,
                .links = type == WEBHOOK_EVENT_REQUEST_CREATED ? links : NULL,
                .n_links = type == WEBHOOK_EVENT_REQUEST_CREATED ? n_links : 0,
                .decided_by = values[6],
                .grant_expires_at = 1795446300,
                .granted_duration_sec = 3600,
                .decision_reason = values[7],
        };
}

int main(void) {
        static const WebhookReviewLink links[] = {
                { .approver = "bob", .url = "https://jit.example.com/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
                { .approver = "carol", .url = "https://jit.example.com/r/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ" },
        };
        static const WebhookFormat formats[] = { WEBHOOK_FORMAT_SLACK, WEBHOOK_FORMAT_TEAMS };
        struct json_object *all = json_object_new_array();

        if (!all)
                return EXIT_FAILURE;
        for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++)
                        for (size_t k = 0; k < sizeof(formats) / sizeof(formats[0]); k++) {
                                char values[N_FIELDS][128];
                                struct json_object *c = json_object_new_object(), *markers = json_object_new_object(),
                                                   *body;
                                WebhookEvent e;
                                char *text = NULL;
                                int r;

                                if (!c || !markers)
                                        return EXIT_FAILURE;
                                for (size_t f = 0; f < N_FIELDS; f++) {
                                        char marker[8];

                                        snprintf(marker, sizeof(marker), "Qx%c", (char) ('A' + f));
                                        snprintf(values[f], sizeof(values[f]), "%s %s", samples[s], marker);
                                        json_object_object_add(markers, fields[f], json_object_new_string(marker));
                                }
                                e = event_with(t, values, links, 2);
                                r = webhook_payload_build(&e, formats[k], &text, NULL);
                                if (r < 0) {
                                        fprintf(stderr, "cannot build %s %s: %d\n", webhook_format_to_string(formats[k]),
                                                webhook_event_type_to_string(t), r);
                                        return EXIT_FAILURE;
                                }
                                body = json_tokener_parse(text);
                                free(text);
                                if (!body)
                                        return EXIT_FAILURE;
                                json_object_object_add(c, "format",
                                                       json_object_new_string(webhook_format_to_string(formats[k])));
                                json_object_object_add(c, "event", json_object_new_string(webhook_event_type_to_string(t)));
                                json_object_object_add(c, "sample", json_object_new_string(samples[s]));
                                json_object_object_add(c, "markers", markers);
                                json_object_object_add(c, "body", body);
                                json_object_array_add(all, c);
                        }
        fputs(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN), stdout);
        json_object_put(all);
        return ferror(stdout) || fflush(stdout) != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
