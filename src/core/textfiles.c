/*
 * The text files of a log dir and of a partition dir (kafka-facts.md
 * §3.2-3.8), parsed exactly as strictly as Kafka's readers:
 *
 *  - CheckpointFile.CheckpointReadBuffer: lines as BufferedReader.readLine
 *    splits them (\n, \r or \r\n), UTF-8 (a malformed byte fails the read),
 *    version via Integer.parseInt (no spaces), then a count, then entries
 *    split on \s+ as Pattern.split does (a leading separator makes an empty
 *    first field, trailing ones are dropped), then count == entries.
 *  - java.util.Properties.load for meta.properties (ISO-8859-1 bytes).
 *  - PartitionMetadataReadBuffer: two lines split on ":\s+".
 *  - Jackson for .kafka_cleanshutdown and quorum-state (first value only,
 *    trailing content ignored, as ObjectMapper does by default).
 *
 * Nothing is allocated: entries go into the caller's arrays, topics point
 * into the input.  Integer parsing accepts ASCII digits only, where Java's
 * parseInt would also take other Unicode decimal digits (never written by
 * Kafka).
 */
#include <stdio.h>
#include <string.h>

#include "ksd/files.h"
#include "ksd/jsonw.h"

const char *ksd_text_status_text(ksd_text_status st)
{
	switch (st) {
	case KSD_TEXT_OK: return "valid";
	case KSD_TEXT_BAD_VERSION: return "unrecognised version";
	case KSD_TEXT_MALFORMED: return "malformed line";
	case KSD_TEXT_COUNT_MISMATCH: return "entry count does not match";
	case KSD_TEXT_INVALID: return "invalid value";
	case KSD_TEXT_MISSING: return "missing";
	}
	return "?";
}

static ksd_text_status fail(ksd_text_result *r, ksd_text_status st, uint32_t line,
			    uint64_t byte, const char *what)
{
	r->status = st;
	r->line = line;
	r->byte = byte;
	r->what = what;
	return st;
}

/* --- lines, as BufferedReader.readLine ------------------------------------- */

typedef struct lines {
	const char *text;
	size_t len, pos;
	uint32_t lineno;
} lines;

typedef struct line {
	const char *p;
	size_t n;
	uint64_t start;
	uint32_t no;
} line;

static void lines_init(lines *l, const char *text, size_t len)
{
	l->text = text;
	l->len = len;
	l->pos = 0;
	l->lineno = 0;
}

/* False at the end: a file ending in a terminator has no empty last line. */
static bool next_line(lines *l, line *out)
{
	if (l->pos >= l->len)
		return false;
	size_t s = l->pos, e = s;
	while (e < l->len && l->text[e] != '\n' && l->text[e] != '\r')
		e++;
	out->p = l->text + s;
	out->n = e - s;
	out->start = s;
	out->no = ++l->lineno;
	if (e < l->len && l->text[e] == '\r' && e + 1 < l->len && l->text[e + 1] == '\n')
		e++;
	l->pos = e < l->len ? e + 1 : e;
	return true;
}

/* Files.newBufferedReader decodes UTF-8 and throws on malformed input. */
static bool valid_utf8(const char *p, size_t n, size_t *bad)
{
	const uint8_t *u = (const uint8_t *)p;
	for (size_t i = 0; i < n;) {
		size_t k = ksd_utf8_seq_len(u + i, n - i);
		if (k == 0) {
			*bad = i;
			return false;
		}
		i += k;
	}
	return true;
}

/* --- numbers, as Integer.parseInt / Long.parseLong --------------------------- */

