/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_ATOMIC_H
#define _ASM_LKL_ATOMIC_H

/*
 * Atomics from the compiler's builtins, for int and 64-bit counters alike:
 * the host may be any 64-bit architecture, and the kernel's data is also
 * read by host threads outside it.
 */
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/cmpxchg.h>

#define LKL_ATOMIC_OPS(pfx, atype, type, op)						\
static __always_inline void pfx##_##op(type i, atype *v)			\
{										\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_RELAXED);			\
}										\
static __always_inline type pfx##_fetch_##op(type i, atype *v)		\
{										\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);		\
}										\
static __always_inline type pfx##_fetch_##op##_relaxed(type i, atype *v)	\
{										\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_RELAXED);		\
}

#define LKL_ATOMIC_RETURN_OPS(pfx, atype, type, op)					\
static __always_inline type pfx##_##op##_return(type i, atype *v)		\
{										\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);		\
}										\
static __always_inline type pfx##_##op##_return_relaxed(type i, atype *v)	\
{										\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_RELAXED);		\
}

#define LKL_ATOMIC_TYPE(pfx, atype, type)						\
static __always_inline type pfx##_read(const atype *v)			\
{										\
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);			\
}										\
static __always_inline void pfx##_set(atype *v, type i)			\
{										\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);			\
}										\
static __always_inline type pfx##_xchg(atype *v, type i)			\
{										\
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);		\
}										\
static __always_inline type pfx##_cmpxchg(atype *v, type old, type new)	\
{										\
	__atomic_compare_exchange_n(&v->counter, &old, new, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
	return old;								\
}										\
LKL_ATOMIC_OPS(pfx, atype, type, add)							\
LKL_ATOMIC_OPS(pfx, atype, type, sub)							\
LKL_ATOMIC_OPS(pfx, atype, type, and)							\
LKL_ATOMIC_OPS(pfx, atype, type, or)							\
LKL_ATOMIC_OPS(pfx, atype, type, xor)							\
LKL_ATOMIC_RETURN_OPS(pfx, atype, type, add)						\
LKL_ATOMIC_RETURN_OPS(pfx, atype, type, sub)

#define ATOMIC64_INIT(i) { (i) }

LKL_ATOMIC_TYPE(arch_atomic, atomic_t, int)
LKL_ATOMIC_TYPE(arch_atomic64, atomic64_t, s64)

#define arch_atomic_read		arch_atomic_read
#define arch_atomic_set			arch_atomic_set
#define arch_atomic_xchg		arch_atomic_xchg
#define arch_atomic_cmpxchg		arch_atomic_cmpxchg
#define arch_atomic_add			arch_atomic_add
#define arch_atomic_sub			arch_atomic_sub
#define arch_atomic_and			arch_atomic_and
#define arch_atomic_or			arch_atomic_or
#define arch_atomic_xor			arch_atomic_xor
#define arch_atomic_fetch_add		arch_atomic_fetch_add
#define arch_atomic_fetch_sub		arch_atomic_fetch_sub
#define arch_atomic_fetch_and		arch_atomic_fetch_and
#define arch_atomic_fetch_or		arch_atomic_fetch_or
#define arch_atomic_fetch_xor		arch_atomic_fetch_xor
#define arch_atomic_fetch_add_relaxed	arch_atomic_fetch_add_relaxed
#define arch_atomic_fetch_sub_relaxed	arch_atomic_fetch_sub_relaxed
#define arch_atomic_fetch_and_relaxed	arch_atomic_fetch_and_relaxed
#define arch_atomic_fetch_or_relaxed	arch_atomic_fetch_or_relaxed
#define arch_atomic_fetch_xor_relaxed	arch_atomic_fetch_xor_relaxed
#define arch_atomic_add_return		arch_atomic_add_return
#define arch_atomic_sub_return		arch_atomic_sub_return
#define arch_atomic_add_return_relaxed	arch_atomic_add_return_relaxed
#define arch_atomic_sub_return_relaxed	arch_atomic_sub_return_relaxed

#define arch_atomic64_read		arch_atomic64_read
#define arch_atomic64_set		arch_atomic64_set
#define arch_atomic64_xchg		arch_atomic64_xchg
#define arch_atomic64_cmpxchg		arch_atomic64_cmpxchg
#define arch_atomic64_add		arch_atomic64_add
#define arch_atomic64_sub		arch_atomic64_sub
#define arch_atomic64_and		arch_atomic64_and
#define arch_atomic64_or		arch_atomic64_or
#define arch_atomic64_xor		arch_atomic64_xor
#define arch_atomic64_fetch_add		arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub		arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and		arch_atomic64_fetch_and
#define arch_atomic64_fetch_or		arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor		arch_atomic64_fetch_xor
#define arch_atomic64_fetch_add_relaxed	arch_atomic64_fetch_add_relaxed
#define arch_atomic64_fetch_sub_relaxed	arch_atomic64_fetch_sub_relaxed
#define arch_atomic64_fetch_and_relaxed	arch_atomic64_fetch_and_relaxed
#define arch_atomic64_fetch_or_relaxed	arch_atomic64_fetch_or_relaxed
#define arch_atomic64_fetch_xor_relaxed	arch_atomic64_fetch_xor_relaxed
#define arch_atomic64_add_return	arch_atomic64_add_return
#define arch_atomic64_sub_return	arch_atomic64_sub_return
#define arch_atomic64_add_return_relaxed arch_atomic64_add_return_relaxed
#define arch_atomic64_sub_return_relaxed arch_atomic64_sub_return_relaxed

#endif
