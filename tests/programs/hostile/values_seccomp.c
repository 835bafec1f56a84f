/* values_seccomp.c — see values_seccomp.h. A classic BPF program: wrong
 * architecture -> kill; a listed system call -> kill; anything else allowed. */
#define _GNU_SOURCE
#include "values_seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define VALUES_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VALUES_ARCH AUDIT_ARCH_AARCH64
#else
#error "values_seccomp.c: add this architecture's AUDIT_ARCH_*"
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif

#define MAX_NRS 8

static int install(const int *nrs, int n, enum values_via via)
{
	struct sock_filter f[4 + 2 * MAX_NRS + 1];
	struct sock_fprog prog;
	int k = 0;

	if (n > MAX_NRS) {
		errno = EINVAL;
		return -1;
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, VALUES_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)k;
	prog.filter = f;
	/* unprivileged filters need no_new_privs; set it as sandboxes do */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (via == VALUES_VIA_PRCTL)
		return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -1 : 0;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -1 : 0;
}

int values_forbid_spawn(enum values_via via)
{
	static const int nrs[] = {
		SYS_clone,
#ifdef SYS_clone3
		SYS_clone3,
#endif
#ifdef SYS_fork
		SYS_fork,
#endif
#ifdef SYS_vfork
		SYS_vfork,
#endif
		SYS_execve,
#ifdef SYS_execveat
		SYS_execveat,
#endif
	};
	return install(nrs, (int)(sizeof nrs / sizeof nrs[0]), via);
}

int values_mild_filter(void)
{
	static const int nrs[] = {SYS_acct, SYS_reboot};
	return install(nrs, 2, VALUES_VIA_PRCTL);
}

int values_allow_all(void)
{
	return install(NULL, 0, VALUES_VIA_SYSCALL);
}
