/* SPDX-License-Identifier: MIT */
/*
 * config - saatja.ini, read with iniparser and turned into typed values.
 *
 * Every value is checked here, once: the rest of the program trusts a
 * struct config. An error names the file, the section and the key, and
 * says what to do (ERRORS in saatja.ini(5)); all such errors are
 * ST_CONFIG (exit 78). Passwords are held only in accounts, never copied
 * elsewhere; a password_command runs only when a password is needed
 * (password.h).
 */
#ifndef SAATJA_CONFIG_H
#define SAATJA_CONFIG_H

#include "buf.h"
#include "oauth_conf.h"
#include "providers.h"
#include "route.h"
#include "status.h"

enum foreign_from { FOREIGN_REJECT, FOREIGN_REWRITE };
enum delivery_mode { DELIVERY_INTERACTIVE, DELIVERY_BACKGROUND, DELIVERY_QUEUE };

/*
 * An account: one [address] section, checked and completed by
 * config_load. The address is the sender and the login. Nothing here
 * changes after loading: what a run fetches (the output of
 * password_command, an access token) is the credential module's
 * (credential.h).
 */
#define AUTH_MAX 4

struct account {
	char *address;		/* the section name: sender and login */
	const struct provider *provider;	/* preset used, or NULL */
	char *host;
	unsigned port;
	enum tls_mode tls;
	char *password;		/* as written; NULL when password_command gives it */
	char *password_command;
	char *password_file;	/* absolute path, or a systemd credential's
				 * name (secret_file.h) */
	char *auth[AUTH_MAX];	/* mechanism names, upper case, in order */
	size_t nauth;
	char *ca_file;
	unsigned char fingerprint[32];	/* SHA-256 pin */
	int has_fingerprint;
	unsigned max_per_hour;	/* 0 = no limit */
	unsigned max_rcpt;	/* recipients a transaction, 0 = no limit */
	unsigned timeout;	/* seconds per network step */
	struct strlist cc;
	struct strlist bcc;
	struct oauth_conf oauth;	/* OAuth2 token service (saatja.ini(5), OAUTH2) */
	struct route route;	/* proxy and source_ip (route.h) */
};

struct alias {
	char *name;		/* local name, lower case; "*" is the catch-all */
	char *target;		/* address */
};

struct config {
	char *path;
	char *default_account;	/* as written, or NULL */
	enum foreign_from foreign_from;
	enum delivery_mode delivery;
	char *queue_dir;	/* NULL: the built-in default */
	long retry_for;		/* seconds */
	char *log;		/* "syslog", "stderr" or a path */
	int log_json;		/* log_format = json */
	char *helo;		/* NULL: the host's FQDN */
	struct strlist local_domains;
	struct alias *aliases;
	size_t naliases, alias_cap;
	struct account *accounts;
	size_t naccounts, account_cap;
	int callers_file;	/* the file is one the caller chose (-C) in a
				 * set-group-ID run: its commands run, and its
				 * tokens are kept, with the caller's rights
				 * only; set by whoever loaded it */
};

/*
 * Loads and checks the file at path. Returns ST_OK, or ST_CONFIG with the
 * reason in err (file missing or unreadable, readable by others while it
 * holds passwords, unknown key, bad value, account without host or
 * password).
 */
enum status config_load(struct config *c, const char *path, struct buf *err);
void config_free(struct config *c);

/* The account for address (case-blind), or NULL. */
struct account *config_account(const struct config *c, const char *address);
/* The default account: [saatja] default, else the only account, else NULL. */
struct account *config_default(const struct config *c);
/* The alias target for a local name (exact, then "*"), or NULL. */
const char *config_alias(const struct config *c, const char *name);

const char *config_tls_name(enum tls_mode t);

#endif
