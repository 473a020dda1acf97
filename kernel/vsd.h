/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vCPU stall detector: state shared by the driver's files (vsd_main.c: the
 * device, its CPUs and the stall handler; vsd_irq.c: the stall interrupt as
 * an IRQ or a pseudo-NMI; vsd_pause.c: pause, resume and system sleep;
 * vsd_netlink.c: the generic netlink family's handlers, vsd_family.c its
 * policies and op table; vsd_sysfs.c: the sysfs knobs and per-CPU status;
 * vsd_fault.c: fault injection, for tests).
 */
#ifndef _VSD_H
#define _VSD_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pm.h>
#include <linux/smp.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <linux/vcpu_stall_detector.h>

struct device;
struct kobject;
struct netlink_ext_ack;

/**
 * struct vsd_config - configuration shared by every CPU
 * @timeout_sec: time a CPU may go without reloading its count
 * @clock_freq_hz: rate at which the device counts down
 * @action: what the stall interrupt does (enum vcpu_stall_action)
 */
struct vsd_config {
	u32 timeout_sec;
	u32 clock_freq_hz;
	u32 action;
};

/**
 * struct vsd_pause_info - the pause state, or one change of it
 * @paused: every bank is disabled and no CPU is petted
 * @source: who paused (enum vcpu_stall_pause_source), while @paused
 * @reason: why the state changed (enum vcpu_stall_pause_reason), events only
 * @remaining_ms: time before the driver resumes by itself, or -1 for none
 */
struct vsd_pause_info {
	bool paused;
	u32 source;
	u32 reason;
	s64 remaining_ms;
};

/**
 * struct vsd_pause - why the detector stands down
 * @requested: a pause request (netlink or sysfs) is in force
 * @source: who made it (enum vcpu_stall_pause_source)
 * @deadline: when it ends by itself (CLOCK_MONOTONIC), or 0 for never
 * @suspended: the system is asleep, or going to sleep
 *
 * The two causes are independent: waking up ends the suspend pause but
 * not a request made before it.
 */
struct vsd_pause {
	bool requested;
	u32 source;
	ktime_t deadline;
	bool suspended;
};

/* Frames of a stalled CPU's stack the NMI keeps: dump_stack()'s usual depth. */
#define VSD_NMI_STACK_DEPTH	32

/**
 * struct vsd_cpu - per-CPU state
 * @timer: pinned hrtimer that reloads this CPU's count
 * @vsd: the device this CPU belongs to
 * @ticks: value this CPU loads into LOAD_CNT
 * @period: time between two pets
 * @enabled: this CPU's bank is enabled
 * @pets: times this CPU reloaded its count
 * @last_pet: when it last did (CLOCK_MONOTONIC)
 * @max_lateness_ns: largest delay of a pet past its due time
 * @stalls: stall interrupts this CPU took
 * @dir: its sysfs status directory (set and cleared in probe/remove)
 * @nmi_stack: where the stall NMI found this CPU (backtrace action), for
 *	&vsd.event_work to print from a CPU that can
 * @nmi_stack_len: entries in @nmi_stack
 * @irq_on: the stall NMI is set up on this CPU (NMI delivery only)
 * @backtrace_csd: logs this CPU's backtrace, by IPI, when &vsd.event_work
 *	asks (backtrace action)
 *
 * Written only on the CPU itself (hrtimer, cpuhp callback, reconfiguration
 * IPI and stall interrupt, all serialised there); read anywhere with
 * READ_ONCE() by the status interfaces, so petting writes no shared line.
 * @nmi_stack is published by setting the CPU in &vsd.stalled, and read by
 * the event work once it cleared it.
 */
struct vsd_cpu {
	struct hrtimer timer;
	struct vsd *vsd;
	u32 ticks;
	ktime_t period;
	bool enabled;
	u64 pets;
	ktime_t last_pet;
	u64 max_lateness_ns;
	u64 stalls;
	struct kobject *dir;
	unsigned long nmi_stack[VSD_NMI_STACK_DEPTH];
	unsigned int nmi_stack_len;
	bool irq_on;
	call_single_data_t backtrace_csd;
};

