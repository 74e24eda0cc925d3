/* SPDX-License-Identifier: MIT */
/* log.c - the restorer's messages (no printf: no libc). */
#include "log.h"
#include "sys.h"
#include "rst-args.h"

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void emit(const struct rst_args *a, const char *kind, const char *what, uint64_t addr,
		 long err)
{
	char buf[sizeof(a->image_path) + 256], *p = buf;

	p = put_str(p, "mtcp_restart: ");
	p = put_str(p, a->image_path);
	p = put_str(p, ": ");
	p = put_str(p, kind);
	p = put_str(p, what);
	if (addr) {
		p = put_str(p, " at 0x");
		p = put_hex(p, addr);
	}
	if (err) {
		p = put_str(p, ": error ");
		p = put_dec(p, (uint64_t)-err);
	}
	*p++ = '\n';
	sys_write(a->log_fd >= 0 ? a->log_fd : 2, buf, (uint64_t)(p - buf));
}

void rst_die(const struct rst_args *a, const char *what, uint64_t addr, long err)
{
	emit(a, "restore failed after the point of no return: ", what, addr, err);
	sys_exit_group(1);
}

void rst_warn(const struct rst_args *a, const char *what, uint64_t addr, long err)
{
	emit(a, "warning: ", what, addr, err);
}
