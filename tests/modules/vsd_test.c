// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper for the vCPU stall detector: never load it outside tests.
 *
 * Writing "CPU MS" to /sys/module/vsd_test/parameters/stall spins on CPU
 * with interrupts disabled for MS milliseconds, so that CPU's timers stop
 * and its count runs down; "CPU MS quiet" does so without its first line
 * (see stall_fn()).  Writing "A B MS [DELAY]" to .../pair makes two CPUs
 * stuck on each other, interrupts off: A holds a spinlock for MS
 * milliseconds, B spins on it from DELAY ms on (default MS/2, so the two
 * counts expire apart) until A lets go, quietly (no line while stuck).
 * Writing anything to .../stray makes accesses the device must reject (bad
 * widths, a read-only register, banks past the last CPU); all naturally
 * aligned, as the CPU faults unaligned device accesses before they reach
 * the device.  Reading .../banks dumps every bank of the device, found
 * by its compatible (DT, or ACPI's PRP0001) whether or not the driver is
 * bound.
 */

#include <linux/cpumask.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/string.h>

#include <misc/vcpu_stall_detector.h>

#include "vsd_compat.h"

static void __iomem *base;
static resource_size_t window;

struct stall_req {
	unsigned int cpu;
	unsigned int ms;
	bool quiet;
};

static int stall_fn(void *data)
{
	struct stall_req *req = data;
	unsigned int ms = req->ms;
	unsigned long flags;
	ktime_t deadline;

	local_irq_save(flags);
	/*
	 * Printed with interrupts off: its timestamp is the stall's start.
	 * Where consoles print from a thread (nbcon), its wakeup then waits
	 * on this CPU, and the console stays silent until the stall ends:
	 * "quiet" leaves the console to the other CPUs.
	 */
	if (!req->quiet)
		pr_info("vsd_test: CPU %u: interrupts off for %u ms\n",
			req->cpu, ms);
	/*
	 * Until a deadline, not a sum of 1 ms delays: a vCPU the host
	 * deschedules mid-delay would stretch each one, and a 5 s stall
	 * became 12 s on a loaded host.
	 */
	deadline = ktime_add_ms(ktime_get(), ms);
	while (ktime_before(ktime_get(), deadline))
		cpu_relax();
	local_irq_restore(flags);
	pr_info("vsd_test: CPU %u: interrupts back on\n", req->cpu);
	kfree(req);
	return 0;
}

static DEFINE_RAW_SPINLOCK(pair_lock);

struct pair_req {
	unsigned int cpu;
	unsigned int ms;
	unsigned int delay;
	bool holder;
	ktime_t start;
};

/* Kthread on a CPU of the pair: hold the lock, or wait for it, irqs off. */
static int pair_fn(void *data)
{
	struct pair_req *req = data;
	unsigned long flags;

	if (!req->holder) {
		/* After the holder took the lock, while it holds it. */
		while (ktime_before(ktime_get(), ktime_add_ms(req->start, req->delay)))
			cpu_relax();
	}
	local_irq_save(flags);
	raw_spin_lock(&pair_lock);
	if (req->holder) {
		ktime_t deadline = ktime_add_ms(req->start, req->ms);

		while (ktime_before(ktime_get(), deadline))
			cpu_relax();
	}
	raw_spin_unlock(&pair_lock);
	local_irq_restore(flags);
	pr_info("vsd_test: CPU %u: interrupts back on (%s)\n", req->cpu,
		req->holder ? "held the lock" : "waited for it");
	kfree(req);
	return 0;
}

static int pair_start(unsigned int cpu, unsigned int ms, unsigned int delay,
		      bool holder, ktime_t start)
{
	struct pair_req *req;
	struct task_struct *t;

	req = kmalloc_obj(*req, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	*req = (struct pair_req){ .cpu = cpu, .ms = ms, .delay = delay,
				  .holder = holder, .start = start };
	t = kthread_run_on_cpu(pair_fn, req, cpu, "vsd_pair/%u");
	if (IS_ERR(t)) {
		kfree(req);
		return PTR_ERR(t);
	}
	return 0;
}

static int pair_set(const char *val, const struct kernel_param *kp)
{
	unsigned int a, b, ms, delay;
	ktime_t start;
	int n, ret;

	n = sscanf(val, "%u %u %u %u", &a, &b, &ms, &delay);
	if (n < 3 || a == b || ms > 600000)
		return -EINVAL;
	if (n == 3)
		delay = ms / 2;
	if (delay >= ms)
		return -EINVAL;
	if (a >= nr_cpu_ids || b >= nr_cpu_ids || !cpu_online(a) ||
	    !cpu_online(b))
		return -ENODEV;
	/* The holder first: the waiter starts spinning DELAY after this. */
	start = ktime_get();
	ret = pair_start(a, ms, 0, true, start);
	return ret ?: pair_start(b, ms, delay, false, start);
}

static const struct kernel_param_ops pair_ops = { .set = pair_set };
module_param_cb(pair, &pair_ops, NULL, 0200);

static int stall_set(const char *val, const struct kernel_param *kp)
{
	struct stall_req *req;
	struct task_struct *t;
	unsigned int cpu, ms;
	char word[8] = "";
	int n;

	n = sscanf(val, "%u %u %7s", &cpu, &ms, word);
	if (n < 2 || (n == 3 && strcmp(word, "quiet")) || ms > 600000)
		return -EINVAL;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -ENODEV;
	req = kmalloc_obj(*req, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->cpu = cpu;
	req->ms = ms;
	req->quiet = n == 3;
	t = kthread_run_on_cpu(stall_fn, req, cpu, "vsd_stall/%u");
	if (IS_ERR(t)) {
		kfree(req);
		return PTR_ERR(t);
	}
	return 0;
}

static const struct kernel_param_ops stall_ops = { .set = stall_set };
module_param_cb(stall, &stall_ops, NULL, 0200);

static int stray_set(const char *val, const struct kernel_param *kp)
{
	void __iomem *past = base + (resource_size_t)nr_cpu_ids * VCPU_STALL_REG_LEN;

	/* Wrong widths on live registers: each must change nothing. */
	writeb(0, base + VCPU_STALL_REG_STATUS);
	writew(0, base + VCPU_STALL_REG_STATUS);
	writeb(1, base + VCPU_STALL_REG_LOAD_CNT);
	(void)readb(base + VCPU_STALL_REG_CURRENT_CNT);
	(void)readw(base + VCPU_STALL_REG_CLOCK_FREQ_HZ + 2);
	(void)readq(base + VCPU_STALL_REG_STATUS);
	writeq(0, base + VCPU_STALL_REG_CURRENT_CNT);
	/* A read-only register. */
	writel(0, base + VCPU_STALL_REG_CURRENT_CNT);
	/* Past the last bank, while still inside the window. */
	if ((resource_size_t)nr_cpu_ids * VCPU_STALL_REG_LEN < window) {
		writel(0, past);
		(void)readl(past + VCPU_STALL_REG_CURRENT_CNT);
		writel(0, base + window - VCPU_STALL_REG_LEN);
	}
	pr_info("vsd_test: stray accesses done\n");
	return 0;
}

static const struct kernel_param_ops stray_ops = { .set = stray_set };
module_param_cb(stray, &stray_ops, NULL, 0200);

static int banks_get(char *buf, const struct kernel_param *kp)
{
	unsigned int cpu;
	int len = 0;

	for_each_possible_cpu(cpu) {
		void __iomem *b = base + cpu * VCPU_STALL_REG_LEN;

		len += sysfs_emit_at(buf, len, "%u %u %u %u %u\n", cpu,
				     readl(b + VCPU_STALL_REG_STATUS),
				     readl(b + VCPU_STALL_REG_LOAD_CNT),
				     readl(b + VCPU_STALL_REG_CURRENT_CNT),
				     readl(b + VCPU_STALL_REG_CLOCK_FREQ_HZ));
	}
	return len;
}

static const struct kernel_param_ops banks_ops = { .get = banks_get };
module_param_cb(banks, &banks_ops, NULL, 0444);

/*
 * The device as DT or ACPI (a PRP0001 device's _DSD) describes it: what
 * device_is_compatible() does from 6.2 on.
 */
static int vsd_test_match(struct device *dev, const void *data)
{
	return fwnode_property_match_string(dev_fwnode(dev), "compatible",
					    data) >= 0;
}

static int __init vsd_test_init(void)
{
	struct resource *res;
	struct device *dev;

	dev = bus_find_device(&platform_bus_type, NULL,
			      "qemu,vcpu-stall-detector", vsd_test_match);
	if (!dev)
		return -ENODEV;
	res = platform_get_resource(to_platform_device(dev), IORESOURCE_MEM, 0);
	if (res) {
		/* No request_mem_region(): the driver may own the region. */
		window = resource_size(res);
		base = ioremap(res->start, window);
	}
	put_device(dev);
	if (!res)
		return -ENODEV;
	return base ? 0 : -ENOMEM;
}
module_init(vsd_test_init);

static void __exit vsd_test_exit(void)
{
	iounmap(base);
}
module_exit(vsd_test_exit);

MODULE_DESCRIPTION("vCPU stall detector test helper");
MODULE_LICENSE("GPL");