static bool parse_long(const char *p, size_t n, int64_t min, int64_t max, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (n > 0 && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	/* Accumulate negatively so INT64_MIN parses. */
	int64_t v = 0;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		int d = p[i] - '0';
		if (v < (INT64_MIN + d) / 10)
			return false;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == INT64_MIN)
			return false;
		v = -v;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_int(const char *p, size_t n, int32_t *out)
{
	int64_t v;
	if (!parse_long(p, n, INT32_MIN, INT32_MAX, &v))
		return false;
	*out = (int32_t)v;
	return true;
}

/* --- Pattern.compile("\\s+").split(line) --------------------------------------- */

#define MAX_FIELDS 4

typedef struct fields {
	size_t n; /* fields in the split (counted beyond MAX_FIELDS) */
	const char *p[MAX_FIELDS];
	size_t len[MAX_FIELDS];
} fields;

/* \s within a line: [ \t\x0B\f] (\r and \n end lines). */
static bool is_java_space(char c)
{
	return c == ' ' || c == '\t' || c == '\x0B' || c == '\f';
}

static void add_field(fields *f, const char *p, size_t n)
{
	if (f->n < MAX_FIELDS) {
		f->p[f->n] = p;
		f->len[f->n] = n;
	}
	f->n++;
}

/* A leading separator yields an empty first field; trailing empty fields
 * are removed (limit 0); a line that is all separators splits to nothing. */
static void split_ws(const char *p, size_t n, fields *f)
{
	memset(f, 0, sizeof *f);
	size_t i = 0;
	if (n == 0) {
		add_field(f, p, 0);
		return;
	}
	if (is_java_space(p[0])) {
		while (i < n && is_java_space(p[i]))
			i++;
		if (i == n)
			return;
		add_field(f, p, 0);
	}
	while (i < n) {
		size_t s = i;
		while (i < n && !is_java_space(p[i]))
			i++;
		add_field(f, p + s, i - s);
		while (i < n && is_java_space(p[i]))
			i++;
	}
}

/* --- CheckpointFile ------------------------------------------------------------- */

typedef ksd_text_status (*entry_fn)(void *ud, const line *ln, ksd_text_result *res);

static ksd_text_status read_int_line(const line *ln, int32_t *out, ksd_text_result *res)
{
	if (!parse_int(ln->p, ln->n, out))
		return fail(res, KSD_TEXT_MALFORMED, ln->no, ln->start, "not an integer");
	return KSD_TEXT_OK;
}

/*
 * CheckpointReadBuffer.read: an empty file, or one with only its version
 * line, reads as no entries; a negative count throws (new ArrayList(n)).
 */
static ksd_text_status read_checkpoint(const char *text, size_t len, ksd_checkpoint_info *info,
				       entry_fn fn, void *ud)
{
	memset(info, 0, sizeof *info);
	info->version = info->count = -1;
	size_t bad;
	if (!valid_utf8(text, len, &bad))
		return fail(&info->res, KSD_TEXT_MALFORMED, 0, bad, "not valid UTF-8");
	lines l;
	line ln;
	lines_init(&l, text, len);
	if (!next_line(&l, &ln))
		return KSD_TEXT_OK;
	if (read_int_line(&ln, &info->version, &info->res))
		return info->res.status;
	if (info->version != 0)
		return fail(&info->res, KSD_TEXT_BAD_VERSION, ln.no, ln.start, "version is not 0");
	if (!next_line(&l, &ln))
		return KSD_TEXT_OK;
	if (read_int_line(&ln, &info->count, &info->res))
		return info->res.status;
	if (info->count < 0)
		return fail(&info->res, KSD_TEXT_MALFORMED, ln.no, ln.start, "negative entry count");
	while (next_line(&l, &ln)) {
		if (fn(ud, &ln, &info->res))
			return info->res.status;
		info->entries++;
	}
	if (info->entries != (uint64_t)info->count)
		return fail(&info->res, KSD_TEXT_COUNT_MISMATCH, l.lineno, len,
			    "entries differ from the declared count");
	return KSD_TEXT_OK;
}

typedef struct tpo_sink {
	ksd_tp_offset *out;
	size_t cap;
	ksd_checkpoint_info *info;
} tpo_sink;

/* OffsetCheckpointFile.Formatter.fromString: exactly three fields. */
static ksd_text_status tpo_entry(void *ud, const line *ln, ksd_text_result *res)
{
	tpo_sink *s = ud;
	fields f;
	split_ws(ln->p, ln->n, &f);
	int32_t part;
	int64_t off;
	if (f.n != 3)
		return fail(res, KSD_TEXT_MALFORMED, ln->no, ln->start, "not `topic partition offset`");
	if (!parse_int(f.p[1], f.len[1], &part) ||
	    !parse_long(f.p[2], f.len[2], INT64_MIN, INT64_MAX, &off))
		return fail(res, KSD_TEXT_MALFORMED, ln->no, ln->start, "partition or offset not a number");
	if (s->info->stored < s->cap) {
		ksd_tp_offset *e = &s->out[s->info->stored++];
		e->topic = f.p[0];
		e->topic_len = f.len[0];
		e->partition = part;
		e->offset = off;
	}
	return KSD_TEXT_OK;
}

ksd_text_status ksd_parse_offset_checkpoint(const char *text, size_t len, ksd_tp_offset *out,
					    size_t cap, ksd_checkpoint_info *info)
{
	tpo_sink s = {out, out ? cap : 0, info};
	return read_checkpoint(text, len, info, tpo_entry, &s);
}

typedef struct epoch_sink {
	ksd_epoch_entry *out;
	size_t cap;
	ksd_epoch_checkpoint_info *info;
	bool any;
	ksd_epoch_entry last;
} epoch_sink;

/* LeaderEpochCheckpointFile.Formatter, then LeaderEpochFileCache.assign. */
static ksd_text_status epoch_entry(void *ud, const line *ln, ksd_text_result *res)
{
	epoch_sink *s = ud;
	fields f;
	split_ws(ln->p, ln->n, &f);
	ksd_epoch_entry e;
	if (f.n != 2)
		return fail(res, KSD_TEXT_MALFORMED, ln->no, ln->start, "not `epoch startOffset`");
	if (!parse_int(f.p[0], f.len[0], &e.epoch) ||
	    !parse_long(f.p[1], f.len[1], INT64_MIN, INT64_MAX, &e.start_offset))
		return fail(res, KSD_TEXT_MALFORMED, ln->no, ln->start, "epoch or offset not a number");
	if (e.epoch < 0 || e.start_offset < 0)
		return fail(res, KSD_TEXT_INVALID, ln->no, ln->start,
			    "negative epoch or start offset (LeaderEpochFileCache rejects it)");
	/* Later entries must have larger epochs and start offsets; Kafka
	 * keeps the file but drops the conflicting earlier entries. */
	if (s->any && (e.epoch <= s->last.epoch || e.start_offset < s->last.start_offset) &&
	    s->info->monotonic) {
		s->info->monotonic = false;
		s->info->first_non_monotonic_line = ln->no;
	}
	s->any = true;
	s->last = e;
	if (s->info->cp.stored < s->cap)
		s->out[s->info->cp.stored++] = e;
	return KSD_TEXT_OK;
}

ksd_text_status ksd_parse_leader_epoch_checkpoint(const char *text, size_t len,
						  ksd_epoch_entry *out, size_t cap,
						  ksd_epoch_checkpoint_info *info)
{
	memset(info, 0, sizeof *info);
	info->monotonic = true;
	epoch_sink s = {out, out ? cap : 0, info, false, {0, 0}};
	/* read_checkpoint resets only info->cp */
	return read_checkpoint(text, len, &info->cp, epoch_entry, &s);
}

/* --- Uuid ------------------------------------------------------------------------ */

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

/*
 * Uuid.fromString: at most 24 chars, Base64.getUrlDecoder() must give 16
 * bytes: 22 chars, optionally padded with "==".  Like the JDK decoder the
 * unused low bits of the last char are not checked.
 */
bool ksd_parse_uuid(const char *s, size_t len, uint8_t out[16])
{
	if (len == 24 && s[22] == '=' && s[23] == '=')
		len = 22;
	if (len != 22)
		return false;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(s[i]);
		if (v < 0)
			return false;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < 16)
				out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == 16;
}

