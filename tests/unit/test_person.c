/* jitd/person.c against real processes: the pidfd of a socket's peer (the
 * kernel's SO_PEERPIDFD, or pidfd_open() where it has none), the audit
 * loginuid read through /proc, a process that has exited (a zombie whose
 * /proc entry is still there) refused rather than read, and whom root and
 * other accounts count as. Setting a child's loginuid needs root
 * (or an unset loginuid); without, those checks are skipped. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loginuid.h"
#include "person.h"
#include "test.h"

/* A child with this loginuid (set, or unset, by itself), waiting until
 * *ret_go is closed. -EPERM if the kernel would not let it. */
static pid_t spawn(uid_t loginuid, int *ret_go) {
        int ready[2], go[2];
        char c = 0;
        pid_t pid;

        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(ready[0]);
                close(go[1]);
                c = test_set_loginuid(loginuid) == 0 ? 'y' : 'n';
                (void) !write(ready[1], &c, 1);
                (void) !read(go[0], &c, 1); /* EOF: the parent is done with us */
                _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        if (read(ready[0], &c, 1) != 1)
                c = 'n';
        close(ready[0]);
        *ret_go = go[1];
        if (c != 'y') {
                close(go[1]);
                waitpid(pid, NULL, 0);
                return -EPERM;
        }
        return pid;
}

static void wait_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        CHECK_INT(poll(&p, 1, 5000), 1);
}

static void test_own_process(void) {
        int sv[2], pipefd[2], pidfd;
        uid_t mine = TEST_LOGINUID_UNSET, read_back = 0;

        CHECK_INT(test_get_loginuid(&mine), 0);

        /* The peer of a connected socket: ourselves, here. */
        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        pidfd = person_peer_pidfd(sv[0], getpid());
        CHECK(pidfd >= 0);
        CHECK_INT(person_read_loginuid(pidfd, getpid(), &read_back), 0);
        CHECK_INT(read_back, mine);
        close(pidfd);
        close(sv[0]);
        close(sv[1]);

        /* Not a socket: no SO_PEERPIDFD, so the pid is pinned with
         * pidfd_open(), the path on kernels before 6.5. */
        CHECK_INT(pipe2(pipefd, O_CLOEXEC), 0);
        pidfd = person_peer_pidfd(pipefd[0], getpid());
        CHECK(pidfd >= 0);
        read_back = 0;
        CHECK_INT(person_read_loginuid(pidfd, getpid(), &read_back), 0);
        CHECK_INT(read_back, mine);
        close(pidfd);
        close(pipefd[0]);
        close(pipefd[1]);

        CHECK_INT(person_peer_pidfd(-1, 0), -ESRCH);
        CHECK_INT(person_read_loginuid(-1, getpid(), &read_back), -EINVAL);
}

static void test_child(void) {
        int go = -1, pidfd;
        uid_t read_back = 0;
        char *name = NULL, *login = NULL, path[64];
        pid_t pid;

        pid = spawn(2, &go);
        if (pid == -EPERM) {
                fprintf(stderr, "test_person: cannot set a child's loginuid: skipping those checks\n");
                return;
        }
        CHECK(pid > 0);
        if (pid <= 0)
                return;

        pidfd = person_peer_pidfd(-1, pid); /* -1: not a socket, as before 6.5 */
        CHECK(pidfd >= 0);
        CHECK_INT(person_read_loginuid(pidfd, pid, &read_back), 0);
        CHECK_INT(read_back, 2);

        /* It runs in bin's login. */
        CHECK_INT(person_login(pidfd, pid, &login), PERSON_KNOWN);
        CHECK_STR(login, "bin");
        CHECK_INT(person_login(-1, pid, &name), PERSON_UNKNOWN);

        /* Root in bin's login counts as bin; any other account as itself,
         * whose login ever it runs in. */
        CHECK_INT(person_of_caller(0, "root", PERSON_KNOWN, login, &name), PERSON_KNOWN);
        CHECK_STR(name, "bin");
        free(name);
        name = NULL;
        CHECK_INT(person_of_caller(65534, "nobody", PERSON_KNOWN, login, &name), PERSON_KNOWN);
        CHECK_STR(name, "nobody");
        free(name);
        name = NULL;
        free(login);
        login = NULL;

        /* It exits; a zombie keeps its pid and /proc entry until reaped,
         * but it is not the caller any more: nothing is read. */
        close(go);
        wait_exited(pidfd);
        snprintf(path, sizeof(path), "/proc/%ld/loginuid", (long) pid);
        CHECK_INT(access(path, R_OK), 0);
        CHECK_INT(person_read_loginuid(pidfd, pid, &read_back), -ESRCH);
        CHECK_INT(person_login(pidfd, pid, &login), PERSON_UNKNOWN);
        CHECK(login == NULL);
        CHECK_INT(person_of_caller(0, "root", PERSON_UNKNOWN, NULL, &name), PERSON_UNKNOWN);
        CHECK(name == NULL);
        close(pidfd);
        waitpid(pid, NULL, 0);
}

/* Outside any login: root is no one, another account is itself. */
static void test_outside_login(void) {
        int go = -1, pidfd;
        char *name = NULL;
        pid_t pid;

        pid = spawn(TEST_LOGINUID_UNSET, &go);
        if (pid == -EPERM) {
                fprintf(stderr, "test_person: cannot unset a child's loginuid: skipping those checks\n");
                return;
        }
        CHECK(pid > 0);
        if (pid <= 0)
                return;
        pidfd = person_peer_pidfd(-1, pid);
        CHECK(pidfd >= 0);
        CHECK_INT(person_login(pidfd, pid, &name), PERSON_NONE);
        CHECK(name == NULL);
        CHECK_INT(person_of_caller(0, "root", PERSON_NONE, NULL, &name), PERSON_NONE);
        CHECK(name == NULL);
        CHECK_INT(person_of_caller(65534, "nobody", PERSON_NONE, NULL, &name), PERSON_KNOWN);
        CHECK_STR(name, "nobody");
        free(name);
        name = NULL;
        CHECK_INT(person_of_caller(65534, NULL, PERSON_NONE, NULL, &name), PERSON_UNKNOWN);
        close(go);
        waitpid(pid, NULL, 0);
        close(pidfd);
}

int main(void) {
        test_own_process();
        test_child();
        test_outside_login();
        if (test_failures) {
                fprintf(stderr, "test_person: %d check(s) failed\n", test_failures);
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
