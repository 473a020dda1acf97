/*
 * vCPU stall detector
 *
 * The guest reloads one countdown per vCPU from that vCPU (Linux:
 * drivers/misc/vcpu_stall_detector.c).  A count that reaches zero raises
 * the vCPU's PPI so the guest can report itself, emits VCPU_STALL, and if
 * the guest still has not reloaded it after a grace period, runs the
 * watchdog action chosen with -action watchdog=...
 *
 * The PPI is a level: high while the bank's stall report is pending, until
 * the guest acknowledges it.  KVM's vGIC treats every PPI as level-triggered
 * whatever the guest configures, so an edge cannot outlive the line; and a
 * reload does not end the report, so a vCPU that recovers and runs its
 * petting timer before it takes the PPI still learns it stalled.
 *
 * With clock=guest-time a count falls only by the CPU time its vCPU's
 * thread consumed, as crosvm's vmwdt does: a vCPU the host did not run
 * (overcommit, SIGSTOP) has not stalled.  clock=virtual counts
 * QEMU_CLOCK_VIRTUAL.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "qapi/qapi-events-run-state.h"
#include "qapi/qapi-visit-run-state.h"
#include "qapi/visitor.h"
#include "hw/core/cpu.h"
#include "hw/irq.h"
#include "hw/nmi.h"
#include "hw/qdev-properties.h"
#include "hw/watchdog/vcpu_stall_detector.h"
#include "migration/vmstate.h"
#include "system/qtest.h"
#include "system/tcg.h"
#include "system/watchdog.h"
#include "system/xen.h"
#include "trace.h"

/* Bounds of what a migration stream may carry (see vsd_bank_post_load). */
#define VSD_MAX_ELAPSED_NS  (INT64_MAX / 4)
#define VSD_MAX_GRACE_NS    ((int64_t)UINT32_MAX * SCALE_MS)
#define VSD_MIG_CLOCK_NONE  UINT8_MAX

/* STATUS bits a guest may write without a complaint. */
#define VSD_STATUS_BITS     (VCPU_STALL_STATUS_ENABLED | \
                             VCPU_STALL_STATUS_EXPIRED | \
                             VCPU_STALL_STATUS_PENDING)

