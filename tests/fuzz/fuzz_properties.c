/*
 * Fuzz target: arbitrary bytes as a broker's server.properties
 * (ksd_config_load_properties) and as a text checkpoint file
 * (ksd_checkpoint_lookup).  Both read a path, so the input goes to one
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

static void lookup_checkpoints(void)
{
	static const struct {
		const char *topic;
		int32_t partition;
	} keys[] = {
		{"topic", 0}, {"t", 1}, {"__consumer_offsets", 49}, {"", 0}, {"a", -1},
	};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		int64_t v = ksd_checkpoint_lookup(fuzz_scratch_path("properties"), keys[i].topic, keys[i].partition);
		(void)v;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_scratch_write("properties", data, size))
		return 0;
	load_properties();
	lookup_checkpoints();
	return 0;
}
