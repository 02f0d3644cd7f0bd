/*
 * ksegdoctor dump: kafka-dump-log parity and beyond.  Options -> dump_ctx,
 * then each PATH through dump_path().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

enum {
	OPT_HELP = 'h',
	OPT_DEEP = 'd',
	OPT_PRINT = 'p',
	OPT_JSON = 256,
	OPT_ENCODING,
	OPT_DECODER,
	OPT_OFFSETS_DEC,
	OPT_TXN_DEC,
	OPT_META_DEC,
	OPT_SKIP_META,
	OPT_MAX_BYTES,
	OPT_FROM_OFFSET,
	OPT_TO_OFFSET,
	OPT_FROM_TS,
	OPT_STOP,
	OPT_VERIFY_INDEX,
	OPT_INDEX_SANITY,
};

static const cli_opt dump_opts_table[] = {
	{OPT_DEEP, "deep-iteration", 'd', NULL, "print every record, not only batch headers"},
	{OPT_PRINT, "print-data-log", 'p', NULL, "print keys, values and header values (implies -d)"},
	{OPT_JSON, "json", 0, NULL, "JSON Lines, one object per file/batch/record (docs/dump-format.md)"},
	{OPT_ENCODING, "encoding", 0, "ENC", "bytes as text (UTF-8, other bytes escaped; default), hex or base64"},
	{OPT_DECODER, "decoder", 0, "NAME", "auto (from the partition's topic; default), none, offsets, transactions, metadata"},
	{OPT_OFFSETS_DEC, "offsets-decoder", 0, NULL, "decode __consumer_offsets records (same as --decoder offsets)"},
	{OPT_TXN_DEC, "transaction-log-decoder", 0, NULL, "decode __transaction_state records"},
	{OPT_META_DEC, "cluster-metadata-decoder", 0, NULL, "decode KRaft __cluster_metadata records"},
	{OPT_SKIP_META, "skip-record-metadata", 0, NULL, "print only keys and payloads, no batch or record metadata"},
	{OPT_MAX_BYTES, "max-bytes", 0, "N", "stop each file after N bytes of batches (K/M/G ok)"},
	{OPT_FROM_OFFSET, "from-offset", 0, "OFFSET", "start at OFFSET, found through the index as the broker does"},
	{OPT_TO_OFFSET, "to-offset", 0, "OFFSET", "stop after OFFSET"},
	{OPT_FROM_TS, "from-timestamp", 0, "MS", "start at the first batch with a timestamp >= MS (epoch millis), via the time index"},
	{OPT_STOP, "stop-at-corruption", 0, NULL, "stop at the first invalid entry header like kafka-dump-log (default: report it and resume); CRC mismatches are reported and reading goes on, as there"},
	{OPT_VERIFY_INDEX, "verify-index-only", 0, NULL, "check .index/.timeindex entries against the log; print only mismatches"},
	{OPT_INDEX_SANITY, "index-sanity-check", 0, NULL, "run the broker's sanity check on index files"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0, NULL, 0, NULL, NULL},
};

static const cli_cmd dump_cmd = {
	"dump", "[options] FILE|PARTITION_DIR...",
	"Decodes segment files (.log), KRaft snapshots (.checkpoint), indexes,\n"
	"producer snapshots, checkpoints and the other files of a log dir, like\n"
	"kafka-dump-log.sh, and also: carries on past corruption (reporting it and\n"
	"resuming at the next valid batch), starts at an offset or a timestamp through\n"
	"the indexes, streams in bounded memory, and decodes __consumer_offsets,\n"
	"__transaction_state and __cluster_metadata automatically.",
	"Exit status: 0 every file decoded cleanly, 4 corruption found, 8 a file could\n"
	"not be read, 16 usage error (OR-ed).\n",
	dump_opts_table,
};

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static bool set_decoder(dump_opts *o, const char *name)
{
	static const struct { const char *name; dump_decoder d; } names[] = {
		{"auto", DEC_AUTO}, {"none", DEC_NONE}, {"offsets", DEC_OFFSETS},
		{"transactions", DEC_TRANSACTIONS}, {"metadata", DEC_METADATA},
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i].name) == 0) {
			o->decoder = names[i].d;
			return true;
		}
	cli_usage_error(&dump_cmd, "--decoder takes auto, none, offsets, transactions or metadata, not '%s'", name);
	return false;
}

static bool set_encoding(dump_opts *o, const char *name)
{
	if (strcmp(name, "text") == 0)
		o->enc = KSD_ENC_TEXT;
	else if (strcmp(name, "hex") == 0)
		o->enc = KSD_ENC_HEX;
	else if (strcmp(name, "base64") == 0)
		o->enc = KSD_ENC_BASE64;
	else {
		cli_usage_error(&dump_cmd, "--encoding takes text, hex or base64, not '%s'", name);
		return false;
	}
	return true;
}

static bool offset_arg(const char *opt, const char *arg, int64_t *out)
{
	if (parse_i64(arg, out) && *out >= 0)
		return true;
	cli_usage_error(&dump_cmd, "%s takes a non-negative offset, not '%s'", opt, arg);
	return false;
}

static bool on_dump_opt(void *ud, int id, const char *arg)
{
	dump_opts *o = ud;
	switch (id) {
	case OPT_DEEP: o->deep = true; return true;
	case OPT_PRINT: o->print_data = o->deep = true; return true;
	case OPT_JSON: o->json = true; return true;
	case OPT_ENCODING: return set_encoding(o, arg);
	case OPT_DECODER: return set_decoder(o, arg);
	case OPT_OFFSETS_DEC: o->decoder = DEC_OFFSETS; return true;
	case OPT_TXN_DEC: o->decoder = DEC_TRANSACTIONS; return true;
	case OPT_META_DEC: o->decoder = DEC_METADATA; return true;
	case OPT_SKIP_META: o->skip_meta = o->print_data = o->deep = true; return true;
	case OPT_STOP: o->resync = false; return true;
	case OPT_VERIFY_INDEX: o->verify_index_only = true; return true;
	case OPT_INDEX_SANITY: o->index_sanity = true; return true;
	case OPT_MAX_BYTES:
		if (cli_parse_size(arg, &o->max_bytes) && o->max_bytes > 0)
			return true;
		cli_usage_error(&dump_cmd, "--max-bytes '%s' is not a size", arg);
		return false;
	case OPT_FROM_OFFSET: return offset_arg("--from-offset", arg, &o->from_offset);
	case OPT_TO_OFFSET: return offset_arg("--to-offset", arg, &o->to_offset);
	case OPT_FROM_TS:
		if (parse_i64(arg, &o->from_ts))
			return true;
		cli_usage_error(&dump_cmd, "--from-timestamp takes epoch milliseconds, not '%s'", arg);
		return false;
	}
	return false;
}

static void stdout_write(void *ud, const char *p, size_t n)
{
	fwrite(p, 1, n, (FILE *)ud);
}

int cmd_dump(int argc, char **argv)
{
	dump_ctx d;
	memset(&d, 0, sizeof d);
	d.o.resync = true;
	d.o.decoder = DEC_AUTO;
	d.o.from_offset = d.o.to_offset = -1;
	d.o.from_ts = INT64_MIN;
	int first = 0;
	int rc = cli_parse(&dump_cmd, argc, argv, on_dump_opt, &d.o, &first);
	if (rc != KSD_EXIT_OK)
		return rc < 0 ? KSD_EXIT_OK : rc;
	if (first == argc) {
		cli_usage_error(&dump_cmd, "no FILE or PARTITION_DIR given");
		return KSD_EXIT_USAGE;
	}
	if (d.o.to_offset >= 0 && d.o.from_offset > d.o.to_offset) {
		cli_usage_error(&dump_cmd, "--from-offset is above --to-offset");
		return KSD_EXIT_USAGE;
	}
	d.out = stdout;
	ksd_jw_init(&d.jw, (ksd_sink){stdout_write, stdout});
	if (ksd_decoder_new(&KSD_DECODER_DEFAULT_LIMITS, &d.decoder) != KSD_OK ||
	    ksd_readbuf_init(&d.rb, 4u << 20, 256u << 20) != KSD_OK) {
		fprintf(stderr, "ksegdoctor dump: out of memory\n");
		return KSD_EXIT_OPERATIONAL;
	}
	for (int i = first; i < argc; i++)
		rc |= dump_path(&d, argv[i]);
	fflush(stdout);
	ksd_decoder_free(d.decoder);
	ksd_readbuf_free(&d.rb);
	return rc;
}
