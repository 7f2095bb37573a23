/*
 * Guest program for tests/integration/test_stub_escape.py: host syscalls
 * through the User-Mode Linux stub page, as an unprivileged guest user.
 *
 * In seccomp mode every guest address space is a host process whose top
 * pages hold the stub: a code page and the stub's data pages. The stub's
 * seccomp filter allows a few host syscalls from the code page. A guest
 * program can read that page (the guest kernel does not know it is there),
 * find a `syscall; ret` (0f 05 c3) in it and call it with registers of its
 * choosing.
 *
 * Each probe runs in a child of its own (a guest process, so a host process
 * of its own) and reports one line:
 *   <probe>: returned <value>    the host syscall ran and returned
 *   <probe>: killed by signal N  the child died at the call
 * A child that gets its call through reports first, then (for the 2 GiB
 * mapping) holds the memory for a second so the host side can see it.
 *
 * Build: gcc -static -O2 -o stub_escape stub_escape.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/futex.h>

#define PAGE 4096UL
/* Where the guest maps things through the stub: far from anything the guest kernel placed. */
#define TARGET 0x200000000000UL

static sigjmp_buf probe_fault;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(probe_fault, 1);
}

/* The stub code page: just below the host's top of user space, three pages from it
 * (code, then two data pages). 47-bit and 56-bit address spaces are tried. */
static unsigned char *find_stub_page(void)
{
	static const uintptr_t tops[] = { 0x7ffffffff000UL, 0xfffffffffff000UL };
	struct sigaction sa = { .sa_handler = on_fault }, old_segv, old_bus;
	unsigned char *found = NULL;

	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]) && !found; i++) {
		volatile unsigned char *page = (unsigned char *)(tops[i] - 3 * PAGE);
		if (sigsetjmp(probe_fault, 1) == 0) {
			(void)page[0];
			found = (unsigned char *)page;
		}
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return found;
}

static unsigned char *find_gadget(unsigned char *page)
{
	for (size_t i = 0; i + 3 <= PAGE; i++)
		if (page[i] == 0x0f && page[i + 1] == 0x05 && page[i + 2] == 0xc3)
			return page + i;
	return NULL;
}

static unsigned char *gadget;

/* What the probes point at, written by the child before its call: after fork the guest maps a
 * page for writing only once it is written, and the host call must not fault on it. */
static long word;
static char buf[8];
static struct iovec iov = { buf, sizeof(buf) };
static struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

static void touch_probe_memory(void)
{
	word = 1;
	buf[0] = 1;
	iov.iov_len = sizeof(buf);
	msg.msg_iovlen = 1;
	msg.msg_controllen = 0;
}

/* A host syscall issued from the stub page's `syscall; ret`. */
static long stub_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long ret;
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;

	__asm__ volatile("call *%[at]"
			 : "=a"(ret)
			 : [at] "r"(gadget), "0"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

struct probe {
	const char *name;
	long nr, args[6];
	unsigned hold_seconds;
};

/* Run one probe in a child; print what became of it. */
static void run_probe(const struct probe *p)
{
	int fds[2];
	long result;
	int status;

	if (pipe(fds) < 0) {
		perror("pipe");
		exit(2);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		touch_probe_memory();
		result = stub_syscall(p->nr, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4],
				      p->args[5]);
		if (write(fds[1], &result, sizeof(result)) != sizeof(result))
			_exit(3);
		if (p->hold_seconds)
			sleep(p->hold_seconds);
		_exit(0);
	}
	close(fds[1]);
	ssize_t got = read(fds[0], &result, sizeof(result));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (got == sizeof(result))
		printf("%s: returned %ld\n", p->name, result);
	else if (WIFSIGNALED(status))
		printf("%s: killed by signal %d\n", p->name, WTERMSIG(status));
	else
		printf("%s: exited %d without a result\n", p->name, WEXITSTATUS(status));
	fflush(stdout);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned char *page = find_stub_page();
	if (!page) {
		printf("no stub page found\n");
		return 1;
	}
	gadget = find_gadget(page);
	if (!gadget) {
		printf("no syscall;ret in the stub page at %p\n", (void *)page);
		return 1;
	}
	printf("uid %d: stub page %p, syscall;ret at +%#lx\n", getuid(), (void *)page,
	       (unsigned long)(gadget - page));

	/* Control: memory the ordinary way, through the guest kernel. */
	void *normal = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("normal-mmap: %s\n", normal == MAP_FAILED ? strerror(errno) : "ok");

	const long rw = PROT_READ | PROT_WRITE;
	const struct probe probes[] = {
		/* Host memory the guest's limit does not cover. */
		{ "anon-page", SYS_mmap, { TARGET, PAGE, rw, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0 }, 0 },
		{ "anon-2g-populate", SYS_mmap,
		  { TARGET, 2L << 30, rw, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0 }, 1 },
		/* The stub's socket to the kernel, a descriptor the kernel made. */
		{ "close-fd0", SYS_close, { 0 }, 0 },
		/* Taking what the kernel sends the stub (its memory descriptors). */
		{ "recvmsg-fd0", SYS_recvmsg, { 0, (long)&msg, MSG_DONTWAIT }, 0 },
		/* Futexes and arch_prctl the stub never uses. */
		{ "futex-elsewhere", SYS_futex, { (long)&word, FUTEX_WAKE, 1 }, 0 },
		{ "arch_prctl-get-fs", SYS_arch_prctl, { ARCH_GET_FS, (long)&word }, 0 },
	};
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		run_probe(&probes[i]);
	printf("done\n");
	return 0;
}
