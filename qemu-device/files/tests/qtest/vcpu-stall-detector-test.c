/*
 * QTest testcase for the vCPU stall detector
 *
 * The device's specification: register semantics per bank, the countdown,
 * the PPI at zero, the VCPU_STALL event, the grace period and the watchdog
 * action, state clearing, bank isolation, stray accesses, migration, and a
 * fuzz run that must leave every invariant intact.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "standard-headers/misc/vcpu_stall_detector.h"

#define VSD_BASE        0x090c0000ULL   /* hw/arm/virt.c VIRT_VCPU_STALL */
#define VSD_WINDOW      0x1000
#define VSD_PATH        "/machine/stall-detector"
#define NUM_CPUS        2
#define GRACE_MS        500
#define NS              1000000000LL

static char *log_path;

static QTestState *vsd_start(const char *extra)
{
    QTestState *qts;

    qts = qtest_initf("-machine virt,gic-version=3,vcpu-stall-detector=on "
                      "-cpu cortex-a72 -smp %d -nic none -action watchdog=none "
                      "-global vcpu-stall-detector.grace-ms=%d "
                      "-d guest_errors -D %s %s",
                      NUM_CPUS, GRACE_MS, log_path, extra ? extra : "");
    qtest_irq_intercept_out_named(qts, VSD_PATH, "sysbus-irq");
    return qts;
}

static uint64_t reg(int cpu, int r)
{
    return VSD_BASE + cpu * VCPU_STALL_REG_LEN + r;
}

static uint32_t rd(QTestState *qts, int cpu, int r)
{
    return qtest_readl(qts, reg(cpu, r));
}

static void wr(QTestState *qts, int cpu, int r, uint32_t v)
{
    qtest_writel(qts, reg(cpu, r), v);
}

/* Enable @cpu's bank counting @count ticks at @freq Hz. */
static void arm_bank(QTestState *qts, int cpu, uint32_t freq, uint32_t count)
{
    wr(qts, cpu, VCPU_STALL_REG_CLOCK_FREQ_HZ, freq);
    wr(qts, cpu, VCPU_STALL_REG_LOAD_CNT, count);
    wr(qts, cpu, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
}

/* Flush QMP so events emitted so far are queued, then look for @event. */
static QDict *pending_event(QTestState *qts, const char *event)
{
    qobject_unref(qtest_qmp(qts, "{'execute': 'query-status'}"));
    return qtest_qmp_event_ref(qts, event);
}

static void test_reset_values(void)
{
    QTestState *qts = vsd_start(NULL);

    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_STATUS), ==, 0);
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_LOAD_CNT), ==, 0);
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_CURRENT_CNT), ==, 0);
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_CLOCK_FREQ_HZ), ==,
                         VCPU_STALL_DEFAULT_CLOCK_HZ);
        g_assert_false(qtest_get_irq(qts, cpu));
    }
    qtest_quit(qts);
}

static void test_registers(void)
{
    QTestState *qts = vsd_start(NULL);

    wr(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ, 100);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 1000);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ), ==, 100);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_LOAD_CNT), ==, 1000);
    /* Disabled: the count holds. */
    qtest_clock_step(qts, 3 * NS);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 1000);
    wr(qts, 1, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);
    qtest_clock_step(qts, NS);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 900);
    qtest_clock_step(qts, 5 * NS);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 400);
    /* A new rate applies from the current count on. */
    wr(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ, 10);
    qtest_clock_step(qts, 10 * NS);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 300);
    /* Disabling freezes the count, enabling resumes it. */
    wr(qts, 1, VCPU_STALL_REG_STATUS, 0);
    qtest_clock_step(qts, 10 * NS);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 300);
    wr(qts, 1, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
    qtest_clock_step(qts, NS);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 290);
    qtest_quit(qts);
}

