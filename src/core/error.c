#include "ksd/error.h"

static const char *const error_text[KSD_ERR__COUNT] = {
	[KSD_OK] = "success",
	[KSD_ERR_NOMEM] = "out of memory",
	[KSD_ERR_IO] = "I/O error",
	[KSD_ERR_NOENT] = "no such file or directory",
	[KSD_ERR_NOTSUP] = "not a Kafka log dir, partition dir or segment file",
	[KSD_ERR_INVAL] = "invalid argument",
	[KSD_ERR_TRUNCATED] = "input ends early",
	[KSD_ERR_FORMAT] = "malformed input",
	[KSD_ERR_OVERFLOW] = "value out of range",
	[KSD_ERR_LOCKED] = "locked by another process",
	[KSD_ERR_CHANGED] = "changed since the plan was made",
	[KSD_ERR_CONFLICT] = "destination holds a different file",
	[KSD_ERR_REFUSED] = "refused: a safety precondition does not hold",
};

const char *ksd_strerror(ksd_err err)
{
	if ((unsigned)err >= KSD_ERR__COUNT || !error_text[err])
		return "unknown error";
	return error_text[err];
}
