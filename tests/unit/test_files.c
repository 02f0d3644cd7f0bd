/*
 * Unit tests for producer snapshots (src/core/snapshot.c), the text files
 * (src/core/textfiles.c) and file kinds by content (src/core/filekind.c):
 * each rule of Kafka's readers once where it must reject and once where it
 * must accept, using the fixture writer's encoders where it has them and
 * the bytes realdata's brokers wrote where it does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen/writer.h"
#include "ksd/crc.h"
#include "ksd/files.h"

#define TXT(s) (s), (sizeof(s) - 1)

/* --- producer snapshots --------------------------------------------------------- */

static void encode_snapshot(ksd_gen_buf *b, size_t n)
{
	ksd_gen_producer_entry e[3] = {
		{1000, 3, 41, 420, 4, 1700000000123, 7, -1},
		{1001, 0, 9, 430, 9, 1700000000456, -1, 425},
		{1002, 1, 0, 431, 0, 1700000000789, 2, -1},
	};
	ksd_gen_buf_init(b);
	ksd_gen_encode_producer_snapshot(b, e, n);
	assert_int_equal(ksd_gen_buf_status(b), KSD_OK);
}

static void test_snapshot_valid(void **state)
{
	(void)state;
	ksd_gen_buf b;
	encode_snapshot(&b, 3);
	ksd_snapshot_info si;
	assert_int_equal(ksd_snapshot_parse(b.data, b.len, &si), KSD_SNAP_OK);
	assert_true(si.kafka_accepts);
	assert_int_equal(si.count, 3);
	assert_int_equal(si.entries, 3);
	assert_int_equal(si.stored_crc, si.computed_crc);
	ksd_producer_entry e;
	assert_true(ksd_snapshot_entry_at(b.data, b.len, 1, &e));
	assert_int_equal(e.producer_id, 1001);
	assert_int_equal(e.last_sequence, 9);
	assert_int_equal(e.current_txn_first_offset, 425);
	assert_int_equal(e.coordinator_epoch, -1);
	assert_false(ksd_snapshot_entry_at(b.data, b.len, 3, &e));
	/* the empty snapshot Kafka writes after a clean shutdown */
	ksd_gen_buf_free(&b);
	encode_snapshot(&b, 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(ksd_snapshot_parse(b.data, b.len, &si), KSD_SNAP_OK);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_file_image im = ksd_file_image_mem(b.data, b.len);
	ksd_snapshot_ctx ctx = {"/x/00000000000000000010.snapshot", 10, true, 0, true};
	ksd_check_snapshot(&ctx, &im, &f);
	assert_int_equal(f.n, 0);
	ksd_findings_free(&f);
	ksd_gen_buf_free(&b);
}

static void test_snapshot_bad_crc(void **state)
{
	(void)state;
	ksd_gen_buf b;
	encode_snapshot(&b, 2);
	b.data[30] ^= 0x10;
	ksd_snapshot_info si;
	assert_int_equal(ksd_snapshot_parse(b.data, b.len, &si), KSD_SNAP_BAD_CRC);
	assert_false(si.kafka_accepts);
	assert_int_equal(si.error_pos, 2);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_file_image im = ksd_file_image_mem(b.data, b.len);
	ksd_snapshot_ctx ctx = {"/x/00000000000000000431.snapshot", 431, true, 0, false};
	ksd_check_snapshot(&ctx, &im, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].problem, KSD_P_SNAPSHOT_CORRUPT);
	assert_int_equal(f.v[0].severity, KSD_SEV_WARNING);
	assert_non_null(strstr(f.v[0].message, "replaying the log from its start"));
	assert_non_null(strstr(f.v[0].message, "whole partition"));
	/* an older snapshot the broker never falls back to: info */
	ksd_findings_free(&f);
	ksd_findings_init(&f, 50);
	ctx.newest = false;
	ksd_check_snapshot(&ctx, &im, &f);
	assert_int_equal(f.v[0].severity, KSD_SEV_INFO);
	ksd_findings_free(&f);
	ksd_gen_buf_free(&b);
}

