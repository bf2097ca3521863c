/* The one printer of jitd.conf's effective configuration (jitd
 * --check-config): every section, in jitd.conf syntax that loads again to
 * the same settings, with comment lines that say what the policy means and
 * warn about what only this host can tell (groups that do not exist, a
 * jitctl that is not there). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "config-approvers.h"
#include "config.h"
#include "http-server.h"
#include "nss.h"
#include "text.h"
#include "webhook-payload.h"


static bool endswith_slash(const char *s) {
        size_t n = strlen(s);
        return n > 0 && s[n - 1] == '/';
}

/* As "key = a b c" lines short enough to read back: a long list continues
 * on another "key = ..." line, which adds to it. */
static void print_list(FILE *f, const char *key, const StringList *l, bool groups) {
        size_t width = 0;

        fprintf(f, "%s =", key);
        for (size_t i = 0; i < l->n; i++) {
                if (width > 72) {
                        fprintf(f, "\n%s =", key);
                        width = 0;
                }
                fprintf(f, " %s", l->items[i]);
                width += strlen(l->items[i]) + 1;
        }
        fputc('\n', f);

        /* A group that does not resolve covers nobody; say so, since that is
         * usually a typo that silently exempts people. */
        if (groups)
                for (size_t i = 0; i < l->n; i++) {
                        gid_t gid;

                        if (nss_group_by_name(l->items[i], &gid) == -ENOENT)
                                fprintf(f, "# warning: group '%s' does not exist on this host\n", l->items[i]);
                }
}

/* A few names, then a count: the summary is a comment line, not the list. */
static void print_names(FILE *f, const StringList *l) {
        const size_t shown = 6;

        for (size_t i = 0; i < l->n && i < shown; i++)
                fprintf(f, "%s %s", i ? "," : "", l->items[i]);
        if (l->n > shown)
                fprintf(f, " and %zu more", l->n - shown);
}

static void print_who(FILE *f, const ActionPolicy *ap) {
        bool any = false;

        if (string_list_contains(&ap->users, "*")) {
                fputs("every user", f);
                any = true;
        } else if (ap->users.n > 0) {
                fputs("users", f);
                print_names(f, &ap->users);
                any = true;
        }
        if (ap->groups.n > 0) {
                fprintf(f, "%smembers of", any ? " and " : "");
                print_names(f, &ap->groups);
                any = true;
        }
        if (!any)
                fputs("nobody (not enforced)", f);
        if (ap->exempt_users.n > 0) {
                fputs(", except", f);
                print_names(f, &ap->exempt_users);
        }
}

bool config_gates_nobody(const Config *c) {
        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                if (c->policy[act].users.n > 0 || c->policy[act].groups.n > 0)
                        return false;
        return true;
}

/* approvers= and quorum= inside [login]/[sudo]. */
static void print_approvers(const Config *c, JitAction action, FILE *f) {
        if (!c->approval)
                return;
        print_list(f, "approvers", &c->approval->approvers[action], false);
        fprintf(f, "quorum = %u\n", approver_config_quorum(c->approval, action));
}

