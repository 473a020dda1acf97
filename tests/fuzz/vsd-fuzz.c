// SPDX-License-Identifier: GPL-2.0-only
/*
 * vsd-fuzz: throw random and malformed requests at the driver from inside
 * the guest, and check what comes back.
 *
 *   vsd-fuzz netlink COUNT SEED     COUNT generic netlink messages
 *   vsd-fuzz sysfs DEVDIR COUNT SEED  COUNT random writes to each knob
 *
 * netlink: messages aimed mostly at the vcpu-stall family (random command,
 * version, flags, attribute types, lengths and nesting, truncated headers
 * and attributes), some at other types.  Every request must get an answer
 * (an error, or for a well-formed read its reply) and, unless the caller
 * may administer the network, a mutating command (config-set, pause,
 * resume) must never succeed.  The kernel log is the other half of the
 * check: the test fails on any splat there.
 *
 * sysfs: random bytes, numbers and words written to every knob; a refused
 * write must leave the value as it was, an accepted one must read back.
 *
 * Prints one summary line; exits 1 on a violation, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/vcpu_stall_detector.h>

#define BUF_LEN 8192
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

/* xorshift64*: reproducible from the seed the test prints. */
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static bool mutating(int cmd)
{
	return cmd == VCPU_STALL_CMD_CONFIG_SET || cmd == VCPU_STALL_CMD_PAUSE ||
	       cmd == VCPU_STALL_CMD_RESUME;
}

struct stats {
	unsigned long sent, errors, acks, replies, no_answer, violations, denied;
};

/* Ask the controller for the family's id. */
static int family_id(int fd)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr gh;
		char attrs[64];
	} req = { 0 };
	char buf[BUF_LEN];
	struct nlattr *na = (struct nlattr *)req.attrs;
	size_t nlen = sizeof(VCPU_STALL_FAMILY_NAME);
	ssize_t n;

	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	na->nla_len = NLA_HDRLEN + nlen;
	memcpy((char *)na + NLA_HDRLEN, VCPU_STALL_FAMILY_NAME, nlen);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(na->nla_len);
	req.nh.nlmsg_type = GENL_ID_CTRL;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.gh.cmd = CTRL_CMD_GETFAMILY;
	req.gh.version = 1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN))
		return -1;
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;

	if (nh->nlmsg_type == NLMSG_ERROR)
		return -1;
	int len = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	for (na = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	     len >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN && na->nla_len <= len;
	     len -= NLA_ALIGN(na->nla_len),
	     na = (struct nlattr *)((char *)na + NLA_ALIGN(na->nla_len)))
		if (na->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)((char *)na + NLA_HDRLEN);
	return -1;
}

/* Random attributes into @p (at most @room bytes); returns bytes used. */
static size_t fill_attrs(char *p, size_t room, int depth)
{
	size_t used = 0;
	unsigned int n = rnd_below(5);

	while (n-- && room - used >= NLA_HDRLEN) {
		struct nlattr *na = (struct nlattr *)(p + used);
		size_t max = room - used - NLA_HDRLEN, plen;

		na->nla_type = rnd_below(8);
		if (rnd_below(4) == 0)
			na->nla_type |= NLA_F_NESTED;
		if (rnd_below(16) == 0)
			na->nla_type = rnd();
		if (depth < 3 && (na->nla_type & NLA_F_NESTED) && rnd_below(2)) {
			plen = fill_attrs(p + used + NLA_HDRLEN, max, depth + 1);
		} else {
			/* Mostly the sizes the policies expect, sometimes not. */
			static const size_t sizes[] = { 0, 1, 2, 4, 8, 3, 16 };

			plen = rnd_below(8) ? sizes[rnd_below(7)] : rnd_below(64);
			if (plen > max)
				plen = max;
			for (size_t i = 0; i < plen; i++)
				p[used + NLA_HDRLEN + i] = rnd();
			/* Values in and just out of range are worth more. */
			if (plen == 4 && rnd_below(2)) {
				static const uint32_t edge[] = {
					0, 1, 2, 3, VCPU_STALL_TIMEOUT_MAX,
					VCPU_STALL_TIMEOUT_MAX + 1,
					VCPU_STALL_CLOCK_HZ_MAX,
					VCPU_STALL_CLOCK_HZ_MAX + 1,
					VCPU_STALL_PAUSE_MAX_MS,
					VCPU_STALL_PAUSE_MAX_MS + 1, UINT32_MAX,
				};
				uint32_t v = edge[rnd_below(11)];

				memcpy(p + used + NLA_HDRLEN, &v, 4);
			}
		}
		na->nla_len = NLA_HDRLEN + plen;
		/* A lying length, now and then. */
		if (rnd_below(20) == 0)
			na->nla_len = rnd_below(0x10000);
		used += NLA_ALIGN(NLA_HDRLEN + plen);
		if (used > room)
			used = room;
	}
	return used;
}

