/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Forced in after the kernel's kconfig.h (static.bats, KCFLAGS=-include):
 * the module's view of a kernel built without CONFIG_STACKTRACE, for the
 * compile matrix.  The kernel's own headers then hide the stack trace API
 * as they would there, so a use outside #ifdef CONFIG_STACKTRACE fails.
 */
#undef CONFIG_STACKTRACE
