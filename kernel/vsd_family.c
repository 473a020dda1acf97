// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "vcpu-stall" family's policies and op table: generated from the YNL
 * spec on kernels with split ops (6.2+), hand-made below for older ones.
 */

#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)

#include "vsd_nl_gen.c"

#else /* Before 6.2: one genl_ops per command; keep in step with the spec. */

#include "vsd_nl_gen.h"

static const struct nla_policy vsd_cpu_get_policy[VCPU_STALL_A_CPU_ID + 1] = {
	[VCPU_STALL_A_CPU_ID] = { .type = NLA_U32, },
};

static const struct nla_policy
vsd_config_set_policy[VCPU_STALL_A_CONFIG_ACTION + 1] = {
	[VCPU_STALL_A_CONFIG_TIMEOUT_SEC] =
		NLA_POLICY_RANGE(NLA_U32, VCPU_STALL_TIMEOUT_MIN,
				 VCPU_STALL_TIMEOUT_MAX),
	[VCPU_STALL_A_CONFIG_CLOCK_HZ] = { .type = NLA_U32, },
	[VCPU_STALL_A_CONFIG_ACTION] =
		NLA_POLICY_MAX(NLA_U32, VCPU_STALL_ACTION_NOTIFY),
};

/*
 * NLA_POLICY_RANGE() bounds are s16: a wider range needs its own table,
 * which these kernels' nla_policy points to without const.
 */
static struct netlink_range_validation vsd_pause_duration_range = {
	.min = 1,
	.max = VCPU_STALL_PAUSE_MAX_MS,
};

static const struct nla_policy
vsd_pause_policy[VCPU_STALL_A_PAUSE_DURATION_MS + 1] = {
	[VCPU_STALL_A_PAUSE_DURATION_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &vsd_pause_duration_range),
};

static const struct genl_ops vsd_ops[] = {
	{
		.cmd = VCPU_STALL_CMD_CPU_GET,
		.doit = vcpu_stall_nl_cpu_get_doit,
		.dumpit = vcpu_stall_nl_cpu_get_dumpit,
		.policy = vsd_cpu_get_policy,
		.maxattr = VCPU_STALL_A_CPU_ID,
	},
	{
		.cmd = VCPU_STALL_CMD_CONFIG_GET,
		.doit = vcpu_stall_nl_config_get_doit,
	},
	{
		.cmd = VCPU_STALL_CMD_CONFIG_SET,
		.doit = vcpu_stall_nl_config_set_doit,
		.policy = vsd_config_set_policy,
		.maxattr = VCPU_STALL_A_CONFIG_ACTION,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VCPU_STALL_CMD_PAUSE_GET,
		.doit = vcpu_stall_nl_pause_get_doit,
	},
	{
		.cmd = VCPU_STALL_CMD_PAUSE,
		.doit = vcpu_stall_nl_pause_doit,
		.policy = vsd_pause_policy,
		.maxattr = VCPU_STALL_A_PAUSE_DURATION_MS,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VCPU_STALL_CMD_RESUME,
		.doit = vcpu_stall_nl_resume_doit,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group vsd_mcgrps[] = {
	[VCPU_STALL_NLGRP_EVENTS] = { VCPU_STALL_MCGRP_EVENTS, },
};

struct genl_family vcpu_stall_nl_family __ro_after_init = {
	.name = VCPU_STALL_FAMILY_NAME,
	.version = VCPU_STALL_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = vsd_ops,
	.n_ops = ARRAY_SIZE(vsd_ops),
	.mcgrps = vsd_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vsd_mcgrps),
};

#endif
