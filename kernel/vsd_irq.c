// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU stall detector: the per-CPU stall interrupt.
 *
 * The device raises one PPI per CPU.  Where the interrupt controller can
 * deliver it as a pseudo-NMI (arm64 GICv3 with irqchip.gicv3_pseudo_nmi=1)
 * the driver asks for that, so a CPU stuck with interrupts off still
 * reports its own backtrace; otherwise it is a normal per-CPU interrupt,
 * which only a CPU that recovered will take.  Everything specific to how the
 * interrupt is delivered lives here.
 */

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/stacktrace.h>

#include "vsd.h"
#include "vsd_compat.h"

#ifdef VSD_HAVE_PERCPU_NMI
/* On this CPU, not preemptible: prepare_percpu_nmi(), or the injected fault. */
static int vsd_prepare_nmi(struct vsd *vsd)
{
	if (vsd_should_fail_nmi())
		return -EIO;
	return prepare_percpu_nmi(vsd->irq);
}

struct vsd_nmi_trial {
	struct vsd *vsd;
	atomic_t failed;
};

/* IPI (hardirq) context, on each online CPU: can it take the NMI? */
static void vsd_nmi_try(void *data)
{
	struct vsd_nmi_trial *trial = data;

	if (vsd_prepare_nmi(trial->vsd))
		atomic_inc(&trial->failed);
	else
		teardown_percpu_nmi(trial->vsd->irq);
}

/*
 * Process context, at probe, the NMI granted.  The kernel makes a per-CPU
 * interrupt an NMI on every CPU or on none, so a CPU that cannot set it up
 * cannot take a normal interrupt instead while the others take the NMI:
 * tried on every online CPU first, one failure means a normal interrupt
 * for all.  A CPU that fails later (hotplug) goes without: see
 * vsd_irq_cpu_enable().
 */
static bool vsd_nmi_usable(struct vsd *vsd)
{
	struct vsd_nmi_trial trial = { .vsd = vsd, .failed = ATOMIC_INIT(0) };

	cpus_read_lock();
	on_each_cpu(vsd_nmi_try, &trial, true);
	cpus_read_unlock();
	if (!atomic_read(&trial.failed))
		return true;
	dev_warn(vsd->dev, "stall NMI set-up failed on %d CPUs: a normal interrupt instead\n",
		 atomic_read(&trial.failed));
	return false;
}
#endif

/**
 * vsd_irq_request() - request the stall interrupt, as an NMI if possible
 * @vsd: the device, with @vsd->irq set
 *
 * Process context, at probe.  Sets @vsd->nmi when the NMI was granted and
 * every online CPU can take it; otherwise a normal per-CPU interrupt.  Not
 * an NMI where the firmware describes the interrupt as edge-triggered: such
 * a device predates the acknowledge (STATUS.PENDING) and lowers its line
 * only at a reload, and under KVM, where every PPI is a level, the NMI
 * handler, which must not reload for a CPU that may still be stuck, would
 * run again and again until the CPU recovered.
 *
 * Return: 0, or the error of the normal request.
 */
int vsd_irq_request(struct vsd *vsd)
{
#ifdef VSD_HAVE_PERCPU_NMI
	if (irq_get_trigger_type(vsd->irq) & IRQ_TYPE_LEVEL_MASK &&
	    !vsd_request_percpu_nmi(vsd->irq, vsd_stall_irq, KBUILD_MODNAME,
				    vsd->cpus)) {
		if (vsd_nmi_usable(vsd)) {
			vsd->nmi = true;
			return 0;
		}
		free_percpu_nmi(vsd->irq, vsd->cpus);
	}
#endif
	return request_percpu_irq(vsd->irq, vsd_stall_irq, KBUILD_MODNAME,
				  vsd->cpus);
}

void vsd_irq_free(struct vsd *vsd)
{
#ifdef VSD_HAVE_PERCPU_NMI
	if (vsd->nmi) {
		free_percpu_nmi(vsd->irq, vsd->cpus);
		return;
	}
#endif
	free_percpu_irq(vsd->irq, vsd->cpus);
}

/*
 * cpuhp callback context, on the CPU coming online.  A CPU whose NMI set-up
 * fails now, the others' NMIs in place (see vsd_nmi_usable()), says so and
 * goes without the interrupt: the host still acts on its stalls.
 */
void vsd_irq_cpu_enable(struct vsd *vsd)
{
#ifdef VSD_HAVE_PERCPU_NMI
	if (vsd->nmi) {
		struct vsd_cpu *vc;
		unsigned int cpu;
		int ret;

		/* The NMI is set up on the CPU itself, not preempted off it. */
		preempt_disable();
		cpu = smp_processor_id();
		vc = per_cpu_ptr(vsd->cpus, cpu);
		ret = vsd_prepare_nmi(vsd);
		vc->irq_on = !ret;
		if (vc->irq_on)
			enable_percpu_nmi(vsd->irq, IRQ_TYPE_NONE);
		preempt_enable();
		if (ret)
			pr_warn("vCPU stall detector: CPU %u: no stall NMI (%d); the host alone acts on its stalls\n",
				cpu, ret);
		return;
	}
#endif
	enable_percpu_irq(vsd->irq, IRQ_TYPE_NONE);
}

/* cpuhp callback context, on the CPU going offline: undoes what it set up. */
void vsd_irq_cpu_disable(struct vsd *vsd)
{
#ifdef VSD_HAVE_PERCPU_NMI
	if (vsd->nmi) {
		struct vsd_cpu *vc;

		preempt_disable();
		vc = this_cpu_ptr(vsd->cpus);
		if (vc->irq_on) {
			disable_percpu_nmi(vsd->irq);
			teardown_percpu_nmi(vsd->irq);
			vc->irq_on = false;
		}
		preempt_enable();
		return;
	}
#endif
	disable_percpu_irq(vsd->irq);
}

/**
 * vsd_nmi_save_stack() - keep the stack the stall NMI interrupted
 * @vc: the stalled CPU's state
 *
 * NMI context, on the stalled CPU.  Sets @vc->nmi_stack_len to the frames
 * kept, for vsd_nmi_print_stack().  Without stack traces in the kernel it
 * logs the stack itself: the log has it, the console may show it late.
 */
void vsd_nmi_save_stack(struct vsd_cpu *vc)
{
#ifdef CONFIG_STACKTRACE
	vc->nmi_stack_len = stack_trace_save(vc->nmi_stack,
					     ARRAY_SIZE(vc->nmi_stack), 0);
#else
	dump_stack();
#endif
}

/**
 * vsd_nmi_print_stack() - log a stall the NMI reported
 * @vc: the stalled CPU's state, its stack saved if @vc->nmi_stack_len
 * @cpu: the stalled CPU
 *
 * Process context (the event work), on a CPU that can print.  The stalled
 * CPU cannot be asked again: it may still be stuck with interrupts off.
 */
void vsd_nmi_print_stack(struct vsd_cpu *vc, unsigned int cpu)
{
	unsigned int len = vc->nmi_stack_len;

	if (!len) {
		pr_warn("vCPU stall detector: CPU %u stalled (NMI); it may still be stuck\n",
			cpu);
		return;
	}
#ifdef CONFIG_STACKTRACE
	pr_emerg("vCPU stall detector: CPU %u stalled (NMI); it may still be stuck; its stack at the NMI:\n",
		 cpu);
	stack_trace_print(vc->nmi_stack, len, 1);
#endif
}
