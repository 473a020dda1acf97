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

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/stacktrace.h>

#include "vsd.h"
#include "vsd_compat.h"

/**
 * vsd_irq_request() - request the stall interrupt, as an NMI if possible
 * @vsd: the device, with @vsd->irq set
 *
 * Process context, at probe.  Sets @vsd->nmi when the NMI was granted.
 *
 * Return: 0, or the error of the normal request.
 */
int vsd_irq_request(struct vsd *vsd)
{
#ifdef VSD_HAVE_PERCPU_NMI
	if (!vsd_request_percpu_nmi(vsd->irq, vsd_stall_irq, KBUILD_MODNAME,
				    vsd->cpus)) {
		vsd->nmi = true;
		return 0;
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
 * cpuhp callback context, on the CPU coming online.  A CPU whose NMI setup
 * fails says so and goes without the interrupt (the interrupt is an NMI for
 * every CPU or for none): the host still acts on its stalls.
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
		ret = prepare_percpu_nmi(vsd->irq);
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
