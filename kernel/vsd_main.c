// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest driver for the virtual vCPU stall detector.
 *
 * A VMM cannot tell a vCPU that is stuck in the guest from one it did not
 * schedule, so each vCPU reloads its own countdown in the device from a
 * pinned hrtimer at half the timeout; the host notices a count that reaches
 * zero, and the device raises that vCPU's PPI so the guest can report it.
 *
 * Drop-in for drivers/misc/vcpu_stall_detector.c (same DT binding), with
 * runtime configuration, per-CPU status and events over generic netlink
 * (vsd_netlink.c) and sysfs (vsd_sysfs.c).
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/kexec.h>
#include <linux/kobject.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/nmi.h>
#include <linux/panic_notifier.h>
#include <linux/percpu.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/stringify.h>

#include <misc/vcpu_stall_detector.h>

#include "vsd.h"
#include "vsd_compat.h"

/*
 * Pinned, so each CPU pets its own bank; hard, so the pet expires in hard
 * interrupt context on PREEMPT_RT too, where a soft timer would wait for
 * the softirq thread and a busy RT task could starve it into a stall.
 */
#define VSD_TIMER_MODE	HRTIMER_MODE_REL_PINNED_HARD

static enum cpuhp_state vsd_hp_state;

/*
 * vsd_dev_lock protects vsd_dev, the device the netlink family acts on
 * (published once it runs, withdrawn first on removal), and vsd_claimed:
 * one device per system, from the start of its probe to the end of removal.
 */
static DEFINE_MUTEX(vsd_dev_lock);
static struct vsd *vsd_dev;
static bool vsd_claimed;

static const char * const vsd_action_names[] = {
	[VCPU_STALL_ACTION_PANIC] = "panic",
	[VCPU_STALL_ACTION_BACKTRACE] = "backtrace",
	[VCPU_STALL_ACTION_NOTIFY] = "notify",
};

const char *vsd_action_name(u32 action)
{
	return action < ARRAY_SIZE(vsd_action_names) ?
	       vsd_action_names[action] : "unknown";
}

/**
 * vsd_get() - the bound device, with vsd_dev_lock held
 *
 * Return: the device, or NULL (and the lock released) when none is bound.
 * Pair a non-NULL return with vsd_put().
 */
struct vsd *vsd_get(void)
{
	mutex_lock(&vsd_dev_lock);
	if (!vsd_dev)
		mutex_unlock(&vsd_dev_lock);
	return vsd_dev;
}

void vsd_put(void)
{
	mutex_unlock(&vsd_dev_lock);
}

static void vsd_write(struct vsd *vsd, unsigned int cpu, u32 reg, u32 val)
{
	writel_relaxed(val, vsd->base + cpu * VCPU_STALL_REG_LEN + reg);
}

u32 vsd_read_count(struct vsd *vsd, unsigned int cpu)
{
	return readl_relaxed(vsd->base + cpu * VCPU_STALL_REG_LEN +
			     VCPU_STALL_REG_CURRENT_CNT);
}

/*
 * From the stall interrupt, on the stalled CPU: the report is taken, the
 * line may fall (a device older than PENDING ignores the bit and lowers
 * the line at the reload).  It may interrupt vsd_cpu_start() or
 * vsd_cpu_stop() on this CPU (an NMI always can): @vc->enabled changes on
 * the side of their STATUS write that makes this write agree with it, so
 * the acknowledge never turns a bank on or off behind them.
 */
static void vsd_ack(struct vsd *vsd, struct vsd_cpu *vc, unsigned int cpu)
{
	vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS,
		  (READ_ONCE(vc->enabled) ? VCPU_STALL_STATUS_ENABLED : 0) |
		  VCPU_STALL_STATUS_PENDING);
}

