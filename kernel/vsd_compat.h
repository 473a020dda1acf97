/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel API differences across the kernels we build for (6.1 .. 7.x),
 * kept in one place so the driver reads like upstream code.  Wrappers carry
 * a vsd_ prefix so that a stable backport of an API cannot collide.  The
 * generic netlink op table for kernels without split ops is in
 * vsd_family.c, next to the generated one it stands in for.
 */
#ifndef _VSD_COMPAT_H
#define _VSD_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <net/netlink.h>

/* hrtimer_setup() replaced hrtimer_init() + ->function in 6.13. */
static inline void
vsd_hrtimer_setup(struct hrtimer *timer,
		  enum hrtimer_restart (*function)(struct hrtimer *),
		  clockid_t clock_id, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
#else
	hrtimer_setup(timer, function, clock_id, mode);
#endif
}

/*
 * kmalloc_obj() (7.0) allocates by type and returns that type's pointer;
 * before it, the same size.  The flags are always given here (7.0's default
 * them to GFP_KERNEL).
 */
#ifndef kmalloc_obj
#define kmalloc_obj(VAR_OR_TYPE, GFP) kmalloc(sizeof(VAR_OR_TYPE), GFP)
#endif

/* NLA_UINT (4 or 8 bytes, as small as the value allows) came in 6.7. */
static inline int vsd_nla_put_uint(struct sk_buff *skb, int attrtype, u64 value)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	u64 tmp64 = value;
	u32 tmp32 = value;

	if (tmp64 == tmp32)
		return nla_put_u32(skb, attrtype, tmp32);
	return nla_put(skb, attrtype, sizeof(u64), &tmp64);
#else
	return nla_put_uint(skb, attrtype, value);
#endif
}

/*
 * Per-CPU NMIs (arm64 pseudo-NMI): built in, the driver can request one;
 * as a module only where the kernel exports the API, which upstream does
 * not (Kbuild looks for it in Module.symvers and defines
 * VSD_PERCPU_NMI_EXPORTED).
 */
#if defined(CONFIG_ARM64_PSEUDO_NMI) && \
	(!defined(MODULE) || defined(VSD_PERCPU_NMI_EXPORTED))
#define VSD_HAVE_PERCPU_NMI

/*
 * request_percpu_nmi() takes the CPUs to deliver to since the per-CPU
 * interrupt affinity rework (7.x): Kbuild reads the prototype and defines
 * VSD_PERCPU_NMI_AFFINITY.  NULL means every CPU, as before.
 */
static inline int vsd_request_percpu_nmi(unsigned int irq,
					 irq_handler_t handler,
					 const char *name,
					 void __percpu *dev_id)
{
#ifdef VSD_PERCPU_NMI_AFFINITY
	return request_percpu_nmi(irq, handler, name, NULL, dev_id);
#else
	return request_percpu_nmi(irq, handler, name, dev_id);
#endif
}
#endif

/*
 * The kernel's all-CPU backtrace: built in, the driver can use it; as a
 * module only where the kernel exports it (Kbuild, as for the NMI API).
 */
#if !defined(MODULE) || defined(VSD_CPUMASK_BACKTRACE_EXPORTED)
#define VSD_HAVE_CPUMASK_BACKTRACE
#endif

#endif /* _VSD_COMPAT_H */
