/* Shared between the outbox's files only: outbox.c (queueing and the
 * scheduler) and outbox-job.c (one message: built, signed, posted,
 * settled). Nothing else includes this. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config-approvers.h"
#include "outbox.h"
#include "review-token.h"
#include "store-outbox.h"
#include "webhook-delivery.h"
#include "webhook-sign.h"

typedef struct InFlight InFlight;
struct InFlight {
        Outbox *outbox;
        InFlight *prev, *next;
        OutboxRecord row;
        const WebhookConfig *endpoint;
        WebhookAttempt *attempt;
};

struct Outbox {
        Manager *m;
        WebhookDelivery *delivery;
        WebhookSecret *secrets; /* one per configured webhook; size 0: none */
        size_t n_secrets;
        char hostname[HOST_NAME_MAX + 1];

        sd_event_source *timer; /* CLOCK_REALTIME: the next due row */
        sd_event_source *kick;  /* defer: scan now */
        InFlight *in_flight;
        size_t n_in_flight;
        uint64_t purged_usec;
        uint64_t backoff_until; /* the store failed: no scan before this */
};

/* One due row on its way out. */
typedef struct Job {
        OutboxRecord row;
        const WebhookConfig *endpoint;
        size_t endpoint_index;
        RequestRecord request;
        GrantRecord grant;
        bool have_grant;
        GrantRecord extended; /* an extension request: the grant it extends */
        bool have_extended;
        /* Minted for this attempt; the tokens are secret until sent. */
        char tokens[WEBHOOK_LINKS_MAX][REVIEW_TOKEN_STRING_MAX];
        char approvers[WEBHOOK_LINKS_MAX][JIT_USER_MAX + 1];
        size_t n_links;
} Job;

uint64_t outbox_now_usec(void);

/* Turn one due row into a job: 1 ready, 0 settled without an attempt
 * (too old, request gone), <0 the store failed. */
int job_prepare(Outbox *ob, const OutboxRecord *row, const WebhookConfig *w, size_t endpoint_index, int64_t now_sec,
                Job *j);
/* Inside the scan's transaction: a token per link, its hash stored. */
int job_mint_links(Outbox *ob, Job *j, int64_t now);
int job_build_body(Outbox *ob, Job *j, char **ret, size_t *ret_size);
/* Sign and post; the outcome settles the row later. <0: nothing was
 * started (out of memory, signing failed). */
int job_post(Outbox *ob, Job *j, const char *body, size_t body_size);
/* The tokens are secret until sent: wipe them once the body is built. */
void job_erase(Job *j);

/* Write a row's delivery state back; a failure is logged (the row stays
 * due and is sent again, never lost). */
void outbox_write(Outbox *ob, const OutboxRecord *row);

void in_flight_free(InFlight *f);
bool in_flight_has(Outbox *ob, int64_t id);
size_t in_flight_to(Outbox *ob, const char *endpoint);
