/*
 * QTest testcase for the vCPU stall detector
 *
 * The device's specification: register semantics per bank, the countdown,
 * the PPI at zero, the VCPU_STALL event, the grace period and the watchdog
 * action, state clearing, bank isolation, stray accesses, migration, and a
 * fuzz run that must leave every invariant intact.  Then its bad days: guest
 * writes during a grace period, rate rewrites mid-tick, many vCPUs stalling
 * at once, migration in a grace period, corrupt or mismatched migration
 * streams, and vCPUs that do not exist yet.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/cutils.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "standard-headers/misc/vcpu_stall_detector.h"

#define VSD_BASE        0x0b000000ULL   /* hw/arm/virt.c VIRT_VCPU_STALL */
#define VSD_WINDOW      0x1000
#define VSD_PATH        "/machine/stall-detector"
#define NUM_CPUS        2
#define GRACE_MS        500
#define NS              1000000000LL
#define MS              1000000LL

/* STATUS of a bank that just expired: its report pending, the line high. */
#define ST_EXPIRED      (VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_EXPIRED)
#define ST_STALLED      (ST_EXPIRED | VCPU_STALL_STATUS_PENDING)

static char *log_path;

static QTestState *vsd_start(const char *extra)
{
    QTestState *qts;

    /* cortex-a57: under -accel qtest 10.1+ offers no TCG-only model. */
    qts = qtest_initf("-machine virt,gic-version=3,vcpu-stall-detector=on "
                      "-cpu cortex-a57 -smp %d -nic none -action watchdog=none "
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
                     ST_STALLED);

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

    /* A reload clears the expiry; the acknowledge lowers the PPI. */
    expire(qts, 1);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 50);
    g_assert_true(qtest_get_irq(qts, 1));
    wr(qts, 1, VCPU_STALL_REG_STATUS,
       VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_PENDING);
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
    wr(qts, 0, VCPU_STALL_REG_STATUS, 0xfffffff0 | VCPU_STALL_STATUS_ENABLED);
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

/* Wait until a migration ends; it must end @want ("completed", "failed"). */
static void wait_migration_end(QTestState *qts, const char *want)
{
    for (;;) {
        QDict *r = qtest_qmp(qts, "{'execute': 'query-migrate'}");
        QDict *ret = qdict_get_qdict(r, "return");
        const char *st = qdict_haskey(ret, "status") ?
                         qdict_get_str(ret, "status") : "none";

        if (!strcmp(st, "completed") || !strcmp(st, "failed")) {
            g_assert_cmpstr(st, ==, want);
            qobject_unref(r);
            return;
        }
        qobject_unref(r);
        g_usleep(10000);
    }
}

static void wait_migration(QTestState *qts)
{
    wait_migration_end(qts, "completed");
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
    /* Bank 1's report, pending, travels with it. */
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
                     ST_STALLED);

    /* The destination's countdown goes on where the source's stopped. */
    qtest_qmp_assert_success(dst, "{'execute': 'cont'}");
    qtest_clock_step(dst, 10 * NS - elapsed - 1);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);
    qtest_clock_step(dst, 1);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_STATUS), ==,
                     ST_STALLED);
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
        bool pending = st & VCPU_STALL_STATUS_PENDING;

        g_assert_cmpuint(st & ~ST_STALLED, ==, 0);
        g_assert_cmpuint(cur, <=, load);
        g_assert_true(!expired || (st & VCPU_STALL_STATUS_ENABLED));
        g_assert_true(!expired || cur == 0);
        /* The line is the pending report; a disabled bank has none. */
        g_assert_cmpint(pending, ==, qtest_get_irq(qts, cpu));
        g_assert_true(!pending || (st & VCPU_STALL_STATUS_ENABLED));
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

/* How many @event events came; every queued event is consumed. */
static int count_events(QTestState *qts, const char *event)
{
    QDict *ev;
    int n = 0;

    qobject_unref(qtest_qmp(qts, "{'execute': 'query-status'}"));
    while ((ev = qtest_qmp_event_ref(qts, event))) {
        qobject_unref(ev);
        n++;
    }
    return n;
}

/* Bank @cpu's QOM status; the caller unrefs the reply. */
static QDict *qom_bank(QTestState *qts, int cpu, QDict **reply)
{
    g_autofree char *prop = g_strdup_printf("bank%d", cpu);

    *reply = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                       "{'path': '" VSD_PATH "', 'property': %s}}", prop);
    return qdict_get_qdict(*reply, "return");
}

