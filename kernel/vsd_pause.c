// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU stall detector: pause and resume.
 *
 * Around a migration, a snapshot, a debugger stop or system sleep the guest
 * stands the detector down: every bank is disabled and no CPU is petted, so
 * the host sees no stall however long the guest does not run.  A request may
 * carry a deadline, after which the driver resumes by itself, so a hook that
 * fails halfway cannot leave the guest unprotected.  System sleep pauses
 * and resumes on its own account, independently of requests.
 */

#include <linux/cpu.h>
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/netlink.h>
#include <linux/pm.h>
#include <linux/stringify.h>
#include <linux/workqueue.h>

#include "vsd.h"

static const char * const vsd_pause_sources[] = {
	[VCPU_STALL_PAUSE_SOURCE_NETLINK] = "netlink",
	[VCPU_STALL_PAUSE_SOURCE_SYSFS] = "sysfs",
	[VCPU_STALL_PAUSE_SOURCE_SUSPEND] = "suspend",
};

static const char * const vsd_pause_reasons[] = {
	[VCPU_STALL_PAUSE_REASON_REQUEST] = "request",
	[VCPU_STALL_PAUSE_REASON_DEADLINE] = "deadline",
	[VCPU_STALL_PAUSE_REASON_SUSPEND] = "suspend",
};

const char *vsd_pause_source_name(u32 source)
{
	return source < ARRAY_SIZE(vsd_pause_sources) ?
	       vsd_pause_sources[source] : "unknown";
}

/* With config_lock held: the state as status and events report it. */
static void vsd_pause_snapshot(struct vsd *vsd, u32 reason,
			       struct vsd_pause_info *info)
{
	const struct vsd_pause *p = &vsd->pause;

	info->paused = vsd->paused;
	info->reason = reason;
	info->source = p->suspended ? VCPU_STALL_PAUSE_SOURCE_SUSPEND :
		       p->source;
	info->remaining_ms = -1;
	if (p->requested && p->deadline && !p->suspended) {
		s64 left = ktime_to_ns(ktime_sub(p->deadline, ktime_get()));

		/* Round up: a deadline not yet reached has time left. */
		info->remaining_ms = left > 0 ?
				     div_u64(left + NSEC_PER_MSEC - 1, NSEC_PER_MSEC) : 0;
	}
}

/*
 * With config_lock held: make the CPUs follow @vsd->pause.  Return true when
 * the detector paused or resumed, filling @info for the event.
 */
static bool vsd_pause_apply(struct vsd *vsd, u32 reason,
			    struct vsd_pause_info *info)
{
	bool paused = vsd->pause.requested || vsd->pause.suspended;

	lockdep_assert_held(&vsd->config_lock);
	if (paused == vsd->paused)
		return false;
	cpus_read_lock();
	WRITE_ONCE(vsd->paused, paused);
	vsd_sync_cpus(vsd);
	cpus_read_unlock();
	vsd_pause_snapshot(vsd, reason, info);
	return true;
}

/* Process context, without config_lock: tell userspace. */
static void vsd_pause_notify(struct vsd *vsd, const struct vsd_pause_info *info)
{
	char event[32], why[40], who[40];
	char *envp[4];

	snprintf(event, sizeof(event), "VCPU_STALL_EVENT=%s",
		 info->paused ? "paused" : "resumed");
	snprintf(why, sizeof(why), "VCPU_STALL_REASON=%s",
		 vsd_pause_reasons[info->reason]);
	snprintf(who, sizeof(who), "VCPU_STALL_SOURCE=%s",
		 vsd_pause_source_name(info->source));
	envp[0] = event;
	envp[1] = why;
	/* Who paused means something only while paused. */
	envp[2] = info->paused ? who : NULL;
	envp[3] = NULL;
	kobject_uevent_env(&vsd->dev->kobj, KOBJ_CHANGE, envp);
	vsd_nl_notify_pause(info);
}

/* Process context: the deadline of the pause request may have passed. */
static void vsd_deadline_work(struct work_struct *work)
{
	struct vsd *vsd = container_of(to_delayed_work(work), struct vsd,
				       deadline_work);
	struct vsd_pause *p = &vsd->pause;
	struct vsd_pause_info info;
	bool changed = false;
	s64 left;

	mutex_lock(&vsd->config_lock);
	/* A resume or a new request since it was queued wins. */
	if (!p->requested || !p->deadline)
		goto out;
	left = ktime_to_ns(ktime_sub(p->deadline, ktime_get()));
	if (left > 0) {
		/* Jiffies and the monotonic clock may disagree slightly. */
		mod_delayed_work(system_wq, &vsd->deadline_work,
				 nsecs_to_jiffies(left) + 1);
		goto out;
	}
	p->requested = false;
	p->deadline = 0;
	changed = vsd_pause_apply(vsd, VCPU_STALL_PAUSE_REASON_DEADLINE, &info);
out:
	mutex_unlock(&vsd->config_lock);
	if (changed)
		vsd_pause_notify(vsd, &info);
}

