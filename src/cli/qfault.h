/*
 * qfault.h - the test-only fault hook of the repair commands.
 *
 * KSEGDOCTOR_FAULT=step:N[:ERRNO|kill][,step:N...] makes the N-th call of
 * an engine step (see ksd/qops.h: rename, fsync, journal, ...) fail with
 * ERRNO (EIO by default; a name like ENOSPC or EXDEV, or a number), or the
 * process SIGKILL itself just before the step.  KSEGDOCTOR_FAULT_TRACE=FILE
 * appends "step<TAB>path" for every step reached, so tests can enumerate
 * every fault point.  Without either variable nothing is installed.
 */
#ifndef KSD_CLI_QFAULT_H
#define KSD_CLI_QFAULT_H

#include <stdbool.h>

#include "ksd/qops.h"

/* Installs the hook into o when the environment asks for one. */
void qfault_install(ksd_qop_opts *o);

/* `ksegdoctor restore` and `ksegdoctor purge` share one runner
 * (cmd_restore.c): plan by default, --apply after confirmation. */
int cli_qop_command(int argc, char **argv, bool purge);

#endif
