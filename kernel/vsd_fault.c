// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU stall detector: fault injection (CONFIG_FAULT_INJECTION), so tests
 * can take the paths no healthy machine takes.
 *
 * fail_nmi: the stall NMI's set-up on a CPU (vsd_irq.c).  Set it before
 * probe with the module parameter fail_nmi=<interval>,<probability>,<space>,<times>
 * (as failslab= takes it), or later under
 * /sys/kernel/debug/vcpu_stall_detector/fail_nmi/ (with
 * CONFIG_FAULT_INJECTION_DEBUG_FS).  See
 * Documentation/fault-injection/fault-injection.rst.
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "vsd.h"

static DECLARE_FAULT_ATTR(vsd_fail_nmi);
static char *fail_nmi;
module_param(fail_nmi, charp, 0400);
MODULE_PARM_DESC(fail_nmi,
		 "fault injection: fail the stall NMI's set-up (interval,probability,space,times)");

static struct dentry *vsd_debugfs;

/* Any context: the set-up runs in cpuhp callbacks and IPIs. */
bool vsd_should_fail_nmi(void)
{
	return should_fail(&vsd_fail_nmi, 1);
}

/* Module init.  A malformed fail_nmi is an error, not ignored. */
int vsd_fault_init(void)
{
	if (fail_nmi && !setup_fault_attr(&vsd_fail_nmi, fail_nmi)) {
		pr_err("vCPU stall detector: fail_nmi=%s: not interval,probability,space,times\n",
		       fail_nmi);
		return -EINVAL;
	}
	/* Optional, as debugfs is: without it only the parameter sets it. */
	vsd_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (!IS_ERR(vsd_debugfs))
		fault_create_debugfs_attr("fail_nmi", vsd_debugfs, &vsd_fail_nmi);
	return 0;
}

void vsd_fault_exit(void)
{
	debugfs_remove(vsd_debugfs);
}