static int64_t vsd_vnow(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

#ifdef CONFIG_PTHREAD_GETCPUCLOCKID
/*
 * Find the clock of vCPU @b->index's thread.  Until the vCPU exists (a
 * later or hot-plugged vCPU, a board that creates us first) its guest time
 * stands still; once found it goes on from there.
 */
static void vsd_attach_cpu(VCPUStallBank *b)
{
    CPUState *cpu = qemu_get_cpu(b->index);
    struct timespec ts;
    clockid_t clk;

    if (!cpu || !cpu->created || !cpu->thread ||
        pthread_getcpuclockid(cpu->thread->thread, &clk) ||
        clock_gettime(clk, &ts)) {
        return;
    }
    b->cpu_clock = clk;
    b->cpu_offset_ns = ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec -
                       b->last_cpu_ns;
    b->has_cpu_clock = true;
    trace_vcpu_stall_cpu_clock(b->index);
}
#endif

/* The time base of a bank's count: its vCPU's CPU time, or virtual time. */
static int64_t vsd_now(VCPUStallBank *b)
{
#ifdef CONFIG_PTHREAD_GETCPUCLOCKID
    struct timespec ts;

    if (b->s->guest_time) {
        if (!b->has_cpu_clock) {
            vsd_attach_cpu(b);
        }
        if (b->has_cpu_clock) {
            if (!clock_gettime(b->cpu_clock, &ts)) {
                b->last_cpu_ns = ts.tv_sec * NANOSECONDS_PER_SECOND +
                                 ts.tv_nsec - b->cpu_offset_ns;
            } else {
                b->has_cpu_clock = false;   /* its thread is gone */
            }
        }
        return b->last_cpu_ns;
    }
#endif
    return vsd_vnow();
}

/*
 * Whole ticks from base_ns to @now (> base_ns), counting the part of a
 * tick that had elapsed at base_ns; *frac gets the part of the next one.
 * Exact: elapsed * freq_hz + frac, in units of 1e-9 tick, without overflow.
 */
static uint64_t vsd_ticks(const VCPUStallBank *b, int64_t now, uint32_t *frac)
{
    uint64_t elapsed = now - b->base_ns;
    uint64_t sec = elapsed / NANOSECONDS_PER_SECOND;
    uint64_t part = elapsed % NANOSECONDS_PER_SECOND * b->freq_hz + b->frac;

    *frac = part % NANOSECONDS_PER_SECOND;
    return MIN(sec, UINT32_MAX) * b->freq_hz + part / NANOSECONDS_PER_SECOND;
}

/* The live count: base_count less the ticks elapsed since base_ns. */
static uint32_t vsd_count(const VCPUStallBank *b, int64_t now)
{
    uint32_t frac;
    uint64_t ticks;

    if (b->expired) {
        return 0;
    }
    if (!b->enabled || now <= b->base_ns) {
        return b->base_count;
    }
    ticks = vsd_ticks(b, now, &frac);
    return ticks >= b->base_count ? 0 : b->base_count - ticks;
}

/*
 * Move base_ns to @now (before a change of rate or state), keeping the
 * count and the part of a tick already elapsed: a guest that rewrites
 * CLOCK_FREQ_HZ or STATUS more often than a tick lasts still sees its
 * count fall.  A disabled bank's count and fraction stand still.
 */
static void vsd_rebase(VCPUStallBank *b, int64_t now)
{
    uint32_t frac;
    uint64_t ticks;

    if (b->enabled && !b->expired && now > b->base_ns) {
        ticks = vsd_ticks(b, now, &frac);
        b->base_count = ticks >= b->base_count ? 0 : b->base_count - ticks;
        b->frac = b->base_count ? frac : 0;
    }
    b->base_ns = now;
}

/*
 * Arm the timer for the earliest instant the count can reach zero.  In
 * virtual time that is exact.  A vCPU thread's CPU time advances no faster
 * than virtual time, so in guest time the timer fires when the count would
 * be zero had the vCPU run all along, and re-arms for what is left: no
 * polling while a vCPU idles, and no delay once it spins.  An expired
 * bank's timer is its grace period: only a reload, a disable or a reset
 * ends that.
 */
static void vsd_arm(VCPUStallBank *b)
{
    int64_t ns = 0;

    if (b->expired) {
        return;
    }
    if (!b->enabled) {
        timer_del(b->timer);
        return;
    }
    /* Round up: the count is zero only once the last tick has elapsed. */
    if (b->base_count) {
        ns = ((uint64_t)b->base_count * NANOSECONDS_PER_SECOND - b->frac +
              b->freq_hz - 1) / b->freq_hz;
    }
    if (!b->s->guest_time) {
        timer_mod(b->timer, b->base_ns + ns);
    } else {
        ns -= vsd_now(b) - b->base_ns;
        timer_mod(b->timer, vsd_vnow() + MAX(ns, VCPU_STALL_MIN_POLL_NS));
    }
}

/* The line follows PENDING: a stall report the guest has yet to take. */
static void vsd_set_pending(VCPUStallBank *b, bool pending)
{
    if (b->pending != pending) {
        b->pending = pending;
        trace_vcpu_stall_pending(b->index, pending);
        qemu_set_irq(b->irq, pending);
    }
}

/* A disable or a reset: the episode is over, taken or not. */
static void vsd_clear_expiry(VCPUStallBank *b)
{
    b->expired = false;
    vsd_set_pending(b, false);
}

static int vsd_find_nmi(Object *obj, void *opaque)
{
    return !!object_dynamic_cast(obj, TYPE_NMI);
}

/* Would -action watchdog=inject-nmi do anything on this machine? */
static bool vsd_machine_has_nmi(void)
{
    return object_child_foreach_recursive(object_get_root(), vsd_find_nmi,
                                          NULL);
}

/*
 * A grace period ran out: one watchdog action for the whole episode.  It
 * covers every bank whose grace period is running, so vCPUs that stalled
 * together (a VM-wide hang) get one action, not one per vCPU; a bank that
 * expires after it starts a grace period, and an action, of its own.
 */
static void vsd_grace_end(VCPUStallBank *b)
{
    VCPUStallDetectorState *s = b->s;
    uint32_t banks = 1;

    for (uint32_t i = 0; i < s->num_cpus; i++) {
        VCPUStallBank *o = &s->banks[i];

        if (o != b && o->expired && timer_pending(o->timer)) {
            timer_del(o->timer);
            banks++;
        }
    }
    trace_vcpu_stall_grace_expired(b->index, banks);
    if (get_watchdog_action() == WATCHDOG_ACTION_INJECT_NMI &&
        !vsd_machine_has_nmi()) {
        warn_report_once("%s: watchdog action inject-nmi: this machine has "
                         "no NMI to inject", TYPE_VCPU_STALL_DETECTOR);
    }
    watchdog_perform_action();
}

static void vsd_timer_cb(void *opaque)
{
    VCPUStallBank *b = opaque;
    VCPUStallDetectorState *s = b->s;
    g_autofree char *path = NULL;

    if (b->expired) {
        vsd_grace_end(b);           /* the guest did not recover */
        return;
    }
    if (vsd_count(b, vsd_now(b))) {
        vsd_arm(b);                 /* guest time: the vCPU did not run */
        return;
    }

    b->expired = true;
    b->base_count = 0;
    b->frac = 0;
    b->stalls++;
    trace_vcpu_stall_expired(b->index, b->stalls);
    vsd_set_pending(b, true);
    path = object_get_canonical_path(OBJECT(s));
    qapi_event_send_vcpu_stall(b->index, path);
    timer_mod(b->timer, vsd_vnow() + (int64_t)s->grace_ms * SCALE_MS);
}

static uint64_t vsd_read(void *opaque, hwaddr addr, unsigned size)
{
    VCPUStallDetectorState *s = opaque;
    uint32_t cpu = addr / VCPU_STALL_REG_LEN;
    hwaddr reg = addr % VCPU_STALL_REG_LEN;
    VCPUStallBank *b;
    uint64_t val = 0;

    if (size != 4 || (reg & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %u-byte read at 0x%" HWADDR_PRIx
                      ": registers are 32 bits wide\n", __func__, size, addr);
        return 0;
    }
    if (cpu >= s->num_cpus) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read at 0x%" HWADDR_PRIx
                      " past the last bank (cpu %u of %u)\n",
                      __func__, addr, cpu, s->num_cpus);
        return 0;
    }

    b = &s->banks[cpu];
    switch (reg) {
    case VCPU_STALL_REG_STATUS:
        val = (b->enabled ? VCPU_STALL_STATUS_ENABLED : 0) |
              (b->expired ? VCPU_STALL_STATUS_EXPIRED : 0) |
              (b->pending ? VCPU_STALL_STATUS_PENDING : 0);
        break;
    case VCPU_STALL_REG_LOAD_CNT:
        val = b->load_val;
        break;
    case VCPU_STALL_REG_CURRENT_CNT:
        val = vsd_count(b, vsd_now(b));
        break;
    case VCPU_STALL_REG_CLOCK_FREQ_HZ:
        val = b->freq_hz;
        break;
    }
    trace_vcpu_stall_read(cpu, reg, val);
    return val;
}

