// SPDX-License-Identifier: GPL-2.0-only
/*
 * stallctl: show and change the guest's vCPU stall detector, and follow
 * its events, through the "vcpu-stall" generic netlink family.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "nl.h"
#include "output.h"
#include "parse.h"
#include "stallctl.h"

#define EXIT_USAGE	2

#define STR_(x)		#x
#define STR(x)		STR_(x)

/* As err.h and getopt_long() call us: argv[0]'s base name. */
static const char *prog;

/* VCPU_STALL_PAUSE_MAX_MS in words, for --help and errors. */
static const char *max_duration(void)
{
	static char buf[64];

	format_left(VCPU_STALL_PAUSE_MAX_MS, buf, sizeof(buf));
	return buf;
}

static void __attribute__((noreturn)) usage(void)
{
	FILE *out = stdout;

	fprintf(out,
		"Usage:\n"
		" %1$s [status] [options]\n"
		" %1$s config [--timeout <sec>] [--clock <hz>] [--action <action>] [options]\n"
		" %1$s pause [--for <duration>]\n"
		" %1$s resume\n"
		" %1$s monitor [options]\n"
		"\n"
		"Show and change the guest's vCPU stall detector, and follow its events.\n"
		"\n"
		"Commands:\n"
		" status               the state of every CPU (the default)\n"
		" config               show the configuration; with options, change it first\n"
		" pause                stand the detector down: no CPU is watched\n"
		" resume               watch every CPU again\n"
		" monitor              print each event as it happens, until killed\n"
		"\n"
		"Status options:\n"
		" -c, --cpu <n>        only CPU <n>\n"
		"\n"
		"Config options:\n"
		" -t, --timeout <sec>  time a CPU may go without a pet, "
		STR(VCPU_STALL_TIMEOUT_MIN) " to " STR(VCPU_STALL_TIMEOUT_MAX) " seconds\n"
		" -c, --clock <hz>     rate the device counts down at, "
		STR(VCPU_STALL_CLOCK_HZ_MIN) " to " STR(VCPU_STALL_CLOCK_HZ_MAX) " Hz\n"
		" -a, --action <name>  what a stall does: %2$s\n"
		"\n"
		"Pause options:\n"
		" -f, --for <duration> resume by itself after <duration>: 90s, 5m, 1h, 1500ms\n"
		"                      (no unit: seconds), at most %3$s\n"
		"\n"
		"Output options:\n"
		" -J, --json           use JSON output format (monitor: one object per line)\n"
		" -r, --raw            use the raw output format\n"
		" -n, --noheadings     don't print headings\n"
		" -o, --output <list>  the columns to show (\"+<list>\" adds to the default)\n"
		" -H, --list-columns   list the command's columns\n"
		"\n"
		" -h, --help           display this help\n"
		" -V, --version        display version\n"
		"\n"
		"Status columns:\n",
		prog, action_list(", ", " or "), max_duration());
	fflush(out);
	columns_print(&status_columns, out);
	fputs("\nConfig columns:\n", out);
	fflush(out);
	columns_print(&config_columns, out);
	fputs("\nMonitor columns:\n", out);
	fflush(out);
	columns_print(&event_columns, out);
	fprintf(out, "\nFor more details see %s(8).\n", prog);
	exit(EXIT_SUCCESS);
}

static void __attribute__((noreturn)) try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	try_help();
}

/* A bad option value: say what is wrong with it, no help hint. */
static void __attribute__((noreturn, format(printf, 1, 2)))
bad_value(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

static void version(void)
{
	printf("%s from vcpu-stall %s (netlink family %s, version %d)\n", prog,
	       STALLCTL_VERSION, VCPU_STALL_FAMILY_NAME,
	       VCPU_STALL_FAMILY_VERSION);
	exit(EXIT_SUCCESS);
}

/* Like util-linux's close_stdout(): a lost write is a failure. */
static void close_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout) && fclose(stdout) == 0)
		return;
	if (errno != EPIPE)
		warn("write error");
	_exit(EXIT_FAILURE);
}

