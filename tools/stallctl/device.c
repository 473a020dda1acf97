// SPDX-License-Identifier: GPL-2.0-only
/*
 * stallctl: the stall detector's platform device, found through libudev
 * (which reads sysfs: no udev daemon needed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libudev.h>

#include "device.h"
#include "parse.h"
#include "stallctl.h"

static bool is_compatible(struct udev_device *dev)
{
	struct udev_list_entry *e;

	udev_list_entry_foreach(e, udev_device_get_properties_list_entry(dev)) {
		const char *value = udev_list_entry_get_value(e);

		if (is_of_compatible_key(udev_list_entry_get_name(e)) &&
		    value && !strcmp(value, VSD_OF_COMPATIBLE))
			return true;
	}
	return false;
}

int device_find(struct device_info *d)
{
	struct udev_list_entry *e;
	struct udev_enumerate *en;
	struct udev *udev;
	int err;

	memset(d, 0, sizeof(*d));
	udev = udev_new();
	if (!udev)
		return -ENOMEM;
	en = udev_enumerate_new(udev);
	if (!en) {
		udev_unref(udev);
		return -ENOMEM;
	}
	err = udev_enumerate_add_match_subsystem(en, "platform");
	if (!err)
		err = udev_enumerate_scan_devices(en);
	if (err)
		goto out;

	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *dev;
		const char *driver;
		bool bound;

		dev = udev_device_new_from_syspath(udev,
						   udev_list_entry_get_name(e));
		if (!dev)
			continue;
		driver = udev_device_get_driver(dev);
		bound = driver && !strcmp(driver, VSD_DRIVER);
		if ((bound || is_compatible(dev)) && (!d->found || bound)) {
			d->found = true;
			d->bound = bound;
			snprintf(d->syspath, sizeof(d->syspath), "%s",
				 udev_device_get_syspath(dev));
			snprintf(d->driver, sizeof(d->driver), "%s",
				 driver ? driver : "");
		}
		udev_device_unref(dev);
		if (d->bound)
			break;
	}
out:
	udev_enumerate_unref(en);
	udev_unref(udev);
	return err < 0 ? err : 0;
}
