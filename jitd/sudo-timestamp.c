/* sudo's timestamp ("cached credentials") of a user is one file named
 * after the user in its timestampdir (/run/sudo/ts on Debian), holding the
 * records of every tty or parent process the user authenticated from.
 * Removing it makes the next sudo authenticate again.
 *
 * The directory is opened once with O_DIRECTORY|O_NOFOLLOW and everything
 * else is relative to that descriptor: the name is a validated user name
 * (no "/", no "..", see jit_user_name_is_valid()), the type is checked
 * without following links, and unlinkat() removes a directory entry, never
 * what a symlink points to. A symlink or anything else planted under the
 * user's name is left alone and reported. */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "sudo-timestamp.h"
#include "text.h"

int sudo_timestamp_drop(const char *dir, const char *user) {
        _cleanup_close_ int dfd = -1;
        struct stat st;

        if (!dir || dir[0] != '/' || !jit_user_name_is_valid(user))
                return -EINVAL;

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno; /* sudo never ran since boot */

        if (fstatat(dfd, user, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        if (!S_ISREG(st.st_mode))
                return -EPERM;

        /* Should the entry be swapped for a symlink between the check and
         * here, unlinkat() removes the link itself, nothing it points to. */
        if (unlinkat(dfd, user, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}