static void test_snapshot_version_count_size(void **state)
{
	(void)state;
	ksd_gen_buf b;
	encode_snapshot(&b, 2);
	ksd_snapshot_info si;
	b.data[1] = 2;
	assert_int_equal(ksd_snapshot_parse(b.data, b.len, &si), KSD_SNAP_BAD_VERSION);
	b.data[1] = 1;
	/* count above what the bytes hold: schema validation fails */
	assert_int_equal(ksd_snapshot_parse(b.data, b.len - 1, &si), KSD_SNAP_BAD_COUNT);
	assert_int_equal(si.entries, 1);
	b.data[6] = 0x80; /* negative count */
	assert_int_equal(ksd_snapshot_parse(b.data, b.len, &si), KSD_SNAP_BAD_COUNT);
	b.data[6] = 0;
	assert_int_equal(ksd_snapshot_parse(b.data, 7, &si), KSD_SNAP_TOO_SHORT);
	assert_int_equal(ksd_snapshot_parse(b.data, 1, &si), KSD_SNAP_TOO_SHORT);
	ksd_gen_buf_free(&b);
}

static void test_snapshot_trailing_bytes_accepted(void **state)
{
	(void)state;
	/* bytes after the entries with a CRC over them: Kafka loads it */
	ksd_gen_buf b;
	encode_snapshot(&b, 1);
	ksd_gen_buf_put(&b, "xyz", 3);
	uint32_t crc = ksd_crc32c(0, b.data + 6, b.len - 6);
	ksd_gen_buf_set_be32(&b, 2, crc);
	ksd_snapshot_info si;
	assert_int_equal(ksd_snapshot_parse(b.data, b.len, &si), KSD_SNAP_TRAILING);
	assert_true(si.kafka_accepts);
	assert_int_equal(si.trailing_bytes, 3);
	ksd_findings f;
	ksd_findings_init(&f, 50);
	ksd_file_image im = ksd_file_image_mem(b.data, b.len);
	ksd_snapshot_ctx ctx = {"/x/00000000000000000010.snapshot", 10, true, 0, true};
	ksd_check_snapshot(&ctx, &im, &f);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].severity, KSD_SEV_INFO);
	ksd_findings_free(&f);
	ksd_gen_buf_free(&b);
}

/* --- offset checkpoints (CheckpointFile) ------------------------------------------- */

static ksd_text_status cp(const char *t, size_t n, ksd_checkpoint_info *info)
{
	ksd_tp_offset e[4];
	return ksd_parse_offset_checkpoint(t, n, e, 4, info);
}

static void test_checkpoint_valid(void **state)
{
	(void)state;
	ksd_tp_offset e[2];
	ksd_checkpoint_info ci;
	const char t[] = "0\n3\norders 0 300\n__consumer_offsets 49 12\nx.y-z 7 -1\n";
	assert_int_equal(ksd_parse_offset_checkpoint(TXT(t), e, 2, &ci), KSD_TEXT_OK);
	assert_int_equal(ci.version, 0);
	assert_int_equal(ci.count, 3);
	assert_int_equal(ci.entries, 3);
	assert_int_equal(ci.stored, 2); /* bounded by the caller's array */
	assert_int_equal(e[1].topic_len, 18);
	assert_memory_equal(e[1].topic, "__consumer_offsets", 18);
	assert_int_equal(e[1].partition, 49);
	assert_int_equal(e[1].offset, 12);
	/* \s+ separators, trailing whitespace, \r\n, no final newline */
	assert_int_equal(cp(TXT("0\r\n1\r\nt\t5 \x0B 9  \r\n"), &ci), KSD_TEXT_OK);
	assert_int_equal(cp(TXT("0\n1\nt 5 9"), &ci), KSD_TEXT_OK);
	/* an empty file, or only a version line, reads as no entries */
	assert_int_equal(cp(TXT(""), &ci), KSD_TEXT_OK);
	assert_int_equal(ci.version, -1);
	assert_int_equal(cp(TXT("0\n"), &ci), KSD_TEXT_OK);
	assert_int_equal(cp(TXT("0\n0\n"), &ci), KSD_TEXT_OK);
}

