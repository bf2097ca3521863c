/* What the pieces of jitctl share: the global options, the exit codes the
 * man page promises, the call into jitd with its error reporting, and the
 * output helpers. */
#pragma once

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit-protocol.h"
#include "json-util.h" /* call parameters: json_add_string_nonnull() leaves NULL out */
#include "macros.h"
#include "varlink.h"

/* Exit codes, documented in jitctl(8); scripts depend on them. */
enum {
        JITCTL_EXIT_OK = 0,
        JITCTL_EXIT_FAILURE = 1,
        JITCTL_EXIT_USAGE = 2,
        JITCTL_EXIT_UNREACHABLE = 3, /* jitd unreachable, untrusted or speaking another protocol */
        JITCTL_EXIT_DENIED = 4,
        JITCTL_EXIT_NOT_FOUND = 5,
        JITCTL_EXIT_CONFLICT = 6,
};

#define JITCTL_TIMEOUT_MSEC_DEFAULT 5000U
#define JITCTL_TIMEOUT_MSEC_MAX (10U * 60U * 1000U)

/* Global options (systemd's arg_* convention, one struct so the command
 * functions take it explicitly). */
typedef struct JitctlArgs {
        const char *socket_path;
        uint64_t timeout_msec;
        bool json;
} JitctlArgs;

/* How to word a failed call for the user. */
typedef struct CallContext {
        const char *doing;    /* "approving": "permission denied: approving needs ..." */
        const char *needs;    /* "membership in the admin group" */
        const char *id;       /* the request or grant id the call was about, if any */
        /* If set, an io.jit.Conflict reply is not reported: its parameters
         * are stored here (the caller puts them) and JITCTL_EXIT_CONFLICT is
         * returned, for a command that treats some conflicts as success. */
        struct json_object **ret_conflict;
} CallContext;

/* One call, one reply. On success returns 0 and *ret_message holds the
 * whole reply (its parameters via varlink_reply_parse). On failure prints
 * why on stderr and returns the exit code to use. `parameters` is taken. */
int jitctl_call(const JitctlArgs *args, const char *method, struct json_object *parameters,
                const CallContext *what, struct json_object **ret_message);
/* Report a reply that is an error (error name + parameters); returns the
 * exit code. Used by jitctl_call() and by the streaming wait. */
int jitctl_report_error(const char *error, struct json_object *params, const CallContext *what);
/* Report a client-side failure (-errno from common/client.c). */
int jitctl_report_client_error(const JitctlArgs *args, int r);

/* Print a reply's parameters as JSON on stdout (--json). */
void jitctl_print_json(struct json_object *params);

/* Members of a reply, read defensively: everything jitd sends may contain
 * a user's text. The string getters return a sanitised copy in buf, or
 * `fallback` when the member is absent or not a string. */
const char *field_str(struct json_object *o, const char *key, const char *fallback, char *buf, size_t size);
/* Who decided: the account, with the person behind it where that is
 * someone else ("root (alice)": alice approved with sudo). */
#define WHO_MAX (2 * JIT_USER_MAX + 8)
const char *field_who(struct json_object *o, const char *account_key, const char *person_key, const char *fallback,
                      char *buf, size_t size);
bool field_int(struct json_object *o, const char *key, int64_t *ret);
bool field_bool(struct json_object *o, const char *key);
struct json_object *field_array(struct json_object *o, const char *key);
struct json_object *field_object(struct json_object *o, const char *key);

/* "14:05:00 (in 59m)" for today, "2026-11-24 09:00 (in 19h)" otherwise;
 * "-" for 0. buf >= 64 bytes. */
char *format_when(int64_t t, char *buf, size_t size);
/* Full date: "2026-11-23 14:05:00 CET (3m ago)". buf >= 96 bytes. */
char *format_when_full(int64_t t, char *buf, size_t size);
/* A coarse relative span for humans: "45s", "59m", "2h5m", "3d4h". */
char *format_span(int64_t seconds, char *buf, size_t size);

