/*
 * qops.c - the quarantine engine (ksd/qops.h): the one module that moves,
 * cuts, restores and deletes files of a log dir.
 *
 * Crash safety rests on three rules (docs/quarantine-format.md):
 *  1. the manifest naming every file, its size, mode, owner, mtime and
 *     sha256 is durable before anything moves, and each unit's state
 *     change is journaled (atomic rewrite + directory fsync) before and
 *     after its files move;
 *  2. a file is only ever renamed (atomic), or copied to a temporary name,
 *     fsynced, verified by sha256 and renamed before its source is
 *     unlinked, so at every instant each file exists complete in at least
 *     one place;
 *  3. recovery never trusts the journal for where bytes are: for a unit
 *     in flux it looks at both places, proves each candidate by sha256 and
 *     converges towards "in place" (an interrupted quarantine is undone, an
 *     interrupted restore finished).  Only purge deletes, and only files
 *     inside the operation dir.
 * Kafka's .lock (fcntl write lock, what FileChannel.tryLock takes on
 * Linux) of each log dir involved is held for the whole operation, and the
 * operation dir itself is flock'ed so two tools never work on one
 * operation.  Every step that changes the disk first asks the fault hook.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ksd/names.h"
#include "ksd/qops.h"

#define PART_SUFFIX ".ksdpart"
enum { COPY_CHUNK = 1 << 20, MAX_LOCKS = 64 };

/* ---- context ------------------------------------------------------------ */

typedef struct lockent {
	dev_t dev;
	ino_t ino;
	int fd;
} lockent;

typedef struct lockset {
	lockent l[MAX_LOCKS];
	size_t n;
} lockset;

typedef struct qctx {
	const ksd_qop_opts *o;
	ksd_qop_result *res;
	ksd_qmanifest m;
	char opdir[PATH_MAX];
	char mpath[PATH_MAX];
	int opfd; /* flock'ed operation dir, -1 when none */
	lockset *locks;
	bool failed; /* res->msg holds the first failure */
} qctx;

static void ctx_init(qctx *c, const ksd_qop_opts *o, ksd_qop_result *res, lockset *locks)
{
	memset(c, 0, sizeof *c);
	c->o = o;
	c->res = res;
	c->opfd = -1;
	c->locks = locks;
}

static void ctx_free(qctx *c)
{
	if (c->opfd >= 0)
		close(c->opfd);
	c->opfd = -1;
	ksd_qmanifest_free(&c->m);
}

static void unlock_all(lockset *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		close(ls->l[i].fd); /* closing releases the fcntl lock */
	ls->n = 0;
}

/* First failure wins: later ones are consequences. */
__attribute__((format(printf, 2, 3))) static void note(qctx *c, const char *fmt, ...)
{
	if (c->failed || !c->res)
		return;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res->msg, sizeof c->res->msg, fmt, ap);
	va_end(ap);
}

/* Appends to res->msg (the state left behind). */
__attribute__((format(printf, 2, 3))) static void append(qctx *c, const char *fmt, ...)
{
	if (!c->res)
		return;
	size_t n = strlen(c->res->msg);
	if (n + 1 >= sizeof c->res->msg)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res->msg + n, sizeof c->res->msg - n, fmt, ap);
	va_end(ap);
}

static ksd_err sys_fail(qctx *c, const char *step, const char *path, int err)
{
	note(c, "step '%s' failed on %s: %s", step, path, strerror(err));
	errno = err;
	return KSD_ERR_IO;
}

/* Asks the fault hook; 0 to go on, else the errno to fail with. */
static int fault(qctx *c, const char *step, const char *path)
{
	if (!c->o || !c->o->fault)
		return 0;
	return c->o->fault(c->o->fault_ud, step, path);
}

/* snprintf for paths: false when the result would not fit (the caller
 * then fails with ENAMETOOLONG instead of using a cut path). */
__attribute__((format(printf, 3, 4))) static bool pathf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return w >= 0 && (size_t)w < cap;
}

static bool join(char *out, size_t cap, const char *a, const char *b)
{
	return pathf(out, cap, "%s/%s", a, b);
}

static void dir_of(const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "%s", path);
	char *s = strrchr(out, '/');
	if (s && s != out)
		*s = '\0';
	else if (s)
		s[1] = '\0';
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- syscall steps (fault hook + error text) ----------------------------- */

static ksd_err step_fsync_fd(qctx *c, int fd, const char *path)
{
	int e = fault(c, "fsync", path);
	if (!e && fsync(fd) != 0)
		e = errno;
	return e ? sys_fail(c, "fsync", path, e) : KSD_OK;
}

static ksd_err step_fsync_dir(qctx *c, const char *dir)
{
	int e = fault(c, "fsync-dir", dir);
	if (!e) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) != 0)
			e = errno;
		if (fd >= 0)
			close(fd);
	}
	return e ? sys_fail(c, "fsync-dir", dir, e) : KSD_OK;
}

/* rename; *exdev set (and no failure noted) when the two sides are on
 * different filesystems, real or injected. */
static ksd_err step_rename(qctx *c, const char *from, const char *to, bool *exdev)
{
	int e = fault(c, "rename", from);
	if (!e && rename(from, to) != 0)
		e = errno;
	if (e == EXDEV && exdev) {
		*exdev = true;
		return KSD_ERR_IO;
	}
	return e ? sys_fail(c, "rename", from, e) : KSD_OK;
}

static ksd_err step_unlink(qctx *c, const char *path)
{
	int e = fault(c, "unlink", path);
	if (!e && unlink(path) != 0 && errno != ENOENT)
		e = errno;
	return e ? sys_fail(c, "unlink", path, e) : KSD_OK;
}

static ksd_err step_mkdir(qctx *c, const char *path, bool may_exist)
{
	int e = fault(c, "mkdir", path);
	if (!e && mkdir(path, 0700) != 0 && !(may_exist && errno == EEXIST))
		e = errno;
	return e ? sys_fail(c, "mkdir", path, e) : KSD_OK;
}

static ksd_err write_all(qctx *c, int fd, const void *buf, size_t n, const char *path)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return sys_fail(c, "write", path, w < 0 ? errno : EIO);
		p += w;
		n -= (size_t)w;
	}
	return KSD_OK;
}

/* Owner, mode and mtime of f on an open descriptor (owner only as root:
 * nobody else may give files away). */
static ksd_err set_attrs(qctx *c, int fd, const ksd_qfile *f, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return sys_fail(c, "stat", path, errno);
	int e = 0;
	if (geteuid() == 0 && (st.st_uid != f->uid || st.st_gid != f->gid)) {
		e = fault(c, "chown", path);
		if (!e && fchown(fd, f->uid, f->gid) != 0)
			e = errno;
		if (e)
			return sys_fail(c, "chown", path, e);
	}
	if ((st.st_mode & 07777) != (f->mode & 07777)) {
		e = fault(c, "chmod", path);
		if (!e && fchmod(fd, f->mode & 07777) != 0)
			e = errno;
		if (e)
			return sys_fail(c, "chmod", path, e);
	}
	int64_t now_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (now_ns != f->mtime_ns) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT},
					 {.tv_sec = f->mtime_ns / 1000000000,
					  .tv_nsec = f->mtime_ns % 1000000000}};
		if (ts[1].tv_nsec < 0) {
			ts[1].tv_sec -= 1;
			ts[1].tv_nsec += 1000000000;
		}
		e = fault(c, "utimens", path);
		if (!e && futimens(fd, ts) != 0)
			e = errno;
		if (e)
			return sys_fail(c, "utimens", path, e);
	}
	return KSD_OK;
}