/* Take this CPU's copy of the configuration and (re)start its bank. */
static void vsd_cpu_start(struct vsd *vsd, struct vsd_cpu *vc,
			  unsigned int cpu)
{
	u32 timeout = READ_ONCE(vsd->config.timeout_sec);
	u32 hz = READ_ONCE(vsd->config.clock_freq_hz);

	vc->ticks = hz * timeout;
	/* Pet at half the timeout so one late timer does not cause a stall. */
	vc->period = ms_to_ktime(timeout * MSEC_PER_SEC / 2);
	vsd_write(vsd, cpu, VCPU_STALL_REG_CLOCK_FREQ_HZ, hz);
	vsd_write(vsd, cpu, VCPU_STALL_REG_LOAD_CNT, vc->ticks);
	WRITE_ONCE(vc->last_pet, ktime_get());
	WRITE_ONCE(vc->enabled, true);
	barrier();	/* enabled before the enable: see vsd_ack() */
	vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
	hrtimer_start(&vc->timer, vc->period, VSD_TIMER_MODE);
}

/*
 * Stop petting this CPU, then disable its bank, so no pet reaches it after.
 * On the CPU itself: in its cpuhp callback (@sync, process context, where
 * the cancel waits for a pet in progress) or with interrupts off (an IPI,
 * where the pinned timer cannot be running here, so trying succeeds).
 */
static void vsd_cpu_stop(struct vsd *vsd, struct vsd_cpu *vc, unsigned int cpu,
			 bool sync)
{
	if (sync)
		hrtimer_cancel(&vc->timer);
	else
		hrtimer_try_to_cancel(&vc->timer);
	WRITE_ONCE(vc->enabled, false);
	barrier();	/* disabled before the disable: see vsd_ack() */
	vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, 0);
}

/* hrtimer (hardirq) context, on the CPU the timer is pinned to. */
static enum hrtimer_restart vsd_pet(struct hrtimer *timer)
{
	struct vsd_cpu *vc = container_of(timer, struct vsd_cpu, timer);
	ktime_t now = ktime_get();
	s64 late = ktime_to_ns(ktime_sub(now, hrtimer_get_expires(timer)));

	vsd_write(vc->vsd, smp_processor_id(), VCPU_STALL_REG_LOAD_CNT,
		  vc->ticks);
	WRITE_ONCE(vc->pets, vc->pets + 1);
	WRITE_ONCE(vc->last_pet, now);
	if (late > 0 && late > vc->max_lateness_ns)
		WRITE_ONCE(vc->max_lateness_ns, late);
	/*
	 * A stall taken by NMI on a CPU still stuck cannot run its irq_work:
	 * the healthy CPUs report it.  A read of a mostly clean line.
	 */
	if (unlikely(!cpumask_empty(&vc->vsd->stalled)))
		schedule_work(&vc->vsd->event_work);
	hrtimer_forward_now(timer, vc->period);
	return HRTIMER_RESTART;
}

/**
 * vsd_stall_irq() - a CPU's count reached zero
 * @irq: the stall interrupt
 * @dev_id: this CPU's &struct vsd_cpu
 *
 * Hardirq context, or NMI where the interrupt is one, on the CPU that
 * stalled: it ran no timer interrupt for the whole timeout.  As an
 * interrupt it runs once the CPU recovered and reports at once; as an NMI
 * it may run while the CPU is still stuck with interrupts off, so it keeps
 * the stuck stack for a healthy CPU to print (see vsd_event_work()).
 *
 * Return: IRQ_HANDLED.
 */
