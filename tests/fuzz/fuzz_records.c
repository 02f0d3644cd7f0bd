/*
 * Fuzz target: the record iterator over arbitrary entry chains, with every
 * codec.  Each entry that parses as a batch header has its records walked
 * (decompressing v2 payloads and v0/v1 wrappers), whatever its CRC says,
 * so the decoders see hostile bytes behind a plausible header.
 */
#include <stddef.h>
#include <stdint.h>

#include "ksd/batch.h"
#include "ksd/codec.h"
#include "ksd/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ksd_decoder_limits limits = {1u << 20, 1u << 16, 100};
	ksd_decoder *d;
	if (ksd_decoder_new(&limits, &d) != KSD_OK)
		return 0;
	uint64_t pos = 0;
	while (pos < size) {
		ksd_batch b;
		if (ksd_batch_parse(data + pos, (size_t)(size - pos), size - pos, pos, &b) != KSD_ENTRY_OK)
			break;
		ksd_record_iter it;
		ksd_record r;
		if (ksd_records_begin(&it, &b, data + pos, d) == KSD_RECS_OK) {
			uint64_t sum = 0;
			while (ksd_records_next(&it, &r) == KSD_RECS_OK) {
				/* Touch every byte the iterator hands out. */
				for (int32_t i = 0; i < r.key_len; i++)
					sum += r.key[i];
				for (int32_t i = 0; i < r.value_len; i++)
					sum += r.value[i];
				for (size_t i = 0; i < r.headers_len; i++)
					sum += r.headers[i];
			}
			(void)sum;
		}
		pos += b.entry_len;
	}
	ksd_decoder_free(d);
	return 0;
}