static void test_checkpoint_rejected(void **state)
{
	(void)state;
	ksd_checkpoint_info ci;
	assert_int_equal(cp(TXT("1\n0\n"), &ci), KSD_TEXT_BAD_VERSION);
	assert_int_equal(cp(TXT(" 0\n0\n"), &ci), KSD_TEXT_MALFORMED); /* parseInt: no spaces */
	assert_int_equal(cp(TXT("0\n2\nt 0 1\n"), &ci), KSD_TEXT_COUNT_MISMATCH);
	assert_int_equal(cp(TXT("0\n1\nt 0 1\nu 0 1\n"), &ci), KSD_TEXT_COUNT_MISMATCH);
	/* a leading separator makes an empty first field: four fields */
	assert_int_equal(cp(TXT("0\n1\n t 0 1\n"), &ci), KSD_TEXT_MALFORMED);
	assert_int_equal(ci.res.line, 3);
	assert_int_equal(ci.res.byte, 4);
	/* a blank last line is an entry that does not parse */
	assert_int_equal(cp(TXT("0\n1\nt 0 1\n\n"), &ci), KSD_TEXT_MALFORMED);
	assert_int_equal(cp(TXT("0\n1\nt x 1\n"), &ci), KSD_TEXT_MALFORMED);
	assert_int_equal(cp(TXT("0\n1\nt 0 99999999999999999999\n"), &ci), KSD_TEXT_MALFORMED);
	assert_int_equal(cp(TXT("0\n1\nt 2147483648 1\n"), &ci), KSD_TEXT_MALFORMED);
	assert_int_equal(cp(TXT("0\n-1\n"), &ci), KSD_TEXT_MALFORMED);
	assert_int_equal(cp(TXT("0\n1\nt\xff 0 1\n"), &ci), KSD_TEXT_MALFORMED); /* UTF-8 */
}

static void test_leader_epoch_checkpoint(void **state)
{
	(void)state;
	ksd_epoch_entry e[8];
	ksd_epoch_checkpoint_info ei;
	/* what realdata's 4.x broker wrote */
	const char t[] = "0\n6\n30 0\n32 19\n34 21\n52 22\n54 24\n64 25\n";
	assert_int_equal(ksd_parse_leader_epoch_checkpoint(TXT(t), e, 8, &ei), KSD_TEXT_OK);
	assert_int_equal(ei.cp.entries, 6);
	assert_true(ei.monotonic);
	assert_int_equal(e[5].epoch, 64);
	assert_int_equal(e[5].start_offset, 25);
	/* accepted, but Kafka drops the conflicting earlier entries */
	const char nm[] = "0\n3\n1 0\n3 10\n2 20\n";
	assert_int_equal(ksd_parse_leader_epoch_checkpoint(TXT(nm), e, 8, &ei), KSD_TEXT_OK);
	assert_false(ei.monotonic);
	assert_int_equal(ei.first_non_monotonic_line, 5);
	const char neg[] = "0\n1\n-1 0\n";
	assert_int_equal(ksd_parse_leader_epoch_checkpoint(TXT(neg), e, 8, &ei), KSD_TEXT_INVALID);
	const char three[] = "0\n1\n1 0 5\n";
	assert_int_equal(ksd_parse_leader_epoch_checkpoint(TXT(three), e, 8, &ei), KSD_TEXT_MALFORMED);
}

/* --- properties and meta.properties ------------------------------------------------ */

static void test_properties(void **state)
{
	(void)state;
	ksd_prop p[8];
	size_t n;
	bool dropped;
	ksd_text_result r;
	const char t[] = "# comment\n! also\n  a = 1\nb:2\nc 3\nd\\\n    continued\n"
			 "e=tab\\there\\u0041\nf\n\na=again\n";
	assert_int_equal(ksd_parse_properties(TXT(t), p, 8, &n, &dropped, &r), KSD_TEXT_OK);
	assert_int_equal(n, 6);
	assert_string_equal(p[0].key, "a");
	assert_string_equal(p[0].value, "again"); /* later duplicates win */
	assert_string_equal(p[1].value, "2");
	assert_string_equal(p[2].key, "c");
	assert_string_equal(p[2].value, "3");
	assert_string_equal(p[3].key, "dcontinued");
	assert_string_equal(p[4].value, "tab\there" "A");
	assert_string_equal(p[5].key, "f");
	assert_string_equal(p[5].value, "");
	assert_int_equal(ksd_parse_properties(TXT("a=\\u12\n"), p, 8, &n, &dropped, &r),
			 KSD_TEXT_MALFORMED);
	assert_int_equal(ksd_parse_properties(TXT("a=1\nb=2\nc=3\n"), p, 2, &n, &dropped, &r),
			 KSD_TEXT_OK);
	assert_true(dropped);
}

