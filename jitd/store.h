/* The state store: requests, grants, votes, sessions and pending
 * teardowns (this header); the webhook outbox and review links
 * (store-outbox.h); retention (store-retention.h). Today one SQLite file
 * (store-schema.c: schema and migrations; store-db.c: the plumbing; one
 * store-<table>.c per table group). No SQL type, handle or statement
 * crosses this header: what follows is the contract the actions rely on,
 * and what a second backend must keep.
 *
 * Errors. Every function returns -errno: -EINVAL for an argument out of
 * its bounds (a string longer than its record field, an unknown enum, a
 * row the schema's constraints refuse);
 * -ENOENT for an unknown id; -ESTALE when a state transition lost a race
 * (the request is no longer pending, the grant no longer active: the first
 * decision wins); -EEXIST for an id or vote already there; -EPERM for a
 * self-approval; -EROFS, -ENOSPC, -EBUSY when the file cannot be written
 * or is locked; -EIO for anything else the backend failed at, including a
 * row that does not read back as valid (a tampered file is an error, never
 * an overflow or a guess). Lookups return 1 found / 0 none / <0.
 *
 * Durability and atomicity. A write returns only once it is on disk;
 * callers acknowledge nothing before that. Each function is atomic on its
 * own (a transition and what must accompany it, e.g. a grant's end and its
 * pending teardown, commit together), except those documented as meant to
 * run inside the caller's transaction (store_record_approval()). store_transaction_begin() opens a
 * transaction that every store function called before its commit joins,
 * those of store-outbox.h included: a request and its webhook rows, or a
 * decision and its votes, commit or roll back together. Transactions nest
 * flat: an inner begin/commit joins the outer one; an inner failure dooms
 * it (the outermost commit returns -ECANCELED and the caller rolls back).
 * Every successful begin is paired with one commit or one rollback.
 *
 * Records. Returned records are the caller's: plain fixed-size structs
 * copied out (strings NUL-terminated inside their fields), or arrays the
 * caller free()s where a function says *ret is malloc()ed. Callbacks run
 * after the rows are read and any write is committed, with nothing of the
 * store in flight, so they may call back into the store (the one
 * exception: store_expire_due_tx()'s in_tx runs inside its transaction).
 *
 * One thread: a Store is used from the event loop only.
 *
 * A second backend. Issue 12's fleet mode keeps, per host, a local SQLite
 * mirror of the fleet's live grants fed by an etcd watch. It plugs in
 * behind the "decision path" group below and nowhere else: those lookups
 * are everything io.jit.Check (and the login-session check in
 * user-manager.c) reads; they read local state only and never wait on a
 * network; a grant is live while it is active and expires_at > now
 * (strictly), compared on every call, so a mirror that stops hearing from
 * etcd still denies at each grant's own deadline. The mirror is one more
 * table group (store-mirror.c: its table in store-schema.c's next step, its
 * statements in store-db.h) written only by the watch through its own
 * functions; store-grants.c's live-grant lookups consult it beside the
 * host's own grants, and the request lookups may answer 0 for requests the
 * host does not hold. Transitions, listings and the outbox stay the
 * host's own, so nothing above the store changes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit-protocol.h"

/* The number of migration steps in store-schema.c; raise it by one with
 * each step appended there. */
#define STORE_SCHEMA_VERSION 8

typedef enum RequestState {
        REQUEST_PENDING,
        REQUEST_APPROVED,
        REQUEST_DENIED,
        REQUEST_EXPIRED,
        REQUEST_CANCELLED,
        _REQUEST_STATE_MAX,
        _REQUEST_STATE_INVALID = -1,
} RequestState;

typedef enum GrantState {
        GRANT_ACTIVE,
        GRANT_EXPIRED,
        GRANT_REVOKED,
        _GRANT_STATE_MAX,
        _GRANT_STATE_INVALID = -1,
} GrantState;

const char *request_state_to_string(RequestState s);
RequestState request_state_from_string(const char *s);
const char *grant_state_to_string(GrantState s);
GrantState grant_state_from_string(const char *s);

