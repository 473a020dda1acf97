// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU stall detector: the "vcpu-stall" generic netlink family.
 *
 * The policies and the op table are generated from the YNL spec
 * (uapi/netlink/vcpu-stall.yaml) into vsd_nl_gen.c; the handlers here run
 * in process context once the policy has been checked.
 */

#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include "vsd.h"
#include "vsd_compat.h"
#include "vsd_nl_gen.h"

static int vsd_nl_fill_cpu(struct sk_buff *skb, struct vsd *vsd,
			   unsigned int cpu, u32 portid, u32 seq, int flags)
{
	struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);
	bool enabled = READ_ONCE(vc->enabled);
	s64 age = ktime_to_ns(ktime_sub(ktime_get(), READ_ONCE(vc->last_pet)));
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vcpu_stall_nl_family, flags,
			  VCPU_STALL_CMD_CPU_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VCPU_STALL_A_CPU_ID, cpu) ||
	    nla_put_u8(skb, VCPU_STALL_A_CPU_ONLINE, cpu_online(cpu)) ||
	    nla_put_u8(skb, VCPU_STALL_A_CPU_ENABLED, enabled) ||
	    vsd_nla_put_uint(skb, VCPU_STALL_A_CPU_PETS, READ_ONCE(vc->pets)) ||
	    vsd_nla_put_uint(skb, VCPU_STALL_A_CPU_MAX_LATENESS_NS,
			     READ_ONCE(vc->max_lateness_ns)) ||
	    vsd_nla_put_uint(skb, VCPU_STALL_A_CPU_STALLS,
			     READ_ONCE(vc->stalls)) ||
	    nla_put_u32(skb, VCPU_STALL_A_CPU_COUNT, vsd_read_count(vsd, cpu)))
		goto cancel;
	/* Time since the last pet means something only while petting. */
	if (enabled &&
	    vsd_nla_put_uint(skb, VCPU_STALL_A_CPU_LAST_PET_NS, max(age, 0LL)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static struct vsd *vsd_nl_get(struct netlink_ext_ack *extack)
{
	struct vsd *vsd = vsd_get();

	if (!vsd)
		NL_SET_ERR_MSG_MOD(extack, "no stall detector device is bound");
	return vsd;
}

typedef int (*vsd_nl_fill_fn)(struct sk_buff *msg, struct vsd *vsd, u32 arg,
			      struct genl_info *info);

/* Answer @info with one message that @fill builds with the device held. */
static int vsd_nl_reply(struct genl_info *info, vsd_nl_fill_fn fill, u32 arg)
{
	struct sk_buff *msg;
	struct vsd *vsd;
	int ret;

	vsd = vsd_nl_get(info->extack);
	if (!vsd)
		return -ENODEV;
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	ret = msg ? fill(msg, vsd, arg, info) : -ENOMEM;
	vsd_put();
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int vsd_nl_reply_cpu(struct sk_buff *msg, struct vsd *vsd, u32 cpu,
			    struct genl_info *info)
{
	return vsd_nl_fill_cpu(msg, vsd, cpu, info->snd_portid, info->snd_seq, 0);
}

int vcpu_stall_nl_cpu_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id = info->attrs[VCPU_STALL_A_CPU_ID];
	u32 cpu;

	if (!id) {
		NL_SET_ERR_MSG_MOD(info->extack, "CPU id missing");
		return -EINVAL;
	}
	cpu = nla_get_u32(id);
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu)) {
		NL_SET_ERR_MSG_ATTR(info->extack, id, "no such CPU");
		return -ENOENT;
	}
	return vsd_nl_reply(info, vsd_nl_reply_cpu, cpu);
}

/* The cursor, the next CPU to report, lives in cb->args[0]. */
int vcpu_stall_nl_cpu_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	unsigned int start = cb->args[0], cpu;
	struct vsd *vsd;
	int ret = 0;

	vsd = vsd_nl_get(cb->extack);
	if (!vsd)
		return -ENODEV;
	for_each_possible_cpu(cpu) {
		if (cpu < start)
			continue;
		ret = vsd_nl_fill_cpu(skb, vsd, cpu,
				      NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;
	}
	vsd_put();
	cb->args[0] = cpu;
	/* A full message ends this part; the next call resumes at @cpu. */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ?: skb->len;
}

static int vsd_nl_fill_config(struct sk_buff *skb, const struct vsd_config *cfg,
			      u32 portid, u32 seq, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vcpu_stall_nl_family, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VCPU_STALL_A_CONFIG_TIMEOUT_SEC, cfg->timeout_sec) ||
	    nla_put_u32(skb, VCPU_STALL_A_CONFIG_CLOCK_HZ, cfg->clock_freq_hz) ||
	    nla_put_u32(skb, VCPU_STALL_A_CONFIG_ACTION, cfg->action)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int vsd_nl_reply_config(struct sk_buff *msg, struct vsd *vsd,
			       u32 unused, struct genl_info *info)
{
	struct vsd_config cfg;

	vsd_get_config(vsd, &cfg);
	return vsd_nl_fill_config(msg, &cfg, info->snd_portid, info->snd_seq,
				  VCPU_STALL_CMD_CONFIG_GET);
}

int vcpu_stall_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return vsd_nl_reply(info, vsd_nl_reply_config, 0);
}