static void test_meta_properties(void **state)
{
	(void)state;
	ksd_meta_properties m;
	const char v0[] = "#\n#Wed Apr 22 11:14:59 CDT 2020\ncluster.id=lRaQCIBoRh2xRKLuP9CAQg\n"
			  "version=0\nbroker.id=0\n";
	assert_int_equal(ksd_parse_meta_properties(TXT(v0), &m), KSD_TEXT_OK);
	assert_int_equal(m.version, 0);
	assert_true(m.has_broker_id);
	assert_string_equal(m.cluster_id, "lRaQCIBoRh2xRKLuP9CAQg");
	const char v1[] = "cluster.id=5L6g3nShT-eMCtK--X86sw\ndirectory.id=KzhIkj3YwJruz1dvYISk7g\n"
			  "node.id=1\nversion=1\n";
	assert_int_equal(ksd_parse_meta_properties(TXT(v1), &m), KSD_TEXT_OK);
	assert_int_equal(m.node_id, 1);
	assert_true(m.has_directory_id);
	/* an empty cluster.id= is what some real brokers have: accepted */
	assert_int_equal(ksd_parse_meta_properties(TXT("cluster.id=\nbroker.id=3\n"), &m), KSD_TEXT_OK);
	/* no version: 0 */
	assert_int_equal(m.version, 0);
	assert_int_equal(ksd_parse_meta_properties(TXT("version=1\ncluster.id=x\n"), &m),
			 KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_meta_properties(TXT("version=1\nnode.id=1\n"), &m),
			 KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_meta_properties(TXT("version=2\n"), &m), KSD_TEXT_BAD_VERSION);
	assert_int_equal(ksd_parse_meta_properties(TXT("version= 1 \nnode.id=1\ncluster.id=x\n"), &m),
			 KSD_TEXT_OK); /* fromNumberString trims */
	assert_int_equal(ksd_parse_meta_properties(TXT("broker.id=x\n"), &m), KSD_TEXT_INVALID);
	assert_int_equal(ksd_parse_meta_properties(TXT("directory.id=nope\n"), &m), KSD_TEXT_INVALID);
	assert_int_equal(ksd_parse_meta_properties(TXT("directory.id=AAAAAAAAAAAAAAAAAAAAAQ\n"), &m),
			 KSD_TEXT_INVALID); /* reserved */
}

/* --- partition.metadata and Uuids ----------------------------------------------------- */

static void test_uuid(void **state)
{
	(void)state;
	uint8_t id[16], back[16];
	char s[23];
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)(i * 37 + 5);
	ksd_format_uuid(id, s);
	assert_int_equal(strlen(s), 22);
	assert_true(ksd_parse_uuid(s, 22, back));
	assert_memory_equal(id, back, 16);
	char gen[23];
	ksd_gen_uuid_base64url(id, gen);
	assert_string_equal(s, gen);
	char padded[25];
	snprintf(padded, sizeof padded, "%s==", s);
	assert_true(ksd_parse_uuid(padded, 24, back));
	assert_false(ksd_parse_uuid(s, 21, back));
	assert_false(ksd_parse_uuid("7LtKFcKdS-CCdWnp2f1VdA=", 23, back));
	assert_false(ksd_parse_uuid("7LtKFcKdS+CCdWnp2f1VdA", 22, back)); /* not url-safe */
}

static void test_partition_metadata(void **state)
{
	(void)state;
	ksd_partition_metadata pm;
	/* realdata: no final newline */
	assert_int_equal(ksd_parse_partition_metadata(TXT("version: 0\ntopic_id: 7LtKFcKdS-CCdWnp2f1VdA"),
						      &pm), KSD_TEXT_OK);
	assert_int_equal(pm.version, 0);
	assert_int_equal(pm.topic_id[0], 0xec);
	/* newer versions read (downgrade compatibility); key names unchecked */
	assert_int_equal(ksd_parse_partition_metadata(TXT("v:  3\nid:\tAAAAAAAAAAAAAAAAAAAAAQ\n"), &pm),
			 KSD_TEXT_OK);
	assert_int_equal(ksd_parse_partition_metadata(TXT("version:0\ntopic_id: x\n"), &pm),
			 KSD_TEXT_MALFORMED);
	assert_int_equal(ksd_parse_partition_metadata(TXT("version: 0 \ntopic_id: x\n"), &pm),
			 KSD_TEXT_MALFORMED);
	assert_int_equal(ksd_parse_partition_metadata(TXT("version: -1\ntopic_id: x\n"), &pm),
			 KSD_TEXT_BAD_VERSION);
	assert_int_equal(ksd_parse_partition_metadata(TXT("version: 0\n"), &pm), KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_partition_metadata(TXT(""), &pm), KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_partition_metadata(TXT("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n"),
						      &pm), KSD_TEXT_INVALID);
	assert_int_equal(ksd_parse_partition_metadata(TXT("version: 0\ntopic_id: a: b\n"), &pm),
			 KSD_TEXT_MALFORMED);
}

