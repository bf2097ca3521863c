/* jitd.conf: reading the admin's policy. This file owns the reader (files,
 * drop-ins, the syntax on top of inih), the one dispatcher that hands every
 * value to its key's setter and puts "FILE:LINE: " before every message,
 * the defaults, and the rules across keys. Which keys exist and how each
 * value is checked is the registry's (config-keys.c, config-value.c); what
 * the values mean at run time is policy.c's business.
 *
 * inih is built differently by different distributions (multi-line values,
 * which inline comment characters, line length), and Debian's build splits
 * an over-long line into several "lines", so the tail of a long comment is
 * parsed as a key. We therefore feed inih through our own reader, which
 * counts lines, refuses over-long lines and control characters, and
 * normalises comments and indentation, so the accepted syntax is the same
 * whichever inih we link against:
 *   - "#" or ";" at the start of a line, or after whitespace, starts a comment;
 *   - leading whitespace is ignored (no continuation lines);
 *   - a list key may be repeated in one file and its values accumulate; an
 *     empty assignment empties it; a later file replaces the list. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-approvers.h"
#include "config-value.h"
#include "config.h"
#include "macros.h"
#include "text.h"

#define CONFIG_LINES_MAX 10000U    /* per file */
#define CONFIG_DROPINS_MAX 128U    /* files in jitd.conf.d/ */

#define DEFAULT_STATE_DIRECTORY "/var/lib/jitd"
#define DEFAULT_ADMIN_GROUP "jit-admin"
/* sudo's default timestampdir on Debian. */
#define DEFAULT_SUDO_TIMESTAMP_DIR "/run/sudo/ts"
/* Where jitctl is installed; the build says (CMAKE_INSTALL_FULL_BINDIR). */
#ifndef JITCTL_PATH_DEFAULT
#define JITCTL_PATH_DEFAULT "/usr/bin/jitctl"
#endif

/* Where a key was last set, for errors that involve two keys. */
typedef struct ConfigLocation {
        unsigned file; /* index into ConfigParser.files, +1; 0: never set */
        unsigned line;
} ConfigLocation;

typedef struct ConfigParser {
        Config *config;
        ConfigError *err;
        int error; /* first error, negative errno; 0 while fine */

        char **files; /* every file read, for locations */
        size_t n_files;

        FILE *f;       /* the file being read */
        unsigned line; /* its current line */

        /* Where each key was last set: config_keys_n per row, row 0 for
         * every section but [webhook NAME], then one row per webhook. */
        ConfigLocation *set_at;
} ConfigParser;

static const char *parser_file(const ConfigParser *p, unsigned file) {
        return file > 0 && file <= p->n_files ? p->files[file - 1] : "(built-in)";
}

_printf_(3, 4) static int parser_error_at(ConfigParser *p, ConfigLocation loc, const char *fmt, ...) {
        /* Only the first error is reported: later ones are often consequences. */
        if (p->error < 0)
                return p->error;

        char what[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);

        if (p->err) {
                if (loc.line > 0)
                        snprintf(p->err->message, sizeof p->err->message, "%s:%u: %s", parser_file(p, loc.file),
                                 loc.line, what);
                else
                        snprintf(p->err->message, sizeof p->err->message, "%s: %s", parser_file(p, loc.file),
                                 what);
        }
        return (p->error = -EINVAL);
}

#define parser_error(p, ...) \
        parser_error_at((p), (ConfigLocation){ .file = (unsigned) (p)->n_files, .line = (p)->line }, __VA_ARGS__)

static int parser_oom(ConfigParser *p) {
        if (p->error < 0)
                return p->error;
        if (p->err)
                snprintf(p->err->message, sizeof p->err->message, "%s: out of memory",
                         parser_file(p, (unsigned) p->n_files));
        return (p->error = -ENOMEM);
}


/* ---- defaults ---- */

static void action_policy_defaults(ActionPolicy *a, uint64_t default_sec, uint64_t max_sec, OnExpiry on_expiry) {
        *a = (ActionPolicy){
                .default_duration_sec = default_sec,
                .max_duration_sec = max_sec,
                .on_expiry = on_expiry,
        };
}