irqreturn_t vsd_stall_irq(int irq, void *dev_id)
{
	struct vsd_cpu *vc = dev_id;
	struct vsd *vsd = vc->vsd;
	unsigned int cpu = smp_processor_id();
	u32 action = READ_ONCE(vsd->config.action);

	/* First: the line is a level (as KVM has it), held until this. */
	vsd_ack(vsd, vc, cpu);
	WRITE_ONCE(vc->stalls, vc->stalls + 1);
	if (in_nmi()) {
		/*
		 * No printk here unless panicking: a printk on a CPU with
		 * interrupts off leaves the console's wakeup (an irq_work)
		 * queued on that CPU, and where consoles print from a thread
		 * (nbcon, 6.15+) nothing reaches them until it recovers.
		 * panic() prints in place.
		 */
		if (action == VCPU_STALL_ACTION_PANIC) {
			/* nmi_panic() takes no format: name the CPU first. */
			pr_emerg("vCPU stall detector: CPU %u stalled (NMI)\n", cpu);
			nmi_panic(NULL, "vCPU stall detector: CPU stalled");
		}
		vc->nmi_stack_len = 0;
		if (action == VCPU_STALL_ACTION_BACKTRACE) {
			vsd_nmi_save_stack(vc);
			set_bit(VSD_BACKTRACE_PENDING, &vsd->pending);
		}
		/*
		 * No reload either: the CPU may still be stuck, and then the
		 * host's grace period must run out; if it recovers, its timer
		 * reloads.  The healthy CPUs' pets report it (vsd_pet()), or
		 * the irq_work below once this CPU takes interrupts again.
		 */
		smp_wmb();	/* the stack before the stalled bit */
		cpumask_set_cpu(cpu, &vsd->stalled);
		irq_work_queue(&vsd->stall_work);
		return IRQ_HANDLED;
	}

	switch (action) {
	case VCPU_STALL_ACTION_PANIC:
		panic("vCPU stall detector: CPU %u stalled\n", cpu);
		break;
	case VCPU_STALL_ACTION_BACKTRACE:
		/* From the interrupt: the stack shows where the CPU was stuck. */
		pr_emerg("vCPU stall detector: CPU %u stalled\n", cpu);
		dump_stack();
		set_bit(VSD_BACKTRACE_PENDING, &vsd->pending);
		break;
	default:
		pr_warn("vCPU stall detector: CPU %u stalled\n", cpu);
		break;
	}
	/* Back to petting: the reload ends the stall before the host acts. */
	vsd_write(vsd, cpu, VCPU_STALL_REG_LOAD_CNT, vc->ticks);
	cpumask_set_cpu(cpu, &vsd->stalled);
	irq_work_queue(&vsd->stall_work);
	return IRQ_HANDLED;
}

/* Hardirq context, after the stall interrupt: on to process context. */
static void vsd_stall_work(struct irq_work *work)
{
	schedule_work(&container_of(work, struct vsd, stall_work)->event_work);
}

/*
 * IPI (hardirq) context, on the CPU asked for its backtrace: the stack it
 * interrupted.  One trace at a time.
 */
static void vsd_show_cpu(void *info)
{
	static DEFINE_RAW_SPINLOCK(vsd_console_lock);	/* orders the traces */
	struct vsd *vsd = info;
	unsigned long flags;

	raw_spin_lock_irqsave(&vsd_console_lock, flags);
	pr_emerg("vCPU stall detector: backtrace of CPU %d\n",
		 smp_processor_id());
	dump_stack();
	raw_spin_unlock_irqrestore(&vsd_console_lock, flags);
	/* The last access: removal waits for none to be in flight. */
	atomic_dec(&vsd->backtraces);
}

/*
 * Process context: ask the CPUs in @mask for their backtraces, without
 * waiting for any: one may be stuck too, with interrupts off, and nothing
 * here may wait for it.  Such a CPU prints when it takes interrupts again,
 * and is not asked twice while its request is in flight (-EBUSY).
 */