/* Grace left of bank @cpu's pending watchdog action, or -1 if none. */
static int64_t grace_left(QTestState *qts, int cpu)
{
    QDict *r, *b = qom_bank(qts, cpu, &r);
    int64_t ns = qdict_haskey(b, "grace-left-ns") ?
                 qdict_get_int(b, "grace-left-ns") : -1;

    qobject_unref(r);
    return ns;
}

/*
 * A guest write to an expired bank that is not a reload or a disable,
 * valid or not, or any write elsewhere that leaves bank 0 alone.
 */
static void grace_write(QTestState *qts, GRand *r)
{
    static const int widths[] = { 1, 2, 8 };
    uint32_t v = g_rand_int(r);
    int w = widths[g_rand_int_range(r, 0, 3)];
    uint64_t a;

    switch (g_rand_int_range(r, 0, 7)) {
    case 0:     /* re-enable, with or without reserved bits */
        wr(qts, 0, VCPU_STALL_REG_STATUS,
           (g_rand_boolean(r) ? v : 0) | VCPU_STALL_STATUS_ENABLED);
        break;
    case 1: {   /* a new rate, the same one, 0, anything */
        const uint32_t rates[] = { 0, 1, 10, v };

        wr(qts, 0, VCPU_STALL_REG_CLOCK_FREQ_HZ,
           rates[g_rand_int_range(r, 0, 4)]);
        break;
    }
    case 2:
        wr(qts, 0, VCPU_STALL_REG_CURRENT_CNT, v);
        break;
    case 3:     /* a bad width or alignment on bank 0, LOAD_CNT included */
        a = reg(0, g_rand_int_range(r, 0, VCPU_STALL_REG_LEN));
        if (w == 8) {
            /*
             * Aligned: qtest's writes are the memory core's, which splits
             * an unaligned 8 bytes into aligned pieces (a 4-byte LOAD_CNT
             * among them); a vCPU's unaligned device access faults.
             */
            a &= ~7ULL;
        }
        if (w == 8 || g_rand_boolean(r)) {
            fuzz_access(qts, a, w, true,
                        ((uint64_t)g_rand_int(r) << 32) | v);
        } else {
            qtest_writel(qts, a | g_rand_int_range(r, 1, 4), v);
        }
        break;
    case 4:     /* past the last bank, or past the window */
        a = g_rand_boolean(r) ?
            reg(g_rand_int_range(r, NUM_CPUS, VSD_WINDOW / VCPU_STALL_REG_LEN),
                g_rand_int_range(r, 0, 4) * 4) :
            VSD_BASE + VSD_WINDOW + g_rand_int_range(r, 0, 0x100) * 4;
        qtest_writel(qts, a, v);
        break;
    case 5:     /* bank 1, never close to expiring */
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            wr(qts, 1, VCPU_STALL_REG_STATUS, v);
            break;
        case 1:
            wr(qts, 1, VCPU_STALL_REG_LOAD_CNT,
               g_rand_int_range(r, 1000, 100000));
            break;
        case 2:
            wr(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ,
               g_rand_int_range(r, 1, 101));
            break;
        default:
            wr(qts, 1, VCPU_STALL_REG_CURRENT_CNT, v);
            break;
        }
        break;
    default:    /* reads */
        fuzz_access(qts, reg(g_rand_int_range(r, 0, NUM_CPUS + 1),
                             g_rand_int_range(r, 0, VCPU_STALL_REG_LEN)),
                    widths[g_rand_int_range(r, 0, 3)], false, 0);
        break;
    }
}

/*
 * Item: an expired bank's grace period ends only by a reload, a disable or
 * a reset.  Random guest writes after an expiry, each followed by the
 * check: bank 0 reads expired, its action is pending and due exactly when
 * it was; at its end the action runs once.  Some rounds end the grace
 * period the three allowed ways instead, and then no action runs.
 */
