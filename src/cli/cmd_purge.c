/*
 * cmd_purge.c - `ksegdoctor purge`: delete a complete quarantine
 * operation's files (the only command that deletes data).  Shares its
 * runner with restore (cmd_restore.c).
 */
#include "cli.h"
#include "qfault.h"

int cmd_purge(int argc, char **argv)
{
	return cli_qop_command(argc, argv, true);
}