/**
 * struct vsd - one stall detector device
 * @dev: the platform device
 * @base: MMIO window, one VCPU_STALL_REG_LEN bank per CPU
 * @irq: per-CPU stall interrupt (PPI), or 0 when the device has none
 * @nmi: @irq is delivered as a (pseudo-)NMI
 * @cpus: per-CPU state
 * @node: cpuhp instance; online/offline callbacks start/stop each CPU
 * @config_lock: serialises changes of @config and @pause
 * @config: the configuration; written under @config_lock with CPU hotplug
 *	excluded, read by the cpuhp callbacks and (action) the stall interrupt
 * @pause: why the detector is paused, under @config_lock
 * @paused: @pause holds a cause; written like @config, read by the cpuhp
 *	callbacks and the IPIs that start or stop each CPU
 * @deadline_work: ends a pause request when its deadline passes
 * @stalled: CPUs whose stall is yet to be reported (stall interrupt sets,
 *	@event_work clears)
 * @pending: VSD_BACKTRACE_PENDING: @event_work is to log the stack of every
 *	CPU not in @stalled (a stalled CPU logged its own from the interrupt,
 *	or its NMI saved it for @event_work to print)
 * @stall_work: queues @event_work from the stall interrupt, NMI or not
 * @event_work: reports stalls from process context
 * @backtrace_mask: the CPUs whose backtraces @event_work asks for; its own
 * @cpus_kobj: the sysfs directory of per-CPU status
 * @stopped: the CPUs stopped for good (removal, shutdown), under @config_lock
 * @panic_nb: stops the banks at a panic, as the on_panic parameter says
 * @backtraces: backtrace IPIs @event_work sent that have not run yet
 */
struct vsd {
	struct device *dev;
	void __iomem *base;
	int irq;
	bool nmi;
	struct vsd_cpu __percpu *cpus;
	struct hlist_node node;
	struct mutex config_lock;	/* serialises config and pause changes */
	struct vsd_config config;
	struct vsd_pause pause;
	bool paused;
	struct delayed_work deadline_work;
	struct cpumask stalled;
	unsigned long pending;
	struct irq_work stall_work;
	struct work_struct event_work;
	struct cpumask backtrace_mask;
	struct kobject *cpus_kobj;
	bool stopped;
	struct notifier_block panic_nb;
	atomic_t backtraces;
};

#define VSD_BACKTRACE_PENDING	0

/* vsd_main.c */
struct vsd *vsd_get(void);
void vsd_put(void);
/* vsd_set_config()'s fields */
#define VSD_CONFIG_TIMEOUT	BIT(0)
#define VSD_CONFIG_CLOCK	BIT(1)
#define VSD_CONFIG_ACTION	BIT(2)
int vsd_set_config(struct vsd *vsd, const struct vsd_config *cfg,
		   unsigned int fields, struct netlink_ext_ack *extack);
void vsd_get_config(struct vsd *vsd, struct vsd_config *cfg);
u32 vsd_read_count(struct vsd *vsd, unsigned int cpu);
const char *vsd_action_name(u32 action);
void vsd_sync_cpus(struct vsd *vsd);
irqreturn_t vsd_stall_irq(int irq, void *dev_id);

/* vsd_irq.c */
int vsd_irq_request(struct vsd *vsd);
void vsd_irq_free(struct vsd *vsd);
void vsd_irq_cpu_enable(struct vsd *vsd);
void vsd_irq_cpu_disable(struct vsd *vsd);
void vsd_nmi_save_stack(struct vsd_cpu *vc);
void vsd_nmi_print_stack(struct vsd_cpu *vc, unsigned int cpu);

/* vsd_fault.c */
#ifdef CONFIG_FAULT_INJECTION
bool vsd_should_fail_nmi(void);
int vsd_fault_init(void);
void vsd_fault_exit(void);
#else
static inline bool vsd_should_fail_nmi(void) { return false; }
static inline int vsd_fault_init(void) { return 0; }
static inline void vsd_fault_exit(void) { }
#endif

/* vsd_pause.c */
extern const struct dev_pm_ops vsd_pm_ops;
void vsd_pause_init(struct vsd *vsd);
void vsd_pause_exit(struct vsd *vsd);
int vsd_pause(struct vsd *vsd, u32 source, u32 duration_ms,
	      struct netlink_ext_ack *extack);
void vsd_resume(struct vsd *vsd);
void vsd_get_pause(struct vsd *vsd, struct vsd_pause_info *info);
const char *vsd_pause_source_name(u32 source);

/* vsd_netlink.c */
int vsd_nl_init(void);
void vsd_nl_exit(void);
void vsd_nl_notify_cpu(u32 cmd, unsigned int cpu);
void vsd_nl_notify_config(struct vsd *vsd);
void vsd_nl_notify_pause(const struct vsd_pause_info *info);

/* vsd_sysfs.c */
extern const struct attribute_group *vsd_groups[];
int vsd_sysfs_add_cpus(struct vsd *vsd);
void vsd_sysfs_remove_cpus(struct vsd *vsd);

#endif /* _VSD_H */