/**
 * vsd_pause() - stand the detector down on request
 * @vsd: the device
 * @source: who asks (VCPU_STALL_PAUSE_SOURCE_NETLINK or _SYSFS)
 * @duration_ms: resume by itself after this long; 0 for no deadline
 * @extack: where to explain a rejection, or NULL
 *
 * Process context.  Pausing a paused detector replaces the source and the
 * deadline (a pause without one removes it), and reports the new state.
 *
 * Return: 0, or -ERANGE for a deadline beyond VCPU_STALL_PAUSE_MAX_MS.
 */
int vsd_pause(struct vsd *vsd, u32 source, u32 duration_ms,
	      struct netlink_ext_ack *extack)
{
	struct vsd_pause *p = &vsd->pause;
	struct vsd_pause_info info;
	ktime_t deadline = 0;
	bool changed;

	if (duration_ms > VCPU_STALL_PAUSE_MAX_MS) {
		NL_SET_ERR_MSG_MOD(extack, "pause longer than "
				   __stringify(VCPU_STALL_PAUSE_MAX_MS) " ms");
		return -ERANGE;
	}
	if (duration_ms)
		deadline = ktime_add_ms(ktime_get(), duration_ms);

	mutex_lock(&vsd->config_lock);
	changed = !p->requested || p->source != source || p->deadline != deadline;
	p->requested = true;
	p->source = source;
	p->deadline = deadline;
	if (deadline)
		mod_delayed_work(system_wq, &vsd->deadline_work,
				 msecs_to_jiffies(duration_ms));
	else
		cancel_delayed_work(&vsd->deadline_work);
	if (!vsd_pause_apply(vsd, VCPU_STALL_PAUSE_REASON_REQUEST, &info))
		vsd_pause_snapshot(vsd, VCPU_STALL_PAUSE_REASON_REQUEST, &info);
	mutex_unlock(&vsd->config_lock);

	if (changed)
		vsd_pause_notify(vsd, &info);
	return 0;
}

/**
 * vsd_resume() - end a pause request
 * @vsd: the device
 *
 * Process context.  Every online CPU reloads its count and is petted again,
 * unless the system is going to sleep.  Without a pause request in force,
 * nothing happens.
 */
void vsd_resume(struct vsd *vsd)
{
	struct vsd_pause *p = &vsd->pause;
	struct vsd_pause_info info;
	bool changed = false;

	mutex_lock(&vsd->config_lock);
	if (p->requested) {
		p->requested = false;
		p->deadline = 0;
		/* Not _sync: the work takes config_lock; it finds no request. */
		cancel_delayed_work(&vsd->deadline_work);
		changed = vsd_pause_apply(vsd, VCPU_STALL_PAUSE_REASON_REQUEST,
					  &info);
	}
	mutex_unlock(&vsd->config_lock);
	if (changed)
		vsd_pause_notify(vsd, &info);
}

void vsd_get_pause(struct vsd *vsd, struct vsd_pause_info *info)
{
	mutex_lock(&vsd->config_lock);
	vsd_pause_snapshot(vsd, VCPU_STALL_PAUSE_REASON_REQUEST, info);
	mutex_unlock(&vsd->config_lock);
}

/* System sleep, process context: pause for it, whatever requests say. */
static void vsd_set_suspended(struct vsd *vsd, bool suspended)
{
	struct vsd_pause_info info;
	bool changed;

	mutex_lock(&vsd->config_lock);
	vsd->pause.suspended = suspended;
	changed = vsd_pause_apply(vsd, VCPU_STALL_PAUSE_REASON_SUSPEND, &info);
	mutex_unlock(&vsd->config_lock);
	if (changed)
		vsd_pause_notify(vsd, &info);
}

static int vsd_suspend(struct device *dev)
{
	vsd_set_suspended(dev_get_drvdata(dev), true);
	return 0;
}

static int vsd_resume_from_sleep(struct device *dev)
{
	vsd_set_suspended(dev_get_drvdata(dev), false);
	return 0;
}

DEFINE_SIMPLE_DEV_PM_OPS(vsd_pm_ops, vsd_suspend, vsd_resume_from_sleep);

void vsd_pause_init(struct vsd *vsd)
{
	INIT_DELAYED_WORK(&vsd->deadline_work, vsd_deadline_work);
}

/* Removal, once no request can reach the device: no deadline runs after. */
void vsd_pause_exit(struct vsd *vsd)
{
	cancel_delayed_work_sync(&vsd->deadline_work);
}