/*
 * Drain the answers to message @seq, waiting for one only if it is due.
 * @cmd is its command, or -1 if it was no request to our family.  Returns 1 once
 * it was answered, 0 if nothing came, counting what came into @st.
 */
static int drain(int fd, uint32_t seq, int cmd, bool admin, bool due,
		 struct stats *st)
{
	static char buf[BUF_LEN * 4];
	int answered = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, answered || !due ? 0 : 1000) <= 0)
			return answered;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return answered;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			answered = 1;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				if (e->error) {
					st->errors++;
					if (e->error == -EPERM && mutating(cmd))
						st->denied++;
				} else {
					st->acks++;
					if (mutating(cmd) && !admin) {
						st->violations++;
						fprintf(stderr,
							"vsd-fuzz: unprivileged command %u succeeded (seq %u)\n",
							cmd, seq);
					}
				}
			} else if (nh->nlmsg_type != NLMSG_DONE) {
				st->replies++;
			}
		}
	}
}

/* Keep the guest alive: root must not set the panic action by chance. */
static void tame(char *attrs, size_t len, uint8_t cmd)
{
	if (cmd != VCPU_STALL_CMD_CONFIG_SET)
		return;
	for (size_t off = 0; off + NLA_HDRLEN <= len;) {
		struct nlattr *na = (struct nlattr *)(attrs + off);

		if (na->nla_len < NLA_HDRLEN)
			break;
		if ((na->nla_type & NLA_TYPE_MASK) == VCPU_STALL_A_CONFIG_ACTION &&
		    na->nla_len >= NLA_HDRLEN + 4 && off + NLA_HDRLEN + 4 <= len) {
			uint32_t v = VCPU_STALL_ACTION_NOTIFY;

			memcpy(attrs + off + NLA_HDRLEN, &v, 4);
		}
		off += NLA_ALIGN(na->nla_len);
	}
}

static int fuzz_netlink(unsigned long count, uint64_t seed)
{
	static char msg[BUF_LEN];
	struct stats st = { 0 };
	bool admin = geteuid() == 0;
	int fd, fam;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("vsd-fuzz: socket");
		return 1;
	}
	fam = family_id(fd);
	if (fam < 0) {
		fprintf(stderr, "vsd-fuzz: no %s family (module not loaded?)\n",
			VCPU_STALL_FAMILY_NAME);
		return 1;
	}
	rng_state = seed ? seed : 1;
	for (unsigned long i = 0; i < count; i++) {
		struct nlmsghdr *nh = (struct nlmsghdr *)msg;
		struct genlmsghdr *gh = NLMSG_DATA(nh);
		uint32_t seq = i + 1;
		size_t len, alen;
		uint8_t cmd;
		bool due;

		memset(msg, 0, NLMSG_LENGTH(GENL_HDRLEN));
		cmd = rnd_below(8) ? rnd_below(VCPU_STALL_CMD_MAX + 3) : rnd();
		alen = fill_attrs((char *)gh + GENL_HDRLEN,
				  sizeof(msg) - NLMSG_LENGTH(GENL_HDRLEN), 0);
		if (admin)
			tame((char *)gh + GENL_HDRLEN, alen, cmd);
		len = NLMSG_LENGTH(GENL_HDRLEN) + alen;
		nh->nlmsg_type = rnd_below(16) ? (uint32_t)fam : rnd_below(0x20);
		nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		if (rnd_below(4) == 0)
			nh->nlmsg_flags |= NLM_F_DUMP;
		if (rnd_below(16) == 0)
			nh->nlmsg_flags = rnd() & 0xffff;
		nh->nlmsg_seq = seq;
		gh->cmd = cmd;
		gh->version = rnd_below(8) ? VCPU_STALL_FAMILY_VERSION : rnd();
		nh->nlmsg_len = len;
		/* Truncated headers and lengths that lie. */
		switch (rnd_below(24)) {
		case 0:
			len = rnd_below(NLMSG_LENGTH(GENL_HDRLEN));
			break;
		case 1:
			nh->nlmsg_len = rnd_below(len + 1);
			break;
		case 2:
			nh->nlmsg_len = len + 1 + rnd_below(64);
			break;
		}
		/* A malformed header may go unanswered; a request must not. */
		due = (nh->nlmsg_flags & NLM_F_REQUEST) &&
		      (nh->nlmsg_flags & NLM_F_ACK) && nh->nlmsg_len == len &&
		      len >= NLMSG_LENGTH(GENL_HDRLEN) && nh->nlmsg_type == fam;
		st.sent++;
		if (send(fd, msg, len, 0) < 0) {
			st.errors++;
			continue;
		}
		/* Without NLM_F_REQUEST the kernel acks and runs nothing. */
		if (!drain(fd, seq, nh->nlmsg_type == fam &&
			   (nh->nlmsg_flags & NLM_F_REQUEST) ? cmd : -1,
			   admin, due, &st) && due)
			st.no_answer++;
	}
	printf("netlink %s: sent %lu, errors %lu (%lu denied), acks %lu, ",
	       admin ? "root" : "user", st.sent, st.errors, st.denied, st.acks);
	printf("replies %lu, unanswered %lu, violations %lu\n",
	       st.replies, st.no_answer, st.violations);
	close(fd);
	return st.violations || st.no_answer ? 1 : 0;
}