void ksd_format_uuid(const uint8_t id[16], char out[23])
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < 15; i += 3) {
		uint32_t v = (uint32_t)id[i] << 16 | (uint32_t)id[i + 1] << 8 | id[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = tbl[(v >> 6) & 63];
		out[o++] = tbl[v & 63];
	}
	out[o++] = tbl[id[15] >> 2];
	out[o++] = tbl[(id[15] & 3) << 4];
	out[o] = '\0';
}

static bool uuid_is_zero(const uint8_t id[16])
{
	for (int i = 0; i < 16; i++)
		if (id[i])
			return false;
	return true;
}

/* DirectoryId.reserved: the first 100 UUIDs (msb 0, lsb < 100). */
static bool directory_id_reserved(const uint8_t id[16])
{
	for (int i = 0; i < 15; i++)
		if (id[i])
			return false;
	return id[15] < 100;
}

/* --- java.util.Properties ------------------------------------------------------- */

typedef struct pbuf {
	char *p;
	size_t cap, n;
	bool truncated;
} pbuf;

static void pbuf_put(pbuf *b, char c)
{
	if (b->n + 1 < b->cap)
		b->p[b->n++] = c;
	else
		b->truncated = true;
	b->p[b->n < b->cap ? b->n : b->cap - 1] = '\0';
}

/* A UTF-16 code unit as UTF-8 (Properties holds Latin-1 chars and \u escapes). */
static void pbuf_put_unit(pbuf *b, unsigned u)
{
	if (u < 0x80) {
		pbuf_put(b, (char)u);
	} else if (u < 0x800) {
		pbuf_put(b, (char)(0xC0 | u >> 6));
		pbuf_put(b, (char)(0x80 | (u & 0x3F)));
	} else {
		pbuf_put(b, (char)(0xE0 | u >> 12));
		pbuf_put(b, (char)(0x80 | ((u >> 6) & 0x3F)));
		pbuf_put(b, (char)(0x80 | (u & 0x3F)));
	}
}