static ksd_err set_attrs_path(qctx *c, const char *path, const ksd_qfile *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return sys_fail(c, "open", path, errno);
	ksd_err rc = set_attrs(c, fd, f, path);
	close(fd);
	return rc;
}

/* Copies bytes [from, from+len) of src_fd to the end of dst_fd. */
static ksd_err copy_range(qctx *c, int src_fd, uint64_t from, uint64_t len, int dst_fd,
			  const char *dst)
{
	int e = fault(c, "copy", dst);
	if (e)
		return sys_fail(c, "copy", dst, e);
	char *buf = malloc(COPY_CHUNK);
	if (!buf) {
		note(c, "out of memory copying to %s", dst);
		return KSD_ERR_NOMEM;
	}
	ksd_err rc = KSD_OK;
	uint64_t done = 0;
	while (rc == KSD_OK && done < len) {
		size_t want = len - done < COPY_CHUNK ? (size_t)(len - done) : COPY_CHUNK;
		ssize_t r = pread(src_fd, buf, want, (off_t)(from + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = sys_fail(c, "copy", dst, r < 0 ? errno : EIO);
			break;
		}
		rc = write_all(c, dst_fd, buf, (size_t)r, dst);
		done += (uint64_t)r;
	}
	free(buf);
	return rc;
}

static bool sha_eq(const uint8_t a[32], const uint8_t b[32]) { return memcmp(a, b, 32) == 0; }

/* Does path hold exactly size bytes with this sha256?  false when absent. */
static bool holds(const char *path, uint64_t size, const uint8_t sha[32])
{
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		return false;
	uint8_t d[32];
	uint64_t n = 0;
	return ksd_sha256_file(path, d, &n) == KSD_OK && n == size && sha_eq(d, sha);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/*
 * Copies src (size bytes [from, from+len)) to dst through dst.ksdpart:
 * create, attributes, bytes, fsync, sha256 check, rename, fsync dir.  The
 * source is left alone; the caller unlinks it once this returned OK.
 */
static ksd_err copy_verified(qctx *c, const char *src, uint64_t from, uint64_t len,
			     const uint8_t want_sha[32], const ksd_qfile *attrs, const char *dst)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (!pathf(tmp, sizeof tmp, "%s%s", dst, PART_SUFFIX))
		return sys_fail(c, "copy", dst, ENAMETOOLONG);
	dir_of(dst, dir, sizeof dir);
	int sfd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (sfd < 0)
		return sys_fail(c, "open", src, errno);
	ksd_err rc = step_unlink(c, tmp); /* a stale temporary from a crash */
	int dfd = -1;
	if (rc == KSD_OK) {
		dfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (dfd < 0)
			rc = sys_fail(c, "create", tmp, errno);
	}
	if (rc == KSD_OK)
		rc = copy_range(c, sfd, from, len, dfd, tmp);
	if (rc == KSD_OK)
		rc = step_fsync_fd(c, dfd, tmp);
	if (rc == KSD_OK && attrs)
		rc = set_attrs(c, dfd, attrs, tmp);
	if (dfd >= 0 && close(dfd) != 0 && rc == KSD_OK)
		rc = sys_fail(c, "close", tmp, errno);
	close(sfd);
	if (rc == KSD_OK && !holds(tmp, len, want_sha)) {
		note(c, "the copy %s does not hold the expected bytes (sha256 differs)", tmp);
		rc = KSD_ERR_IO;
	}
	if (rc == KSD_OK)
		rc = step_rename(c, tmp, dst, NULL);
	if (rc == KSD_OK)
		rc = step_fsync_dir(c, dir);
	if (rc != KSD_OK)
		(void)unlink(tmp); /* best effort: recover removes it otherwise */
	return rc;
}

/* Moves a whole file: rename, or on another filesystem a verified copy and
 * then the unlink of the source; both directories fsynced. */
static ksd_err move_file(qctx *c, const char *from, const char *to, const ksd_qfile *f)
{
	char fdir[PATH_MAX], tdir[PATH_MAX];
	dir_of(from, fdir, sizeof fdir);
	dir_of(to, tdir, sizeof tdir);
	if (exists(to)) {
		note(c, "refusing to overwrite %s", to);
		return KSD_ERR_CONFLICT;
	}
	bool exdev = false;
	ksd_err rc = step_rename(c, from, to, &exdev);
	if (rc != KSD_OK && exdev) {
		rc = copy_verified(c, from, 0, f->size, f->sha256, f, to);
		if (rc == KSD_OK)
			rc = step_unlink(c, from);
	}
	if (rc == KSD_OK)
		rc = step_fsync_dir(c, tdir);
	if (rc == KSD_OK)
		rc = step_fsync_dir(c, fdir);
	return rc;
}

/* ---- locks ------------------------------------------------------------- */

static bool lock_known(const lockset *ls, const struct stat *st)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->l[i].dev == st->st_dev && ls->l[i].ino == st->st_ino)
			return true;
	return false;
}

/* The broker's lock: <logdir>/.lock, fcntl write lock over the whole file.
 * A second open+close of the same file would drop our lock (POSIX locks
 * are per process and inode), so a file already held is never reopened. */
static ksd_err lock_logdir(qctx *c, const char *logdir)
{
	char path[PATH_MAX];
	if (!join(path, sizeof path, logdir, ".lock"))
		return sys_fail(c, "lock", logdir, ENAMETOOLONG);
	struct stat st;
	if (stat(path, &st) == 0 && lock_known(c->locks, &st))
		return KSD_OK;
	if (c->locks->n == MAX_LOCKS) {
		note(c, "too many log dirs in one operation (at most %d)", MAX_LOCKS);
		return KSD_ERR_OVERFLOW;
	}
	int e = fault(c, "lock", path);
	if (e)
		return sys_fail(c, "lock", path, e);
	bool existed = stat(path, &st) == 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return sys_fail(c, "lock", path, errno);
	struct stat dst;
	if (!existed && geteuid() == 0 && stat(logdir, &dst) == 0 && fchown(fd, dst.st_uid, dst.st_gid) != 0) {
		int err = errno;
		close(fd);
		return sys_fail(c, "chown", path, err);
	}
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int err = errno;
		struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		long pid = fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? (long)q.l_pid : -1;
		close(fd);
		if (err == EACCES || err == EAGAIN) {
			note(c, "log dir %s is locked by process %ld (a running broker?): stop it first", logdir,
			     pid);
			return KSD_ERR_LOCKED;
		}
		return sys_fail(c, "lock", path, err);
	}
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return sys_fail(c, "lock", path, err);
	}
	c->locks->l[c->locks->n++] = (lockent){.dev = st.st_dev, .ino = st.st_ino, .fd = fd};
	return KSD_OK;
}

static ksd_err lock_manifest_logdirs(qctx *c)
{
	for (size_t i = 0; i < c->m.nunits; i++) {
		ksd_err rc = lock_logdir(c, c->m.units[i].logdir);
		if (rc != KSD_OK)
			return rc;
	}
	return KSD_OK;
}

/* One tool per operation dir at a time. */
static ksd_err lock_opdir(qctx *c)
{
	c->opfd = open(c->opdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->opfd < 0)
		return sys_fail(c, "open", c->opdir, errno);
	if (flock(c->opfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			note(c, "operation %s is in use by another ksegdoctor", c->opdir);
			return KSD_ERR_LOCKED;
		}
		return sys_fail(c, "lock", c->opdir, errno);
	}
	return KSD_OK;
}

/* ---- journal ------------------------------------------------------------ */