static uint32_t option_u32(const char *what, const char *unit, const char *s,
			   uint32_t min, uint32_t max)
{
	uint32_t v;

	switch (parse_u32(s, min, max, &v)) {
	case 0:
		return v;
	case -ERANGE:
		bad_value("invalid %s '%s': must be %u to %u%s%s", what, s, min,
			  max, *unit ? " " : "", unit);
	default:
		bad_value("invalid %s '%s': not a whole number", what, s);
	}
}

/* Explain that the kernel has no device to talk about, through udev. */
static void explain_no_device(const char *what, const char *why)
{
	struct device_info d;

	if (device_find(&d) || (d.found && d.bound)) {
		warnx("%s: %s", what, *why ? why : strerror(ENODEV));
	} else if (!d.found) {
		warnx("no vCPU stall detector device: no platform device is "
		      "compatible with \"%s\"", VSD_OF_COMPATIBLE);
	} else if (d.driver[0]) {
		warnx("%s is bound to the %s driver, not to %s", d.syspath,
		      d.driver, VSD_DRIVER);
	} else {
		warnx("%s is not bound to the %s driver", d.syspath, VSD_DRIVER);
	}
}

/* Report a failed request; returns the exit status. */
static int __attribute__((format(printf, 3, 4)))
vsd_fail(struct vsd_nl *nl, int err, const char *fmt, ...)
{
	const char *why = vsd_why(nl);
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (err == -ENOPKG && *why)	/* unloaded and loaded again */
		warnx("%s: %s", what, why);
	else if (err == -ENOPKG)	/* unloaded since we looked */
		warnx("the %s module is not loaded", VSD_DRIVER);
	else if (err == -ENODEV)
		explain_no_device(what, why);
	else if (err == -EPERM && !*why)
		warnx("%s: %s (it takes CAP_NET_ADMIN)", what, strerror(EPERM));
	else
		warnx("%s: %s", what, *why ? why : strerror(-err));
	return EXIT_FAILURE;
}

/* Connect; on failure report it and return NULL. */
static struct vsd_nl *open_family(void)
{
	struct device_info d;
	struct vsd_nl *nl = NULL;
	int err;

	err = vsd_open(&nl);
	if (!err)
		return nl;
	if (err == -ENOPKG) {
		warnx("the %s module is not loaded", VSD_DRIVER);
		if (!device_find(&d) && !d.found)
			warnx("and there is no vCPU stall detector device: no "
			      "platform device is compatible with \"%s\"",
			      VSD_OF_COMPATIBLE);
	} else {
		warnx("cannot open a generic netlink socket: %s",
		      nl && *vsd_why(nl) ? vsd_why(nl) : strerror(-err));
	}
	vsd_close(nl);
	return NULL;
}

/* Options every command takes. */
#define OUTPUT_SHORTOPTS "Jrno:Hh"
#define OUTPUT_LONGOPTS \
	{ "json", no_argument, NULL, 'J' }, \
	{ "raw", no_argument, NULL, 'r' }, \
	{ "noheadings", no_argument, NULL, 'n' }, \
	{ "output", required_argument, NULL, 'o' }, \
	{ "list-columns", no_argument, NULL, 'H' }, \
	{ "help", no_argument, NULL, 'h' }

/* Handle an output option; false if @c is none. */
static bool output_option(int c, struct output_opts *o,
			  const struct columns *spec)
{
	switch (c) {
	case 'J':
		o->json = true;
		return true;
	case 'r':
		o->raw = true;
		return true;
	case 'n':
		o->noheadings = true;
		return true;
	case 'o':
		o->list = optarg;
		return true;
	case 'H':
		columns_print(spec, stdout);
		exit(EXIT_SUCCESS);
	case 'h':
		usage();
	}
	return false;
}

