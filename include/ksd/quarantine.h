/*
 * ksd/quarantine.h - the contract between planning a repair and carrying
 * it out.
 *
 * A repair is a list of units.  A unit is what must move together so the
 * broker never sees half of it: a segment family (.log with its .index,
 * .timeindex, .txnindex), a segment's tail cut off at a byte, or a
 * segment's indexes dropped so the broker rebuilds that one segment.
 * Planning (ksd/qplan.h) decides the units, their preconditions and what
 * would be lost; the engine (ksd/qops.h) moves them into an operation
 * directory outside every log dir, journaling each step in the operation's
 * manifest so that a crash at any point can be finished or undone
 * (`restore`).  Both sides only ever see these types.
 */
#ifndef KSD_QUARANTINE_H
#define KSD_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"

typedef enum ksd_qunit_kind {
	KSD_QU_SEGMENT = 0,    /* move the whole family */
	KSD_QU_TAIL = 1,       /* cut the .log at cut_at into quarantine; drop its indexes */
	KSD_QU_DROP_INDEX = 2, /* move .index (and .timeindex): the broker rebuilds the segment */
} ksd_qunit_kind;

/* One file of a unit, as it was when the plan was made.  The engine
 * refuses to touch a file whose size, mtime or sha256 changed since. */
typedef struct ksd_qfile {
	char *path;            /* absolute path of the live file (owned) */
	uint64_t size;
	int64_t mtime_ns;      /* st_mtim, nanoseconds since the epoch */
	uint32_t mode, uid, gid;
	uint8_t sha256[32];
	bool cut;              /* KSD_QU_TAIL: this file is cut, not moved */
} ksd_qfile;

typedef struct ksd_qunit {
	ksd_qunit_kind kind;
	char *logdir;          /* the log dir root (locked during apply; owned) */
	char *partition;       /* partition dir name, e.g. __consumer_offsets-17 (owned) */
	int64_t base_offset;
	uint64_t cut_at;       /* KSD_QU_TAIL: bytes kept in the .log */
	const char *reason;    /* a finding code, or "explicit" (static) */
	ksd_qfile *files;      /* owned */
	size_t nfiles;
} ksd_qunit;

/* Fills f from the file at path: size, mtime, mode, owner, sha256.
 * KSD_ERR_IO with errno on failure. */
ksd_err ksd_qfile_stat(const char *path, ksd_qfile *f);

/* SHA-256 of a whole file, read in large chunks (hardware-accelerated by
 * libcrypto where the CPU has SHA extensions). */
ksd_err ksd_sha256_file(const char *path, uint8_t out[32], uint64_t *size);
/* SHA-256 of bytes [from, from+len) of an open file. */
ksd_err ksd_sha256_range(int fd, uint64_t from, uint64_t len, uint8_t out[32]);
void ksd_sha256_hex(const uint8_t digest[32], char out[65]);

void ksd_qunit_free(ksd_qunit *u);

/*
 * Where quarantined material goes by default: a sibling of the log dir on
 * the same filesystem, "<parent>/ksegdoctor-quarantine", with one folder
 * per operation.  Never inside a log dir root, never named like a
 * partition (-delete/-future/-stray): a broker must never load it.
 * malloc'ed, NULL on OOM.
 */
char *ksd_quarantine_default_root(const char *logdir);

/*
 * True when dir may hold quarantined material for these log dirs: not
 * equal to or inside any of them, and its last component does not parse
 * as a partition name.  On false, *why says which rule failed (static).
 */
bool ksd_quarantine_root_ok(const char *dir, const char *const *logdirs, size_t nlogdirs,
			    const char **why);

#endif