/* Rewrites the manifest atomically: .tmp, fsync, rename, fsync dir. */
static ksd_err journal(qctx *c)
{
	int e = fault(c, "journal", c->mpath);
	if (e)
		return sys_fail(c, "journal", c->mpath, e);
	char *text = NULL;
	size_t len = 0;
	if (ksd_qmanifest_format(&c->m, &text, &len) != KSD_OK) {
		note(c, "out of memory writing the manifest");
		return KSD_ERR_NOMEM;
	}
	char tmp[PATH_MAX];
	pathf(tmp, sizeof tmp, "%s.tmp", c->mpath);
	ksd_err rc = KSD_OK;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		rc = sys_fail(c, "journal", tmp, errno);
	if (rc == KSD_OK)
		rc = write_all(c, fd, text, len, tmp);
	if (rc == KSD_OK && fsync(fd) != 0)
		rc = sys_fail(c, "journal", tmp, errno);
	if (fd >= 0 && close(fd) != 0 && rc == KSD_OK)
		rc = sys_fail(c, "journal", tmp, errno);
	if (rc == KSD_OK && rename(tmp, c->mpath) != 0)
		rc = sys_fail(c, "journal", c->mpath, errno);
	if (rc == KSD_OK) {
		int dfd = open(c->opdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) != 0)
			rc = sys_fail(c, "journal", c->opdir, errno);
		if (dfd >= 0)
			close(dfd);
	}
	if (rc != KSD_OK)
		(void)unlink(tmp); /* best effort; the manifest itself is intact either way */
	free(text);
	return rc;
}

static ksd_err set_state(qctx *c, ksd_qmunit *u, ksd_qstate s)
{
	ksd_qstate old = u->state;
	u->state = s;
	ksd_err rc = journal(c);
	if (rc != KSD_OK)
		u->state = old; /* what the disk says */
	return rc;
}

/* ---- where a unit's bytes are ------------------------------------------- */

static bool qpath_abs(const qctx *c, const ksd_qmfile *f, char *out, size_t cap)
{
	return join(out, cap, c->opdir, f->qpath);
}

/* Removes our temporaries next to both places of a file. */
static ksd_err drop_partials(qctx *c, const char *live, const char *q)
{
	char tmp[PATH_MAX];
	const char *both[2] = {live, q};
	for (int i = 0; i < 2; i++) {
		pathf(tmp, sizeof tmp, "%s%s", both[i], PART_SUFFIX);
		if (exists(tmp)) {
			char dir[PATH_MAX];
			dir_of(tmp, dir, sizeof dir);
			ksd_err rc = step_unlink(c, tmp);
			if (rc == KSD_OK)
				rc = step_fsync_dir(c, dir);
			if (rc != KSD_OK)
				return rc;
		}
	}
	return KSD_OK;
}

/* A whole (uncut) file back at its live path, proven by sha256. */
static ksd_err place_whole(qctx *c, const ksd_qmfile *f, uint64_t *moved)
{
	char q[PATH_MAX];
	if (!qpath_abs(c, f, q, sizeof q))
		return sys_fail(c, "restore", f->qpath, ENAMETOOLONG);
	const char *live = f->f.path;
	ksd_err rc = drop_partials(c, live, q);
	if (rc != KSD_OK)
		return rc;
	if (holds(live, f->f.size, f->f.sha256)) {
		if (exists(q)) { /* a verified copy was made and not yet unlinked */
			char qdir[PATH_MAX];
			dir_of(q, qdir, sizeof qdir);
			if ((rc = step_unlink(c, q)) != KSD_OK || (rc = step_fsync_dir(c, qdir)) != KSD_OK)
				return rc;
		}
		return set_attrs_path(c, live, &f->f);
	}
	if (exists(live)) {
		note(c, "%s holds a different file than the one quarantined (sha256 or size differs): "
			"refusing to overwrite it", live);
		return KSD_ERR_CONFLICT;
	}
	if (!holds(q, f->qsize, f->qsha256)) {
		note(c, "%s is missing and its quarantined copy %s is %s", live, q,
		     exists(q) ? "not the recorded bytes" : "missing too");
		return KSD_ERR_IO;
	}
	rc = move_file(c, q, live, &f->f);
	if (rc == KSD_OK)
		rc = set_attrs_path(c, live, &f->f);
	if (rc == KSD_OK)
		*moved += f->f.size;
	return rc;
}

/* Do bytes [from, from+len) of path hash to want?  Silent: a read
 * failure is just "no". */
