// SPDX-License-Identifier: GPL-2.0
/* Copies and fills by the host C library (see asm/string.h). */
#include <linux/export.h>
#include <linux/string.h>
#include <asm/lkl.h>

void *memcpy(void *dest, const void *src, size_t len)
{
	return lkl_ops->memcpy(dest, src, len);
}
EXPORT_SYMBOL(memcpy);

void *memmove(void *dest, const void *src, size_t len)
{
	return lkl_ops->memmove(dest, src, len);
}
EXPORT_SYMBOL(memmove);

void *memset(void *dest, int c, size_t len)
{
	return lkl_ops->memset(dest, c, len);
}
EXPORT_SYMBOL(memset);
