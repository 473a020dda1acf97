/*
 * vCPU stall detector
 *
 * The guest reloads one countdown per vCPU from that vCPU (Linux:
 * drivers/misc/vcpu_stall_detector.c).  A count that reaches zero raises
 * the vCPU's PPI so the guest can report itself, emits VCPU_STALL, and if
 * the guest still has not reloaded it after a grace period, runs the
 * watchdog action chosen with -action watchdog=...
 *
 * With clock=guest-time a count falls only by the CPU time its vCPU's
 * thread consumed, as crosvm's vmwdt does: a vCPU the host did not run
 * (overcommit, SIGSTOP) has not stalled.  clock=virtual counts
 * QEMU_CLOCK_VIRTUAL.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "qapi/qapi-events-run-state.h"
#include "qapi/visitor.h"
#include "hw/core/cpu.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/watchdog/vcpu_stall_detector.h"
#include "migration/vmstate.h"
#include "system/qtest.h"
#include "system/watchdog.h"
#include "trace.h"

static int64_t vsd_vnow(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/* The time base of a bank's count: its vCPU's CPU time, or virtual time. */
static int64_t vsd_now(VCPUStallBank *b)
{
#ifndef _WIN32
    struct timespec ts;

    if (b->has_cpu_clock) {
        /* Cannot fail for a live thread of ours; if it did, hold still. */
        if (!clock_gettime(b->cpu_clock, &ts)) {
            b->last_cpu_ns = ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
        }
        return b->last_cpu_ns;
    }
#endif
    return vsd_vnow();
}

/* The live count: base_count less the ticks elapsed since base_ns. */
static uint32_t vsd_count(const VCPUStallBank *b, int64_t now)
{
    uint64_t ticks;

    if (b->expired) {
        return 0;
    }
    if (!b->enabled || !b->freq_hz || now <= b->base_ns) {
        return b->base_count;
    }
    ticks = muldiv64(now - b->base_ns, b->freq_hz, NANOSECONDS_PER_SECOND);
    return ticks >= b->base_count ? 0 : b->base_count - ticks;
}

/* Restart the count from its current value at @now (before a change). */
static void vsd_rebase(VCPUStallBank *b, int64_t now)
{
    b->base_count = vsd_count(b, now);
    b->base_ns = now;
}

/*
 * Arm the timer for the earliest instant the count can reach zero.  In
 * virtual time that is exact.  A vCPU thread's CPU time advances no faster
 * than virtual time, so in guest time the timer fires when the count would
 * be zero had the vCPU run all along, and re-arms for what is left: no
 * polling while a vCPU idles, and no delay once it spins.
 */
static void vsd_arm(VCPUStallBank *b)
{
    int64_t ns;

    if (!b->enabled || b->expired || !b->freq_hz) {
        timer_del(b->timer);
        return;
    }
    /* Round up: the count is zero only once the last tick has elapsed. */
    ns = ((uint64_t)b->base_count * NANOSECONDS_PER_SECOND + b->freq_hz - 1)
         / b->freq_hz;
    if (!b->has_cpu_clock) {
        timer_mod(b->timer, b->base_ns + ns);
    } else {
        ns -= vsd_now(b) - b->base_ns;
        timer_mod(b->timer, vsd_vnow() + MAX(ns, VCPU_STALL_MIN_POLL_NS));
    }
}

static void vsd_clear_expiry(VCPUStallBank *b)
{
    if (b->expired) {
        b->expired = false;
        qemu_irq_lower(b->irq);
    }
}