void config_init_defaults(Config *c) {
        /* Allocation failure leaves a NULL string; config_load() notices and
         * returns -ENOMEM, nothing else allocates here. */
        *c = (Config){
                .socket_path = strdup(JIT_SOCKET_PATH_DEFAULT),
                .state_directory = strdup(DEFAULT_STATE_DIRECTORY),
                .database_path = NULL, /* unset: <state_directory>/jitd.db */
                .admin_group = strdup(DEFAULT_ADMIN_GROUP),
                .request_ttl_sec = 15 * 60,
                .max_connections = 256,
                .max_connections_per_uid = 16,
                .idle_timeout_sec = 30,
                .warn_before_sec = 5 * 60,
                /* Far above what a person files (a pending request is
                 * reused until it is decided), far below a script's rate. */
                .request_limit = 20,
                .request_limit_interval_sec = 10 * 60,
                .retention_sec = 30 * 24 * 3600,
                .sudo_timestamp_dir = strdup(DEFAULT_SUDO_TIMESTAMP_DIR),
                .jitctl_path = strdup(JITCTL_PATH_DEFAULT),
                .approval = approver_config_new(),
        };
        /* A login grant's sessions end with it; sudo has no sessions of its
         * own worth ending (its cached credentials are dropped either way). */
        action_policy_defaults(&c->policy[JIT_ACTION_LOGIN], 3600, 8 * 3600, ON_EXPIRY_TERMINATE);
        action_policy_defaults(&c->policy[JIT_ACTION_SUDO], 30 * 60, 4 * 3600, ON_EXPIRY_KEEP);
}

void config_free(Config *c) {
        if (!c)
                return;
        /* Every string and list of Config is a key's. */
        config_keys_free(CONFIG_BASE_CONFIG, c);
        approver_config_free(c->approval);
        *c = (Config){};
}

/* ---- one assignment ---- */

static const char *clean(const char *s, char *buf, size_t size) {
        return jit_sanitize(s, buf, size);
}

/* Where key `k` was last set in the struct it belongs to: one row per
 * webhook (0: every other section). */
static ConfigLocation *parser_set_at(ConfigParser *p, const ConfigKey *k, size_t row) {
        return &p->set_at[row * config_keys_n + (size_t) (k - config_keys)];
}

/* The struct key `k` writes into: `w` for a [webhook NAME] key. */
static void *key_base(ConfigParser *p, const ConfigKey *k, WebhookConfig *w) {
        switch (k->base) {
        case CONFIG_BASE_APPROVERS:
                return p->config->approval;
        case CONFIG_BASE_REVIEW:
                return &p->config->approval->review;
        case CONFIG_BASE_WEBHOOK:
                return w;
        case CONFIG_BASE_CONFIG:
        default:
                return p->config;
        }
}

/* [webhook NAME]'s settings, made when first seen. */
static int parser_webhook(ConfigParser *p, const char *name, WebhookConfig **ret) {
        char where[256], what[400];
        int r;

        snprintf(where, sizeof where, "%s:%u", parser_file(p, (unsigned) p->n_files), p->line);
        r = config_approvers_webhook(p->config->approval, name, where, ret, what, sizeof what);
        if (r == -ENOMEM)
                return parser_oom(p);
        if (r < 0)
                return parser_error(p, "%s", what);
        return 0;
}

/* Parse one value through the registry and remember where it was set. */
static int config_assign(ConfigParser *p, const ConfigKey *k, WebhookConfig *w, const char *section,
                         const char *value) {
        size_t row = w ? 1 + (size_t) (w - p->config->approval->webhooks) : 0;
        ConfigLocation *set_at = parser_set_at(p, k, row);
        void *base = key_base(p, k, w);
        char key[128], what[400], s1[64];
        int r;

        snprintf(key, sizeof key, "[%s] %s", clean(section, s1, sizeof s1), k->name);
        r = k->set(k, (uint8_t *) base + k->offset, value,
                   &(ConfigSet){
                           .key = key,
                           .first_in_file = set_at->file != p->n_files,
                           .base = base,
                           .error = what,
                           .error_size = sizeof what,
                   });
        if (r == -ENOMEM)
                return parser_oom(p);
        if (r < 0)
                return parser_error(p, "%s", what);

        *set_at = (ConfigLocation){ .file = (unsigned) p->n_files, .line = p->line };
        if (k->at_offset > 0) {
                char **at = (char **) ((uint8_t *) base + k->at_offset);

                free(*at);
                if (asprintf(at, "%s:%u", parser_file(p, set_at->file), set_at->line) < 0) {
                        *at = NULL;
                        return parser_oom(p);
                }
        }
        return 0;
}

