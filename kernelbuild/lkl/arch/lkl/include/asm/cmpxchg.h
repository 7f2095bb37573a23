/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_CMPXCHG_H
#define _ASM_LKL_CMPXCHG_H

/* Exchanges from the compiler's builtins, on any size the host supports. */

#define arch_xchg(ptr, x) \
	__atomic_exchange_n((ptr), (x), __ATOMIC_SEQ_CST)

#define arch_cmpxchg(ptr, o, n)							\
({										\
	__typeof__(*(ptr)) __old = (o);						\
	__atomic_compare_exchange_n((ptr), &__old, (n), false,			\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
	__old;									\
})

#define arch_cmpxchg_local	arch_cmpxchg
#define arch_cmpxchg64		arch_cmpxchg
#define arch_cmpxchg64_local	arch_cmpxchg

#endif
