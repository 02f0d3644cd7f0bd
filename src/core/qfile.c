/*
 * qfile.c - the quarantine contract's helpers: a file's identity (size,
 * mtime, mode, owner, sha256), the default quarantine root and the rules
 * that keep quarantined material where no broker will ever load it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ksd/names.h"
#include "ksd/quarantine.h"

enum { SHA_CHUNK = 1 << 20 };

static ksd_err io_err(void)
{
	return errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
}

/* Feeds bytes [from, from+len) of fd to an initialized digest context;
 * len UINT64_MAX means "to the end of the file".  pread keeps the file
 * offset alone, so callers may share the fd. */
static ksd_err digest_fd(EVP_MD_CTX *ctx, int fd, uint64_t from, uint64_t len, uint64_t *total)
{
	unsigned char *buf = malloc(SHA_CHUNK);
	if (!buf)
		return KSD_ERR_NOMEM;
	ksd_err rc = KSD_OK;
	uint64_t done = 0;
	while (done < len) {
		size_t want = SHA_CHUNK;
		if (len - done < want)
			want = (size_t)(len - done);
		ssize_t got = pread(fd, buf, want, (off_t)(from + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = KSD_ERR_IO;
			break;
		}
		if (got == 0) {
			/* the file ended before the range did */
			if (len != UINT64_MAX)
				rc = KSD_ERR_TRUNCATED;
			break;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)got) != 1) {
			rc = KSD_ERR_NOMEM;
			break;
		}
		done += (uint64_t)got;
	}
	free(buf);
	if (total)
		*total = done;
	return rc;
}

static ksd_err sha256_fd(int fd, uint64_t from, uint64_t len, uint8_t out[32], uint64_t *total)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return KSD_ERR_NOMEM;
	ksd_err rc = KSD_OK;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		rc = KSD_ERR_NOMEM;
	if (rc == KSD_OK)
		rc = digest_fd(ctx, fd, from, len, total);
	unsigned int n = 0;
	if (rc == KSD_OK && (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != 32))
		rc = KSD_ERR_NOMEM;
	EVP_MD_CTX_free(ctx);
	return rc;
}

ksd_err ksd_sha256_range(int fd, uint64_t from, uint64_t len, uint8_t out[32])
{
	if (fd < 0 || !out || len == UINT64_MAX || from > UINT64_MAX - len)
		return KSD_ERR_INVAL;
	return sha256_fd(fd, from, len, out, NULL);
}

