/* SPDX-License-Identifier: MIT */
/*
 * providers - the provider presets from the accounting vendor's guide
 * (PRESETS in saatja.ini(5)): host, port and TLS mode by name, and the
 * domains whose addresses imply a preset.
 *
 * The table is generated from sendmail/providers.ini (sendmail/gen-providers.awk);
 * its hints and notes are English msgids, to be shown through _().
 */
#ifndef SAATJA_PROVIDERS_H
#define SAATJA_PROVIDERS_H

enum tls_mode {
	TLS_STARTTLS,	/* plain connect, then STARTTLS (usually 587) */
	TLS_IMPLICIT,	/* TLS from the first byte (usually 465) */
	TLS_NONE,	/* no TLS: allowed only toward loopback */
};

struct provider {
	const char *name;
	const char *host;
	unsigned port;
	enum tls_mode tls;
	int app_password;	/* the provider wants an app password */
	const char *password_hint;	/* which password: untranslated, N_() */
	const char *app_password_page;	/* where it is made (URL), or NULL */
	unsigned max_per_hour;	/* known sending limit, 0 = none known */
	int verified;		/* host confirmed, not just from the guide */
	const char *note;	/* shown by --check (N_()), or NULL */
	const char *domains;	/* space-separated, or NULL */
	const char *mx;		/* MX host names, ".suffix" for any name
				 * ending so; space-separated, or NULL */
};

/* The preset called name (case-blind), or NULL. */
const struct provider *provider_by_name(const char *name);
/* The preset whose domains include domain (case-blind), or NULL. */
const struct provider *provider_by_domain(const char *domain);
/* The preset whose mx list matches the mail exchanger host (case-blind,
 * a final dot ignored), or NULL. */
const struct provider *provider_by_mx(const char *host);
/* The names of all presets, space-separated, for error messages. */
const char *provider_names(void);

#endif
