/*
 * ksd/error.h - the one error enum of the ksegdoctor core library.
 *
 * Library functions return a ksd_err; 0 is success.  Damage found in a file
 * is never an error here: it is a finding (see ksd/problem.h).  Errors are
 * for what stops the tool itself: memory, I/O, misuse.
 */
#ifndef KSD_ERROR_H
#define KSD_ERROR_H

typedef enum ksd_err {
	KSD_OK = 0,
	KSD_ERR_NOMEM,     /* allocation failed */
	KSD_ERR_IO,        /* read/stat/mmap failed; errno saved by caller */
	KSD_ERR_NOENT,     /* path does not exist */
	KSD_ERR_NOTSUP,    /* path is not something we can inspect */
	KSD_ERR_INVAL,     /* bad argument (programmer or user input) */
	KSD_ERR_TRUNCATED, /* input ended before the structure did */
	KSD_ERR_FORMAT,    /* bytes do not form the expected structure */
	KSD_ERR_OVERFLOW,  /* arithmetic or size over a cap */
	KSD_ERR_LOCKED,    /* another process holds a lock we need */
	KSD_ERR_CHANGED,   /* a file differs from what the plan recorded */
	KSD_ERR_CONFLICT,  /* a destination already holds a different file */
	KSD_ERR_REFUSED,   /* a safety precondition does not hold */
	KSD_ERR__COUNT
} ksd_err;

/* Static, never NULL, English text for an error code. */
const char *ksd_strerror(ksd_err err);

#endif
