// SPDX-License-Identifier: GPL-2.0-only
/*
 * stallctl: the "vcpu-stall" generic netlink family through libnl.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "nl.h"
#include "parse.h"

struct vsd_nl {
	struct nl_sock *sk;
	int family;
	char why[256];
};

/* What one request's callbacks collect. */
struct request {
	struct vsd_nl *nl;
	bool done;
	int error;		/* positive errno from the kernel */
	int (*parse)(struct nl_msg *msg, void *arg);
	void *arg;
};

const char *vsd_why(const struct vsd_nl *nl)
{
	return nl->why;
}

/* A libnl failure: -EIO, with libnl's words for it. */
static int libnl_error(struct vsd_nl *nl, int err)
{
	if (err == -NLE_NOMEM)
		return -ENOMEM;
	snprintf(nl->why, sizeof(nl->why), "%s", nl_geterror(err));
	return -EIO;
}

int vsd_open(struct vsd_nl **nlp)
{
	struct vsd_nl *nl;
	int one = 1, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	*nlp = nl;
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	err = genl_connect(nl->sk);
	if (err)
		return libnl_error(nl, err);
	/* The kernel's reasons for a refusal; best effort (Linux >= 4.12). */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	nl->family = genl_ctrl_resolve(nl->sk, VCPU_STALL_FAMILY_NAME);
	if (nl->family == -NLE_OBJ_NOTFOUND)
		return -ENOPKG;
	if (nl->family < 0)
		return libnl_error(nl, nl->family);
	return 0;
}

void vsd_close(struct vsd_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

/* NLMSG_ERROR with an error (an ack without one goes to ack_cb). */
static int error_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *r = arg;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)e - 1;

	(void)nla;
	/* libnl checked nlmsg_len against what it received. */
	if (nlmsg_outcome(nlh, nlh->nlmsg_len, &r->error, r->nl->why,
			  sizeof(r->nl->why)) || !r->error)
		r->error = e->error < 0 ? -e->error : EPROTO;
	r->done = true;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct request *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

/* NLMSG_DONE: a dump's end, and its status. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct request *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlmsg_outcome(nlh, nlh->nlmsg_len, &r->error, r->nl->why,
			  sizeof(r->nl->why)))
		r->error = 0;
	r->done = true;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct request *r = arg;
	int err;

	if (!r->parse)
		return NL_OK;
	err = r->parse(msg, r->arg);
	if (err) {
		r->error = -err;
		r->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * The kernel refused a request with @err: -ENOPKG if that is because the
 * family went away since we looked it up (rmmod mid-command), else @err.
 */
static int vanished_or(struct vsd_nl *nl, int err)
{
	int id;

	if (err != -ENOENT && err != -EOPNOTSUPP)
		return err;
	id = genl_ctrl_resolve(nl->sk, VCPU_STALL_FAMILY_NAME);
	if (id < 0 && id != -NLE_OBJ_NOTFOUND)
		return err;	/* cannot tell: the kernel's answer stands */
	if (!family_vanished(-err, id >= 0, id, nl->family))
		return err;
	if (id >= 0)
		snprintf(nl->why, sizeof(nl->why), "the %s module was reloaded "
			 "meanwhile: try again", VSD_DRIVER);
	else
		nl->why[0] = '\0';
	return -ENOPKG;
}

/*
 * Send @cmd (with @flags and the attributes @put adds) and feed every
 * reply to @parse until the ack, the error or the dump's end.
 */