static void test_expiry(void)
{
    QTestState *qts = vsd_start(NULL);
    QDict *ev, *data;

    arm_bank(qts, 0, 10, 10);                   /* 1 s */
    qtest_clock_step(qts, NS - 1);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 1);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_null(pending_event(qts, "VCPU_STALL"));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);

    qtest_clock_step(qts, 1);
    g_assert_true(qtest_get_irq(qts, 0));
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 0);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_EXPIRED);

    ev = qtest_qmp_eventwait_ref(qts, "VCPU_STALL");
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpint(qdict_get_int(data, "cpu-index"), ==, 0);
    g_assert_cmpstr(qdict_get_str(data, "qom-path"), ==, VSD_PATH);
    qobject_unref(ev);

    /* The grace period, then the watchdog action. */
    qtest_clock_step(qts, GRACE_MS * 1000000LL - 1);
    g_assert_null(pending_event(qts, "WATCHDOG"));
    qtest_clock_step(qts, 1);
    ev = qtest_qmp_eventwait_ref(qts, "WATCHDOG");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(ev, "data"), "action"), ==,
                    "none");
    qobject_unref(ev);
    /* Once per expiry. */
    qtest_clock_step(qts, 10 * NS);
    g_assert_null(pending_event(qts, "WATCHDOG"));
    g_assert_null(pending_event(qts, "VCPU_STALL"));
    qtest_quit(qts);
}

static void expire(QTestState *qts, int cpu)
{
    arm_bank(qts, cpu, 10, 1);
    qtest_clock_step(qts, NS / 10);
    g_assert_true(qtest_get_irq(qts, cpu));
    qobject_unref(qtest_qmp_eventwait_ref(qts, "VCPU_STALL"));
}

static void test_clear(void)
{
    QTestState *qts = vsd_start(NULL);

    /* A reload clears the expiry and lowers the PPI. */
    expire(qts, 1);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 50);
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==, 50);

    /* So does disabling. */
    qtest_clock_step(qts, 5 * NS);
    g_assert_true(qtest_get_irq(qts, 1));
    qobject_unref(qtest_qmp_eventwait_ref(qts, "VCPU_STALL"));
    wr(qts, 1, VCPU_STALL_REG_STATUS, 0);
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==, 0);

    /* And a system reset, which restores every register. */
    expire(qts, 0);
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        g_assert_false(qtest_get_irq(qts, cpu));
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_STATUS), ==, 0);
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_LOAD_CNT), ==, 0);
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_CLOCK_FREQ_HZ), ==,
                         VCPU_STALL_DEFAULT_CLOCK_HZ);
    }
    /* Nothing fires after the reset. */
    qtest_clock_step(qts, 10 * NS);
    g_assert_null(pending_event(qts, "VCPU_STALL"));
    qtest_quit(qts);
}

static void test_isolation(void)
{
    QTestState *qts = vsd_start(NULL);

    wr(qts, 0, VCPU_STALL_REG_LOAD_CNT, 77);
    arm_bank(qts, 1, 10, 5);
    qtest_clock_step(qts, NS);
    g_assert_true(qtest_get_irq(qts, 1));
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==, 0);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 77);
    qtest_quit(qts);
}

static void assert_bank_equal(QTestState *a, QTestState *b, int cpu)
{
    for (int r = 0; r < VCPU_STALL_REG_LEN; r += 4) {
        g_assert_cmpuint(rd(a, cpu, r), ==, rd(b, cpu, r));
    }
}

static void test_stray(void)
{
    QTestState *qts = vsd_start(NULL);
    g_autofree char *log = NULL;

    arm_bank(qts, 0, 10, 100);
    qtest_writeb(qts, reg(0, VCPU_STALL_REG_STATUS), 0);
    qtest_writew(qts, reg(0, VCPU_STALL_REG_STATUS), 0);
    qtest_writeq(qts, reg(0, VCPU_STALL_REG_LOAD_CNT - 4), 0);
    qtest_writeb(qts, reg(0, VCPU_STALL_REG_LOAD_CNT), 1);
    g_assert_cmpuint(qtest_readb(qts, reg(0, VCPU_STALL_REG_LOAD_CNT)), ==, 0);
    g_assert_cmpuint(qtest_readq(qts, reg(0, 0)), ==, 0);
    wr(qts, 0, VCPU_STALL_REG_CURRENT_CNT, 5);
    /* Reserved STATUS bits are ignored, bit 0 still counts. */
    wr(qts, 0, VCPU_STALL_REG_STATUS, 0xfffffffe | VCPU_STALL_STATUS_ENABLED);
    /* Past the last bank. */
    wr(qts, NUM_CPUS, VCPU_STALL_REG_STATUS, 1);
    wr(qts, NUM_CPUS, VCPU_STALL_REG_LOAD_CNT, 1);
    g_assert_cmpuint(rd(qts, NUM_CPUS, VCPU_STALL_REG_STATUS), ==, 0);
    qtest_writel(qts, VSD_BASE + VSD_WINDOW - 4, 1);
    g_assert_cmpuint(qtest_readl(qts, VSD_BASE + VSD_WINDOW - 4), ==, 0);

    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_LOAD_CNT), ==, 100);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 100);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==, 0);
    qtest_clock_step(qts, 10 * NS - 1);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_quit(qts);

    g_assert_true(g_file_get_contents(log_path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "registers are 32 bits wide"));
    g_assert_nonnull(strstr(log, "CURRENT_CNT is read-only"));
    g_assert_nonnull(strstr(log, "reserved STATUS bits"));
    g_assert_nonnull(strstr(log, "past the last bank"));
}

