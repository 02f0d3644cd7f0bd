/*
 * Fuzz target: arbitrary bytes as a broker's server.properties
 * (ksd_config_load_properties) and as a text checkpoint file
 * (ksd_parse_offset_checkpoint).  The properties loader reads a path, so the input goes to one
 * scratch file per process under /tmp, rewritten every run.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/scan_internal.h"
#include "fuzz_scratch.h"
#include "ksd/files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void load_properties(void)
{
	ksd_config cfg;
	ksd_config_init(&cfg);
	char **dirs = NULL;
	size_t ndirs = 0;
	char err[256];
	err[0] = '\0';
	ksd_err rc = ksd_config_load_properties(&cfg, fuzz_scratch_path("properties"), &dirs, &ndirs, err,
						sizeof err);
	if (rc == KSD_OK) {
		check(ndirs == 0 || dirs != NULL);
		for (size_t i = 0; i < ndirs; i++) {
			check(dirs[i] && dirs[i][0] != '\0');
			free(dirs[i]);
		}
		free(dirs);
		ksd_config_resolve_defaults(&cfg);
		const ksd_cleaner_settings *c = &cfg.cleaner;
		check(c->threads >= 1 && c->threads <= 1024);
		check(c->load_factor > 0 && c->load_factor <= 1);
		/* never more than the 2 GiB per-thread cap allows */
		check(ksd_cleaner_capacity(c) <= 89478485u);
	} else {
		check(rc == KSD_ERR_INVAL || rc == KSD_ERR_NOMEM);
		check(err[0] != '\0' || rc == KSD_ERR_NOMEM);
		check(strlen(err) < sizeof err);
	}

	/* log_dirs is optional */
	ksd_config_init(&cfg);
	(void)ksd_config_load_properties(&cfg, fuzz_scratch_path("properties"), NULL, NULL, NULL, 0);
}

/* The checkpoint parser the scan reads recovery points and cleaner
 * checkpoints with (ksd_load_logdir_checkpoints). */
static void parse_checkpoints(const uint8_t *data, size_t size)
{
	ksd_tp_offset v[8];
	ksd_checkpoint_info info;
	(void)ksd_parse_offset_checkpoint((const char *)data, size, NULL, 0, &info);
	(void)ksd_parse_offset_checkpoint((const char *)data, size, v, 8, &info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_scratch_write("properties", data, size))
		return 0;
	load_properties();
	parse_checkpoints(data, size);
	return 0;
}
