/*
 * Reading small files whole (indexes, snapshots, text files), and telling
 * what a file is from its content.
 *
 * Operators confuse a producer `.snapshot` with a KRaft `.checkpoint`, copy
 * files under new names, or hand us a file without its name; the content
 * usually says what it is.  Strong signatures (a CRC that holds, an exact
 * size equation) and the specific text layouts beat the name; the weakest
 * (a monotonic index, an entry chain whose CRC fails) only name a file
 * whose name says nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksd/batch.h"
#include "ksd/crc.h"
#include "ksd/cursor.h"
#include "ksd/files.h"

/* --- loading ------------------------------------------------------------------ */

void ksd_bytes_free(ksd_bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->cap = 0;
}

ksd_file_image ksd_file_image_mem(const void *data, size_t len)
{
	ksd_file_image im = {(const uint8_t *)data, len, len, false, false};
	return im;
}

static bool bytes_reserve(ksd_bytes *b, size_t n)
{
	if (n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < n)
		cap = cap > SIZE_MAX / 2 ? n : cap * 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return false;
	b->data = p;
	b->cap = cap;
	return true;
}

/*
 * End of the last data extent: everything after it is a hole, i.e. zeros
 * never written.  Kafka preallocates indexes with RandomAccessFile.setLength,
 * which leaves holes on every common Linux filesystem, so a 10 MiB index
 * with a few real entries costs one block to read.  Without SEEK_HOLE
 * support the answer is the file size (read everything).
 */
static uint64_t data_end_of(int fd, uint64_t size)
{
#ifdef SEEK_HOLE
	off_t pos = 0;
	uint64_t end = 0;
	for (int extents = 0; extents < 4096; extents++) {
		off_t d = lseek(fd, pos, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO ? end : size;
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h >= size)
			return size;
		end = (uint64_t)h;
		pos = h;
	}
#else
	(void)fd;
#endif
	return size;
}

static bool read_at(int fd, uint8_t *p, size_t want, size_t *got)
{
	size_t done = 0;
	while (done < want) {
		ssize_t r = pread(fd, p + done, want - done, (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0)
			break; /* shrank under us (a running broker trims indexes) */
		done += (size_t)r;
	}
	*got = done;
	return true;
}

ksd_err ksd_file_load(const char *path, size_t cap, ksd_bytes *buf, ksd_file_image *out)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return KSD_ERR_IO;
	ksd_err err = KSD_OK;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		err = KSD_ERR_IO;
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	uint64_t data_end = data_end_of(fd, size);
	size_t want = data_end < cap ? (size_t)data_end : cap;
	size_t got = 0;
	if (!bytes_reserve(buf, want ? want : 1)) {
		err = KSD_ERR_NOMEM;
		goto out;
	}
	if (!read_at(fd, buf->data, want, &got)) {
		err = KSD_ERR_IO;
		goto out;
	}
	out->data = buf->data;
	out->len = got;
	out->file_size = got < want ? got : size;
	out->capped = got == want && data_end > cap;
	out->tail_zero = got == want && data_end <= cap && data_end < size;
out:
	if (err == KSD_ERR_IO) {
		int e = errno;
		close(fd);
		errno = e;
		return err;
	}
	close(fd);
	return err;
}

/* --- signatures ------------------------------------------------------------------ */

static bool is_snapshot(const uint8_t *h, size_t n, uint64_t size)
{
	ksd_snapshot_info si;
	if (n < KSD_SNAPSHOT_HEADER_BYTES || ksd_load_be32(h) >> 16 != 1)
		return false;
	int32_t count = (int32_t)ksd_load_be32(h + 6);
	if (count < 0 || size != KSD_SNAPSHOT_HEADER_BYTES + (uint64_t)count * KSD_SNAPSHOT_ENTRY_BYTES)
		return false;
	if (n < size)
		return true; /* the exact size equation has to do */
	return ksd_snapshot_parse(h, n, &si) == KSD_SNAP_OK;
}

/* The first record's key of an uncompressed control batch: int16 version,
 * int16 type (ControlRecordType); 3 = SNAPSHOT_HEADER (§6.5). */
