/*
 * A unikernel of runu's own for the tests, following Unikraft's boot contract on x86 (the
 * kvm platform's, as QEMU's pc machine runs it): multiboot, a command line of library
 * parameters, `--`, then the application's arguments; text on the serial port (COM1);
 * the exit status through an isa-debug-exit device at port 0xf4. It is not Unikraft.
 *
 * It prints "netdev.ip=VALUE" if that parameter is given, then "args:" and each
 * application argument, and exits with status 0, or with N for an argument "exit=N",
 * or 1 for "crash" (as Unikraft's crash path does); "wait" makes it idle until its VM ends.
 */
#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define MULTIBOOT_MAGIC 0x2BADB002
#define MULTIBOOT_CMDLINE (1u << 2)

struct multiboot_info {
	unsigned int flags, mem_lower, mem_upper, boot_device, cmdline;
};

static inline void outb(unsigned short port, unsigned char value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline unsigned char inb(unsigned short port)
{
	unsigned char value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

void ukplat_coutk(const char *s, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++) {
		while (!(inb(COM1 + 5) & 0x20))
			;
		outb(COM1, s[i]);
	}
}

static unsigned int length(const char *s)
{
	unsigned int n = 0;

	while (s[n] && s[n] != ' ')
		n++;
	return n;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

void __attribute__((noreturn)) ukplat_terminate(int status)
{
	outb(DEBUG_EXIT, (unsigned char)status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void __attribute__((noreturn)) uk_boot_entry(unsigned int magic, const struct multiboot_info *info)
{
	const char *p = (magic == MULTIBOOT_MAGIC && (info->flags & MULTIBOOT_CMDLINE)) ? (const char *)info->cmdline : "";
	int after_separator = 0, status = 0, wait = 0;

	p += length(p);  /* the kernel's own name comes first */
	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (!after_separator && (starts(p, "-- ") || (starts(p, "--") && !p[2]))) {
			after_separator = 1;
			ukplat_coutk("args:", 5);
		} else if (!after_separator && starts(p, "netdev.ip=")) {
			ukplat_coutk(p, length(p));
			ukplat_coutk("\n", 1);
		} else if (after_separator) {
			ukplat_coutk(" ", 1);
			ukplat_coutk(p, length(p));
			if (starts(p, "crash"))
				status = 1;
			else if (starts(p, "wait"))
				wait = 1;
			else if (starts(p, "exit="))
				for (const char *d = p + 5; *d >= '0' && *d <= '9'; d++)
					status = status * 10 + (*d - '0');
		}
		p += length(p);
	}
	ukplat_coutk("\n", 1);
	while (wait)
		__asm__ volatile("cli; hlt");
	ukplat_terminate(status);
}
