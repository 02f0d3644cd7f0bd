/*
 * Unit tests for the quarantine engine (ksd/qops.h, ksd/quarantine.h):
 * sha256 against known vectors, file identity, root rules, apply+restore
 * round trips on a temp tree (family, tail cut), refusals (changed file,
 * lock held by another process, conflict on restore, purge of an
 * incomplete operation) and every fault step of apply rolling back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ksd/qops.h"

#define PART "events-0"
#define SEG "00000000000000000000"

typedef struct tree {
	char dir[64], logdir[128], pdir[192], root[128];
} tree;

static void write_file(const char *path, const char *bytes, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	close(fd);
}

static void make_tree(tree *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/ksd-qops-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->logdir, sizeof t->logdir, "%s/logs", t->dir);
	snprintf(t->pdir, sizeof t->pdir, "%s/" PART, t->logdir);
	snprintf(t->root, sizeof t->root, "%s/q", t->dir);
	assert_int_equal(mkdir(t->logdir, 0755), 0);
	assert_int_equal(mkdir(t->pdir, 0755), 0);
	const char *names[] = {SEG ".log", SEG ".index", SEG ".timeindex"};
	const char *bodies[] = {"0123456789abcdefghij", "idx-bytes", ""};
	for (int i = 0; i < 3; i++) {
		char p[256];
		snprintf(p, sizeof p, "%s/%s", t->pdir, names[i]);
		write_file(p, bodies[i], strlen(bodies[i]));
		struct timespec ts[2] = {{.tv_sec = 1000000 + i, .tv_nsec = 123456789},
					 {.tv_sec = 1000000 + i, .tv_nsec = 123456789}};
		assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	}
}

static void rm_tree(tree *t)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static void make_unit(const tree *t, ksd_qunit *u, ksd_qunit_kind kind, uint64_t cut_at)
{
	memset(u, 0, sizeof *u);
	u->kind = kind;
	u->logdir = strdup(t->logdir);
	u->partition = strdup(PART);
	u->cut_at = cut_at;
	u->reason = "explicit";
	u->files = calloc(3, sizeof *u->files);
	const char *ext[] = {".log", ".index", ".timeindex"};
	for (int i = 0; i < 3; i++) {
		char p[256];
		snprintf(p, sizeof p, "%s/" SEG "%s", t->pdir, ext[i]);
		assert_int_equal(ksd_qfile_stat(p, &u->files[i]), KSD_OK);
		u->files[i].cut = kind == KSD_QU_TAIL && i == 0;
	}
	u->nfiles = 3;
}

/* sha256 + size + mode + mtime of the three files, as one string. */
static void tree_sum(const tree *t, char *out, size_t cap)
{
	out[0] = '\0';
	const char *ext[] = {".log", ".index", ".timeindex"};
	for (int i = 0; i < 3; i++) {
		char p[256], hex[65];
		snprintf(p, sizeof p, "%s/" SEG "%s", t->pdir, ext[i]);
		ksd_qfile f;
		if (ksd_qfile_stat(p, &f) != KSD_OK) {
			strncat(out, "missing;", cap - strlen(out) - 1);
			continue;
		}
		ksd_sha256_hex(f.sha256, hex);
		char row[160];
		snprintf(row, sizeof row, "%s %llu %o %lld;", hex, (unsigned long long)f.size, f.mode,
			 (long long)f.mtime_ns);
		strncat(out, row, cap - strlen(out) - 1);
		free(f.path);
	}
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	char path[] = "/tmp/ksd-sha-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint8_t d[32];
	char hex[65];
	uint64_t n = 99;
	assert_int_equal(ksd_sha256_file(path, d, &n), KSD_OK);
	ksd_sha256_hex(d, hex);
	assert_int_equal(n, 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(write(fd, "xxabcyy", 7), 7);
	assert_int_equal(ksd_sha256_range(fd, 2, 3, d), KSD_OK);
	ksd_sha256_hex(d, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(ksd_sha256_range(fd, 5, 3, d), KSD_ERR_TRUNCATED);
	ksd_qfile f;
	assert_int_equal(ksd_qfile_stat(path, &f), KSD_OK);
	assert_int_equal(f.size, 7);
	assert_int_equal(f.uid, getuid());
	free(f.path);
	assert_int_equal(ksd_qfile_stat("/nonexistent/x", &f), KSD_ERR_NOENT);
	close(fd);
	unlink(path);
}

static void test_root_rules(void **state)
{
	(void)state;
	char *r = ksd_quarantine_default_root("/var/lib/kafka/logs/");
	assert_string_equal(r, "/var/lib/kafka/ksegdoctor-quarantine");
	free(r);
	r = ksd_quarantine_default_root("logs");
	assert_string_equal(r, "./ksegdoctor-quarantine");
	free(r);
	const char *dirs[] = {"/var/lib/kafka/logs"};
	const char *why = NULL;
	assert_true(ksd_quarantine_root_ok("/var/lib/kafka/ksegdoctor-quarantine", dirs, 1, &why));
	assert_false(ksd_quarantine_root_ok("/var/lib/kafka/logs/q", dirs, 1, &why));
	assert_non_null(strstr(why, "inside"));
	assert_false(ksd_quarantine_root_ok("/var/lib/kafka/logs", dirs, 1, &why));
	assert_false(ksd_quarantine_root_ok("/var/lib/kafka/logs/../logs/x", dirs, 1, &why));
	assert_false(ksd_quarantine_root_ok("/srv/backup-3", dirs, 1, &why));
	assert_non_null(strstr(why, "partition"));
	assert_false(ksd_quarantine_root_ok("/srv/t-0.abc-delete", dirs, 1, &why));
	assert_true(ksd_quarantine_root_ok("/srv/logs-quarantine", dirs, 1, &why));
}

static void test_round_trip_segment(void **state)
{
	(void)state;
	tree t;
	make_tree(&t);
	char before[1024], after[1024];
	tree_sum(&t, before, sizeof before);
	ksd_qunit u;
	make_unit(&t, &u, KSD_QU_SEGMENT, 0);
	ksd_qop_opts o = {.quarantine_root = t.root, .label = "unit test"};
	ksd_qop_result r = {0};
	assert_int_equal(ksd_qop_apply(&u, 1, &o, &r), KSD_OK);
	assert_int_equal(r.units_done, 1);
	assert_int_equal(r.bytes_moved, 29);
	char p[256];
	snprintf(p, sizeof p, "%s/" SEG ".log", t.pdir);
	assert_int_equal(access(p, F_OK), -1);
	ksd_qmanifest m;
	assert_int_equal(ksd_qmanifest_load(r.opdir, &m, NULL), KSD_OK);
	assert_int_equal(m.nunits, 1);
	assert_int_equal(m.units[0].state, KSD_QS_QUARANTINED);
	assert_string_equal(m.label, "unit test");
	ksd_qmanifest_free(&m);
	/* purge refuses nothing here, but a dry run changes nothing */
	ksd_qop_result pr = {0};
	assert_int_equal(ksd_qop_purge(r.opdir, true, &o, &pr), KSD_OK);
	assert_int_equal(pr.units_done, 1);
	ksd_qop_result_free(&pr);
	ksd_qop_result rr = {0};
	assert_int_equal(ksd_qop_restore(r.opdir, false, &o, &rr), KSD_OK);
	assert_int_equal(rr.units_done, 1);
	tree_sum(&t, after, sizeof after);
	assert_string_equal(before, after);
	ksd_qop_result_free(&rr);
	/* idempotent */
	assert_int_equal(ksd_qop_restore(r.opdir, false, &o, &rr), KSD_OK);
	assert_int_equal(rr.units_done, 0);
	ksd_qop_result_free(&rr);
	ksd_qop_result_free(&r);
	ksd_qunit_free(&u);
	rm_tree(&t);
}

static void test_round_trip_tail(void **state)
{
	(void)state;
	tree t;
	make_tree(&t);
	char before[1024], after[1024];
	tree_sum(&t, before, sizeof before);
	ksd_qunit u;
	make_unit(&t, &u, KSD_QU_TAIL, 8);
	ksd_qop_opts o = {.quarantine_root = t.root};
	ksd_qop_result r = {0};
	assert_int_equal(ksd_qop_apply(&u, 1, &o, &r), KSD_OK);
	char p[256];
	snprintf(p, sizeof p, "%s/" SEG ".log", t.pdir);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 8);
	assert_int_equal(st.st_mtim.tv_sec, 1000000); /* the cut keeps the mtime */
	ksd_qop_result rr = {0};
	assert_int_equal(ksd_qop_restore(r.opdir, false, &o, &rr), KSD_OK);
	tree_sum(&t, after, sizeof after);
	assert_string_equal(before, after);
	ksd_qop_result_free(&rr);
	ksd_qop_result_free(&r);
	ksd_qunit_free(&u);
	rm_tree(&t);
}

static void test_changed_file_refused(void **state)
{
	(void)state;
	tree t;
	make_tree(&t);
	ksd_qunit u;
	make_unit(&t, &u, KSD_QU_SEGMENT, 0);
	char p[256];
	snprintf(p, sizeof p, "%s/" SEG ".index", t.pdir);
	write_file(p, "IDX-BYTES", 9); /* same size, other bytes */
	ksd_qop_opts o = {.quarantine_root = t.root};
	ksd_qop_result r = {0};
	assert_int_equal(ksd_qop_apply(&u, 1, &o, &r), KSD_ERR_CHANGED);
	assert_non_null(strstr(r.msg, SEG ".index"));
	assert_null(r.opdir); /* refused before an operation dir exists */
	snprintf(p, sizeof p, "%s/" SEG ".log", t.pdir);
	assert_int_equal(access(p, F_OK), 0);
	ksd_qop_result_free(&r);
	ksd_qunit_free(&u);
	rm_tree(&t);
}

static void test_lock_refused(void **state)
{
	(void)state;
	tree t;
	make_tree(&t);
	char lock[256];
	snprintf(lock, sizeof lock, "%s/.lock", t.logdir);
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* a "broker" holding the lock */
		int fd = open(lock, O_RDWR | O_CREAT, 0644);
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0)
			_exit(1);
		(void)!write(pipefd[1], "k", 1);
		pause();
		_exit(0);
	}
	char c;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	ksd_qunit u;
	make_unit(&t, &u, KSD_QU_SEGMENT, 0);
	ksd_qop_opts o = {.quarantine_root = t.root};
	ksd_qop_result r = {0};
	assert_int_equal(ksd_qop_apply(&u, 1, &o, &r), KSD_ERR_LOCKED);
	char want[32];
	snprintf(want, sizeof want, "process %ld", (long)pid);
	assert_non_null(strstr(r.msg, want));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	ksd_qop_result_free(&r);
	ksd_qunit_free(&u);
	rm_tree(&t);
}

