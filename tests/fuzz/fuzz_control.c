/*
 * Fuzz target: control records (ksd_control_parse, ksd_control_json) on
 * arbitrary keys and values.
 *
 * Input: byte 0 = flags (bit 7: null value, bit 6: null key), byte 1 = key
 * length (capped by what is left), then the key, then the value.  Checks:
 * the JSON is one balanced value; the renderer and the structured parser
 * agree on the key and on transaction markers (KRaft bodies are checked by
 * the renderer only); the parsed type is named.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_json_check.h"
#include "ksd/internal_topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t flags = data[0];
	size_t klen = data[1];
	if (klen > size - 2)
		klen = size - 2;
	const uint8_t *k = data + 2, *v = data + 2 + klen;
	int64_t kl = (flags & 0x40) ? -1 : (int64_t)klen;
	int64_t vl = (flags & 0x80) ? -1 : (int64_t)(size - 2 - klen);

	json_check c;
	ksd_jw w = json_check_begin(&c);
	bool json_ok = ksd_control_json(&w, k, kl, v, vl);
	json_check_end(&c, &w);

	ksd_control ctl;
	ksd_decode_err e;
	bool parsed = ksd_control_parse(k, kl, v, vl, &ctl, &e);
	check(parsed || e.what != NULL);
	check(strlen(ksd_control_type_name(ctl.type)) > 0);
	bool marker = ctl.type == KSD_CONTROL_ABORT || ctl.type == KSD_CONTROL_COMMIT;
	/* markers and unknown types: both sides read exactly the same bytes */
	if (!parsed || marker || ctl.type == KSD_CONTROL_UNKNOWN)
		check(parsed == json_ok);
	/* only a bad key or a bad marker value fails the parse; a bad key
	 * leaves no type behind */
	if (!parsed && !marker)
		check(ctl.type == KSD_CONTROL_UNKNOWN);
	return 0;
}
