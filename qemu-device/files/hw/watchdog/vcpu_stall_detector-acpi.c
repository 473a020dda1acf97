/*
 * vCPU stall detector: its ACPI description
 *
 * A guest booted through UEFI with ACPI tables never sees the DT node, so
 * the board also describes the device in its DSDT: a PRP0001 device whose
 * _DSD carries the DT binding's properties (compatible, clock-frequency,
 * timeout-sec), so the same guest driver probes from either firmware, and
 * whose _CRS holds the banks' window and the stall interrupt.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/acpi/aml-build.h"
#include "hw/watchdog/vcpu_stall_detector.h"

/* ACPI 6.x "Device Properties UUID" (_DSD); the DT binding's properties. */
#define ACPI_DSD_DEVICE_PROPERTIES_UUID "DAFFD814-6EBA-4D8C-8A91-BC9BBF4AA301"

static Aml *vsd_dsd_property(const char *name, Aml *value)
{
    Aml *pkg = aml_package(2);

    aml_append(pkg, aml_string("%s", name));
    aml_append(pkg, value);
    return pkg;
}

void vcpu_stall_detector_build_aml(DeviceState *dev, Aml *scope, hwaddr base,
                                   uint32_t gsi)
{
    VCPUStallDetectorState *s = VCPU_STALL_DETECTOR(dev);
    Aml *adev = aml_device("VSD0");
    Aml *crs = aml_resource_template();
    Aml *props = aml_package(3);
    Aml *dsd = aml_package(2);

    aml_append(adev, aml_name_decl("_HID", aml_string("PRP0001")));
    aml_append(adev, aml_name_decl("_UID", aml_int(0)));

    aml_append(crs, aml_memory32_fixed(base, VCPU_STALL_MMIO_SIZE(s->num_cpus),
                                       AML_READ_WRITE));
    /*
     * Level-high, what KVM's vGIC makes of every PPI and what the device
     * does: the line stays up until the guest acknowledges the report.
     */
    aml_append(crs, aml_interrupt(AML_CONSUMER, AML_LEVEL, AML_ACTIVE_HIGH,
                                  AML_EXCLUSIVE, &gsi, 1));
    aml_append(adev, aml_name_decl("_CRS", crs));

    aml_append(props, vsd_dsd_property("compatible",
                                       aml_string("%s",
                                                  VCPU_STALL_DETECTOR_COMPAT)));
    aml_append(props, vsd_dsd_property("clock-frequency",
                                       aml_int(s->clock_freq_hz)));
    aml_append(props, vsd_dsd_property("timeout-sec",
                                       aml_int(s->timeout_sec)));
    aml_append(dsd, aml_touuid(ACPI_DSD_DEVICE_PROPERTIES_UUID));
    aml_append(dsd, props);
    aml_append(adev, aml_name_decl("_DSD", dsd));

    aml_append(scope, adev);
}
