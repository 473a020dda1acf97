/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stallctl: the stall detector's platform device, found through libudev.
 */
#ifndef STALLCTL_DEVICE_H
#define STALLCTL_DEVICE_H

#include <limits.h>
#include <stdbool.h>

struct device_info {
	bool found;		/* a device for the driver exists */
	bool bound;		/* ... and the driver is bound to it */
	char syspath[PATH_MAX];
	char driver[64];	/* the driver bound to it, "" if none */
};

/*
 * Look for the device: a platform device compatible with
 * VSD_OF_COMPATIBLE or bound to VSD_DRIVER, preferring one bound to the
 * driver.  Returns 0 (found or not, see @d->found) or a negative errno.
 */
int device_find(struct device_info *d);

#endif /* STALLCTL_DEVICE_H */