static int config_handler(void *userdata, const char *section, const char *name, const char *value) {
        ConfigParser *p = userdata;
        const ConfigKey *k;
        char s1[64], s2[64];

        /* inih wants nonzero for success; our errors are recorded in p. */
        if (p->error < 0)
                return 0;
        if (!value) /* only with INI_ALLOW_NO_VALUE builds */
                parser_error(p, "'%s' needs a value", clean(name, s1, sizeof s1));
        else if (*section == '\0')
                parser_error(p, "key '%s' outside of any section", clean(name, s1, sizeof s1));
        else if (!config_section_is_known(section)) /* the reader reports it first; be safe anyway */
                parser_error(p, "unknown section [%s]", clean(section, s1, sizeof s1));
        else {
                const char *webhook = config_webhook_section_name(section);
                WebhookConfig *w = NULL;

                /* A bad webhook name is reported before its keys. */
                if (webhook && parser_webhook(p, webhook, &w) < 0)
                        ;
                else if (!(k = config_key_find(webhook ? "webhook" : section, name)))
                        parser_error(p, "unknown key '%s' in section [%s]", clean(name, s1, sizeof s1),
                                     clean(section, s2, sizeof s2));
                else
                        (void) config_assign(p, k, w, section, value);
        }

        return p->error < 0 ? 0 : 1;
}

/* ---- the reader in front of inih ---- */

static void strip_inline_comment(char *s) {
        for (char *c = s; *c; c++)
                if ((*c == '#' || *c == ';') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
                        *c = '\0';
                        return;
                }
}

static char *config_reader(char *str, int num, void *stream) {
        ConfigParser *p = stream;
        size_t n = 0;
        bool got = false;
        int ch;

        if (p->error < 0 || num < 2)
                return NULL;

        while ((ch = getc(p->f)) != EOF) {
                got = true;
                if (ch == '\n')
                        break;
                if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
                        p->line++;
                        parser_error(p, "control character 0x%02x in line", (unsigned) ch);
                        return NULL;
                }
                if (n + 1 >= (size_t) num) {
                        p->line++;
                        parser_error(p, "line longer than %d bytes (split long lists over several lines)",
                                     num - 1);
                        return NULL;
                }
                str[n++] = (char) ch;
        }
        if (ferror(p->f)) {
                if (p->error == 0) {
                        parser_error(p, "read error");
                        p->error = -EIO;
                }
                return NULL;
        }
        if (!got)
                return NULL;

        str[n] = '\0';
        if (++p->line > CONFIG_LINES_MAX) {
                parser_error(p, "more than %u lines", CONFIG_LINES_MAX);
                return NULL;
        }

        /* A UTF-8 byte order mark on the first line, then indentation: inih
         * would treat an indented line as a continuation in some builds. */
        char *start = str;
        if (p->line == 1 && (unsigned char) start[0] == 0xEF && (unsigned char) start[1] == 0xBB &&
            (unsigned char) start[2] == 0xBF)
                start += 3;
        start += strspn(start, " \t");
        memmove(str, start, strlen(start) + 1);
        strip_inline_comment(str);

        /* Check section names here: inih only tells us about sections that
         * contain keys, and an unknown empty section is still a mistake. */
        if (str[0] == '[') {
                char *end = strchr(str, ']');
                if (end) {
                        char name[64], shown[64];
                        size_t len = (size_t) (end - str - 1);

                        if (len >= sizeof name) {
                                parser_error(p, "unknown section [%s]", clean(str + 1, shown, sizeof shown));
                                return NULL;
                        }
                        memcpy(name, str + 1, len);
                        name[len] = '\0';
                        if (!config_section_is_known(name)) {
                                parser_error(p, "unknown section [%s]", clean(name, shown, sizeof shown));
                                return NULL;
                        }
                        if (end[1 + strspn(end + 1, " \t\r")] != '\0') {
                                parser_error(p, "unexpected text after [%s]", name);
                                return NULL;
                        }
                }
        }
        return str;
}

static int config_check_file_owner(ConfigParser *p, int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int r = -errno;
                parser_error(p, "cannot stat: %s", strerror(-r));
                return (p->error = r);
        }
        if (!S_ISREG(st.st_mode))
                return parser_error(p, "not a regular file");
        /* The policy decides who may log in without approval: a file others
         * can rewrite would let them exempt themselves. */
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return parser_error(p, "owned by uid %u, not root; refusing it", (unsigned) st.st_uid);
        if (st.st_mode & S_IWOTH)
                return parser_error(p, "writable by everyone; refusing it");
        return 0;
}

