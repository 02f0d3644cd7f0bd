/*
 * gen/files.c - the small files of a log dir and of a partition dir
 * (kafka-facts.md §3): meta.properties, text checkpoints,
 * leader-epoch-checkpoint, partition.metadata, .kafka_cleanshutdown, .lock
 * and producer state snapshots.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/internal.h"
#include "ksd/crc.h"

ksd_err gen_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return KSD_ERR_IO;
		c += w;
		n -= (size_t)w;
	}
	return KSD_OK;
}

ksd_err ksd_gen_mkdirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(tmp))
		return KSD_ERR_INVAL;
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char saved = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return KSD_ERR_IO;
		tmp[i] = saved;
	}
	return KSD_OK;
}

ksd_err ksd_gen_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return KSD_ERR_IO;
	ksd_err err = gen_write_all(fd, data, len);
	if (close(fd) != 0 && !err)
		err = KSD_ERR_IO;
	return err;
}

ksd_err ksd_gen_write_file_in(const char *dir, const char *name,
			      const void *data, size_t len)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return KSD_ERR_OVERFLOW;
	return ksd_gen_write_file(path, data, len);
}

/* Writes a text buffer built by the caller, then frees it. */
static ksd_err write_text(const char *dir, const char *name, ksd_gen_buf *b)
{
	ksd_err err = ksd_gen_buf_status(b);
	if (!err)
		err = ksd_gen_write_file_in(dir, name, b->data, b->len);
	ksd_gen_buf_free(b);
	return err;
}

ksd_err ksd_gen_write_meta_properties(const char *logdir, int version,
				      int32_t id, const char *cluster_id)
{
	if ((version != 0 && version != 1) || !cluster_id)
		return KSD_ERR_INVAL;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	/* java.util.Properties.store(): comment line, date line, then keys in
	 * hash order; the date is fixed to keep fixtures reproducible. */
	ksd_gen_buf_printf(&b, "#\n#Tue Nov 14 22:13:20 UTC 2023\n");
	ksd_gen_buf_printf(&b, "cluster.id=%s\n", cluster_id);
	ksd_gen_buf_printf(&b, "version=%d\n", version);
	/* ZK mode (v0) keys the broker by broker.id, KRaft (v1) by node.id. */
	ksd_gen_buf_printf(&b, "%s=%" PRId32 "\n",
			   version == 0 ? "broker.id" : "node.id", id);
	return write_text(logdir, "meta.properties", &b);
}

ksd_err ksd_gen_write_checkpoint(const char *logdir, const char *name,
				 const ksd_gen_tp_offset *entries, size_t n)
{
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_buf_printf(&b, "0\n%zu\n", n); /* version 0, count */
	for (size_t i = 0; i < n; i++)
		ksd_gen_buf_printf(&b, "%s %" PRId32 " %" PRId64 "\n",
				   entries[i].topic, entries[i].partition,
				   entries[i].offset);
	return write_text(logdir, name, &b);
}

ksd_err ksd_gen_write_leader_epoch_checkpoint(const char *partdir,
					      const ksd_gen_epoch_entry *e,
					      size_t n)
{
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_buf_printf(&b, "0\n%zu\n", n);
	for (size_t i = 0; i < n; i++)
		ksd_gen_buf_printf(&b, "%" PRId32 " %" PRId64 "\n",
				   e[i].epoch, e[i].start_offset);
	return write_text(partdir, "leader-epoch-checkpoint", &b);
}

void ksd_gen_uuid_base64url(const uint8_t id[16], char out[23])
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				  "uvwxyz0123456789-_";
	size_t o = 0;
	/* 16 bytes = 5 full 3-byte groups + 1 byte: 20 + 2 chars, no '='. */
	for (size_t i = 0; i < 15; i += 3) {
		uint32_t v = (uint32_t)id[i] << 16 | (uint32_t)id[i + 1] << 8 |
			     id[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = tbl[(v >> 6) & 63];
		out[o++] = tbl[v & 63];
	}
	out[o++] = tbl[id[15] >> 2];
	out[o++] = tbl[(id[15] & 3) << 4];
	out[o] = '\0';
}

ksd_err ksd_gen_write_partition_metadata(const char *partdir,
					 const uint8_t topic_id[16])
{
	char id[23];
	ksd_gen_uuid_base64url(topic_id, id);
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_buf_printf(&b, "version: 0\ntopic_id: %s\n", id);
	return write_text(partdir, "partition.metadata", &b);
}

ksd_err ksd_gen_write_clean_shutdown(const char *logdir)
{
	return ksd_gen_write_file_in(logdir, ".kafka_cleanshutdown", "", 0);
}

ksd_err ksd_gen_write_lock_file(const char *logdir)
{
	return ksd_gen_write_file_in(logdir, ".lock", "", 0);
}

static void put_producer_entry(ksd_gen_buf *b, const ksd_gen_producer_entry *e)
{
	ksd_gen_buf_put_be64(b, (uint64_t)e->producer_id);
	ksd_gen_buf_put_be16(b, (uint16_t)e->producer_epoch);
	ksd_gen_buf_put_be32(b, (uint32_t)e->last_sequence);
	ksd_gen_buf_put_be64(b, (uint64_t)e->last_offset);
	ksd_gen_buf_put_be32(b, (uint32_t)e->offset_delta);
	ksd_gen_buf_put_be64(b, (uint64_t)e->timestamp);
	ksd_gen_buf_put_be32(b, (uint32_t)e->coordinator_epoch);
	ksd_gen_buf_put_be64(b, (uint64_t)e->current_txn_first_offset);
}

void ksd_gen_encode_producer_snapshot(ksd_gen_buf *out,
				      const ksd_gen_producer_entry *e,
				      size_t n)
{
	size_t start = out->len;
	ksd_gen_buf_put_be16(out, 1); /* version */
	ksd_gen_buf_put_be32(out, 0); /* crc, patched */
	ksd_gen_buf_put_be32(out, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_producer_entry(out, &e[i]);
	if (out->oom)
		return;
	/* ProducerStateManager: CRC-32C over everything after the crc field. */
	uint32_t crc = ksd_crc32c(0, out->data + start + 6,
				  out->len - start - 6);
	ksd_gen_buf_set_be32(out, start + 2, crc);
}

ksd_err ksd_gen_write_producer_snapshot(const char *partdir, int64_t offset,
					const ksd_gen_producer_entry *e,
					size_t n)
{
	char path[4096];
	ksd_err err = ksd_gen_segment_path(path, sizeof(path), partdir, offset,
					   ".snapshot");
	if (err)
		return err;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_encode_producer_snapshot(&b, e, n);
	err = ksd_gen_buf_status(&b);
	if (!err)
		err = ksd_gen_write_file(path, b.data, b.len);
	ksd_gen_buf_free(&b);
	return err;
}
