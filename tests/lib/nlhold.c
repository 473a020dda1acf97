// SPDX-License-Identifier: GPL-2.0-only
/*
 * nlhold.so: an LD_PRELOAD shim for stallctl's tests that holds a program
 * before its Nth sendmsg() (NLHOLD_AT=N), so a test can change the world
 * between two netlink requests of one command (rmmod mid-command).
 *
 * Before that call it creates $NLHOLD_DIR/held, then waits until
 * $NLHOLD_DIR/go exists (NLHOLD_DIR defaults to /tmp).  libnl sends every
 * request through sendmsg(): for stallctl status, call 1 looks the family
 * up, 2 asks for the CPUs' dump, 3 for the pause state.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	static int calls;
	const char *at = getenv("NLHOLD_AT");
	const char *dir = getenv("NLHOLD_DIR");
	char path[PATH_MAX];

	if (!real)
		real = (ssize_t (*)(int, const struct msghdr *, int))
			dlsym(RTLD_NEXT, "sendmsg");
	if (at && ++calls == atoi(at)) {
		snprintf(path, sizeof(path), "%s/held", dir ? dir : "/tmp");
		close(open(path, O_CREAT | O_WRONLY, 0644));
		snprintf(path, sizeof(path), "%s/go", dir ? dir : "/tmp");
		while (access(path, F_OK))
			usleep(10000);
	}
	return real(fd, msg, flags);
}
