// SPDX-License-Identifier: GPL-2.0-only
/*
 * stallctl: unit tests of the pure helpers (parse.c) and the output
 * (output.c): tables, and JSON that json-c writes alone.  Run by "make check" under ASan and UBSan; prints TAP and a
 * closing "N passed, N failed" line; exits 1 if any test failed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <libsmartcols.h>

#include "output.h"
#include "parse.h"
#include "stallctl.h"

static int passed, failed;

static void report(int ok, const char *what, int line)
{
	int n = passed + failed + 1;

	if (ok) {
		passed++;
		printf("ok %d - %s\n", n, what);
	} else {
		failed++;
		printf("not ok %d - %s (line %d)\n", n, what, line);
	}
}

#define CHECK(cond) report(!!(cond), #cond, __LINE__)

static void check_str(const char *got, const char *want, const char *what,
		      int line)
{
	int ok = got && !strcmp(got, want);

	report(ok, what, line);
	if (!ok)
		printf("# got:\n%s\n# wanted:\n%s\n", got ? got : "(null)", want);
}

#define CHECK_STR(got, want) check_str(got, want, #got " == " #want, __LINE__)

static int starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

static void test_parse_u32(void)
{
	uint32_t v = 0;

	CHECK(parse_u32("1", 1, 3600, &v) == 0 && v == 1);
	CHECK(parse_u32("3600", 1, 3600, &v) == 0 && v == 3600);
	CHECK(parse_u32("0", 1, 3600, &v) == -ERANGE);
	CHECK(parse_u32("3601", 1, 3600, &v) == -ERANGE);
	CHECK(parse_u32("007", 1, 3600, &v) == 0 && v == 7);
	CHECK(parse_u32("4294967295", 0, UINT32_MAX, &v) == 0 && v == UINT32_MAX);
	CHECK(parse_u32("4294967296", 0, UINT32_MAX, &v) == -ERANGE);
	CHECK(parse_u32("99999999999999999999999", 0, UINT32_MAX, &v) == -ERANGE);
	CHECK(parse_u32("", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32(NULL, 0, 10, &v) == -EINVAL);
	CHECK(parse_u32("abc", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32("-1", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32("+1", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32(" 1", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32("1 ", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32("0x1", 0, 10, &v) == -EINVAL);
	CHECK(parse_u32("1.5", 0, 10, &v) == -EINVAL);
}

static void test_names(void)
{
	uint32_t a = 99;

	CHECK_STR(action_name(VCPU_STALL_ACTION_PANIC), "panic");
	CHECK_STR(action_name(VCPU_STALL_ACTION_BACKTRACE), "backtrace");
	CHECK_STR(action_name(VCPU_STALL_ACTION_NOTIFY), "notify");
	CHECK(action_name(VCPU_STALL_ACTION_NOTIFY + 1) == NULL);
	CHECK(action_name(UINT32_MAX) == NULL);
	CHECK(parse_action("backtrace", &a) == 0 &&
	      a == VCPU_STALL_ACTION_BACKTRACE);
	CHECK(parse_action("notify", &a) == 0 && a == VCPU_STALL_ACTION_NOTIFY);
	CHECK(parse_action("PANIC", &a) == -EINVAL);
	CHECK(parse_action("", &a) == -EINVAL);
	CHECK(parse_action("panicky", &a) == -EINVAL);
	CHECK_STR(action_list(", ", " or "), "panic, backtrace or notify");
	CHECK_STR(action_list("|", "|"), "panic|backtrace|notify");
	CHECK(action_name_max() == strlen("backtrace"));

	CHECK_STR(event_name(VCPU_STALL_CMD_STALL_NTF), "stall");
	CHECK_STR(event_name(VCPU_STALL_CMD_CONFIG_NTF), "config");
	CHECK_STR(event_name(VCPU_STALL_CMD_CPU_ONLINE_NTF), "cpu-online");
	CHECK_STR(event_name(VCPU_STALL_CMD_CPU_OFFLINE_NTF), "cpu-offline");
	CHECK(event_name(VCPU_STALL_CMD_CPU_GET) == NULL);
	CHECK(event_name(VCPU_STALL_CMD_CONFIG_SET) == NULL);
	CHECK(event_name(0) == NULL);
	CHECK(event_name(VCPU_STALL_CMD_MAX + 1) == NULL);
	CHECK(event_name(100000) == NULL);
	CHECK(event_name_max() == strlen("cpu-offline"));
}

static void test_numbers(void)
{
	char buf[32];
	uint64_t v = 0;
	uint32_t u32 = 123456;
	uint64_t u64 = 0x1122334455667788ULL;
	unsigned char bytes[16] = { 0 };

	CHECK(digits(0) == 1);
	CHECK(digits(9) == 1);
	CHECK(digits(10) == 2);
	CHECK(digits(VCPU_STALL_TIMEOUT_MAX) == 4);
	CHECK(digits(VCPU_STALL_CLOCK_HZ_MAX) == 7);
	CHECK(digits(UINT64_MAX) == 20);

	format_ms(0, buf, sizeof(buf));
	CHECK_STR(buf, "0");
	format_ms(999999, buf, sizeof(buf));
	CHECK_STR(buf, "0");
	format_ms(1000000, buf, sizeof(buf));
	CHECK_STR(buf, "1");
	format_ms(1234567890, buf, sizeof(buf));
	CHECK_STR(buf, "1234");
	format_ms(UINT64_MAX, buf, sizeof(buf));
	CHECK_STR(buf, "18446744073709");

	CHECK(attr_uint(&u32, sizeof(u32), &v) == 0 && v == 123456);
	CHECK(attr_uint(&u64, sizeof(u64), &v) == 0 && v == u64);
	CHECK(attr_uint(bytes, 0, &v) == -EINVAL);
	CHECK(attr_uint(bytes, 2, &v) == -EINVAL);
	CHECK(attr_uint(bytes, 16, &v) == -EINVAL);

	CHECK(is_of_compatible_key("OF_COMPATIBLE_0"));
	CHECK(is_of_compatible_key("OF_COMPATIBLE_12"));
	CHECK(!is_of_compatible_key("OF_COMPATIBLE_N"));
	CHECK(!is_of_compatible_key("OF_COMPATIBLE_"));
	CHECK(!is_of_compatible_key("OF_COMPATIBLE_1x"));
	CHECK(!is_of_compatible_key("OF_NAME"));
	CHECK(!is_of_compatible_key(""));
}

/*
 * Netlink messages are built here, then parsed from a heap copy of their
 * exact size (outcome()), so ASan sees any read past them.
 */