static void vsd_timer_cb(void *opaque)
{
    VCPUStallBank *b = opaque;
    VCPUStallDetectorState *s = b->s;
    g_autofree char *path = NULL;

    if (b->expired) {
        /* The grace period passed and the guest did not recover. */
        trace_vcpu_stall_grace_expired(b->index);
        watchdog_perform_action();
        return;
    }
    if (vsd_count(b, vsd_now(b))) {
        vsd_arm(b);                 /* guest time: the vCPU did not run */
        return;
    }

    b->expired = true;
    b->base_count = 0;
    b->stalls++;
    trace_vcpu_stall_expired(b->index, b->stalls);
    qemu_irq_raise(b->irq);
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
              (b->expired ? VCPU_STALL_STATUS_EXPIRED : 0);
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
        if (val & ~(uint64_t)VCPU_STALL_STATUS_ENABLED) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: cpu %u: reserved STATUS bits"
                          " 0x%" PRIx64 " ignored\n", __func__, cpu,
                          val & ~(uint64_t)VCPU_STALL_STATUS_ENABLED);
        }
        if (val & VCPU_STALL_STATUS_ENABLED) {
            if (!b->enabled) {
                b->enabled = true;
                b->base_ns = now;   /* resume from the frozen count */
            }
        } else if (b->enabled) {
            vsd_rebase(b, now);
            b->enabled = false;
            vsd_clear_expiry(b);
        }
        break;
    case VCPU_STALL_REG_LOAD_CNT:
        b->load_val = val;
        b->base_count = val;
        b->base_ns = now;
        b->pets++;
        vsd_clear_expiry(b);
        break;
    case VCPU_STALL_REG_CURRENT_CNT:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: cpu %u: CURRENT_CNT is read-only\n",
                      __func__, cpu);
        return;
    case VCPU_STALL_REG_CLOCK_FREQ_HZ:
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
    uint32_t cpu = b->index, count = vsd_count(b, vsd_now(b));
    uint32_t load = b->load_val, freq = b->freq_hz;
    bool enabled = b->enabled, expired = b->expired;
    uint64_t stalls = b->stalls, pets = b->pets;
    bool ok;

    if (!visit_start_struct(v, name, NULL, 0, errp)) {
        return false;
    }
    ok = visit_type_uint32(v, "cpu", &cpu, errp) &&
         visit_type_bool(v, "enabled", &enabled, errp) &&
         visit_type_bool(v, "expired", &expired, errp) &&
         visit_type_uint32(v, "count", &count, errp) &&
         visit_type_uint32(v, "load", &load, errp) &&
         visit_type_uint32(v, "clock-frequency", &freq, errp) &&
         visit_type_uint64(v, "stalls", &stalls, errp) &&
         visit_type_uint64(v, "pets", &pets, errp) &&
         visit_check_struct(v, errp);
    visit_end_struct(v, NULL);
    return ok;
}

static void vsd_get_bank(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    vsd_visit_bank(v, name, opaque, errp);
}

static void vsd_get_banks(Object *obj, Visitor *v, const char *name,
                          void *opaque, Error **errp)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(obj);
    bool ok = true;

    if (!visit_start_list(v, name, NULL, 0, errp)) {
        return;
    }
    for (uint32_t i = 0; ok && i < s->num_cpus; i++) {
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
    for (uint32_t i = 0; i < s->num_cpus; i++) {
        VCPUStallBank *b = &s->banks[i];

        timer_del(b->timer);
        vsd_clear_expiry(b);
        b->enabled = false;
        b->load_val = 0;
        b->base_count = 0;
        b->base_ns = 0;
        b->freq_hz = s->clock_freq_hz;
    }
}

/* Does every vCPU run guest code on a thread of its own? */
static bool vsd_vcpus_have_threads(void)
{
    CPUState *cpu, *other;

    if (qtest_enabled()) {
        return false;               /* no vCPU runs guest code at all */
    }
    CPU_FOREACH(cpu) {
        if (!cpu->thread) {
            return false;
        }
        CPU_FOREACH(other) {
            if (other != cpu && other->thread == cpu->thread) {
                return false;
            }
        }
    }
    return true;
}