static bool is_prop_space(char c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

typedef struct prop_reader {
	const char *t;
	size_t len, pos;
	uint32_t lineno;
} prop_reader;

static void props_skip_eol(prop_reader *r)
{
	if (r->pos < r->len && r->t[r->pos] == '\r')
		r->pos++;
	if (r->pos < r->len && r->t[r->pos] == '\n')
		r->pos++;
}

/* At the start of a natural line: skips blank and comment lines and leading
 * whitespace (Properties.LineReader); false at the end of the text. */
static bool props_next_logical(prop_reader *r)
{
	for (;;) {
		if (r->pos >= r->len)
			return false;
		r->lineno++;
		while (r->pos < r->len && is_prop_space(r->t[r->pos]))
			r->pos++;
		if (r->pos >= r->len)
			return false;
		char c = r->t[r->pos];
		if (c == '#' || c == '!') {
			while (r->pos < r->len && r->t[r->pos] != '\n' && r->t[r->pos] != '\r')
				r->pos++;
		} else if (c != '\n' && c != '\r') {
			return true;
		}
		props_skip_eol(r);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* After a backslash at pos: a line continuation (skips the terminator and
 * the next line's leading whitespace), or an escape written to b.  False on
 * a malformed \uXXXX, which makes Properties.load throw. */
static bool props_escape(prop_reader *r, pbuf *b)
{
	if (r->pos >= r->len)
		return true; /* a lone backslash at EOF is dropped */
	char c = r->t[r->pos++];
	if (c == '\n' || c == '\r') {
		if (c == '\r' && r->pos < r->len && r->t[r->pos] == '\n')
			r->pos++;
		r->lineno++;
		while (r->pos < r->len && is_prop_space(r->t[r->pos]))
			r->pos++;
		return true;
	}
	if (c == 'u') {
		unsigned u = 0;
		for (int i = 0; i < 4; i++) {
			int h = r->pos < r->len ? hexval(r->t[r->pos]) : -1;
			if (h < 0)
				return false;
			u = u << 4 | (unsigned)h;
			r->pos++;
		}
		pbuf_put_unit(b, u);
		return true;
	}
	pbuf_put_unit(b, c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 'f' ? '\f'
			 : (unsigned)(uint8_t)c);
	return true;
}

/* Reads the key up to an unescaped '=', ':' or whitespace, then the
 * separator, then the value to the end of the logical line. */
static bool props_read_pair(prop_reader *r, pbuf *key, pbuf *val)
{
	bool in_key = true;
	pbuf *cur = key;
	while (r->pos < r->len) {
		char c = r->t[r->pos];
		if (c == '\n' || c == '\r')
			break;
		r->pos++;
		if (c == '\\') {
			if (!props_escape(r, cur))
				return false;
			continue;
		}
		if (in_key && (c == '=' || c == ':' || is_prop_space(c))) {
			in_key = false;
			cur = val;
			while (r->pos < r->len && is_prop_space(r->t[r->pos]))
				r->pos++;
			if (is_prop_space(c) && r->pos < r->len &&
			    (r->t[r->pos] == '=' || r->t[r->pos] == ':')) {
				r->pos++;
				while (r->pos < r->len && is_prop_space(r->t[r->pos]))
					r->pos++;
			}
			continue;
		}
		pbuf_put_unit(cur, (uint8_t)c); /* ISO-8859-1: one char per byte */
	}
	return true;
}

static void props_store(ksd_prop *props, size_t cap, size_t *n, bool *dropped,
			const ksd_prop *p)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(props[i].key, p->key) == 0) {
			props[i] = *p;
			return;
		}
	}
	if (*n < cap)
		props[(*n)++] = *p;
	else if (dropped)
		*dropped = true;
}

ksd_text_status ksd_parse_properties(const char *text, size_t len, ksd_prop *props, size_t cap,
				     size_t *n, bool *dropped, ksd_text_result *res)
{
	prop_reader r = {text, len, 0, 0};
	memset(res, 0, sizeof *res);
	*n = 0;
	if (dropped)
		*dropped = false;
	while (props_next_logical(&r)) {
		ksd_prop p;
		memset(&p, 0, sizeof p);
		pbuf key = {p.key, sizeof p.key, 0, false}, val = {p.value, sizeof p.value, 0, false};
		uint64_t start = r.pos;
		if (!props_read_pair(&r, &key, &val))
			return fail(res, KSD_TEXT_MALFORMED, r.lineno, start, "malformed \\uxxxx escape");
		p.truncated = key.truncated || val.truncated;
		props_store(props, cap, n, dropped, &p);
		props_skip_eol(&r);
	}
	return KSD_TEXT_OK;
}

/* --- meta.properties -------------------------------------------------------------- */

static const ksd_prop *prop_get(const ksd_meta_properties *m, const char *key)
{
	for (size_t i = 0; i < m->nprops; i++)
		if (strcmp(m->props[i].key, key) == 0)
			return &m->props[i];
	return NULL;
}

/* MetaPropertiesVersion.fromNumberString: Integer.parseInt(s.trim()). */
static bool parse_trimmed_int(const char *s, int32_t *out)
{
	size_t b = 0, e = strlen(s);
	while (b < e && (uint8_t)s[b] <= ' ')
		b++;
	while (e > b && (uint8_t)s[e - 1] <= ' ')
		e--;
	return parse_int(s + b, e - b, out);
}

static ksd_text_status meta_ids(ksd_meta_properties *m)
{
	const ksd_prop *p;
	const char *id_key = m->version == 0 ? "broker.id" : "node.id";
	int32_t *id = m->version == 0 ? &m->broker_id : &m->node_id;
	bool *has = m->version == 0 ? &m->has_broker_id : &m->has_node_id;
	/* v0: broker.id optional; v1: node.id required (loadRequiredIntProp). */
	if ((p = prop_get(m, id_key)) != NULL) {
		if (!parse_int(p->value, strlen(p->value), id))
			return fail(&m->res, KSD_TEXT_INVALID, 0, 0, "broker.id/node.id is not an integer");
		*has = true;
	} else if (m->version == 1) {
		return fail(&m->res, KSD_TEXT_MISSING, 0, 0, "node.id was not found");
	}
	if ((p = prop_get(m, "cluster.id")) != NULL) {
		m->has_cluster_id = true;
		snprintf(m->cluster_id, sizeof m->cluster_id, "%s", p->value);
	} else if (m->version == 1) {
		return fail(&m->res, KSD_TEXT_MISSING, 0, 0, "cluster.id was not found");
	}
	if ((p = prop_get(m, "directory.id")) != NULL) {
		if (!ksd_parse_uuid(p->value, strlen(p->value), m->directory_id))
			return fail(&m->res, KSD_TEXT_INVALID, 0, 0, "directory.id is not a Uuid");
		m->has_directory_id = true;
		if (directory_id_reserved(m->directory_id))
			return fail(&m->res, KSD_TEXT_INVALID, 0, 0,
				    "directory.id is one of the 100 reserved ids");
	}
	return KSD_TEXT_OK;
}

ksd_text_status ksd_parse_meta_properties(const char *text, size_t len, ksd_meta_properties *out)
{
	memset(out, 0, sizeof *out);
	if (ksd_parse_properties(text, len, out->props, KSD_PROPS_MAX, &out->nprops,
				 &out->props_dropped, &out->res))
		return out->res.status;
	const ksd_prop *v = prop_get(out, "version");
	int32_t version = 0;
	if (v && !parse_trimmed_int(v->value, &version))
		return fail(&out->res, KSD_TEXT_BAD_VERSION, 0, 0, "version is not a number");
	if (version != 0 && version != 1)
		return fail(&out->res, KSD_TEXT_BAD_VERSION, 0, 0, "version is not 0 or 1");
	out->version = version;
	return meta_ids(out);
}

/* --- partition.metadata ------------------------------------------------------------ */

/* Pattern.compile(":\\s+").split(line): the number of fields and the
 * second one. */
static size_t split_colon(const char *p, size_t n, const char **second, size_t *second_len)
{
	size_t count = 0, start = 0, i = 0;
	const char *fld[3] = {0};
	size_t flen[3] = {0};
	while (i < n) {
		if (p[i] == ':' && i + 1 < n && is_java_space(p[i + 1])) {
			size_t e = i + 1;
			while (e < n && is_java_space(p[e]))
				e++;
			if (count < 3) {
				fld[count] = p + start;
				flen[count] = i - start;
			}
			count++;
			start = i = e;
			continue;
		}
		i++;
	}
	if (count < 3) {
		fld[count] = p + start;
		flen[count] = n - start;
	}
	count++;
	/* Trailing empty fields are removed. */
	while (count > 1 && count <= 3 && flen[count - 1] == 0)
		count--;
	*second = fld[1];
	*second_len = flen[1];
	return count;
}

ksd_text_status ksd_parse_partition_metadata(const char *text, size_t len,
					     ksd_partition_metadata *out)
{
	memset(out, 0, sizeof *out);
	size_t bad;
	if (!valid_utf8(text, len, &bad))
		return fail(&out->res, KSD_TEXT_MALFORMED, 0, bad, "not valid UTF-8");
	lines l;
	line ln;
	const char *v;
	size_t vn;
	lines_init(&l, text, len);
	if (!next_line(&l, &ln))
		return fail(&out->res, KSD_TEXT_MISSING, 1, 0, "empty file");
	if (split_colon(ln.p, ln.n, &v, &vn) != 2 || !parse_int(v, vn, &out->version))
		return fail(&out->res, KSD_TEXT_MALFORMED, ln.no, ln.start, "not `version: N`");
	/* "To ensure downgrade compatibility": any version >= 0 reads. */
	if (out->version < 0)
		return fail(&out->res, KSD_TEXT_BAD_VERSION, ln.no, ln.start, "negative version");
	if (!next_line(&l, &ln))
		return fail(&out->res, KSD_TEXT_MISSING, 2, len, "no topic_id line");
	if (split_colon(ln.p, ln.n, &v, &vn) != 2)
		return fail(&out->res, KSD_TEXT_MALFORMED, ln.no, ln.start, "not `topic_id: <uuid>`");
	if (!ksd_parse_uuid(v, vn, out->topic_id))
		return fail(&out->res, KSD_TEXT_INVALID, ln.no, ln.start, "topic_id is not a Uuid");
	if (uuid_is_zero(out->topic_id))
		return fail(&out->res, KSD_TEXT_INVALID, ln.no, ln.start, "topic_id is the zero Uuid");
	return KSD_TEXT_OK;
}

/* --- JSON ----------------------------------------------------------------------------- */

#define JSON_MAX_DEPTH 64

typedef struct json {
	const char *t;
	size_t n, pos;
	int depth;
} json;

static void json_ws(json *j)
{
	while (j->pos < j->n && (j->t[j->pos] == ' ' || j->t[j->pos] == '\t' ||
				 j->t[j->pos] == '\n' || j->t[j->pos] == '\r'))
		j->pos++;
}

static bool json_lit(json *j, const char *lit)
{
	size_t k = strlen(lit);
	if (j->n - j->pos < k || memcmp(j->t + j->pos, lit, k) != 0)
		return false;
	j->pos += k;
	return true;
}

static bool json_string(json *j)
{
	if (j->pos >= j->n || j->t[j->pos] != '"')
		return false;
	j->pos++;
	while (j->pos < j->n) {
		uint8_t c = (uint8_t)j->t[j->pos];
		if (c == '"') {
			j->pos++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++j->pos >= j->n)
				return false;
			char e = j->t[j->pos++];
			if (e == 'u') {
				for (int i = 0; i < 4; i++)
					if (j->pos >= j->n || hexval(j->t[j->pos++]) < 0)
						return false;
			} else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
				return false;
			}
			continue;
		}
		size_t k = ksd_utf8_seq_len((const uint8_t *)j->t + j->pos, j->n - j->pos);
		if (k == 0)
			return false;
		j->pos += k;
	}
	return false;
}

