/* SPDX-License-Identifier: MIT */
/*
 * ctx.S - the two places where control enters the restored program.
 *
 * mtcp_ctx_save(struct mtcp_ctx *ctx): saves the callee-saved registers,
 * the stack pointer and the return address of the control thread and
 * returns 0.  The restorer jumps back here with eax = 1 after a restart
 * (a setjmp without glibc's pointer mangling, which needs a live TCB).
 *
 * mtcp_resume_stub: the restorer jumps here (rdi = the thread's signal
 * frame ucontext, rsi = &mtcp_restart_info.left) with the restorer's stack
 * still in use.  It counts itself out of the restorer area, wakes the
 * control thread, points rsp at the frame and does rt_sigreturn, which
 * restores every register, the FP state and the signal mask the thread
 * had when the checkpoint signal arrived.  It lives in the library, not in
 * the restorer area, so the control thread may unmap that area once every
 * thread has counted itself out.
 */
	.text
	.globl mtcp_ctx_save
	.hidden mtcp_ctx_save
	.type mtcp_ctx_save, @function
mtcp_ctx_save:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax      /* rsp after our return */
	movq %rax, 48(%rdi)
	movq (%rsp), %rax       /* the return address */
	movq %rax, 56(%rdi)
	stmxcsr 64(%rdi)
	fnstcw 68(%rdi)
	xorl %eax, %eax
	ret
	.size mtcp_ctx_save, .-mtcp_ctx_save

	.globl mtcp_resume_stub
	.hidden mtcp_resume_stub
	.type mtcp_resume_stub, @function
mtcp_resume_stub:
	movq %rdi, %r12
	lock incl (%rsi)
	movq %rsi, %rdi
	movl $129, %esi          /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */
	movl $0x7fffffff, %edx
	movl $202, %eax          /* __NR_futex */
	syscall
	movq %r12, %rsp
	movl $15, %eax           /* __NR_rt_sigreturn */
	syscall
	ud2
	.size mtcp_resume_stub, .-mtcp_resume_stub

	.section .note.GNU-stack,"",@progbits
