/*
 * gen/damage.c - one defect per call, for tests that must see exactly one
 * finding.  File variants edit in place with pread/pwrite; memory variants
 * edit a buffer the caller owns.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/internal.h"

#define ENTRY_SIZE_FIELD 8
#define ENTRY_MAGIC_FIELD 16

/* Overwrites n bytes at pos; the range must lie inside the file. */
static ksd_err patch_file(const char *path, uint64_t pos, const void *p,
			  size_t n)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return KSD_ERR_IO;
	struct stat st;
	ksd_err err = KSD_OK;
	if (fstat(fd, &st) != 0)
		err = KSD_ERR_IO;
	else if (pos > (uint64_t)st.st_size || n > (uint64_t)st.st_size - pos)
		err = KSD_ERR_INVAL;
	else if (pwrite(fd, p, n, (off_t)pos) != (ssize_t)n)
		err = KSD_ERR_IO;
	if (close(fd) != 0 && !err)
		err = KSD_ERR_IO;
	return err;
}

static ksd_err read_byte(const char *path, uint64_t pos, uint8_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return KSD_ERR_IO;
	ssize_t r = pread(fd, out, 1, (off_t)pos);
	close(fd);
	if (r < 0)
		return KSD_ERR_IO;
	return r == 1 ? KSD_OK : KSD_ERR_INVAL;
}

ksd_err ksd_gen_damage_flip_bit(const char *path, uint64_t pos, unsigned bit)
{
	uint8_t b;
	if (bit > 7)
		return KSD_ERR_INVAL;
	ksd_err err = read_byte(path, pos, &b);
	if (err)
		return err;
	b ^= (uint8_t)(1u << bit);
	return patch_file(path, pos, &b, 1);
}

ksd_err ksd_gen_damage_truncate(const char *path, uint64_t new_size)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return KSD_ERR_IO;
	if (new_size > (uint64_t)st.st_size)
		return KSD_ERR_INVAL; /* that would add bytes, not tear */
	return truncate(path, (off_t)new_size) ? KSD_ERR_IO : KSD_OK;
}

ksd_err ksd_gen_damage_set_size(const char *path, uint64_t entry_pos,
				int32_t size)
{
	uint8_t b[4];
	ksd_gen_store_be32(b, (uint32_t)size);
	return patch_file(path, entry_pos + ENTRY_SIZE_FIELD, b, sizeof(b));
}

ksd_err ksd_gen_damage_set_magic(const char *path, uint64_t entry_pos,
				 uint8_t magic)
{
	return patch_file(path, entry_pos + ENTRY_MAGIC_FIELD, &magic, 1);
}

ksd_err ksd_gen_damage_append_zeros(const char *path, uint64_t n)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return KSD_ERR_IO;
	if (n > (uint64_t)INT64_MAX - (uint64_t)st.st_size)
		return KSD_ERR_OVERFLOW;
	/* Extending with a hole reads back as zeros, like a preallocated
	 * segment file whose tail was never written. */
	return truncate(path, st.st_size + (off_t)n) ? KSD_ERR_IO : KSD_OK;
}

ksd_err ksd_gen_damage_mem_flip_bit(uint8_t *data, size_t len, size_t pos,
				    unsigned bit)
{
	if (pos >= len || bit > 7)
		return KSD_ERR_INVAL;
	data[pos] ^= (uint8_t)(1u << bit);
	return KSD_OK;
}

ksd_err ksd_gen_damage_mem_set_size(uint8_t *data, size_t len,
				    size_t entry_pos, int32_t size)
{
	if (entry_pos > len || len - entry_pos < ENTRY_SIZE_FIELD + 4)
		return KSD_ERR_INVAL;
	ksd_gen_store_be32(data + entry_pos + ENTRY_SIZE_FIELD, (uint32_t)size);
	return KSD_OK;
}

ksd_err ksd_gen_damage_mem_set_magic(uint8_t *data, size_t len,
				     size_t entry_pos, uint8_t magic)
{
	if (entry_pos > len || len - entry_pos <= ENTRY_MAGIC_FIELD)
		return KSD_ERR_INVAL;
	data[entry_pos + ENTRY_MAGIC_FIELD] = magic;
	return KSD_OK;
}