ksd_err ksd_sha256_file(const char *path, uint8_t out[32], uint64_t *size)
{
	if (!path || !out)
		return KSD_ERR_INVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return io_err();
	ksd_err rc = sha256_fd(fd, 0, UINT64_MAX, out, size);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

void ksd_sha256_hex(const uint8_t digest[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}

/* Stats and hashes through one descriptor, so the numbers describe one
 * file even if the name is replaced meanwhile; a size that moved while
 * hashing is reported as a change (KSD_ERR_CHANGED). */
ksd_err ksd_qfile_stat(const char *path, ksd_qfile *f)
{
	if (!path || !f)
		return KSD_ERR_INVAL;
	memset(f, 0, sizeof *f);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return io_err();
	struct stat st;
	ksd_err rc = KSD_OK;
	uint64_t hashed = 0;
	if (fstat(fd, &st) != 0)
		rc = KSD_ERR_IO;
	else if (!S_ISREG(st.st_mode))
		rc = KSD_ERR_NOTSUP;
	if (rc == KSD_OK)
		rc = sha256_fd(fd, 0, UINT64_MAX, f->sha256, &hashed);
	if (rc == KSD_OK && hashed != (uint64_t)st.st_size)
		rc = KSD_ERR_CHANGED;
	int saved = errno;
	close(fd);
	errno = saved;
	if (rc != KSD_OK)
		return rc;
	f->path = strdup(path);
	if (!f->path)
		return KSD_ERR_NOMEM;
	f->size = (uint64_t)st.st_size;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	f->mode = (uint32_t)st.st_mode;
	f->uid = (uint32_t)st.st_uid;
	f->gid = (uint32_t)st.st_gid;
	return KSD_OK;
}

void ksd_qunit_free(ksd_qunit *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nfiles; i++)
		free(u->files[i].path);
	free(u->files);
	free(u->logdir);
	free(u->partition);
	memset(u, 0, sizeof *u);
}

/* Length of dir without trailing slashes (but "/" stays "/"). */
static size_t trimmed_len(const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n;
}

char *ksd_quarantine_default_root(const char *logdir)
{
	if (!logdir || !*logdir)
		return NULL;
	size_t n = trimmed_len(logdir);
	size_t cut = n;
	while (cut > 0 && logdir[cut - 1] != '/')
		cut--;
	/* "kafka-logs" -> "./"; "/kafka-logs" -> "/"; "/a/b" -> "/a/" */
	const char *parent = cut == 0 ? "./" : logdir;
	size_t plen = cut == 0 ? 2 : cut;
	static const char name[] = "ksegdoctor-quarantine";
	char *out = malloc(plen + sizeof name);
	if (!out)
		return NULL;
	memcpy(out, parent, plen);
	memcpy(out + plen, name, sizeof name);
	return out;
}

/* Absolute, normalized form of a path whose tail may not exist yet:
 * realpath of the longest existing prefix plus the rest, lexically
 * cleaned of "." and "..".  NULL on failure. */
static char *resolve_loose(const char *path)
{
	char *whole = realpath(path, NULL);
	if (whole)
		return whole;
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	size_t n = trimmed_len(copy);
	copy[n] = '\0';
	char *slash = strrchr(copy, '/');
	char *head = NULL;
	const char *tail;
	if (!slash) {
		head = realpath(".", NULL);
		tail = copy;
	} else if (slash == copy) {
		head = strdup("/");
		tail = copy + 1;
	} else {
		*slash = '\0';
		head = resolve_loose(copy);
		tail = slash + 1;
	}
	char *out = NULL;
	if (head && strcmp(tail, ".") != 0 && strcmp(tail, "..") != 0) {
		size_t hl = strlen(head), tl = strlen(tail);
		out = malloc(hl + tl + 2);
		if (out) {
			memcpy(out, head, hl);
			size_t at = hl;
			if (hl == 0 || head[hl - 1] != '/')
				out[at++] = '/';
			memcpy(out + at, tail, tl + 1);
		}
	} else if (head && strcmp(tail, "..") == 0) {
		char *s = strrchr(head, '/');
		if (s && s != head)
			*s = '\0';
		else if (s)
			s[1] = '\0';
		out = head;
		head = NULL;
	} else if (head) {
		out = head;
		head = NULL;
	}
	free(head);
	free(copy);
	return out;
}

/* True when a equals b or lies below it (both absolute, normalized). */
static bool path_within(const char *a, const char *b)
{
	size_t bl = strlen(b);
	if (bl == 1 && b[0] == '/')
		return true;
	return strncmp(a, b, bl) == 0 && (a[bl] == '\0' || a[bl] == '/');
}

bool ksd_quarantine_root_ok(const char *dir, const char *const *logdirs, size_t nlogdirs,
			    const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!dir || !*dir) {
		*why = "the quarantine dir is empty";
		return false;
	}
	size_t n = trimmed_len(dir);
	size_t start = n;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	char last[256];
	size_t ll = n - start;
	if (ll >= sizeof last)
		ll = sizeof last - 1;
	memcpy(last, dir + start, ll);
	last[ll] = '\0';
	ksd_partition_name pn;
	if (ksd_parse_partition_dir(last, &pn)) {
		*why = "the quarantine dir is named like a partition (topic-N[-delete|-future|-stray]): "
		       "a broker would load it";
		return false;
	}
	char *abs_dir = resolve_loose(dir);
	if (!abs_dir) {
		*why = "the quarantine dir's path cannot be resolved";
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < nlogdirs; i++) {
		if (!logdirs[i])
			continue;
		char *abs_log = resolve_loose(logdirs[i]);
		if (!abs_log) {
			*why = "a log dir's path cannot be resolved";
			ok = false;
		} else if (path_within(abs_dir, abs_log)) {
			*why = "the quarantine dir is a log dir or inside one: the broker would see it";
			ok = false;
		}
		free(abs_log);
	}
	free(abs_dir);
	return ok;
}