static bool json_digits(json *j)
{
	size_t s = j->pos;
	while (j->pos < j->n && j->t[j->pos] >= '0' && j->t[j->pos] <= '9')
		j->pos++;
	return j->pos > s;
}

static bool json_number(json *j)
{
	if (j->pos < j->n && j->t[j->pos] == '-')
		j->pos++;
	if (j->pos < j->n && j->t[j->pos] == '0')
		j->pos++;
	else if (!json_digits(j))
		return false;
	if (j->pos < j->n && j->t[j->pos] == '.') {
		j->pos++;
		if (!json_digits(j))
			return false;
	}
	if (j->pos < j->n && (j->t[j->pos] == 'e' || j->t[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->n && (j->t[j->pos] == '+' || j->t[j->pos] == '-'))
			j->pos++;
		if (!json_digits(j))
			return false;
	}
	return true;
}

static bool json_value(json *j);

static bool json_container(json *j, char close, bool object)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return false;
	j->pos++;
	json_ws(j);
	if (j->pos < j->n && j->t[j->pos] == close) {
		j->pos++;
		j->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			if (!json_string(j))
				return false;
			json_ws(j);
			if (j->pos >= j->n || j->t[j->pos++] != ':')
				return false;
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (j->pos >= j->n)
			return false;
		char c = j->t[j->pos++];
		if (c == close)
			break;
		if (c != ',')
			return false;
		json_ws(j);
	}
	j->depth--;
	return true;
}

