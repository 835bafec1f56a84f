/* values_seccomp.h — a seccomp filter for the hostile-values tests, written
 * by hand (libseccomp is not a build dependency). */
#ifndef VALUES_SECCOMP_H
#define VALUES_SECCOMP_H

/* How a filter is installed: prctl(PR_SET_SECCOMP) or syscall(SYS_seccomp),
 * the two entry points a program uses. */
enum values_via { VALUES_VIA_PRCTL, VALUES_VIA_SYSCALL };

/* Kills the process (SECCOMP_RET_KILL_PROCESS) on clone, clone3, fork,
 * vfork, execve and execveat: a sandbox that forbids process creation.
 * 0 or -1 (errno set). */
int values_forbid_spawn(enum values_via via);

/* Kills only on acct and reboot: a filter a launcher (a container runtime,
 * systemd) leaves in place, under which process creation works. */
int values_mild_filter(void);

/* Kills nothing (but another architecture's calls), installed through
 * syscall(SYS_seccomp): a process under a filter that refuses nothing. */
int values_allow_all(void);

#endif
