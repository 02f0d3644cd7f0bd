/*
 * qdriver - test-only entry into the quarantine engine, so the crash
 * suite does not depend on the planner's `quarantine` command.
 *
 *   qdriver apply ROOT UNIT...   UNIT: seg:LOGDIR:PARTITION:BASE
 *                                      tail:LOGDIR:PARTITION:BASE:CUT_AT
 *                                      idx:LOGDIR:PARTITION:BASE
 *   qdriver recover|restore|purge OPDIR
 *
 * The KSEGDOCTOR_FAULT hook of the CLI is installed.  Prints the operation
 * dir on stdout; the engine's message on stderr.  Exit 0 ok, 1 engine
 * error (3 + ksd_err in the message), 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/qfault.h"
#include "ksd/qops.h"

static int add_file(ksd_qunit *u, const char *logdir, const char *part, int64_t base, const char *ext,
		    bool cut)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s/%020" PRId64 "%s", logdir, part, base, ext);
	ksd_qfile f;
	ksd_err rc = ksd_qfile_stat(path, &f);
	if (rc == KSD_ERR_NOENT)
		return 0;
	if (rc != KSD_OK) {
		fprintf(stderr, "qdriver: %s: %s\n", path, ksd_strerror(rc));
		return -1;
	}
	f.cut = cut;
	u->files = realloc(u->files, (u->nfiles + 1) * sizeof *u->files);
	u->files[u->nfiles++] = f;
	return 0;
}

static int build_unit(char *spec, ksd_qunit *u)
{
	memset(u, 0, sizeof *u);
	char *kind = strtok(spec, ":"), *logdir = strtok(NULL, ":"), *part = strtok(NULL, ":"),
	     *base = strtok(NULL, ":"), *cut = strtok(NULL, ":");
	if (!kind || !logdir || !part || !base)
		return -1;
	u->logdir = strdup(logdir);
	u->partition = strdup(part);
	u->base_offset = strtoll(base, NULL, 10);
	u->reason = "explicit";
	static const char *const exts[] = {".log", ".index", ".timeindex", ".txnindex"};
	if (strcmp(kind, "seg") == 0) {
		u->kind = KSD_QU_SEGMENT;
		for (int i = 0; i < 4; i++)
			if (add_file(u, logdir, part, u->base_offset, exts[i], false))
				return -1;
	} else if (strcmp(kind, "tail") == 0 && cut) {
		u->kind = KSD_QU_TAIL;
		u->cut_at = strtoull(cut, NULL, 10);
		if (add_file(u, logdir, part, u->base_offset, ".log", true))
			return -1;
		for (int i = 1; i < 4; i++)
			if (add_file(u, logdir, part, u->base_offset, exts[i], false))
				return -1;
	} else if (strcmp(kind, "idx") == 0) {
		u->kind = KSD_QU_DROP_INDEX;
		for (int i = 1; i < 3; i++)
			if (add_file(u, logdir, part, u->base_offset, exts[i], false))
				return -1;
	} else {
		return -1;
	}
	return u->nfiles ? 0 : -1;
}

static int report(ksd_err rc, ksd_qop_result *r)
{
	if (r->opdir)
		printf("%s\n", r->opdir);
	if (rc != KSD_OK)
		fprintf(stderr, "qdriver: %s: %s\n", ksd_strerror(rc), r->msg);
	else
		fprintf(stderr, "qdriver: ok, %zu of %zu unit(s), %" PRIu64 " bytes\n", r->units_done,
			r->units_total, r->bytes_moved);
	ksd_qop_result_free(r);
	return rc == KSD_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: qdriver apply ROOT UNIT... | recover|restore|purge OPDIR\n");
		return 2;
	}
	ksd_qop_opts o = {.label = "qdriver"};
	qfault_install(&o);
	ksd_qop_result r = {0};
	if (strcmp(argv[1], "apply") == 0) {
		o.quarantine_root = argv[2];
		size_t n = (size_t)(argc - 3);
		ksd_qunit *u = calloc(n ? n : 1, sizeof *u);
		for (size_t i = 0; i < n; i++)
			if (build_unit(argv[3 + i], &u[i]) != 0) {
				fprintf(stderr, "qdriver: bad unit %zu\n", i + 1);
				return 2;
			}
		int ex = report(ksd_qop_apply(u, n, &o, &r), &r);
		for (size_t i = 0; i < n; i++)
			ksd_qunit_free(&u[i]);
		free(u);
		return ex;
	}
	if (strcmp(argv[1], "recover") == 0)
		return report(ksd_qop_recover(argv[2], &o, &r), &r);
	if (strcmp(argv[1], "restore") == 0)
		return report(ksd_qop_restore(argv[2], false, &o, &r), &r);
	if (strcmp(argv[1], "purge") == 0)
		return report(ksd_qop_purge(argv[2], false, &o, &r), &r);
	fprintf(stderr, "qdriver: unknown mode %s\n", argv[1]);
	return 2;
}
