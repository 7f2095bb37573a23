#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runu-fail.h"
#include "runu-rootfs.h"

static const char *at(const char *root, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", root, path);
	return buf;
}

void rootfs_mkdirs(const char *path, mode_t mode)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, mode);
		*p = '/';
	}
	mkdir(buf, mode);
}

void rootfs_make_parents(const char *path)
{
	char parent[4096];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		rootfs_mkdirs(parent, 0755);
	}
}

static void make_node(const char *where, mode_t kind, mode_t mode, dev_t dev, uid_t uid, gid_t gid)
{
	unlink(where);  /* a device the spec names replaces whatever the rootfs had there */
	if (mknod(where, kind | (mode & 07777), dev) < 0)
		die(126, "create device %s: %s", where, strerror(errno));
	if (chown(where, uid, gid) < 0 || chmod(where, mode & 07777) < 0)
		die(126, "set the owner and mode of %s: %s", where, strerror(errno));
}

static void bind_node(const char *node, const char *root, const char *path)
{
	char where[4096];
	int fd;

	snprintf(where, sizeof(where), "%s%s", root, path);
	unlink(where);
	fd = open(where, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) < 0 || mount(node, where, NULL, MS_BIND, NULL) < 0)
		die(126, "bind %s to %s: %s", node, path, strerror(errno));
}

void rootfs_setup_dev(const char *root, int terminal)
{
	static const struct { const char *name; unsigned int major, minor; } devices[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct { const char *name, *target; } links[] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" },
	};
	char where[4096];

	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		snprintf(where, sizeof(where), "%s/dev/%s", root, devices[i].name);
		make_node(where, S_IFCHR, 0666, makedev(devices[i].major, devices[i].minor), 0, 0);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(where, sizeof(where), "%s/dev/%s", root, links[i].name);
		unlink(where);
		if (symlink(links[i].target, where) < 0)
			die(126, "symlink %s: %s", where, strerror(errno));
	}
	if (terminal >= 0) {
		/*
		 * The terminal is the console, as under runc, and keeps its own name: both
		 * bind the very node (ttyname(3) wants the same inode, not a copy).
		 */
		const char *name = ttyname(terminal);

		if (!name)
			die(126, "the terminal's name: %s", strerror(errno));
		bind_node(name, root, "/dev/console");
		bind_node(name, root, name);
	}
}

void rootfs_device(const char *root, char type, const char *path, unsigned int major,
		   unsigned int minor, mode_t mode, uid_t uid, gid_t gid)
{
	char where[4096];
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

	/* In a directory the rootfs may lack (--privileged's /dev/cpu/0/cpuid): made, as runc does. */
	rootfs_make_parents(at(root, path, where, sizeof(where)));
	make_node(where, kind, mode, makedev(major, minor), uid, gid);
}

void rootfs_mask(const char *root, const char *path)
{
	char where[4096];
	struct stat st;

	if (stat(at(root, path, where, sizeof(where)), &st) < 0)
		return;  /* nothing there to hide, as under runc */
	if (S_ISDIR(st.st_mode) ? mount("tmpfs", where, "tmpfs", MS_RDONLY, NULL) < 0
				: mount("/dev/null", where, NULL, MS_BIND, NULL) < 0)
		die(126, "mask %s: %s", path, strerror(errno));
}

void rootfs_readonly(const char *root, const char *path)
{
	char where[4096];

	if (access(at(root, path, where, sizeof(where)), F_OK) < 0)
		return;
	if (mount(where, where, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, where, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		die(126, "make %s read-only: %s", path, strerror(errno));
}

/*
 * A slave needs a master: the mount is made shared, given a peer outside the
 * container's sight, then made a slave of that peer group, as under runc a
 * slave of the host's shared mounts would be.
 */
void rootfs_propagate(const char *root, const char *path, unsigned long flags)
{
	static int peers;
	char where[4096], peer[64];

	at(root, path, where, sizeof(where));
	if (flags & MS_SLAVE) {
		snprintf(peer, sizeof(peer), "/peers/%d", peers++);
		mkdir("/peers", 0700);
		mkdir(peer, 0700);
		if (mount(NULL, where, NULL, MS_SHARED | (flags & MS_REC), NULL) < 0 ||
		    mount(where, peer, NULL, MS_BIND | MS_REC, NULL) < 0)
			die(126, "give %s a master: %s", path, strerror(errno));
	}
	if (mount(NULL, where, NULL, flags, NULL) < 0)
		die(126, "set the propagation of %s: %s", path, strerror(errno));
}
