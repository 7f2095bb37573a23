/*
 * runu-hookexec PARENT PATH ARGV0 [ARG...]: run an OCI hook that dies with the runtime.
 *
 * runu spawns this in the hook's own process group with the hook's environment and its
 * stdin, stdout and stderr. It asks for SIGKILL when its parent (runu, pid PARENT) dies, gives
 * up if that already happened, and execs PATH with the hook's arguments. An exec that fails
 * writes its strerror to RUNU_FD_STATUS (close-on-exec otherwise: runu reads EOF) and exits 127.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runu-abi.h"

extern char **environ;

int main(int argc, char **argv)
{
	const char *why;

	if (argc < 4) {
		fputs("usage: runu-hookexec PARENT PATH ARGV0 [ARG...]\n", stderr);
		return 2;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)atol(argv[1]))
		return 1;
	fcntl(RUNU_FD_STATUS, F_SETFD, FD_CLOEXEC);
	execve(argv[2], argv + 3, environ);
	why = strerror(errno);
	if (write(RUNU_FD_STATUS, why, strlen(why)) < 0)
		return 126;
	return 127;
}