struct msgbuf {
	unsigned char data[512];
	size_t len;
};

static void put(struct msgbuf *b, const void *p, size_t len)
{
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

static void put_attr(struct msgbuf *b, uint16_t type, const void *p,
		     size_t len)
{
	struct nlattr nla = { (uint16_t)(NLA_HDRLEN + len), type };
	static const unsigned char zero[4];

	put(b, &nla, sizeof(nla));
	put(b, p, len);
	put(b, zero, NLA_ALIGN(len) - len);
}

static void finish(struct msgbuf *b, uint16_t type, uint16_t flags)
{
	struct nlmsghdr h = { (uint32_t)b->len, type, flags, 7, 0 };

	memcpy(b->data, &h, sizeof(h));
}

static int outcome(const struct msgbuf *b, size_t len, int *error, char *msg,
		   size_t msglen)
{
	unsigned char *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, b->data, len);
	ret = nlmsg_outcome((const struct nlmsghdr *)copy, len, error, msg,
			    msglen);
	free(copy);
	return ret;
}

static void error_msg(struct msgbuf *b, int error, size_t request_payload,
		      uint16_t flags)
{
	struct nlmsgerr e = { error, { (uint32_t)(NLMSG_HDRLEN + request_payload),
				       0x20, 5, 7, 0 } };
	unsigned char payload[64] = { 1, 2, 3 };

	b->len = NLMSG_HDRLEN;
	put(b, &e, sizeof(e));
	if (!(flags & NLM_F_CAPPED))
		put(b, payload, request_payload);
	b->len = NLMSG_HDRLEN + NLMSG_ALIGN(b->len - NLMSG_HDRLEN);
}