static bool vsd_setup_clock(VCPUStallDetectorState *s, Error **errp)
{
    const char *clock = s->clock ? s->clock : "auto";
    bool threads = vsd_vcpus_have_threads();
    bool guest_time;

    if (!strcmp(clock, "auto")) {
        guest_time = threads;
    } else if (!strcmp(clock, "guest-time")) {
        if (!threads) {
            error_setg(errp, "clock=guest-time needs a thread per vCPU "
                       "(-accel tcg,thread=multi or KVM)");
            error_append_hint(errp, "Use clock=virtual with this "
                              "accelerator.\n");
            return false;
        }
        guest_time = true;
    } else if (!strcmp(clock, "virtual")) {
        guest_time = false;
    } else {
        error_setg(errp, "clock must be guest-time or virtual, not '%s'",
                   clock);
        return false;
    }
#ifdef _WIN32
    if (guest_time) {
        error_setg(errp, "clock=guest-time is not supported on this host");
        return false;
    }
#else
    for (uint32_t i = 0; guest_time && i < s->num_cpus; i++) {
        CPUState *cpu = qemu_get_cpu(i);
        VCPUStallBank *b = &s->banks[i];
        int err;

        if (!cpu) {
            continue;               /* no such vCPU: virtual time */
        }
        err = pthread_getcpuclockid(cpu->thread->thread, &b->cpu_clock);
        if (err) {
            error_setg_errno(errp, err, "cannot read vCPU %u's CPU time", i);
            return false;
        }
        b->has_cpu_clock = true;
    }
#endif
    /* Reading the property back tells which clock is in use. */
    g_free(s->clock);
    s->clock = g_strdup(guest_time ? "guest-time" : "virtual");
    return true;
}

static void vsd_realize(DeviceState *dev, Error **errp)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(dev);
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

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
        object_property_add(OBJECT(dev), prop, "VCPUStallBank",
                            vsd_get_bank, NULL, NULL, b);
    }
    if (!vsd_setup_clock(s, errp)) {
        return;
    }
}

static void vsd_unrealize(DeviceState *dev)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(dev);

    for (uint32_t i = 0; i < s->num_cpus; i++) {
        timer_free(s->banks[i].timer);
    }
    g_free(s->banks);
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

static int vsd_bank_post_load(void *opaque, int version_id)
{
    VCPUStallBank *b = opaque;

    b->base_ns = vsd_now(b) - b->mig_elapsed_ns;
    if (!b->expired) {
        vsd_arm(b);
    } else if (b->mig_grace_ns >= 0) {
        timer_mod(b->timer, vsd_vnow() + b->mig_grace_ns);
    } else {
        timer_del(b->timer);
    }
    return 0;
}

static const VMStateDescription vmstate_vsd_bank = {
    .name = "vcpu-stall-detector/bank",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = vsd_bank_pre_save,
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
    }
};

static const VMStateDescription vmstate_vsd = {
    .name = TYPE_VCPU_STALL_DETECTOR,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_EQUAL(num_cpus, VCPUStallDetectorState, NULL),
        VMSTATE_STRUCT_VARRAY_POINTER_UINT32(banks, VCPUStallDetectorState,
                                             num_cpus, vmstate_vsd_bank,
                                             VCPUStallBank),
        VMSTATE_END_OF_LIST()
    }
};

static const Property vsd_properties[] = {
    DEFINE_PROP_UINT32("num-cpus", VCPUStallDetectorState, num_cpus, 1),
    DEFINE_PROP_UINT32("clock-frequency", VCPUStallDetectorState,
                       clock_freq_hz, VCPU_STALL_DEFAULT_CLOCK_HZ),
    DEFINE_PROP_UINT32("timeout-sec", VCPUStallDetectorState, timeout_sec,
                       VCPU_STALL_DEFAULT_TIMEOUT_SEC),
    DEFINE_PROP_UINT32("grace-ms", VCPUStallDetectorState, grace_ms,
                       VCPU_STALL_DEFAULT_GRACE_MS),
    DEFINE_PROP_STRING("clock", VCPUStallDetectorState, clock),
};

static void vsd_class_init(ObjectClass *klass, void *data)
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
    object_class_property_add(klass, "banks", "VCPUStallBankList",
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