static void no_arguments(int argc, char **argv)
{
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/* Set up the output, the columns from --output; exits on a bad list. */
static int setup_output(struct output *o, const struct columns *spec,
			const struct output_opts *opts)
{
	int ids[MAX_COLUMNS];
	const char *bad;
	size_t n = 0, badlen;
	int err;

	if (opts->json && opts->raw)
		usage_error("--json and --raw are mutually exclusive");
	if (opts->list) {
		err = columns_parse(spec, opts->list, ids, MAX_COLUMNS, &n,
				    &bad, &badlen);
		if (err == -EINVAL)
			bad_value("unknown column: %.*s", (int)badlen, bad);
		if (err)
			bad_value("too many columns: %s", opts->list);
	}
	err = output_init(o, spec, ids, n, opts, stdout);
	if (err)
		warnx("cannot set up the output: %s", strerror(-err));
	return err;
}

/*
 * The exit status after printing returned @err: a write error is
 * close_stdout()'s to report, anything else (out of memory) ours.
 */
static int printed(int err)
{
	if (err && err != -EIO)
		warnx("cannot print the output: %s", strerror(-err));
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		OUTPUT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct output_opts opts = { 0 };
	struct cpu_status one, *cpus = NULL;
	struct pause pause;
	struct vsd_nl *nl;
	struct output o;
	bool have_cpu = false;
	uint32_t cpu = 0;
	size_t n = 0, i;
	int c, err, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "c:" OUTPUT_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (output_option(c, &opts, &status_columns))
			continue;
		switch (c) {
		case 'c':
			cpu = option_u32("CPU number", "", optarg, 0, UINT32_MAX);
			have_cpu = true;
			break;
		default:
			try_help();	/* getopt_long() said what is wrong */
		}
	}
	no_arguments(argc, argv);
	if (setup_output(&o, &status_columns, &opts))
		return EXIT_FAILURE;

	nl = open_family();
	if (!nl)
		goto out;
	if (have_cpu) {
		err = vsd_cpu_get(nl, cpu, &one);
		if (err) {
			ret = vsd_fail(nl, err, "cannot get the status of CPU %u",
				      cpu);
			goto out;
		}
		cpus = &one;
		n = 1;
	} else {
		err = vsd_cpu_dump(nl, &cpus, &n);
		if (err) {
			ret = vsd_fail(nl, err, "cannot get the CPUs' status");
			goto out;
		}
	}
	err = vsd_pause_get(nl, &pause);
	if (err) {
		ret = vsd_fail(nl, err, "cannot get the pause state");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (output_add_status(&o, &cpus[i])) {
			warnx("cannot add a line: %s", strerror(ENOMEM));
			goto out;
		}
	}
	ret = printed(output_print_status(&o, &pause, opts.raw));
out:
	if (cpus != &one)
		free(cpus);
	output_free(&o);
	vsd_close(nl);
	return ret;
}

static bool shows(const struct output *o, int id)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->ids[i] == id)
			return true;
	return false;
}

static int cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "clock", required_argument, NULL, 'c' },
		{ "action", required_argument, NULL, 'a' },
		OUTPUT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct output_opts opts = { 0 };
	struct config set = { 0 }, cfg;
	struct device_info dev = { 0 };
	struct vsd_nl *nl;
	struct output o;
	int c, err, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "t:c:a:" OUTPUT_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (output_option(c, &opts, &config_columns))
			continue;
		switch (c) {
		case 't':
			set.timeout_sec = option_u32("timeout", "seconds",
						     optarg,
						     VCPU_STALL_TIMEOUT_MIN,
						     VCPU_STALL_TIMEOUT_MAX);
			set.have |= BIT(VCPU_STALL_A_CONFIG_TIMEOUT_SEC);
			break;
		case 'c':
			set.clock_hz = option_u32("clock", "Hz", optarg,
						  VCPU_STALL_CLOCK_HZ_MIN,
						  VCPU_STALL_CLOCK_HZ_MAX);
			set.have |= BIT(VCPU_STALL_A_CONFIG_CLOCK_HZ);
			break;
		case 'a':
			if (parse_action(optarg, &set.action))
				bad_value("unknown action '%s': expected %s",
					  optarg, action_list(", ", " or "));
			set.have |= BIT(VCPU_STALL_A_CONFIG_ACTION);
			break;
		default:
			try_help();	/* getopt_long() said what is wrong */
		}
	}
	no_arguments(argc, argv);
	if (setup_output(&o, &config_columns, &opts))
		return EXIT_FAILURE;

	nl = open_family();
	if (!nl)
		goto out;
	if (set.have) {
		err = vsd_config_set(nl, &set);
		if (err) {
			ret = vsd_fail(nl, err, "cannot change the configuration");
			goto out;
		}
	}
	err = vsd_config_get(nl, &cfg);
	if (err) {
		ret = vsd_fail(nl, err, "cannot get the configuration");
		goto out;
	}
	if (shows(&o, CCOL_DEVICE))
		device_find(&dev);
	if (output_add_config(&o, &cfg, dev.found ? dev.syspath : NULL)) {
		warnx("cannot add a line: %s", strerror(ENOMEM));
		goto out;
	}
	ret = printed(output_print(&o));