static bool json_value(json *j)
{
	json_ws(j);
	if (j->pos >= j->n)
		return false;
	switch (j->t[j->pos]) {
	case '{': return json_container(j, '}', true);
	case '[': return json_container(j, ']', false);
	case '"': return json_string(j);
	case 't': return json_lit(j, "true");
	case 'f': return json_lit(j, "false");
	case 'n': return json_lit(j, "null");
	default: return json_number(j);
	}
}

bool ksd_json_validate(const char *text, size_t len, size_t *end)
{
	json j = {text, len, 0, 0};
	bool ok = json_value(&j);
	*end = j.pos;
	return ok;
}

/* Top-level members of an object: key (raw, unescaped bytes) and value span. */
typedef void (*member_fn)(void *ud, const char *key, size_t klen, const char *val, size_t vlen);

static bool json_members(const char *text, size_t len, member_fn fn, void *ud, size_t *end)
{
	json j = {text, len, 0, 1};
	json_ws(&j);
	if (j.pos >= j.n || j.t[j.pos] != '{') {
		*end = j.pos;
		return false;
	}
	j.pos++;
	json_ws(&j);
	if (j.pos < j.n && j.t[j.pos] == '}') {
		*end = j.pos + 1;
		return true;
	}
	for (;;) {
		size_t ks = j.pos;
		if (!json_string(&j))
			break;
		size_t ke = j.pos;
		json_ws(&j);
		if (j.pos >= j.n || j.t[j.pos++] != ':')
			break;
		json_ws(&j);
		size_t vs = j.pos;
		if (!json_value(&j))
			break;
		fn(ud, text + ks + 1, ke - ks - 2, text + vs, j.pos - vs);
		json_ws(&j);
		if (j.pos >= j.n)
			break;
		char c = j.t[j.pos++];
		if (c == '}') {
			*end = j.pos;
			return true;
		}
		if (c != ',')
			break;
		json_ws(&j);
	}
	*end = j.pos;
	return false;
}

