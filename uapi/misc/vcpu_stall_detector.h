/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Register interface of the virtual vCPU stall detector device.
 *
 * The device holds one bank of registers per vCPU, at VCPU_STALL_REG_LEN *
 * cpu from its base.  While a bank is enabled its count falls at the bank's
 * clock frequency; a guest that reloads it in time is alive, one that lets
 * it reach zero has stalled.  Shared by the guest driver and the VMM device
 * (QEMU copies it into include/standard-headers/misc/, as it does pvpanic.h).
 */
#ifndef __UAPI_MISC_VCPU_STALL_DETECTOR_H__
#define __UAPI_MISC_VCPU_STALL_DETECTOR_H__

/* Per-vCPU bank layout; every register is 32 bits wide. */
#define VCPU_STALL_REG_STATUS		0x00	/* rw: VCPU_STALL_STATUS_* */
#define VCPU_STALL_REG_LOAD_CNT		0x04	/* rw: reload the count */
#define VCPU_STALL_REG_CURRENT_CNT	0x08	/* ro: live count */
#define VCPU_STALL_REG_CLOCK_FREQ_HZ	0x0c	/* rw: count rate in Hz */
#define VCPU_STALL_REG_LEN		0x10	/* bytes per vCPU bank */

/*
 * VCPU_STALL_REG_STATUS bits.
 *
 * The bank's interrupt line is high while PENDING reads 1: set when the
 * count reaches zero, cleared by an acknowledge (a STATUS write with PENDING
 * set; a read-modify-write of STATUS does it), a disable or a reset; never
 * by a reload.  The line is level, as KVM treats every PPI: a stall handler
 * either acknowledges or does not return (the mainline driver panics).
 * EXPIRED is the host's view: only a reload, a disable or a reset ends its
 * grace period, never an acknowledge.  Devices described with an
 * edge-triggered interrupt predate PENDING: there a reload lowers the line.
 */
/* rw: 1 enables the bank, 0 disables it (clearing EXPIRED and PENDING). */
#define VCPU_STALL_STATUS_ENABLED	0x00000001
/* ro: the count reached zero and was not reloaded since. */
#define VCPU_STALL_STATUS_EXPIRED	0x00000002
/* ro, write 1 to acknowledge: a stall report is pending, the line is high. */
#define VCPU_STALL_STATUS_PENDING	0x00000004

/* Defaults a DT/ACPI description may override. */
#define VCPU_STALL_DEFAULT_CLOCK_HZ	10
#define VCPU_STALL_DEFAULT_TIMEOUT_SEC	8

#endif /* __UAPI_MISC_VCPU_STALL_DETECTOR_H__ */