static void vsd_backtrace(struct vsd *vsd, struct cpumask *mask)
{
	unsigned int cpu;

#ifdef VSD_HAVE_CPUMASK_BACKTRACE
	/*
	 * The kernel's own, where it is exported: by NMI where the
	 * architecture can, which reaches a CPU stuck with interrupts off; it
	 * waits at most 10 s for them, after the events went out.
	 */
	if (trigger_cpumask_backtrace(mask))
		return;
#endif
	/* No stop_machine(), so no CPU goes offline, until preempt_enable(). */
	preempt_disable();
	for_each_cpu_and(cpu, mask, cpu_online_mask) {
		call_single_data_t *csd = &per_cpu_ptr(vsd->cpus, cpu)->backtrace_csd;

		atomic_inc(&vsd->backtraces);
		if (smp_call_function_single_async(cpu, csd))
			atomic_dec(&vsd->backtraces);
	}
	preempt_enable();
}

/* Process context: tell userspace about the stalls the IRQ recorded. */
static void vsd_event_work(struct work_struct *work)
{
	struct vsd *vsd = container_of(work, struct vsd, event_work);
	struct cpumask *others = &vsd->backtrace_mask;
	bool backtrace;
	unsigned int cpu;

	/*
	 * Backtraces of every CPU but those that reported: their stacks are
	 * in the log already, or saved by the NMI and logged below.
	 */
	backtrace = test_and_clear_bit(VSD_BACKTRACE_PENDING, &vsd->pending);
	if (backtrace)
		cpumask_andnot(others, cpu_possible_mask, &vsd->stalled);

	for_each_cpu(cpu, &vsd->stalled) {
		char event_env[] = "VCPU_STALL_EVENT=stall";
		char cpu_env[32];
		char *envp[3];

		if (!cpumask_test_and_clear_cpu(cpu, &vsd->stalled))
			continue;
		snprintf(cpu_env, sizeof(cpu_env), "VCPU_STALL_CPU=%u", cpu);
		envp[0] = event_env;
		envp[1] = cpu_env;
		envp[2] = NULL;
		kobject_uevent_env(&vsd->dev->kobj, KOBJ_CHANGE, envp);
		vsd_nl_notify_cpu(VCPU_STALL_CMD_STALL_NTF, cpu);
		/* The NMI said nothing (see vsd_stall_irq()): say it here. */
		if (vsd->nmi)
			vsd_nmi_print_stack(per_cpu_ptr(vsd->cpus, cpu), cpu);
	}

	if (backtrace)
		vsd_backtrace(vsd, others);
}

/*
 * cpuhp callback, runs on @cpu as it comes online (or at probe).  A CPU
 * that comes up while the detector is paused stays disabled until resume.
 */
static int vsd_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct vsd *vsd = hlist_entry(node, struct vsd, node);

	if (!vsd->paused)
		vsd_cpu_start(vsd, per_cpu_ptr(vsd->cpus, cpu), cpu);
	if (vsd->irq)
		vsd_irq_cpu_enable(vsd);
	vsd_nl_notify_cpu(VCPU_STALL_CMD_CPU_ONLINE_NTF, cpu);
	return 0;
}

/* cpuhp callback, runs on @cpu as it goes offline (or at removal). */
static int vsd_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct vsd *vsd = hlist_entry(node, struct vsd, node);
	struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);

	if (vsd->irq)
		vsd_irq_cpu_disable(vsd);
	vsd_cpu_stop(vsd, vc, cpu, true);
	vsd_nl_notify_cpu(VCPU_STALL_CMD_CPU_OFFLINE_NTF, cpu);
	return 0;
}

/* IPI (hardirq) context, on each online CPU: take the new state. */
static void vsd_cpu_sync(void *data)
{
	struct vsd *vsd = data;
	unsigned int cpu = smp_processor_id();

	if (READ_ONCE(vsd->paused))
		vsd_cpu_stop(vsd, this_cpu_ptr(vsd->cpus), cpu, false);
	else
		vsd_cpu_start(vsd, this_cpu_ptr(vsd->cpus), cpu);
}

/**
 * vsd_sync_cpus() - bring every online CPU in line with config and pause
 * @vsd: the device
 *
 * Process context, with @vsd->config_lock and cpus_read_lock() held: each
 * online CPU restarts with the current configuration, or stops while the
 * detector is paused, on the CPU itself so its pinned timer stays there.
 * CPUs that come online later read the same state in vsd_cpu_online().
 */