static bool key_is(const char *key, size_t klen, const char *want)
{
	return strlen(want) == klen && memcmp(key, want, klen) == 0;
}

/* A JSON integer (no '+', no leading zeros) within [min, max]. */
static bool json_int(const char *v, size_t n, int64_t min, int64_t max, int64_t *out)
{
	size_t digits = n > 0 && v[0] == '-' ? 1 : 0;
	if (n == 0 || v[0] == '+' || (n - digits > 1 && v[digits] == '0'))
		return false;
	return parse_long(v, n, min, max, out);
}

/* A JSON string without escapes, copied (cut to cap - 1 bytes). */
static bool json_plain_string(const char *v, size_t n, char *out, size_t cap)
{
	if (n < 2 || v[0] != '"' || memchr(v, '\\', n))
		return false;
	size_t k = n - 2 < cap - 1 ? n - 2 : cap - 1;
	memcpy(out, v + 1, k);
	out[k] = '\0';
	return true;
}

/* --- .kafka_cleanshutdown ---------------------------------------------------------- */

typedef struct cs_ctx {
	ksd_clean_shutdown *out;
	bool bad;
} cs_ctx;

static void cs_member(void *ud, const char *key, size_t klen, const char *val, size_t vlen)
{
	cs_ctx *c = ud;
	if (key_is(key, klen, "version")) {
		c->out->has_version = json_int(val, vlen, INT32_MIN, INT32_MAX, &c->out->version);
		c->bad |= !c->out->has_version;
	} else if (key_is(key, klen, "brokerEpoch")) {
		if (vlen == 4 && memcmp(val, "null", 4) == 0)
			return;
		c->out->has_broker_epoch = json_int(val, vlen, INT64_MIN, INT64_MAX,
						    &c->out->broker_epoch);
		c->bad |= !c->out->has_broker_epoch;
	}
}

ksd_text_status ksd_parse_clean_shutdown(const char *text, size_t len, ksd_clean_shutdown *out)
{
	memset(out, 0, sizeof *out);
	out->empty = len == 0;
	if (out->empty)
		return KSD_TEXT_OK;
	cs_ctx c = {out, false};
	size_t end;
	if (!json_members(text, len, cs_member, &c, &end))
		return fail(&out->res, KSD_TEXT_MALFORMED, 1, end, "not a JSON object");
	out->json = true;
	if (c.bad)
		return fail(&out->res, KSD_TEXT_INVALID, 1, 0, "version or brokerEpoch not an integer");
	return KSD_TEXT_OK;
}

/* --- quorum-state ------------------------------------------------------------------ */

enum qs_field {
	QS_DATA_VERSION = 1u << 0, QS_CLUSTER_ID = 1u << 1, QS_LEADER_ID = 1u << 2,
	QS_LEADER_EPOCH = 1u << 3, QS_VOTED_ID = 1u << 4, QS_APPLIED = 1u << 5,
	QS_VOTERS = 1u << 6, QS_VOTED_DIR = 1u << 7,
};

typedef struct qs_ctx {
	ksd_quorum_state *out;
	unsigned seen, bad;
} qs_ctx;