static void vsd_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    VCPUStallDetectorState *s = opaque;
    uint32_t cpu = addr / VCPU_STALL_REG_LEN;
    hwaddr reg = addr % VCPU_STALL_REG_LEN;
    VCPUStallBank *b;
    int64_t now;

    if (size != 4 || (reg & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %u-byte write at 0x%" HWADDR_PRIx
                      ": registers are 32 bits wide\n", __func__, size, addr);
        return;
    }
    if (cpu >= s->num_cpus) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write at 0x%" HWADDR_PRIx
                      " past the last bank (cpu %u of %u)\n",
                      __func__, addr, cpu, s->num_cpus);
        return;
    }

    b = &s->banks[cpu];
    now = vsd_now(b);
    trace_vcpu_stall_write(cpu, reg, val);
    switch (reg) {
    case VCPU_STALL_REG_STATUS:
        /* EXPIRED is read-only: a read-modify-write may carry it back. */
        if (val & ~(uint64_t)VSD_STATUS_BITS) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: cpu %u: reserved STATUS bits"
                          " 0x%" PRIx64 " ignored\n", __func__, cpu,
                          val & ~(uint64_t)VSD_STATUS_BITS);
        }
        if (val & VCPU_STALL_STATUS_ENABLED) {
            if (!b->enabled) {
                vsd_rebase(b, now); /* resume from the frozen count */
                b->enabled = true;
            }
        } else if (b->enabled) {
            vsd_rebase(b, now);
            b->enabled = false;
            vsd_clear_expiry(b);
        }
        /* The acknowledge: the line falls, the grace period runs on. */
        if (val & VCPU_STALL_STATUS_PENDING && b->pending) {
            trace_vcpu_stall_ack(cpu);
            vsd_set_pending(b, false);
        }
        break;
    case VCPU_STALL_REG_LOAD_CNT:
        b->load_val = val;
        b->base_count = val;
        b->frac = 0;
        b->base_ns = now;
        b->pets++;
        b->expired = false;         /* the grace period ends, the report not */
        break;
    case VCPU_STALL_REG_CURRENT_CNT:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: cpu %u: CURRENT_CNT is read-only\n",
                      __func__, cpu);
        return;
    case VCPU_STALL_REG_CLOCK_FREQ_HZ:
        if (!val) {
            /* A count that never falls would be a disable in disguise. */
            qemu_log_mask(LOG_GUEST_ERROR, "%s: cpu %u: CLOCK_FREQ_HZ 0 "
                          "ignored\n", __func__, cpu);
            return;
        }
        vsd_rebase(b, now);
        b->freq_hz = val;
        break;
    }
    vsd_arm(b);
}

