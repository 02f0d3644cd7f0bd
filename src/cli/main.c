/*
 * ksegdoctor: offline inspector and repair tool for Kafka log dirs.
 * main() only dispatches; each subcommand lives in its own cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommand;

static const subcommand subcommands[] = {
	{"scan", cmd_scan, "check log dirs, partitions or segment files (read-only)"},
	{"dump", cmd_dump, "decode segments, indexes, snapshots, checkpoints (kafka-dump-log and more)"},
	{"recovery", cmd_recovery, "predict what the broker's next start will recover, truncate, delete, and how long"},
	{"preflight", cmd_preflight, "upgrade preflight for a target Kafka version: one verdict, blockers first"},
	{"compaction", cmd_compaction, "compacted partitions: bytes vs live keys, tombstones, dirty ratio, what blocks the cleaner"},
	{"offsets", cmd_offsets, "committed consumer offsets from __consumer_offsets (table, JSON, reset CSV)"},
	{"sizes", cmd_sizes, "partitions and topics by size, largest first; draft reassignment plan"},
	{"quarantine", cmd_quarantine, "move damaged segments, tails or indexes out of a stopped broker's log dirs (journaled, restorable)"},
	{"restore", cmd_restore, "put a quarantine operation's files back byte for byte (plan, then --apply)"},
	{"purge", cmd_purge, "delete a complete quarantine operation's files (plan, then --apply)"},
	{"explain", cmd_explain, "what a finding code means, and its fix"},
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"usage: ksegdoctor <command> [options] PATH...\n\n"
		"Offline inspector for a stopped Kafka broker's log dirs. Read-only unless a\n"
		"repair command is asked to apply a plan.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		fprintf(out, "  %-11s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out,
		"\nRun 'ksegdoctor <command> --help' for a command's options.\n"
		"Exit status (OR-ed, like fsck): 0 clean (nothing to do), 1 repaired,\n"
		"4 findings at or above --fail-on (or a repair refused or left undone),\n"
		"8 operational error, 16 usage error, 32 repair cancelled.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return KSD_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
		print_usage(stdout);
		return KSD_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("ksegdoctor %s\n", KSD_VERSION);
		return KSD_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ksegdoctor: unknown command '%s'\n\n", name);
	print_usage(stderr);
	return KSD_EXIT_USAGE;
}
