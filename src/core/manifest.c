/*
 * manifest.c - the quarantine operation manifest: a versioned, line-based
 * text file (docs/quarantine-format.md).  Formatting is exact; parsing
 * treats the text as hostile: every line, token, count and number is
 * bounded and checked, unknown keys are skipped, and the paths a restore
 * would write to must name a segment file inside a partition dir of the
 * recorded log dir, so an edited manifest cannot steer a restore anywhere
 * else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksd/names.h"
#include "ksd/qops.h"

#define MAGIC "ksegdoctor-quarantine"
enum {
	FORMAT_VERSION = 1,
	MAX_MANIFEST = 64 << 20, /* bytes */
	MAX_LINE = 64 << 10,
	MAX_FILES_PER_UNIT = 16,
	MAX_TOKEN = 8192, /* decoded value bytes (PATH_MAX is 4096) */
};

static const char *const state_names[KSD_QS__COUNT] = {
	[KSD_QS_PLANNED] = "planned",       [KSD_QS_MOVING] = "moving",
	[KSD_QS_QUARANTINED] = "quarantined", [KSD_QS_ROLLING_BACK] = "rolling-back",
	[KSD_QS_ROLLED_BACK] = "rolled-back", [KSD_QS_RESTORING] = "restoring",
	[KSD_QS_RESTORED] = "restored",     [KSD_QS_PURGING] = "purging",
	[KSD_QS_PURGED] = "purged",
};
static const char *const kind_names[] = {"segment", "tail", "drop-index"};

const char *ksd_qstate_name(ksd_qstate s)
{
	return (unsigned)s < KSD_QS__COUNT ? state_names[s] : "?";
}

bool ksd_qstate_final(ksd_qstate s)
{
	return s == KSD_QS_PLANNED || s == KSD_QS_QUARANTINED || s == KSD_QS_ROLLED_BACK ||
	       s == KSD_QS_RESTORED || s == KSD_QS_PURGED;
}

/* ---- formatting -------------------------------------------------------- */

