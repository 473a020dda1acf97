/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vcpu-stall.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_VCPU_STALL_GEN_H
#define _LINUX_VCPU_STALL_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/vcpu_stall_detector.h>

int vcpu_stall_nl_cpu_get_doit(struct sk_buff *skb, struct genl_info *info);
int vcpu_stall_nl_cpu_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int vcpu_stall_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info);
int vcpu_stall_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info);
int vcpu_stall_nl_pause_get_doit(struct sk_buff *skb, struct genl_info *info);
int vcpu_stall_nl_pause_doit(struct sk_buff *skb, struct genl_info *info);
int vcpu_stall_nl_resume_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	VCPU_STALL_NLGRP_EVENTS,
};

extern struct genl_family vcpu_stall_nl_family;

#endif /* _LINUX_VCPU_STALL_GEN_H */
