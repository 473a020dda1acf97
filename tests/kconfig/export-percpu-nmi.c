
/*
 * Appended to kernel/irq/manage.c by scripts/build-debug-kernel.sh: the
 * per-CPU NMI API is not exported to modules upstream.  Built in
 * (drivers/misc) the stall detector calls it directly; as a module it can
 * only where the kernel exports it, as this debug kernel does, so the
 * module's pseudo-NMI path can be tested.
 */
EXPORT_SYMBOL_GPL(request_percpu_nmi);
EXPORT_SYMBOL_GPL(prepare_percpu_nmi);
EXPORT_SYMBOL_GPL(teardown_percpu_nmi);
EXPORT_SYMBOL_GPL(enable_percpu_nmi);
EXPORT_SYMBOL_GPL(disable_percpu_nmi);
EXPORT_SYMBOL_GPL(free_percpu_nmi);
