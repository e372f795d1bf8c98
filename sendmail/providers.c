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

const char *
provider_names(void)
{
	return PROVIDER_NAMES;
}