static const MemoryRegionOps vsd_ops = {
    .read = vsd_read,
    .write = vsd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /*
     * Accept every width so that a stray access is logged and ignored
     * instead of faulting the guest; the handlers enforce 32 bits.
     */
    .valid.min_access_size = 1,
    .valid.max_access_size = 8,
    .impl.min_access_size = 1,
    .impl.max_access_size = 8,
};

/*
 * Read-only QOM status: "bankN" for vCPU N and "banks" for all of them, so
 * host tooling can inspect the device without the guest's help.
 */
static bool vsd_visit_bank(Visitor *v, const char *name, VCPUStallBank *b,
                           Error **errp)
{
    VcpuStallBankStatus st = {
        .cpu = b->index,
        .enabled = b->enabled,
        .expired = b->expired,
        .pending = b->pending,
        .count = vsd_count(b, vsd_now(b)),
        .load = b->load_val,
        .clock_frequency = b->freq_hz,
        .stalls = b->stalls,
        .pets = b->pets,
        .has_grace_left_ns = b->expired && timer_pending(b->timer),
    };
    VcpuStallBankStatus *p = &st;

    if (st.has_grace_left_ns) {
        st.grace_left_ns = MAX(timer_expire_time_ns(b->timer) - vsd_vnow(),
                               0);
    }
    return visit_type_VcpuStallBankStatus(v, name, &p, errp);
}

