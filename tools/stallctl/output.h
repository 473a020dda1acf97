/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stallctl: the columns of each table, the --output list, table and
 * --raw output through libsmartcols, --json through json-c (one writer
 * for all of it: the objects hold the table's cells, typed by column),
 * and the event stream.
 */
#ifndef STALLCTL_OUTPUT_H
#define STALLCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "stallctl.h"

struct libscols_line;
struct libscols_table;

struct column {
	const char *name;	/* header; lower-cased, the JSON key */
	const char *help;	/* for --help and --list-columns */
	int flags;		/* SCOLS_FL_x */
	int json_type;		/* SCOLS_JSON_x */
};

/* The columns a table may show and those it shows by default. */
struct columns {
	const char *name;	/* the JSON array's name */
	const struct column *cols;
	size_t ncols;
	const int *defaults;
	size_t ndefaults;
};

/* status_columns */
enum {
	COL_CPU, COL_ONLINE, COL_ENABLED, COL_PETS, COL_LAST_PET, COL_MAX_LATE,
	COL_COUNT, COL_STALLS,
};

/* config_columns */
enum { CCOL_TIMEOUT, CCOL_CLOCK, CCOL_ACTION, CCOL_DEVICE };

/* event_columns */
enum {
	ECOL_EVENT, ECOL_CPU, ECOL_TIMEOUT, ECOL_CLOCK, ECOL_ACTION,
	ECOL_SOURCE, ECOL_REASON, ECOL_LEFT,
};

extern const struct columns status_columns, config_columns, event_columns;

#define MAX_COLUMNS	32

struct output_opts {
	bool json;
	bool raw;
	bool noheadings;
	const char *list;	/* --output, or NULL for the defaults */
};

struct output {
	struct libscols_table *tb;
	const struct columns *spec;
	int ids[MAX_COLUMNS];
	size_t n;
	bool json;
	bool noheadings;
	struct libscols_line *tmpl;	/* events: the widths' template */
};

/*
 * Parse an --output list: "NAME,NAME..." (any case), or "+NAME,..." to
 * add to the defaults.  Returns 0; -EINVAL with *@bad at the unknown name
 * (of *@badlen chars); -E2BIG if the list is too long.
 */
int columns_parse(const struct columns *spec, const char *list, int *ids,
		  size_t max, size_t *n, const char **bad, size_t *badlen);

/* Print "NAME  help" per column (--list-columns) through libsmartcols. */
int columns_print(const struct columns *spec, FILE *out);

/*
 * Set up a table for @spec with the columns of @ids, or the defaults when
 * @n is 0.  Returns 0 or a negative errno.
 */
int output_init(struct output *o, const struct columns *spec, const int *ids,
		size_t n, const struct output_opts *opts, FILE *stream);
void output_free(struct output *o);

int output_add_status(struct output *o, const struct cpu_status *s);
int output_add_config(struct output *o, const struct config *c,
		      const char *device);
int output_print(struct output *o);

/*
 * Print the status table with the pause state: a line before the table
 * when paused ("paused by netlink, resumes by itself in 1m 30s"), or with
 * --json a "pause" object before the table's array ({"paused": bool,
 * "source": str|null, "remaining_ms": int|null}); --raw and --noheadings
 * print the table alone.
 */
int output_print_status(struct output *o, const struct pause *p, bool raw);

/* "1h 2m 3s", "90.5s" style: time left of a pause, from milliseconds. */
void format_left(uint64_t ms, char *buf, size_t len);

/*
 * Print one event at once: a table line (the header before the first),
 * the columns as wide as their widest values so every line lines up; or
 * with --json one JSON object per line.  The caller flushes.
 */
int output_event(struct output *o, const struct event *e);

#endif /* STALLCTL_OUTPUT_H */
