/* SPDX-License-Identifier: MIT */
/*
 * sock_text.h - sockets in words, for the messages of the library (while
 * the program is parked: no malloc, no locale) and of mtcp_restart.
 */
#ifndef MTCP_SOCK_TEXT_H
#define MTCP_SOCK_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "1.2.3.4:80", "[::1]:80", or "(family N)". */
void sock_inet_text(const struct sockaddr_storage *a, char *out, size_t outlen);
/* A unix socket's name (len bytes of sun_path): a path, "@abstract" (a
 * leading NUL), "(unnamed)"; other bytes that are not printable as
 * \xNN.  Returns out. */
const char *sock_unix_name_text(const char *name, uint32_t len, char *out, size_t outlen);
/* "stream", "datagram" or "seqpacket". */
const char *sock_type_name(int type);

#endif