static QDict *qom_banks(QTestState *qts)
{
    return qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                     "{'path': '" VSD_PATH "', 'property': 'banks'}}");
}

static void wait_migration(QTestState *qts)
{
    for (;;) {
        QDict *r = qtest_qmp(qts, "{'execute': 'query-migrate'}");
        QDict *ret = qdict_get_qdict(r, "return");
        const char *st = qdict_haskey(ret, "status") ?
                         qdict_get_str(ret, "status") : "none";

        g_assert_cmpstr(st, !=, "failed");
        if (!strcmp(st, "completed")) {
            qobject_unref(r);
            return;
        }
        qobject_unref(r);
        g_usleep(10000);
    }
}

static void test_migration(void)
{
    g_autofree char *file = g_strdup_printf("%s/vsd-mig-%d", g_get_tmp_dir(),
                                            getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    /* Bank 0 counts 10 s at 100 Hz; migration happens mid-way. */
    const int64_t elapsed = NS / 10 + 2 * NS + 123456;
    QTestState *src = vsd_start(NULL), *dst;
    QDict *bs, *bd;

    arm_bank(src, 0, 100, 1000);
    expire(src, 1);                             /* steps NS / 10 */
    qtest_clock_step(src, elapsed - NS / 10);
    qtest_qmp_assert_success(src, "{'execute': 'stop'}");
    qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    wait_migration(src);

    dst = vsd_start("-incoming defer");
    qtest_qmp_assert_success(dst, "{'execute': 'migrate-incoming', "
                             "'arguments': {'uri': %s}}", uri);
    wait_migration(dst);
    unlink(file);

    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        assert_bank_equal(src, dst, cpu);
    }
    bs = qom_banks(src);
    bd = qom_banks(dst);
    g_assert_true(qobject_is_equal(qdict_get(bs, "return"),
                                   qdict_get(bd, "return")));
    qobject_unref(bs);
    qobject_unref(bd);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_CURRENT_CNT), ==,
                     1000 - elapsed * 100 / NS);
    g_assert_cmpuint(rd(dst, 1, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_EXPIRED);

    /* The destination's countdown goes on where the source's stopped. */
    qtest_qmp_assert_success(dst, "{'execute': 'cont'}");
    qtest_clock_step(dst, 10 * NS - elapsed - 1);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);
    qtest_clock_step(dst, 1);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_EXPIRED);
    qtest_quit(src);
    qtest_quit(dst);
}

static void test_qom_status(void)
{
    QTestState *qts = vsd_start(NULL);
    QDict *r, *b1;
    QList *banks;

    arm_bank(qts, 1, 10, 20);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 20);
    qtest_clock_step(qts, NS);
    r = qom_banks(qts);
    banks = qdict_get_qlist(r, "return");
    g_assert_cmpint(qlist_size(banks), ==, NUM_CPUS);
    qobject_unref(r);

    r = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                  "{'path': '" VSD_PATH "', 'property': 'bank1'}}");
    b1 = qdict_get_qdict(r, "return");
    g_assert_cmpint(qdict_get_int(b1, "cpu"), ==, 1);
    g_assert_true(qdict_get_bool(b1, "enabled"));
    g_assert_false(qdict_get_bool(b1, "expired"));
    g_assert_cmpint(qdict_get_int(b1, "count"), ==, 10);
    g_assert_cmpint(qdict_get_int(b1, "load"), ==, 20);
    g_assert_cmpint(qdict_get_int(b1, "pets"), ==, 2);
    g_assert_cmpint(qdict_get_int(b1, "stalls"), ==, 0);
    qobject_unref(r);
    qtest_quit(qts);
}

