#include "ksd/kversion.h"

#include <stdio.h>
#include <string.h>

bool ksd_kversion_parse(const char *s, ksd_kversion *out)
{
	int part[4] = {0, 0, 0, 0};
	int n = 0;
	const char *p = s;
	memset(out, 0, sizeof *out);
	while (n < 4) {
		if (*p < '0' || *p > '9')
			return false;
		long v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p++ - '0');
			if (v > 100000)
				return false;
		}
		part[n++] = (int)v;
		/* A fifth component or a trailing '.' is left for the check below. */
		if (*p != '.' || n == 4)
			break;
		p++;
	}
	/* A suffix like "-IV1", "-cp2" or "-SNAPSHOT" is fine; garbage is not. */
	if (*p != '\0' && *p != '-' && *p != '+')
		return false;
	if (n < 2)
		return false;
	out->known = true;
	out->major = part[0];
	out->minor = part[1];
	out->patch = part[2];
	out->fix = part[3];
	snprintf(out->text, sizeof out->text, "%s", s);
	return true;
}

int ksd_kversion_cmp(const ksd_kversion *a, const ksd_kversion *b)
{
	if (a->known != b->known)
		return a->known ? 1 : -1;
	const int av[4] = {a->major, a->minor, a->patch, a->fix};
	const int bv[4] = {b->major, b->minor, b->patch, b->fix};
	for (int i = 0; i < 4; i++)
		if (av[i] != bv[i])
			return av[i] < bv[i] ? -1 : 1;
	return 0;
}

bool ksd_kversion_at_least(const ksd_kversion *v, int major, int minor, int patch, int fix)
{
	ksd_kversion ref = {true, major, minor, patch, fix, ""};
	return v->known && ksd_kversion_cmp(v, &ref) >= 0;
}
