/*
 * ksd/crc.h - the two checksums Kafka uses on disk.
 *
 * CRC-32C (Castagnoli) covers v2 batches and producer snapshots; CRC-32
 * (IEEE, java.util.zip.CRC32) covers v0/v1 messages (kafka-facts.md §1.8).
 * Both take and return the finished (xor-ed out) value, so they chain:
 * crc(crc(0, a), b) == crc(0, a||b).
 */
#ifndef KSD_CRC_H
#define KSD_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Dispatches once to the SSE4.2 instruction when the CPU has it. */
uint32_t ksd_crc32c(uint32_t crc, const void *buf, size_t len);
/* The table-driven portable path; always available, used when no hardware. */
uint32_t ksd_crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* The hardware path; only call when ksd_crc32c_hw_available(). */
uint32_t ksd_crc32c_hw(uint32_t crc, const void *buf, size_t len);
int ksd_crc32c_hw_available(void);

/* CRC-32 IEEE (libdeflate's implementation). */
uint32_t ksd_crc32(uint32_t crc, const void *buf, size_t len);

#endif
