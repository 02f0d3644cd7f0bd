/*
 * Shared pieces of the command line: option tables, exit codes, output.
 */
#ifndef KSD_CLI_H
#define KSD_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ksd/scan.h"

/* fsck-style exit codes; conditions are OR-ed together. */
enum {
	KSD_EXIT_OK = 0,
	KSD_EXIT_FINDINGS = 4,  /* findings at or above --fail-on */
	KSD_EXIT_OPERATIONAL = 8, /* unreadable path, I/O error */
	KSD_EXIT_USAGE = 16,
};

#define KSD_VERSION "0.1.0"

/* A declarative option: drives both parsing and --help. */
typedef struct cli_opt {
	int id;               /* returned by cli_parse; >= 256 for long-only */
	const char *long_name;
	char short_name;      /* 0 when none */
	const char *arg;      /* metavar, NULL for flags */
	const char *help;
} cli_opt;

typedef struct cli_cmd {
	const char *name;
	const char *usage;    /* after "ksegdoctor NAME " */
	const char *summary;
	const char *details;  /* paragraphs after the option list, or NULL */
	const cli_opt *opts;  /* terminated by {0} */
} cli_cmd;

/*
 * getopt_long over a table.  Calls on_opt for each option; it returns false
 * to reject the value (with its own message).  On success *first_arg is the
 * index of the first operand.  Returns KSD_EXIT_OK, KSD_EXIT_USAGE, or -1
 * when --help was printed.
 */
typedef bool (*cli_opt_fn)(void *ud, int id, const char *arg);
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_opt_fn on_opt, void *ud,
	      int *first_arg);
void cli_print_help(const cli_cmd *cmd, FILE *out);
void cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parses 134217728, 128M, 128MiB, 2G, 1.5g (binary units). */
bool cli_parse_size(const char *s, uint64_t *out);

/* JSON string literal, with invalid UTF-8 bytes as \u00XX. */
void json_str(FILE *out, const char *s);

/* "1.2 GiB" */
const char *fmt_bytes(uint64_t v, char *buf, size_t len);
const char *fmt_count(uint64_t v, char *buf, size_t len);

int cmd_scan(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_sizes(int argc, char **argv);
int cmd_offsets(int argc, char **argv);
int cmd_recovery(int argc, char **argv);
int cmd_preflight(int argc, char **argv);
int cmd_compaction(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);

#endif
