/*
 * File access for the readers: mmap or pread into a reused buffer.
 */
#include "ksd/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksd/crc.h"

ksd_err ksd_readbuf_init(ksd_readbuf *rb, size_t cap, size_t max_cap)
{
	rb->data = malloc(cap);
	if (!rb->data)
		return KSD_ERR_NOMEM;
	rb->cap = cap;
	rb->max_cap = max_cap < cap ? cap : max_cap;
	return KSD_OK;
}

void ksd_readbuf_free(ksd_readbuf *rb)
{
	free(rb->data);
	rb->data = NULL;
	rb->cap = 0;
}

ksd_err ksd_source_open(ksd_source *s, const char *path, ksd_io_mode mode,
			ksd_readbuf *rb)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->mode = mode;
	s->rb = rb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? KSD_ERR_NOENT : KSD_ERR_IO;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		close(fd);
		errno = e;
		return KSD_ERR_IO;
	}
	s->fd = fd;
	s->size = (uint64_t)st.st_size;
	if (mode == KSD_IO_MMAP && s->size > 0) {
		void *m = mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			s->mode = KSD_IO_PREAD; /* e.g. /proc-like files: fall back */
		} else {
			s->map = m;
		}
	}
	if (s->mode == KSD_IO_PREAD && !rb) {
		ksd_source_close(s);
		return KSD_ERR_INVAL;
	}
	return KSD_OK;
}

void ksd_source_from_memory(ksd_source *s, const void *data, size_t len)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->mode = KSD_IO_MMAP;
	s->map = len ? data : NULL;
	s->size = len;
	s->borrowed = true;
}

void ksd_source_close(ksd_source *s)
{
	if (s->borrowed) {
		s->map = NULL;
		return;
	}
	if (s->map)
		munmap((void *)s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	s->map = NULL;
	s->fd = -1;
}

static bool readbuf_reserve(ksd_readbuf *rb, size_t n)
{
	if (n <= rb->cap)
		return true;
	if (n > rb->max_cap)
		return false;
	size_t cap = rb->cap;
	while (cap < n)
		cap = cap > rb->max_cap / 2 ? rb->max_cap : cap * 2;
	uint8_t *d = malloc(cap);
	if (!d)
		return false;
	free(rb->data);
	rb->data = d;
	rb->cap = cap;
	return true;
}

/* Refills the buffer to start at pos, reading as much as fits. */
static bool source_fill(ksd_source *s, uint64_t pos, size_t need)
{
	if (!readbuf_reserve(s->rb, need))
		need = s->rb->cap;
	uint64_t left = s->size - pos;
	/* Sparse sources (header walks) read what is asked plus a little:
	 * one small pread per batch beats faulting in the whole file. */
	size_t span = s->readahead && s->readahead < s->rb->cap ? s->readahead : s->rb->cap;
	if (span < need)
		span = need;
	size_t want = span < left ? span : (size_t)left;
	size_t have = 0;
	s->buf_pos = pos;
	s->buf_len = 0;
	while (have < want) {
		ssize_t r = pread(s->fd, s->rb->data + have, want - have,
				  (off_t)(pos + have));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			s->saved_errno = errno;
			return false;
		}
		if (r == 0)
			break; /* file shrank under us: serve what we have */
		have += (size_t)r;
	}
	s->buf_len = have;
	s->bytes_read += have;
	return have >= (need < want ? need : want);
}

const uint8_t *ksd_source_peek(ksd_source *s, uint64_t pos, size_t want, size_t *got)
{
	*got = 0;
	if (pos > s->size)
		return NULL;
	uint64_t left = s->size - pos;
	size_t n = want < left ? want : (size_t)left;
	if (s->map) {
		*got = n;
		return s->map + pos;
	}
	if (s->mode == KSD_IO_MMAP) { /* empty file: nothing mapped */
		*got = 0;
		return (const uint8_t *)"";
	}
	if (pos < s->buf_pos || pos + n > s->buf_pos + s->buf_len) {
		if (!source_fill(s, pos, n) && s->saved_errno)
			return NULL;
	}
	size_t avail = s->buf_len - (size_t)(pos - s->buf_pos);
	*got = n < avail ? n : avail;
	return s->rb->data + (pos - s->buf_pos);
}

bool ksd_source_crc(ksd_source *s, uint64_t pos, uint64_t len, bool castagnoli,
		    uint32_t *out)
{
	uint32_t crc = 0;
	if (pos > s->size || len > s->size - pos)
		return false;
	while (len > 0) {
		size_t want = len > SIZE_MAX ? SIZE_MAX : (size_t)len;
		size_t got;
		const uint8_t *p = ksd_source_peek(s, pos, want, &got);
		if (!p || got == 0)
			return false;
		crc = castagnoli ? ksd_crc32c(crc, p, got) : ksd_crc32(crc, p, got);
		pos += got;
		len -= got;
	}
	*out = crc;
	return true;
}

bool ksd_source_zero_tail(ksd_source *s, uint64_t pos)
{
	while (pos < s->size) {
		size_t got;
		const uint8_t *p = ksd_source_peek(s, pos, 1 << 20, &got);
		if (!p || got == 0)
			return false;
		for (size_t i = 0; i < got; i++)
			if (p[i])
				return false;
		pos += got;
	}
	return true;
}