static void test_grace_invariant(void)
{
    const char *env = getenv("VSD_QTEST_SEED");
    unsigned long seed = (uint32_t)g_test_rand_int();
    QTestState *qts = vsd_start(NULL);
    g_autoptr(GRand) r = NULL;
    int ended = 0, acted = 0;

    if (env) {
        g_assert_cmpint(qemu_strtoul(env, NULL, 0, &seed), ==, 0);
    }
    r = g_rand_new_with_seed(seed);
    g_test_message("seed %lu (VSD_QTEST_SEED=%lu repeats this run)",
                   seed, seed);
    for (int round = 0; round < 12; round++) {
        int64_t now, due;
        uint32_t st;
        int end = -1;

        wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 100000);
        arm_bank(qts, 0, 10, 1);
        now = qtest_clock_step(qts, NS / 10);
        due = now + GRACE_MS * MS;
        for (int op = 0; op < 40 && end < 0; op++) {
            if (!g_rand_int_range(r, 0, 50)) {
                end = g_rand_int_range(r, 0, 3);
                break;
            }
            if (!g_rand_int_range(r, 0, 4)) {
                now = qtest_clock_step(qts, g_rand_int_range(r, 0,
                                                  (due - now) / 4 + 1));
            } else {
                grace_write(qts, r);
            }
            /* An acknowledge may lower the line, not end the period. */
            st = rd(qts, 0, VCPU_STALL_REG_STATUS);
            g_assert_cmpuint(st & ST_EXPIRED, ==, ST_EXPIRED);
            g_assert_cmpint(!!(st & VCPU_STALL_STATUS_PENDING), ==,
                            qtest_get_irq(qts, 0));
            g_assert_cmpint(grace_left(qts, 0), ==, due - now);
            g_assert_false(rd(qts, 1, VCPU_STALL_REG_STATUS) &
                           VCPU_STALL_STATUS_EXPIRED);
        }
        switch (end) {
        case 0:
            wr(qts, 0, VCPU_STALL_REG_LOAD_CNT,
               g_rand_int_range(r, 1, 100000));
            break;
        case 1:
            wr(qts, 0, VCPU_STALL_REG_STATUS,
               g_rand_int(r) & ~VCPU_STALL_STATUS_ENABLED);
            break;
        case 2:
            qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
            qtest_qmp_eventwait(qts, "RESET");
            break;
        }
        if (end >= 0) {
            ended++;
            g_assert_false(rd(qts, 0, VCPU_STALL_REG_STATUS) &
                           VCPU_STALL_STATUS_EXPIRED);
            g_assert_cmpint(grace_left(qts, 0), ==, -1);
            wr(qts, 0, VCPU_STALL_REG_STATUS, 0);
            qtest_clock_step(qts, due - now + NS);
            g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);
            continue;
        }
        /* Nothing ended it: the action runs when it was due, once. */
        qtest_clock_step(qts, due - now - 1);
        g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);
        qtest_clock_step(qts, 1);
        g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 1);
        acted++;
        /* Acted on: still expired, nothing more pending. */
        g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS) & ST_EXPIRED, ==,
                         ST_EXPIRED);
        g_assert_cmpint(grace_left(qts, 0), ==, -1);
        qtest_clock_step(qts, NS);
        g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);
        wr(qts, 0, VCPU_STALL_REG_STATUS, 0);
    }
    g_test_message("%d grace periods ended by the guest or a reset, "
                   "%d by the action", ended, acted);
    qtest_quit(qts);
}

/*
 * PENDING: the report stays pending, the line high, across reloads until
 * the guest acknowledges it; a reload still ends the grace period and an
 * acknowledge does not.  A disable or a reset ends the report too.
 */
