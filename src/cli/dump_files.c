/*
 * dump: files that are not entry chains.
 */
#include "dump.h"

int dump_other_file(dump_ctx *d, const char *path, ksd_file_kind kind)
{
	(void)d;
	fprintf(stderr, "ksegdoctor dump: %s: cannot dump a %s file yet\n", path,
		ksd_file_kind_name(kind));
	return KSD_EXIT_OPERATIONAL;
}