static int request(struct vsd_nl *nl, uint8_t cmd, int flags,
		   int (*put)(struct nl_msg *msg, const void *arg),
		   const void *put_arg,
		   int (*parse)(struct nl_msg *msg, void *arg), void *arg)
{
	struct request r = { .nl = nl, .parse = parse, .arg = arg };
	struct nl_msg *msg;
	struct nl_cb *cb;
	int err;

	nl->why[0] = '\0';
	msg = nlmsg_alloc();
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		err = -ENOMEM;
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags,
			 cmd, VCPU_STALL_FAMILY_VERSION) ||
	    (put && put(msg, put_arg))) {
		err = -ENOMEM;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, error_cb, &r);

	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		err = libnl_error(nl, err);
		goto out;
	}
	err = 0;
	while (!r.done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (r.error || err < 0)
			break;
	}
	if (r.error)
		err = vanished_or(nl, -r.error);
	else if (err < 0)
		err = libnl_error(nl, err);
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

static struct nla_policy cpu_policy[VCPU_STALL_A_CPU_MAX + 1] = {
	[VCPU_STALL_A_CPU_ID] = { .type = NLA_U32 },
	[VCPU_STALL_A_CPU_ONLINE] = { .type = NLA_U8 },
	[VCPU_STALL_A_CPU_ENABLED] = { .type = NLA_U8 },
	[VCPU_STALL_A_CPU_PETS] = { .minlen = 4, .maxlen = 8 },
	[VCPU_STALL_A_CPU_LAST_PET_NS] = { .minlen = 4, .maxlen = 8 },
	[VCPU_STALL_A_CPU_MAX_LATENESS_NS] = { .minlen = 4, .maxlen = 8 },
	[VCPU_STALL_A_CPU_COUNT] = { .type = NLA_U32 },
	[VCPU_STALL_A_CPU_STALLS] = { .minlen = 4, .maxlen = 8 },
};

static struct nla_policy config_policy[VCPU_STALL_A_CONFIG_MAX + 1] = {
	[VCPU_STALL_A_CONFIG_TIMEOUT_SEC] = { .type = NLA_U32 },
	[VCPU_STALL_A_CONFIG_CLOCK_HZ] = { .type = NLA_U32 },
	[VCPU_STALL_A_CONFIG_ACTION] = { .type = NLA_U32 },
};

static struct nla_policy pause_policy[VCPU_STALL_A_PAUSE_MAX + 1] = {
	[VCPU_STALL_A_PAUSE_PAUSED] = { .type = NLA_U8 },
	[VCPU_STALL_A_PAUSE_SOURCE] = { .type = NLA_U32 },
	[VCPU_STALL_A_PAUSE_REASON] = { .type = NLA_U32 },
	[VCPU_STALL_A_PAUSE_DURATION_MS] = { .type = NLA_U32 },
	[VCPU_STALL_A_PAUSE_REMAINING_MS] = { .minlen = 4, .maxlen = 8 },
};

static int get_uint(struct nlattr *a, uint64_t *v)
{
	return attr_uint(nla_data(a), (size_t)nla_len(a), v) ? -EPROTO : 0;
}

static int parse_cpu(struct nl_msg *msg, struct cpu_status *st)
{
	struct nlattr *tb[VCPU_STALL_A_CPU_MAX + 1];
	int i;

	memset(st, 0, sizeof(*st));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VCPU_STALL_A_CPU_MAX,
			  cpu_policy))
		return -EPROTO;
	for (i = 1; i <= VCPU_STALL_A_CPU_MAX; i++)
		if (tb[i])
			st->have |= BIT(i);
	if (tb[VCPU_STALL_A_CPU_ID])
		st->id = nla_get_u32(tb[VCPU_STALL_A_CPU_ID]);
	if (tb[VCPU_STALL_A_CPU_ONLINE])
		st->online = nla_get_u8(tb[VCPU_STALL_A_CPU_ONLINE]);
	if (tb[VCPU_STALL_A_CPU_ENABLED])
		st->enabled = nla_get_u8(tb[VCPU_STALL_A_CPU_ENABLED]);
	if (tb[VCPU_STALL_A_CPU_COUNT])
		st->count = nla_get_u32(tb[VCPU_STALL_A_CPU_COUNT]);
	if ((tb[VCPU_STALL_A_CPU_PETS] &&
	     get_uint(tb[VCPU_STALL_A_CPU_PETS], &st->pets)) ||
	    (tb[VCPU_STALL_A_CPU_LAST_PET_NS] &&
	     get_uint(tb[VCPU_STALL_A_CPU_LAST_PET_NS], &st->last_pet_ns)) ||
	    (tb[VCPU_STALL_A_CPU_MAX_LATENESS_NS] &&
	     get_uint(tb[VCPU_STALL_A_CPU_MAX_LATENESS_NS],
		      &st->max_lateness_ns)) ||
	    (tb[VCPU_STALL_A_CPU_STALLS] &&
	     get_uint(tb[VCPU_STALL_A_CPU_STALLS], &st->stalls)))
		return -EPROTO;
	return 0;
}

