/* SPDX-License-Identifier: MIT */
/*
 * sock_text.c - sockets in words (sock_text.h).
 */
#include "sock_text.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

void sock_inet_text(const struct sockaddr_storage *a, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)a;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(in->sin_port));
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(out, outlen, "(family %u)", a->ss_family);
	}
}

const char *sock_unix_name_text(const char *name, uint32_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (!len) {
		snprintf(out, outlen, "(unnamed)");
		return out;
	}
	for (uint32_t i = 0; i < len && o + 5 < outlen; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (i == 0 && ch == 0)
			out[o++] = '@';
		else if (ch >= 32 && ch < 127)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
	}
	out[o] = '\0';
	return out;
}

const char *sock_type_name(int type)
{
	return type == SOCK_STREAM ? "stream" : type == SOCK_DGRAM ? "datagram" : "seqpacket";
}