/* --- JSON files -------------------------------------------------------------------------- */

static void test_clean_shutdown(void **state)
{
	(void)state;
	ksd_clean_shutdown cs;
	assert_int_equal(ksd_parse_clean_shutdown(TXT(""), &cs), KSD_TEXT_OK);
	assert_true(cs.empty);
	assert_int_equal(ksd_parse_clean_shutdown(TXT("{\"version\":0,\"brokerEpoch\":15064}"), &cs),
			 KSD_TEXT_OK);
	assert_true(cs.json);
	assert_int_equal(cs.broker_epoch, 15064);
	assert_int_equal(ksd_parse_clean_shutdown(TXT("{\"version\":0,\"brokerEpoch\":-1}"), &cs),
			 KSD_TEXT_OK);
	assert_int_equal(cs.broker_epoch, -1);
	assert_int_equal(ksd_parse_clean_shutdown(TXT("{\"brokerEpoch\":null,\"x\":[1]}"), &cs),
			 KSD_TEXT_OK);
	assert_false(cs.has_broker_epoch);
	assert_int_equal(ksd_parse_clean_shutdown(TXT("garbage"), &cs), KSD_TEXT_MALFORMED);
	assert_int_equal(ksd_parse_clean_shutdown(TXT("{\"brokerEpoch\":\"5\"}"), &cs), KSD_TEXT_INVALID);
}

static void test_quorum_state(void **state)
{
	(void)state;
	ksd_quorum_state q;
	const char v0[] = "{\"clusterId\":\"\",\"leaderId\":1,\"leaderEpoch\":5,\"votedId\":-1,"
			  "\"appliedOffset\":0,\"currentVoters\":[{\"voterId\":1}],\"data_version\":0}";
	assert_int_equal(ksd_parse_quorum_state(TXT(v0), &q), KSD_TEXT_OK);
	assert_int_equal(q.leader_epoch, 5);
	assert_int_equal(q.voters, 1);
	assert_int_equal(q.json_len, sizeof v0 - 1);
	const char v1[] = "{\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":-1,"
			  "\"votedDirectoryId\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"data_version\":1}\n";
	assert_int_equal(ksd_parse_quorum_state(TXT(v1), &q), KSD_TEXT_OK);
	assert_int_equal(q.data_version, 1);
	/* v1 without votedDirectoryId: mandatory in that version */
	assert_int_equal(ksd_parse_quorum_state(TXT("{\"leaderId\":2,\"leaderEpoch\":7,\"votedId\":-1,"
						    "\"data_version\":1}"), &q), KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_quorum_state(TXT("{\"leaderId\":2,\"data_version\":2}"), &q),
			 KSD_TEXT_BAD_VERSION);
	assert_int_equal(ksd_parse_quorum_state(TXT("{\"leaderId\":2}"), &q), KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_quorum_state(TXT("[1]"), &q), KSD_TEXT_MALFORMED);
	assert_int_equal(ksd_parse_quorum_state(TXT(""), &q), KSD_TEXT_MISSING);
	assert_int_equal(ksd_parse_quorum_state(TXT("{\"leaderId\":99999999999,\"leaderEpoch\":1,"
						    "\"votedId\":1,\"votedDirectoryId\":"
						    "\"AAAAAAAAAAAAAAAAAAAAAA\",\"data_version\":1}"),
					    &q), KSD_TEXT_INVALID);
}

static void test_json_validate(void **state)
{
	(void)state;
	size_t end;
	assert_true(ksd_json_validate(TXT(" {\"a\":[1,-0.5e3,true,null,\"\\u00e9\"]} x"), &end));
	assert_int_equal(end, 36);
	assert_false(ksd_json_validate(TXT("{\"a\":01}"), &end));
	assert_false(ksd_json_validate(TXT("{\"a\":1,}"), &end));
	assert_false(ksd_json_validate(TXT("\"\x01\""), &end));
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	assert_false(ksd_json_validate(deep, sizeof deep, &end)); /* nesting cap 64 */
	assert_true(ksd_json_validate(deep + 40, 120, &end));
}

