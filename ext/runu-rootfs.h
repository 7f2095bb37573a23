/*
 * The container's root as the runtime-spec describes it, finished by the
 * guest's init under NEWROOT after the spec's mounts: /dev's default devices
 * and symlinks, linux.devices, masked and read-only paths, propagation.
 * Every path is the container's (absolute); `root` is where its root is now.
 */
#ifndef RUNU_ROOTFS_H
#define RUNU_ROOTFS_H

#include <sys/types.h>

/*
 * runc's default devices (null, zero, full, random, urandom, tty) and /dev
 * symlinks; with a terminal (fd, else -1), /dev/console and the terminal's own node.
 */
void rootfs_setup_dev(const char *root, int terminal);
/* `path` and every directory above it (mkdir -p), or only those above it. */
void rootfs_mkdirs(const char *path, mode_t mode);
void rootfs_make_parents(const char *path);
/* One linux.devices entry: type c, b or p. */
void rootfs_device(const char *root, char type, const char *path, unsigned int major,
		   unsigned int minor, mode_t mode, uid_t uid, gid_t gid);
/* linux.maskedPaths: a directory gets an empty read-only tmpfs, a file /dev/null. */
void rootfs_mask(const char *root, const char *path);
/* linux.readonlyPaths: the path bound onto itself, read-only. */
void rootfs_readonly(const char *root, const char *path);
/* A mount's propagation (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, maybe | MS_REC). */
void rootfs_propagate(const char *root, const char *path, unsigned long flags);

#endif