typedef struct RequestRecord {
        char id[JIT_ID_MAX];
        char user[JIT_USER_MAX + 1];
        JitAction action;
        char service[JIT_SERVICE_MAX + 1];
        char rhost[JIT_RHOST_MAX + 1];
        char tty[JIT_TTY_MAX + 1];
        char reason[JIT_REASON_MAX + 1];
        uint64_t duration_sec; /* requested; 0 = policy default */
        char match_code[JIT_MATCH_CODE_MAX];
        RequestState state;
        int64_t created_at;
        int64_t expires_at; /* a pending request expires unanswered at this time */
        int64_t decided_at; /* 0 while pending */
        char decided_by[JIT_USER_MAX + 1];        /* the account that decided (or withdrew) */
        char decided_by_person[JIT_USER_MAX + 1]; /* the person behind it (person.h); "" if none was known */
        char decision_reason[JIT_REASON_MAX + 1];
        char grant_id[JIT_ID_MAX]; /* set when approved */
        char extends_grant_id[JIT_ID_MAX]; /* "" or the live grant this request asks to extend */
} RequestRecord;

typedef struct GrantRecord {
        char id[JIT_ID_MAX];
        char request_id[JIT_ID_MAX]; /* "" for break-glass */
        char user[JIT_USER_MAX + 1];
        JitAction action;
        int64_t created_at;
        int64_t expires_at; /* absolute deadline; Check compares it every time */
        char approver[JIT_USER_MAX + 1];        /* the account that approved (break-glass: granted) */
        char approver_person[JIT_USER_MAX + 1]; /* the person behind it (person.h); "" if none was known */
        char reason[JIT_REASON_MAX + 1];
        GrantState state;
        bool breakglass;
        int64_t ended_at; /* 0 while active */
        char ended_by[JIT_USER_MAX + 1];        /* the account that revoked or expired it */
        char ended_by_person[JIT_USER_MAX + 1]; /* the person behind it; "" if none was known */
        char extends_grant_id[JIT_ID_MAX]; /* "" or the grant this one extended (from its request) */
        char extended_by[JIT_ID_MAX];      /* "" or the grant that extended (and ended) this one */
} GrantRecord;

typedef struct SessionRecord {
        char session_id[JIT_SESSION_MAX + 1]; /* logind XDG_SESSION_ID */
        char grant_id[JIT_ID_MAX];
        char user[JIT_USER_MAX + 1];
        char service[JIT_SERVICE_MAX + 1];
        char tty[JIT_TTY_MAX + 1];
        char rhost[JIT_RHOST_MAX + 1];
        int64_t pid;
        int64_t opened_at;
        int64_t closed_at; /* 0 while open */
        /* Which logind session this is, beyond its id (ids repeat after a
         * reboot and, without audit, after logind restarts): the boot it
         * was recorded in ("" for rows from before schema 4), CLOCK_MONOTONIC
         * when jitd recorded it, and the uid logind should show as its
         * owner (-1 unknown). */
        char boot_id[33];
        int64_t opened_monotonic_usec;
        int64_t uid;
} SessionRecord;

typedef struct Store Store;

/* Open (creating and migrating as needed) the database at `path`. The
 * directory must exist. A corrupt or unreadable file is an error (-EIO),
 * never an empty store. */
int store_open(const char *path, Store **ret);
void store_close(Store *s);
/* Schema version stored in the file (for tests and --check-config). */
int store_schema_version(Store *s);
/* --check-config: the file at `path` opens read-only (nothing migrated or
 * locked) and passes an integrity check. -EIO with the reason in `error`. */
int store_verify_file(const char *path, char *error, size_t size);

/* BEGIN IMMEDIATE, or join the transaction already open (see above). */
int store_transaction_begin(Store *s);
/* The outermost commit writes (and is on disk); -ECANCELED if a joined
 * store function failed inside, and then the caller rolls back. */
int store_transaction_commit(Store *s);
void store_transaction_rollback(Store *s);

/* ---- the decision path: io.jit.Check's lookups, local reads only ---- */

/* The hot path: the live grant (state active, expires_at > now) for
 * user+action with the latest deadline. 1 found, 0 none, <0 error. */
int store_find_live_grant(Store *s, const char *user, JitAction action, int64_t now, GrantRecord *ret);
/* What io.jit.Check needs of the live grant store_find_live_grant() would
 * return (same rows, same deadline comparison), without the rest. */
typedef struct LiveGrant {
        char id[JIT_ID_MAX];
        char request_id[JIT_ID_MAX]; /* "" for break-glass */
        int64_t expires_at;
        char approver[JIT_USER_MAX + 1];
        bool breakglass;
} LiveGrant;
int store_check_live_grant(Store *s, const char *user, JitAction action, int64_t now, LiveGrant *ret);
/* The newest request for user+action that is still pending at `now`. */
int store_find_pending_request(Store *s, const char *user, JitAction action, int64_t now, RequestRecord *ret);
/* The newest request for user+action decided at/after `since` (e.g. a recent
 * denial, so Check can say "denied"). 1 / 0 / <0. */