out:
	output_free(&o);
	vsd_close(nl);
	return ret;
}

static int cmd_pause(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct vsd_nl *nl;
	uint32_t ms = 0;
	int c, err, ret = EXIT_SUCCESS;

	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			err = parse_duration_ms(optarg, VCPU_STALL_PAUSE_MAX_MS, &ms);
			if (err == -ERANGE)
				bad_value("invalid duration '%s': must be more than 0 and at most %s",
					  optarg, max_duration());
			if (err)
				bad_value("invalid duration '%s': a whole number with a unit (ms, s, m, h), e.g. 90s or 5m",
					  optarg);
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	no_arguments(argc, argv);
	nl = open_family();
	if (!nl)
		return EXIT_FAILURE;
	err = vsd_pause(nl, ms);
	if (err)
		ret = vsd_fail(nl, err, "cannot pause the detector");
	vsd_close(nl);
	return ret;
}

static int cmd_resume(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct vsd_nl *nl;
	int c, err, ret = EXIT_SUCCESS;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			usage();
		try_help();
	}
	no_arguments(argc, argv);
	nl = open_family();
	if (!nl)
		return EXIT_FAILURE;
	err = vsd_resume(nl);
	if (err)
		ret = vsd_fail(nl, err, "cannot resume the detector");
	vsd_close(nl);
	return ret;
}

static int monitor_event(const struct event *e, void *arg)
{
	struct output *o = arg;
	int err = output_event(o, e);

	if (!err && fflush(stdout))
		err = -EIO;
	return err;
}

static void monitor_lost(void *arg)
{
	(void)arg;
	warnx("events were lost: the receive buffer overflowed");
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		OUTPUT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static const struct monitor_ops ops = {
		.event = monitor_event,
		.lost = monitor_lost,
	};
	struct output_opts opts = { 0 };
	struct vsd_nl *nl;
	struct output o;
	int c, err, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, OUTPUT_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (!output_option(c, &opts, &event_columns))
			try_help();	/* getopt_long() said what is wrong */
	}
	no_arguments(argc, argv);
	if (setup_output(&o, &event_columns, &opts))
		return EXIT_FAILURE;

	nl = open_family();
	if (!nl)
		goto out;
	err = vsd_monitor(nl, &ops, &o);
	if (err == -ENOPKG)
		warnx("the %s module was unloaded", VSD_DRIVER);
	else if (err == -EIO && !*vsd_why(nl))
		warnx("write error");
	else
		vsd_fail(nl, err, "cannot receive events");
out:
	output_free(&o);
	vsd_close(nl);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },
	{ "config", cmd_config },
	{ "pause", cmd_pause },
	{ "resume", cmd_resume },
	{ "monitor", cmd_monitor },
};

int main(int argc, char **argv)
{
	size_t i;

	atexit(close_stdout);
	prog = program_invocation_short_name;
	if (argc < 1)
		return cmd_status(argc, argv);
	/* getopt_long() names argv[0] in its messages: make it ours. */
	argv[0] = (char *)prog;

	if (argc < 2)
		return cmd_status(argc, argv);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage();
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		version();
	/* Options without a command are status's. */
	if (argv[1][0] == '-')
		return cmd_status(argc, argv);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			argv[1] = argv[0];
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	usage_error("unknown command '%s'", argv[1]);
}