/* [review] and every [webhook NAME]. */
static void print_approval(const Config *c, FILE *f) {
        const ApproverConfig *n = c->approval;
        const ReviewConfig *rc;
        char a[32];

        if (!n)
                return;
        rc = &n->review;

        fputs("\n[review]\n", f);
        if (n->n_webhooks == 0)
                fputs("# no [webhook] sections: the review server is not started and no links are made\n", f);
        fprintf(f, "listen = %s\n", rc->listen ?: "");
        if (rc->public_url)
                fprintf(f, "public_url = %s\n", rc->public_url);
        else if (rc->listen)
                fprintf(f, "# public_url = %s://%s (follows listen; links to it work only on this host)\n",
                        rc->tls_cert ? "https" : "http", rc->listen);
        if (rc->tls_cert)
                fprintf(f, "tls_cert = %s\ntls_key = %s\n", rc->tls_cert, rc->tls_key ?: "");
        fprintf(f, "allow_http = %s\n", rc->allow_http ? "yes" : "no");
        fprintf(f, "identity_header = %s\n", rc->identity_header ?: "");
        if (rc->identity_secret_file)
                fprintf(f, "identity_secret_file = %s\n", rc->identity_secret_file);
        fprintf(f, "identity_secret_header = %s\n", rc->identity_secret_header ?: HTTP_PROXY_SECRET_HEADER_DEFAULT);
        print_list(f, "trusted_proxies", &rc->trusted_proxies, false);
        fprintf(f, "max_connections = %u\nmax_connections_per_ip = %u\n", rc->max_connections,
                rc->max_connections_per_ip);
        fprintf(f, "connection_timeout = %s\n", jit_format_duration(rc->connection_timeout_sec, a, sizeof(a)));
        fprintf(f, "request_timeout = %s\n", jit_format_duration(rc->request_timeout_sec, a, sizeof(a)));
        fprintf(f, "max_body = %" PRIu64 "\n", rc->max_body);
        if (rc->key_file)
                fprintf(f, "key_file = %s\n", rc->key_file);
        else
                fprintf(f, "# key_file = %s/review.key (follows state_directory)\n", c->state_directory ?: "");

        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                bool first = true;

                fprintf(f, "\n[webhook %s]\n", w->name);
                fprintf(f, "url = %s\n", w->url ?: "");
                fprintf(f, "format = %s\n", webhook_format_to_string(w->format));
                if (w->secret_file)
                        fprintf(f, "secret_file = %s\n", w->secret_file);
                fputs("actions =", f);
                for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                        if (w->actions[act])
                                fprintf(f, " %s", jit_action_to_string(act));
                fputs("\nevents =", f);
                for (WebhookEventType t = 0; t < _WEBHOOK_EVENT_MAX; t++)
                        if (w->events[t])
                                fprintf(f, " %s", config_event_name(t));
                fputc('\n', f);
                if (w->approvers_set)
                        print_list(f, "approvers", &w->approvers, false);
                else {
                        fputs("# approvers = (links for:", f);
                        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++)
                                for (size_t k = 0; w->actions[act] && k < n->approvers[act].n; k++) {
                                        fprintf(f, " %s", n->approvers[act].items[k]);
                                        first = false;
                                }
                        if (rc->identity_header) {
                                fputs(" " CONFIG_APPROVER_SHARED, f);
                                first = false;
                        }
                        fprintf(f, "%s)\n", first ? " nobody; the message carries no review link" : "");
                }
                fprintf(f, "timeout = %s\n", jit_format_duration(w->timeout_sec, a, sizeof(a)));
                fprintf(f, "connect_timeout = %s\n", jit_format_duration(w->connect_timeout_sec, a, sizeof(a)));
                if (w->ca_file)
                        fprintf(f, "ca_file = %s\n", w->ca_file);
                fprintf(f, "proxy = %s\n", w->proxy ?: "");
                fprintf(f, "allow_http_loopback = %s\n", w->allow_http_loopback ? "yes" : "no");
                fprintf(f, "retry_initial = %s\n", jit_format_duration(w->retry_initial_sec, a, sizeof(a)));
                fprintf(f, "retry_max_delay = %s\n", jit_format_duration(w->retry_max_delay_sec, a, sizeof(a)));
                fprintf(f, "max_age = %s\n", jit_format_duration(w->max_age_sec, a, sizeof(a)));
        }
}