static void test_nlmsg_outcome(void)
{
	static const char text[] = "vcpu_stall_detector: no such CPU";
	uint32_t offs = 20;
	struct msgbuf b;
	char msg[128];
	int error = -1, ret;
	size_t full;

	/* A plain error: the whole request echoed, no TLVs. */
	error_msg(&b, -EPERM, 8, 0);
	finish(&b, NLMSG_ERROR, 0);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == 0 &&
	      error == EPERM && !msg[0]);

	/* Capped, with the message and another attribute before it. */
	error_msg(&b, -ERANGE, 8, NLM_F_CAPPED);
	put_attr(&b, NLMSGERR_ATTR_OFFS, &offs, sizeof(offs));
	put_attr(&b, NLMSGERR_ATTR_MSG, text, sizeof(text));
	finish(&b, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	ret = outcome(&b, b.len, &error, msg, sizeof(msg));
	CHECK(ret == 0 && error == ERANGE);
	CHECK_STR(msg, text);

	/* Not capped: the TLVs follow the echoed request (odd length). */
	error_msg(&b, -ENOENT, 13, 0);
	put_attr(&b, NLMSGERR_ATTR_MSG, text, sizeof(text));
	finish(&b, NLMSG_ERROR, NLM_F_ACK_TLVS);
	ret = outcome(&b, b.len, &error, msg, sizeof(msg));
	CHECK(ret == 0 && error == ENOENT);
	CHECK_STR(msg, text);

	/* The message cut short: no message, no read past the end. */
	full = b.len;
	CHECK(outcome(&b, full - 8, &error, msg, sizeof(msg)) == 0 &&
	      error == ENOENT && !msg[0]);
	/* Shorter than nlmsg_len says, down to the bare header. */
	CHECK(outcome(&b, NLMSG_HDRLEN + 4, &error, msg, sizeof(msg)) == -EINVAL);
	CHECK(outcome(&b, 8, &error, msg, sizeof(msg)) == -EINVAL);
	/* A small buffer for the message: truncated, terminated. */
	CHECK(outcome(&b, full, &error, msg, 6) == 0 && !strcmp(msg, "vcpu_"));

	/* A message attribute without its NUL is ignored. */
	error_msg(&b, -EINVAL, 0, NLM_F_CAPPED);
	put_attr(&b, NLMSGERR_ATTR_MSG, "abcd", 4);
	finish(&b, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == 0 &&
	      error == EINVAL && !msg[0]);

	/* An attribute claiming less than its header stops the walk. */
	error_msg(&b, -EINVAL, 0, NLM_F_CAPPED);
	put_attr(&b, NLMSGERR_ATTR_MSG, "x", 2);
	b.data[b.len - 8] = 2;		/* nla_len = 2 */
	finish(&b, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == 0 && !msg[0]);

	/* A dump's end, with an error and the reason. */
	b.len = NLMSG_HDRLEN;
	ret = -ENODEV;
	put(&b, &ret, sizeof(ret));
	put_attr(&b, NLMSGERR_ATTR_MSG, text, sizeof(text));
	finish(&b, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == 0 &&
	      error == ENODEV);
	CHECK_STR(msg, text);

	/* A clean end; and an old-style one without a status. */
	b.len = NLMSG_HDRLEN;
	ret = 0;
	put(&b, &ret, sizeof(ret));
	finish(&b, NLMSG_DONE, NLM_F_MULTI);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == 0 && error == 0);
	b.len = NLMSG_HDRLEN;
	finish(&b, NLMSG_DONE, NLM_F_MULTI);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == 0 && error == 0);

	/* Anything else is not an outcome. */
	b.len = NLMSG_HDRLEN + 4;
	finish(&b, 0x20, 0);
	CHECK(outcome(&b, b.len, &error, msg, sizeof(msg)) == -EINVAL);
}