/* --- kinds by content ------------------------------------------------------------------- */

/* A KRaft snapshot starts with a control batch whose record is SNAPSHOT_HEADER. */
static void kraft_snapshot(ksd_gen_buf *b)
{
	static const uint8_t key[4] = {0, 0, 0, 3};
	static const uint8_t value[11] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	ksd_gen_record r = {0};
	r.key = key;
	r.key_len = 4;
	r.value = value;
	r.value_len = sizeof value;
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.control = true;
	s.records = &r;
	s.record_count = 1;
	ksd_gen_buf_init(b);
	assert_int_equal(ksd_gen_encode_v2(NULL, b, &s, NULL), KSD_OK);
}

static void test_sniff_confused_names(void **state)
{
	(void)state;
	ksd_gen_buf snap, kraft;
	encode_snapshot(&snap, 2);
	kraft_snapshot(&kraft);
	/* a producer snapshot under a KRaft snapshot's name, and back */
	assert_int_equal(ksd_sniff_kind(snap.data, snap.len, snap.len,
					"00000000000000000100-0000000001.checkpoint"),
			 KSD_FILE_SNAPSHOT);
	assert_int_equal(ksd_sniff_kind(kraft.data, kraft.len, kraft.len,
					"00000000000000000100.snapshot"),
			 KSD_FILE_KRAFT_SNAPSHOT);
	assert_int_equal(ksd_sniff_kind(kraft.data, kraft.len, kraft.len, "bootstrap.checkpoint"),
			 KSD_FILE_BOOTSTRAP_CHECKPOINT);
	/* a head shorter than the file: the size equation decides */
	assert_int_equal(ksd_sniff_kind(snap.data, 10, snap.len, NULL), KSD_FILE_SNAPSHOT);
	/* a damaged snapshot keeps its name's kind */
	snap.data[20] ^= 1;
	assert_int_equal(ksd_sniff_kind(snap.data, snap.len, snap.len, "00000000000000000100.snapshot"),
			 KSD_FILE_SNAPSHOT);
	assert_int_equal(ksd_sniff_kind(snap.data, snap.len, snap.len, NULL), KSD_FILE_UNKNOWN);
	ksd_gen_buf_free(&snap);
	ksd_gen_buf_free(&kraft);
}

static void test_sniff_log_and_text(void **state)
{
	(void)state;
	ksd_gen_buf b;
	ksd_gen_buf_init(&b);
	ksd_gen_record r = {0};
	r.key = "k";
	r.key_len = 1;
	r.value = "v";
	r.value_len = 1;
	ksd_gen_batch_spec s;
	ksd_gen_batch_spec_init(&s);
	s.records = &r;
	s.record_count = 1;
	assert_int_equal(ksd_gen_encode_v2(NULL, &b, &s, NULL), KSD_OK);
	assert_int_equal(ksd_sniff_kind(b.data, b.len, b.len, "copy.bin"), KSD_FILE_LOG);
	assert_int_equal(ksd_sniff_kind(b.data, b.len, b.len, "00000000000000000000.index"),
			 KSD_FILE_LOG);
	ksd_gen_buf_free(&b);
#define SNIFF(t, name) ksd_sniff_kind((const uint8_t *)(t), sizeof(t) - 1, sizeof(t) - 1, name)
	assert_int_equal(SNIFF("0\n1\nt 0 5\n", NULL), KSD_FILE_RECOVERY_CHECKPOINT);
	assert_int_equal(SNIFF("0\n1\nt 0 5\n", "cleaner-offset-checkpoint"),
			 KSD_FILE_CLEANER_CHECKPOINT);
	assert_int_equal(SNIFF("0\n2\n0 0\n3 19\n", "foo"), KSD_FILE_LEADER_EPOCH_CHECKPOINT);
	assert_int_equal(SNIFF("0\n0\n", "replication-offset-checkpoint"),
			 KSD_FILE_REPLICATION_CHECKPOINT);
	assert_int_equal(SNIFF("0\n0\n", "leader-epoch-checkpoint"), KSD_FILE_LEADER_EPOCH_CHECKPOINT);
	assert_int_equal(SNIFF("#\ncluster.id=x\nversion=0\nbroker.id=1\n", "a.txt"),
			 KSD_FILE_META_PROPERTIES);
	assert_int_equal(SNIFF("version: 0\ntopic_id: 7LtKFcKdS-CCdWnp2f1VdA", NULL),
			 KSD_FILE_PARTITION_METADATA);
	assert_int_equal(SNIFF("{\"version\":0,\"brokerEpoch\":12}", NULL), KSD_FILE_CLEAN_SHUTDOWN);
	assert_int_equal(SNIFF("{\"clusterId\":\"\",\"leaderId\":1,\"leaderEpoch\":5,\"data_version\":0}",
			       NULL), KSD_FILE_QUORUM_STATE);
	assert_int_equal(SNIFF("hello", "notes.txt"), KSD_FILE_UNKNOWN);
	/* empty and all-zero files: the name decides */
	assert_int_equal(ksd_sniff_kind(NULL, 0, 0, ".kafka_cleanshutdown"), KSD_FILE_CLEAN_SHUTDOWN);
	uint8_t z[64] = {0};
	assert_int_equal(ksd_sniff_kind(z, sizeof z, 10485760, "00000000000000000000.timeindex"),
			 KSD_FILE_TIMEINDEX);
#undef SNIFF
}

