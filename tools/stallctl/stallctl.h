/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stallctl: the data every part of the tool shares.  Limits, enum values
 * and attribute numbers come from the uapi header, never from here.
 */
#ifndef STALLCTL_H
#define STALLCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vcpu_stall_detector.h>

/* The driver's and the device's names (not part of the netlink uapi). */
#define VSD_DRIVER		"vcpu_stall_detector"
#define VSD_OF_COMPATIBLE	"qemu,vcpu-stall-detector"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BIT(n)			(1u << (n))

/*
 * One CPU's state, as VCPU_STALL_CMD_CPU_GET reports it.  @have has bit
 * VCPU_STALL_A_CPU_x set for each attribute the kernel sent: the kernel
 * leaves out what has no meaning (the time since the last pet of a CPU
 * that is not petting), and the output shows it empty.
 */
struct cpu_status {
	uint32_t have;
	uint32_t id;
	bool online;
	bool enabled;
	uint64_t pets;
	uint64_t last_pet_ns;
	uint64_t max_lateness_ns;
	uint32_t count;
	uint64_t stalls;
};

/* The configuration; @have as above, with VCPU_STALL_A_CONFIG_x bits. */
struct config {
	uint32_t have;
	uint32_t timeout_sec;
	uint32_t clock_hz;
	uint32_t action;	/* enum vcpu_stall_action */
};

/*
 * The pause state (pause-get) or a pause event; @have as above, with
 * VCPU_STALL_A_PAUSE_x bits: no remaining-ms means no deadline.
 */
struct pause {
	uint32_t have;
	bool paused;
	uint32_t source;	/* enum vcpu_stall_pause_source */
	uint32_t reason;	/* enum vcpu_stall_pause_reason */
	uint64_t remaining_ms;
};

/* A notification from the "events" group. */
struct event {
	uint8_t cmd;		/* VCPU_STALL_CMD_x_NTF */
	bool has_cpu;
	uint32_t cpu;		/* stall, cpu-online, cpu-offline */
	struct config config;	/* config */
	struct pause pause;	/* paused, resumed */
};

#endif /* STALLCTL_H */
