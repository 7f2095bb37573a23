/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _ASM_LKL_UAPI_SETUP_H
#define _ASM_LKL_UAPI_SETUP_H

#define COMMAND_LINE_SIZE 4096

#endif