static void test_restore_conflict(void **state)
{
	(void)state;
	tree t;
	make_tree(&t);
	ksd_qunit u;
	make_unit(&t, &u, KSD_QU_SEGMENT, 0);
	ksd_qop_opts o = {.quarantine_root = t.root};
	ksd_qop_result r = {0};
	assert_int_equal(ksd_qop_apply(&u, 1, &o, &r), KSD_OK);
	char p[256];
	snprintf(p, sizeof p, "%s/" SEG ".index", t.pdir);
	write_file(p, "new broker index", 16);
	ksd_qop_result rr = {0};
	assert_int_equal(ksd_qop_restore(r.opdir, false, &o, &rr), KSD_ERR_CONFLICT);
	assert_non_null(strstr(rr.msg, SEG ".index"));
	/* nothing moved: the .log is still only in quarantine */
	snprintf(p, sizeof p, "%s/" SEG ".log", t.pdir);
	assert_int_equal(access(p, F_OK), -1);
	ksd_qop_result_free(&rr);
	ksd_qop_result_free(&r);
	ksd_qunit_free(&u);
	rm_tree(&t);
}

static int kill_at_first_rename(void *ud, const char *step, const char *path)
{
	(void)ud;
	(void)path;
	if (strcmp(step, "rename") == 0)
		_exit(9); /* a crash, as far as the disk is concerned */
	return 0;
}

