/*
 * A ksd_jw sink for fuzz targets that keeps nothing but checks that the
 * output is one balanced JSON value: brackets and braces nest and close,
 * strings end, and nothing follows the value.  Header-only, one per target.
 */
#ifndef KSD_FUZZ_JSON_CHECK_H
#define KSD_FUZZ_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "ksd/jsonw.h"

typedef struct json_check {
	char stack[128]; /* open containers: '{' or '[' */
	int depth;
	bool in_string, escape;
	int values_done;  /* top-level values completed */
	size_t bytes;
	bool bad;
} json_check;

static void json_check_byte(json_check *c, char ch)
{
	c->bytes++;
	if (c->in_string) {
		if (c->escape)
			c->escape = false;
		else if (ch == '\\')
			c->escape = true;
		else if (ch == '"')
			c->in_string = false;
		else if ((unsigned char)ch < 0x20)
			c->bad = true; /* control characters must be escaped */
		if (!c->in_string && c->depth == 0)
			c->values_done++;
		return;
	}
	if (c->depth == 0 && c->values_done > 0)
		c->bad = true; /* something after the value */
	switch (ch) {
	case '"':
		c->in_string = true;
		break;
	case '{':
	case '[':
		if (c->depth >= (int)sizeof c->stack) {
			c->bad = true;
			return;
		}
		c->stack[c->depth++] = ch;
		break;
	case '}':
	case ']':
		if (c->depth == 0 || c->stack[c->depth - 1] != (ch == '}' ? '{' : '['))
			c->bad = true;
		else if (--c->depth == 0)
			c->values_done++;
		break;
	default:
		break;
	}
}

static void json_check_write(void *ud, const char *p, size_t n)
{
	json_check *c = ud;
	for (size_t i = 0; i < n; i++)
		json_check_byte(c, p[i]);
}

static ksd_jw json_check_begin(json_check *c)
{
	ksd_jw w;
	ksd_sink s = {json_check_write, c};
	*c = (json_check){0};
	ksd_jw_init(&w, s);
	return w;
}

/* Aborts unless exactly one balanced value was written.  Scalars at the top
 * level ("null") are counted at the end. */
static void json_check_end(const json_check *c, const ksd_jw *w)
{
	bool scalar = c->values_done == 0 && c->depth == 0 && c->bytes > 0 && !c->in_string;
	if (c->bad || c->in_string || c->depth != 0 || w->depth != 0 || w->overflow ||
	    (c->values_done != 1 && !scalar))
		abort();
}

#endif