/* Returns 0 when read, -ENOENT (no error recorded) when missing and
 * !must_exist, or the first error. */
static int config_parse_file(ConfigParser *p, const char *path, bool must_exist) {
        _cleanup_free_ char *copy = NULL;
        char **files;
        FILE *f;
        int r;

        copy = strdup(path);
        files = reallocarray(p->files, p->n_files + 1, sizeof(char *));
        if (!copy || !files) {
                if (files)
                        p->files = files;
                return parser_oom(p);
        }
        p->files = files;
        p->files[p->n_files++] = TAKE_PTR(copy);
        p->line = 0;

        /* O_NONBLOCK: a FIFO planted at the path must not hang jitd's start;
         * the type is checked before anything is read. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        f = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (!f) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                if (r == -ENOENT && !must_exist) {
                        free(p->files[--p->n_files]);
                        return -ENOENT;
                }
                parser_error(p, "cannot open: %s", strerror(-r));
                return (p->error = r);
        }
        p->f = f;

        r = config_check_file_owner(p, fileno(f));
        if (r >= 0)
                r = ini_parse_stream(config_reader, p, config_handler, p);
        p->f = NULL;
        fclose(f);

        if (p->error < 0)
                return p->error;
        if (r == -2)
                return parser_oom(p);
        if (r != 0) {
                /* A line inih could not make sense of; our handler and reader
                 * record their own errors, so this one is syntax. */
                p->line = r > 0 ? (unsigned) r : p->line;
                return parser_error(p, "syntax error, expected '[section]' or 'key = value'");
        }
        return 0;
}

/* Which files of jitd.conf.d count: "*.conf", not hidden. Both the parser
 * and the path salvage of a broken configuration read the same set. */
static bool is_dropin_name(const char *name) {
        size_t len = strlen(name);

        return name[0] != '.' && len >= 6 && strcmp(name + len - 5, ".conf") == 0;
}