static int control_type(const uint8_t *h, size_t n, const ksd_batch *b)
{
	size_t end = b->entry_len < n ? (size_t)b->entry_len : n;
	if (end <= KSD_V2_OVERHEAD || b->codec != 0)
		return -1;
	ksd_cursor c;
	ksd_cur_init(&c, h + KSD_V2_OVERHEAD, end - KSD_V2_OVERHEAD, KSD_V2_OVERHEAD);
	(void)ksd_cur_varint(&c);  /* record length */
	(void)ksd_cur_u8(&c);      /* attributes */
	(void)ksd_cur_varlong(&c); /* timestamp delta */
	(void)ksd_cur_varint(&c);  /* offset delta */
	int32_t key_len = ksd_cur_varint(&c);
	if (!ksd_cur_ok(&c) || key_len < 4)
		return -1;
	int16_t version = ksd_cur_i16(&c);
	int16_t type = ksd_cur_i16(&c);
	return ksd_cur_ok(&c) && version >= 0 ? type : -1;
}

/* 2: first entry parses and its CRC holds; 1: parses, CRC not checkable
 * (entry longer than head) or wrong; 0: not an entry chain. */
static int log_score(const uint8_t *h, size_t n, uint64_t size, ksd_batch *b)
{
	if (size == 0 || ksd_batch_parse(h, n, size, 0, b) != KSD_ENTRY_OK || b->base_offset < 0)
		return 0;
	if (b->entry_len > n)
		return 1;
	return ksd_batch_compute_crc(b, h) == b->stored_crc ? 2 : 1;
}

static bool is_text(const uint8_t *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (h[i] == 0 || (h[i] < 0x20 && h[i] != '\n' && h[i] != '\r' && h[i] != '\t' &&
				  h[i] != '\f' && h[i] != '\x0B'))
			return false;
	return n > 0;
}

/* Cut a partial head back to its last complete line. */
static size_t whole_lines(const uint8_t *h, size_t n, uint64_t size)
{
	if (n >= size)
		return n;
	while (n > 0 && h[n - 1] != '\n')
		n--;
	return n;
}

static bool json_has_key(const char *t, size_t n, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 0; i + k + 2 <= n; i++)
		if (t[i] == '"' && memcmp(t + i + 1, key, k) == 0 && t[i + k + 1] == '"')
			return true;
	return false;
}

static bool is_offset_checkpoint_kind(ksd_file_kind k)
{
	return k == KSD_FILE_RECOVERY_CHECKPOINT || k == KSD_FILE_REPLICATION_CHECKPOINT ||
	       k == KSD_FILE_LOG_START_CHECKPOINT || k == KSD_FILE_CLEANER_CHECKPOINT;
}

/* A checkpoint's entries: 3 fields (offset checkpoints) or 2 (leader
 * epochs); with no entries either fits and the name decides. */
static ksd_file_kind checkpoint_kind(const char *t, size_t n, bool truncated, ksd_file_kind by_name)
{
	ksd_checkpoint_info ci;
	ksd_epoch_checkpoint_info ei;
	ksd_text_status os = ksd_parse_offset_checkpoint(t, n, NULL, 0, &ci);
	ksd_text_status es = ksd_parse_leader_epoch_checkpoint(t, n, NULL, 0, &ei);
	bool o_ok = os == KSD_TEXT_OK || (truncated && os == KSD_TEXT_COUNT_MISMATCH);
	bool e_ok = es == KSD_TEXT_OK || es == KSD_TEXT_INVALID ||
		    (truncated && es == KSD_TEXT_COUNT_MISMATCH);
	if (ci.version != 0 || ci.count < 0)
		return KSD_FILE_UNKNOWN;
	if (o_ok && (ci.entries > 0 || is_offset_checkpoint_kind(by_name)))
		return is_offset_checkpoint_kind(by_name) ? by_name : KSD_FILE_RECOVERY_CHECKPOINT;
	if (e_ok)
		return KSD_FILE_LEADER_EPOCH_CHECKPOINT;
	return KSD_FILE_UNKNOWN;
}