static int64_t count_array(const char *v, size_t n)
{
	if (n == 4 && memcmp(v, "null", 4) == 0)
		return -1;
	json j = {v, n, 0, 0};
	int64_t count = 0;
	j.pos = 1;
	json_ws(&j);
	if (j.pos < j.n && j.t[j.pos] == ']')
		return 0;
	while (j.pos < j.n && json_value(&j)) {
		count++;
		json_ws(&j);
		if (j.pos >= j.n || j.t[j.pos++] != ',')
			break;
	}
	return count;
}

static void qs_int(qs_ctx *c, unsigned bit, const char *v, size_t n, int64_t min, int64_t max,
		   int64_t *out)
{
	c->seen |= bit;
	if (!json_int(v, n, min, max, out))
		c->bad |= bit;
}

static void qs_member(void *ud, const char *key, size_t klen, const char *v, size_t n)
{
	qs_ctx *c = ud;
	ksd_quorum_state *q = c->out;
	int64_t dv = 0;
	if (key_is(key, klen, "data_version")) {
		qs_int(c, QS_DATA_VERSION, v, n, INT16_MIN, INT16_MAX, &dv);
		q->data_version = (int)dv;
	} else if (key_is(key, klen, "leaderId")) {
		qs_int(c, QS_LEADER_ID, v, n, INT32_MIN, INT32_MAX, &q->leader_id);
	} else if (key_is(key, klen, "leaderEpoch")) {
		qs_int(c, QS_LEADER_EPOCH, v, n, INT32_MIN, INT32_MAX, &q->leader_epoch);
	} else if (key_is(key, klen, "votedId")) {
		qs_int(c, QS_VOTED_ID, v, n, INT32_MIN, INT32_MAX, &q->voted_id);
	} else if (key_is(key, klen, "appliedOffset")) {
		qs_int(c, QS_APPLIED, v, n, INT64_MIN, INT64_MAX, &q->applied_offset);
		q->has_applied_offset = !(c->bad & QS_APPLIED);
	} else if (key_is(key, klen, "clusterId")) {
		c->seen |= QS_CLUSTER_ID;
		q->has_cluster_id = json_plain_string(v, n, q->cluster_id, sizeof q->cluster_id);
		if (!q->has_cluster_id)
			c->bad |= QS_CLUSTER_ID;
	} else if (key_is(key, klen, "currentVoters")) {
		c->seen |= QS_VOTERS;
		if (!(n == 4 && memcmp(v, "null", 4) == 0) && v[0] != '[')
			c->bad |= QS_VOTERS;
		q->voters = count_array(v, n);
	} else if (key_is(key, klen, "votedDirectoryId")) {
		char id[32];
		c->seen |= QS_VOTED_DIR;
		q->has_voted_directory_id = json_plain_string(v, n, id, sizeof id) &&
					    ksd_parse_uuid(id, strlen(id), q->voted_directory_id);
		if (!q->has_voted_directory_id)
			c->bad |= QS_VOTED_DIR;
	}
}

/* QuorumStateDataJsonConverter: every field of the version is mandatory. */
static unsigned qs_required(int data_version)
{
	unsigned common = QS_LEADER_ID | QS_LEADER_EPOCH | QS_VOTED_ID;
	return data_version == 0 ? common | QS_CLUSTER_ID | QS_APPLIED | QS_VOTERS
				 : common | QS_VOTED_DIR;
}

ksd_text_status ksd_parse_quorum_state(const char *text, size_t len, ksd_quorum_state *out)
{
	memset(out, 0, sizeof *out);
	out->voters = -1;
	lines l;
	line ln;
	lines_init(&l, text, len);
	if (!next_line(&l, &ln))
		return fail(&out->res, KSD_TEXT_MISSING, 1, 0, "empty file");
	qs_ctx c = {out, 0, 0};
	size_t end;
	if (!json_members(ln.p, ln.n, qs_member, &c, &end))
		return fail(&out->res, KSD_TEXT_MALFORMED, 1, end, "the first line is not a JSON object");
	out->json_len = end;
	if (!(c.seen & QS_DATA_VERSION))
		return fail(&out->res, KSD_TEXT_MISSING, 1, 0, "no data_version");
	if ((c.bad & QS_DATA_VERSION) || out->data_version < 0 || out->data_version > 1)
		return fail(&out->res, KSD_TEXT_BAD_VERSION, 1, 0, "data_version is not 0 or 1");
	unsigned need = qs_required(out->data_version);
	if (c.bad & need)
		return fail(&out->res, KSD_TEXT_INVALID, 1, 0, "a field has the wrong type or range");
	if ((c.seen & need) != need)
		return fail(&out->res, KSD_TEXT_MISSING, 1, 0, "a field mandatory in this version is absent");
	return KSD_TEXT_OK;
}