static int dropin_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int config_parse_dropins(ConfigParser *p, const char *main_path) {
        _cleanup_free_ char *dir_path = NULL;
        char **names = NULL;
        size_t n = 0;
        DIR *d;
        int r = 0;

        if (asprintf(&dir_path, "%s.d", main_path) < 0)
                return parser_oom(p);

        d = opendir(dir_path);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                if (p->err)
                        snprintf(p->err->message, sizeof p->err->message, "%s: cannot open directory: %s",
                                 dir_path, strerror(-r));
                return (p->error = r);
        }

        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                if (!is_dropin_name(de->d_name))
                        continue;
                if (n >= CONFIG_DROPINS_MAX) {
                        r = -E2BIG;
                        break;
                }
                char **nn = reallocarray(names, n + 1, sizeof(char *));
                if (!nn) {
                        r = -ENOMEM;
                        break;
                }
                names = nn;
                if (!(names[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);

        if (r == 0) {
                /* An empty directory leaves names NULL, which qsort() may not get. */
                if (n > 0)
                        qsort(names, n, sizeof(char *), dropin_compare);
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *path = NULL;

                        if (asprintf(&path, "%s/%s", dir_path, names[i]) < 0) {
                                r = parser_oom(p);
                                break;
                        }
                        r = config_parse_file(p, path, true);
                        if (r < 0)
                                break;
                }
        } else if (r == -ENOMEM)
                r = parser_oom(p);
        else if (r == -E2BIG) {
                if (p->err)
                        snprintf(p->err->message, sizeof p->err->message, "%s: more than %u drop-in files",
                                 dir_path, CONFIG_DROPINS_MAX);
                p->error = r = -EINVAL;
        } else {
                if (p->err)
                        snprintf(p->err->message, sizeof p->err->message, "%s: cannot read directory: %s",
                                 dir_path, strerror(-r));
                p->error = r;
        }

        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

/* Row 0 of set_at: where a key outside [webhook NAME] was last set. */
static size_t key_index(const char *section, const char *name) {
        const ConfigKey *k = config_key_find(section, name);
        return k ? (size_t) (k - config_keys) : 0;
}

static ConfigLocation later(ConfigLocation a, ConfigLocation b) {
        if (a.file != b.file)
                return a.file > b.file ? a : b;
        return a.line >= b.line ? a : b;
}

/* Rules that involve more than one key, checked once every file is read so
 * a drop-in may change either side. */
static int config_check_consistency(ConfigParser *p) {
        Config *c = p->config;
        char a[32], b[32];

        for (JitAction act = 0; act < _JIT_ACTION_MAX; act++) {
                const ActionPolicy *ap = &c->policy[act];
                const char *sect = jit_action_to_string(act);

                if (ap->default_duration_sec > ap->max_duration_sec)
                        return parser_error_at(p,
                                               later(p->set_at[key_index(sect, "default_duration")],
                                                     p->set_at[key_index(sect, "max_duration")]),
                                               "[%s] default_duration %s is longer than max_duration %s", sect,
                                               jit_format_duration(ap->default_duration_sec, a, sizeof a),
                                               jit_format_duration(ap->max_duration_sec, b, sizeof b));
        }

        if (c->max_connections_per_uid > c->max_connections)
                return parser_error_at(p,
                                       later(p->set_at[key_index("jitd", "max_connections_per_uid")],
                                             p->set_at[key_index("jitd", "max_connections")]),
                                       "max_connections_per_uid %u is larger than max_connections %u",
                                       c->max_connections_per_uid, c->max_connections);

        /* The limit counts the requests of the window from the store:
         * retention must not remove them first. */
        if (c->retention_sec < c->request_limit_interval_sec)
                return parser_error_at(p,
                                       later(p->set_at[key_index("jitd", "retention")],
                                             p->set_at[key_index("jitd", "request_limit_interval")]),
                                       "retention %s is shorter than request_limit_interval %s",
                                       jit_format_duration(c->retention_sec, a, sizeof a),
                                       jit_format_duration(c->request_limit_interval_sec, b, sizeof b));

        {
                char what[400];
                int r = config_approvers_check(c, what, sizeof what);

                if (r < 0) {
                        if (p->err)
                                snprintf(p->err->message, sizeof p->err->message, "%s", what);
                        return (p->error = r);
                }
        }

        return 0;
}

/* "file:line" of a [jitd] key into *ret, or NULL if it kept its default. */

int config_load(Config *c, const char *path, bool must_exist, ConfigError *err) {
        Config tmp;
        ConfigParser p = {
                .config = &tmp,
                .err = err,
        };
        int r;

        if (!c || !path)
                return -EINVAL;
        if (err)
                err->message[0] = '\0';

        config_init_defaults(&tmp);
        p.set_at = calloc((1 + CONFIG_WEBHOOKS_MAX) * config_keys_n, sizeof(ConfigLocation));
        if (!p.set_at || !tmp.socket_path || !tmp.state_directory || !tmp.admin_group || !tmp.sudo_timestamp_dir ||
            !tmp.jitctl_path || !tmp.approval) {
                r = parser_oom(&p);
                goto finish;
        }

        /* -ENOENT with no error recorded: an optional main file is absent. */
        r = config_parse_file(&p, path, must_exist);
        if (r < 0 && p.error < 0)
                goto finish;
        r = config_parse_dropins(&p, path);
        if (r < 0)
                goto finish;
        r = config_check_consistency(&p);

finish:
        free(p.set_at);
        for (size_t i = 0; i < p.n_files; i++)
                free(p.files[i]);
        free(p.files);

        if (r < 0) {
                config_free(&tmp);
                *c = (Config){};
                return r;
        }
        *c = tmp;
        return 0;
}


/* ---- when the configuration does not load ---- */

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* The [jitd] paths of one file that may not parse: only lines of the shape
 * "socket|state_directory|database = /absolute/path" in [jitd] count, and
 * only from a file that the real parser would not refuse for its owner or
 * mode. Everything else in it is ignored. */
static void salvage_paths_from_file(Config *c, const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[CONFIG_PATH_MAX + 64];
        bool in_jitd = false;
        struct stat st;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
            (st.st_mode & S_IWOTH))
                return;

        for (unsigned n = 0; n < CONFIG_LINES_MAX && fgets(line, sizeof line, f); n++) {
                char *s = line + strspn(line, " \t"), *eq, *value, *end;
                static const char *const keys[] = { "socket", "state_directory", "database" };
                char **targets[] = { &c->socket_path, &c->state_directory, &c->database_path };

                strip_inline_comment(s);
                s[strcspn(s, "\r\n")] = '\0';
                if (s[0] == '[') {
                        in_jitd = strncmp(s, "[jitd]", 6) == 0;
                        continue;
                }
                if (!in_jitd || !(eq = strchr(s, '=')))
                        continue;
                value = eq + 1 + strspn(eq + 1, " \t");
                for (end = eq; end > s && (end[-1] == ' ' || end[-1] == '\t'); end--)
                        ;
                *end = '\0';
                for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t'); end--)
                        ;
                *end = '\0';
                if (value[0] != '/' || !jit_text_is_clean(value, CONFIG_PATH_MAX))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        char *copy;

                        if (strcmp(s, keys[i]) != 0 || (i == 0 && strlen(value) > CONFIG_SOCKET_PATH_MAX))
                                continue;
                        copy = strdup(value);
                        if (copy) {
                                free(*targets[i]);
                                *targets[i] = copy;
                        }
                }
        }
}

