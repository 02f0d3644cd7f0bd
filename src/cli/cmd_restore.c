/*
 * cmd_restore.c - `ksegdoctor restore` and `ksegdoctor purge` (see
 * cmd_purge.c): show what would happen to a quarantine operation, and with
 * --apply (after a confirmation) do it through the engine (ksd/qops.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ksd/qops.h"
#include "qfault.h"

/* fsck: 1 = changes made; 32 = cancelled by the user. */
enum { EXIT_DONE = 1, EXIT_CANCELLED = 32 };

enum { OPT_HELP = 'h', OPT_YES = 'y', OPT_APPLY = 256, OPT_JSON };

static const cli_opt qop_opts[] = {
	{OPT_APPLY, "apply", 0, NULL, "carry it out (after a confirmation prompt on a terminal)"},
	{OPT_YES, "yes", 'y', NULL, "answer yes to the confirmation"},
	{OPT_JSON, "json", 0, NULL, "one JSON document instead of text"},
	{OPT_HELP, "help", 'h', NULL, "show this help"},
	{0},
};

#define EXIT_TEXT \
	"Exit status (fsck): 0 nothing to do, 1 done (changes made), 4 refused or left undone\n" \
	"(plan shown, a destination holds a different file, an operation is incomplete),\n" \
	"8 operational error, 16 usage error, 32 cancelled (or --apply with no terminal and no -y).\n" \
	"KSEGDOCTOR_FAULT=step:N[:ERRNO|kill] (test only) fails the N-th engine step.\n"

static const cli_cmd restore_cmd = {
	"restore", "[--apply] [-y] [--json] OPDIR|MANIFEST",
	"put a quarantine operation's files back, byte for byte, with mode, owner and mtime",
	"Without --apply, lists what would go back and checks every destination\n"
	"(nothing is changed).  A destination that now holds a different file is a\n"
	"conflict: nothing is restored.  An interrupted operation is recovered first.\n"
	"Holds the log dirs' .lock: the broker must be stopped.  Idempotent.\n\n" EXIT_TEXT,
	qop_opts,
};

static const cli_cmd purge_cmd = {
	"purge", "[--apply] [-y] [--json] OPDIR|MANIFEST",
	"delete a complete quarantine operation's files (never live files)",
	"The only command that deletes data.  Refuses an operation with a unit mid-move\n"
	"(run restore, which recovers, or re-run the quarantine).  The manifest stays\n"
	"as the record of what was deleted.\n\n" EXIT_TEXT,
	qop_opts,
};

typedef struct qop_cli {
	bool apply, yes, json, purge;
	bool applied; /* the manifest was reloaded after the engine ran */
	const char *target;
	ksd_qmanifest m;
} qop_cli;

static bool on_qop_opt(void *ud, int id, const char *arg)
{
	qop_cli *q = ud;
	if (id == OPT_APPLY)
		q->apply = true;
	else if (id == OPT_YES)
		q->yes = true;
	else if (id == OPT_JSON)
		q->json = true;
	return true;
}

static const char *kind_name(ksd_qunit_kind k)
{
	return k == KSD_QU_TAIL ? "tail" : k == KSD_QU_DROP_INDEX ? "drop-index" : "segment";
}

/* Units this command acts on. */
static bool wanted(const qop_cli *q, const ksd_qmunit *u)
{
	if (q->purge)
		return u->state == KSD_QS_QUARANTINED || u->state == KSD_QS_PURGING;
	return u->state == KSD_QS_QUARANTINED || !ksd_qstate_final(u->state);
}