static void test_pending(void)
{
    const uint32_t on = VCPU_STALL_STATUS_ENABLED;
    QTestState *qts = vsd_start(NULL);

    /* The vCPU's timer reloads before it takes the PPI: still pending. */
    expire(qts, 0);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==, ST_STALLED);
    wr(qts, 0, VCPU_STALL_REG_LOAD_CNT, 100);
    g_assert_true(qtest_get_irq(qts, 0));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==,
                     on | VCPU_STALL_STATUS_PENDING);
    g_assert_cmpint(grace_left(qts, 0), ==, -1);
    /* Acknowledged by a read-modify-write: still enabled. */
    wr(qts, 0, VCPU_STALL_REG_STATUS, rd(qts, 0, VCPU_STALL_REG_STATUS));
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==, on);
    qtest_clock_step(qts, GRACE_MS * MS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), >, 0);

    /* An acknowledge without a reload: the line falls, the host acts. */
    wr(qts, 0, VCPU_STALL_REG_LOAD_CNT, 1);
    qtest_clock_step(qts, NS / 10);
    g_assert_true(qtest_get_irq(qts, 0));
    wr(qts, 0, VCPU_STALL_REG_STATUS, on | VCPU_STALL_STATUS_PENDING);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==, ST_EXPIRED);
    g_assert_cmpint(grace_left(qts, 0), ==, GRACE_MS * MS);
    qtest_clock_step(qts, GRACE_MS * MS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 1);
    /* An acknowledge with nothing pending changes nothing. */
    wr(qts, 0, VCPU_STALL_REG_STATUS, on | VCPU_STALL_STATUS_PENDING);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==, ST_EXPIRED);

    /* An acknowledge that disables: both end at once. */
    wr(qts, 0, VCPU_STALL_REG_LOAD_CNT, 1);
    qtest_clock_step(qts, NS / 10);
    wr(qts, 0, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_PENDING);
    g_assert_false(qtest_get_irq(qts, 0));
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_STATUS), ==, 0);

    /* A disable ends a report the reload left pending. */
    expire(qts, 1);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 100);
    g_assert_true(qtest_get_irq(qts, 1));
    wr(qts, 1, VCPU_STALL_REG_STATUS, 0);
    g_assert_false(qtest_get_irq(qts, 1));
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==, 0);

    /* So does a reset (past VCPU_STALL's rate limit). */
    qtest_clock_step(qts, NS);
    expire(qts, 1);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 100);
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_STATUS), ==, 0);
        g_assert_false(qtest_get_irq(qts, cpu));
    }
    qtest_quit(qts);
}

/*
 * Item: counting is exact across changes.  Rewriting CLOCK_FREQ_HZ or
 * toggling STATUS keeps the part of a tick already elapsed, so a guest
 * that does either more often than a tick lasts still sees its count fall.
 */
static void test_exact_count(void)
{
    QTestState *qts = vsd_start(NULL);

    /* The same rate rewritten, and STATUS toggled, every half tick. */
    for (int how = 0; how < 3; how++) {
        arm_bank(qts, 1, 10, 10);
        for (int k = 1; k <= 20; k++) {
            qtest_clock_step(qts, NS / 20);
            if (k == 20) {
                break;
            }
            g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT), ==,
                             10 - k / 2);
            switch (how) {
            case 0:
                wr(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ, 10);
                break;
            case 1:
                wr(qts, 1, VCPU_STALL_REG_STATUS, 0);
                wr(qts, 1, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
                break;
            default:
                wr(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ, 0);     /* ignored */
                wr(qts, 1, VCPU_STALL_REG_STATUS,
                   0xfffffff0 | VCPU_STALL_STATUS_ENABLED);
                break;
            }
        }
        g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_CLOCK_FREQ_HZ), ==, 10);
        g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==,
                         ST_STALLED);
        qobject_unref(qtest_qmp_eventwait_ref(qts, "VCPU_STALL"));
        wr(qts, 1, VCPU_STALL_REG_STATUS, 0);
        qtest_clock_step(qts, NS);
    }

    /* Half a tick at 10 Hz, then the rest at 20 Hz: 25 ms. */
    arm_bank(qts, 0, 10, 10);
    qtest_clock_step(qts, 50 * MS);
    wr(qts, 0, VCPU_STALL_REG_CLOCK_FREQ_HZ, 20);
    qtest_clock_step(qts, 25 * MS - 1);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 10);
    qtest_clock_step(qts, 1);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 9);
    qtest_clock_step(qts, 50 * MS);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 8);

    /* 30 ms into a tick, disabled for 5 s: 20 ms more at 20 Hz. */
    qtest_clock_step(qts, 30 * MS);
    wr(qts, 0, VCPU_STALL_REG_STATUS, 0);
    qtest_clock_step(qts, 5 * NS);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 8);
    wr(qts, 0, VCPU_STALL_REG_STATUS, VCPU_STALL_STATUS_ENABLED);
    qtest_clock_step(qts, 20 * MS - 1);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 8);
    qtest_clock_step(qts, 1);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 7);

    /* The expiry falls exactly on the last tick: 7 * 50 ms from here. */
    qtest_clock_step(qts, 7 * 50 * MS - 1);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_clock_step(qts, 1);
    g_assert_true(qtest_get_irq(qts, 0));
    qtest_quit(qts);
}

/*
 * Item: one stall episode, one action.  vCPUs whose grace periods run
 * when one ends share its action; a bank that expires after the action
 * gets one of its own.
 */
