/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stallctl: pure parsing and formatting helpers (no I/O, no libraries),
 * unit-tested by unit-tests.c.
 */
#ifndef STALLCTL_PARSE_H
#define STALLCTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/*
 * A decimal number in [min, max]: digits only (no sign, no space, no
 * base prefix).  Returns 0, -EINVAL if @s is not a number, -ERANGE if it
 * is out of range.
 */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * Stall actions by name: the uapi's enum vcpu_stall_action entries,
 * lower-cased ("panic" for VCPU_STALL_ACTION_PANIC).  action_name()
 * returns NULL for a value the uapi does not define.
 */
const char *action_name(uint32_t action);
int parse_action(const char *s, uint32_t *out);	/* 0 or -EINVAL */
/* "panic, backtrace or notify" (@sep ", ", @last " or "), or with "|". */
const char *action_list(const char *sep, const char *last);
/* The longest action name's length. */
size_t action_name_max(void);

/*
 * A duration for pause --for: a whole number with a unit, "ms", "s", "m"
 * or "h" ("1500ms", "90s", "5m", "1h"), or without one, seconds.  Into
 * milliseconds in [1, @max_ms].  Returns 0, -EINVAL if @s is not a
 * duration, -ERANGE if it is zero or longer than @max_ms.
 */
int parse_duration_ms(const char *s, uint32_t max_ms, uint32_t *out);

/*
 * Who paused (enum vcpu_stall_pause_source) and why the state changed
 * (enum vcpu_stall_pause_reason), by their uapi names, lower-cased; NULL
 * for a value the uapi does not define.
 */
const char *pause_source_name(uint32_t source);
const char *pause_reason_name(uint32_t reason);
size_t pause_name_max(void);

/*
 * Event names: the uapi's notification commands without "_NTF",
 * lower-cased, '_' as '-' ("cpu-online" for VCPU_STALL_CMD_CPU_ONLINE_NTF).
 * NULL for a command that is not a notification.
 */
const char *event_name(unsigned int cmd);
size_t event_name_max(void);

/* Decimal digits of @v (1 for 0). */
size_t digits(uint64_t v);

/* Nanoseconds as whole milliseconds (rounded down), in decimal. */
void format_ms(uint64_t ns, char *buf, size_t len);

/*
 * An NLA_UINT attribute's payload: 4 or 8 bytes in host order.  Returns 0,
 * or -EINVAL for any other length.
 */
int attr_uint(const void *payload, size_t len, uint64_t *out);

/*
 * What an NLMSG_ERROR or NLMSG_DONE message reports: @error gets 0 or a
 * positive errno, @msg the kernel's extended-ack message
 * (NLMSGERR_ATTR_MSG), or "" when there is none.  Only @len bytes from
 * @nlh are read, whatever nlmsg_len claims.  Returns 0, or -EINVAL when
 * @nlh is neither type or too short to say.
 */
int nlmsg_outcome(const struct nlmsghdr *nlh, size_t len, int *error,
		  char *msg, size_t msglen);

/*
 * Whether the kernel's refusal @error (a positive errno) of a request sent
 * to family id @family means that the family went away meanwhile (the
 * module was unloaded mid-command), given what looking it up again found:
 * @found, with id @id.  Genetlink answers ENOENT for an id no family has
 * and EOPNOTSUPP for a command the family under that id lacks (the id was
 * given to another); the driver's own ENOENT ("no such CPU") comes while
 * the family is still there under the same id.
 */
bool family_vanished(int error, bool found, int id, int family);

/*
 * What a failed receive on the event socket means.  libnl reports both a
 * receive buffer overrun (recvmsg() failing with ENOBUFS: the kernel
 * dropped notifications) and a failed allocation as NLE_NOMEM (@nomem);
 * errno right after the call (@sys_errno) tells them apart.
 */
enum recv_failure {
	RECV_LOST,	/* events were lost: go on receiving */
	RECV_NOMEM,	/* out of memory: give up */
	RECV_OTHER,	/* another error: give up */
};
enum recv_failure recv_failure(bool nomem, int sys_errno);

/* A udev property key "OF_COMPATIBLE_<n>" (not "OF_COMPATIBLE_N"). */
bool is_of_compatible_key(const char *key);

#endif /* STALLCTL_PARSE_H */
