/* SPDX-License-Identifier: MIT */
/*
 * helper_clone.S - starts a writer helper thread with the raw clone system
 * call: a thread glibc never hears of (no struct pthread, no entry in its
 * thread list), so nothing of it can end up in an image.
 *
 * long wk_raw_clone(unsigned long flags, void *stack_top, int *parent_tid,
 *                   int *child_tid, void (*fn)(void *), void *arg);
 *
 * Returns the new tid or -errno in the caller; the child runs fn(arg) on
 * stack_top and then exits (the thread only, exit(2)).
 */
	.text
	.globl wk_raw_clone
	.hidden wk_raw_clone
	.type wk_raw_clone, @function
wk_raw_clone:
	and $-16, %rsi
	sub $16, %rsi
	mov %r8, 0(%rsi)        /* fn and arg, popped by the child */
	mov %r9, 8(%rsi)
	mov %rcx, %r10          /* child_tid: fourth system call argument */
	xor %r8d, %r8d          /* tls: unchanged */
	mov $56, %eax           /* SYS_clone */
	syscall
	test %rax, %rax
	jnz 1f
	/* the child, on its own stack */
	xor %ebp, %ebp
	pop %rax
	pop %rdi
	call *%rax
	xor %edi, %edi
	mov $60, %eax           /* SYS_exit: this thread only */
	syscall
	hlt
1:	ret
	.size wk_raw_clone, .-wk_raw_clone
	.section .note.GNU-stack,"",@progbits
