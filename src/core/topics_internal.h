/*
 * topics_internal.h - the per-topic JSON renderers behind
 * ksd_decode_key_json / ksd_decode_value_json (internal).
 *
 * Each writes exactly one JSON value for a non-null key or value and returns
 * false after writing {"error":…,"at":…} when the bytes do not decode.
 * Null keys and tombstones are handled by the dispatcher.
 */
#ifndef KSD_TOPICS_INTERNAL_H
#define KSD_TOPICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksd/jsonw.h"

bool ksd_offsets_key_json(ksd_jw *w, const uint8_t *key, size_t klen);
/* key may be NULL (klen < 0): the value's record type is then unknown. */
bool ksd_offsets_value_json(ksd_jw *w, const uint8_t *key, int64_t klen, const uint8_t *value,
			    size_t vlen);

bool ksd_txn_key_json(ksd_jw *w, const uint8_t *key, size_t klen);
bool ksd_txn_value_json(ksd_jw *w, const uint8_t *value, size_t vlen);

bool ksd_metadata_value_json(ksd_jw *w, const uint8_t *value, size_t vlen);

#endif
