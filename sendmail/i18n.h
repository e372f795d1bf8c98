/* SPDX-License-Identifier: MIT */
/*
 * i18n - translated messages (GNU gettext) and the locale saatja runs in.
 *
 * Only messages follow the caller's locale (LANG, LC_ALL, LC_MESSAGES,
 * LANGUAGE). Every other category stays "C": numbers, dates, and the
 * case-blind comparisons of protocol keywords and addresses (a Turkish
 * locale folds "I" to a dotless i) must not change with the caller. The
 * caller's charset is kept apart, and translations are written in it.
 *
 * Text that is recorded or passed on — log lines, the reasons kept in the
 * queue and shown by mailq, the failure notice, the SMTP replies of -bs —
 * stays English: it is built between i18n_plain_begin() and
 * i18n_plain_end(), where _() and strerror() give the C texts.
 */
#ifndef SAATJA_I18N_H
#define SAATJA_I18N_H

#include <locale.h>

#if ENABLE_NLS
#include <libintl.h>
#else
#define gettext(s) ((const char *)(s))
#define ngettext(s, p, n) ((n) == 1 ? (const char *)(s) : (const char *)(p))
#define textdomain(d) ((void)0)
#define bindtextdomain(d, dir) ((void)0)
#define bind_textdomain_codeset(d, c) ((void)0)
#endif

/* A message for the caller, translated. */
#define _(s) gettext(s)
/* A message marked for translation but used (or translated) elsewhere;
 * no parentheses, so that it can be pasted to a literal. */
#define N_(s) s

/* Sets the locale up and the catalogs in localedir (LOCALEDIR, fixed at
 * build time); main calls it once, after the environment was cleaned.
 * Never fails: without a catalog, English. */
void i18n_init(const char *localedir);
/* Non-zero when the caller's charset is UTF-8 (as LC_CTYPE says). */
int i18n_utf8(void);
/* Untranslated messages from here to i18n_plain_end(saved), which takes
 * what this returned. Nests. */
locale_t i18n_plain_begin(void);
void i18n_plain_end(locale_t saved);

#endif
