/*
 * agentcloud-sandbox-join: enters a sandbox's long-lived boundary the way nsenter does, but leaves no capability
 * behind. Joining a user namespace gives the joiner every capability in it, bounding set included, and nsenter
 * cannot drop the bounding set before it switches uid; this helper does, in this order:
 *   clear supplementary groups (on the host, where root may) -> setns into every held namespace (the user namespace
 *   last, so the others are entered with the host's privilege) -> take the held root -> fork (a PID namespace
 *   applies to children) -> drop the whole bounding set -> no_new_privs -> gid, then uid -> exec.
 *
 * Usage: agentcloud-sandbox-join UID GID --user=PATH --mount=PATH ... --root=PATH -- COMMAND [ARG...]
 * (the same --kind=PATH options the broker hands nsenter; each PATH a /proc/<broker>/fd/N it holds open).
 * Exit 125 when the join itself fails; otherwise the command's own status (or its signal, re-raised).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NS 8

struct kind { const char *option; int type; };

static const struct kind kinds[] = {
    { "--mount=", CLONE_NEWNS }, { "--pid=", CLONE_NEWPID }, { "--net=", CLONE_NEWNET }, { "--ipc=", CLONE_NEWIPC },
    { "--uts=", CLONE_NEWUTS }, { "--cgroup=", CLONE_NEWCGROUP }, { "--user=", CLONE_NEWUSER },
};

static void die(const char *what) { fprintf(stderr, "agentcloud-sandbox-join: %s: %s\n", what, strerror(errno)); exit(125); }

static void fail(const char *what) { fprintf(stderr, "agentcloud-sandbox-join: %s\n", what); exit(125); }

static long number(const char *text, const char *what)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *text == '\0' || *end != '\0' || value < 0 || value > 0x7fffffff) fail(what);
    return value;
}

static int last_capability(void)
{
    int last = 40; /* CAP_CHECKPOINT_RESTORE: the last one on kernels that lack the file below */
    FILE *file = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (file != NULL) {
        if (fscanf(file, "%d", &last) != 1) last = 40;
        fclose(file);
    }
    return last;
}

/* setns into the namespace one is already in fails for a user namespace; such a join has nothing to enter. */
static int already_in(int fd, const struct stat *own)
{
    struct stat target;
    return fstat(fd, &target) == 0 && target.st_dev == own->st_dev && target.st_ino == own->st_ino;
}

/* The command's process group, once forked: what the parent passes a signal on to. */
static volatile pid_t command_group;

static void pass_to_command(int sig)
{
    int saved = errno;
    if (command_group > 0) kill(-command_group, sig);
    errno = saved;
}

/* The parent stays outside the PID namespace, reaping the command and passing its end on as its own. */
static void wait_for(pid_t child)
{
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) die("waitpid");
    }
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        exit(128 + WTERMSIG(status));
    }
    exit(WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
    if (argc < 5) fail("usage: agentcloud-sandbox-join UID GID --kind=PATH... --root=PATH -- COMMAND [ARG...]");
    uid_t uid = (uid_t)number(argv[1], "UID must be a number");
    gid_t gid = (gid_t)number(argv[2], "GID must be a number");
    if (uid == 0 || gid == 0) fail("refusing to run the command as root");

    int fds[MAX_NS], types[MAX_NS], count = 0, root = -1, i = 3;
    /* Every descriptor is opened before any setns: the paths name the broker's /proc entries, on the host. */
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--root=", 7) == 0) {
            if ((root = open(argv[i] + 7, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) die(argv[i]);
            continue;
        }
        size_t k = 0;
        while (k < sizeof kinds / sizeof kinds[0] && strncmp(argv[i], kinds[k].option, strlen(kinds[k].option)) != 0) k++;
        if (k == sizeof kinds / sizeof kinds[0] || count == MAX_NS) fail("unknown or repeated option before --");
        if ((fds[count] = open(argv[i] + strlen(kinds[k].option), O_RDONLY | O_CLOEXEC)) < 0) die(argv[i]);
        types[count++] = kinds[k].type;
    }
    if (i + 1 >= argc || root < 0) fail("needs --root=PATH and a command after --");
    char **command = argv + i + 1;

    /* Our own user namespace, read now: after the mount namespace's setns, /proc is the sandbox's and self names nothing. */
    struct stat own_user;
    if (stat("/proc/self/ns/user", &own_user) != 0) die("/proc/self/ns/user");
    if (setgroups(0, NULL) != 0) die("setgroups");
    for (int pass = 0; pass < 2; pass++) {
        for (int n = 0; n < count; n++) {
            if ((types[n] == CLONE_NEWUSER) != (pass == 1) || (types[n] == CLONE_NEWUSER && already_in(fds[n], &own_user))) continue;
            if (setns(fds[n], types[n]) != 0) die("setns");
        }
    }
    if (fchdir(root) != 0 || chroot(".") != 0 || chdir("/") != 0) die("entering the sandbox's root");

    /* A signal to the launch (its process group) reaches the parent, which passes it on to the command's own group; it is
     * blocked, not ignored, until both sides are ready, so one sent the moment the process starts is held, never lost
     * (an ignored signal is dropped, and a child inherits the parent's ignoring until it resets it). SIGKILL still ends
     * both: the child dies with its parent. */
    static const int passed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
    sigset_t passing, previous;
    sigemptyset(&passing);
    for (size_t s = 0; s < sizeof passed / sizeof passed[0]; s++) sigaddset(&passing, passed[s]);
    if (sigprocmask(SIG_BLOCK, &passing, &previous) != 0) die("sigprocmask");
    int alive[2]; /* the parent holds the write end for as long as it lives; the child sees it hang up */
    if (pipe2(alive, O_CLOEXEC) != 0) die("pipe2");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child > 0) {
        /* Both sides make the child's group, whichever runs first, so it exists before anything is passed to it. */
        setpgid(child, child);
        command_group = child;
        struct sigaction pass_on = { .sa_handler = pass_to_command, .sa_flags = SA_RESTART };
        sigemptyset(&pass_on.sa_mask);
        for (size_t s = 0; s < sizeof passed / sizeof passed[0]; s++) sigaction(passed[s], &pass_on, NULL);
        if (sigprocmask(SIG_SETMASK, &previous, NULL) != 0) die("sigprocmask"); /* held signals are passed on now */
        wait_for(child);
    }

    if (setpgid(0, 0) != 0 && errno != EACCES) die("setpgid");
    for (size_t s = 0; s < sizeof passed / sizeof passed[0]; s++) signal(passed[s], SIG_DFL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("PR_SET_PDEATHSIG");
    close(alive[1]);
    struct pollfd gone = { .fd = alive[0], .events = POLLIN };
    if (poll(&gone, 1, 0) != 0) fail("the waiting parent ended before the command started");
    close(alive[0]);
    for (int cap = 0, last = last_capability(); cap <= last; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("PR_CAPBSET_DROP");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
    if (setresgid(gid, gid, gid) != 0) die("setresgid");
    if (setresuid(uid, uid, uid) != 0) die("setresuid");
    /* A uid change from 0 clears the permitted set; make sure nothing is left before the command runs. */
    if (setresuid(0, 0, 0) == 0) fail("still able to become root after the uid switch");
    /* Signals passed on meanwhile are pending; the command gets them (at their default action until it sets its own). */
    if (sigprocmask(SIG_SETMASK, &previous, NULL) != 0) die("sigprocmask");
    execvp(command[0], command);
    die(command[0]);
}