int config_salvage_paths(Config *c, const char *path) {
        _cleanup_free_ char *dir_path = NULL;
        struct dirent **names = NULL;
        int n;

        if (!c || !path)
                return -EINVAL;
        salvage_paths_from_file(c, path);

        if (asprintf(&dir_path, "%s.d", path) < 0)
                return -ENOMEM;
        n = scandir(dir_path, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                if (is_dropin_name(names[i]->d_name) && i < (int) CONFIG_DROPINS_MAX) {
                        _cleanup_free_ char *p = NULL;

                        if (asprintf(&p, "%s/%s", dir_path, names[i]->d_name) >= 0)
                                salvage_paths_from_file(c, p);
                }
                free(names[i]);
        }
        free(names);
        return 0;
}

static void write_list(FILE *f, const char *key, const StringList *l) {
        /* One name per line: a repeated key accumulates within a file, and no
         * line comes near the reader's length limit. An empty assignment
         * first, so the list is exactly this one. */
        fprintf(f, "%s =\n", key);
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s = %s\n", key, l->items[i]);
}

int config_write_policy(const Config *c, FILE *f) {
        if (!c || !f)
                return -EINVAL;

        fputs("# jitd's copy of the last policy it loaded, for telling users apart if the\n"
              "# configuration is ever broken when jitd starts (jitd(8)). Written by jitd;\n"
              "# edit /etc/jitd/jitd.conf instead.\n",
              f);
        fprintf(f, "[jitd]\nadmin_group = %s\n", c->admin_group ?: "");
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                const ActionPolicy *ap = &c->policy[a];

                fprintf(f, "[%s]\n", jit_action_to_string(a));
                write_list(f, "users", &ap->users);
                write_list(f, "groups", &ap->groups);
                write_list(f, "exempt_users", &ap->exempt_users);
                fprintf(f, "default_duration = %" PRIu64 "s\nmax_duration = %" PRIu64 "s\non_expiry = %s\n",
                        ap->default_duration_sec, ap->max_duration_sec, on_expiry_to_string(ap->on_expiry));
        }
        fputs("[breakglass]\n", f);
        write_list(f, "users", &c->breakglass_users);
        write_list(f, "groups", &c->breakglass_groups);
        return ferror(f) ? -EIO : 0;
}

static void swap_lists(StringList *a, StringList *b) {
        StringList t = *a;
        *a = *b;
        *b = t;
}

void config_adopt_policy(Config *c, Config *from) {
        char *t;

        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                ActionPolicy ap = c->policy[a];

                c->policy[a] = from->policy[a];
                from->policy[a] = ap;
        }
        swap_lists(&c->breakglass_users, &from->breakglass_users);
        swap_lists(&c->breakglass_groups, &from->breakglass_groups);
        t = c->admin_group;
        c->admin_group = from->admin_group;
        from->admin_group = t;
}

int config_set_fail_closed_policy(Config *c) {
        for (JitAction a = 0; a < _JIT_ACTION_MAX; a++) {
                ActionPolicy *ap = &c->policy[a];

                string_list_clear(&ap->users);
                string_list_clear(&ap->groups);
                string_list_clear(&ap->exempt_users);
                if (string_list_add(&ap->users, "*", 1) < 0 || string_list_add(&ap->exempt_users, "root", 1) < 0)
                        return -ENOMEM;
        }
        string_list_clear(&c->breakglass_users);
        string_list_clear(&c->breakglass_groups);
        /* Nobody but root administers a jitd that knows no policy. */
        free(c->admin_group);
        c->admin_group = strdup("");
        return c->admin_group ? 0 : -ENOMEM;
}