int vcpu_stall_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct vsd_config cfg = {};
	unsigned int fields = 0;
	struct vsd *vsd;
	int ret;

	if (!tb[VCPU_STALL_A_CONFIG_TIMEOUT_SEC] &&
	    !tb[VCPU_STALL_A_CONFIG_CLOCK_HZ] && !tb[VCPU_STALL_A_CONFIG_ACTION]) {
		NL_SET_ERR_MSG_MOD(info->extack, "nothing to set");
		return -EINVAL;
	}
	vsd = vsd_nl_get(info->extack);
	if (!vsd)
		return -ENODEV;
	if (tb[VCPU_STALL_A_CONFIG_TIMEOUT_SEC]) {
		cfg.timeout_sec = nla_get_u32(tb[VCPU_STALL_A_CONFIG_TIMEOUT_SEC]);
		fields |= VSD_CONFIG_TIMEOUT;
	}
	if (tb[VCPU_STALL_A_CONFIG_CLOCK_HZ]) {
		cfg.clock_freq_hz = nla_get_u32(tb[VCPU_STALL_A_CONFIG_CLOCK_HZ]);
		fields |= VSD_CONFIG_CLOCK;
	}
	if (tb[VCPU_STALL_A_CONFIG_ACTION]) {
		cfg.action = nla_get_u32(tb[VCPU_STALL_A_CONFIG_ACTION]);
		fields |= VSD_CONFIG_ACTION;
	}
	ret = vsd_set_config(vsd, &cfg, fields, info->extack);
	vsd_put();
	return ret;
}

static int vsd_nl_fill_pause(struct sk_buff *skb,
			     const struct vsd_pause_info *info,
			     u32 portid, u32 seq, u8 cmd)
{
	bool event = cmd != VCPU_STALL_CMD_PAUSE_GET;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vcpu_stall_nl_family, 0, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if ((!event && nla_put_u8(skb, VCPU_STALL_A_PAUSE_PAUSED, info->paused)) ||
	    (event && nla_put_u32(skb, VCPU_STALL_A_PAUSE_REASON, info->reason)))
		goto cancel;
	if (info->paused &&
	    (nla_put_u32(skb, VCPU_STALL_A_PAUSE_SOURCE, info->source) ||
	     (info->remaining_ms >= 0 &&
	      vsd_nla_put_uint(skb, VCPU_STALL_A_PAUSE_REMAINING_MS,
			       info->remaining_ms))))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vsd_nl_reply_pause(struct sk_buff *msg, struct vsd *vsd,
			      u32 unused, struct genl_info *info)
{
	struct vsd_pause_info pause;

	vsd_get_pause(vsd, &pause);
	return vsd_nl_fill_pause(msg, &pause, info->snd_portid, info->snd_seq,
				 VCPU_STALL_CMD_PAUSE_GET);
}

int vcpu_stall_nl_pause_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return vsd_nl_reply(info, vsd_nl_reply_pause, 0);
}

int vcpu_stall_nl_pause_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *duration = info->attrs[VCPU_STALL_A_PAUSE_DURATION_MS];
	struct vsd *vsd;
	int ret;

	vsd = vsd_nl_get(info->extack);
	if (!vsd)
		return -ENODEV;
	ret = vsd_pause(vsd, VCPU_STALL_PAUSE_SOURCE_NETLINK,
			duration ? nla_get_u32(duration) : 0, info->extack);
	vsd_put();
	return ret;
}

int vcpu_stall_nl_resume_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vsd *vsd;

	vsd = vsd_nl_get(info->extack);
	if (!vsd)
		return -ENODEV;
	vsd_resume(vsd);
	vsd_put();
	return 0;
}

/*
 * Process context: a message for the "events" group, or NULL when memory
 * is short (events are best effort, like the uevents).
 */
static struct sk_buff *vsd_nl_event_new(void)
{
	return genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
}

/*
 * Process context: multicast @msg if filling it went well (@err 0), to
 * listeners in every network namespace.  The detector is the VM's, not a
 * namespace's: requests from any namespace see and (with CAP_NET_ADMIN in
 * the initial user namespace, GENL_ADMIN_PERM) change the one device, so
 * every namespace hears of its events too.
 */
static void vsd_nl_event_send(struct sk_buff *msg, int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	/* Before 6.12 the caller holds the RCU read lock; since, no harm. */
	rcu_read_lock();
	genlmsg_multicast_allns(&vcpu_stall_nl_family, msg, 0,
				VCPU_STALL_NLGRP_EVENTS);
	rcu_read_unlock();
}

/* Process context: a CPU event. */
void vsd_nl_notify_cpu(u32 cmd, unsigned int cpu)
{
	struct sk_buff *msg = vsd_nl_event_new();
	int err = -EMSGSIZE;
	void *hdr;

	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &vcpu_stall_nl_family, 0, cmd);
	if (hdr && !nla_put_u32(msg, VCPU_STALL_A_CPU_ID, cpu)) {
		genlmsg_end(msg, hdr);
		err = 0;
	}
	vsd_nl_event_send(msg, err);
}

/* Process context: the configuration changed. */
void vsd_nl_notify_config(struct vsd *vsd)
{
	struct sk_buff *msg = vsd_nl_event_new();
	struct vsd_config cfg;

	if (!msg)
		return;
	vsd_get_config(vsd, &cfg);
	vsd_nl_event_send(msg, vsd_nl_fill_config(msg, &cfg, 0, 0,
						  VCPU_STALL_CMD_CONFIG_NTF));
}

/* Process context: the detector paused or resumed. */
void vsd_nl_notify_pause(const struct vsd_pause_info *info)
{
	struct sk_buff *msg = vsd_nl_event_new();

	if (!msg)
		return;
	vsd_nl_event_send(msg, vsd_nl_fill_pause(msg, info, 0, 0, info->paused ?
						 VCPU_STALL_CMD_PAUSED_NTF :
						 VCPU_STALL_CMD_RESUMED_NTF));
}

int vsd_nl_init(void)
{
	return genl_register_family(&vcpu_stall_nl_family);
}

void vsd_nl_exit(void)
{
	genl_unregister_family(&vcpu_stall_nl_family);
}