static ksd_file_kind text_kind(const uint8_t *h, size_t n, uint64_t size, ksd_file_kind by_name)
{
	size_t m = whole_lines(h, n, size);
	const char *t = (const char *)h;
	size_t i = 0;
	while (i < m && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	if (i < m && t[i] == '{') {
		if (json_has_key(t, m, "brokerEpoch"))
			return KSD_FILE_CLEAN_SHUTDOWN;
		if (json_has_key(t, m, "leaderEpoch") && json_has_key(t, m, "data_version"))
			return KSD_FILE_QUORUM_STATE;
		return KSD_FILE_UNKNOWN;
	}
	if (m >= 9 && memcmp(t, "version: ", 9) == 0 && memmem(t, m, "\ntopic_id: ", 11))
		return KSD_FILE_PARTITION_METADATA;
	if (memmem(t, m, "cluster.id=", 11) || memmem(t, m, "broker.id=", 10) ||
	    memmem(t, m, "node.id=", 8))
		return KSD_FILE_META_PROPERTIES;
	if (m >= 2 && t[0] == '0' && (t[1] == '\n' || t[1] == '\r'))
		return checkpoint_kind(t, m, m < size, by_name);
	return KSD_FILE_UNKNOWN;
}

/* Index kinds whose decoding of the head is consistent (and non-trivial). */
static unsigned index_kinds(const uint8_t *h, size_t n, uint64_t size)
{
	static const ksd_index_kind kinds[] = {KSD_INDEX_OFFSET, KSD_INDEX_TIME, KSD_INDEX_TXN};
	unsigned fits = 0;
	ksd_file_image im = {h, n, size, false, n < size};
	for (unsigned i = 0; i < 3; i++) {
		ksd_index_analysis a;
		if (size % ksd_index_entry_bytes(kinds[i]) != 0)
			continue;
		ksd_index_analyze(kinds[i], 0, &im, -1, &a);
		bool bad = false;
		for (unsigned r = 0; r < KSD_IXR__COUNT; r++)
			bad |= a.issue[r].count != 0 && r != KSD_IXR_TXN_BELOW_BASE;
		if (!bad && a.entries > 0)
			fits |= 1u << i;
	}
	return fits;
}

static ksd_file_kind index_file_kind(unsigned bit)
{
	return bit == 1 ? KSD_FILE_INDEX : bit == 2 ? KSD_FILE_TIMEINDEX : KSD_FILE_TXNINDEX;
}

static unsigned name_index_bit(ksd_file_kind k)
{
	return k == KSD_FILE_INDEX ? 1u : k == KSD_FILE_TIMEINDEX ? 2u : k == KSD_FILE_TXNINDEX ? 4u : 0u;
}

static ksd_file_kind pick_index(unsigned fits, ksd_file_kind by_name)
{
	if (!fits)
		return KSD_FILE_UNKNOWN;
	if (fits & name_index_bit(by_name))
		return by_name;
	/* Otherwise the most common kind that fits. */
	return index_file_kind(fits & 1u ? 1u : fits & 2u ? 2u : 4u);
}

static bool all_zero(const uint8_t *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (h[i])
			return false;
	return true;
}

static ksd_file_kind kraft_kind(ksd_file_kind by_name)
{
	return by_name == KSD_FILE_BOOTSTRAP_CHECKPOINT ? by_name : KSD_FILE_KRAFT_SNAPSHOT;
}

ksd_file_kind ksd_sniff_kind(const uint8_t *head, size_t n, uint64_t file_size, const char *name)
{
	ksd_file_kind by_name = name ? ksd_classify_file(name).kind : KSD_FILE_UNKNOWN;
	if (n > file_size)
		n = (size_t)file_size;
	if (n == 0 || all_zero(head, n))
		return by_name;
	if (is_snapshot(head, n, file_size))
		return KSD_FILE_SNAPSHOT;
	ksd_batch b;
	int ls = log_score(head, n, file_size, &b);
	if (ls > 0 && b.magic == 2 && ksd_batch_is_control(&b) && control_type(head, n, &b) == 3)
		return kraft_kind(by_name);
	if (ls == 2)
		return by_name == KSD_FILE_KRAFT_SNAPSHOT || by_name == KSD_FILE_BOOTSTRAP_CHECKPOINT
		       ? by_name : KSD_FILE_LOG;
	/* Weak signatures: a specific text layout, else the name, else an
	 * index shape, else a damaged entry chain. */
	if (is_text(head, n)) {
		ksd_file_kind tk = text_kind(head, n, file_size, by_name);
		if (tk != KSD_FILE_UNKNOWN)
			return tk;
	}
	if (by_name != KSD_FILE_UNKNOWN)
		return by_name;
	ksd_file_kind ik = pick_index(index_kinds(head, n, file_size), by_name);
	if (ik != KSD_FILE_UNKNOWN)
		return ik;
	if (ls == 1)
		return KSD_FILE_LOG;
	return by_name;
}
