/*
 * Fuzz target: arbitrary bytes as a quarantine manifest
 * (ksd_qmanifest_parse, the text restore and purge act on).  Checks what
 * an accepted manifest must satisfy: it formats back to text that parses
 * to the same formatting (a fixed point), every live path is
 * <logdir>/<partition>/<name>, every quarantined path stays under files/,
 * and tail sizes add up.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksd/qops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_unit(const ksd_qmunit *u)
{
	check(u->nfiles >= 1 && u->nfiles <= 16 && u->logdir[0] == '/');
	size_t ll = strlen(u->logdir);
	for (size_t i = 0; i < u->nfiles; i++) {
		const ksd_qmfile *f = &u->files[i];
		check(strncmp(f->qpath, "files/", 6) == 0 && !strstr(f->qpath, "/../") &&
		      !strstr(f->qpath, "/./"));
		check(strncmp(f->f.path, u->logdir, ll) == 0 && !strstr(f->f.path, "/../"));
		if (f->f.cut)
			check(u->kind == KSD_QU_TAIL && u->cut_at <= f->f.size &&
			      f->qsize == f->f.size - u->cut_at);
		else
			check(f->qsize == f->f.size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksd_qmanifest m;
	size_t line = 0;
	ksd_err rc = ksd_qmanifest_parse((const char *)data, size, &m, &line);
	if (rc != KSD_OK) {
		check(rc == KSD_ERR_FORMAT || rc == KSD_ERR_NOMEM || rc == KSD_ERR_OVERFLOW);
		return 0;
	}
	for (size_t i = 0; i < m.nunits; i++)
		check_unit(&m.units[i]);
	char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	check(ksd_qmanifest_format(&m, &a, &al) == KSD_OK);
	ksd_qmanifest m2;
	check(ksd_qmanifest_parse(a, al, &m2, &line) == KSD_OK);
	check(ksd_qmanifest_format(&m2, &b, &bl) == KSD_OK);
	check(al == bl && memcmp(a, b, al) == 0 && m2.nunits == m.nunits);
	free(a);
	free(b);
	ksd_qmanifest_free(&m2);
	ksd_qmanifest_free(&m);
	return 0;
}
