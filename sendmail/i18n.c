/* SPDX-License-Identifier: MIT */
/*
 * i18n - locale set-up and untranslated stretches; see i18n.h.
 *
 * The message catalog comes from the directory main names (LOCALEDIR,
 * fixed when saatja was built): no environment variable picks it, which
 * matters when sendmail runs set-group-ID (TEXTDOMAINDIR is a shell
 * convention that the C library does not read, NLSPATH is for catgets).
 */
#include "autoconf.h"

#include <langinfo.h>
#include <locale.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"

static int utf8;
static locale_t plain = (locale_t)0;

void
i18n_init(const char *localedir)
{
	char codeset[64] = "";

	if (setlocale(LC_ALL, "") != NULL) {
		const char *cs = nl_langinfo(CODESET);

		if (cs && strlen(cs) < sizeof codeset)
			strcpy(codeset, cs);
	}
	utf8 = strcasecmp(codeset, "UTF-8") == 0 || strcasecmp(codeset, "utf8") == 0;
	/* All but the messages go back to "C" (see i18n.h). */
	setlocale(LC_CTYPE, "C");
	setlocale(LC_NUMERIC, "C");
	setlocale(LC_TIME, "C");
	setlocale(LC_COLLATE, "C");
	setlocale(LC_MONETARY, "C");
	bindtextdomain(PACKAGE, localedir);
	/* With LC_CTYPE at "C", gettext would write ASCII: tell it the
	 * caller's charset instead. */
	if (codeset[0])
		bind_textdomain_codeset(PACKAGE, codeset);
	textdomain(PACKAGE);
}

int
i18n_utf8(void)
{
	return utf8;
}

locale_t
i18n_plain_begin(void)
{
	if (plain == (locale_t)0)
		plain = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return plain == (locale_t)0 ? (locale_t)0 : uselocale(plain);
}

void
i18n_plain_end(locale_t saved)
{
	if (saved != (locale_t)0)
		uselocale(saved);
}