static void test_one_action(void)
{
    QTestState *qts = vsd_start(NULL);

    /* Both at once. */
    arm_bank(qts, 0, 10, 1);
    arm_bank(qts, 1, 10, 1);
    qtest_clock_step(qts, NS / 10);
    g_assert_true(qtest_get_irq(qts, 0) && qtest_get_irq(qts, 1));
    g_assert_cmpint(count_events(qts, "VCPU_STALL"), ==, 2);
    qtest_clock_step(qts, GRACE_MS * MS);
    /* WATCHDOG is rate-limited: a second one would come within 1 s. */
    qtest_clock_step(qts, 2 * NS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 1);
    g_assert_cmpint(grace_left(qts, 0), ==, -1);
    g_assert_cmpint(grace_left(qts, 1), ==, -1);

    /* 100 ms apart (both reports taken): the first grace end acts for both. */
    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        wr(qts, cpu, VCPU_STALL_REG_STATUS,
           VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_PENDING);
    }
    wr(qts, 0, VCPU_STALL_REG_LOAD_CNT, 1);
    qtest_clock_step(qts, NS / 20);
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 1);
    qtest_clock_step(qts, NS / 20);
    g_assert_true(qtest_get_irq(qts, 0));
    g_assert_false(qtest_get_irq(qts, 1));
    qtest_clock_step(qts, NS / 20);
    g_assert_true(qtest_get_irq(qts, 1));
    g_assert_cmpint(grace_left(qts, 0), ==, GRACE_MS * MS - NS / 20);
    g_assert_cmpint(grace_left(qts, 1), ==, GRACE_MS * MS);
    qtest_clock_step(qts, GRACE_MS * MS - NS / 20 - 1);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);
    qtest_clock_step(qts, 1);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 1);
    g_assert_cmpint(grace_left(qts, 1), ==, -1);
    qtest_clock_step(qts, 2 * NS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);

    /* A new stall after the action: a new grace period, a new action. */
    wr(qts, 1, VCPU_STALL_REG_LOAD_CNT, 1);
    qtest_clock_step(qts, NS / 10);
    g_assert_cmpint(grace_left(qts, 1), ==, GRACE_MS * MS);
    qtest_clock_step(qts, GRACE_MS * MS + 2 * NS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 1);
    qtest_quit(qts);
}

/* -action watchdog=pause: one stop for all vCPUs; after cont, no more. */
static void test_pause_cont(void)
{
    QTestState *qts = vsd_start("-action watchdog=pause");
    bool stopped;
    QDict *r;

    arm_bank(qts, 0, 10, 1);
    arm_bank(qts, 1, 10, 1);
    qtest_clock_step(qts, NS / 10 + GRACE_MS * MS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 1);
    for (;;) {                      /* the stop is the main loop's */
        r = qtest_qmp_assert_success_ref(qts,
                                         "{'execute': 'query-status'}");
        stopped = !strcmp(qdict_get_str(r, "status"), "watchdog");
        qobject_unref(r);
        if (stopped) {
            break;
        }
        g_usleep(1000);
    }

    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    qtest_clock_step(qts, 10 * NS);
    g_assert_cmpint(count_events(qts, "WATCHDOG"), ==, 0);
    r = qtest_qmp_assert_success_ref(qts, "{'execute': 'query-status'}");
    g_assert_true(qdict_get_bool(r, "running"));
    qobject_unref(r);
    for (int cpu = 0; cpu < NUM_CPUS; cpu++) {
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_STATUS), ==,
                         ST_STALLED);
        g_assert_cmpuint(rd(qts, cpu, VCPU_STALL_REG_CURRENT_CNT), ==, 0);
        g_assert_true(qtest_get_irq(qts, cpu));
        g_assert_cmpint(grace_left(qts, cpu), ==, -1);
    }
    /* The guest recovers: a reload counts again, a new stall acts again. */
    wr(qts, 0, VCPU_STALL_REG_LOAD_CNT, 10);
    wr(qts, 0, VCPU_STALL_REG_STATUS,
       VCPU_STALL_STATUS_ENABLED | VCPU_STALL_STATUS_PENDING);
    g_assert_false(qtest_get_irq(qts, 0));
    qtest_clock_step(qts, NS / 2);
    g_assert_cmpuint(rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 5);
    qtest_clock_step(qts, NS / 2 + GRACE_MS * MS);
    qtest_qmp_eventwait(qts, "STOP");
    qtest_quit(qts);
}

static char *mig_file(const char *what)
{
    return g_strdup_printf("%s/vsd-mig-%s-%d", g_get_tmp_dir(), what,
                           getpid());
}

