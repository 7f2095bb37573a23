/*
 * The sandbox's own ids: each container owns RUNU_ID_COUNT host uids and gids from a base
 * runu allocates (runu/idrange.py). Its user namespace maps 0..RUNU_ID_COUNT-1 onto them, and
 * the container's files (rootfs, volumes) are mounted idmapped through that same namespace:
 * on-disk owner u is BASE+u on the host and u again inside, so the kernel, running as its
 * namespace's root, owns exactly the container's files and nothing of the host.
 */
#ifndef RUNU_PRIVDROP_H
#define RUNU_PRIVDROP_H

#define RUNU_ID_COUNT 65536

/* A user namespace mapping 0..RUNU_ID_COUNT-1 onto base..; its fd, or -1 (errno). */
int sandbox_userns(unsigned int base);

/* Bind src (its own mount, not those below it) over target idmapped through userns (read-only
 * if ro), nosuid and nodev; -1 (errno). The target is relative to `at` (AT_FDCWD), or is `at`
 * itself when empty (an O_PATH descriptor). */
int idmapped_bind(const char *src, int at, const char *target, int ro, int userns);
/* The same for a tree already cloned (open_tree), maybe in another mount namespace; userns -1
 * attaches it as it is. */
int idmapped_attach(int tree, int at, const char *target, int ro, int userns);

/* Become root of userns (host uid/gid: the range's base) keeping only the capabilities that act
 * on the container's own files, with no_new_privs; a message on failure, NULL on success. */
const char *enter_sandbox_user(int userns);

/* For a helper outside the namespace: host uid/gid `base`, no capabilities, no_new_privs. */
const char *drop_to_host_ids(unsigned int base);

#endif