void vsd_sync_cpus(struct vsd *vsd)
{
	unsigned int cpu;

	lockdep_assert_held(&vsd->config_lock);
	if (vsd->stopped)
		return;
	for_each_online_cpu(cpu)
		smp_call_function_single(cpu, vsd_cpu_sync, vsd, true);
}

/* Any timeout at any clock in range fits the 32-bit count register. */
static_assert((u64)VCPU_STALL_TIMEOUT_MAX * VCPU_STALL_CLOCK_HZ_MAX <= U32_MAX);

static int vsd_check_config(const struct vsd_config *cfg,
			    struct netlink_ext_ack *extack)
{
	if (cfg->timeout_sec < VCPU_STALL_TIMEOUT_MIN ||
	    cfg->timeout_sec > VCPU_STALL_TIMEOUT_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "timeout must be "
				   __stringify(VCPU_STALL_TIMEOUT_MIN) " to "
				   __stringify(VCPU_STALL_TIMEOUT_MAX) " s");
		return -ERANGE;
	}
	if (cfg->clock_freq_hz < VCPU_STALL_CLOCK_HZ_MIN ||
	    cfg->clock_freq_hz > VCPU_STALL_CLOCK_HZ_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "clock must be "
				   __stringify(VCPU_STALL_CLOCK_HZ_MIN) " to "
				   __stringify(VCPU_STALL_CLOCK_HZ_MAX) " Hz");
		return -ERANGE;
	}
	if (cfg->action > VCPU_STALL_ACTION_NOTIFY) {
		NL_SET_ERR_MSG_MOD(extack, "unknown stall action");
		return -EINVAL;
	}
	return 0;
}

/**
 * vsd_set_config() - change fields of the configuration of every CPU at once
 * @vsd: the device
 * @cfg: the new values
 * @fields: which of them to take (VSD_CONFIG_*); the others stay as they are
 * @extack: where to explain a rejection, or NULL
 *
 * Process context.  The merge with the current values and the checks
 * happen under @vsd->config_lock, so two writers changing different
 * fields at once both take effect.  A rejected configuration changes
 * nothing.  CPU hotplug is excluded while the online CPUs take the new
 * values, so a CPU coming up starts with either the old values and is then
 * reconfigured, or the new.  A paused detector keeps the values for when
 * it resumes.
 *
 * Return: 0, or -ERANGE/-EINVAL for a configuration the device cannot take.
 */
int vsd_set_config(struct vsd *vsd, const struct vsd_config *cfg,
		   unsigned int fields, struct netlink_ext_ack *extack)
{
	struct vsd_config new;
	int ret;

	mutex_lock(&vsd->config_lock);
	new = vsd->config;
	if (fields & VSD_CONFIG_TIMEOUT)
		new.timeout_sec = cfg->timeout_sec;
	if (fields & VSD_CONFIG_CLOCK)
		new.clock_freq_hz = cfg->clock_freq_hz;
	if (fields & VSD_CONFIG_ACTION)
		new.action = cfg->action;
	ret = vsd_check_config(&new, extack);
	if (ret) {
		mutex_unlock(&vsd->config_lock);
		return ret;
	}
	cpus_read_lock();
	WRITE_ONCE(vsd->config.timeout_sec, new.timeout_sec);
	WRITE_ONCE(vsd->config.clock_freq_hz, new.clock_freq_hz);
	WRITE_ONCE(vsd->config.action, new.action);
	/* While paused, the CPUs take the new values when they resume. */
	vsd_sync_cpus(vsd);
	cpus_read_unlock();
	mutex_unlock(&vsd->config_lock);

	kobject_uevent_env(&vsd->dev->kobj, KOBJ_CHANGE,
			   (char *[]){ "VCPU_STALL_EVENT=config", NULL });
	vsd_nl_notify_config(vsd);
	return 0;
}

