/* SPDX-License-Identifier: MIT */
/*
 * entry.S - the restorer's ways in and out.
 *
 * rst_entry (offset 0 of the blob): mtcp_restart jumps here on the
 * restorer's own stack with rdi = struct rst_args *.
 *
 * rst_clone3(args, size, fn, arg): clone3; the new thread starts on the
 * stack given in args and calls fn(arg), which never returns.  fn and arg
 * travel in r8/r9, which the syscall preserves.
 *
 * rst_jump_ctx(ctx): resumes the control thread where mtcp_ctx_save()
 * saved it, as if that call returned 1.
 *
 * rst_jump_stub(stub, uc, left): jumps to the library's resume stub with
 * rdi = uc, rsi = left (see ctx.S in the engine).
 */
	.section .text.entry, "ax", @progbits
	.globl rst_entry
	.hidden rst_entry
rst_entry:
	andq $-16, %rsp
	call rst_main
	ud2

	.text
	.globl rst_clone3
	.hidden rst_clone3
	.type rst_clone3, @function
rst_clone3:
	movq %rdx, %r8
	movq %rcx, %r9
	movl $435, %eax            /* __NR_clone3 */
	syscall
	testq %rax, %rax
	jnz 1f
	xorl %ebp, %ebp            /* the child, on its new stack */
	andq $-16, %rsp
	movq %r9, %rdi
	call *%r8
	ud2
1:	ret
	.size rst_clone3, .-rst_clone3

	.globl rst_jump_ctx
	.hidden rst_jump_ctx
	.type rst_jump_ctx, @function
rst_jump_ctx:
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	ldmxcsr 64(%rdi)
	fldcw 68(%rdi)
	movq 48(%rdi), %rsp
	movl $1, %eax
	jmpq *56(%rdi)
	.size rst_jump_ctx, .-rst_jump_ctx

	.globl rst_jump_stub
	.hidden rst_jump_stub
	.type rst_jump_stub, @function
rst_jump_stub:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	jmpq *%rax
	.size rst_jump_stub, .-rst_jump_stub

	.section .note.GNU-stack,"",@progbits
