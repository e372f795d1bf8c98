/*
 * providers - preset table; see providers.h.
 *
 * The data comes from the guide in shared/seeds (Estonian providers plus
 * Gmail and Outlook). The guide's online.ee host "smtp.onmine.ee" is an
 * evident typo; the corrected name is not confirmed, so the entry is
 * marked unverified and --check says so.
 */
#include "autoconf.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "providers.h"

static const struct provider presets[] = {
	{ "zone", "smtp.zone.eu", 587, TLS_STARTTLS, 0,
	  "your mailbox password", 0, 1, NULL, NULL },
	{ "mail.ee", "mail.mail.ee", 587, TLS_STARTTLS, 1,
	  "an app password made in mail.ee's settings (E-posti seaded > Outlook, e-posti programmid)",
	  0, 1, NULL, "mail.ee" },
	{ "veebimajutus", "mail.veebimajutus.ee", 465, TLS_IMPLICIT, 0,
	  "your mailbox password", 0, 1, NULL, NULL },
	{ "telia", "csmtp.telia.ee", 587, TLS_STARTTLS, 0,
	  "your mailbox password", 0, 1, NULL, NULL },
	{ "elisa", "smtp.elisa.ee", 587, TLS_STARTTLS, 0,
	  "your mailbox password", 0, 1, NULL, "elisa.ee" },
	{ "online.ee", "smtp.online.ee", 587, TLS_STARTTLS, 1,
	  "the separate SMTP password of your online.ee account", 15, 0,
	  "the guide names smtp.onmine.ee, an evident typo; smtp.online.ee is not confirmed, ask Inbox/online.ee support and set host = if it differs",
	  "online.ee hot.ee suhtlus.ee" },
	{ "gmail", "smtp.gmail.com", 587, TLS_STARTTLS, 1,
	  "an app password from https://myaccount.google.com/apppasswords (needs 2-step verification)",
	  0, 1, NULL, "gmail.com googlemail.com" },
	{ "outlook", "smtp.office365.com", 587, TLS_STARTTLS, 1,
	  "an app password from your Microsoft account (https://account.microsoft.com/security > Advanced security options > App passwords)",
	  0, 1,
	  "Microsoft 365 work accounts accept only OAuth2 since 2026; personal Outlook.com/Hotmail accounts work with an app password",
	  "hotmail.com outlook.com live.com" },
};

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
	return "zone, mail.ee, veebimajutus, telia, elisa, online.ee, gmail, outlook";
}