void vsd_get_config(struct vsd *vsd, struct vsd_config *cfg)
{
	mutex_lock(&vsd->config_lock);
	*cfg = vsd->config;
	mutex_unlock(&vsd->config_lock);
}

/*
 * Stop every online CPU (offline ones were stopped going down), once: no
 * pet or stall interrupt after this, and no configuration or pause change
 * starts a CPU again.  Each online CPU runs its cpuhp callback, so this
 * waits for a stuck CPU to recover.
 */
static void vsd_stop_cpus(struct vsd *vsd)
{
	mutex_lock(&vsd->config_lock);
	if (!vsd->stopped) {
		vsd->stopped = true;
		cpuhp_state_remove_instance(vsd_hp_state, &vsd->node);
	}
	mutex_unlock(&vsd->config_lock);
}

static void vsd_remove_instance(void *data)
{
	struct vsd *vsd = data;

	vsd_stop_cpus(vsd);
	/* A stall taken before the CPUs stopped is reported, not dropped. */
	irq_work_sync(&vsd->stall_work);
	flush_work(&vsd->event_work);
	/*
	 * The backtraces it asked for: a CPU stuck with one in flight runs it
	 * when it recovers.  No call to wait on an async one, so poll; then
	 * a grace period, as each runs with interrupts off, for the handlers
	 * to have returned.
	 */
	while (atomic_read(&vsd->backtraces))
		msleep(20);
	synchronize_rcu();
}

/*
 * Reboot, halt and kexec (a crash kexec is vsd_panic()'s): the next kernel,
 * or firmware, must not inherit banks that count down with nobody to pet
 * them.  Process context, other CPUs running.
 */
static void vsd_shutdown(struct platform_device *pdev)
{
	vsd_stop_cpus(platform_get_drvdata(pdev));
}

/* What a panic does to the banks: the on_panic parameter. */
enum vsd_panic_policy { VSD_PANIC_AUTO, VSD_PANIC_STOP, VSD_PANIC_KEEP };

static const char * const vsd_on_panic_names[] = {
	[VSD_PANIC_AUTO] = "auto",
	[VSD_PANIC_STOP] = "stop",
	[VSD_PANIC_KEEP] = "keep",
};

static int vsd_on_panic = VSD_PANIC_AUTO;

static int vsd_on_panic_set(const char *val, const struct kernel_param *kp)
{
	int ret = sysfs_match_string(vsd_on_panic_names, val);

	if (ret < 0)
		return ret;
	WRITE_ONCE(vsd_on_panic, ret);
	return 0;
}

static int vsd_on_panic_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vsd_on_panic_names[READ_ONCE(vsd_on_panic)]);
}

static const struct kernel_param_ops vsd_on_panic_ops = {
	.set = vsd_on_panic_set,
	.get = vsd_on_panic_get,
};
module_param_cb(on_panic, &vsd_on_panic_ops, NULL, 0644);
MODULE_PARM_DESC(on_panic,
		 "at a panic: auto (stop the banks if a crash kernel is loaded, so the host lets the dump finish; else keep them, so the host acts on a guest hung in panic), stop or keep");

/*
 * Panic notifier: on the panicking CPU, the others stopped.  panic() runs
 * it before starting a crash kernel only with crash_kexec_post_notifiers
 * (a boot parameter, also /sys/module/kernel/parameters/, which kdump
 * setups are to set; modules cannot); else the crash kernel starts with the
 * banks counting.  Only MMIO writes: every bank is the device's, no CPU
 * need be asked.
 */