static int read_knob(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Write @val to the file @path: 0, or -1 with errno set. */
static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Does an accepted write @val show in @after, what the knob reads now? */
static bool reads_back(const char *knob, const char *val, const char *after)
{
	if (!strcmp(knob, "timeout_sec") || !strcmp(knob, "clock_freq_hz"))
		return strtoul(val, NULL, 0) == strtoul(after, NULL, 10);
	if (!strcmp(knob, "stall_action"))
		return !strncmp(val, after, strcspn(after, "\n")) &&
		       strspn(val + strcspn(after, "\n"), "\n") ==
		       strlen(val + strcspn(after, "\n"));
	if (!strcmp(knob, "paused"))
		return !strcmp(after, "0\n") || !strcmp(after, "1\n");
	/* pause_remaining_ms: a deadline of at most what was written. */
	return strtoul(after, NULL, 10) <= strtoul(val, NULL, 0);
}

static int fuzz_sysfs(const char *dir, unsigned long count, uint64_t seed)
{
	/* Knobs with side effects a random value may have: pause ones last. */
	static const char * const knobs[] = {
		"timeout_sec", "clock_freq_hz", "stall_action",
		"pause_remaining_ms", "paused",
	};
	static const char * const words[] = {
		"", "0", "1", "-1", "4", "3600", "3601", "1000000", "1000001",
		"86400000", "86400001", "4294967296", "0x10", "panic", "notify",
		"backtrace", "PANIC", " 5", "5 ", "5\n", "y", "n", "on", "off",
		"99999999999999999999",
	};
	unsigned long refused = 0, accepted = 0, violations = 0;

	rng_state = seed ? seed : 1;
	for (size_t k = 0; k < ARRAY_SIZE(knobs); k++) {
		char path[512], before[64], after[64], val[80];

		/*
		 * Each knob starts resumed: a pause deadline the previous one
		 * set would otherwise run out while this one is checked.
		 */
		snprintf(path, sizeof(path), "%s/paused", dir);
		if (write_str(path, "0")) {
			fprintf(stderr, "vsd-fuzz: cannot resume through %s: %m\n", path);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, knobs[k]);
		for (unsigned long i = 0; i < count; i++) {
			size_t len;
			ssize_t n;
			int fd;

			if (rnd_below(2)) {
				snprintf(val, sizeof(val), "%s", words[rnd_below(25)]);
			} else {
				len = rnd_below(sizeof(val));
				for (size_t j = 0; j < len; j++)
					val[j] = rnd();
				val[len] = '\0';
			}
			/*
			 * Keep the guest alive: the panic action stays out.  An
			 * empty write never reaches the driver.
			 */
			len = strlen(val);
			if (!len || !strncmp(val, "panic", 5))
				continue;
			if (read_knob(path, before, sizeof(before))) {
				fprintf(stderr, "vsd-fuzz: cannot read %s: %m\n", path);
				return 1;
			}
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0) {
				fprintf(stderr, "vsd-fuzz: cannot open %s: %m\n", path);
				return 1;
			}
			n = write(fd, val, len);
			close(fd);
			if (read_knob(path, after, sizeof(after)))
				return 1;
			if (n < 0) {
				refused++;
				/* pause_remaining_ms counts down by itself. */
				if (strcmp(knobs[k], "pause_remaining_ms") &&
				    strcmp(before, after)) {
					violations++;
					fprintf(stderr,
						"vsd-fuzz: refused write changed %s: %s -> %s",
						knobs[k], before, after);
				}
			} else {
				accepted++;
				if (!reads_back(knobs[k], val, after)) {
					violations++;
					fprintf(stderr, "vsd-fuzz: %s took '%s' but reads %s",
						knobs[k], val, after);
				}
			}
		}
	}
	printf("sysfs: refused %lu, accepted %lu, violations %lu\n",
	       refused, accepted, violations);
	return violations ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "netlink"))
		return fuzz_netlink(strtoul(argv[2], NULL, 0),
				    strtoull(argv[3], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "sysfs"))
		return fuzz_sysfs(argv[2], strtoul(argv[3], NULL, 0),
				  strtoull(argv[4], NULL, 0));
	fprintf(stderr, "usage: vsd-fuzz netlink COUNT SEED\n"
		"       vsd-fuzz sysfs DEVDIR COUNT SEED\n");
	return 2;
}
