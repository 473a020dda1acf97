/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel API differences across the kernels we build for (6.1 .. 7.x),
 * kept in one place so the driver reads like upstream code.  Wrappers carry
 * a vsd_ prefix so that a stable backport of an API cannot collide.
 */
#ifndef _VSD_COMPAT_H
#define _VSD_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/version.h>

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

#endif /* _VSD_COMPAT_H */