static int vsd_panic(struct notifier_block *nb, unsigned long event, void *buf)
{
	struct vsd *vsd = container_of(nb, struct vsd, panic_nb);
	int policy = READ_ONCE(vsd_on_panic);
	unsigned int cpu;

	if (policy == VSD_PANIC_KEEP ||
	    (policy == VSD_PANIC_AUTO && !kexec_crash_loaded()))
		return NOTIFY_DONE;
	for_each_possible_cpu(cpu)
		vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, 0);
	pr_emerg("vCPU stall detector: stopped for the panic (on_panic=%s)\n",
		 vsd_on_panic_names[policy]);
	return NOTIFY_DONE;
}

static void vsd_panic_unregister(void *data)
{
	struct vsd *vsd = data;

	atomic_notifier_chain_unregister(&panic_notifier_list, &vsd->panic_nb);
}

static void vsd_free_irq(void *data)
{
	vsd_irq_free(data);
}

static void vsd_remove_cpus_dir(void *data)
{
	vsd_sysfs_remove_cpus(data);
}

/* Waits for the netlink request in progress, if any; none reach it after. */
static void vsd_unpublish(void *data)
{
	mutex_lock(&vsd_dev_lock);
	vsd_dev = NULL;
	mutex_unlock(&vsd_dev_lock);
}

static void vsd_unclaim(void *data)
{
	mutex_lock(&vsd_dev_lock);
	vsd_claimed = false;
	mutex_unlock(&vsd_dev_lock);
}

static void vsd_stop_pause(void *data)
{
	vsd_pause_exit(data);
}

/*
 * A firmware value, replaced by its default where it is missing or out of
 * range (as mainline does): a bad description gets a warning and a working
 * detector, not a failed probe that leaves the guest unwatched.
 */
static u32 vsd_read_prop(struct device *dev, const char *name, u32 min,
			 u32 max, u32 def)
{
	u32 val;

	if (device_property_read_u32(dev, name, &val))
		return def;
	if (val < min || val > max) {
		dev_warn(dev, "%s %u out of range (%u..%u), using %u\n",
			 name, val, min, max, def);
		return def;
	}
	return val;
}

