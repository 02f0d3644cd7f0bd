/*
 * The streaming JSON writer: separators, escapes, exact bytes (surrogate
 * escapes for invalid UTF-8), hex and base64 (RFC 4648 vectors).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ksd/jsonw.h"

typedef struct out_buf {
	char s[4096];
	size_t n;
} out_buf;

static void buf_write(void *ud, const char *p, size_t n)
{
	out_buf *b = ud;
	assert_true(b->n + n < sizeof b->s);
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static ksd_jw writer(out_buf *b)
{
	ksd_jw w;
	memset(b, 0, sizeof *b);
	ksd_jw_init(&w, (ksd_sink){buf_write, b});
	return w;
}

static void test_structure(void **state)
{
	(void)state;
	out_buf b;
	ksd_jw w = writer(&b);
	ksd_jw_obj_begin(&w);
	ksd_jw_kv_int(&w, "a", -1);
	ksd_jw_key(&w, "b");
	ksd_jw_arr_begin(&w);
	ksd_jw_uint(&w, 18446744073709551615u);
	ksd_jw_null(&w);
	ksd_jw_bool(&w, true);
	ksd_jw_obj_begin(&w);
	ksd_jw_obj_end(&w);
	ksd_jw_arr_end(&w);
	ksd_jw_kv_str(&w, "c", NULL);
	ksd_jw_obj_end(&w);
	assert_string_equal(b.s, "{\"a\":-1,\"b\":[18446744073709551615,null,true,{}],\"c\":null}");
}

static void test_escapes_and_surrogates(void **state)
{
	(void)state;
	out_buf b;
	ksd_jw w = writer(&b);
	/* quote, backslash, control bytes, DEL, valid UTF-8 (é, 😀), then
	 * invalid bytes: a lone continuation, a truncated sequence, 0xff */
	const uint8_t in[] = "\"\\\n\t\x01\x7f" "\xc3\xa9" "\xf0\x9f\x98\x80" "\x80" "\xe2\x82" "\xff";
	ksd_jw_strn(&w, in, sizeof in - 1);
	assert_string_equal(b.s, "\"\\\"\\\\\\n\\t\\u0001\\u007f\xc3\xa9\xf0\x9f\x98\x80"
				 "\\udc80\\udce2\\udc82\\udcff\"");
	/* overlong and surrogate encodings are not UTF-8 either */
	w = writer(&b);
	const uint8_t bad[] = "\xc0\xaf\xed\xa0\x80";
	ksd_jw_strn(&w, bad, sizeof bad - 1);
	assert_string_equal(b.s, "\"\\udcc0\\udcaf\\udced\\udca0\\udc80\"");
}

static void test_bytes_encodings(void **state)
{
	(void)state;
	static const char *const b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	out_buf b;
	for (size_t n = 0; n <= 6; n++) {
		ksd_jw w = writer(&b);
		ksd_jw_bytes(&w, (const uint8_t *)"foobar", (int64_t)n, KSD_ENC_BASE64);
		char want[32];
		snprintf(want, sizeof want, "\"%s\"", b64[n]);
		assert_string_equal(b.s, want);
	}
	ksd_jw w = writer(&b);
	ksd_jw_arr_begin(&w);
	ksd_jw_bytes(&w, (const uint8_t *)"\x00\xab\xff", 3, KSD_ENC_HEX);
	ksd_jw_bytes(&w, NULL, -1, KSD_ENC_HEX);  /* null stays null */
	ksd_jw_bytes(&w, (const uint8_t *)"", 0, KSD_ENC_TEXT); /* empty stays "" */
	ksd_jw_arr_end(&w);
	assert_string_equal(b.s, "[\"00abff\",null,\"\"]");
}

static void test_nesting_is_bounded(void **state)
{
	(void)state;
	out_buf b;
	ksd_jw w = writer(&b);
	for (int i = 0; i < KSD_JW_MAX_DEPTH + 5; i++)
		ksd_jw_arr_begin(&w);
	assert_true(w.overflow);
	assert_true(w.depth < KSD_JW_MAX_DEPTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escapes_and_surrogates),
		cmocka_unit_test(test_bytes_encodings),
		cmocka_unit_test(test_nesting_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
