/*
 * ksd/kversion.h - Kafka versions, for rules that changed release by release.
 */
#ifndef KSD_KVERSION_H
#define KSD_KVERSION_H

#include <stdbool.h>

typedef struct ksd_kversion {
	bool known;
	int major, minor, patch, fix; /* 0.9.0.1 -> 0,9,0,1; 3.7.0 -> 3,7,0,0 */
	char text[32];
} ksd_kversion;

/* Parses "0.9.0.1", "0.10.0", "2.8", "3.7.0", "4.0.0" (suffixes such as
 * "-IV1" or "-cp1" are ignored).  False on anything else. */
bool ksd_kversion_parse(const char *s, ksd_kversion *out);

/* <0, 0, >0 like strcmp; unknown sorts below everything. */
int ksd_kversion_cmp(const ksd_kversion *a, const ksd_kversion *b);

/* a >= major.minor.patch.fix */
bool ksd_kversion_at_least(const ksd_kversion *v, int major, int minor, int patch, int fix);

#endif
