/* jitd.conf (jitd/config.c with the [review], [webhook NAME] and
 * approvers=/quorum= keys of config-approvers.c): the input is the file.
 *
 * Oracles: a configuration that loads prints (what --check-config shows)
 * as keys that load again and print the same, since config_print() writes
 * its lists "short enough to read back" (its comment lines are left out:
 * they quote paths and may be longer than a line jitd reads); an error
 * always comes with a message; nothing leaks (ASan). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "config.h"
#include "config-approvers.h"
#include "fuzz.h"
#include "log.h"

static int file_fd = -1;
static char file_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        log_set_max_level(-1);
        /* A memfd read through /proc: no disk, and "<path>.d" does not exist. */
        file_fd = memfd_create("jitd.conf", MFD_CLOEXEC);
        /* jitd refuses a group or world writable file; a memfd starts 0777. */
        if (file_fd < 0 || fchmod(file_fd, 0644) < 0) {
                perror("memfd_create");
                exit(EXIT_FAILURE);
        }
        snprintf(file_path, sizeof(file_path), "/proc/self/fd/%d", file_fd);
        return 0;
}

static void set_file(const void *data, size_t size) {
        if (ftruncate(file_fd, 0) < 0 || pwrite(file_fd, data, size, 0) != (ssize_t) size)
                fuzz_fail("cannot write the memfd: %m");
}

/* config_print() into a malloc()ed string, without its comment lines. */
static char *print_config(const Config *c) {
        char *text = NULL, *keys;
        size_t size = 0, n = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                abort();
        config_print(c, f);
        if (fclose(f) != 0)
                abort();

        keys = malloc(size + 1);
        if (!keys)
                abort();
        for (char *line = text, *end; line < text + size; line = end + 1) {
                end = strchr(line, '\n');
                if (!end)
                        end = text + size;
                if (line[0] != '#') {
                        memcpy(keys + n, line, (size_t) (end - line));
                        n += (size_t) (end - line);
                        keys[n++] = '\n';
                }
        }
        keys[n] = 0;
        free(text);
        return keys;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *printed = NULL, *printed_again = NULL;
        Config c = {}, again = {};
        ConfigError err = {};
        int r;

        set_file(data, size);
        r = config_load(&c, file_path, true, &err);
        if (r < 0) {
                if (!err.message[0] && r != -ENOMEM)
                        fuzz_fail("config_load failed (%d) without a message", r);
                return 0;
        }
        (void) config_gates_nobody(&c);
        printed = print_config(&c);
        config_free(&c);

        set_file(printed, strlen(printed));
        err = (ConfigError) {};
        r = config_load(&again, file_path, true, &err);
        if (r < 0)
                fuzz_fail("the printed configuration does not load (%s):\n%s", err.message, printed);
        printed_again = print_config(&again);
        config_free(&again);
        if (strcmp(printed, printed_again) != 0)
                fuzz_fail("the printed configuration changes when loaded again:\n%s\n---\n%s", printed,
                          printed_again);
        return 0;
}
