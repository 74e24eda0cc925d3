/* SPDX-License-Identifier: MIT */
/*
 * sys.h - typed system calls for the restorer, each returning the kernel's
 * value (>= 0 or -errno); there is no errno here.  Only the calls the
 * restorer uses, in alphabetical order, each under its man(2) prototype.
 */
#ifndef MTCP_RST_SYS_H
#define MTCP_RST_SYS_H

#ifndef MTCP_NOLIBC
#error "restorer code is built only without libc"
#endif

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>
#include "syscall.h"

/* int arch_prctl(int code, unsigned long addr); */
static inline long sys_arch_prctl(int code, uint64_t addr)
{
	return raw_syscall2(__NR_arch_prctl, code, (long)addr);
}

/* long clone3(struct clone_args *cl_args, size_t size); -- see clone.S */

/* int capget(cap_user_header_t hdrp, cap_user_data_t datap); */
static inline long sys_capget(void *hdr, void *data)
{
	return raw_syscall2(__NR_capget, (long)hdr, (long)data);
}

/* int capset(cap_user_header_t hdrp, const cap_user_data_t datap); -- this thread */
static inline long sys_capset(void *hdr, const void *data)
{
	return raw_syscall2(__NR_capset, (long)hdr, (long)data);
}

/* int close(int fd); */
static inline long sys_close(int fd)
{
	return raw_syscall1(__NR_close, fd);
}

/* void exit_group(int status); */
static inline void __attribute__((noreturn)) sys_exit_group(int status)
{
	for (;;)
		raw_syscall1(__NR_exit_group, status);
}

/* long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *t); */
static inline long sys_futex(volatile int32_t *uaddr, int op, int val)
{
	return raw_syscall4(__NR_futex, (long)uaddr, op, val, 0);
}

/* pid_t getpid(void); */
static inline long sys_getpid(void)
{
	return raw_syscall0(__NR_getpid);
}

/* pid_t gettid(void); */
static inline long sys_gettid(void)
{
	return raw_syscall0(__NR_gettid);
}

/* int getresgid(gid_t *rgid, gid_t *egid, gid_t *sgid); */
static inline long sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	return raw_syscall3(__NR_getresgid, (long)r, (long)e, (long)s);
}

/* int getresuid(uid_t *ruid, uid_t *euid, uid_t *suid); */
static inline long sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s)
{
	return raw_syscall3(__NR_getresuid, (long)r, (long)e, (long)s);
}

/* int kill(pid_t pid, int sig); */
static inline long sys_kill(int pid, int sig)
{
	return raw_syscall2(__NR_kill, pid, sig);
}

/* void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off); */
static inline long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	return raw_syscall6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}

/* int mprotect(void *addr, size_t len, int prot); */
static inline long sys_mprotect(uint64_t addr, uint64_t len, int prot)
{
	return raw_syscall3(__NR_mprotect, (long)addr, (long)len, prot);
}

/* void *mremap(void *old, size_t old_len, size_t new_len, int flags, void *new); */
static inline long sys_mremap(uint64_t old, uint64_t len, int flags, uint64_t new_addr)
{
	return raw_syscall5(__NR_mremap, (long)old, (long)len, (long)len, flags, (long)new_addr);
}

/* int munmap(void *addr, size_t len); */
static inline long sys_munmap(uint64_t addr, uint64_t len)
{
	return raw_syscall2(__NR_munmap, (long)addr, (long)len);
}

/* ssize_t pread64(int fd, void *buf, size_t count, off_t offset); */
static inline long sys_pread(int fd, void *buf, uint64_t count, uint64_t off)
{
	return raw_syscall4(__NR_pread64, fd, (long)buf, (long)count, (long)off);
}

/* int prctl(int option, unsigned long a2, unsigned long a3, ...);
 * The unused arguments must be zero (PR_SET_MM checks a5). */
static inline long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4)
{
	return raw_syscall5(__NR_prctl, option, (long)a2, (long)a3, (long)a4, 0);
}

