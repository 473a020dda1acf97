/*
 * vCPU stall detector
 *
 * A per-vCPU countdown that the guest reloads from each vCPU; a bank that
 * reaches zero means that vCPU stopped running guest code.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_WATCHDOG_VCPU_STALL_DETECTOR_H
#define HW_WATCHDOG_VCPU_STALL_DETECTOR_H

#include "hw/sysbus.h"
#include "qapi/qapi-types-run-state.h"
#include "qom/object.h"
#include "standard-headers/misc/vcpu_stall_detector.h"

#define TYPE_VCPU_STALL_DETECTOR "vcpu-stall-detector"
OBJECT_DECLARE_SIMPLE_TYPE(VCPUStallDetectorState, VCPU_STALL_DETECTOR)

/* The DT compatible the guest driver binds to. */
#define VCPU_STALL_DETECTOR_COMPAT "qemu,vcpu-stall-detector"

/* Bank count limit: 4096 banks fill a 64 KiB window. */
#define VCPU_STALL_MAX_CPUS 4096
#define VCPU_STALL_DEFAULT_GRACE_MS 2000
/* Shortest re-check of a guest-time count that has not run down yet. */
#define VCPU_STALL_MIN_POLL_NS (1 * SCALE_MS)

/* The MMIO window for @num_cpus banks, in whole 4 KiB pages. */
#define VCPU_STALL_MMIO_SIZE(num_cpus) \
    ROUND_UP((uint64_t)(num_cpus) * VCPU_STALL_REG_LEN, 0x1000)

typedef struct VCPUStallBank {
    VCPUStallDetectorState *s;
    uint32_t index;
    qemu_irq irq;
    QEMUTimer *timer;       /* fires at expiry, then at the grace end */

    bool enabled;
    bool expired;           /* count reached zero, not reloaded since */
    bool pending;           /* a stall report is pending: the line is high */
    uint32_t load_val;      /* last value written to LOAD_CNT */
    uint32_t freq_hz;       /* CLOCK_FREQ_HZ, never 0 */
    uint32_t base_count;    /* count at base_ns */
    uint32_t frac;          /* part of a tick elapsed at base_ns, in 1e-9 */
    int64_t base_ns;        /* vsd_now() when base_count was set */
#ifdef CONFIG_PTHREAD_GETCPUCLOCKID
    clockid_t cpu_clock;    /* the vCPU thread's CPU-time clock */
#endif
    bool has_cpu_clock;     /* guest time: cpu_clock is the vCPU's */
    int64_t cpu_offset_ns;  /* cpu_clock's time at guest time 0 */
    int64_t last_cpu_ns;    /* guest time last read; stands still */

    uint64_t stalls;        /* times the count reached zero */
    uint64_t pets;          /* LOAD_CNT writes */

    /* migration only: offsets from the current time */
    int64_t mig_elapsed_ns; /* now - base_ns */
    int64_t mig_grace_ns;   /* grace left after an expiry, or -1 */
} VCPUStallBank;

struct VCPUStallDetectorState {
    SysBusDevice parent_obj;

    MemoryRegion iomem;
    VCPUStallBank *banks;   /* num_cpus of them once realized, else NULL */
    bool guest_time;        /* counts fall by their vCPU's CPU time */
    uint8_t mig_clock;      /* migration only: the source's clock */

    /* properties */
    uint32_t num_cpus;
    uint32_t clock_freq_hz;
    uint32_t timeout_sec;
    uint32_t grace_ms;
    VcpuStallClock clock;   /* auto until realize picks one */
};

/*
 * Describe the device, mapped at @base with its stall interrupt at ACPI
 * GSI @gsi, as a PRP0001 device in @scope of a board's DSDT (with
 * CONFIG_ACPI only).
 */
void vcpu_stall_detector_build_aml(DeviceState *dev, Aml *scope, hwaddr base,
                                   uint32_t gsi);

#endif
