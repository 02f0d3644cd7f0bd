/*
 * ksd/qops.h - the quarantine engine: the only code that moves, cuts,
 * restores and deletes files of a log dir.
 *
 * An operation lives in its own directory "<root>/<UTC yyyymmddThhmmssZ>-<pid>[-n]/"
 * holding a manifest (docs/quarantine-format.md) and files/<partition>/<name>.
 * The manifest is written before anything moves and rewritten atomically
 * (tmp, fsync, rename, fsync dir) at every unit state change, so after a
 * crash at any point ksd_qop_recover can tell, file by file and proven by
 * sha256, where each byte is and put every unit fully in place or fully in
 * quarantine.  Kafka's .lock of every log dir involved is held throughout.
 * Nothing here prints.
 */
#ifndef KSD_QOPS_H
#define KSD_QOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/error.h"
#include "ksd/quarantine.h"

/*
 * Called before every step that changes the disk.  Step names: "lock",
 * "mkdir", "journal", "copy", "fsync", "rename", "unlink", "truncate",
 * "fsync-dir", "chown", "chmod", "utimens", "append".  Return 0 to go on, or
 * an errno value to make that step fail as if the syscall had (tests).
 */
typedef int (*ksd_qfault_fn)(void *ud, const char *step, const char *path);

typedef struct ksd_qop_opts {
	const char *quarantine_root; /* NULL: ksd_quarantine_default_root(first unit's logdir) */
	const char *label;           /* recorded in the manifest (e.g. the command line) */
	ksd_qfault_fn fault;
	void *fault_ud;
} ksd_qop_opts;

typedef struct ksd_qop_result {
	char *opdir, *manifest; /* owned; set as soon as the operation dir exists */
	size_t units_done, units_total;
	uint64_t bytes_moved;
	char msg[1024]; /* on failure: which step, which file, errno text, and the state left */
} ksd_qop_result;

void ksd_qop_result_free(ksd_qop_result *r);

/* Quarantines units (all-or-nothing per unit; stops at the first failed
 * unit after rolling it back).  Recovers incomplete operations under the
 * same root first. */
ksd_err ksd_qop_apply(const ksd_qunit *units, size_t n, const ksd_qop_opts *o, ksd_qop_result *res);
/* Brings every unit of an interrupted operation to a final state: an
 * interrupted quarantine is rolled back, an interrupted restore finished.
 * Units being purged are left to ksd_qop_purge (recover never deletes). */
ksd_err ksd_qop_recover(const char *opdir_or_manifest, const ksd_qop_opts *o, ksd_qop_result *res);
/* Puts every quarantined unit back byte for byte (recovering first).
 * KSD_ERR_CONFLICT when a destination holds a different file.  dry_run:
 * checks and counts only; res->msg lists nothing (use the manifest). */
ksd_err ksd_qop_restore(const char *opdir_or_manifest, bool dry_run, const ksd_qop_opts *o,
			ksd_qop_result *res);
/* Deletes the quarantined files of a complete operation; never live files.
 * KSD_ERR_REFUSED when a unit is mid-move (recover first). */
ksd_err ksd_qop_purge(const char *opdir_or_manifest, bool dry_run, const ksd_qop_opts *o,
		      ksd_qop_result *res);

/* ---- read-only manifest view (listings, the CLI's plans) ---- */

typedef enum ksd_qstate {
	KSD_QS_PLANNED = 0,  /* recorded, nothing moved */
	KSD_QS_MOVING,       /* apply in progress */
	KSD_QS_QUARANTINED,  /* every file in the operation dir (tail: live .log cut) */
	KSD_QS_ROLLING_BACK, /* apply failed, undo in progress */
	KSD_QS_ROLLED_BACK,  /* every file back in place; nothing quarantined */
	KSD_QS_RESTORING,    /* restore in progress */
	KSD_QS_RESTORED,     /* every file back in place */
	KSD_QS_PURGING,      /* purge in progress */
	KSD_QS_PURGED,       /* quarantined files deleted */
	KSD_QS__COUNT
} ksd_qstate;

const char *ksd_qstate_name(ksd_qstate s);
bool ksd_qstate_final(ksd_qstate s);

typedef struct ksd_qmfile {
	ksd_qfile f;        /* original path and its state at apply time */
	char *qpath;        /* relative to the operation dir (files/<partition>/<name>[.tail]) */
	uint64_t qsize;     /* bytes stored in quarantine (tail: size - cut_at) */
	uint8_t qsha256[32];      /* of the stored bytes */
	uint8_t prefix_sha256[32]; /* cut files: of bytes [0, cut_at) left live */
} ksd_qmfile;

typedef struct ksd_qmunit {
	ksd_qunit_kind kind;
	ksd_qstate state;
	char *logdir, *partition, *reason;
	int64_t base_offset;
	uint64_t cut_at;
	ksd_qmfile *files;
	size_t nfiles;
} ksd_qmunit;

typedef struct ksd_qmanifest {
	int version;
	char *id, *label, *host, *root;
	int64_t created_ns;
	ksd_qmunit *units;
	size_t nunits;
} ksd_qmanifest;

/* Manifest file name inside an operation dir. */
#define KSD_QMANIFEST_NAME "manifest.ksdq"

/* Parses manifest text (hostile input: bounded, never trusts a count).
 * KSD_ERR_FORMAT with *line set to the first bad line. */
ksd_err ksd_qmanifest_parse(const char *text, size_t len, ksd_qmanifest *m, size_t *line);
/* Loads an operation dir's manifest (or a manifest path). */
ksd_err ksd_qmanifest_load(const char *opdir_or_manifest, ksd_qmanifest *m, size_t *line);
/* Serializes to a malloc'ed NUL-terminated string. */
ksd_err ksd_qmanifest_format(const ksd_qmanifest *m, char **out, size_t *len);
void ksd_qmanifest_free(ksd_qmanifest *m);

#endif