int store_find_recent_request(Store *s, const char *user, JitAction action, int64_t since, RequestRecord *ret);

/* ---- requests ---- */

/* Has `user` filed at least `n` requests (any action) created after
 * `since`? 1 with the creation time of the n-th newest, 0 if fewer, <0. */
int store_nth_newest_request(Store *s, const char *user, int64_t since, unsigned n, int64_t *ret_created_at);

int store_insert_request(Store *s, const RequestRecord *r);
int store_update_request_reason(Store *s, const char *request_id, const char *reason);
int store_get_request(Store *s, const char *id, RequestRecord *ret);
int store_get_grant(Store *s, const char *id, GrantRecord *ret);

/* ---- decisions and grants ---- */

/* Atomically: request pending and unexpired at `now` -> approved, and a new
 * grant (id from `grant->id`, fields filled by the caller) inserted, in one
 * transaction. -ESTALE if the request is no longer pending (first decision
 * wins), -ENOENT if unknown, -EPERM if the requester is `approver` or
 * grant->approver_person (recorded as the request's decided_by_person too).
 * On success *grant is the stored grant.
 *
 * If the request extends a grant (extends_grant_id), the same transaction
 * ends that grant (state expired, extended_by = the new grant) if it is
 * still active, and moves its open sessions to the new grant;
 * grant->extends_grant_id says which grant it was. The caller computes the
 * new deadline. */
int store_approve_request(Store *s, const char *request_id, const char *approver, int64_t now,
                          GrantRecord *grant);
/* The person arguments may be NULL (none known). */
int store_deny_request(Store *s, const char *request_id, const char *approver, const char *approver_person,
                       const char *reason, int64_t now, RequestRecord *ret);
/* The same for a withdrawal by the requester: pending -> cancelled, with
 * decided_by the account that withdrew it (the requester's, or root's when
 * the requester used sudo: then by_person is the requester). */
int store_cancel_request(Store *s, const char *request_id, const char *by, const char *by_person, const char *reason,
                         int64_t now, RequestRecord *ret);
/* Break-glass grant without a request. */
int store_insert_grant(Store *s, const GrantRecord *g);

/* Active -> revoked/expired, with a pending teardown (below), in one
 * transaction (or the caller's). -ESTALE if not active any more. `by` and
 * `by_person` (person.h) may be NULL. */
int store_end_grant(Store *s, const char *grant_id, GrantState new_state, const char *by, const char *by_person,
                    int64_t now, GrantRecord *ret);

typedef int (*StoreGrantCallback)(const GrantRecord *g, void *userdata);
typedef int (*StoreRequestCallback)(const RequestRecord *r, void *userdata);
typedef int (*StoreSessionCallback)(const SessionRecord *r, void *userdata);

/* ---- expiry and deadlines ---- */

/* Mark every active grant with expires_at <= now expired, and every pending
 * request with expires_at <= now expired; call back for each one changed
 * (for audit and waking waiters). Returns the number changed. */
int store_expire_due(Store *s, int64_t now, StoreGrantCallback on_grant, StoreRequestCallback on_request,
                     void *userdata);
/* The same with separate cutoffs: grants with expires_at <= grants_until,
 * requests with expires_at <= requests_until. */
int store_expire_due_until(Store *s, int64_t grants_until, int64_t requests_until, StoreGrantCallback on_grant,
                           StoreRequestCallback on_request, void *userdata);
/* The same, and `in_tx` is called for each request expired inside the
 * transaction that expires it (for the rows that must commit with it, the
 * webhook outbox's); if it fails, nothing of that batch is committed and
 * its error is returned. */
int store_expire_due_tx(Store *s, int64_t grants_until, int64_t requests_until, StoreRequestCallback in_tx,
                        StoreGrantCallback on_grant, StoreRequestCallback on_request, void *userdata);
/* Earliest future deadline among active grants and pending requests.
 * 1 and *ret set, 0 if none. */
int store_next_deadline(Store *s, int64_t *ret);
/* Both earliest deadlines separately, INT64_MAX where there is none of a
 * kind. 1 if there is any, 0 if none. */
int store_next_deadlines(Store *s, int64_t *ret_grant, int64_t *ret_request);
/* Earliest deadline of an active grant that is > after. 1 / 0 / <0. */
int store_next_grant_deadline_after(Store *s, int64_t after, int64_t *ret);
/* Active grants with after < expires_at <= until, earliest first. */
int store_list_grants_expiring(Store *s, int64_t after, int64_t until, StoreGrantCallback cb, void *userdata);

