// SPDX-License-Identifier: GPL-2.0-only
/*
 * stallctl: pure parsing and formatting helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/netlink.h>

#include "parse.h"
#include "stallctl.h"

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		/* Saturate: any longer number is out of range anyway. */
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/*
 * Names are the uapi's enumerator names, spelled through their
 * identifiers (so the compiler checks each against the header) and
 * lower-cased on first use.
 */
#define NAME_LEN	32

static const char *lower_name(const char *id, char *buf)
{
	size_t i;

	if (!buf[0]) {
		for (i = 0; id[i] && i < NAME_LEN - 1; i++)
			buf[i] = id[i] == '_' ? '-' : (char)tolower((unsigned char)id[i]);
		buf[i] = '\0';
	}
	return buf;
}

static const char *const action_ids[] = {
#define ACTION(n) [VCPU_STALL_ACTION_##n] = #n,
	ACTION(PANIC)
	ACTION(BACKTRACE)
	ACTION(NOTIFY)
#undef ACTION
};

static char action_names[ARRAY_SIZE(action_ids)][NAME_LEN];

const char *action_name(uint32_t action)
{
	if (action >= ARRAY_SIZE(action_ids) || !action_ids[action])
		return NULL;
	return lower_name(action_ids[action], action_names[action]);
}

int parse_action(const char *s, uint32_t *out)
{
	uint32_t a;

	for (a = 0; a < ARRAY_SIZE(action_ids); a++) {
		const char *name = action_name(a);

		if (name && !strcmp(s, name)) {
			*out = a;
			return 0;
		}
	}
	return -EINVAL;
}

const char *action_list(const char *sep, const char *last)
{
	static char buf[ARRAY_SIZE(action_ids) * (NAME_LEN + 8)];
	size_t n = ARRAY_SIZE(action_ids), i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *name = action_name((uint32_t)i);

		if (!name)
			continue;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					!off ? "" : i == n - 1 ? last : sep, name);
		if (off >= sizeof(buf))
			break;
	}
	return buf;
}

size_t action_name_max(void)
{
	size_t max = 0, i;

	for (i = 0; i < ARRAY_SIZE(action_ids); i++) {
		const char *name = action_name((uint32_t)i);

		if (name && strlen(name) > max)
			max = strlen(name);
	}
	return max;
}

int parse_duration_ms(const char *s, uint32_t max_ms, uint32_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 }, { "", 1000 },
	};
	uint64_t v = 0;
	const char *p;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		/* Saturate: any longer number is out of range anyway. */
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*p - '0');
	}
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(p, units[i].suffix))
			break;
	if (i == ARRAY_SIZE(units))
		return -EINVAL;
	v *= units[i].ms;
	if (!v || v > max_ms)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static const char *const pause_source_ids[] = {
#define SOURCE(n) [VCPU_STALL_PAUSE_SOURCE_##n] = #n,
	SOURCE(NETLINK)
	SOURCE(SYSFS)
	SOURCE(SUSPEND)
#undef SOURCE
};

static const char *const pause_reason_ids[] = {
#define REASON(n) [VCPU_STALL_PAUSE_REASON_##n] = #n,
	REASON(REQUEST)
	REASON(DEADLINE)
	REASON(SUSPEND)
#undef REASON
};

static char pause_source_names[ARRAY_SIZE(pause_source_ids)][NAME_LEN];
static char pause_reason_names[ARRAY_SIZE(pause_reason_ids)][NAME_LEN];

const char *pause_source_name(uint32_t source)
{
	if (source >= ARRAY_SIZE(pause_source_ids) || !pause_source_ids[source])
		return NULL;
	return lower_name(pause_source_ids[source], pause_source_names[source]);
}

const char *pause_reason_name(uint32_t reason)
{
	if (reason >= ARRAY_SIZE(pause_reason_ids) || !pause_reason_ids[reason])
		return NULL;
	return lower_name(pause_reason_ids[reason], pause_reason_names[reason]);
}

size_t pause_name_max(void)
{
	size_t max = 0, i;

	for (i = 0; i < ARRAY_SIZE(pause_source_ids); i++)
		if (pause_source_name((uint32_t)i) &&
		    strlen(pause_source_name((uint32_t)i)) > max)
			max = strlen(pause_source_name((uint32_t)i));
	for (i = 0; i < ARRAY_SIZE(pause_reason_ids); i++)
		if (pause_reason_name((uint32_t)i) &&
		    strlen(pause_reason_name((uint32_t)i)) > max)
			max = strlen(pause_reason_name((uint32_t)i));
	return max;
}