/* Aligned text tables. Cells are copied; widths are in characters. */
#define TABLE_COLUMNS_MAX 10
typedef struct Table {
        size_t n_columns;
        const char *headers[TABLE_COLUMNS_MAX];
        size_t max_width[TABLE_COLUMNS_MAX]; /* 0: unlimited */
        char **cells;                        /* n_rows * n_columns */
        size_t n_rows;
} Table;

void table_init(Table *t, size_t n_columns, const char *const *headers);
void table_done(Table *t);
/* Add a row of n_columns strings (already sanitised; NULL prints "-"). */
int table_add_row(Table *t, const char *const *cells);
void table_print(const Table *t);

/* The command implementations: argc/argv start at the command's name. */
int verb_list(JitctlArgs *args, int argc, char **argv);
int verb_show(JitctlArgs *args, int argc, char **argv);
int verb_approve(JitctlArgs *args, int argc, char **argv);
int verb_deny(JitctlArgs *args, int argc, char **argv);
int verb_cancel(JitctlArgs *args, int argc, char **argv);
int verb_revoke(JitctlArgs *args, int argc, char **argv);
int verb_grant(JitctlArgs *args, int argc, char **argv);
int verb_status(JitctlArgs *args, int argc, char **argv);
int verb_request(JitctlArgs *args, int argc, char **argv);
int verb_expire(JitctlArgs *args, int argc, char **argv);
int verb_extend(JitctlArgs *args, int argc, char **argv);
int verb_resend(JitctlArgs *args, int argc, char **argv);
/* "show" of a request: its webhook messages and quorum votes (resend.c). */
void show_notifications(struct json_object *params);

/* Shared option parsing: every command also accepts the global options. */
enum {
        ARG_SOCKET = 0x100,
        ARG_TIMEOUT,
        ARG_JSON,
        ARG_VERSION,
        ARG_FIRST_COMMAND_OPTION, /* commands number their own options from here */
};
#define GLOBAL_OPTIONS                                               \
        { "socket", required_argument, NULL, ARG_SOCKET },           \
        { "timeout", required_argument, NULL, ARG_TIMEOUT },         \
        { "json", no_argument, NULL, ARG_JSON },                     \
        { "help", no_argument, NULL, 'h' },                          \
        { "version", no_argument, NULL, ARG_VERSION }

int parse_global_option(JitctlArgs *args, int opt, const char *optarg_value);
void usage_error(const char *fmt, ...) _printf_(1, 2);
void help(void);

/* Options of the commands, and the helpers that parse them (commands.c).
 * Each returns 0 or the exit code to return, after saying what is wrong. */
enum {
        ARG_ALL = ARG_FIRST_COMMAND_OPTION,
        ARG_PENDING,
        ARG_ACTIVE,
        ARG_DURATION,
        ARG_REASON,
        ARG_USER,
        ARG_ACTION,
        ARG_WAIT,
        ARG_ENDPOINT,
};
int global_option(JitctlArgs *args, int c); /* 1 handled, 0 not global, <0 -exit code */
int option_error(int c, char **argv);
int next_option(JitctlArgs *args, int argc, char **argv, const struct option *options);

/* The options several commands take, as parsed by parse_command_options(). */
typedef struct CommandOptions {
        const char *user, *action, *reason;
        uint64_t duration; /* 0: not given */
        bool wait;
        uint64_t wait_sec; /* 0: until the request expires */
} CommandOptions;

/* A command's options, all of them among --user, --action, --reason,
 * --duration and --wait (and the global ones). 0 or an exit code. */
int parse_command_options(JitctlArgs *args, int argc, char **argv, const struct option *options, CommandOptions *o);
int id_argument(int argc, char **argv, const char *command, char prefix, const char *what, const char **ret);
int too_many_arguments(int argc, char **argv, int expected);
int parse_duration_option(const char *value, uint64_t *ret);
int parse_reason_option(const char *value, const char **ret);
int parse_user_option(const char *value, const char **ret);
int parse_action_option(const char *value, const char **ret);
int parse_id_argument(const char *value, char prefix, const char *what);
int self_user_name(const char **ret);
int oom(void);
struct json_object *reply_parameters(struct json_object *m);
