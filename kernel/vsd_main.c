// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest driver for the virtual vCPU stall detector.
 *
 * A VMM cannot tell a vCPU that is stuck in the guest from one it did not
 * schedule, so each vCPU reloads its own countdown in the device from a
 * pinned hrtimer at half the timeout; the host notices a count that reaches
 * zero, and the device raises that vCPU's PPI so the guest can report it.
 *
 * Drop-in for drivers/misc/vcpu_stall_detector.c (same DT binding).
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/platform_device.h>
#include <linux/property.h>

#include <misc/vcpu_stall_detector.h>

#include "vsd_compat.h"

/**
 * struct vsd_cpu - per-CPU state, touched only on its own CPU
 * @timer: pinned hrtimer that reloads this CPU's count
 * @vsd: the device this CPU belongs to
 */
struct vsd_cpu {
	struct hrtimer timer;
	struct vsd *vsd;
};

/**
 * struct vsd - one stall detector device
 * @dev: the platform device
 * @base: MMIO window, one VCPU_STALL_REG_LEN bank per CPU
 * @clock_freq_hz: rate at which the device counts down
 * @timeout_sec: time a CPU may go without reloading its count
 * @irq: per-CPU stall interrupt (PPI), or 0 when the device has none
 * @cpus: per-CPU state
 * @node: cpuhp instance; online/offline callbacks start/stop each CPU
 *
 * All fields are set in probe before the cpuhp instance is added and are
 * read-only afterwards.
 */
struct vsd {
	struct device *dev;
	void __iomem *base;
	u32 clock_freq_hz;
	u32 timeout_sec;
	int irq;
	struct vsd_cpu __percpu *cpus;
	struct hlist_node node;
};

static enum cpuhp_state vsd_hp_state;

static void vsd_write(struct vsd *vsd, unsigned int cpu, u32 reg, u32 val)
{
	writel_relaxed(val, vsd->base + cpu * VCPU_STALL_REG_LEN + reg);
}

static u32 vsd_ticks(const struct vsd *vsd)
{
	return vsd->clock_freq_hz * vsd->timeout_sec;
}

/* Pet at half the timeout so one late timer does not cause a stall. */
static ktime_t vsd_pet_period(const struct vsd *vsd)
{
	return ms_to_ktime(vsd->timeout_sec * MSEC_PER_SEC / 2);
}

/* hrtimer (hardirq) context, on the CPU the timer is pinned to. */
static enum hrtimer_restart vsd_pet(struct hrtimer *timer)
{
	struct vsd_cpu *vc = container_of(timer, struct vsd_cpu, timer);
	struct vsd *vsd = vc->vsd;

	vsd_write(vsd, smp_processor_id(), VCPU_STALL_REG_LOAD_CNT,
		  vsd_ticks(vsd));
	hrtimer_forward_now(timer, vsd_pet_period(vsd));
	return HRTIMER_RESTART;
}

/*
 * Hardirq context, on the CPU that stalled: its count reached zero, so this
 * CPU ran no timer interrupt for the whole timeout.
 */
static irqreturn_t vsd_stall_irq(int irq, void *dev_id)
{
	panic("vCPU stall detector: CPU %u stalled\n", smp_processor_id());
	return IRQ_HANDLED;
}

/* cpuhp callback, runs on @cpu as it comes online (or at probe). */
static int vsd_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct vsd *vsd = hlist_entry(node, struct vsd, node);
	struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);

	vsd_write(vsd, cpu, VCPU_STALL_REG_CLOCK_FREQ_HZ, vsd->clock_freq_hz);
	vsd_write(vsd, cpu, VCPU_STALL_REG_LOAD_CNT, vsd_ticks(vsd));
	vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
	hrtimer_start(&vc->timer, vsd_pet_period(vsd), HRTIMER_MODE_REL_PINNED);
	if (vsd->irq)
		enable_percpu_irq(vsd->irq, IRQ_TYPE_NONE);
	return 0;
}

/* cpuhp callback, runs on @cpu as it goes offline (or at removal). */
static int vsd_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct vsd *vsd = hlist_entry(node, struct vsd, node);
	struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);

	if (vsd->irq)
		disable_percpu_irq(vsd->irq);
	hrtimer_cancel(&vc->timer);
	vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, 0);
	return 0;
}

static void vsd_remove_instance(void *data)
{
	struct vsd *vsd = data;

	/* Stops every online CPU; offline ones were stopped going down. */
	cpuhp_state_remove_instance(vsd_hp_state, &vsd->node);
}

static void vsd_free_irq(void *data)
{
	struct vsd *vsd = data;

	free_percpu_irq(vsd->irq, vsd->cpus);
}

