// SPDX-License-Identifier: GPL-2.0
/*
 * Memory: the host allocation setup_arch adds to memblock is all the kernel
 * has. Anything outside it (the library's own data, host stacks) has no
 * struct page, so the zero page is taken from it too.
 */
#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

unsigned long memory_start;
unsigned long memory_end;

void __init arch_zone_limits_init(unsigned long *max_zone_pfn)
{
	max_zone_pfn[ZONE_NORMAL] = PFN_DOWN(memblock_end_of_DRAM());
}

void __init arch_setup_zero_pages(void)
{
	__zero_page = virt_to_page(memblock_alloc_or_panic(PAGE_SIZE, PAGE_SIZE));
}

/* The image's init sections are the library's, not pages the buddy allocator owns. */
void free_initmem(void)
{
}