static void test_purge_refuses_incomplete(void **state)
{
	(void)state;
	tree t;
	make_tree(&t);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ksd_qunit u;
		make_unit(&t, &u, KSD_QU_SEGMENT, 0);
		ksd_qop_opts o = {.quarantine_root = t.root, .fault = kill_at_first_rename};
		ksd_qop_result r = {0};
		ksd_qop_apply(&u, 1, &o, &r);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_int_equal(WEXITSTATUS(st), 9);
	char cmd[256], opdir[256];
	snprintf(cmd, sizeof cmd, "ls -d %s/*/", t.root);
	FILE *f = popen(cmd, "r");
	assert_non_null(fgets(opdir, sizeof opdir, f));
	pclose(f);
	opdir[strcspn(opdir, "\n")] = '\0';
	ksd_qop_opts o = {.quarantine_root = t.root};
	ksd_qop_result r = {0};
	assert_int_equal(ksd_qop_purge(opdir, false, &o, &r), KSD_ERR_REFUSED);
	assert_non_null(strstr(r.msg, "moving"));
	ksd_qop_result_free(&r);
	assert_int_equal(ksd_qop_recover(opdir, &o, &r), KSD_OK);
	assert_int_equal(r.units_done, 1);
	ksd_qop_result_free(&r);
	char p[256];
	snprintf(p, sizeof p, "%s/" SEG ".log", t.pdir);
	assert_int_equal(access(p, F_OK), 0);
	rm_tree(&t);
}