static int vsd_read_config(struct vsd *vsd)
{
	struct device *dev = vsd->dev;

	if (device_property_read_u32(dev, "clock-frequency",
				     &vsd->clock_freq_hz))
		vsd->clock_freq_hz = VCPU_STALL_DEFAULT_CLOCK_HZ;
	if (device_property_read_u32(dev, "timeout-sec", &vsd->timeout_sec))
		vsd->timeout_sec = VCPU_STALL_DEFAULT_TIMEOUT_SEC;

	if (!vsd->clock_freq_hz || vsd->timeout_sec < 1)
		return dev_err_probe(dev, -EINVAL,
				     "clock-frequency and timeout-sec must be non-zero\n");
	/* The count is a 32-bit register. */
	if ((u64)vsd->clock_freq_hz * vsd->timeout_sec > U32_MAX)
		return dev_err_probe(dev, -EINVAL,
				     "clock-frequency %u Hz * timeout-sec %u s overflows the counter\n",
				     vsd->clock_freq_hz, vsd->timeout_sec);
	return 0;
}

static int vsd_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct resource *res;
	unsigned int cpu;
	struct vsd *vsd;
	int ret;

	vsd = devm_kzalloc(dev, sizeof(*vsd), GFP_KERNEL);
	if (!vsd)
		return -ENOMEM;
	vsd->dev = dev;

	vsd->base = devm_platform_get_and_ioremap_resource(pdev, 0, &res);
	if (IS_ERR(vsd->base))
		return PTR_ERR(vsd->base);
	if (resource_size(res) < (resource_size_t)nr_cpu_ids * VCPU_STALL_REG_LEN)
		return dev_err_probe(dev, -EINVAL,
				     "%pR holds fewer banks than the %u possible CPUs\n",
				     res, nr_cpu_ids);

	ret = vsd_read_config(vsd);
	if (ret)
		return ret;

	vsd->cpus = devm_alloc_percpu(dev, struct vsd_cpu);
	if (!vsd->cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);

		vc->vsd = vsd;
		vsd_hrtimer_setup(&vc->timer, vsd_pet, CLOCK_MONOTONIC,
				  HRTIMER_MODE_REL_PINNED);
		/* A bank left enabled (kexec, an earlier driver) must not fire. */
		vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, 0);
	}

	/* Older descriptions have no interrupt: the host alone then acts. */
	ret = platform_get_irq_optional(pdev, 0);
	if (ret > 0) {
		vsd->irq = ret;
		ret = request_percpu_irq(vsd->irq, vsd_stall_irq, KBUILD_MODNAME,
					 vsd->cpus);
		if (ret)
			return dev_err_probe(dev, ret, "cannot request PPI %d\n",
					     vsd->irq);
		ret = devm_add_action_or_reset(dev, vsd_free_irq, vsd);
		if (ret)
			return ret;
	} else if (ret != -ENXIO) {
		return dev_err_probe(dev, ret, "cannot get the stall interrupt\n");
	}

	/* Runs vsd_cpu_online() on every online CPU, hotplug-safe. */
	ret = cpuhp_state_add_instance(vsd_hp_state, &vsd->node);
	if (ret)
		return dev_err_probe(dev, ret, "cannot start the CPUs\n");
	ret = devm_add_action_or_reset(dev, vsd_remove_instance, vsd);
	if (ret)
		return ret;

	platform_set_drvdata(pdev, vsd);
	dev_info(dev, "timeout %u s, clock %u Hz, %s\n", vsd->timeout_sec,
		 vsd->clock_freq_hz, vsd->irq ? "stall interrupt" : "no interrupt");
	return 0;
}

static const struct of_device_id vsd_of_match[] = {
	{ .compatible = "qemu,vcpu-stall-detector" },
	{}
};
MODULE_DEVICE_TABLE(of, vsd_of_match);

static struct platform_driver vsd_driver = {
	.probe = vsd_probe,
	.driver = {
		.name = KBUILD_MODNAME,
		.of_match_table = vsd_of_match,
	},
};

static int __init vsd_init(void)
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN,
				      "virt/vcpu_stall_detector:online",
				      vsd_cpu_online, vsd_cpu_offline);
	if (ret < 0)
		return ret;
	vsd_hp_state = ret;

	ret = platform_driver_register(&vsd_driver);
	if (ret)
		cpuhp_remove_multi_state(vsd_hp_state);
	return ret;
}
module_init(vsd_init);

static void __exit vsd_exit(void)
{
	platform_driver_unregister(&vsd_driver);
	cpuhp_remove_multi_state(vsd_hp_state);
}
module_exit(vsd_exit);

MODULE_DESCRIPTION("Guest vCPU stall detector");
MODULE_LICENSE("GPL");