static void test_columns(void)
{
	int ids[MAX_COLUMNS];
	const char *bad = NULL;
	size_t n = 0, badlen = 0;

	CHECK(columns_parse(&status_columns, "CPU,PETS", ids, MAX_COLUMNS, &n,
			    &bad, &badlen) == 0 &&
	      n == 2 && ids[0] == COL_CPU && ids[1] == COL_PETS);
	CHECK(columns_parse(&status_columns, "max-late", ids, MAX_COLUMNS, &n,
			    &bad, &badlen) == 0 &&
	      n == 1 && ids[0] == COL_MAX_LATE);
	CHECK(columns_parse(&status_columns, "+PETS", ids, MAX_COLUMNS, &n,
			    &bad, &badlen) == 0 &&
	      n == status_columns.ndefaults + 1 && ids[0] == COL_CPU &&
	      ids[n - 1] == COL_PETS);
	CHECK(columns_parse(&status_columns, "CPU,FOO,PETS", ids, MAX_COLUMNS,
			    &n, &bad, &badlen) == -EINVAL &&
	      badlen == 3 && !strncmp(bad, "FOO", 3));
	CHECK(columns_parse(&status_columns, "CPU,", ids, MAX_COLUMNS, &n,
			    &bad, &badlen) == -EINVAL && badlen == 0);
	CHECK(columns_parse(&status_columns, "", ids, MAX_COLUMNS, &n, &bad,
			    &badlen) == -EINVAL);
	CHECK(columns_parse(&status_columns, "CPUS", ids, MAX_COLUMNS, &n, &bad,
			    &badlen) == -EINVAL);
	CHECK(columns_parse(&config_columns, "DEVICE,action", ids, MAX_COLUMNS,
			    &n, &bad, &badlen) == 0 &&
	      n == 2 && ids[0] == CCOL_DEVICE && ids[1] == CCOL_ACTION);
	CHECK(columns_parse(&status_columns, "CPU,CPU,CPU", ids, 2, &n, &bad,
			    &badlen) == -E2BIG);
	CHECK(columns_parse(&status_columns, "+CPU", ids, 3, &n, &bad,
			    &badlen) == -E2BIG);
}

/* What output_print() prints, in a string to free (NULL on failure). */
static char *render(struct output *o)
{
	FILE *saved = scols_table_get_stream(o->tb);
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int err;

	if (!f)
		return NULL;
	scols_table_set_stream(o->tb, f);
	err = output_print(o);
	scols_table_set_stream(o->tb, saved);
	if (fclose(f) || err) {
		free(s);
		return NULL;
	}
	return s;
}

static const struct cpu_status cpu0 = {
	.have = BIT(VCPU_STALL_A_CPU_ID) | BIT(VCPU_STALL_A_CPU_ONLINE) |
		BIT(VCPU_STALL_A_CPU_ENABLED) | BIT(VCPU_STALL_A_CPU_PETS) |
		BIT(VCPU_STALL_A_CPU_LAST_PET_NS) |
		BIT(VCPU_STALL_A_CPU_MAX_LATENESS_NS) |
		BIT(VCPU_STALL_A_CPU_COUNT) | BIT(VCPU_STALL_A_CPU_STALLS),
	.id = 0, .online = true, .enabled = true, .pets = 12345,
	.last_pet_ns = 1999999999, .max_lateness_ns = 3500000, .count = 40,
	.stalls = 0,
};

/* Offline: no time since the last pet. */
static const struct cpu_status cpu3 = {
	.have = BIT(VCPU_STALL_A_CPU_ID) | BIT(VCPU_STALL_A_CPU_ONLINE) |
		BIT(VCPU_STALL_A_CPU_ENABLED) | BIT(VCPU_STALL_A_CPU_PETS) |
		BIT(VCPU_STALL_A_CPU_MAX_LATENESS_NS) |
		BIT(VCPU_STALL_A_CPU_COUNT) | BIT(VCPU_STALL_A_CPU_STALLS),
	.id = 3, .online = false, .enabled = false, .pets = 7,
	.max_lateness_ns = 0, .count = 0, .stalls = 18446744073709551615ULL,
};

static char *status_table(const struct output_opts *opts, const char *list)
{
	int ids[MAX_COLUMNS];
	const char *bad;
	size_t n = 0, badlen;
	struct output o;
	char *s = NULL;

	if (list && columns_parse(&status_columns, list, ids, MAX_COLUMNS, &n,
				  &bad, &badlen))
		return NULL;
	if (output_init(&o, &status_columns, ids, n, opts, stdout))
		return NULL;
	if (!output_add_status(&o, &cpu0) && !output_add_status(&o, &cpu3))
		s = render(&o);
	output_free(&o);
	return s;
}

/* The status table as output_print_status() prints it with @p. */
static char *status_paused(const struct output_opts *opts,
			   const struct pause *p)
{
	struct output o;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int err;

	if (!f)
		return NULL;
	err = output_init(&o, &status_columns, NULL, 0, opts, f);
	if (!err) {
		err = output_add_status(&o, &cpu0) ||
		      output_print_status(&o, p, opts->raw);
		output_free(&o);
	}
	fclose(f);
	if (err) {
		free(s);
		return NULL;
	}
	return s;
}

