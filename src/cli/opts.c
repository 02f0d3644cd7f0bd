/*
 * Option tables -> getopt_long, and --help generated from the same table.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_OPTS 64

void cli_print_help(const cli_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: ksegdoctor %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage,
		cmd->summary);
	for (const cli_opt *o = cmd->opts; o->long_name; o++) {
		char left[64];
		int n = 0;
		if (o->short_name)
			n = snprintf(left, sizeof left, "-%c, ", o->short_name);
		else
			n = snprintf(left, sizeof left, "    ");
		snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", o->long_name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) > 28)
			fprintf(out, "  %s\n  %-28s  %s\n", left, "", o->help);
		else
			fprintf(out, "  %-28s  %s\n", left, o->help);
	}
	if (cmd->details)
		fprintf(out, "\n%s", cmd->details);
}

void cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ksegdoctor %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ksegdoctor %s --help'.\n", cmd->name);
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opt_fn on_opt, void *ud,
	      int *first_arg)
{
	struct option lopts[MAX_OPTS + 1];
	char sopts[MAX_OPTS * 2 + 2] = "";
	size_t n = 0, sl = 0;
	for (const cli_opt *o = cmd->opts; o->long_name && n < MAX_OPTS; o++, n++) {
		lopts[n].name = o->long_name;
		lopts[n].has_arg = o->arg ? required_argument : no_argument;
		lopts[n].flag = NULL;
		lopts[n].val = o->id;
		if (o->short_name) {
			sopts[sl++] = o->short_name;
			if (o->arg)
				sopts[sl++] = ':';
		}
	}
	memset(&lopts[n], 0, sizeof lopts[n]);
	sopts[sl] = '\0';
	/* GNU getopt permutes, so options may follow the paths (the way
	 * operators add a flag to a command they just ran); "--" ends them. */
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				cli_usage_error(cmd, "unknown option or missing value: -%c", optopt);
			else
				cli_usage_error(cmd, "unknown option or missing value: %s",
						argv[optind - 1]);
			return KSD_EXIT_USAGE;
		}
		/* A short option comes back as its letter: map it to the table id. */
		for (const cli_opt *o = cmd->opts; c < 256 && o->long_name; o++)
			if (o->short_name && o->short_name == c) {
				c = o->id;
				break;
			}
		if (c == 'h') {
			cli_print_help(cmd, stdout);
			return -1;
		}
		if (!on_opt(ud, c, optarg))
			return KSD_EXIT_USAGE;
	}
	*first_arg = optind;
	return KSD_EXIT_OK;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return false;
	uint64_t mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	default: break;
	}
	if (mult > 1 && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0 || strcmp(end, "b") == 0))
		end += strlen(end);
	if (*end || v * (double)mult > 9.2e18)
		return false;
	*out = (uint64_t)(v * (double)mult);
	return true;
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0 || (n == 2 && s[0] < 0xC2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

void json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', out);
	while (*p) {
		size_t n = utf8_len(p);
		if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p++, out);
		} else if (*p < 0x20) {
			fprintf(out, "\\u%04x", *p++);
		} else if (n == 0) {
			fprintf(out, "\\u%04x", *p++); /* invalid byte, kept visible */
		} else {
			fwrite(p, 1, n, out);
			p += n;
		}
	}
	fputc('"', out);
}

const char *fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double d = (double)v;
	int u = 0;
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

const char *fmt_count(uint64_t v, char *buf, size_t len)
{
	return ksd_fmt_count(v, buf, len);
}
