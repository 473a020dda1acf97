// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vcpu-stall.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "vsd_nl_gen.h"

#include <uapi/linux/vcpu_stall_detector.h>

/* Integer value ranges */
static const struct netlink_range_validation vcpu_stall_a_config_clock_hz_range = {
	.min	= 1ULL,
	.max	= 1000000ULL,
};

static const struct netlink_range_validation vcpu_stall_a_pause_duration_ms_range = {
	.min	= 1ULL,
	.max	= 86400000ULL,
};

/* VCPU_STALL_CMD_CPU_GET - do */
static const struct nla_policy vcpu_stall_cpu_get_nl_policy[VCPU_STALL_A_CPU_ID + 1] = {
	[VCPU_STALL_A_CPU_ID] = { .type = NLA_U32, },
};

/* VCPU_STALL_CMD_CONFIG_SET - do */
static const struct nla_policy vcpu_stall_config_set_nl_policy[VCPU_STALL_A_CONFIG_ACTION + 1] = {
	[VCPU_STALL_A_CONFIG_TIMEOUT_SEC] = NLA_POLICY_RANGE(NLA_U32, 1, 3600),
	[VCPU_STALL_A_CONFIG_CLOCK_HZ] = NLA_POLICY_FULL_RANGE(NLA_U32, &vcpu_stall_a_config_clock_hz_range),
	[VCPU_STALL_A_CONFIG_ACTION] = NLA_POLICY_MAX(NLA_U32, 2),
};

/* VCPU_STALL_CMD_PAUSE - do */
static const struct nla_policy vcpu_stall_pause_nl_policy[VCPU_STALL_A_PAUSE_DURATION_MS + 1] = {
	[VCPU_STALL_A_PAUSE_DURATION_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vcpu_stall_a_pause_duration_ms_range),
};

/* Ops table for vcpu_stall */
static const struct genl_split_ops vcpu_stall_nl_ops[] = {
	{
		.cmd		= VCPU_STALL_CMD_CPU_GET,
		.doit		= vcpu_stall_nl_cpu_get_doit,
		.policy		= vcpu_stall_cpu_get_nl_policy,
		.maxattr	= VCPU_STALL_A_CPU_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VCPU_STALL_CMD_CPU_GET,
		.dumpit	= vcpu_stall_nl_cpu_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= VCPU_STALL_CMD_CONFIG_GET,
		.doit	= vcpu_stall_nl_config_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VCPU_STALL_CMD_CONFIG_SET,
		.doit		= vcpu_stall_nl_config_set_doit,
		.policy		= vcpu_stall_config_set_nl_policy,
		.maxattr	= VCPU_STALL_A_CONFIG_ACTION,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VCPU_STALL_CMD_PAUSE_GET,
		.doit	= vcpu_stall_nl_pause_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= VCPU_STALL_CMD_PAUSE,
		.doit		= vcpu_stall_nl_pause_doit,
		.policy		= vcpu_stall_pause_nl_policy,
		.maxattr	= VCPU_STALL_A_PAUSE_DURATION_MS,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VCPU_STALL_CMD_RESUME,
		.doit	= vcpu_stall_nl_resume_doit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group vcpu_stall_nl_mcgrps[] = {
	[VCPU_STALL_NLGRP_EVENTS] = { "events", },
};

struct genl_family vcpu_stall_nl_family __ro_after_init = {
	.name		= VCPU_STALL_FAMILY_NAME,
	.version	= VCPU_STALL_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= vcpu_stall_nl_ops,
	.n_split_ops	= ARRAY_SIZE(vcpu_stall_nl_ops),
	.mcgrps		= vcpu_stall_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vcpu_stall_nl_mcgrps),
};
