/*
 * A stand-in for a compromised sandbox kernel: runu launches it exactly as it launches the
 * kernel (same user namespace, capabilities, seccomp list, pid namespace, sandbox root), and
 * it tries one thing a taken-over kernel would. It prints "alive" first, then either
 * "done" (the attempt worked) or "denied ERRNO-NAME"; the warden may also kill it.
 *   probe signal PID | mount | chroot | mknod | read PATH | setuid
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int attempt(const char *what, char **argv)
{
	if (!strcmp(what, "signal"))
		return kill(atoi(argv[0]), SIGTERM);
	if (!strcmp(what, "mount"))
		return mount("none", "/tmp", "tmpfs", 0, NULL);
	if (!strcmp(what, "chroot")) {
		/* The classic way out of a chroot: into a subdirectory, then climb above it. */
		if (mkdir("/tmp/out", 0700) < 0 && errno != EEXIST)
			return -1;
		if (chroot("/tmp/out") < 0)
			return -1;
		for (int i = 0; i < 64; i++)
			if (chdir("..") < 0)
				return -1;
		return chroot(".");
	}
	if (!strcmp(what, "mknod"))
		return mknod("/tmp/disk", S_IFBLK | 0600, makedev(8, 0));
	if (!strcmp(what, "read")) {
		int fd = open(argv[0], O_RDONLY);

		return fd < 0 ? -1 : (int)read(fd, (char[16]){ 0 }, 16) < 0 ? -1 : 0;
	}
	if (!strcmp(what, "setuid"))
		return setresuid(65534, 65534, 65534) == 0 ? setresuid(0, 0, 0) : -1;
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	printf("alive\n");
	fflush(stdout);
	if (attempt(argv[1], argv + 2) == 0)
		printf("done\n");
	else
		printf("denied %s\n", strerrorname_np(errno));
	return 0;
}