static int parse_config(struct nl_msg *msg, struct config *c)
{
	struct nlattr *tb[VCPU_STALL_A_CONFIG_MAX + 1];
	int i;

	memset(c, 0, sizeof(*c));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VCPU_STALL_A_CONFIG_MAX,
			  config_policy))
		return -EPROTO;
	for (i = 1; i <= VCPU_STALL_A_CONFIG_MAX; i++)
		if (tb[i])
			c->have |= BIT(i);
	if (tb[VCPU_STALL_A_CONFIG_TIMEOUT_SEC])
		c->timeout_sec = nla_get_u32(tb[VCPU_STALL_A_CONFIG_TIMEOUT_SEC]);
	if (tb[VCPU_STALL_A_CONFIG_CLOCK_HZ])
		c->clock_hz = nla_get_u32(tb[VCPU_STALL_A_CONFIG_CLOCK_HZ]);
	if (tb[VCPU_STALL_A_CONFIG_ACTION])
		c->action = nla_get_u32(tb[VCPU_STALL_A_CONFIG_ACTION]);
	return 0;
}

static int parse_pause(struct nl_msg *msg, struct pause *p)
{
	struct nlattr *tb[VCPU_STALL_A_PAUSE_MAX + 1];
	int i;

	memset(p, 0, sizeof(*p));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VCPU_STALL_A_PAUSE_MAX,
			  pause_policy))
		return -EPROTO;
	for (i = 1; i <= VCPU_STALL_A_PAUSE_MAX; i++)
		if (tb[i])
			p->have |= BIT(i);
	if (tb[VCPU_STALL_A_PAUSE_PAUSED])
		p->paused = nla_get_u8(tb[VCPU_STALL_A_PAUSE_PAUSED]);
	if (tb[VCPU_STALL_A_PAUSE_SOURCE])
		p->source = nla_get_u32(tb[VCPU_STALL_A_PAUSE_SOURCE]);
	if (tb[VCPU_STALL_A_PAUSE_REASON])
		p->reason = nla_get_u32(tb[VCPU_STALL_A_PAUSE_REASON]);
	if (tb[VCPU_STALL_A_PAUSE_REMAINING_MS] &&
	    get_uint(tb[VCPU_STALL_A_PAUSE_REMAINING_MS], &p->remaining_ms))
		return -EPROTO;
	return 0;
}

static int put_cpu_id(struct nl_msg *msg, const void *arg)
{
	return nla_put_u32(msg, VCPU_STALL_A_CPU_ID, *(const uint32_t *)arg);
}

struct cpu_one {
	struct cpu_status *st;
	bool got;
};

static int parse_cpu_one(struct nl_msg *msg, void *arg)
{
	struct cpu_one *one = arg;

	one->got = true;
	return parse_cpu(msg, one->st);
}

int vsd_cpu_get(struct vsd_nl *nl, uint32_t cpu, struct cpu_status *st)
{
	struct cpu_one one = { st, false };
	int err;

	err = request(nl, VCPU_STALL_CMD_CPU_GET, 0, put_cpu_id, &cpu,
		      parse_cpu_one, &one);
	if (!err && !one.got)
		err = -EPROTO;
	return err;
}

struct cpu_list {
	struct cpu_status *cpus;
	size_t n, size;
};