/* Migrate the stopped @src into @file. */
static void migrate_to_file(QTestState *src, const char *file)
{
    g_autofree char *uri = g_strdup_printf("file:%s", file);

    qtest_qmp_assert_success(src, "{'execute': 'stop'}");
    qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments': "
                             "{'uri': %s}}", uri);
    wait_migration(src);
}

/* A destination loading @file: its migration must end @want. */
static QTestState *migrate_from_file(const char *file, const char *extra,
                                     const char *want)
{
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree char *args = g_strdup_printf("-incoming defer %s",
                                            extra ? extra : "");
    QTestState *dst = vsd_start(args);

    qtest_qmp_assert_success(dst, "{'execute': 'migrate-incoming', "
                             "'arguments': {'uri': %s, "
                             "'exit-on-error': false}}", uri);
    wait_migration_end(dst, want);
    return dst;
}

/* Item: a migration in the grace period; a part of a tick migrates too. */
static void test_migration_grace(void)
{
    g_autofree char *file = mig_file("grace");
    QTestState *src = vsd_start(NULL), *dst;

    expire(src, 1);
    arm_bank(src, 0, 10, 100);
    qtest_clock_step(src, 33 * MS);
    wr(src, 0, VCPU_STALL_REG_CLOCK_FREQ_HZ, 10);   /* 0.33 tick into one */
    qtest_clock_step(src, 187 * MS);                /* 220 ms into grace */
    g_assert_cmpint(grace_left(src, 1), ==, GRACE_MS * MS - 220 * MS);
    migrate_to_file(src, file);
    qtest_quit(src);

    dst = migrate_from_file(file, NULL, "completed");
    unlink(file);
    g_assert_cmpuint(rd(dst, 1, VCPU_STALL_REG_STATUS), ==,
                     ST_STALLED);
    g_assert_cmpint(grace_left(dst, 1), ==, GRACE_MS * MS - 220 * MS);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 98);
    qtest_qmp_assert_success(dst, "{'execute': 'cont'}");
    /* Bank 0 was 2.2 ticks down (0.33 + 1.87): 80 ms to the next. */
    qtest_clock_step(dst, 80 * MS - 1);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 98);
    qtest_clock_step(dst, 1);
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 97);
    /* The grace period ends on the destination when it would have. */
    qtest_clock_step(dst, GRACE_MS * MS - 300 * MS - 1);
    g_assert_cmpint(count_events(dst, "WATCHDOG"), ==, 0);
    qtest_clock_step(dst, 1);
    g_assert_cmpint(count_events(dst, "WATCHDOG"), ==, 1);
    qtest_quit(dst);
}

/* The offset of the device's section (its first bank) in a stream. */
static size_t stream_banks(const char *buf, size_t len)
{
    static const char tail[] = {
        0, 0, 0, 1,                 /* version 1 */
        0, 0, 0, NUM_CPUS,          /* num_cpus */
    };
    const char *name = "\023vcpu-stall-detector";   /* length, name */
    size_t n = strlen(name);

    for (size_t i = 0; i + n + 4 + sizeof(tail) <= len; i++) {
        if (!memcmp(buf + i, name, n) &&
            !memcmp(buf + i + n + 4, tail, sizeof(tail))) {
            return i + n + 4 + sizeof(tail);
        }
    }
    g_assert_not_reached();
}

/* The offset of the clock subsection's field in a stream. */
static size_t stream_clock(const char *buf, size_t len)
{
    const char *name = "\031vcpu-stall-detector/clock";
    size_t n = strlen(name);

    for (size_t i = 0; i + n + 5 <= len; i++) {
        if (!memcmp(buf + i, name, n)) {
            return i + n + 4;       /* after its version */
        }
    }
    g_assert_not_reached();
}

/*
 * Item: post_load checks every field.  A stream with one field of a bank
 * (bank 0 at 0, bank 1, expired, at 46: enabled 0, expired 1, load 2,
 * freq 6, count 10, elapsed 14, grace 22) or the clock made invalid fails
 * to load: an error, not an overflow.
 */