static void print_plan_text(const qop_cli *q, const char *opdir)
{
	char b[32];
	printf("%s %s (operation %s, %s)\n", q->purge ? "purge" : "restore", opdir, q->m.id,
	       q->m.label[0] ? q->m.label : "no label");
	for (size_t i = 0; i < q->m.nunits; i++) {
		const ksd_qmunit *u = &q->m.units[i];
		bool w = !q->applied && wanted(q, u);
		printf("  unit %zu: %s %s base %" PRId64 "%s, %s%s\n", i + 1, kind_name(u->kind), u->partition,
		       u->base_offset, u->kind == KSD_QU_TAIL ? " (cut)" : "",
		       q->applied ? "now " : "", ksd_qstate_name(u->state));
		if (!w && !q->applied)
			printf("    nothing to do for this unit\n");
		for (size_t j = 0; w && j < u->nfiles; j++) {
			const ksd_qmfile *f = &u->files[j];
			if (q->purge)
				printf("    delete %s/%s (%s)\n", opdir, f->qpath, fmt_bytes(f->qsize, b, sizeof b));
			else
				printf("    %s -> %s (%s%s)\n", f->qpath, f->f.path, fmt_bytes(f->qsize, b, sizeof b),
				       f->f.cut ? ", appended after the kept prefix" : "");
		}
	}
}

static void print_json(const qop_cli *q, const char *opdir, const char *status, ksd_err e,
		       const ksd_qop_result *r)
{
	printf("{\"command\":");
	json_str(stdout, q->purge ? "purge" : "restore");
	printf(",\"opdir\":");
	json_str(stdout, opdir);
	printf(",\"operation\":");
	json_str(stdout, q->m.id);
	printf(",\"mode\":\"%s\",\"units\":[", q->apply ? "apply" : "plan");
	for (size_t i = 0; i < q->m.nunits; i++) {
		const ksd_qmunit *u = &q->m.units[i];
		printf("%s{\"kind\":\"%s\",\"partition\":", i ? "," : "", kind_name(u->kind));
		json_str(stdout, u->partition);
		printf(",\"logdir\":");
		json_str(stdout, u->logdir);
		printf(",\"base_offset\":%" PRId64 ",\"cut_at\":%" PRIu64 ",\"state\":\"%s\",\"selected\":%s,\"files\":[",
		       u->base_offset, u->cut_at, ksd_qstate_name(u->state), wanted(q, u) ? "true" : "false");
		for (size_t j = 0; j < u->nfiles; j++) {
			printf("%s{\"path\":", j ? "," : "");
			json_str(stdout, u->files[j].f.path);
			printf(",\"qpath\":");
			json_str(stdout, u->files[j].qpath);
			printf(",\"bytes\":%" PRIu64 ",\"cut\":%s}", u->files[j].qsize, u->files[j].f.cut ? "true" : "false");
		}
		printf("]}");
	}
	printf("],\"result\":{\"status\":\"%s\",\"error\":", status);
	json_str(stdout, e ? ksd_strerror(e) : "");
	printf(",\"units_done\":%zu,\"bytes\":%" PRIu64 ",\"message\":", r->units_done, r->bytes_moved);
	json_str(stdout, r->msg);
	printf("}}\n");
}

static int err_exit(ksd_err e)
{
	return e == KSD_ERR_LOCKED || e == KSD_ERR_CHANGED || e == KSD_ERR_REFUSED || e == KSD_ERR_CONFLICT
		       ? KSD_EXIT_FINDINGS
		       : KSD_EXIT_OPERATIONAL;
}