static void vsd_get_bank(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    vsd_visit_bank(v, name, opaque, errp);
}

/* Before realize (or after unrealize) there are no banks: an empty list. */
static void vsd_get_banks(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(obj);
    uint32_t n = s->banks ? s->num_cpus : 0;
    bool ok = true;

    if (!visit_start_list(v, name, NULL, 0, errp)) {
        return;
    }
    for (uint32_t i = 0; ok && i < n; i++) {
        ok = vsd_visit_bank(v, NULL, &s->banks[i], errp);
    }
    if (ok) {
        visit_check_list(v, errp);
    }
    visit_end_list(v, NULL);
}

static void vsd_reset_hold(Object *obj, ResetType type)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(obj);

    trace_vcpu_stall_reset();
    for (uint32_t i = 0; s->banks && i < s->num_cpus; i++) {
        VCPUStallBank *b = &s->banks[i];

        timer_del(b->timer);
        vsd_clear_expiry(b);
        b->enabled = false;
        b->load_val = 0;
        b->base_count = 0;
        b->frac = 0;
        b->base_ns = 0;
        b->freq_hz = s->clock_freq_hz;
    }
}

/*
 * Does every vCPU run guest code on a thread of its own?  Asked of the
 * accelerator, not of the vCPUs: they may not exist yet.
 */
static bool vsd_vcpus_have_threads(void)
{
    g_autofree char *thread = NULL;

    if (qtest_enabled() || xen_enabled()) {
        return false;               /* no vCPU runs guest code here */
    }
    if (tcg_enabled()) {
        thread = object_property_get_str(OBJECT(current_accel()), "thread",
                                         NULL);
        return thread && !strcmp(thread, "multi");
    }
    return true;                    /* KVM, HVF, WHPX, NVMM */
}

/* Whether the host has per-thread CPU-time clocks (a meson check). */
#ifdef CONFIG_PTHREAD_GETCPUCLOCKID
#define VSD_HOST_CPU_CLOCKS true
#else
#define VSD_HOST_CPU_CLOCKS false
#endif

/* Resolve clock=auto; refuse guest-time where it cannot be honoured. */
static bool vsd_resolve_clock(VCPUStallDetectorState *s, Error **errp)
{
    bool threads = vsd_vcpus_have_threads();

    switch (s->clock) {
    case VCPU_STALL_CLOCK_AUTO:
        s->clock = threads && VSD_HOST_CPU_CLOCKS ?
                   VCPU_STALL_CLOCK_GUEST_TIME : VCPU_STALL_CLOCK_VIRTUAL;
        break;
    case VCPU_STALL_CLOCK_GUEST_TIME:
        if (!VSD_HOST_CPU_CLOCKS) {
            error_setg(errp, "clock=guest-time needs per-thread CPU-time "
                       "clocks, which this host does not have");
            error_append_hint(errp, "Use clock=virtual on this host.\n");
            return false;
        }
        if (!threads) {
            error_setg(errp, "clock=guest-time needs a thread per vCPU "
                       "(-accel tcg,thread=multi or KVM)");
            error_append_hint(errp, "Use clock=virtual with this "
                              "accelerator.\n");
            return false;
        }
        break;
    default:
        break;
    }
    s->guest_time = s->clock == VCPU_STALL_CLOCK_GUEST_TIME;
    return true;
}