/* The invariants every state reachable by the guest must keep. */
static void check_invariants(QTestState *qts)
{
    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        uint32_t st = rd(qts, cpu, VCPU_STALL_REG_STATUS);
        uint32_t load = rd(qts, cpu, VCPU_STALL_REG_LOAD_CNT);
        uint32_t cur = rd(qts, cpu, VCPU_STALL_REG_CURRENT_CNT);
        bool expired = st & VCPU_STALL_STATUS_EXPIRED;

        g_assert_cmpuint(st & ~(VCPU_STALL_STATUS_ENABLED |
                                VCPU_STALL_STATUS_EXPIRED), ==, 0);
        g_assert_cmpuint(cur, <=, load);
        g_assert_true(!expired || (st & VCPU_STALL_STATUS_ENABLED));
        g_assert_true(!expired || cur == 0);
        g_assert_cmpint(expired, ==, qtest_get_irq(qts, cpu));
    }
}

static void fuzz_access(QTestState *qts, uint64_t a, int w, bool write,
                        uint64_t val)
{
    if (!write) {
        switch (w) {
        case 1:
            qtest_readb(qts, a);
            break;
        case 2:
            qtest_readw(qts, a);
            break;
        case 4:
            qtest_readl(qts, a);
            break;
        default:
            qtest_readq(qts, a);
            break;
        }
        return;
    }
    switch (w) {
    case 1:
        qtest_writeb(qts, a, val);
        break;
    case 2:
        qtest_writew(qts, a, val);
        break;
    case 4:
        qtest_writel(qts, a, val);
        break;
    default:
        qtest_writeq(qts, a, val);
        break;
    }
}

static void test_fuzz(void)
{
    QTestState *qts = vsd_start(NULL);
    static const int widths[] = { 1, 2, 4, 8 };

    for (int i = 0; i < 10000; i++) {
        int w = widths[g_test_rand_int_range(0, 4)];
        /* Mostly the live banks, sometimes past them or past the window. */
        uint64_t off = g_test_rand_int_range(0, VSD_WINDOW + 0x100);
        uint64_t val = g_test_rand_bit() ? g_test_rand_int_range(0, 50) :
                       ((uint64_t)g_test_rand_int() << 32) | g_test_rand_int();
        uint64_t a;

        if (g_test_rand_bit()) {
            /* Half of them on the live banks' registers. */
            off = g_test_rand_int_range(0, NUM_CPUS * VCPU_STALL_REG_LEN);
            if (w == 4) {
                off &= ~3ULL;
            }
        }
        a = VSD_BASE + off;
        fuzz_access(qts, a, w, g_test_rand_bit(), val);
        if (!(i % 7)) {
            qtest_clock_step(qts, g_test_rand_int_range(0, 2 * NS / 10));
        }
        if (!(i % 100)) {
            check_invariants(qts);
        }
    }
    check_invariants(qts);
    qtest_qmp_assert_success(qts, "{'execute': 'query-status'}");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    int fd, ret;

    g_test_init(&argc, &argv, NULL);
    if (!qtest_has_machine("virt")) {
        g_test_skip("virt machine not available");
        return g_test_run();
    }
    fd = g_file_open_tmp("vsd-qtest-log.XXXXXX", &log_path, NULL);
    g_assert(fd >= 0);
    close(fd);

    qtest_add_func("/vcpu-stall-detector/reset-values", test_reset_values);
    qtest_add_func("/vcpu-stall-detector/registers", test_registers);
    qtest_add_func("/vcpu-stall-detector/expiry", test_expiry);
    qtest_add_func("/vcpu-stall-detector/clear", test_clear);
    qtest_add_func("/vcpu-stall-detector/isolation", test_isolation);
    qtest_add_func("/vcpu-stall-detector/stray", test_stray);
    qtest_add_func("/vcpu-stall-detector/qom-status", test_qom_status);
    qtest_add_func("/vcpu-stall-detector/migration", test_migration);
    qtest_add_func("/vcpu-stall-detector/fuzz", test_fuzz);
    ret = g_test_run();
    unlink(log_path);
    g_free(log_path);
    return ret;
}