static void test_migration_corrupt(void)
{
    static const struct {
        const char *what;
        int off;                    /* in bank 0; -1: the clock */
        int len;
        uint64_t val;
    } bad[] = {
        { "CLOCK_FREQ_HZ 0", 6, 4, 0 },
        { "count above the loaded value", 10, 4, 0xffffffff },
        { "negative time since the reload", 14, 8, UINT64_MAX },
        { "time since the reload beyond any", 14, 8, INT64_MAX },
        { "grace period without an expiry", 22, 8, 5 },
        { "grace period of 300 years", 46 + 22, 8, INT64_MAX / 100 },
        { "grace period below -1", 46 + 22, 8, -2ULL },
        { "expired but disabled", 46 + 0, 1, 0 },
        { "expired but counting", 46 + 10, 4, 1 },
        { "no such clock", -1, 1, 7 },
    };
    g_autofree char *file = mig_file("good");
    g_autofree char *badfile = mig_file("bad");
    g_autofree char *buf = NULL;
    QTestState *src = vsd_start(NULL), *dst;
    size_t len, banks, clock;

    arm_bank(src, 0, 10, 100);
    expire(src, 1);
    qtest_clock_step(src, NS / 5);
    migrate_to_file(src, file);
    qtest_quit(src);
    g_assert_true(g_file_get_contents(file, &buf, &len, NULL));
    banks = stream_banks(buf, len);
    clock = stream_clock(buf, len);
    g_assert_cmpint(buf[banks], ==, 1);             /* bank 0 enabled */
    g_assert_cmpint(buf[banks + 47], ==, 1);        /* bank 1 expired */
    g_assert_cmpint(buf[clock], ==, 2);             /* virtual */

    for (int i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *copy = g_memdup2(buf, len);
        size_t at = bad[i].off < 0 ? clock : banks + bad[i].off;

        g_test_message("corrupt: %s", bad[i].what);
        for (int j = 0; j < bad[i].len; j++) {
            copy[at + j] = bad[i].val >> (8 * (bad[i].len - 1 - j));
        }
        g_assert_true(g_file_set_contents(badfile, copy, len, NULL));
        dst = migrate_from_file(badfile, NULL, "failed");
        qtest_quit(dst);
    }
    /* The untouched stream loads. */
    dst = migrate_from_file(file, NULL, "completed");
    g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_CURRENT_CNT), ==, 97);
    qtest_quit(dst);
    unlink(file);
    unlink(badfile);
}

/* A stopped VM on TCG with a thread per vCPU, counting @clock. */
static QTestState *tcg_start(const char *clock, const char *extra)
{
    QTestState *qts;
    QDict *r;

    qts = qtest_initf("-accel tcg,thread=multi -S "
                      "-machine virt,gic-version=3,vcpu-stall-detector=on "
                      "-cpu cortex-a72 -smp %d -nic none "
                      "-global vcpu-stall-detector.clock=%s %s",
                      NUM_CPUS, clock, extra ? extra : "");
    r = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                  "{'path': '" VSD_PATH "', 'property': 'clock'}}");
    g_assert_cmpstr(qdict_get_str(r, "return"), ==, clock);
    qobject_unref(r);
    return qts;
}

/*
 * Item: the clock travels with the state.  A source counting guest time
 * cannot migrate to a destination that counts virtual time (both TCG
 * with a thread per vCPU, so only the clock differs): the load fails,
 * naming the clock to use; with the same clock it succeeds.
 */
static void test_migration_clock(void)
{
    g_autofree char *file = mig_file("clock");
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    const char *clocks[] = { "virtual", "guest-time" };
    QTestState *src, *dst;

    src = tcg_start("guest-time", NULL);
    arm_bank(src, 0, 10, 100);
    migrate_to_file(src, file);
    qtest_quit(src);

    for (int i = 0; i < ARRAY_SIZE(clocks); i++) {
        dst = tcg_start(clocks[i], "-incoming defer");
        qtest_qmp_assert_success(dst, "{'execute': 'migrate-incoming', "
                                 "'arguments': {'uri': %s, "
                                 "'exit-on-error': false}}", uri);
        wait_migration_end(dst, i ? "completed" : "failed");
        if (i) {
            g_assert_cmpuint(rd(dst, 0, VCPU_STALL_REG_LOAD_CNT), ==, 100);
        }
        qtest_quit(dst);
    }
    unlink(file);
}

/*
 * Item: vCPUs that appear later count the clock the device reports.  With
 * -smp 1,maxcpus=2 bank 1 has no vCPU: in guest time it must not fall
 * while the VM runs, however long; bank 0's vCPU spins, so bank 0 falls.
 */