static void vsd_realize(DeviceState *dev, Error **errp)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(dev);
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

    /* Every check before any allocation: a failed realize leaves nothing. */
    if (s->num_cpus < 1 || s->num_cpus > VCPU_STALL_MAX_CPUS) {
        error_setg(errp, "num-cpus must be between 1 and %u",
                   VCPU_STALL_MAX_CPUS);
        return;
    }
    if (!s->clock_freq_hz || !s->timeout_sec) {
        error_setg(errp, "clock-frequency and timeout-sec must not be 0");
        return;
    }
    if ((uint64_t)s->clock_freq_hz * s->timeout_sec > UINT32_MAX) {
        error_setg(errp, "clock-frequency * timeout-sec must fit in the "
                   "32-bit LOAD_CNT register");
        return;
    }
    if (get_watchdog_action() == WATCHDOG_ACTION_INJECT_NMI &&
        !vsd_machine_has_nmi()) {
        error_setg(errp, "-action watchdog=inject-nmi: this machine has no "
                   "NMI to inject");
        error_append_hint(errp, "Choose another watchdog action; the "
                          "stalled vCPU gets its stall interrupt either "
                          "way.\n");
        return;
    }
    if (!vsd_resolve_clock(s, errp)) {
        return;
    }

    memory_region_init_io(&s->iomem, OBJECT(dev), &vsd_ops, s,
                          TYPE_VCPU_STALL_DETECTOR,
                          VCPU_STALL_MMIO_SIZE(s->num_cpus));
    sysbus_init_mmio(sbd, &s->iomem);

    s->banks = g_new0(VCPUStallBank, s->num_cpus);
    for (uint32_t i = 0; i < s->num_cpus; i++) {
        VCPUStallBank *b = &s->banks[i];
        g_autofree char *prop = g_strdup_printf("bank%u", i);

        b->s = s;
        b->index = i;
        b->freq_hz = s->clock_freq_hz;
        b->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, vsd_timer_cb, b);
        sysbus_init_irq(sbd, &b->irq);
        object_property_add(OBJECT(dev), prop, "VcpuStallBankStatus",
                            vsd_get_bank, NULL, NULL, b);
    }
}

static void vsd_unrealize(DeviceState *dev)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(dev);

    for (uint32_t i = 0; i < s->num_cpus; i++) {
        g_autofree char *prop = g_strdup_printf("bank%u", i);

        object_property_del(OBJECT(dev), prop);
        timer_free(s->banks[i].timer);
    }
    g_free(s->banks);
    s->banks = NULL;
}

/*
 * Times travel as offsets from "now", not as absolute clock values: the
 * destination's clock need not match the source's (a different host's CPU
 * time, a qtest clock), and the countdown must go on exactly where it was.
 */
static int vsd_bank_pre_save(void *opaque)
{
    VCPUStallBank *b = opaque;

    b->mig_elapsed_ns = vsd_now(b) - b->base_ns;
    b->mig_grace_ns = -1;
    if (b->expired && timer_pending(b->timer)) {
        b->mig_grace_ns = MAX(timer_expire_time_ns(b->timer) - vsd_vnow(), 0);
    }
    return 0;
}

static int vsd_bank_pre_load(void *opaque)
{
    VCPUStallBank *b = opaque;

    b->frac = 0;                    /* unless the stream says otherwise */
    b->pending = false;
    return 0;
}

/* Check every field; the device's post_load restarts the timers. */
static int vsd_bank_post_load(void *opaque, int version_id)
{
    VCPUStallBank *b = opaque;
    const char *bad = NULL;

    if (!b->freq_hz) {
        bad = "CLOCK_FREQ_HZ is 0";
    } else if (b->base_count > b->load_val) {
        bad = "the count is above the loaded value";
    } else if (b->frac >= NANOSECONDS_PER_SECOND) {
        bad = "the part of a tick elapsed is a tick or more";
    } else if (b->expired && (!b->enabled || b->base_count || b->frac)) {
        bad = "an expired bank is disabled or still counting";
    } else if (b->pending && !b->enabled) {
        bad = "a disabled bank has a stall report pending";
    } else if (b->mig_elapsed_ns < 0 ||
               b->mig_elapsed_ns > VSD_MAX_ELAPSED_NS) {
        bad = "the time since the last reload is out of range";
    } else if (b->mig_grace_ns < -1 || b->mig_grace_ns > VSD_MAX_GRACE_NS ||
               (b->mig_grace_ns >= 0 && !b->expired)) {
        bad = "the grace period left is out of range";
    }
    if (bad) {
        error_report("%s: bank %u in the migration stream: %s",
                     TYPE_VCPU_STALL_DETECTOR, b->index, bad);
        return -EINVAL;
    }
    return 0;
}

