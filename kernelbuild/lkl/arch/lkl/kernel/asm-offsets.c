// SPDX-License-Identifier: GPL-2.0
/* Nothing is written in assembly; the build still wants the file. */