static void test_late_vcpu(void)
{
    QTestState *qts;
    QDict *r;
    uint32_t c0, c1;

    /* vCPU 0 runs "b ." at the start of RAM. */
    qts = qtest_initf("-accel tcg,thread=multi -S "
                      "-machine virt,gic-version=3,vcpu-stall-detector=on "
                      "-cpu cortex-a72 -smp 1,maxcpus=2 -nic none "
                      "-device loader,addr=0x40000000,cpu-num=0");
    qtest_writel(qts, 0x40000000, 0x14000000);
    r = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                  "{'path': '" VSD_PATH "', 'property': 'clock'}}");
    g_assert_cmpstr(qdict_get_str(r, "return"), ==, "guest-time");
    qobject_unref(r);
    arm_bank(qts, 0, 1000, 100000);
    arm_bank(qts, 1, 1000, 10);                     /* 10 ms */
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    g_usleep(200 * 1000);
    qtest_qmp_assert_success(qts, "{'execute': 'stop'}");
    c0 = rd(qts, 0, VCPU_STALL_REG_CURRENT_CNT);
    c1 = rd(qts, 1, VCPU_STALL_REG_CURRENT_CNT);
    g_test_message("after 200 ms: bank 0 %u, bank 1 %u", c0, c1);
    g_assert_cmpuint(c0, <, 100000);
    g_assert_cmpuint(c1, ==, 10);
    g_assert_cmpuint(rd(qts, 1, VCPU_STALL_REG_STATUS), ==,
                     VCPU_STALL_STATUS_ENABLED);
    qtest_quit(qts);
}

/*
 * Item: the device's properties are readable without a realized device
 * (device-list-properties and qom-list-properties make one and drop it),
 * and clock is a QAPI enum that reads back the clock in use.
 */
static void test_properties(void)
{
    QTestState *qts = vsd_start(NULL);
    const char *cmds[] = { "device-list-properties", "qom-list-properties" };
    bool clock = false, banks = false;
    QDict *r;

    for (int i = 0; i < ARRAY_SIZE(cmds); i++) {
        QListEntry *e;

        r = qtest_qmp(qts, "{'execute': %s, 'arguments': "
                      "{'typename': 'vcpu-stall-detector'}}", cmds[i]);
        QLIST_FOREACH_ENTRY(qdict_get_qlist(r, "return"), e) {
            QDict *p = qobject_to(QDict, qlist_entry_obj(e));
            const char *name = qdict_get_str(p, "name");

            if (!strcmp(name, "clock")) {
                g_assert_cmpstr(qdict_get_str(p, "type"), ==,
                                "VcpuStallClock");
                g_assert_cmpstr(qdict_get_str(p, "default-value"), ==,
                                "auto");
                clock = true;
            }
            banks |= !strcmp(name, "banks");
        }
        qobject_unref(r);
    }
    g_assert_true(clock && banks);
    r = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                  "{'path': '" VSD_PATH "', 'property': 'clock'}}");
    g_assert_cmpstr(qdict_get_str(r, "return"), ==, "virtual");
    qobject_unref(r);
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
    qtest_add_func("/vcpu-stall-detector/pending", test_pending);
    qtest_add_func("/vcpu-stall-detector/isolation", test_isolation);
    qtest_add_func("/vcpu-stall-detector/stray", test_stray);
    qtest_add_func("/vcpu-stall-detector/qom-status", test_qom_status);
    qtest_add_func("/vcpu-stall-detector/migration", test_migration);
    qtest_add_func("/vcpu-stall-detector/fuzz", test_fuzz);
    qtest_add_func("/vcpu-stall-detector/grace-invariant",
                   test_grace_invariant);
    qtest_add_func("/vcpu-stall-detector/exact-count", test_exact_count);
    qtest_add_func("/vcpu-stall-detector/one-action", test_one_action);
    qtest_add_func("/vcpu-stall-detector/pause-cont", test_pause_cont);
    qtest_add_func("/vcpu-stall-detector/migration-grace",
                   test_migration_grace);
    qtest_add_func("/vcpu-stall-detector/migration-corrupt",
                   test_migration_corrupt);
    if (qtest_has_accel("tcg")) {
        qtest_add_func("/vcpu-stall-detector/migration-clock",
                       test_migration_clock);
        qtest_add_func("/vcpu-stall-detector/late-vcpu", test_late_vcpu);
    }
    qtest_add_func("/vcpu-stall-detector/properties", test_properties);
    ret = g_test_run();
    unlink(log_path);
    g_free(log_path);
    return ret;
}
