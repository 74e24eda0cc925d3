/* SPDX-License-Identifier: MIT */
/*
 * log.h - messages from the restorer: plain strings and numbers written
 * with one write() each to the log fd (mtcp_restart's stderr).
 */
#ifndef MTCP_RST_LOG_H
#define MTCP_RST_LOG_H

#include <stdint.h>

struct rst_args;

/* "mtcp_restart: IMAGE: <what> at 0x<addr>: error <errno>\n", then exit 1 */
void __attribute__((noreturn)) rst_die(const struct rst_args *a, const char *what, uint64_t addr,
				       long err);
void rst_warn(const struct rst_args *a, const char *what, uint64_t addr, long err);

#endif
