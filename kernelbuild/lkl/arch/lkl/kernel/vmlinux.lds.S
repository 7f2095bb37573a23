/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A relocatable object: no entry, no load address. Read-only-after-init data
 * stays writable (there is no page protection to apply).
 */
#include <asm/vmlinux.lds.h>
#include <asm-generic/vmlinux.lds.h>
#include <asm/page.h>
#include <asm/thread_info.h>

jiffies = jiffies_64;

SECTIONS
{
	_text = .;
	_stext = .;
	HEAD_TEXT_SECTION
	.text : {
		TEXT_TEXT
		SCHED_TEXT
		LOCK_TEXT
		IRQENTRY_TEXT
		SOFTIRQENTRY_TEXT
	}
	_etext = .;

	_sdata = .;
	RO_DATA(PAGE_SIZE)
	RW_DATA(64, PAGE_SIZE, THREAD_SIZE)
	.data..ro_after_init : {
		__start_ro_after_init = .;
		*(.data..ro_after_init)
		__end_ro_after_init = .;
	}
	_edata = .;

	EXCEPTION_TABLE(16)

	. = ALIGN(PAGE_SIZE);
	__init_begin = .;
	INIT_TEXT_SECTION(PAGE_SIZE)
	INIT_DATA_SECTION(16)
	PERCPU_SECTION(64)
	__init_end = .;

	BSS_SECTION(0, 0, 0)
	_end = .;

	STABS_DEBUG
	DWARF_DEBUG
	ELF_DETAILS

	DISCARDS
}