static bool vsd_bank_frac_needed(void *opaque)
{
    VCPUStallBank *b = opaque;

    return b->frac;
}

static const VMStateDescription vmstate_vsd_bank_frac = {
    .name = "vcpu-stall-detector/bank/frac",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vsd_bank_frac_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(frac, VCPUStallBank),
        VMSTATE_END_OF_LIST()
    }
};

/* Only with a report pending: what a source without PENDING never has. */
static bool vsd_bank_pending_needed(void *opaque)
{
    VCPUStallBank *b = opaque;

    return b->pending;
}

static const VMStateDescription vmstate_vsd_bank_pending = {
    .name = "vcpu-stall-detector/bank/pending",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vsd_bank_pending_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(pending, VCPUStallBank),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vsd_bank = {
    .name = "vcpu-stall-detector/bank",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = vsd_bank_pre_save,
    .pre_load = vsd_bank_pre_load,
    .post_load = vsd_bank_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(enabled, VCPUStallBank),
        VMSTATE_BOOL(expired, VCPUStallBank),
        VMSTATE_UINT32(load_val, VCPUStallBank),
        VMSTATE_UINT32(freq_hz, VCPUStallBank),
        VMSTATE_UINT32(base_count, VCPUStallBank),
        VMSTATE_INT64(mig_elapsed_ns, VCPUStallBank),
        VMSTATE_INT64(mig_grace_ns, VCPUStallBank),
        VMSTATE_UINT64(stalls, VCPUStallBank),
        VMSTATE_UINT64(pets, VCPUStallBank),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vsd_bank_frac,
        &vmstate_vsd_bank_pending,
        NULL
    }
};

static int vsd_pre_save(void *opaque)
{
    VCPUStallDetectorState *s = opaque;

    s->mig_clock = s->clock;
    return 0;
}

static int vsd_pre_load(void *opaque)
{
    VCPUStallDetectorState *s = opaque;

    s->mig_clock = VSD_MIG_CLOCK_NONE;
    return 0;
}

/*
 * The source's clock must be ours: a count that fell by a vCPU's CPU time
 * cannot go on in virtual time, or the other way round, without accusing
 * vCPUs the host did not run (or missing real stalls).
 */
static int vsd_post_load(void *opaque, int version_id)
{
    VCPUStallDetectorState *s = opaque;

    if (s->mig_clock != VSD_MIG_CLOCK_NONE && s->mig_clock != s->clock) {
        if (s->mig_clock != VCPU_STALL_CLOCK_GUEST_TIME &&
            s->mig_clock != VCPU_STALL_CLOCK_VIRTUAL) {
            error_report("%s: invalid clock %u in the migration stream",
                         TYPE_VCPU_STALL_DETECTOR, s->mig_clock);
        } else {
            error_report("%s: the source counts clock=%s, this destination "
                         "clock=%s; start it with -global %s.clock=%s",
                         TYPE_VCPU_STALL_DETECTOR,
                         VcpuStallClock_str(s->mig_clock),
                         VcpuStallClock_str(s->clock),
                         TYPE_VCPU_STALL_DETECTOR,
                         VcpuStallClock_str(s->mig_clock));
        }
        return -EINVAL;
    }
    for (uint32_t i = 0; i < s->num_cpus; i++) {
        VCPUStallBank *b = &s->banks[i];

        b->base_ns = vsd_now(b) - b->mig_elapsed_ns;
        if (!b->expired) {
            vsd_arm(b);
        } else if (b->mig_grace_ns >= 0) {
            timer_mod(b->timer, vsd_vnow() + b->mig_grace_ns);
        } else {
            timer_del(b->timer);
        }
    }
    return 0;
}