static void test_pause_output(void)
{
	struct output_opts table = { 0 }, raw = { .raw = true },
			   json = { .json = true }, bare = { .noheadings = true },
			   bare_json = { .json = true, .noheadings = true };
	struct pause running = { .have = BIT(VCPU_STALL_A_PAUSE_PAUSED) };
	struct pause open = { .have = BIT(VCPU_STALL_A_PAUSE_PAUSED) |
				      BIT(VCPU_STALL_A_PAUSE_SOURCE),
			      .paused = true,
			      .source = VCPU_STALL_PAUSE_SOURCE_SYSFS };
	struct pause timed = open;
	char *s, buf[64];

	timed.have |= BIT(VCPU_STALL_A_PAUSE_REMAINING_MS);
	timed.source = VCPU_STALL_PAUSE_SOURCE_NETLINK;
	timed.remaining_ms = 90500;

	s = status_paused(&table, &running);
	CHECK(starts(s, "CPU ONLINE"));
	free(s);
	s = status_paused(&table, &timed);
	CHECK(starts(s, "paused by netlink, resumes by itself in 1m 30s\nCPU ONLINE"));
	free(s);
	s = status_paused(&table, &open);
	CHECK(starts(s, "paused by sysfs, no deadline\nCPU ONLINE"));
	free(s);
	/* --raw is for scripts: the table alone. */
	s = status_paused(&raw, &timed);
	CHECK(starts(s, "CPU ONLINE"));
	free(s);

	/* -n: no headings, and the pause line is one. */
	s = status_paused(&bare, &timed);
	CHECK(starts(s, "  0      1       1 12345"));
	free(s);
	s = status_paused(&bare, &open);
	CHECK(starts(s, "  0      1       1 12345"));
	free(s);

	/* JSON: json-c's document, the pause object first. */
	s = status_paused(&json, &timed);
	CHECK_STR(s,
		  "{\n"
		  "  \"pause\": {\n"
		  "    \"paused\": true,\n"
		  "    \"source\": \"netlink\",\n"
		  "    \"remaining_ms\": 90500\n"
		  "  },\n"
		  "  \"cpus\": [\n"
		  "    {\n"
		  "      \"cpu\": 0,\n"
		  "      \"online\": true,\n"
		  "      \"enabled\": true,\n"
		  "      \"pets\": 12345,\n"
		  "      \"last-pet\": 1999,\n"
		  "      \"max-late\": 3,\n"
		  "      \"count\": 40,\n"
		  "      \"stalls\": 0\n"
		  "    }\n"
		  "  ]\n"
		  "}\n");
	free(s);
	s = status_paused(&json, &running);
	CHECK(starts(s, "{\n  \"pause\": {\n    \"paused\": false,\n    \"source\": null,\n    \"remaining_ms\": null\n  },\n  \"cpus\": [\n"));
	free(s);
	/* Paused without a deadline: source, no time left. */
	s = status_paused(&json, &open);
	CHECK(s && strstr(s, "\"source\": \"sysfs\",\n    \"remaining_ms\": null\n"));
	free(s);
	/* -n changes nothing in JSON. */
	s = status_paused(&bare_json, &timed);
	CHECK(starts(s, "{\n  \"pause\": {\n    \"paused\": true,"));
	free(s);

	format_left(86400000, buf, sizeof(buf));
	CHECK_STR(buf, "24h 0m 0s");
	format_left(59999, buf, sizeof(buf));
	CHECK_STR(buf, "59.9s");
	format_left(0, buf, sizeof(buf));
	CHECK_STR(buf, "0.0s");
}

