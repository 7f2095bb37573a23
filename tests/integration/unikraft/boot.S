/* Multiboot (v1) header with the load addresses given (bit 16), so the ELF may be 64-bit as
 * Unikraft's are; entry in 32-bit protected mode. */
	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002
	.long 0x00010000
	.long -(0x1BADB002 + 0x00010000)
	.long _load_start, _load_start, _load_end, _bss_end, _start

	.text
	.globl _start
_start:
	mov $stack_top, %esp
	push %ebx
	push %eax
	call uk_boot_entry

	.bss
	.align 16
	.space 8192
stack_top:

	.section .note.GNU-stack, "", @progbits
