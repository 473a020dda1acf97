// SPDX-License-Identifier: GPL-2.0-only
/*
 * nlshim.so: an LD_PRELOAD shim for stallctl's tests, to change the world
 * at a chosen point of a command that a real kernel will not reach on
 * demand.  Files in $NLSHIM_DIR (default /tmp) steer it:
 *
 * NLSHIM_HOLD_AT=N  holds the program before its Nth sendmsg(): it creates
 *                   held, then waits until go exists.  libnl sends every
 *                   request through sendmsg(): for stallctl status, call 1
 *                   looks the family up, 2 asks for the CPUs' dump, 3 for
 *                   the pause state.  A test unloads the module meanwhile.
 * NLSHIM_FAIL=1     before each recvmsg(), reads fail if it exists: "E"
 *                   fails that call with errno E (and removes the file),
 *                   "E always" fails it and every later one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *file(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("NLSHIM_DIR");

	snprintf(buf, len, "%s/%s", dir ? dir : "/tmp", name);
	return buf;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);
	static int calls;
	const char *at = getenv("NLSHIM_HOLD_AT");
	char path[PATH_MAX];

	if (!real)
		real = (ssize_t (*)(int, const struct msghdr *, int))
			dlsym(RTLD_NEXT, "sendmsg");
	if (at && ++calls == atoi(at)) {
		close(open(file("held", path, sizeof(path)), O_CREAT | O_WRONLY,
			   0644));
		while (access(file("go", path, sizeof(path)), F_OK))
			usleep(10000);
	}
	return real(fd, msg, flags);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int f, e;

	if (!real)
		real = (ssize_t (*)(int, struct msghdr *, int))
			dlsym(RTLD_NEXT, "recvmsg");
	if (getenv("NLSHIM_FAIL")) {
		f = open(file("fail", path, sizeof(path)), O_RDONLY);
		if (f >= 0) {
			n = read(f, buf, sizeof(buf) - 1);
			close(f);
			buf[n > 0 ? n : 0] = '\0';
			e = atoi(buf);
			if (!strstr(buf, "always"))
				unlink(path);
			if (e > 0) {
				errno = e;
				return -1;
			}
		}
	}
	return real(fd, msg, flags);
}
