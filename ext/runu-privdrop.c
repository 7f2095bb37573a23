#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runu-privdrop.h"

/*
 * What the kernel keeps: file access to the container's own files. In a user namespace these
 * act only on inodes whose owner and group the namespace maps (capable_wrt_inode_uidgid), i.e.
 * the idmapped rootfs and volumes; on every host file they are nothing.
 */
static const int kept[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID };

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int sandbox_userns(unsigned int base)
{
	int unshared[2], taken[2], fd = -1, saved;
	char path[64], map[64], byte = 0;
	pid_t child;

	if (pipe2(unshared, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(taken, O_CLOEXEC) < 0) {
		saved = errno;
		close(unshared[0]), close(unshared[1]);
		errno = saved;
		return -1;
	}
	child = fork();
	if (child == 0) {
		/* Make the namespace, say so, and hold it until the parent has its fd (EOF). */
		close(unshared[0]), close(taken[1]);
		byte = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'x';
		if (write(unshared[1], &byte, 1) != 1 || byte != 'u')
			_exit(1);
		while (read(taken[0], &byte, 1) > 0)
			;
		_exit(0);
	}
	close(unshared[1]), close(taken[0]);
	if (child > 0 && read(unshared[0], &byte, 1) == 1 && byte == 'u') {
		snprintf(map, sizeof(map), "0 %u %u\n", base, RUNU_ID_COUNT);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", child);
		if (write_file(path, map) == 0) {
			snprintf(path, sizeof(path), "/proc/%d/gid_map", child);
			if (write_file(path, map) == 0) {
				snprintf(path, sizeof(path), "/proc/%d/ns/user", child);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				/* Above the fixed descriptors (runu-abi.h), which get closed and reused. */
				if (fd >= 0) {
					int high = fcntl(fd, F_DUPFD_CLOEXEC, 100);

					close(fd);
					fd = high;
				}
			}
		}
	} else if (byte == 'x') {
		errno = EPERM;
	}
	saved = errno;
	close(unshared[0]), close(taken[1]);
	if (child > 0)
		waitpid(child, NULL, 0);
	errno = saved;
	return fd;
}

int idmapped_attach(int tree, int at, const char *target, int ro, int userns)
{
	struct mount_attr attr = {
		.attr_set = (userns >= 0 ? MOUNT_ATTR_IDMAP : 0) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    (ro ? MOUNT_ATTR_RDONLY : 0),
		.userns_fd = userns,
	};

	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return -1;
	return move_mount(tree, "", at, target, MOVE_MOUNT_F_EMPTY_PATH | (*target ? 0 : MOVE_MOUNT_T_EMPTY_PATH));
}

int idmapped_bind(const char *src, int at, const char *target, int ro, int userns)
{
	/* One mount, not the tree under it: idmapping a recursive clone fails (EINVAL) on this
	 * host's kernel even where every mount in it could be idmapped alone. */
	int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	int ok, saved;

	if (tree < 0)
		return -1;
	ok = idmapped_attach(tree, at, target, ro, userns) == 0;
	saved = errno;
	close(tree);
	errno = saved;
	return ok ? 0 : -1;
}

static int is_kept(int cap)
{
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] == cap)
			return 1;
	return 0;
}

/* Drop from the bounding set every capability not kept; the running kernel may know more
 * than our headers, so go on until it says there is no such capability. */
static int bound_capabilities(int keep)
{
	for (int cap = 0;; cap++) {
		if (keep && is_kept(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return errno == EINVAL ? 0 : -1;
	}
}

static int set_capabilities(int keep)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	for (size_t i = 0; keep && i < sizeof(kept) / sizeof(kept[0]); i++) {
		data[kept[i] / 32].effective |= 1u << (kept[i] % 32);
		data[kept[i] / 32].permitted |= 1u << (kept[i] % 32);
	}
	return syscall(SYS_capset, &header, data);
}

const char *enter_sandbox_user(int userns)
{
	if (setns(userns, CLONE_NEWUSER) < 0)
		return "join the sandbox's user namespace";
	close(userns);
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return "become the sandbox's user";
	if (bound_capabilities(1) < 0 || set_capabilities(1) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return "drop capabilities";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return "set no_new_privs";
	return NULL;
}

const char *drop_to_host_ids(unsigned int base)
{
	if (bound_capabilities(0) < 0)
		return "empty the capability bounding set";
	if (setgroups(0, NULL) < 0 || setresgid(base, base, base) < 0 || setresuid(base, base, base) < 0)
		return "become the sandbox's host user";
	if (set_capabilities(0) < 0)  /* base 0: no uid change cleared them */
		return "drop capabilities";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return "set no_new_privs";
	return NULL;
}