static bool range_is(const char *path, uint64_t from, uint64_t len, const uint8_t want[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	uint8_t d[32];
	bool ok = ksd_sha256_range(fd, from, len, d) == KSD_OK && sha_eq(d, want);
	close(fd);
	return ok;
}

static ksd_err sha_of_range(qctx *c, const char *path, uint64_t from, uint64_t len, uint8_t out[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return sys_fail(c, "open", path, errno);
	ksd_err rc = ksd_sha256_range(fd, from, len, out);
	int e = errno;
	close(fd);
	if (rc != KSD_OK)
		return sys_fail(c, "read", path, rc == KSD_ERR_TRUNCATED ? EIO : e);
	return KSD_OK;
}

/* Appends quarantined tail bytes [have, qsize) to the live .log. */
static ksd_err append_tail(qctx *c, const ksd_qmfile *f, const char *q, uint64_t have)
{
	const char *live = f->f.path;
	int sfd = open(q, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (sfd < 0)
		return sys_fail(c, "open", q, errno);
	int dfd = open(live, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	ksd_err rc = KSD_OK;
	if (dfd < 0)
		rc = sys_fail(c, "open", live, errno);
	int e = rc == KSD_OK ? fault(c, "append", live) : 0;
	if (e)
		rc = sys_fail(c, "append", live, e);
	if (rc == KSD_OK)
		rc = copy_range(c, sfd, have, f->qsize - have, dfd, live);
	if (rc == KSD_OK)
		rc = step_fsync_fd(c, dfd, live);
	if (dfd >= 0)
		close(dfd);
	close(sfd);
	return rc;
}

/* The cut .log whole again: the live file is the recorded prefix plus a
 * prefix of the quarantined tail (an append cut short); append the rest.
 * Anything else at the live path is someone else's data: refuse. */
static ksd_err place_cut(qctx *c, const ksd_qmunit *u, const ksd_qmfile *f, uint64_t *moved)
{
	char q[PATH_MAX];
	if (!qpath_abs(c, f, q, sizeof q))
		return sys_fail(c, "restore", f->qpath, ENAMETOOLONG);
	const char *live = f->f.path;
	ksd_err rc = drop_partials(c, live, q);
	if (rc != KSD_OK)
		return rc;
	char qdir[PATH_MAX];
	dir_of(q, qdir, sizeof qdir);
	if (holds(live, f->f.size, f->f.sha256)) {
		if (exists(q) && ((rc = step_unlink(c, q)) != KSD_OK || (rc = step_fsync_dir(c, qdir)) != KSD_OK))
			return rc;
		return set_attrs_path(c, live, &f->f);
	}
	struct stat st;
	if (lstat(live, &st) != 0 || !S_ISREG(st.st_mode)) {
		note(c, "%s, cut at byte %" PRIu64 ", is gone: refusing to recreate a partial segment", live,
		     u->cut_at);
		return KSD_ERR_CONFLICT;
	}
	uint64_t size = (uint64_t)st.st_size;
	bool prefix_ok = size >= u->cut_at && size <= f->f.size &&
			 range_is(live, 0, u->cut_at, f->prefix_sha256);
	if (!prefix_ok) {
		note(c, "%s is no longer the %" PRIu64 "-byte prefix left by the cut (size %" PRIu64
			"): refusing to append the quarantined tail to it", live, u->cut_at, size);
		return KSD_ERR_CONFLICT;
	}
	if (!holds(q, f->qsize, f->qsha256)) {
		note(c, "the quarantined tail %s is %s", q, exists(q) ? "not the recorded bytes" : "missing");
		return KSD_ERR_IO;
	}
	uint64_t have = size - u->cut_at;
	if (have > 0) { /* an append cut short: it must be a prefix of the tail */
		uint8_t a[32], b[32];
		if ((rc = sha_of_range(c, live, u->cut_at, have, a)) != KSD_OK ||
		    (rc = sha_of_range(c, q, 0, have, b)) != KSD_OK)
			return rc;
		if (!sha_eq(a, b)) {
			note(c, "%s has %" PRIu64 " bytes beyond the cut that are not the quarantined tail: "
				"refusing to touch it", live, have);
			return KSD_ERR_CONFLICT;
		}
	}
	if ((rc = append_tail(c, f, q, have)) != KSD_OK)
		return rc;
	if (!holds(live, f->f.size, f->f.sha256)) {
		note(c, "%s does not hold the original bytes after re-appending its tail", live);
		return KSD_ERR_IO;
	}
	if ((rc = set_attrs_path(c, live, &f->f)) != KSD_OK || (rc = step_unlink(c, q)) != KSD_OK ||
	    (rc = step_fsync_dir(c, qdir)) != KSD_OK)
		return rc;
	*moved += f->qsize;
	return KSD_OK;
}

/* Every file of the unit at its live path with its recorded bytes and
 * attributes, the quarantine side emptied.  Idempotent: the one routine
 * behind rollback, recovery and restore. */
static ksd_err place_unit(qctx *c, const ksd_qmunit *u, uint64_t *moved)
{
	char pdir[PATH_MAX];
	for (size_t i = 0; i < u->nfiles; i++) {
		const ksd_qmfile *f = &u->files[i];
		ksd_err rc = f->f.cut ? place_cut(c, u, f, moved) : place_whole(c, f, moved);
		if (rc != KSD_OK)
			return rc;
	}
	if (u->nfiles > 0) {
		dir_of(u->files[0].f.path, pdir, sizeof pdir);
		return step_fsync_dir(c, pdir);
	}
	return KSD_OK;
}

/* Are the unit's destinations free (or already holding its bytes)?  Read
 * only; used before a restore changes anything. */
static ksd_err check_restorable(qctx *c, const ksd_qmunit *u)
{
	char pdir[PATH_MAX];
	dir_of(u->files[0].f.path, pdir, sizeof pdir);
	struct stat st;
	if (stat(pdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		note(c, "partition dir %s is gone (topic deleted or moved?): refusing to recreate it", pdir);
		return KSD_ERR_REFUSED;
	}
	for (size_t i = 0; i < u->nfiles; i++) {
		const ksd_qmfile *f = &u->files[i];
		if (f->f.cut) {
			struct stat ls;
			bool ok = holds(f->f.path, f->f.size, f->f.sha256) ||
				  (lstat(f->f.path, &ls) == 0 && (uint64_t)ls.st_size == u->cut_at &&
				   range_is(f->f.path, 0, u->cut_at, f->prefix_sha256));
			if (!ok) {
				note(c, "%s is no longer the %" PRIu64 "-byte prefix the cut left: refusing to "
					"append the quarantined tail", f->f.path, u->cut_at);
				return KSD_ERR_CONFLICT;
			}
		} else if (exists(f->f.path) && !holds(f->f.path, f->f.size, f->f.sha256)) {
			note(c, "%s now holds a different file (sha256 differs from the quarantined one): "
				"refusing to overwrite it", f->f.path);
			return KSD_ERR_CONFLICT;
		}
	}
	return KSD_OK;
}

/* ---- loading an operation --------------------------------------------- */

static ksd_err open_op(qctx *c, const char *opdir_or_manifest)
{
	struct stat st;
	if (stat(opdir_or_manifest, &st) != 0) {
		note(c, "%s: %s", opdir_or_manifest, strerror(errno));
		return errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
	}
	char dir[PATH_MAX];
	if (S_ISDIR(st.st_mode))
		pathf(dir, sizeof dir, "%s", opdir_or_manifest);
	else
		dir_of(opdir_or_manifest, dir, sizeof dir);
	if (!realpath(dir, c->opdir)) {
		note(c, "%s: %s", dir, strerror(errno));
		return KSD_ERR_IO;
	}
	if (!join(c->mpath, sizeof c->mpath, c->opdir,
		  S_ISDIR(st.st_mode) ? KSD_QMANIFEST_NAME : base_of(opdir_or_manifest))) {
		note(c, "%s: path too long", c->opdir);
		return KSD_ERR_OVERFLOW;
	}
	ksd_err rc = lock_opdir(c);
	if (rc != KSD_OK)
		return rc;
	size_t line = 0;
	rc = ksd_qmanifest_load(c->mpath, &c->m, &line);
	if (rc != KSD_OK) {
		if (line)
			note(c, "%s: line %zu is not a valid manifest line (%s)", c->mpath, line, ksd_strerror(rc));
		else
			note(c, "%s: %s", c->mpath, ksd_strerror(rc));
		return rc;
	}
	if (c->res) {
		free(c->res->opdir);
		free(c->res->manifest);
		c->res->opdir = strdup(c->opdir);
		c->res->manifest = strdup(c->mpath);
		c->res->units_total = c->m.nunits;
	}
	return KSD_OK;
}

/* Where an interrupted state converges (towards "in place"). */
static bool in_flux(ksd_qstate s, ksd_qstate *target)
{
	switch (s) {
	case KSD_QS_MOVING:
	case KSD_QS_ROLLING_BACK:
		*target = KSD_QS_ROLLED_BACK;
		return true;
	case KSD_QS_RESTORING:
		*target = KSD_QS_RESTORED;
		return true;
	default:
		return false;
	}
}

static ksd_err recover_units(qctx *c, size_t *converged)
{
	for (size_t i = 0; i < c->m.nunits; i++) {
		ksd_qmunit *u = &c->m.units[i];
		ksd_qstate target;
		if (!in_flux(u->state, &target))
			continue;
		uint64_t moved = 0;
		ksd_err rc = place_unit(c, u, &moved);
		if (rc == KSD_OK)
			rc = set_state(c, u, target);
		if (rc != KSD_OK) {
			append(c, "; unit %zu (%s base %" PRId64 ") is still %s: nothing was deleted, run "
				  "recover again once the cause is fixed", i + 1, u->partition, u->base_offset,
			       ksd_qstate_name(u->state));
			return rc;
		}
		++*converged;
	}
	return KSD_OK;
}

static ksd_err recover_locked(const char *opdir, const ksd_qop_opts *o, ksd_qop_result *res,
			      lockset *locks)
{
	qctx c;
	ctx_init(&c, o, res, locks);
	ksd_err rc = open_op(&c, opdir);
	if (rc == KSD_OK)
		rc = lock_manifest_logdirs(&c);
	size_t n = 0;
	if (rc == KSD_OK)
		rc = recover_units(&c, &n);
	if (rc == KSD_OK && res)
		res->units_done = n;
	ctx_free(&c);
	return rc;
}

ksd_err ksd_qop_recover(const char *opdir_or_manifest, const ksd_qop_opts *o, ksd_qop_result *res)
{
	if (!opdir_or_manifest)
		return KSD_ERR_INVAL;
	lockset locks = {.n = 0};
	ksd_err rc = recover_locked(opdir_or_manifest, o, res, &locks);
	unlock_all(&locks);
	return rc;
}

/* ---- restore ------------------------------------------------------------ */

static ksd_err quarantine_files(qctx *c, const ksd_qmunit *u, uint64_t *moved);

/* A failed restore puts the unit back into quarantine, so it is whole on
 * one side; if even that fails it stays "restoring" and the next restore
 * (or recover) finishes it. */
static void undo_restore(qctx *c, ksd_qmunit *u, size_t ui, size_t done)
{
	uint64_t ignored = 0;
	if (quarantine_files(c, u, &ignored) == KSD_OK && set_state(c, u, KSD_QS_QUARANTINED) == KSD_OK)
		append(c, "; unit %zu (%s base %" PRId64 ") is back in quarantine, whole", ui + 1, u->partition,
		       u->base_offset);
	else
		append(c, "; unit %zu (%s base %" PRId64 ") is recorded as %s: run restore again to finish it",
		       ui + 1, u->partition, u->base_offset, ksd_qstate_name(u->state));
	append(c, "; %zu unit(s) restored before it", done);
}

ksd_err ksd_qop_restore(const char *opdir_or_manifest, bool dry_run, const ksd_qop_opts *o,
			ksd_qop_result *res)
{
	if (!opdir_or_manifest)
		return KSD_ERR_INVAL;
	lockset locks = {.n = 0};
	qctx c;
	ctx_init(&c, o, res, &locks);
	ksd_err rc = open_op(&c, opdir_or_manifest);
	if (rc == KSD_OK)
		rc = lock_manifest_logdirs(&c);
	size_t converged = 0, todo = 0;
	uint64_t bytes = 0;
	/* a dry run changes nothing, so it leaves units in flux alone and
	 * counts them as work */
	for (size_t i = 0; rc == KSD_OK && i < c.m.nunits; i++) {
		ksd_qstate t;
		const ksd_qmunit *u = &c.m.units[i];
		if (u->state == KSD_QS_QUARANTINED || in_flux(u->state, &t)) {
			todo++;
			for (size_t j = 0; j < u->nfiles; j++)
				bytes += u->files[j].qsize;
		}
	}
	if (rc == KSD_OK && !dry_run)
		rc = recover_units(&c, &converged);
	for (size_t i = 0; rc == KSD_OK && i < c.m.nunits; i++)
		if (c.m.units[i].state == KSD_QS_QUARANTINED)
			rc = check_restorable(&c, &c.m.units[i]);
	size_t done = converged;
	uint64_t moved = 0;
	for (size_t i = 0; rc == KSD_OK && !dry_run && i < c.m.nunits; i++) {
		ksd_qmunit *u = &c.m.units[i];
		if (u->state != KSD_QS_QUARANTINED)
			continue;
		rc = set_state(&c, u, KSD_QS_RESTORING);
		if (rc == KSD_OK)
			rc = place_unit(&c, u, &moved);
		if (rc == KSD_OK)
			rc = set_state(&c, u, KSD_QS_RESTORED);
		if (rc != KSD_OK)
			undo_restore(&c, u, i, done);
		else
			done++;
	}
	if (res) {
		res->units_done = dry_run ? todo : done;
		res->bytes_moved = dry_run ? bytes : moved;
	}
	ctx_free(&c);
	unlock_all(&locks);
	return rc;
}

/* ---- purge -------------------------------------------------------------- */

static ksd_err purge_unit(qctx *c, ksd_qmunit *u, uint64_t *bytes)
{
	ksd_err rc = set_state(c, u, KSD_QS_PURGING);
	for (size_t i = 0; rc == KSD_OK && i < u->nfiles; i++) {
		char q[PATH_MAX], qdir[PATH_MAX];
		if (!qpath_abs(c, &u->files[i], q, sizeof q))
			return sys_fail(c, "unlink", u->files[i].qpath, ENAMETOOLONG);
		dir_of(q, qdir, sizeof qdir);
		char tmp[PATH_MAX];
		pathf(tmp, sizeof tmp, "%s%s", q, PART_SUFFIX);
		struct stat st;
		bool had = lstat(q, &st) == 0;
		if (exists(tmp))
			rc = step_unlink(c, tmp);
		if (rc == KSD_OK && had)
			rc = step_unlink(c, q);
		if (rc == KSD_OK)
			rc = step_fsync_dir(c, qdir);
		if (rc == KSD_OK && had)
			*bytes += (uint64_t)st.st_size;
	}
	if (rc == KSD_OK)
		rc = set_state(c, u, KSD_QS_PURGED);
	return rc;
}

/* Empty files/<dir> folders go too; the manifest stays as the record. */
static void prune_dirs(qctx *c)
{
	char files[PATH_MAX];
	if (!join(files, sizeof files, c->opdir, "files"))
		return;
	DIR *d = opendir(files);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		if (e->d_name[0] != '.' && join(sub, sizeof sub, files, e->d_name))
			(void)rmdir(sub);
	}
	closedir(d);
	(void)rmdir(files);
}

ksd_err ksd_qop_purge(const char *opdir_or_manifest, bool dry_run, const ksd_qop_opts *o,
		      ksd_qop_result *res)
{
	if (!opdir_or_manifest)
		return KSD_ERR_INVAL;
	lockset locks = {.n = 0};
	qctx c;
	ctx_init(&c, o, res, &locks);
	ksd_err rc = open_op(&c, opdir_or_manifest);
	for (size_t i = 0; rc == KSD_OK && i < c.m.nunits; i++) {
		ksd_qstate t;
		const ksd_qmunit *u = &c.m.units[i];
		if (in_flux(u->state, &t)) {
			note(&c, "unit %zu (%s base %" PRId64 ") is %s: the operation is incomplete; run "
				 "'ksegdoctor restore' (which recovers) or recover it first",
			     i + 1, u->partition, u->base_offset, ksd_qstate_name(u->state));
			rc = KSD_ERR_REFUSED;
		}
	}
	size_t done = 0, todo = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; rc == KSD_OK && i < c.m.nunits; i++) {
		ksd_qmunit *u = &c.m.units[i];
		if (u->state != KSD_QS_QUARANTINED && u->state != KSD_QS_PURGING)
			continue;
		todo++;
		if (dry_run) {
			for (size_t j = 0; j < u->nfiles; j++)
				bytes += u->files[j].qsize;
			continue;
		}
		rc = purge_unit(&c, u, &bytes);
		if (rc == KSD_OK)
			done++;
		else
			append(&c, "; unit %zu is %s: run purge again to finish", i + 1, ksd_qstate_name(u->state));
	}
	if (rc == KSD_OK && !dry_run && todo > 0)
		prune_dirs(&c);
	if (res) {
		res->units_done = dry_run ? todo : done;
		res->bytes_moved = bytes;
	}
	ctx_free(&c);
	return rc;
}

/* ---- apply -------------------------------------------------------------- */

static ksd_err dup_str(qctx *c, char **dst, const char *src)
{
	*dst = strdup(src ? src : "");
	if (!*dst) {
		note(c, "out of memory");
		return KSD_ERR_NOMEM;
	}
	return KSD_OK;
}

/* files/<partition>[~k]: one folder per (log dir, partition), so the same
 * partition name from two log dirs never collides. */
static ksd_err quarantine_dir_name(qctx *c, size_t ui, char *out, size_t cap)
{
	const ksd_qmunit *u = &c->m.units[ui];
	for (unsigned k = 1; k < 1000; k++) {
		if (k == 1)
			snprintf(out, cap, "files/%s", u->partition);
		else
			snprintf(out, cap, "files/%s~%u", u->partition, k);
		bool clash = false, same = false;
		for (size_t j = 0; j < ui && !same; j++) {
			const ksd_qmunit *v = &c->m.units[j];
			size_t ol = strlen(out);
			if (strncmp(v->files[0].qpath, out, ol) != 0 || v->files[0].qpath[ol] != '/')
				continue;
			if (strcmp(v->logdir, u->logdir) == 0)
				same = true;
			else
				clash = true;
		}
		if (same || !clash)
			return KSD_OK;
	}
	note(c, "too many log dirs hold partition %s", u->partition);
	return KSD_ERR_OVERFLOW;
}

/* Copies one planned unit into the manifest, with the live paths
 * rebuilt from the resolved log dir so they pass the manifest's path rule. */
static ksd_err record_unit(qctx *c, const ksd_qunit *in, size_t ui)
{
	ksd_qmunit *u = &c->m.units[ui];
	char logdir[PATH_MAX];
	if (!in->logdir || !in->partition || !in->files || in->nfiles == 0 || in->nfiles > 16 ||
	    (unsigned)in->kind > KSD_QU_DROP_INDEX || !realpath(in->logdir, logdir)) {
		note(c, "unit %zu: invalid (log dir %s: %s)", ui + 1, in->logdir ? in->logdir : "(none)",
		     strerror(errno));
		return KSD_ERR_INVAL;
	}
	u->kind = in->kind;
	u->state = KSD_QS_PLANNED;
	u->base_offset = in->base_offset;
	u->cut_at = in->cut_at;
	ksd_err rc;
	if ((rc = dup_str(c, &u->logdir, logdir)) || (rc = dup_str(c, &u->partition, in->partition)) ||
	    (rc = dup_str(c, &u->reason, in->reason ? in->reason : "explicit")))
		return rc;
	u->files = calloc(in->nfiles, sizeof *u->files);
	if (!u->files) {
		note(c, "out of memory");
		return KSD_ERR_NOMEM;
	}
	u->nfiles = in->nfiles;
	char pdir[PATH_MAX], want[PATH_MAX];
	pathf(want, sizeof want, "%s/%s", logdir, in->partition);
	for (size_t i = 0; i < in->nfiles; i++) {
		const ksd_qfile *f = &in->files[i];
		char d[PATH_MAX];
		dir_of(f->path, d, sizeof d);
		if (!realpath(d, pdir) || strcmp(pdir, want) != 0) {
			note(c, "%s is not inside %s", f->path, want);
			return KSD_ERR_INVAL;
		}
		ksd_qmfile *mf = &u->files[i];
		mf->f = *f;
		mf->f.path = NULL;
		char full[PATH_MAX];
		pathf(full, sizeof full, "%s/%s", want, base_of(f->path));
		if ((rc = dup_str(c, &mf->f.path, full)))
			return rc;
		if (f->cut && (in->kind != KSD_QU_TAIL || in->cut_at > f->size)) {
			note(c, "%s: a cut at byte %" PRIu64 " is outside the file", full, in->cut_at);
			return KSD_ERR_INVAL;
		}
		mf->qsize = f->cut ? f->size - in->cut_at : f->size;
		if (f->cut)
			memset(mf->qsha256, 0, 32); /* filled in by verify_unit */
		else
			memcpy(mf->qsha256, f->sha256, 32);
	}
	char qdir[PATH_MAX];
	/* qpaths of earlier units are set; name this one's folder */
	if ((rc = quarantine_dir_name(c, ui, qdir, sizeof qdir)) != KSD_OK)
		return rc;
	for (size_t i = 0; i < u->nfiles; i++) {
		char q[PATH_MAX];
		const char *name = base_of(u->files[i].f.path);
		pathf(q, sizeof q, "%s/%s%s", qdir, name, u->files[i].f.cut ? ".tail" : "");
		free(u->files[i].qpath);
		if ((rc = dup_str(c, &u->files[i].qpath, q)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(u->files[j].qpath, q) == 0) {
				note(c, "%s is listed twice in one unit", u->files[i].f.path);
				return KSD_ERR_INVAL;
			}
	}
	return KSD_OK;
}

/* The file must still be what the plan saw; tails also get the sha256 of
 * the part kept and of the part quarantined. */
static ksd_err verify_unit(qctx *c, ksd_qmunit *u)
{
	for (size_t i = 0; i < u->nfiles; i++) {
		ksd_qmfile *mf = &u->files[i];
		ksd_qfile now;
		ksd_err rc = ksd_qfile_stat(mf->f.path, &now);
		if (rc != KSD_OK) {
			note(c, "%s: %s", mf->f.path, rc == KSD_ERR_IO ? strerror(errno) : ksd_strerror(rc));
			return rc == KSD_ERR_NOENT ? KSD_ERR_CHANGED : rc;
		}
		bool same = now.size == mf->f.size && now.mtime_ns == mf->f.mtime_ns &&
			    sha_eq(now.sha256, mf->f.sha256);
		/* mode and owner are taken as they are now: they travel with the file */
		mf->f.mode = now.mode;
		mf->f.uid = now.uid;
		mf->f.gid = now.gid;
		free(now.path);
		if (!same) {
			note(c, "%s changed since the plan was made (size, mtime or sha256 differ)", mf->f.path);
			return KSD_ERR_CHANGED;
		}
		if (mf->f.cut) {
			if ((rc = sha_of_range(c, mf->f.path, 0, u->cut_at, mf->prefix_sha256)) != KSD_OK ||
			    (rc = sha_of_range(c, mf->f.path, u->cut_at, mf->qsize, mf->qsha256)) != KSD_OK)
				return rc;
		}
	}
	return KSD_OK;
}

/* Cuts the live .log to cut_at after its tail is safe in quarantine; the
 * mtime stays the original one so time-based retention sees no change. */
static ksd_err cut_live(qctx *c, const ksd_qmunit *u, const ksd_qmfile *f)
{
	int fd = open(f->f.path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return sys_fail(c, "open", f->f.path, errno);
	int e = fault(c, "truncate", f->f.path);
	if (!e && ftruncate(fd, (off_t)u->cut_at) != 0)
		e = errno;
	ksd_err rc = e ? sys_fail(c, "truncate", f->f.path, e) : KSD_OK;
	if (rc == KSD_OK)
		rc = step_fsync_fd(c, fd, f->f.path);
	if (rc == KSD_OK)
		rc = set_attrs(c, fd, &f->f, f->f.path);
	close(fd);
	return rc;
}

/* The tail's bytes safe in quarantine (copied unless already there). */
static ksd_err quarantine_tail_copy(qctx *c, const ksd_qmunit *u, const ksd_qmfile *f)
{
	char q[PATH_MAX];
	qpath_abs(c, f, q, sizeof q);
	ksd_err rc = drop_partials(c, f->f.path, q);
	if (rc != KSD_OK || holds(q, f->qsize, f->qsha256))
		return rc;
	if (!holds(f->f.path, f->f.size, f->f.sha256)) {
		note(c, "%s is not the recorded file and its tail is not in quarantine", f->f.path);
		return KSD_ERR_CHANGED;
	}
	return copy_verified(c, f->f.path, u->cut_at, f->qsize, f->qsha256, &f->f, q);
}

/* A whole file into quarantine; idempotent (a verified copy already
 * there makes the live one a duplicate). */
static ksd_err quarantine_whole(qctx *c, const ksd_qmfile *f, uint64_t *moved)
{
	char q[PATH_MAX], ldir[PATH_MAX];
	qpath_abs(c, f, q, sizeof q);
	ksd_err rc = drop_partials(c, f->f.path, q);
	if (rc != KSD_OK)
		return rc;
	if (holds(q, f->qsize, f->qsha256)) {
		if (!exists(f->f.path))
			return KSD_OK;
		if (!holds(f->f.path, f->f.size, f->f.sha256)) {
			note(c, "%s holds a different file than the quarantined one: refusing to touch it",
			     f->f.path);
			return KSD_ERR_CONFLICT;
		}
		dir_of(f->f.path, ldir, sizeof ldir);
		if ((rc = step_unlink(c, f->f.path)) == KSD_OK)
			rc = step_fsync_dir(c, ldir);
		return rc;
	}
	if (!holds(f->f.path, f->f.size, f->f.sha256)) {
		note(c, "%s changed: it is not the recorded file (size or sha256 differ)", f->f.path);
		return KSD_ERR_CHANGED;
	}
	rc = move_file(c, f->f.path, q, &f->f);
	if (rc == KSD_OK)
		*moved += f->f.size;
	return rc;
}

/* The live .log down to cut_at once its tail is safe; it may be whole, or
 * whole up to an append cut short (a failed restore). */
static ksd_err quarantine_cut(qctx *c, const ksd_qmunit *u, const ksd_qmfile *f, uint64_t *moved)
{
	struct stat st;
	if (lstat(f->f.path, &st) != 0 || !S_ISREG(st.st_mode)) {
		note(c, "%s is gone", f->f.path);
		return KSD_ERR_CONFLICT;
	}
	uint64_t size = (uint64_t)st.st_size;
	char q[PATH_MAX];
	qpath_abs(c, f, q, sizeof q);
	bool ok = size >= u->cut_at && size <= f->f.size && range_is(f->f.path, 0, u->cut_at, f->prefix_sha256);
	if (ok && size > u->cut_at) {
		int fd = open(q, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		uint8_t d[32];
		ok = fd >= 0 && ksd_sha256_range(fd, 0, size - u->cut_at, d) == KSD_OK &&
		     range_is(f->f.path, u->cut_at, size - u->cut_at, d);
		if (fd >= 0)
			close(fd);
	}
	if (!ok) {
		note(c, "%s is neither the recorded file nor its cut prefix: refusing to cut it", f->f.path);
		return KSD_ERR_CONFLICT;
	}
	ksd_err rc = size == u->cut_at ? set_attrs_path(c, f->f.path, &f->f) : cut_live(c, u, f);
	if (rc == KSD_OK && size > u->cut_at)
		*moved += size - u->cut_at;
	return rc;
}

/* Every file of the unit in quarantine (tail: cut live, tail stored).
 * Idempotent: apply, and the undo of a failed restore. */
static ksd_err quarantine_files(qctx *c, const ksd_qmunit *u, uint64_t *moved)
{
	char q[PATH_MAX], qdir[PATH_MAX], pdir[PATH_MAX];
	ksd_err rc = KSD_OK;
	/* the tail copy first: nothing is cut before its bytes are safe */
	for (size_t i = 0; rc == KSD_OK && i < u->nfiles; i++)
		if (u->files[i].f.cut)
			rc = quarantine_tail_copy(c, u, &u->files[i]);
	for (size_t i = 0; rc == KSD_OK && i < u->nfiles; i++)
		if (!u->files[i].f.cut)
			rc = quarantine_whole(c, &u->files[i], moved);
	for (size_t i = 0; rc == KSD_OK && i < u->nfiles; i++)
		if (u->files[i].f.cut)
			rc = quarantine_cut(c, u, &u->files[i], moved);
	if (rc == KSD_OK) {
		qpath_abs(c, &u->files[0], q, sizeof q);
		dir_of(q, qdir, sizeof qdir);
		dir_of(u->files[0].f.path, pdir, sizeof pdir);
		if ((rc = step_fsync_dir(c, qdir)) == KSD_OK)
			rc = step_fsync_dir(c, pdir);
	}
	return rc;
}

static ksd_err ensure_qdir(qctx *c, const ksd_qmunit *u)
{
	char q[PATH_MAX], qdir[PATH_MAX], files[PATH_MAX];
	qpath_abs(c, &u->files[0], q, sizeof q);
	dir_of(q, qdir, sizeof qdir);
	if (exists(qdir))
		return KSD_OK;
	join(files, sizeof files, c->opdir, "files");
	ksd_err rc = step_mkdir(c, qdir, true);
	if (rc == KSD_OK)
		rc = step_fsync_dir(c, files);
	return rc;
}

/* Undo after a failed step; the unit ends rolled-back or, when even that
 * fails, stays in flux for recover. */
static void roll_back(qctx *c, ksd_qmunit *u, size_t ui)
{
	uint64_t ignored = 0;
	(void)set_state(c, u, KSD_QS_ROLLING_BACK);
	if (place_unit(c, u, &ignored) == KSD_OK && set_state(c, u, KSD_QS_ROLLED_BACK) == KSD_OK) {
		append(c, "; unit %zu (%s base %" PRId64 ") rolled back: every file of it is in place", ui + 1,
		       u->partition, u->base_offset);
		return;
	}
	append(c, "; unit %zu (%s base %" PRId64 ") could not be rolled back yet and is recorded as %s: "
		  "run 'ksegdoctor restore %s' to put it back",
	       ui + 1, u->partition, u->base_offset, ksd_qstate_name(u->state), c->opdir);
}

static ksd_err apply_unit(qctx *c, ksd_qmunit *u, size_t ui, uint64_t *moved)
{
	ksd_err rc = ensure_qdir(c, u);
	if (rc != KSD_OK)
		return rc; /* nothing moved yet; the unit stays planned */
	if ((rc = set_state(c, u, KSD_QS_MOVING)) != KSD_OK)
		return rc;
	uint64_t m = 0;
	rc = quarantine_files(c, u, &m);
	if (rc == KSD_OK)
		rc = set_state(c, u, KSD_QS_QUARANTINED);
	if (rc == KSD_OK) {
		*moved += m;
		return KSD_OK;
	}
	roll_back(c, u, ui);
	return rc;
}

static ksd_err make_opdir(qctx *c, const char *root)
{
	ksd_err rc = step_mkdir(c, root, true);
	char parent[PATH_MAX];
	dir_of(root, parent, sizeof parent);
	if (rc == KSD_OK)
		rc = step_fsync_dir(c, parent);
	if (rc != KSD_OK)
		return rc;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	for (int n = 1; n < 1000; n++) {
		char name[64];
		if (n == 1)
			snprintf(name, sizeof name, "%s-%ld", stamp, (long)getpid());
		else
			snprintf(name, sizeof name, "%s-%ld-%d", stamp, (long)getpid(), n);
		char dir[PATH_MAX];
		if (!join(dir, sizeof dir, root, name))
			return sys_fail(c, "mkdir", root, ENAMETOOLONG);
		int e = fault(c, "mkdir", dir);
		if (!e && mkdir(dir, 0700) != 0)
			e = errno;
		if (e == EEXIST)
			continue;
		if (e)
			return sys_fail(c, "mkdir", dir, e);
		if (!realpath(dir, c->opdir))
			return sys_fail(c, "mkdir", dir, errno);
		join(c->mpath, sizeof c->mpath, c->opdir, KSD_QMANIFEST_NAME);
		if ((rc = dup_str(c, &c->m.id, name)) != KSD_OK)
			return rc;
		if (c->res) {
			c->res->opdir = strdup(c->opdir);
			c->res->manifest = strdup(c->mpath);
		}
		char files[PATH_MAX];
		join(files, sizeof files, c->opdir, "files");
		if ((rc = lock_opdir(c)) != KSD_OK || (rc = step_fsync_dir(c, root)) != KSD_OK ||
		    (rc = step_mkdir(c, files, false)) != KSD_OK || (rc = step_fsync_dir(c, c->opdir)) != KSD_OK)
			return rc;
		return KSD_OK;
	}
	note(c, "cannot find a free operation name under %s", root);
	return KSD_ERR_CONFLICT;
}

/* Interrupted operations under the root are brought to a final state
 * before a new one starts (they may hold files this plan names). */
static ksd_err recover_root(qctx *c, const char *root)
{
	DIR *d = opendir(root);
	if (!d)
		return KSD_OK; /* no root yet: nothing to recover */
	ksd_err rc = KSD_OK;
	struct dirent *e;
	while (rc == KSD_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char dir[PATH_MAX], mp[PATH_MAX];
		if (!join(dir, sizeof dir, root, e->d_name) || !join(mp, sizeof mp, dir, KSD_QMANIFEST_NAME) ||
		    !exists(mp))
			continue;
		ksd_qmanifest m;
		if (ksd_qmanifest_load(mp, &m, NULL) != KSD_OK)
			continue; /* not ours to judge; restore/recover name it explicitly */
		bool flux = false;
		for (size_t i = 0; i < m.nunits; i++) {
			ksd_qstate t;
			flux |= in_flux(m.units[i].state, &t);
		}
		ksd_qmanifest_free(&m);
		if (!flux)
			continue;
		ksd_qop_result sub = {0};
		rc = recover_locked(dir, c->o, &sub, c->locks);
		if (rc != KSD_OK)
			note(c, "an interrupted operation %s could not be recovered: %s", dir, sub.msg);
		ksd_qop_result_free(&sub);
	}
	closedir(d);
	return rc;
}

/* The device the quarantine root is (or will be) on: its nearest existing
 * ancestor's. */
static bool root_device(const char *root, dev_t *dev)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s", root) >= (int)sizeof p)
		return false;
	for (;;) {
		struct stat st;
		if (stat(p, &st) == 0) {
			*dev = st.st_dev;
			return true;
		}
		char *slash = strrchr(p, '/');
		if (!slash)
			return false;
		if (slash == p) {
			p[1] = '\0';
		} else {
			*slash = '\0';
		}
	}
}

/*
 * A rename keeps a file's owner; a copy to another filesystem belongs to
 * whoever writes it, and only root may give it back to the broker's user.
 * Refuse up front rather than leave files owned by the wrong user in a log
 * dir (operator-needs.md: root-owned files are a classic restart failure).
 */
static ksd_err check_owner_kept(qctx *c, const char *root)
{
	dev_t rdev;
	if (geteuid() == 0 || !root_device(root, &rdev))
		return KSD_OK;
	for (size_t i = 0; i < c->m.nunits; i++)
		for (size_t j = 0; j < c->m.units[i].nfiles; j++) {
			const ksd_qfile *f = &c->m.units[i].files[j].f;
			struct stat st;
			if (stat(f->path, &st) != 0 || st.st_dev == rdev)
				continue;
			if (st.st_uid != geteuid() || st.st_gid != getegid()) {
				note(c, "%s is owned by uid %u gid %u and the quarantine dir %s is on another "
				     "filesystem: only root can copy it there and back with its owner; run "
				     "as root, or choose a --quarantine-dir on the log dir's filesystem",
				     f->path, (unsigned)st.st_uid, (unsigned)st.st_gid, root);
				return KSD_ERR_REFUSED;
			}
		}
	return KSD_OK;
}

static ksd_err apply_prepare(qctx *c, const ksd_qunit *units, size_t n, char **root_out)
{
	c->m.units = calloc(n, sizeof *c->m.units);
	if (!c->m.units) {
		note(c, "out of memory");
		return KSD_ERR_NOMEM;
	}
	ksd_err rc = KSD_OK;
	for (size_t i = 0; rc == KSD_OK && i < n; i++) {
		c->m.nunits = i + 1;
		rc = record_unit(c, &units[i], i);
	}
	const char *logdirs[MAX_LOCKS];
	size_t nl = 0;
	for (size_t i = 0; rc == KSD_OK && i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < nl; j++)
			seen |= strcmp(logdirs[j], c->m.units[i].logdir) == 0;
		if (!seen && nl == MAX_LOCKS) {
			note(c, "too many log dirs in one operation (at most %d)", MAX_LOCKS);
			rc = KSD_ERR_OVERFLOW;
		} else if (!seen) {
			logdirs[nl++] = c->m.units[i].logdir;
		}
	}
	char *root = NULL;
	if (rc == KSD_OK) {
		root = c->o && c->o->quarantine_root ? strdup(c->o->quarantine_root)
						     : ksd_quarantine_default_root(c->m.units[0].logdir);
		if (!root) {
			note(c, "out of memory");
			rc = KSD_ERR_NOMEM;
		}
	}
	const char *why = NULL;
	if (rc == KSD_OK && !ksd_quarantine_root_ok(root, logdirs, nl, &why)) {
		note(c, "quarantine dir %s refused: %s", root, why);
		rc = KSD_ERR_REFUSED;
	}
	for (size_t i = 0; rc == KSD_OK && i < nl; i++)
		rc = lock_logdir(c, logdirs[i]);
	if (rc == KSD_OK)
		rc = recover_root(c, root);
	for (size_t i = 0; rc == KSD_OK && i < n; i++)
		rc = verify_unit(c, &c->m.units[i]);
	if (rc == KSD_OK)
		rc = check_owner_kept(c, root);
	*root_out = root;
	return rc;
}

static ksd_err fill_op(qctx *c, const char *root)
{
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		host[0] = '\0';
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->m.created_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	ksd_err rc;
	if ((rc = dup_str(c, &c->m.label, c->o ? c->o->label : NULL)) || (rc = dup_str(c, &c->m.host, host)) ||
	    (rc = dup_str(c, &c->m.root, root)))
		return rc;
	return KSD_OK;
}

ksd_err ksd_qop_apply(const ksd_qunit *units, size_t n, const ksd_qop_opts *o, ksd_qop_result *res)
{
	if (!units || n == 0)
		return KSD_ERR_INVAL;
	lockset locks = {.n = 0};
	qctx c;
	ctx_init(&c, o, res, &locks);
	if (res)
		res->units_total = n;
	char *root = NULL;
	ksd_err rc = apply_prepare(&c, units, n, &root);
	if (rc == KSD_OK)
		rc = fill_op(&c, root);
	if (rc == KSD_OK)
		rc = make_opdir(&c, root);
	if (rc == KSD_OK)
		rc = journal(&c); /* the whole plan, durable before anything moves */
	uint64_t moved = 0;
	size_t done = 0;
	for (size_t i = 0; rc == KSD_OK && i < c.m.nunits; i++) {
		rc = apply_unit(&c, &c.m.units[i], i, &moved);
		if (rc == KSD_OK)
			done++;
	}
	if (rc != KSD_OK && c.opdir[0])
		append(&c, "; %zu of %zu unit(s) quarantined before the failure, the rest untouched "
			   "(manifest %s)", done, n, c.mpath);
	if (res) {
		res->units_done = done;
		res->bytes_moved = moved;
	}
	free(root);
	ctx_free(&c);
	unlock_all(&locks);
	return rc;
}

void ksd_qop_result_free(ksd_qop_result *r)
{
	if (!r)
		return;
	free(r->opdir);
	free(r->manifest);
	r->opdir = r->manifest = NULL;
}