static int parse_cpu_list(struct nl_msg *msg, void *arg)
{
	struct cpu_list *l = arg;

	if (l->n == l->size) {
		size_t size = l->size ? 2 * l->size : 16;
		struct cpu_status *cpus = reallocarray(l->cpus, size,
						       sizeof(*cpus));

		if (!cpus)
			return -ENOMEM;
		l->cpus = cpus;
		l->size = size;
	}
	return parse_cpu(msg, &l->cpus[l->n++]);
}

int vsd_cpu_dump(struct vsd_nl *nl, struct cpu_status **cpus, size_t *n)
{
	struct cpu_list l = { NULL, 0, 0 };
	int err;

	err = request(nl, VCPU_STALL_CMD_CPU_GET, NLM_F_DUMP, NULL, NULL,
		      parse_cpu_list, &l);
	if (err) {
		free(l.cpus);
		return err;
	}
	*cpus = l.cpus;
	*n = l.n;
	return 0;
}

static int parse_config_cb(struct nl_msg *msg, void *arg)
{
	return parse_config(msg, arg);
}

int vsd_config_get(struct vsd_nl *nl, struct config *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = request(nl, VCPU_STALL_CMD_CONFIG_GET, 0, NULL, NULL,
		      parse_config_cb, c);
	if (!err && !c->have)
		err = -EPROTO;
	return err;
}

static int put_config(struct nl_msg *msg, const void *arg)
{
	const struct config *c = arg;

	if ((c->have & BIT(VCPU_STALL_A_CONFIG_TIMEOUT_SEC)) &&
	    nla_put_u32(msg, VCPU_STALL_A_CONFIG_TIMEOUT_SEC, c->timeout_sec))
		return -ENOMEM;
	if ((c->have & BIT(VCPU_STALL_A_CONFIG_CLOCK_HZ)) &&
	    nla_put_u32(msg, VCPU_STALL_A_CONFIG_CLOCK_HZ, c->clock_hz))
		return -ENOMEM;
	if ((c->have & BIT(VCPU_STALL_A_CONFIG_ACTION)) &&
	    nla_put_u32(msg, VCPU_STALL_A_CONFIG_ACTION, c->action))
		return -ENOMEM;
	return 0;
}

int vsd_config_set(struct vsd_nl *nl, const struct config *c)
{
	return request(nl, VCPU_STALL_CMD_CONFIG_SET, 0, put_config, c,
		       NULL, NULL);
}

static int parse_pause_cb(struct nl_msg *msg, void *arg)
{
	return parse_pause(msg, arg);
}

int vsd_pause_get(struct vsd_nl *nl, struct pause *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	err = request(nl, VCPU_STALL_CMD_PAUSE_GET, 0, NULL, NULL,
		      parse_pause_cb, p);
	if (!err && !(p->have & BIT(VCPU_STALL_A_PAUSE_PAUSED)))
		err = -EPROTO;
	return err;
}

static int put_duration(struct nl_msg *msg, const void *arg)
{
	uint32_t ms = *(const uint32_t *)arg;

	return ms ? nla_put_u32(msg, VCPU_STALL_A_PAUSE_DURATION_MS, ms) : 0;
}

int vsd_pause(struct vsd_nl *nl, uint32_t duration_ms)
{
	return request(nl, VCPU_STALL_CMD_PAUSE, 0, put_duration, &duration_ms,
		       NULL, NULL);
}

int vsd_resume(struct vsd_nl *nl)
{
	return request(nl, VCPU_STALL_CMD_RESUME, 0, NULL, NULL, NULL, NULL);
}

struct monitor {
	struct vsd_nl *nl;
	const struct monitor_ops *ops;
	void *arg;
	int ret;		/* nonzero: stop with it */
};

/* nlctrl's notification that our family went away (rmmod). */
static bool family_deleted(struct nl_msg *msg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));

	if (g->cmd != CTRL_CMD_DELFAMILY ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL) ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return false;
	return !strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]),
		       VCPU_STALL_FAMILY_NAME);
}