static void test_sniff_index(void **state)
{
	(void)state;
	/* (27, 4192), (69, 9596), (99, 13693): an offset index */
	const uint8_t ix[24] = {0, 0, 0, 27, 0, 0, 0x10, 0x60, 0, 0, 0, 69, 0, 0, 0x25, 0x7c,
				0, 0, 0, 99, 0, 0, 0x35, 0x7d};
	assert_int_equal(ksd_sniff_kind(ix, sizeof ix, sizeof ix, NULL), KSD_FILE_INDEX);
	/* the name wins where the content fits several kinds */
	assert_int_equal(ksd_sniff_kind(ix, sizeof ix, sizeof ix, "00000000000000000000.timeindex"),
			 KSD_FILE_TIMEINDEX);
	/* a decreasing index is no index */
	const uint8_t bad[16] = {0, 0, 0, 69, 0, 0, 0x25, 0x7c, 0, 0, 0, 27, 0, 0, 0x10, 0x60};
	assert_int_equal(ksd_sniff_kind(bad, sizeof bad, 16, NULL), KSD_FILE_UNKNOWN);
}

/* --- loading with holes ------------------------------------------------------------------ */

static void test_file_load_sparse(void **state)
{
	(void)state;
	char path[] = "/tmp/ksd-test-files-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint8_t entry[8] = {0, 0, 0, 27, 0, 0, 0x10, 0x60};
	assert_int_equal(write(fd, entry, 8), 8);
	assert_int_equal(ftruncate(fd, 10485760), 0);
	close(fd);
	ksd_bytes buf = {NULL, 0};
	ksd_file_image im;
	assert_int_equal(ksd_file_load(path, KSD_FILE_READ_CAP, &buf, &im), KSD_OK);
	assert_int_equal(im.file_size, 10485760);
	assert_true(im.len >= 8);
	if (im.len < im.file_size)
		assert_true(im.tail_zero); /* the filesystem reports the hole */
	ksd_index_analysis a;
	ksd_index_analyze(KSD_INDEX_OFFSET, 0, &im, -1, &a);
	assert_int_equal(a.entries, 1);
	assert_int_equal(a.zero_slots, 1310719);
	/* a cap below the data: capped, no zero-tail claim */
	assert_int_equal(ksd_file_load(path, 4, &buf, &im), KSD_OK);
	assert_true(im.capped);
	assert_int_equal(im.len, 4);
	unlink(path);
	assert_int_equal(ksd_file_load(path, 4, &buf, &im), KSD_ERR_IO);
	ksd_bytes_free(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_valid),
		cmocka_unit_test(test_snapshot_bad_crc),
		cmocka_unit_test(test_snapshot_version_count_size),
		cmocka_unit_test(test_snapshot_trailing_bytes_accepted),
		cmocka_unit_test(test_checkpoint_valid),
		cmocka_unit_test(test_checkpoint_rejected),
		cmocka_unit_test(test_leader_epoch_checkpoint),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_meta_properties),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_partition_metadata),
		cmocka_unit_test(test_clean_shutdown),
		cmocka_unit_test(test_quorum_state),
		cmocka_unit_test(test_json_validate),
		cmocka_unit_test(test_sniff_confused_names),
		cmocka_unit_test(test_sniff_log_and_text),
		cmocka_unit_test(test_sniff_index),
		cmocka_unit_test(test_file_load_sparse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