static bool confirm(const qop_cli *q, size_t n, uint64_t bytes, const char *opdir)
{
	if (q->yes)
		return true;
	if (!isatty(STDIN_FILENO))
		return false;
	char b[32];
	fprintf(stderr, "%s %zu unit%s (%s) of %s? [y/N] ", q->purge ? "DELETE" : "Restore", n,
		n == 1 ? "" : "s", fmt_bytes(bytes, b, sizeof b), opdir);
	fflush(stderr);
	char line[64];
	return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static ksd_err run_engine(const qop_cli *q, bool dry, const ksd_qop_opts *o, ksd_qop_result *r)
{
	return q->purge ? ksd_qop_purge(q->target, dry, o, r) : ksd_qop_restore(q->target, dry, o, r);
}

/* Plan (dry run: checks destinations), then maybe apply. */
static int run(qop_cli *q, const char *opdir)
{
	ksd_qop_opts o = {.label = q->purge ? "ksegdoctor purge" : "ksegdoctor restore"};
	qfault_install(&o);
	ksd_qop_result r = {0};
	ksd_err e = run_engine(q, true, &o, &r);
	size_t todo = r.units_done;
	uint64_t bytes = r.bytes_moved;
	const char *status = e ? "refused" : todo ? "pending" : "nothing-to-do";
	int rc = e ? err_exit(e) : todo ? KSD_EXIT_FINDINGS : KSD_EXIT_OK;
	if (!e && todo && q->apply) {
		if (!confirm(q, todo, bytes, opdir)) {
			status = "cancelled";
			rc = EXIT_CANCELLED;
			snprintf(r.msg, sizeof r.msg, "%s", q->yes || isatty(STDIN_FILENO)
							       ? "cancelled: nothing was changed"
							       : "not applied: no terminal to ask and no -y; nothing "
								 "assumed without a terminal");
		} else {
			ksd_qop_result_free(&r);
			memset(&r, 0, sizeof r);
			e = run_engine(q, false, &o, &r);
			status = e ? "failed" : "done";
			rc = e ? err_exit(e) : EXIT_DONE;
			ksd_qmanifest_free(&q->m);
			(void)ksd_qmanifest_load(q->target, &q->m, NULL); /* show the states now */
			q->applied = true;
		}
	}
	if (q->json) {
		print_json(q, opdir, status, e, &r);
	} else {
		print_plan_text(q, opdir);
		char b[32];
		if (e)
			printf("%s: %s: %s\n", strcmp(status, "failed") == 0 ? "FAILED" : "REFUSED", ksd_strerror(e), r.msg);
		else if (strcmp(status, "done") == 0)
			printf("done: %zu unit(s), %s %s\n", r.units_done, fmt_bytes(r.bytes_moved, b, sizeof b),
			       q->purge ? "deleted" : "put back");
		else if (strcmp(status, "cancelled") == 0)
			printf("%s. Exit status 32.\n", r.msg);
		else if (todo)
			printf("plan: %zu unit(s), %s would be %s; nothing changed (use --apply)\n", todo,
			       fmt_bytes(bytes, b, sizeof b), q->purge ? "deleted" : "put back");
		else
			printf("nothing to do\n");
	}
	ksd_qop_result_free(&r);
	return rc;
}

int cli_qop_command(int argc, char **argv, bool purge)
{
	qop_cli q = {.purge = purge};
	const cli_cmd *cmd = purge ? &purge_cmd : &restore_cmd;
	int first = 0;
	int rc = cli_parse(cmd, argc, argv, on_qop_opt, &q, &first);
	if (rc == -1)
		return KSD_EXIT_OK;
	if (rc != KSD_EXIT_OK)
		return rc;
	if (argc - first != 1) {
		cli_usage_error(cmd, "expected one OPDIR or MANIFEST");
		return KSD_EXIT_USAGE;
	}
	q.target = argv[first];
	size_t line = 0;
	ksd_err e = ksd_qmanifest_load(q.target, &q.m, &line);
	if (e) {
		if (line)
			fprintf(stderr, "ksegdoctor %s: %s: manifest line %zu: %s\n", cmd->name, q.target, line,
				ksd_strerror(e));
		else
			fprintf(stderr, "ksegdoctor %s: %s: %s\n", cmd->name, q.target, ksd_strerror(e));
		return KSD_EXIT_OPERATIONAL;
	}
	rc = run(&q, q.target);
	ksd_qmanifest_free(&q.m);
	return rc;
}

int cmd_restore(int argc, char **argv)
{
	return cli_qop_command(argc, argv, false);
}