static const char *const event_ids[VCPU_STALL_CMD_MAX + 1] = {
#define EVENT(n) [VCPU_STALL_CMD_##n##_NTF] = #n,
	EVENT(STALL)
	EVENT(CONFIG)
	EVENT(CPU_ONLINE)
	EVENT(CPU_OFFLINE)
	EVENT(PAUSED)
	EVENT(RESUMED)
#undef EVENT
};

static char event_names[ARRAY_SIZE(event_ids)][NAME_LEN];

const char *event_name(unsigned int cmd)
{
	if (cmd >= ARRAY_SIZE(event_ids) || !event_ids[cmd])
		return NULL;
	return lower_name(event_ids[cmd], event_names[cmd]);
}

size_t event_name_max(void)
{
	size_t max = 0, i;

	for (i = 0; i < ARRAY_SIZE(event_ids); i++) {
		const char *name = event_name((unsigned int)i);

		if (name && strlen(name) > max)
			max = strlen(name);
	}
	return max;
}

size_t digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

void format_ms(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64, ns / 1000000);
}

int attr_uint(const void *payload, size_t len, uint64_t *out)
{
	uint32_t v32;

	switch (len) {
	case sizeof(uint32_t):
		memcpy(&v32, payload, sizeof(v32));
		*out = v32;
		return 0;
	case sizeof(uint64_t):
		memcpy(out, payload, sizeof(*out));
		return 0;
	default:
		return -EINVAL;
	}
}

/* Copy NLMSGERR_ATTR_MSG from the attributes in [p, p + len) to @msg. */
static void find_ext_ack_msg(const unsigned char *p, size_t len, char *msg,
			     size_t msglen)
{
	const size_t hdrlen = NLA_HDRLEN;
	size_t off = 0;

	while (len - off >= hdrlen) {
		struct nlattr nla;
		size_t alen, plen;

		memcpy(&nla, p + off, sizeof(nla));
		alen = nla.nla_len;
		if (alen < hdrlen || alen > len - off)
			return;
		plen = alen - hdrlen;
		if ((nla.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    plen && memchr(p + off + hdrlen, '\0', plen)) {
			snprintf(msg, msglen, "%s",
				 (const char *)(p + off + hdrlen));
			return;
		}
		alen = NLA_ALIGN(alen);
		if (alen > len - off)
			return;
		off += alen;
	}
}

int nlmsg_outcome(const struct nlmsghdr *nlh, size_t len, int *error,
		  char *msg, size_t msglen)
{
	const unsigned char *p = (const unsigned char *)nlh;
	struct nlmsghdr hdr;
	size_t tlvs;
	int err;

	if (msglen)
		msg[0] = '\0';
	if (len < NLMSG_HDRLEN)
		return -EINVAL;
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.nlmsg_len < len)
		len = hdr.nlmsg_len;

	if (hdr.nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (len < NLMSG_HDRLEN + sizeof(e))
			return -EINVAL;
		memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
		err = e.error;
		/* The request follows, unless capped; then the TLVs. */
		tlvs = sizeof(e);
		if (!(hdr.nlmsg_flags & NLM_F_CAPPED) &&
		    e.msg.nlmsg_len > NLMSG_HDRLEN)
			tlvs += e.msg.nlmsg_len - NLMSG_HDRLEN;
	} else if (hdr.nlmsg_type == NLMSG_DONE) {
		/* A dump's end: its status, then the TLVs. */
		if (len < NLMSG_HDRLEN + sizeof(err)) {
			*error = 0;
			return 0;
		}
		memcpy(&err, p + NLMSG_HDRLEN, sizeof(err));
		tlvs = sizeof(err);
	} else {
		return -EINVAL;
	}
	*error = err < 0 ? -err : err;

	tlvs = NLMSG_HDRLEN + NLMSG_ALIGN(tlvs);
	if ((hdr.nlmsg_flags & NLM_F_ACK_TLVS) && msglen && tlvs < len)
		find_ext_ack_msg(p + tlvs, len - tlvs, msg, msglen);
	return 0;
}

bool is_of_compatible_key(const char *key)
{
	static const char prefix[] = "OF_COMPATIBLE_";
	const char *p;

	if (strncmp(key, prefix, sizeof(prefix) - 1))
		return false;
	p = key + sizeof(prefix) - 1;
	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

bool family_vanished(int error, bool found, int id, int family)
{
	if (error != ENOENT && error != EOPNOTSUPP)
		return false;
	return !found || id != family;
}

enum recv_failure recv_failure(bool nomem, int sys_errno)
{
	if (!nomem)
		return RECV_OTHER;
	return sys_errno == ENOBUFS ? RECV_LOST : RECV_NOMEM;
}
