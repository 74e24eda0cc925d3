/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the command-line tools (mtcp_launch, mtcp_checkpoint,
 * mtcp_check) say the same way: one line on stderr, "PROG: why", and the
 * exit status; the word getopt_long() complained about.
 */
#ifndef MTCP_TOOLS_CLI_H
#define MTCP_TOOLS_CLI_H

/* "prog: " and the message on stderr, a newline, exit(status). */
void cli_die(const char *prog, int status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* After getopt_long() returned ':' or '?' (with opterr = 0): the option it
 * complained about, "-x" for a short one, else the word it read last. */
const char *cli_bad_option(char **argv);

#endif
