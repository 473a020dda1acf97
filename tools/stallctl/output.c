// SPDX-License-Identifier: GPL-2.0-only
/*
 * stallctl: tables through libsmartcols, JSON through json-c.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libsmartcols.h>

#include "output.h"
#include "parse.h"

/* Numbers and booleans are right-aligned, as in lsblk. */
static const struct column status_cols[] = {
	[COL_CPU] = { "CPU", "CPU number",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_ONLINE] = { "ONLINE", "the CPU is online",
		SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN },
	[COL_ENABLED] = { "ENABLED", "its bank is enabled and being petted",
		SCOLS_FL_RIGHT, SCOLS_JSON_BOOLEAN },
	[COL_PETS] = { "PETS", "times it reloaded its count",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_LAST_PET] = { "LAST-PET", "milliseconds since its last pet",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_MAX_LATE] = { "MAX-LATE", "largest lateness of a pet, milliseconds",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_COUNT] = { "COUNT", "the device's live count",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[COL_STALLS] = { "STALLS", "stall interrupts it took",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
};

static const int status_defaults[] = {
	COL_CPU, COL_ONLINE, COL_ENABLED, COL_PETS, COL_LAST_PET,
	COL_MAX_LATE, COL_COUNT, COL_STALLS,
};

const struct columns status_columns = {
	"cpus", status_cols, ARRAY_SIZE(status_cols),
	status_defaults, ARRAY_SIZE(status_defaults),
};

static const struct column config_cols[] = {
	[CCOL_TIMEOUT] = { "TIMEOUT", "seconds a CPU may go without a pet",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[CCOL_CLOCK] = { "CLOCK", "rate the device counts down at, Hz",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[CCOL_ACTION] = { "ACTION", "what a stall interrupt does",
		0, SCOLS_JSON_STRING },
	[CCOL_DEVICE] = { "DEVICE", "the device's sysfs path",
		0, SCOLS_JSON_STRING },
};

static const int config_defaults[] = {
	CCOL_TIMEOUT, CCOL_CLOCK, CCOL_ACTION, CCOL_DEVICE,
};

const struct columns config_columns = {
	"config", config_cols, ARRAY_SIZE(config_cols),
	config_defaults, ARRAY_SIZE(config_defaults),
};

static const struct column event_cols[] = {
	[ECOL_EVENT] = { "EVENT", "what happened",
		0, SCOLS_JSON_STRING },
	[ECOL_CPU] = { "CPU", "the CPU it happened to",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[ECOL_TIMEOUT] = { "TIMEOUT", "the new timeout, seconds",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[ECOL_CLOCK] = { "CLOCK", "the new clock rate, Hz",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
	[ECOL_ACTION] = { "ACTION", "the new stall action",
		0, SCOLS_JSON_STRING },
	[ECOL_SOURCE] = { "SOURCE", "who paused: netlink, sysfs or suspend",
		0, SCOLS_JSON_STRING },
	[ECOL_REASON] = { "REASON", "why it paused or resumed: request, deadline or suspend",
		0, SCOLS_JSON_STRING },
	[ECOL_LEFT] = { "LEFT", "milliseconds before a pause ends by itself",
		SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER },
};

static const int event_defaults[] = {
	ECOL_EVENT, ECOL_CPU, ECOL_TIMEOUT, ECOL_CLOCK, ECOL_ACTION,
	ECOL_SOURCE, ECOL_REASON, ECOL_LEFT,
};

const struct columns event_columns = {
	"events", event_cols, ARRAY_SIZE(event_cols),
	event_defaults, ARRAY_SIZE(event_defaults),
};

static int column_find(const struct columns *spec, const char *name,
		       size_t len)
{
	size_t i;

	for (i = 0; i < spec->ncols; i++)
		if (strlen(spec->cols[i].name) == len &&
		    !strncasecmp(spec->cols[i].name, name, len))
			return (int)i;
	return -1;
}

int columns_parse(const struct columns *spec, const char *list, int *ids,
		  size_t max, size_t *n, const char **bad, size_t *badlen)
{
	const char *p = list;
	size_t k = 0;

	if (*p == '+') {
		if (spec->ndefaults > max)
			return -E2BIG;
		memcpy(ids, spec->defaults, spec->ndefaults * sizeof(*ids));
		k = spec->ndefaults;
		p++;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		int id = column_find(spec, p, len);

		if (id < 0) {
			*bad = p;
			*badlen = len;
			return -EINVAL;
		}
		if (k == max)
			return -E2BIG;
		ids[k++] = id;
		if (!p[len])
			break;
		p += len + 1;
	}
	*n = k;
	return 0;
}

int columns_print(const struct columns *spec, FILE *out)
{
	struct libscols_table *tb = scols_new_table();
	size_t i;
	int ret = -ENOMEM;

	if (!tb)
		return -ENOMEM;
	scols_table_set_stream(tb, out);
	scols_table_enable_noheadings(tb, 1);
	/* An empty first column indents the list, as in --help. */
	if (!scols_table_new_column(tb, "", 0, 0) ||
	    !scols_table_new_column(tb, "NAME", 0, 0) ||
	    !scols_table_new_column(tb, "HELP", 0, 0))
		goto out;
	for (i = 0; i < spec->ncols; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln || scols_line_set_data(ln, 1, spec->cols[i].name) ||
		    scols_line_set_data(ln, 2, spec->cols[i].help))
			goto out;
	}
	ret = scols_print_table(tb);
out:
	scols_unref_table(tb);
	return ret;
}

/* The widest an event column's content gets (CPU: wide enough). */
static size_t event_width(int id)
{
	switch (id) {
	case ECOL_EVENT:
		return event_name_max();
	case ECOL_CPU:
		return 4;
	case ECOL_TIMEOUT:
		return digits(VCPU_STALL_TIMEOUT_MAX);
	case ECOL_CLOCK:
		return digits(VCPU_STALL_CLOCK_HZ_MAX);
	case ECOL_ACTION:
		return action_name_max();
	case ECOL_SOURCE:
	case ECOL_REASON:
		return pause_name_max();
	case ECOL_LEFT:
		return digits(VCPU_STALL_PAUSE_MAX_MS);
	default:
		return 0;
	}
}

int output_init(struct output *o, const struct columns *spec, const int *ids,
		size_t n, const struct output_opts *opts, FILE *stream)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	if (!n) {
		ids = spec->defaults;
		n = spec->ndefaults;
	}
	if (n > MAX_COLUMNS)
		return -E2BIG;
	o->spec = spec;
	o->n = n;
	o->json = opts->json;
	o->noheadings = opts->noheadings;
	memcpy(o->ids, ids, n * sizeof(*ids));

	o->tb = scols_new_table();
	if (!o->tb)
		return -ENOMEM;
	scols_table_set_stream(o->tb, stream);
	scols_table_enable_raw(o->tb, opts->raw);
	scols_table_enable_noheadings(o->tb, opts->noheadings);

	for (i = 0; i < n; i++) {
		const struct column *c = &spec->cols[ids[i]];
		struct libscols_column *cl;

		cl = scols_table_new_column(o->tb, c->name, 0, c->flags);
		if (!cl) {
			output_free(o);
			return -ENOMEM;
		}
	}
	return 0;
}

void output_free(struct output *o)
{
	scols_unref_table(o->tb);
	o->tb = NULL;
}

static void u64_cell(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
}

/* @s's value for column @id, "" when the kernel did not send it. */
static void status_cell(const struct cpu_status *s, int id, char *buf,
			size_t len)
{
	static const int attr[] = {
		[COL_CPU] = VCPU_STALL_A_CPU_ID,
		[COL_ONLINE] = VCPU_STALL_A_CPU_ONLINE,
		[COL_ENABLED] = VCPU_STALL_A_CPU_ENABLED,
		[COL_PETS] = VCPU_STALL_A_CPU_PETS,
		[COL_LAST_PET] = VCPU_STALL_A_CPU_LAST_PET_NS,
		[COL_MAX_LATE] = VCPU_STALL_A_CPU_MAX_LATENESS_NS,
		[COL_COUNT] = VCPU_STALL_A_CPU_COUNT,
		[COL_STALLS] = VCPU_STALL_A_CPU_STALLS,
	};

	buf[0] = '\0';
	if (!(s->have & BIT(attr[id])))
		return;
	switch (id) {
	case COL_CPU:
		u64_cell(buf, len, s->id);
		break;
	case COL_ONLINE:
		u64_cell(buf, len, s->online);
		break;
	case COL_ENABLED:
		u64_cell(buf, len, s->enabled);
		break;
	case COL_PETS:
		u64_cell(buf, len, s->pets);
		break;
	case COL_LAST_PET:
		format_ms(s->last_pet_ns, buf, len);
		break;
	case COL_MAX_LATE:
		format_ms(s->max_lateness_ns, buf, len);
		break;
	case COL_COUNT:
		u64_cell(buf, len, s->count);
		break;
	case COL_STALLS:
		u64_cell(buf, len, s->stalls);
		break;
	}
}

static void config_cell(const struct config *c, int id, char *buf, size_t len)
{
	const char *name;

	buf[0] = '\0';
	switch (id) {
	case CCOL_TIMEOUT:
		if (c->have & BIT(VCPU_STALL_A_CONFIG_TIMEOUT_SEC))
			u64_cell(buf, len, c->timeout_sec);
		break;
	case CCOL_CLOCK:
		if (c->have & BIT(VCPU_STALL_A_CONFIG_CLOCK_HZ))
			u64_cell(buf, len, c->clock_hz);
		break;
	case CCOL_ACTION:
		if (!(c->have & BIT(VCPU_STALL_A_CONFIG_ACTION)))
			break;
		/* An action newer than this tool: its number. */
		name = action_name(c->action);
		if (name)
			snprintf(buf, len, "%s", name);
		else
			u64_cell(buf, len, c->action);
		break;
	}
}

/* Add a line with each shown column's cell from @cell. */
typedef void cell_fn(const void *data, int id, char *buf, size_t len);

static struct libscols_line *add_line(struct output *o, cell_fn *cell,
				      const void *data)
{
	struct libscols_line *ln = scols_table_new_line(o->tb, NULL);
	char buf[64];
	size_t i;

	if (!ln)
		return NULL;
	for (i = 0; i < o->n; i++) {
		cell(data, o->ids[i], buf, sizeof(buf));
		if (buf[0] && scols_line_set_data(ln, i, buf)) {
			scols_table_remove_line(o->tb, ln);
			return NULL;
		}
	}
	return ln;
}

static void status_cell_fn(const void *data, int id, char *buf, size_t len)
{
	status_cell(data, id, buf, len);
}

int output_add_status(struct output *o, const struct cpu_status *s)
{
	return add_line(o, status_cell_fn, s) ? 0 : -ENOMEM;
}

struct config_row {
	const struct config *c;
	const char *device;
};

static void config_cell_fn(const void *data, int id, char *buf, size_t len)
{
	const struct config_row *r = data;

	if (id == CCOL_DEVICE)
		snprintf(buf, len, "%s", r->device ? r->device : "");
	else
		config_cell(r->c, id, buf, len);
}

int output_add_config(struct output *o, const struct config *c,
		      const char *device)
{
	struct config_row r = { c, device };
	struct libscols_line *ln;
	size_t i;

	ln = add_line(o, config_cell_fn, &r);
	if (!ln)
		return -ENOMEM;
	/* Paths may be longer than add_line()'s buffer. */
	for (i = 0; i < o->n; i++)
		if (o->ids[i] == CCOL_DEVICE && device &&
		    scols_line_set_data(ln, i, device))
			return -ENOMEM;
	return 0;
}

/*
 * JSON: json-c writes it all, from the table's cells (the data the table
 * shows), typed by each column's json_type; an empty cell is null.
 */
static struct json_object *json_cell(const struct column *c, const char *data)
{
	if (!data || !*data)
		return NULL;
	switch (c->json_type) {
	case SCOLS_JSON_NUMBER:
		return json_object_new_uint64(strtoull(data, NULL, 10));
	case SCOLS_JSON_BOOLEAN:
		return json_object_new_boolean(strcmp(data, "0") != 0);
	default:
		return json_object_new_string(data);
	}
}

/* The JSON key of a column: its name, lower-cased ("last-pet"). */
static void json_key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

/*
 * Add @v (NULL: null) to @obj as @key, which takes it; a NULL @v that was
 * @wanted is an allocation that failed.  Returns 0 or -ENOMEM.
 */
static int json_add(struct json_object *obj, const char *key,
		    struct json_object *v, bool wanted)
{
	if ((wanted && !v) || json_object_object_add(obj, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* One line as an object, the shown columns in order; NULL on ENOMEM. */
static struct json_object *json_line(const struct output *o,
				     struct libscols_line *ln)
{
	struct json_object *obj = json_object_new_object();
	char key[32];
	size_t i;

	if (!obj)
		return NULL;
	for (i = 0; i < o->n; i++) {
		const struct column *c = &o->spec->cols[o->ids[i]];
		struct libscols_cell *ce = scols_line_get_cell(ln, i);
		const char *data = ce ? scols_cell_get_data(ce) : NULL;

		json_key(c->name, key, sizeof(key));
		if (json_add(obj, key, json_cell(c, data), data && *data)) {
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

/* Every line of the table, as an array of objects. */
static struct json_object *json_lines(const struct output *o)
{
	struct json_object *arr = json_object_new_array();
	struct libscols_iter *it = scols_new_iter(SCOLS_ITER_FORWARD);
	struct libscols_line *ln;

	if (!arr || !it)
		goto fail;
	while (!scols_table_next_line(o->tb, it, &ln)) {
		struct json_object *obj = json_line(o, ln);

		if (!obj || json_object_array_add(arr, obj)) {
			json_object_put(obj);
			goto fail;
		}
	}
	scols_free_iter(it);
	return arr;
fail:
	scols_free_iter(it);
	json_object_put(arr);
	return NULL;
}

/* Print @doc (and free it): pretty, or on one line; 0 or -errno. */
static int json_print(struct output *o, struct json_object *doc, bool one_line)
{
	FILE *out = scols_table_get_stream(o->tb);
	const char *s;
	int ret = 0;

	if (!doc)
		return -ENOMEM;
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_NOSLASHESCAPE |
					   (one_line ? JSON_C_TO_STRING_PLAIN :
					    JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED));
	if (!s)
		ret = -ENOMEM;
	else if (fprintf(out, "%s\n", s) < 0)
		ret = -EIO;
	json_object_put(doc);
	return ret;
}

/* {"<table name>": [rows]}, after @first_key's @first if there is one. */
static struct json_object *json_doc(const struct output *o,
				    const char *first_key,
				    struct json_object *first)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *rows = json_lines(o);

	if (!doc || !rows) {
		json_object_put(first);
		json_object_put(rows);
		goto fail;
	}
	if ((first_key && json_add(doc, first_key, first, true)) ||
	    json_add(doc, o->spec->name, rows, true))
		goto fail;
	return doc;
fail:
	json_object_put(doc);
	return NULL;
}

int output_print(struct output *o)
{
	if (o->json)
		return json_print(o, json_doc(o, NULL, NULL), false);
	return scols_print_table(o->tb);
}

/* A uapi name, or the number of a value newer than this tool. */
static void name_cell(const char *name, uint32_t v, char *buf, size_t len)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else
		u64_cell(buf, len, v);
}

static void event_cell_fn(const void *data, int id, char *buf, size_t len)
{
	const struct event *e = data;
	static const int config_col[] = {
		[ECOL_TIMEOUT] = CCOL_TIMEOUT,
		[ECOL_CLOCK] = CCOL_CLOCK,
		[ECOL_ACTION] = CCOL_ACTION,
	};
	const char *name;

	buf[0] = '\0';
	switch (id) {
	case ECOL_EVENT:
		name = event_name(e->cmd);
		if (name)
			snprintf(buf, len, "%s", name);
		else
			snprintf(buf, len, "%u", e->cmd);
		break;
	case ECOL_CPU:
		if (e->has_cpu)
			u64_cell(buf, len, e->cpu);
		break;
	case ECOL_TIMEOUT:
	case ECOL_CLOCK:
	case ECOL_ACTION:
		config_cell(&e->config, config_col[id], buf, len);
		break;
	case ECOL_SOURCE:
		if (e->pause.have & BIT(VCPU_STALL_A_PAUSE_SOURCE))
			name_cell(pause_source_name(e->pause.source),
				  e->pause.source, buf, len);
		break;
	case ECOL_REASON:
		if (e->pause.have & BIT(VCPU_STALL_A_PAUSE_REASON))
			name_cell(pause_reason_name(e->pause.reason),
				  e->pause.reason, buf, len);
		break;
	case ECOL_LEFT:
		if (e->pause.have & BIT(VCPU_STALL_A_PAUSE_REMAINING_MS))
			u64_cell(buf, len, e->pause.remaining_ms);
		break;
	}
}

void format_left(uint64_t ms, char *buf, size_t len)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m %" PRIu64 "s",
			 s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
}

/* The pause state as an object; NULL on ENOMEM. */
static struct json_object *json_pause(const struct pause *p)
{
	struct json_object *obj = json_object_new_object();
	const char *who = p->paused ? pause_source_name(p->source) : NULL;
	bool deadline = p->paused &&
			(p->have & BIT(VCPU_STALL_A_PAUSE_REMAINING_MS));

	if (!obj ||
	    json_add(obj, "paused", json_object_new_boolean(p->paused), true) ||
	    json_add(obj, "source", who ? json_object_new_string(who) : NULL,
		     who) ||
	    json_add(obj, "remaining_ms", deadline ?
		     json_object_new_uint64(p->remaining_ms) : NULL, deadline)) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

int output_print_status(struct output *o, const struct pause *p, bool raw)
{
	FILE *out = scols_table_get_stream(o->tb);
	bool deadline = p->have & BIT(VCPU_STALL_A_PAUSE_REMAINING_MS);
	const char *who = pause_source_name(p->source);
	char left[64];

	if (o->json)
		return json_print(o, json_doc(o, "pause", json_pause(p)), false);
	/* The pause line is a heading of its own: --raw and -n drop it. */
	if (p->paused && !raw && !o->noheadings) {
		format_left(p->remaining_ms, left, sizeof(left));
		fprintf(out, "paused by %s, %s%s\n", who ? who : "?",
			deadline ? "resumes by itself in " : "no deadline",
			deadline ? left : "");
	}
	return scols_print_table(o->tb);
}

/* A line of the widest values, so lines printed one by one line up. */
static int add_template(struct output *o)
{
	struct libscols_line *ln = scols_table_new_line(o->tb, NULL);
	char buf[64];
	size_t i, w;

	if (!ln)
		return -ENOMEM;
	for (i = 0; i < o->n; i++) {
		w = event_width(o->ids[i]);
		if (w >= sizeof(buf))
			w = sizeof(buf) - 1;
		memset(buf, '0', w);
		buf[w] = '\0';
		if (scols_line_set_data(ln, i, buf))
			return -ENOMEM;
	}
	o->tmpl = ln;
	return 0;
}

int output_event(struct output *o, const struct event *e)
{
	FILE *out = scols_table_get_stream(o->tb);
	struct libscols_line *ln;
	int ret;

	ln = add_line(o, event_cell_fn, e);
	if (!ln)
		return -ENOMEM;
	if (o->json) {
		ret = json_print(o, json_line(o, ln), true);
	} else {
		/*
		 * The template follows the first line, and precedes every
		 * other: the widths are the template's, and the header (which
		 * comes with the table's first line) is printed once.
		 */
		bool first = !o->tmpl;

		ret = first ? add_template(o) : 0;
		if (!ret)
			ret = scols_table_print_range(o->tb, ln, ln);
		/* libsmartcols ends a line only when another follows. */
		if (!ret && !first && fputc('\n', out) == EOF)
			ret = -EIO;
	}
	scols_table_remove_line(o->tb, ln);
	return ret;
}