void config_print(const Config *c, FILE *f) {
        char a[32], b[32];

        fputs("# Effective jitd configuration (built-in defaults, jitd.conf and drop-ins).\n", f);
        if (config_gates_nobody(c))
                fputs("# warning: " CONFIG_GATES_NOBODY_WARNING "\n", f);
        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++) {
                const ActionPolicy *ap = &c->policy[act];

                fprintf(f, "# %-5s needs approval: ", jit_action_to_string(act));
                print_who(f, ap);
                fprintf(f, ";\n#        grants last %s by default, at most %s.\n",
                        jit_format_duration(ap->default_duration_sec, a, sizeof a),
                        jit_format_duration(ap->max_duration_sec, b, sizeof b));
        }
        if (c->breakglass_users.n + c->breakglass_groups.n == 0)
                fputs("# break-glass: nobody.\n", f);
        else
                fputs("# break-glass: the [breakglass] users and groups bypass approval; every use is audited.\n",
                      f);
        if (c->admin_group && *c->admin_group)
                fprintf(f, "# Approvers/admins: root and members of group '%s'.\n", c->admin_group);
        else
                fputs("# Approvers/admins: root only.\n", f);

        fputs("\n[jitd]\n", f);
        fprintf(f, "socket = %s\n", c->socket_path ?: "");
        fprintf(f, "state_directory = %s\n", c->state_directory ?: "");
        if (c->database_path)
                fprintf(f, "database = %s\n", c->database_path);
        else
                fprintf(f, "# database = %s%s" CONFIG_DATABASE_FILE_NAME " (follows state_directory)\n",
                        c->state_directory ?: "",
                        c->state_directory && endswith_slash(c->state_directory) ? "" : "/");
        fprintf(f, "admin_group = %s\n", c->admin_group ?: "");
        if (c->admin_group && *c->admin_group) {
                gid_t gid;

                if (nss_group_by_name(c->admin_group, &gid) == -ENOENT)
                        fprintf(f, "# warning: group '%s' does not exist on this host; only root can approve\n",
                                c->admin_group);
        }
        fprintf(f, "request_ttl = %s\n", jit_format_duration(c->request_ttl_sec, a, sizeof a));
        fprintf(f, "max_connections = %u\n", c->max_connections);
        fprintf(f, "max_connections_per_uid = %u\n", c->max_connections_per_uid);
        fprintf(f, "idle_timeout = %s\n", jit_format_duration(c->idle_timeout_sec, a, sizeof a));
        fprintf(f, "warn_before = %s\n",
                c->warn_before_sec > 0 ? jit_format_duration(c->warn_before_sec, a, sizeof a) : "0");
        fprintf(f, "request_limit = %u\n", c->request_limit);
        fprintf(f, "request_limit_interval = %s\n", jit_format_duration(c->request_limit_interval_sec, a, sizeof a));
        fprintf(f, "retention = %s\n", jit_format_duration(c->retention_sec, a, sizeof a));
        fprintf(f, "sudo_timestamp_dir = %s\n", c->sudo_timestamp_dir ?: "");
        fprintf(f, "jitctl = %s\n", c->jitctl_path ?: "");
        if (c->jitctl_path && access(c->jitctl_path, X_OK) < 0)
                fprintf(f, "# warning: %s is not executable here; the expiry timers will run the jitctl beside "
                           "jitd, if there is one\n",
                        c->jitctl_path);

        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++) {
                const ActionPolicy *ap = &c->policy[act];

                fprintf(f, "\n[%s]\n", jit_action_to_string(act));
                print_list(f, "users", &ap->users, false);
                print_list(f, "groups", &ap->groups, true);
                print_list(f, "exempt_users", &ap->exempt_users, false);
                fprintf(f, "default_duration = %s\n", jit_format_duration(ap->default_duration_sec, a, sizeof a));
                fprintf(f, "max_duration = %s\n", jit_format_duration(ap->max_duration_sec, a, sizeof a));
                /* Validated at parse time; the fallback only keeps gcc -O2 -Werror quiet. */
                fprintf(f, "on_expiry = %s\n", on_expiry_to_string(ap->on_expiry) ?: "?");
                print_approvers(c, act, f);
        }

        fputs("\n[breakglass]\n", f);
        print_list(f, "users", &c->breakglass_users, false);
        print_list(f, "groups", &c->breakglass_groups, true);
        print_approval(c, f);
}
