// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU stall detector: sysfs.  On the device: timeout_sec, clock_freq_hz
 * and stall_action (read-write, validated like the netlink family), the
 * pause knobs paused, pause_remaining_ms and pause_source, and cpus/cpuN/
 * with one read-only status value per file.  The ABI is in
 * kernel/ABI/sysfs-driver-vcpu-stall-detector.
 */

#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "vsd.h"

static ssize_t timeout_sec_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vsd_config cfg;

	vsd_get_config(dev_get_drvdata(dev), &cfg);
	return sysfs_emit(buf, "%u\n", cfg.timeout_sec);
}

static ssize_t clock_freq_hz_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct vsd_config cfg;

	vsd_get_config(dev_get_drvdata(dev), &cfg);
	return sysfs_emit(buf, "%u\n", cfg.clock_freq_hz);
}

static ssize_t stall_action_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vsd_config cfg;

	vsd_get_config(dev_get_drvdata(dev), &cfg);
	return sysfs_emit(buf, "%s\n", vsd_action_name(cfg.action));
}

/*
 * Change one field; the same checks as netlink, all or nothing, merged
 * with the others under the configuration lock (vsd_set_config()).
 */
static ssize_t vsd_store(struct device *dev, const char *buf, size_t len,
			 unsigned int field)
{
	struct vsd_config cfg = {};
	u32 val;
	int ret;

	ret = kstrtou32(buf, 0, &val);
	if (ret)
		return ret;
	if (field == VSD_CONFIG_TIMEOUT)
		cfg.timeout_sec = val;
	else
		cfg.clock_freq_hz = val;
	ret = vsd_set_config(dev_get_drvdata(dev), &cfg, field, NULL);
	return ret ? -EINVAL : len;
}

static ssize_t timeout_sec_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t len)
{
	return vsd_store(dev, buf, len, VSD_CONFIG_TIMEOUT);
}

static ssize_t clock_freq_hz_store(struct device *dev,
				   struct device_attribute *attr,
				   const char *buf, size_t len)
{
	return vsd_store(dev, buf, len, VSD_CONFIG_CLOCK);
}

static ssize_t stall_action_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct vsd_config cfg = {};

	for (cfg.action = 0; cfg.action <= VCPU_STALL_ACTION_NOTIFY; cfg.action++)
		if (sysfs_streq(buf, vsd_action_name(cfg.action)))
			break;
	if (cfg.action > VCPU_STALL_ACTION_NOTIFY)
		return -EINVAL;
	return vsd_set_config(dev_get_drvdata(dev), &cfg, VSD_CONFIG_ACTION,
			      NULL) ? -EINVAL : len;
}

static ssize_t paused_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vsd_pause_info info;

	vsd_get_pause(dev_get_drvdata(dev), &info);
	return sysfs_emit(buf, "%d\n", info.paused);
}

/* 1 pauses without a deadline, 0 resumes. */
static ssize_t paused_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct vsd *vsd = dev_get_drvdata(dev);
	bool pause;
	int ret;

	ret = kstrtobool(buf, &pause);
	if (ret)
		return ret;
	if (!pause) {
		vsd_resume(vsd);
		return len;
	}
	ret = vsd_pause(vsd, VCPU_STALL_PAUSE_SOURCE_SYSFS, 0, NULL);
	return ret ?: len;
}

static ssize_t pause_remaining_ms_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	struct vsd_pause_info info;

	vsd_get_pause(dev_get_drvdata(dev), &info);
	return sysfs_emit(buf, "%lld\n", max(info.remaining_ms, 0LL));
}

/* N pauses for N ms, 1..VCPU_STALL_PAUSE_MAX_MS. */
static ssize_t pause_remaining_ms_store(struct device *dev,
					struct device_attribute *attr,
					const char *buf, size_t len)
{
	u32 ms;
	int ret;

	ret = kstrtou32(buf, 0, &ms);
	if (ret)
		return ret;
	if (!ms || ms > VCPU_STALL_PAUSE_MAX_MS)
		return -ERANGE;
	ret = vsd_pause(dev_get_drvdata(dev), VCPU_STALL_PAUSE_SOURCE_SYSFS, ms,
			NULL);
	return ret ?: len;
}

static ssize_t pause_source_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct vsd_pause_info info;

	vsd_get_pause(dev_get_drvdata(dev), &info);
	return sysfs_emit(buf, "%s\n", info.paused ?
			  vsd_pause_source_name(info.source) : "none");
}

static DEVICE_ATTR_RW(timeout_sec);
static DEVICE_ATTR_RW(clock_freq_hz);
static DEVICE_ATTR_RW(stall_action);
static DEVICE_ATTR_RW(paused);
static DEVICE_ATTR_RW(pause_remaining_ms);
static DEVICE_ATTR_RO(pause_source);

