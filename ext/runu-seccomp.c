#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "runu-seccomp.h"

int seccomp_confine(const char *allowed, const char **why)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	char *names = strdup(allowed), *save = NULL;
	int listener = -1;

	*why = "set up the seccomp filter";
	if (!ctx || !names)
		goto out;
	/* The launcher's own hand-off of the listener: a call that waited for the warden's answer
	 * would wait for ever. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 0) < 0)
		goto out;
	for (char *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int nr = seccomp_syscall_resolve_name(name);

		/* A name this architecture lacks (an i386-only call) is nothing to allow. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0) {
			*why = "add a system call to the seccomp filter";
			goto out;
		}
	}
	if (seccomp_load(ctx) < 0) {
		*why = "load the seccomp filter";
		goto out;
	}
	listener = seccomp_notify_fd(ctx);
out:
	free(names);
	if (ctx)
		seccomp_release(ctx);
	return listener;
}

static void timestamp(char *out, size_t size)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void log_violation(int kernel_log, int runtime_log, int log_json, const char *message)
{
	char stamp[32];

	dprintf(kernel_log, "runu: %s\n", message);
	if (runtime_log < 0)
		return;
	timestamp(stamp, sizeof(stamp));
	/* The message holds no quote or backslash: names, numbers and fixed words. */
	if (log_json)
		dprintf(runtime_log, "{\"level\": \"error\", \"msg\": \"%s\", \"time\": \"%s\"}\n", message, stamp);
	else
		dprintf(runtime_log, "time=\"%s\" level=error msg=\"%s\"\n", stamp, message);
}

int seccomp_ward(int listener, int learn, int learned_fd, int kernel_log, int runtime_log, int log_json,
		 int kernel, const char *container_id)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	char message[256], *name;
	int nr;

	if (seccomp_notify_alloc(&req, &resp) < 0)
		return 0;
	if (seccomp_notify_receive(listener, req) < 0) {
		seccomp_notify_free(req, resp);
		return errno == ENOENT || errno == EINTR ? 0 : -1;  /* the caller died meanwhile */
	}
	nr = req->data.nr;
	name = seccomp_syscall_resolve_num_arch(req->data.arch, nr);
	if (learn) {
		dprintf(learned_fd, "%s\n", name ? name : "?");
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		seccomp_notify_respond(listener, resp);
		free(name);
		seccomp_notify_free(req, resp);
		return 0;
	}
	snprintf(message, sizeof(message),
		 "container %s: its sandbox made the system call %s (%d), which its allow-list does not hold "
		 "(host pid %d): the sandbox is killed", container_id, name ? name : "?", nr, req->pid);
	free(name);
	seccomp_notify_free(req, resp);
	log_violation(kernel_log, runtime_log, log_json, message);
	kill(kernel, SIGKILL);
	return -1;
}