static bool vsd_clock_needed(void *opaque)
{
    return true;
}

static const VMStateDescription vmstate_vsd_clock = {
    .name = "vcpu-stall-detector/clock",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vsd_clock_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(mig_clock, VCPUStallDetectorState),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vsd = {
    .name = TYPE_VCPU_STALL_DETECTOR,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = vsd_pre_save,
    .pre_load = vsd_pre_load,
    .post_load = vsd_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_EQUAL(num_cpus, VCPUStallDetectorState, NULL),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(banks, VCPUStallDetectorState,
                                             num_cpus, vmstate_vsd_bank,
                                             VCPUStallBank),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vsd_clock,
        NULL
    }
};

/* clock: a VcpuStallClock, with an error that names the choices. */
static void vsd_get_clock(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const Property *prop = opaque;
    int *ptr = object_field_prop_ptr(obj, prop);

    visit_type_enum(v, name, ptr, prop->info->enum_table, errp);
}

static void vsd_set_clock(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    const Property *prop = opaque;
    int *ptr = object_field_prop_ptr(obj, prop);
    g_autofree char *str = NULL;
    int val;

    if (!visit_type_str(v, name, &str, errp)) {
        return;
    }
    val = qapi_enum_parse(prop->info->enum_table, str, -1, NULL);
    if (val < 0) {
        error_setg(errp, "clock must be guest-time or virtual, not '%s'",
                   str);
        return;
    }
    *ptr = val;
}

static void vsd_set_default_clock(ObjectProperty *op, const Property *prop)
{
    object_property_set_default_str(op,
        qapi_enum_lookup(prop->info->enum_table, prop->defval.i));
}

static const PropertyInfo vsd_prop_clock = {
    .type = "VcpuStallClock",
    .description = "guest-time/virtual/auto (reads back the one in use)",
    .enum_table = &VcpuStallClock_lookup,
    .get = vsd_get_clock,
    .set = vsd_set_clock,
    .set_default_value = vsd_set_default_clock,
};

static const Property vsd_properties[] = {
    DEFINE_PROP_UINT32("num-cpus", VCPUStallDetectorState, num_cpus, 1),
    DEFINE_PROP_UINT32("clock-frequency", VCPUStallDetectorState,
                       clock_freq_hz, VCPU_STALL_DEFAULT_CLOCK_HZ),
    DEFINE_PROP_UINT32("timeout-sec", VCPUStallDetectorState, timeout_sec,
                       VCPU_STALL_DEFAULT_TIMEOUT_SEC),
    DEFINE_PROP_UINT32("grace-ms", VCPUStallDetectorState, grace_ms,
                       VCPU_STALL_DEFAULT_GRACE_MS),
    DEFINE_PROP_SIGNED("clock", VCPUStallDetectorState, clock,
                       VCPU_STALL_CLOCK_AUTO, vsd_prop_clock, VcpuStallClock),
};

static void vsd_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->desc = "vCPU stall detector";
    dc->realize = vsd_realize;
    dc->unrealize = vsd_unrealize;
    dc->vmsd = &vmstate_vsd;
    dc->hotpluggable = false;
    rc->phases.hold = vsd_reset_hold;
    device_class_set_props(dc, vsd_properties);
    object_class_property_add(klass, "banks", "VcpuStallBankStatusList",
                              vsd_get_banks, NULL, NULL, NULL);
    object_class_property_set_description(klass, "banks",
                                          "Status of every vCPU's bank");
    set_bit(DEVICE_CATEGORY_WATCHDOG, dc->categories);
}

static const TypeInfo vsd_info = {
    .name = TYPE_VCPU_STALL_DETECTOR,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(VCPUStallDetectorState),
    .class_init = vsd_class_init,
};

static void vsd_register_types(void)
{
    type_register_static(&vsd_info);
}

type_init(vsd_register_types)
