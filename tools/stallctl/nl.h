/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stallctl: the "vcpu-stall" generic netlink family through libnl.
 *
 * Every call returns 0 or a negative errno: the kernel's, -ENOPKG when
 * the family is not registered (the module is not loaded, or was unloaded
 * between vsd_open() and the call, or during it; vsd_why() says so if it
 * was loaded again meanwhile), -ENOMEM when memory ran
 * out, or -EIO for another failure inside libnl.  vsd_why() then says why in
 * words when there is more to say than strerror(): the kernel's extended
 * ack message, or libnl's.
 */
#ifndef STALLCTL_NL_H
#define STALLCTL_NL_H

#include <stddef.h>
#include <stdint.h>

#include "stallctl.h"

struct vsd_nl;

int vsd_open(struct vsd_nl **nlp);
void vsd_close(struct vsd_nl *nl);
const char *vsd_why(const struct vsd_nl *nl);	/* "" when nothing more */

int vsd_cpu_get(struct vsd_nl *nl, uint32_t cpu, struct cpu_status *st);
/* Every possible CPU; *@cpus is to free. */
int vsd_cpu_dump(struct vsd_nl *nl, struct cpu_status **cpus, size_t *n);
int vsd_config_get(struct vsd_nl *nl, struct config *c);
/* Sends the attributes whose bits are set in @c->have. */
int vsd_config_set(struct vsd_nl *nl, const struct config *c);

int vsd_pause_get(struct vsd_nl *nl, struct pause *p);
/* Pause; resume by itself after @duration_ms, or never when 0. */
int vsd_pause(struct vsd_nl *nl, uint32_t duration_ms);
int vsd_resume(struct vsd_nl *nl);

struct monitor_ops {
	/* An event; nonzero stops the monitor with that value. */
	int (*event)(const struct event *e, void *arg);
	/* Events were lost: the socket's receive buffer overflowed. */
	void (*lost)(void *arg);
};

/*
 * Print events until a callback says stop, or the family goes away
 * (-ENOPKG: the module was unloaded).  Lost events (the receive buffer
 * overflowed) are reported through @ops->lost and receiving goes on; an
 * allocation that fails ends the monitor with -ENOMEM.
 */
int vsd_monitor(struct vsd_nl *nl, const struct monitor_ops *ops, void *arg);

#endif /* STALLCTL_NL_H */