static void test_durations(void)
{
	uint32_t v = 0;

	CHECK(parse_duration_ms("90s", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == 90000);
	CHECK(parse_duration_ms("5m", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == 300000);
	CHECK(parse_duration_ms("1h", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == 3600000);
	CHECK(parse_duration_ms("1500ms", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == 1500);
	CHECK(parse_duration_ms("120", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == 120000);
	CHECK(parse_duration_ms("24h", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == VCPU_STALL_PAUSE_MAX_MS);
	CHECK(parse_duration_ms("1ms", VCPU_STALL_PAUSE_MAX_MS, &v) == 0 && v == 1);
	CHECK(parse_duration_ms("0", VCPU_STALL_PAUSE_MAX_MS, &v) == -ERANGE);
	CHECK(parse_duration_ms("0s", VCPU_STALL_PAUSE_MAX_MS, &v) == -ERANGE);
	CHECK(parse_duration_ms("25h", VCPU_STALL_PAUSE_MAX_MS, &v) == -ERANGE);
	CHECK(parse_duration_ms("86400001ms", VCPU_STALL_PAUSE_MAX_MS, &v) == -ERANGE);
	CHECK(parse_duration_ms("99999999999999999999h", VCPU_STALL_PAUSE_MAX_MS, &v) == -ERANGE);
	CHECK(parse_duration_ms("", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms(NULL, VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("s", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("-5s", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("5 s", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("5sec", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("1.5s", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("5d", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);
	CHECK(parse_duration_ms("5S", VCPU_STALL_PAUSE_MAX_MS, &v) == -EINVAL);

	CHECK_STR(pause_source_name(VCPU_STALL_PAUSE_SOURCE_NETLINK), "netlink");
	CHECK_STR(pause_source_name(VCPU_STALL_PAUSE_SOURCE_SUSPEND), "suspend");
	CHECK_STR(pause_reason_name(VCPU_STALL_PAUSE_REASON_DEADLINE), "deadline");
	CHECK(pause_source_name(VCPU_STALL_PAUSE_SOURCE_SUSPEND + 1) == NULL);
	CHECK(pause_reason_name(100) == NULL);
	CHECK_STR(event_name(VCPU_STALL_CMD_PAUSED_NTF), "paused");
	CHECK_STR(event_name(VCPU_STALL_CMD_RESUMED_NTF), "resumed");
	CHECK(pause_name_max() == strlen("deadline"));
}

static void test_status_output(void)
{
	struct output_opts table = { 0 }, raw = { .raw = true },
			   json = { .json = true },
			   bare = { .noheadings = true };
	char *s;

	s = status_table(&table, NULL);
	CHECK_STR(s,
		  "CPU ONLINE ENABLED  PETS LAST-PET MAX-LATE COUNT               STALLS\n"
		  "  0      1       1 12345     1999        3    40                    0\n"
		  "  3      0       0     7                 0     0 18446744073709551615\n");
	free(s);

	s = status_table(&raw, NULL);
	CHECK_STR(s,
		  "CPU ONLINE ENABLED PETS LAST-PET MAX-LATE COUNT STALLS\n"
		  "0 1 1 12345 1999 3 40 0\n"
		  "3 0 0 7  0 0 18446744073709551615\n");
	free(s);

	s = status_table(&json, NULL);
	CHECK_STR(s,
		  "{\n"
		  "  \"cpus\": [\n"
		  "    {\n"
		  "      \"cpu\": 0,\n"
		  "      \"online\": true,\n"
		  "      \"enabled\": true,\n"
		  "      \"pets\": 12345,\n"
		  "      \"last-pet\": 1999,\n"
		  "      \"max-late\": 3,\n"
		  "      \"count\": 40,\n"
		  "      \"stalls\": 0\n"
		  "    },\n"
		  "    {\n"
		  "      \"cpu\": 3,\n"
		  "      \"online\": false,\n"
		  "      \"enabled\": false,\n"
		  "      \"pets\": 7,\n"
		  "      \"last-pet\": null,\n"
		  "      \"max-late\": 0,\n"
		  "      \"count\": 0,\n"
		  "      \"stalls\": 18446744073709551615\n"
		  "    }\n"
		  "  ]\n"
		  "}\n");
	free(s);

	/* --output picks the JSON members too, in its order. */
	s = status_table(&json, "stalls,CPU");
	CHECK_STR(s,
		  "{\n"
		  "  \"cpus\": [\n"
		  "    {\n"
		  "      \"stalls\": 0,\n"
		  "      \"cpu\": 0\n"
		  "    },\n"
		  "    {\n"
		  "      \"stalls\": 18446744073709551615,\n"
		  "      \"cpu\": 3\n"
		  "    }\n"
		  "  ]\n"
		  "}\n");
	free(s);

	s = status_table(&bare, "cpu,pets");
	CHECK_STR(s, "  0 12345\n  3     7\n");
	free(s);
}

static void test_config_output(void)
{
	struct output_opts table = { 0 }, json = { .json = true };
	struct config c = {
		.have = BIT(VCPU_STALL_A_CONFIG_TIMEOUT_SEC) |
			BIT(VCPU_STALL_A_CONFIG_CLOCK_HZ) |
			BIT(VCPU_STALL_A_CONFIG_ACTION),
		.timeout_sec = 8, .clock_hz = 10,
		.action = VCPU_STALL_ACTION_BACKTRACE,
	};
	struct output o;
	char *s = NULL;

	if (!output_init(&o, &config_columns, NULL, 0, &table, stdout)) {
		if (!output_add_config(&o, &c, "/sys/devices/platform/b000000.vmwdt"))
			s = render(&o);
		output_free(&o);
	}
	CHECK_STR(s,
		  "TIMEOUT CLOCK ACTION    DEVICE\n"
		  "      8    10 backtrace /sys/devices/platform/b000000.vmwdt\n");
	free(s);

	/* An action this tool does not know, no device. */
	c.action = 7;
	s = NULL;
	if (!output_init(&o, &config_columns, NULL, 0, &json, stdout)) {
		if (!output_add_config(&o, &c, NULL))
			s = render(&o);
		output_free(&o);
	}
	CHECK_STR(s,
		  "{\n"
		  "  \"config\": [\n"
		  "    {\n"
		  "      \"timeout\": 8,\n"
		  "      \"clock\": 10,\n"
		  "      \"action\": \"7\",\n"
		  "      \"device\": null\n"
		  "    }\n"
		  "  ]\n"
		  "}\n");
	free(s);

	/* A path and a string that JSON must escape: json-c does it. */
	c.action = VCPU_STALL_ACTION_PANIC;
	s = NULL;
	if (!output_init(&o, &config_columns, NULL, 0, &json, stdout)) {
		if (!output_add_config(&o, &c, "/sys/a \"b\"\\c\td"))
			s = render(&o);
		output_free(&o);
	}
	CHECK(s && strstr(s, "\"device\": \"/sys/a \\\"b\\\"\\\\c\\td\"\n"));
	free(s);
}

static char *stream_events(const struct output_opts *opts)
{
	struct event stall = { .cmd = VCPU_STALL_CMD_STALL_NTF,
			       .has_cpu = true, .cpu = 2 };
	struct event cfg = { .cmd = VCPU_STALL_CMD_CONFIG_NTF,
			     .config = { .have = BIT(VCPU_STALL_A_CONFIG_TIMEOUT_SEC) |
					 BIT(VCPU_STALL_A_CONFIG_CLOCK_HZ) |
					 BIT(VCPU_STALL_A_CONFIG_ACTION),
					 .timeout_sec = 3600, .clock_hz = 1000000,
					 .action = VCPU_STALL_ACTION_NOTIFY } };
	struct event off = { .cmd = VCPU_STALL_CMD_CPU_OFFLINE_NTF,
			     .has_cpu = true, .cpu = 1023 };
	struct event paused = { .cmd = VCPU_STALL_CMD_PAUSED_NTF,
				.pause = { .have = BIT(VCPU_STALL_A_PAUSE_SOURCE) |
					   BIT(VCPU_STALL_A_PAUSE_REASON) |
					   BIT(VCPU_STALL_A_PAUSE_REMAINING_MS),
					   .paused = true,
					   .source = VCPU_STALL_PAUSE_SOURCE_NETLINK,
					   .reason = VCPU_STALL_PAUSE_REASON_REQUEST,
					   .remaining_ms = 86400000 } };
	struct event resumed = { .cmd = VCPU_STALL_CMD_RESUMED_NTF,
				 .pause = { .have = BIT(VCPU_STALL_A_PAUSE_REASON),
					    .reason = VCPU_STALL_PAUSE_REASON_DEADLINE } };
	struct output o;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	int err;

	if (!f)
		return NULL;
	err = output_init(&o, &event_columns, NULL, 0, opts, f);
	if (!err) {
		err = output_event(&o, &stall) || output_event(&o, &cfg) ||
		      output_event(&o, &off) || output_event(&o, &paused) ||
		      output_event(&o, &resumed);
		output_free(&o);
	}
	fclose(f);
	if (err) {
		free(s);
		return NULL;
	}
	return s;
}

static void test_event_output(void)
{
	struct output_opts table = { 0 }, json = { .json = true },
			   raw = { .raw = true }, bare = { .noheadings = true };
	char *s;

	/* Lines printed one by one still line up, the header once. */
	s = stream_events(&table);
	CHECK_STR(s,
		  "EVENT        CPU TIMEOUT   CLOCK ACTION    SOURCE   REASON       LEFT\n"
		  "stall          2                                             \n"
		  "config              3600 1000000 notify                      \n"
		  "cpu-offline 1023                                             \n"
		  "paused                                     netlink  request  86400000\n"
		  "resumed                                             deadline \n");
	free(s);

	s = stream_events(&raw);
	CHECK_STR(s,
		  "EVENT CPU TIMEOUT CLOCK ACTION SOURCE REASON LEFT\n"
		  "stall 2      \n"
		  "config  3600 1000000 notify   \n"
		  "cpu-offline 1023      \n"
		  "paused     netlink request 86400000\n"
		  "resumed      deadline \n");
	free(s);

	s = stream_events(&bare);
	CHECK_STR(s,
		  "stall          2                                             \n"
		  "config              3600 1000000 notify                      \n"
		  "cpu-offline 1023                                             \n"
		  "paused                                     netlink  request  86400000\n"
		  "resumed                                             deadline \n");
	free(s);

	s = stream_events(&json);
	CHECK_STR(s,
		  "{\"event\":\"stall\",\"cpu\":2,\"timeout\":null,\"clock\":null,\"action\":null,\"source\":null,\"reason\":null,\"left\":null}\n"
		  "{\"event\":\"config\",\"cpu\":null,\"timeout\":3600,\"clock\":1000000,\"action\":\"notify\",\"source\":null,\"reason\":null,\"left\":null}\n"
		  "{\"event\":\"cpu-offline\",\"cpu\":1023,\"timeout\":null,\"clock\":null,\"action\":null,\"source\":null,\"reason\":null,\"left\":null}\n"
		  "{\"event\":\"paused\",\"cpu\":null,\"timeout\":null,\"clock\":null,\"action\":null,\"source\":\"netlink\",\"reason\":\"request\",\"left\":86400000}\n"
		  "{\"event\":\"resumed\",\"cpu\":null,\"timeout\":null,\"clock\":null,\"action\":null,\"source\":null,\"reason\":\"deadline\",\"left\":null}\n");
	free(s);
}

static void test_netlink_failures(void)
{
	/* The family's id was 27 when the command started. */
	CHECK(family_vanished(ENOENT, false, -1, 27));
	CHECK(family_vanished(EOPNOTSUPP, false, -1, 27));
	/* Unloaded and loaded again: another id. */
	CHECK(family_vanished(ENOENT, true, 28, 27));
	CHECK(family_vanished(EOPNOTSUPP, true, 28, 27));
	/* Still there: the driver's own answer ("no such CPU"). */
	CHECK(!family_vanished(ENOENT, true, 27, 27));
	CHECK(!family_vanished(EOPNOTSUPP, true, 27, 27));
	/* Other refusals are the kernel's, family or not. */
	CHECK(!family_vanished(EPERM, false, -1, 27));
	CHECK(!family_vanished(EINVAL, false, -1, 27));
	CHECK(!family_vanished(0, false, -1, 27));

	/* libnl's NLE_NOMEM: an overrun goes on, an allocation ends it. */
	CHECK(recv_failure(true, ENOBUFS) == RECV_LOST);
	CHECK(recv_failure(true, ENOMEM) == RECV_NOMEM);
	CHECK(recv_failure(true, 0) == RECV_NOMEM);
	CHECK(recv_failure(false, ENOBUFS) == RECV_OTHER);
	CHECK(recv_failure(false, EBADF) == RECV_OTHER);
}

static void test_columns_print(void)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (f) {
		columns_print(&config_columns, f);
		fclose(f);
	}
	CHECK_STR(s,
		  "  TIMEOUT seconds a CPU may go without a pet\n"
		  "  CLOCK   rate the device counts down at, Hz\n"
		  "  ACTION  what a stall interrupt does\n"
		  "  DEVICE  the device's sysfs path\n");
	free(s);
}

int main(void)
{
	/* Tables as they print to a pipe, whatever the terminal. */
	unsetenv("COLUMNS");

	test_parse_u32();
	test_names();
	test_numbers();
	test_nlmsg_outcome();
	test_columns();
	test_status_output();
	test_config_output();
	test_event_output();
	test_columns_print();
	test_durations();
	test_pause_output();
	test_netlink_failures();

	printf("1..%d\n", passed + failed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