static int monitor_cb(struct nl_msg *msg, void *arg)
{
	struct monitor *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct event e;
	struct cpu_status st;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		if (family_deleted(msg)) {
			m->ret = -ENOPKG;
			return NL_STOP;
		}
		return NL_SKIP;
	}
	if (nlh->nlmsg_type != m->nl->family)
		return NL_SKIP;

	memset(&e, 0, sizeof(e));
	e.cmd = genlmsg_hdr(nlh)->cmd;
	if (e.cmd == VCPU_STALL_CMD_CONFIG_NTF) {
		if (parse_config(msg, &e.config))
			return NL_SKIP;
	} else if (e.cmd == VCPU_STALL_CMD_PAUSED_NTF ||
		   e.cmd == VCPU_STALL_CMD_RESUMED_NTF) {
		if (parse_pause(msg, &e.pause))
			return NL_SKIP;
		e.pause.paused = e.cmd == VCPU_STALL_CMD_PAUSED_NTF;
	} else {
		if (parse_cpu(msg, &st))
			return NL_SKIP;
		e.has_cpu = st.have & BIT(VCPU_STALL_A_CPU_ID);
		e.cpu = st.id;
	}
	m->ret = m->ops->event(&e, m->arg);
	return m->ret ? NL_STOP : NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/*
 * Events arrive on a socket of their own (@sk), subscribed to nlctrl's
 * notifications before the family and its group are looked up again on
 * nl->sk: an rmmod after that is heard (CTRL_CMD_DELFAMILY), one before it
 * fails the lookup, and a reload in between cannot leave us listening to a
 * family id that is gone.  On nl->sk, a notification could land between a
 * request and its answer.
 */
static int subscribe(struct vsd_nl *nl, struct nl_sock *sk)
{
	int family, grp, err;

	err = nl_connect(sk, NETLINK_GENERIC);
	if (err)
		return libnl_error(nl, err);
	/* Hearing of rmmod is a bonus: go on without it. */
	grp = genl_ctrl_resolve_grp(nl->sk, "nlctrl", "notify");
	if (grp >= 0)
		nl_socket_add_membership(sk, grp);

	family = genl_ctrl_resolve(nl->sk, VCPU_STALL_FAMILY_NAME);
	grp = family < 0 ? family :
	      genl_ctrl_resolve_grp(nl->sk, VCPU_STALL_FAMILY_NAME,
				    VCPU_STALL_MCGRP_EVENTS);
	if (grp == -NLE_OBJ_NOTFOUND)
		return -ENOPKG;
	if (grp < 0)
		return libnl_error(nl, grp);
	nl->family = family;
	err = nl_socket_add_membership(sk, grp);
	return err ? libnl_error(nl, err) : 0;
}

int vsd_monitor(struct vsd_nl *nl, const struct monitor_ops *ops, void *arg)
{
	struct monitor m = { nl, ops, arg, 0 };
	struct nl_sock *sk;
	struct nl_cb *cb;
	int err;

	nl->why[0] = '\0';
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	m.ret = subscribe(nl, sk);
	if (m.ret)
		goto out;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		m.ret = -ENOMEM;
		goto out;
	}
	/* Notifications carry no sequence number of ours. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, monitor_cb, &m);
	for (;;) {
		errno = 0;
		err = nl_recvmsgs(sk, cb);
		if (m.ret)
			break;
		if (err >= 0)
			continue;
		switch (recv_failure(err == -NLE_NOMEM, errno)) {
		case RECV_LOST:
			if (ops->lost)
				ops->lost(arg);
			continue;
		case RECV_NOMEM:
			m.ret = -ENOMEM;
			break;
		case RECV_OTHER:
			m.ret = libnl_error(nl, err);
			break;
		}
		break;
	}
	nl_cb_put(cb);
out:
	nl_socket_free(sk);
	return m.ret;
}