/* ---- listings ---- */

/* Listing. user may be NULL (everyone). Newest first, at most `limit`. */
int store_list_requests(Store *s, const char *user, bool pending_only, int64_t now, unsigned limit,
                        StoreRequestCallback cb, void *userdata);
int store_list_grants(Store *s, const char *user, bool active_only, int64_t now, unsigned limit,
                      StoreGrantCallback cb, void *userdata);

/* ---- sessions ---- */

/* Record a session. Open rows of the same user and session id end first: a
 * new login session with that id means the old one is gone, whatever grant
 * it was under; a sudo grant's row replaces only that grant's earlier row
 * of the session (a second sudo in the same login session). */
int store_open_session(Store *s, const SessionRecord *r);
int store_close_session(Store *s, const char *user, const char *session_id, int64_t now);
int store_list_sessions(Store *s, const char *grant_id, bool open_only, StoreSessionCallback cb,
                        void *userdata);

/* ---- pending teardowns ---- */

/* A grant whose end actions (audit, sessions, sudo's cached credentials)
 * have not all run. The store writes one in the same transaction that ends
 * a grant (store_end_grant(), store_expire_due*(), an extension in
 * store_approve_request()), so a crash cannot lose it; jitd deletes it when
 * the actions are done. */
typedef struct TeardownRecord {
        char grant_id[JIT_ID_MAX];
        char reason[JIT_REASON_MAX + 1]; /* a revocation's reason */
        bool audited;                    /* the grant-expired/-revoked entry was written */
        unsigned attempts;
        int64_t next_attempt_at; /* unix seconds; 0: at once */
        int64_t created_at;
} TeardownRecord;

/* Record the reason of a revocation with its teardown: call in the
 * transaction that ended the grant. -ENOENT if the grant has none. */
int store_set_teardown_reason(Store *s, const char *grant_id, const char *reason);
/* -ENOENT if the grant has no pending teardown (done, or never ended). */
int store_get_teardown(Store *s, const char *grant_id, TeardownRecord *ret);
/* Teardowns due at `now` (next_attempt_at <= now), earliest first, at
 * most `limit` (0: a batch); *ret is malloc()ed. */
int store_list_teardowns_due(Store *s, int64_t now, unsigned limit, TeardownRecord **ret, size_t *ret_n);
/* The earliest next_attempt_at: 1 found, 0 none pending. */
int store_next_teardown_due(Store *s, int64_t *ret);
/* An attempt started: audited, its count, and when to look again if it
 * does not finish. */
int store_teardown_attempt(Store *s, const char *grant_id, unsigned attempts, int64_t next_attempt_at);
/* Done (or given up): the row goes. */
int store_teardown_done(Store *s, const char *grant_id);
/* Every pending teardown due now, leases and backoff or not (at start:
 * nothing of them is in flight). The number changed. */
int store_teardowns_all_due(Store *s);

/* ---- votes towards a quorum ---- */

typedef struct ApprovalRecord {
        char request_id[JIT_ID_MAX];
        char approver[JIT_USER_MAX + 1]; /* the account that voted (jitctl: its SO_PEERCRED user) */
        char person[JIT_USER_MAX + 1];   /* who that was (person.h); one vote per person */
        int64_t approved_at;
        uint64_t duration_sec; /* what this approver chose; 0: the request's */
        char via[16];          /* "jitctl", "web" */
} ApprovalRecord;

/* Record one approver's vote on a request that is pending and unexpired at
 * `now` (-ESTALE otherwise, -ENOENT if unknown, -EEXIST if this person
 * already voted, under any account). *ret_count: votes so far, this one included;
 * *ret_min_duration: the shortest duration of all votes, a vote without a
 * choice counting as `default_duration`. Meant to run inside the caller's
 * transaction. */
int store_record_approval(Store *s, const ApprovalRecord *a, int64_t now, uint64_t default_duration,
                          unsigned *ret_count, uint64_t *ret_min_duration);
int store_count_approvals(Store *s, const char *request_id, unsigned *ret);
/* Has `person` voted on the request (under any account)? */
bool store_has_approval(Store *s, const char *request_id, const char *person);
/* Oldest first, at most 64. */
int store_list_approvals(Store *s, const char *request_id, ApprovalRecord **ret, size_t *ret_n);