/* int prlimit64(pid_t pid, int res, const struct rlimit *new, struct rlimit *old); */
static inline long sys_prlimit(int res, const void *new_limit)
{
	return raw_syscall4(__NR_prlimit64, 0, res, (long)new_limit, 0);
}

/* int rseq(struct rseq *rseq, uint32_t len, int flags, uint32_t sig); */
static inline long sys_rseq(uint64_t area, uint32_t len, int flags, uint32_t sig)
{
	return raw_syscall4(__NR_rseq, (long)area, len, flags, sig);
}

/* int rt_sigaction(int sig, const struct sigaction *act, struct sigaction *old, size_t sz); */
static inline long sys_rt_sigaction(int sig, const void *act)
{
	return raw_syscall4(__NR_rt_sigaction, sig, (long)act, 0, 8);
}

/* int rt_sigprocmask(int how, const sigset_t *set, sigset_t *old, size_t sz); */
static inline long sys_rt_sigprocmask(int how, const uint64_t *set)
{
	return raw_syscall4(__NR_rt_sigprocmask, how, (long)set, 0, 8);
}

/* int sched_setaffinity(pid_t pid, size_t len, const cpu_set_t *mask); */
static inline long sys_sched_setaffinity(int pid, uint64_t len, const void *mask)
{
	return raw_syscall3(__NR_sched_setaffinity, pid, (long)len, (long)mask);
}

/* int setitimer(int which, const struct itimerval *new, struct itimerval *old); */
static inline long sys_setitimer(int which, const void *val)
{
	return raw_syscall3(__NR_setitimer, which, (long)val, 0);
}

/* int timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old); */
static inline long sys_timerfd_settime(int fd, int flags, const void *val)
{
	return raw_syscall4(__NR_timerfd_settime, fd, flags, (long)val, 0);
}

/* int ioctl(int fd, unsigned long req, void *arg); */
static inline long sys_ioctl(int fd, unsigned long req, const void *arg)
{
	return raw_syscall3(__NR_ioctl, fd, (long)req, (long)arg);
}

/* int setfsgid(gid_t fsgid); -- returns the previous fsgid, never an error */
static inline long sys_setfsgid(uint32_t gid)
{
	return raw_syscall1(__NR_setfsgid, (long)gid);
}

/* int setfsuid(uid_t fsuid); -- returns the previous fsuid, never an error */
static inline long sys_setfsuid(uint32_t uid)
{
	return raw_syscall1(__NR_setfsuid, (long)uid);
}

/* int setresgid(gid_t rgid, gid_t egid, gid_t sgid); -- this thread only */
static inline long sys_setresgid(uint32_t r, uint32_t e, uint32_t s)
{
	return raw_syscall3(__NR_setresgid, (long)r, (long)e, (long)s);
}

/* int setresuid(uid_t ruid, uid_t euid, uid_t suid); -- this thread only */
static inline long sys_setresuid(uint32_t r, uint32_t e, uint32_t s)
{
	return raw_syscall3(__NR_setresuid, (long)r, (long)e, (long)s);
}

/* long set_robust_list(struct robust_list_head *head, size_t len); */
static inline long sys_set_robust_list(uint64_t head, uint64_t len)
{
	return raw_syscall2(__NR_set_robust_list, (long)head, (long)len);
}

/* pid_t set_tid_address(int *tidptr); */
static inline long sys_set_tid_address(uint64_t addr)
{
	return raw_syscall1(__NR_set_tid_address, (long)addr);
}

/* int sigaltstack(const stack_t *ss, stack_t *old); */
static inline long sys_sigaltstack(const void *ss)
{
	return raw_syscall2(__NR_sigaltstack, (long)ss, 0);
}

/* int tgkill(pid_t tgid, pid_t tid, int sig); */
static inline long sys_tgkill(int tgid, int tid, int sig)
{
	return raw_syscall3(__NR_tgkill, tgid, tid, sig);
}

/* ssize_t write(int fd, const void *buf, size_t count); */
static inline long sys_write(int fd, const void *buf, uint64_t count)
{
	return raw_syscall3(__NR_write, fd, (long)buf, (long)count);
}

#endif