typedef struct nth_fault {
	int target, seen;
} nth_fault;

static int fail_nth(void *ud, const char *step, const char *path)
{
	(void)step;
	(void)path;
	nth_fault *n = ud;
	return ++n->seen == n->target ? 5 /* EIO */ : 0;
}

/* Every disk-changing step of a tail+family apply, failed in turn: the
 * unit always ends back in place, byte for byte. */
static void test_every_fault_rolls_back(void **state)
{
	(void)state;
	int cases = 0;
	for (int k = 1; k < 200; k++) {
		tree t;
		make_tree(&t);
		char before[1024], after[1024];
		tree_sum(&t, before, sizeof before);
		ksd_qunit u;
		make_unit(&t, &u, KSD_QU_TAIL, 5);
		nth_fault nf = {.target = k};
		ksd_qop_opts o = {.quarantine_root = t.root, .fault = fail_nth, .fault_ud = &nf};
		ksd_qop_result r = {0};
		ksd_err rc = ksd_qop_apply(&u, 1, &o, &r);
		bool reached = nf.seen >= k;
		if (rc == KSD_OK) {
			assert_false(reached); /* every step's failure is fatal to the unit */
		} else {
			tree_sum(&t, after, sizeof after);
			if (strcmp(before, after) != 0)
				fail_msg("fault at step %d left the tree changed: %s", k, r.msg);
			cases++;
		}
		ksd_qop_result_free(&r);
		ksd_qunit_free(&u);
		rm_tree(&t);
		if (!reached)
			break;
	}
	assert_true(cases > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),       cmocka_unit_test(test_root_rules),
		cmocka_unit_test(test_round_trip_segment),   cmocka_unit_test(test_round_trip_tail),
		cmocka_unit_test(test_changed_file_refused), cmocka_unit_test(test_lock_refused),
		cmocka_unit_test(test_restore_conflict),     cmocka_unit_test(test_purge_refuses_incomplete),
		cmocka_unit_test(test_every_fault_rolls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
