/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vcpu-stall.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_VCPU_STALL_DETECTOR_H
#define _UAPI_LINUX_VCPU_STALL_DETECTOR_H

#define VCPU_STALL_FAMILY_NAME		"vcpu-stall"
#define VCPU_STALL_FAMILY_VERSION	1

#define VCPU_STALL_TIMEOUT_MIN	1
#define VCPU_STALL_TIMEOUT_MAX	3600
#define VCPU_STALL_CLOCK_HZ_MIN	1
#define VCPU_STALL_CLOCK_HZ_MAX	1000000

/**
 * enum vcpu_stall_action - What the guest does when its stall interrupt fires.
 * @VCPU_STALL_ACTION_PANIC: Panic, as the upstream driver does (the default).
 * @VCPU_STALL_ACTION_BACKTRACE: Log the stalled CPU's and every other CPU's
 *   backtrace, then carry on.
 * @VCPU_STALL_ACTION_NOTIFY: Only send the stall event and uevent.
 */
enum vcpu_stall_action {
	VCPU_STALL_ACTION_PANIC,
	VCPU_STALL_ACTION_BACKTRACE,
	VCPU_STALL_ACTION_NOTIFY,
};

#define VCPU_STALL_PAUSE_MAX_MS	86400000

/**
 * enum vcpu_stall_pause_source - Who paused the detector.
 * @VCPU_STALL_PAUSE_SOURCE_NETLINK: A pause request over this family.
 * @VCPU_STALL_PAUSE_SOURCE_SYSFS: A write to the device's sysfs paused or
 *   pause_remaining_ms.
 * @VCPU_STALL_PAUSE_SOURCE_SUSPEND: System sleep; the driver resumes when the
 *   system wakes.
 */
enum vcpu_stall_pause_source {
	VCPU_STALL_PAUSE_SOURCE_NETLINK,
	VCPU_STALL_PAUSE_SOURCE_SYSFS,
	VCPU_STALL_PAUSE_SOURCE_SUSPEND,
};

/**
 * enum vcpu_stall_pause_reason - Why the detector paused or resumed.
 * @VCPU_STALL_PAUSE_REASON_REQUEST: A pause or resume request (netlink or
 *   sysfs).
 * @VCPU_STALL_PAUSE_REASON_DEADLINE: The pause's deadline passed and the
 *   driver resumed by itself.
 * @VCPU_STALL_PAUSE_REASON_SUSPEND: The system went to sleep or woke up.
 */
enum vcpu_stall_pause_reason {
	VCPU_STALL_PAUSE_REASON_REQUEST,
	VCPU_STALL_PAUSE_REASON_DEADLINE,
	VCPU_STALL_PAUSE_REASON_SUSPEND,
};

enum {
	VCPU_STALL_A_CPU_ID = 1,
	VCPU_STALL_A_CPU_ONLINE,
	VCPU_STALL_A_CPU_ENABLED,
	VCPU_STALL_A_CPU_PETS,
	VCPU_STALL_A_CPU_LAST_PET_NS,
	VCPU_STALL_A_CPU_MAX_LATENESS_NS,
	VCPU_STALL_A_CPU_COUNT,
	VCPU_STALL_A_CPU_STALLS,

	__VCPU_STALL_A_CPU_MAX,
	VCPU_STALL_A_CPU_MAX = (__VCPU_STALL_A_CPU_MAX - 1)
};

enum {
	VCPU_STALL_A_CONFIG_TIMEOUT_SEC = 1,
	VCPU_STALL_A_CONFIG_CLOCK_HZ,
	VCPU_STALL_A_CONFIG_ACTION,

	__VCPU_STALL_A_CONFIG_MAX,
	VCPU_STALL_A_CONFIG_MAX = (__VCPU_STALL_A_CONFIG_MAX - 1)
};

enum {
	VCPU_STALL_A_PAUSE_PAUSED = 1,
	VCPU_STALL_A_PAUSE_SOURCE,
	VCPU_STALL_A_PAUSE_REASON,
	VCPU_STALL_A_PAUSE_DURATION_MS,
	VCPU_STALL_A_PAUSE_REMAINING_MS,

	__VCPU_STALL_A_PAUSE_MAX,
	VCPU_STALL_A_PAUSE_MAX = (__VCPU_STALL_A_PAUSE_MAX - 1)
};

enum {
	VCPU_STALL_CMD_CPU_GET = 1,
	VCPU_STALL_CMD_CONFIG_GET,
	VCPU_STALL_CMD_CONFIG_SET,
	VCPU_STALL_CMD_STALL_NTF,
	VCPU_STALL_CMD_CONFIG_NTF,
	VCPU_STALL_CMD_CPU_ONLINE_NTF,
	VCPU_STALL_CMD_CPU_OFFLINE_NTF,
	VCPU_STALL_CMD_PAUSE_GET,
	VCPU_STALL_CMD_PAUSE,
	VCPU_STALL_CMD_RESUME,
	VCPU_STALL_CMD_PAUSED_NTF,
	VCPU_STALL_CMD_RESUMED_NTF,

	__VCPU_STALL_CMD_MAX,
	VCPU_STALL_CMD_MAX = (__VCPU_STALL_CMD_MAX - 1)
};

#define VCPU_STALL_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_VCPU_STALL_DETECTOR_H */
