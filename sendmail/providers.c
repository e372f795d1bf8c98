/* SPDX-License-Identifier: MIT */
/*
 * providers - preset lookups; see providers.h.
 *
 * The table itself, providers-data.h, is generated from sendmail/providers.ini
 * (the data and where it comes from are described there).
 */
#include "autoconf.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "providers.h"

#include "providers-data.h"

#define NPRESETS (sizeof presets / sizeof presets[0])

const struct provider *
provider_by_name(const char *name)
{
	for (size_t i = 0; i < NPRESETS; i++)
		if (strcasecmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

static int
word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (list && *list) {
		size_t len = strcspn(list, " ");

		if (len == n && strncasecmp(list, word, n) == 0)
			return 1;
		list += len;
		list += strspn(list, " ");
	}
	return 0;
}

const struct provider *
provider_by_domain(const char *domain)
{
	for (size_t i = 0; i < NPRESETS; i++)
		if (word_in(presets[i].domains, domain))
			return &presets[i];
	return NULL;
}

/* Whether host is name, or ends in name when name starts with a dot. */
static int
mx_matches(const char *name, size_t len, const char *host, size_t hlen)
{
	if (len > 1 && name[0] == '.')
		return hlen > len && strncasecmp(host + hlen - len, name, len) == 0;
	return hlen == len && strncasecmp(host, name, len) == 0;
}

const struct provider *
provider_by_mx(const char *host)
{
	size_t hlen = strlen(host);

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	for (size_t i = 0; i < NPRESETS; i++) {
		const char *l = presets[i].mx;

		while (l && *l) {
			size_t len = strcspn(l, " ");

			if (mx_matches(l, len, host, hlen))
				return &presets[i];
			l += len;
			l += strspn(l, " ");
		}
	}
	return NULL;
}

const char *
provider_names(void)
{
	return PROVIDER_NAMES;
}
