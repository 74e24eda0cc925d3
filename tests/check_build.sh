#!/bin/bash
# SPDX-License-Identifier: MIT
# check_build.sh RESTORER_ELF LIBRARY: the boundaries the build promises.
#  - the restorer has no undefined symbol, no relocation, no %fs access
#    (after the point of no return there is no libc, no dynamic linker
#    and no TCB);
#  - the library exports the public API and the libc functions it
#    interposes, each on purpose, and nothing else.
set -u
elf=$1 lib=$2 rc=0

undef=$(nm -u "$elf")
if [ -n "$undef" ]; then echo "restorer: undefined symbols: $undef"; rc=1; fi
if ! readelf -r "$elf" | grep -q "There are no relocations"; then
	echo "restorer: has relocations:"; readelf -r "$elf"; rc=1
fi
if objdump -d "$elf" | grep -q '%fs'; then
	echo "restorer: reads %fs:"; objdump -d "$elf" | grep '%fs'; rc=1
fi

expected="inotify_add_watch inotify_rm_watch ioctl mtcp_checkpoint mtcp_disable mtcp_enable mtcp_init mtcp_last_degraded mtcp_last_image mtcp_restart_count mtcp_version_number pthread_sigmask sigaction signal sigprocmask sigsuspend sigtimedwait sigwait sigwaitinfo"
got=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWDBVR]$/ {print $3}' | sed 's/@.*//' | sort -u | tr '\n' ' ' | sed 's/ $//')
if [ "$got" != "$expected" ]; then
	echo "library exports: $got"
	echo "expected:        $expected"
	rc=1
fi
[ $rc = 0 ] && echo "ok: restorer self-contained, library exports as listed"
exit $rc