typedef struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n + 1 > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 4096;
		while (n + 1 > cap - b->len) {
			if (cap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static bool needs_escape(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '%' || c == '=';
}

/* " key=value" with the value percent-encoded (empty value allowed). */
static void sb_kv(sbuf *b, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	sb_put(b, " ", 1);
	sb_str(b, key);
	sb_put(b, "=", 1);
	for (const unsigned char *s = (const unsigned char *)(val ? val : ""); *s; s++) {
		if (needs_escape(*s)) {
			char e[3] = {'%', hex[*s >> 4], hex[*s & 15]};
			sb_put(b, e, 3);
		} else {
			sb_put(b, (const char *)s, 1);
		}
	}
}

static void sb_kv_u(sbuf *b, const char *key, uint64_t v)
{
	char n[24];
	snprintf(n, sizeof n, "%" PRIu64, v);
	sb_kv(b, key, n);
}

static void sb_kv_i(sbuf *b, const char *key, int64_t v)
{
	char n[24];
	snprintf(n, sizeof n, "%" PRId64, v);
	sb_kv(b, key, n);
}

static void sb_kv_sha(sbuf *b, const char *key, const uint8_t d[32])
{
	char hex[65];
	ksd_sha256_hex(d, hex);
	sb_kv(b, key, hex);
}

static void format_file(sbuf *b, const ksd_qmfile *f)
{
	sb_str(b, "file");
	sb_kv(b, "path", f->f.path);
	sb_kv(b, "qpath", f->qpath);
	sb_kv_u(b, "size", f->f.size);
	sb_kv_i(b, "mtime_ns", f->f.mtime_ns);
	sb_kv_u(b, "mode", f->f.mode);
	sb_kv_u(b, "uid", f->f.uid);
	sb_kv_u(b, "gid", f->f.gid);
	sb_kv_sha(b, "sha256", f->f.sha256);
	sb_kv_u(b, "cut", f->f.cut ? 1 : 0);
	sb_kv_u(b, "qsize", f->qsize);
	sb_kv_sha(b, "qsha256", f->qsha256);
	if (f->f.cut)
		sb_kv_sha(b, "prefix_sha256", f->prefix_sha256);
	sb_put(b, "\n", 1);
}

static void format_unit(sbuf *b, const ksd_qmunit *u)
{
	sb_str(b, "unit");
	sb_kv(b, "kind", (unsigned)u->kind < 3 ? kind_names[u->kind] : "?");
	sb_kv(b, "state", ksd_qstate_name(u->state));
	sb_kv(b, "logdir", u->logdir);
	sb_kv(b, "partition", u->partition);
	sb_kv_i(b, "base", u->base_offset);
	sb_kv_u(b, "cut_at", u->cut_at);
	sb_kv(b, "reason", u->reason);
	sb_kv_u(b, "files", u->nfiles);
	sb_put(b, "\n", 1);
	for (size_t i = 0; i < u->nfiles; i++)
		format_file(b, &u->files[i]);
}

ksd_err ksd_qmanifest_format(const ksd_qmanifest *m, char **out, size_t *len)
{
	if (!m || !out)
		return KSD_ERR_INVAL;
	sbuf b = {0};
	char head[64];
	snprintf(head, sizeof head, "%s %d\nop", MAGIC, FORMAT_VERSION);
	sb_str(&b, head);
	sb_kv(&b, "id", m->id);
	sb_kv(&b, "label", m->label);
	sb_kv_i(&b, "created_ns", m->created_ns);
	sb_kv(&b, "host", m->host);
	sb_kv(&b, "root", m->root);
	sb_put(&b, "\n", 1);
	size_t nfiles = 0;
	for (size_t i = 0; i < m->nunits; i++) {
		format_unit(&b, &m->units[i]);
		nfiles += m->units[i].nfiles;
	}
	sb_str(&b, "end");
	sb_kv_u(&b, "units", m->nunits);
	sb_kv_u(&b, "files", nfiles);
	sb_put(&b, "\n", 1);
	if (b.oom) {
		free(b.p);
		return KSD_ERR_NOMEM;
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return KSD_OK;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct kv {
	const char *key, *val; /* into the line copy, NUL-terminated, val still encoded */
} kv;

enum { MAX_KV = 24 };

typedef struct mline {
	char *buf; /* mutable copy */
	const char *word;
	kv kvs[MAX_KV];
	size_t nkv;
} mline;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a percent-encoded value into a malloc'ed string.  Refuses NUL
 * bytes (they would silently shorten a path) and raw bytes that the
 * formatter always escapes. */
static ksd_err decode(const char *val, char **out)
{
	size_t n = strlen(val);
	if (n > MAX_TOKEN * 3)
		return KSD_ERR_FORMAT;
	char *s = malloc(n + 1);
	if (!s)
		return KSD_ERR_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)val[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(val[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(val[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(s);
				return KSD_ERR_FORMAT;
			}
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (needs_escape(c)) {
			free(s);
			return KSD_ERR_FORMAT;
		} else {
			s[o++] = (char)c;
		}
	}
	s[o] = '\0';
	if (o > MAX_TOKEN) {
		free(s);
		return KSD_ERR_FORMAT;
	}
	*out = s;
	return KSD_OK;
}

/* Splits "word k=v k=v" on single spaces.  The buffer is the caller's. */
static bool split_line(char *buf, mline *l)
{
	l->buf = buf;
	l->nkv = 0;
	char *p = buf;
	char *sp = strchr(p, ' ');
	l->word = p;
	if (!sp)
		return *p != '\0';
	*sp = '\0';
	p = sp + 1;
	while (*p) {
		if (l->nkv == MAX_KV)
			return false;
		sp = strchr(p, ' ');
		if (sp)
			*sp = '\0';
		char *eq = strchr(p, '=');
		if (!eq || eq == p)
			return false;
		*eq = '\0';
		for (size_t i = 0; i < l->nkv; i++)
			if (strcmp(l->kvs[i].key, p) == 0)
				return false; /* duplicate key */
		l->kvs[l->nkv].key = p;
		l->kvs[l->nkv].val = eq + 1;
		l->nkv++;
		if (!sp)
			break;
		p = sp + 1;
		if (!*p)
			return false; /* trailing space */
	}
	return *l->word != '\0';
}

static const char *get(const mline *l, const char *key)
{
	for (size_t i = 0; i < l->nkv; i++)
		if (strcmp(l->kvs[i].key, key) == 0)
			return l->kvs[i].val;
	return NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || strlen(s) > 20)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
	if (!s)
		return false;
	bool neg = *s == '-';
	uint64_t v;
	if (!parse_u64(s + neg, &v))
		return false;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_sha(const char *s, uint8_t d[32])
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		d[i] = (uint8_t)(hi * 16 + lo);
	}
	return true;
}

static ksd_err get_str(const mline *l, const char *key, char **out)
{
	const char *v = get(l, key);
	if (!v)
		return KSD_ERR_FORMAT;
	return decode(v, out);
}

/* A path component that is not empty, ".", ".." and has no '/'. */
static bool plain_component(const char *s, size_t n)
{
	if (n == 0 || n > 255 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	return memchr(s, '/', n) == NULL;
}

/* Absolute, no empty/"."/".." component. */
static bool clean_abs_path(const char *p)
{
	if (p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	const char *s = p + 1;
	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (!plain_component(s, n))
			return false;
		if (!e)
			return true;
		s = e + 1;
	}
}

/* The live path must be exactly <logdir>/<partition>/<segment file name>. */
static bool live_path_ok(const ksd_qmunit *u, const char *path)
{
	if (!clean_abs_path(path) || !clean_abs_path(u->logdir))
		return false;
	size_t ll = strlen(u->logdir), pl = strlen(u->partition);
	if (ll == 1)
		ll = 0; /* logdir "/" */
	if (strncmp(path, u->logdir, ll) != 0 || path[ll] != '/')
		return false;
	const char *rest = path + ll + 1;
	if (strncmp(rest, u->partition, pl) != 0 || rest[pl] != '/')
		return false;
	const char *name = rest + pl + 1;
	if (!plain_component(name, strlen(name)))
		return false;
	ksd_file_name fn = ksd_classify_file(name);
	return fn.state == KSD_STATE_LIVE &&
	       (fn.kind == KSD_FILE_LOG || fn.kind == KSD_FILE_INDEX || fn.kind == KSD_FILE_TIMEINDEX ||
		fn.kind == KSD_FILE_TXNINDEX || fn.kind == KSD_FILE_SNAPSHOT);
}

/* "files/<dir>/<name>": two plain components under files/. */
static bool qpath_ok(const char *q)
{
	if (strncmp(q, "files/", 6) != 0)
		return false;
	const char *a = q + 6;
	const char *slash = strchr(a, '/');
	if (!slash || !plain_component(a, (size_t)(slash - a)))
		return false;
	return plain_component(slash + 1, strlen(slash + 1));
}

static ksd_err parse_file_line(const mline *l, ksd_qmunit *u, ksd_qmfile *f)
{
	ksd_err rc;
	if ((rc = get_str(l, "path", &f->f.path)) || (rc = get_str(l, "qpath", &f->qpath)))
		return rc;
	uint64_t cut = 0;
	bool ok = parse_u64(get(l, "size"), &f->f.size) && parse_i64(get(l, "mtime_ns"), &f->f.mtime_ns) &&
		  parse_u32(get(l, "mode"), &f->f.mode) && parse_u32(get(l, "uid"), &f->f.uid) &&
		  parse_u32(get(l, "gid"), &f->f.gid) && parse_sha(get(l, "sha256"), f->f.sha256) &&
		  parse_u64(get(l, "cut"), &cut) && cut <= 1 && parse_u64(get(l, "qsize"), &f->qsize) &&
		  parse_sha(get(l, "qsha256"), f->qsha256);
	if (!ok)
		return KSD_ERR_FORMAT;
	f->f.cut = cut == 1;
	if (f->f.cut) {
		/* only a tail unit cuts, and only what lies beyond cut_at */
		if (u->kind != KSD_QU_TAIL || !parse_sha(get(l, "prefix_sha256"), f->prefix_sha256) ||
		    u->cut_at > f->f.size || f->qsize != f->f.size - u->cut_at)
			return KSD_ERR_FORMAT;
	} else if (f->qsize != f->f.size) {
		return KSD_ERR_FORMAT;
	}
	if (!live_path_ok(u, f->f.path) || !qpath_ok(f->qpath))
		return KSD_ERR_FORMAT;
	return KSD_OK;
}

static bool parse_enum(const char *v, const char *const *names, size_t n, int *out)
{
	if (!v)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return true;
		}
	return false;
}

static ksd_err parse_unit_line(const mline *l, ksd_qmunit *u, uint64_t *nfiles)
{
	int kind, state;
	if (!parse_enum(get(l, "kind"), kind_names, 3, &kind) ||
	    !parse_enum(get(l, "state"), state_names, KSD_QS__COUNT, &state))
		return KSD_ERR_FORMAT;
	u->kind = (ksd_qunit_kind)kind;
	u->state = (ksd_qstate)state;
	ksd_err rc;
	if ((rc = get_str(l, "logdir", &u->logdir)) || (rc = get_str(l, "partition", &u->partition)) ||
	    (rc = get_str(l, "reason", &u->reason)))
		return rc;
	ksd_partition_name pn;
	if (!parse_i64(get(l, "base"), &u->base_offset) || u->base_offset < 0 ||
	    !parse_u64(get(l, "cut_at"), &u->cut_at) || !parse_u64(get(l, "files"), nfiles) ||
	    *nfiles == 0 || *nfiles > MAX_FILES_PER_UNIT || !clean_abs_path(u->logdir) ||
	    !plain_component(u->partition, strlen(u->partition)) ||
	    !ksd_parse_partition_dir(u->partition, &pn))
		return KSD_ERR_FORMAT;
	return KSD_OK;
}

static ksd_err parse_op_line(const mline *l, ksd_qmanifest *m)
{
	ksd_err rc;
	if ((rc = get_str(l, "id", &m->id)) || (rc = get_str(l, "label", &m->label)) ||
	    (rc = get_str(l, "host", &m->host)) || (rc = get_str(l, "root", &m->root)))
		return rc;
	if (!parse_i64(get(l, "created_ns"), &m->created_ns) || !plain_component(m->id, strlen(m->id)))
		return KSD_ERR_FORMAT;
	return KSD_OK;
}

static ksd_err add_unit(ksd_qmanifest *m, size_t *cap)
{
	if (m->nunits == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		ksd_qmunit *p = realloc(m->units, nc * sizeof *p);
		if (!p)
			return KSD_ERR_NOMEM;
		m->units = p;
		*cap = nc;
	}
	memset(&m->units[m->nunits++], 0, sizeof *m->units);
	return KSD_OK;
}

typedef struct parser {
	ksd_qmanifest *m;
	size_t ucap;
	uint64_t want_files; /* file lines still owed by the current unit */
	bool have_op, ended;
	size_t files_total;
} parser;

static ksd_err parse_one(parser *p, size_t lineno, char *buf)
{
	if (lineno == 1)
		return KSD_OK; /* magic and version: checked by the caller */
	mline l;
	if (!split_line(buf, &l))
		return KSD_ERR_FORMAT;
	ksd_qmanifest *m = p->m;
	if (p->ended)
		return KSD_ERR_FORMAT;
	if (strcmp(l.word, "op") == 0) {
		if (p->have_op)
			return KSD_ERR_FORMAT;
		p->have_op = true;
		return parse_op_line(&l, m);
	}
	if (!p->have_op)
		return KSD_ERR_FORMAT;
	if (strcmp(l.word, "unit") == 0) {
		if (p->want_files)
			return KSD_ERR_FORMAT;
		ksd_err rc = add_unit(m, &p->ucap);
		if (rc)
			return rc;
		ksd_qmunit *u = &m->units[m->nunits - 1];
		rc = parse_unit_line(&l, u, &p->want_files);
		if (rc)
			return rc;
		u->files = calloc((size_t)p->want_files, sizeof *u->files);
		return u->files ? KSD_OK : KSD_ERR_NOMEM;
	}
	if (strcmp(l.word, "file") == 0) {
		if (!p->want_files)
			return KSD_ERR_FORMAT;
		ksd_qmunit *u = &m->units[m->nunits - 1];
		ksd_qmfile *f = &u->files[u->nfiles++];
		p->want_files--;
		p->files_total++;
		return parse_file_line(&l, u, f);
	}
	if (strcmp(l.word, "end") == 0) {
		uint64_t nu, nf;
		if (p->want_files || !parse_u64(get(&l, "units"), &nu) || !parse_u64(get(&l, "files"), &nf) ||
		    nu != m->nunits || nf != p->files_total)
			return KSD_ERR_FORMAT;
		p->ended = true;
		return KSD_OK;
	}
	return KSD_ERR_FORMAT;
}

static bool version_ok(const char *first, size_t n)
{
	static const char want[] = MAGIC " 1";
	return n == sizeof want - 1 && memcmp(first, want, n) == 0;
}

ksd_err ksd_qmanifest_parse(const char *text, size_t len, ksd_qmanifest *m, size_t *lineno_out)
{
	size_t dummy;
	size_t *lineno = lineno_out ? lineno_out : &dummy;
	*lineno = 0;
	if (!text || !m)
		return KSD_ERR_INVAL;
	memset(m, 0, sizeof *m);
	if (len > MAX_MANIFEST)
		return KSD_ERR_OVERFLOW;
	parser p = {.m = m};
	char *buf = malloc(MAX_LINE + 1);
	if (!buf)
		return KSD_ERR_NOMEM;
	ksd_err rc = KSD_OK;
	size_t pos = 0;
	while (rc == KSD_OK && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		++*lineno;
		if (!nl || n > MAX_LINE || memchr(text + pos, '\0', n)) {
			rc = KSD_ERR_FORMAT; /* every line ends with \n; no NUL, no huge lines */
			break;
		}
		if (*lineno == 1 && !version_ok(text, n)) {
			rc = KSD_ERR_FORMAT;
			break;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		rc = parse_one(&p, *lineno, buf);
		pos += n + 1;
	}
	free(buf);
	if (rc == KSD_OK && !p.ended) {
		++*lineno;
		rc = KSD_ERR_FORMAT; /* cut short */
	}
	if (rc != KSD_OK) {
		ksd_qmanifest_free(m);
		return rc;
	}
	m->version = FORMAT_VERSION;
	*lineno = 0;
	return KSD_OK;
}

ksd_err ksd_qmanifest_load(const char *opdir_or_manifest, ksd_qmanifest *m, size_t *line)
{
	if (!opdir_or_manifest || !m)
		return KSD_ERR_INVAL;
	memset(m, 0, sizeof *m);
	if (line)
		*line = 0;
	struct stat st;
	if (stat(opdir_or_manifest, &st) != 0)
		return errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
	char path[4096];
	int w = S_ISDIR(st.st_mode)
			? snprintf(path, sizeof path, "%s/%s", opdir_or_manifest, KSD_QMANIFEST_NAME)
			: snprintf(path, sizeof path, "%s", opdir_or_manifest);
	if (w < 0 || (size_t)w >= sizeof path)
		return KSD_ERR_OVERFLOW;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
	ksd_err rc = KSD_OK;
	char *text = NULL;
	if (fstat(fd, &st) != 0)
		rc = KSD_ERR_IO;
	else if (!S_ISREG(st.st_mode))
		rc = KSD_ERR_NOTSUP;
	else if (st.st_size > MAX_MANIFEST)
		rc = KSD_ERR_OVERFLOW;
	size_t got = 0;
	if (rc == KSD_OK && !(text = malloc((size_t)st.st_size + 1)))
		rc = KSD_ERR_NOMEM;
	while (rc == KSD_OK && got < (size_t)st.st_size) {
		ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = KSD_ERR_IO;
		else if (r == 0)
			break;
		else
			got += (size_t)r;
	}
	int saved = errno;
	close(fd);
	errno = saved;
	if (rc == KSD_OK)
		rc = ksd_qmanifest_parse(text, got, m, line);
	free(text);
	return rc;
}

void ksd_qmanifest_free(ksd_qmanifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nunits; i++) {
		ksd_qmunit *u = &m->units[i];
		for (size_t j = 0; j < u->nfiles; j++) {
			free(u->files[j].f.path);
			free(u->files[j].qpath);
		}
		free(u->files);
		free(u->logdir);
		free(u->partition);
		free(u->reason);
	}
	free(m->units);
	free(m->id);
	free(m->label);
	free(m->host);
	free(m->root);
	memset(m, 0, sizeof *m);
}
