/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_VMLINUX_LDS_H
#define _ASM_LKL_VMLINUX_LDS_H

/* Keep .data..ro_after_init an ordinary writable section. */
#define RO_AFTER_INIT_DATA

#endif
