/*
 * ksd/keyhash.h - the 64-bit hash of a record key that every distinct-key
 * count uses (cleaner feasibility, compaction statistics, the loss proof).
 *
 * The cleaner itself keys its map by MD5; a 64-bit hash is enough to count:
 * two of n distinct keys collide with probability about n^2 / 2^65 (7e-6 at
 * 16 M keys), and a collision can only lower a count by one.  Eight bytes
 * per step, splitmix64 finalisation; never 0, so 0 can mark an empty slot.
 */
#ifndef KSD_KEYHASH_H
#define KSD_KEYHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t ksd_key_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	uint64_t t = 0;
	if (n)
		memcpy(&t, p, n);
	h = (h ^ t ^ ((uint64_t)n << 56)) * 0x94D049BB133111EBull;
	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 32;
	return h ? h : 1;
}

#endif