static void vsd_read_config(struct vsd *vsd)
{
	struct vsd_config *cfg = &vsd->config;

	cfg->clock_freq_hz = vsd_read_prop(vsd->dev, "clock-frequency",
					   VCPU_STALL_CLOCK_HZ_MIN,
					   VCPU_STALL_CLOCK_HZ_MAX,
					   VCPU_STALL_DEFAULT_CLOCK_HZ);
	cfg->timeout_sec = vsd_read_prop(vsd->dev, "timeout-sec",
					 VCPU_STALL_TIMEOUT_MIN,
					 VCPU_STALL_TIMEOUT_MAX,
					 VCPU_STALL_DEFAULT_TIMEOUT_SEC);
	cfg->action = VCPU_STALL_ACTION_PANIC;
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
	mutex_init(&vsd->config_lock);
	init_irq_work(&vsd->stall_work, vsd_stall_work);
	INIT_WORK(&vsd->event_work, vsd_event_work);
	vsd_pause_init(vsd);
	platform_set_drvdata(pdev, vsd);

	vsd->base = devm_platform_get_and_ioremap_resource(pdev, 0, &res);
	if (IS_ERR(vsd->base))
		return PTR_ERR(vsd->base);
	if (resource_size(res) < (resource_size_t)nr_cpu_ids * VCPU_STALL_REG_LEN)
		return dev_err_probe(dev, -EINVAL,
				     "%pR holds fewer banks than the %u possible CPUs\n",
				     res, nr_cpu_ids);

	vsd_read_config(vsd);

	vsd->cpus = devm_alloc_percpu(dev, struct vsd_cpu);
	if (!vsd->cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct vsd_cpu *vc = per_cpu_ptr(vsd->cpus, cpu);

		vc->vsd = vsd;
		INIT_CSD(&vc->backtrace_csd, vsd_show_cpu, vsd);
		vsd_hrtimer_setup(&vc->timer, vsd_pet, CLOCK_MONOTONIC,
				  VSD_TIMER_MODE);
		/* A bank left enabled (kexec, an earlier driver) must not fire. */
		vsd_write(vsd, cpu, VCPU_STALL_REG_STATUS, 0);
	}

	/* One device per system: the netlink family reports on it. */
	mutex_lock(&vsd_dev_lock);
	if (vsd_claimed) {
		mutex_unlock(&vsd_dev_lock);
		return dev_err_probe(dev, -EBUSY, "another stall detector is bound\n");
	}
	vsd_claimed = true;
	mutex_unlock(&vsd_dev_lock);
	ret = devm_add_action_or_reset(dev, vsd_unclaim, NULL);
	if (ret)
		return ret;

	ret = vsd_sysfs_add_cpus(vsd);
	if (ret)
		return dev_err_probe(dev, ret, "cannot create the cpus directory\n");
	ret = devm_add_action_or_reset(dev, vsd_remove_cpus_dir, vsd);
	if (ret)
		return ret;

	/* Older descriptions have no interrupt: the host alone then acts. */
	ret = platform_get_irq_optional(pdev, 0);
	if (ret > 0) {
		vsd->irq = ret;
		ret = vsd_irq_request(vsd);
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
	/*
	 * Removal (devm, in reverse): the device withdrawn from requests, the
	 * panic notifier removed, the pause deadline cancelled, then the CPUs
	 * stopped.
	 */
	ret = devm_add_action_or_reset(dev, vsd_stop_pause, vsd);
	if (ret)
		return ret;

	vsd->panic_nb.notifier_call = vsd_panic;
	atomic_notifier_chain_register(&panic_notifier_list, &vsd->panic_nb);
	ret = devm_add_action_or_reset(dev, vsd_panic_unregister, vsd);
	if (ret)
		return ret;

	mutex_lock(&vsd_dev_lock);
	vsd_dev = vsd;
	mutex_unlock(&vsd_dev_lock);
	ret = devm_add_action_or_reset(dev, vsd_unpublish, NULL);
	if (ret)
		return ret;

	dev_info(dev, "timeout %u s, clock %u Hz, %s\n", vsd->config.timeout_sec,
		 vsd->config.clock_freq_hz,
		 !vsd->irq ? "no interrupt" :
		 vsd->nmi ? "stall NMI" : "stall interrupt");
	return 0;
}

static const struct of_device_id vsd_of_match[] = {
	{ .compatible = "qemu,vcpu-stall-detector" },
	{}
};
MODULE_DEVICE_TABLE(of, vsd_of_match);

static struct platform_driver vsd_driver = {
	.probe = vsd_probe,
	.shutdown = vsd_shutdown,
	.driver = {
		.name = KBUILD_MODNAME,
		.of_match_table = vsd_of_match,
		.dev_groups = vsd_groups,
		.pm = pm_sleep_ptr(&vsd_pm_ops),
	},
};

static int __init vsd_init(void)
{
	int ret;

	ret = vsd_fault_init();
	if (ret)
		return ret;
	ret = vsd_nl_init();
	if (ret)
		goto err_fault;
	ret = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN,
				      "virt/vcpu_stall_detector:online",
				      vsd_cpu_online, vsd_cpu_offline);
	if (ret < 0)
		goto err_nl;
	vsd_hp_state = ret;

	ret = platform_driver_register(&vsd_driver);
	if (ret)
		goto err_hp;
	return 0;

err_hp:
	cpuhp_remove_multi_state(vsd_hp_state);
err_nl:
	vsd_nl_exit();
err_fault:
	vsd_fault_exit();
	return ret;
}
module_init(vsd_init);

static void __exit vsd_exit(void)
{
	platform_driver_unregister(&vsd_driver);
	cpuhp_remove_multi_state(vsd_hp_state);
	vsd_nl_exit();
	vsd_fault_exit();
}
module_exit(vsd_exit);

MODULE_DESCRIPTION("Guest vCPU stall detector");
MODULE_LICENSE("GPL");