static struct attribute *vsd_attrs[] = {
	&dev_attr_timeout_sec.attr,
	&dev_attr_clock_freq_hz.attr,
	&dev_attr_stall_action.attr,
	&dev_attr_paused.attr,
	&dev_attr_pause_remaining_ms.attr,
	&dev_attr_pause_source.attr,
	NULL
};

static const struct attribute_group vsd_group = {
	.attrs = vsd_attrs,
};

const struct attribute_group *vsd_groups[] = {
	&vsd_group,
	NULL
};

/* cpus/cpuN/: the directory's name gives the CPU, its grandparent the device. */
struct vsd_cpu_dir {
	struct kobject kobj;
	struct vsd *vsd;
	unsigned int cpu;
};

static void vsd_cpu_dir_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct vsd_cpu_dir, kobj));
}

enum vsd_stat { STAT_ONLINE, STAT_ENABLED, STAT_PETS, STAT_LAST_PET_NS,
		STAT_MAX_LATENESS_NS, STAT_COUNT, STAT_STALLS };

struct vsd_stat_attr {
	struct attribute attr;
	enum vsd_stat stat;
};

static ssize_t vsd_stat_show(struct kobject *kobj, struct attribute *attr,
			     char *buf)
{
	struct vsd_cpu_dir *d = container_of(kobj, struct vsd_cpu_dir, kobj);
	struct vsd_stat_attr *sa = container_of(attr, struct vsd_stat_attr, attr);
	struct vsd_cpu *vc = per_cpu_ptr(d->vsd->cpus, d->cpu);
	s64 age;

	switch (sa->stat) {
	case STAT_ONLINE:
		return sysfs_emit(buf, "%d\n", cpu_online(d->cpu));
	case STAT_ENABLED:
		return sysfs_emit(buf, "%d\n", READ_ONCE(vc->enabled));
	case STAT_PETS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(vc->pets));
	case STAT_LAST_PET_NS:
		age = ktime_to_ns(ktime_sub(ktime_get(), READ_ONCE(vc->last_pet)));
		return sysfs_emit(buf, "%lld\n", max(age, 0LL));
	case STAT_MAX_LATENESS_NS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(vc->max_lateness_ns));
	case STAT_COUNT:
		return sysfs_emit(buf, "%u\n", vsd_read_count(d->vsd, d->cpu));
	case STAT_STALLS:
		return sysfs_emit(buf, "%llu\n", READ_ONCE(vc->stalls));
	}
	return -EINVAL;
}

#define VSD_STAT(_name, _stat) \
	static struct vsd_stat_attr vsd_stat_##_name = { \
		.attr = { .name = __stringify(_name), .mode = 0444 }, \
		.stat = _stat, \
	}

VSD_STAT(online, STAT_ONLINE);
VSD_STAT(enabled, STAT_ENABLED);
VSD_STAT(pets, STAT_PETS);
VSD_STAT(last_pet_ns, STAT_LAST_PET_NS);
VSD_STAT(max_lateness_ns, STAT_MAX_LATENESS_NS);
VSD_STAT(count, STAT_COUNT);
VSD_STAT(stalls, STAT_STALLS);

static struct attribute *vsd_stat_attrs[] = {
	&vsd_stat_online.attr,
	&vsd_stat_enabled.attr,
	&vsd_stat_pets.attr,
	&vsd_stat_last_pet_ns.attr,
	&vsd_stat_max_lateness_ns.attr,
	&vsd_stat_count.attr,
	&vsd_stat_stalls.attr,
	NULL
};
ATTRIBUTE_GROUPS(vsd_stat);

static const struct sysfs_ops vsd_stat_ops = {
	.show = vsd_stat_show,
};

static const struct kobj_type vsd_cpu_ktype = {
	.release = vsd_cpu_dir_release,
	.sysfs_ops = &vsd_stat_ops,
	.default_groups = vsd_stat_groups,
};

int vsd_sysfs_add_cpus(struct vsd *vsd)
{
	unsigned int cpu;
	int ret;

	vsd->cpus_kobj = kobject_create_and_add("cpus", &vsd->dev->kobj);
	if (!vsd->cpus_kobj)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct vsd_cpu_dir *d = kzalloc(sizeof(*d), GFP_KERNEL);

		if (!d) {
			ret = -ENOMEM;
			goto err;
		}
		d->vsd = vsd;
		d->cpu = cpu;
		ret = kobject_init_and_add(&d->kobj, &vsd_cpu_ktype,
					   vsd->cpus_kobj, "cpu%u", cpu);
		if (ret) {
			kobject_put(&d->kobj);
			goto err;
		}
		per_cpu_ptr(vsd->cpus, cpu)->dir = &d->kobj;
	}
	return 0;

err:
	vsd_sysfs_remove_cpus(vsd);
	return ret;
}

/* Drops every cpuN directory, then cpus/ itself. */
void vsd_sysfs_remove_cpus(struct vsd *vsd)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);

		kobject_put(vc->dir);
		vc->dir = NULL;
	}
	kobject_put(vsd->cpus_kobj);
	vsd->cpus_kobj = NULL;
}
