/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for saatja.ini loading: presets and inference, defaults,
 * quoting, app passwords pasted with spaces, and errors that name the
 * file, section and key.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "config.h"
#include "confval.h"
#include "credential.h"
#include "../lib/tap.h"

static struct config c;
static struct buf err;
static char path[] = "/tmp/saatja-test-config-XXXXXX";

static enum status
load(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	config_free(&c);
	buf_reset(&err);
	return config_load(&c, path, &err);
}

static void
test_presets_and_inference(void)
{
	struct account *a;

	is_int(load("[arved@firma.ee]\nprovider = zone\npassword = x\n"
	    "[x@gmail.com]\npassword = abcd efgh ijkl mnop\n"
	    "[y@hot.ee]\npassword = y\n"
	    "[z@mail.ee]\npassword = z\nhost = 127.0.0.1\nport = 2587\n", 0600),
	    ST_OK, "presets load");
	a = config_account(&c, "ARVED@firma.ee");
	ok(a != NULL, "account found case-blind");
	is_str(a ? a->host : NULL, "smtp.zone.eu", "zone host");
	is_int(a ? (long)a->port : 0, 587, "zone port");
	is_int(a ? (long)a->tls : -1, TLS_STARTTLS, "zone starttls");
	a = config_account(&c, "x@gmail.com");
	is_str(a ? a->host : NULL, "smtp.gmail.com", "gmail inferred from the domain");
	is_str(a ? a->password : NULL, "abcdefghijklmnop", "app password spaces removed");
	a = config_account(&c, "y@hot.ee");
	is_int(a ? (long)a->max_per_hour : 0, 15, "online.ee limit applied");
	ok(a && a->provider && !a->provider->verified, "online.ee marked unverified");
	a = config_account(&c, "z@mail.ee");
	is_str(a ? a->host : NULL, "127.0.0.1", "explicit host overrides inference");
	is_int(a ? (long)a->port : 0, 2587, "explicit port kept");
	ok(config_default(&c) == NULL, "several accounts and no default: none");
	is_int((long)c.retry_for, 5 * 86400, "retry_for defaults to 5 days");
}

static void
test_values(void)
{
	struct account *a;

	is_int(load("[saatja]\ndefault = a@b.ee\nretry_for = 1d12h\nforeign_from = rewrite\n"
	    "delivery = queue\nlocal_domains = web1.lan, intra.lan\n"
	    "[a@b.ee]\nhost = smtp.b.ee\nport = 465\npassword = \"p;a#s=s wõrd\"\n"
	    "auth = login plain\ntimeout = 10\nmax_per_hour = 30\n"
	    "fingerprint = sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
	    "cc = raamat@b.ee\nbcc = arhiiv@b.ee, arhiiv2@b.ee\n", 0640), ST_OK, "all keys load");
	a = config_default(&c);
	ok(a != NULL, "default account");
	is_str(a ? a->password : NULL, "p;a#s=s wõrd", "quoted password with ; # = space UTF-8");
	is_int(a ? (long)a->tls : -1, TLS_IMPLICIT, "port 465 implies implicit TLS");
	is_str(a && a->nauth ? a->auth[0] : NULL, "LOGIN", "auth order kept, upper case");
	ok(a && a->has_fingerprint && a->fingerprint[10] == 0xAA, "fingerprint parsed");
	is_int(a ? (long)a->bcc.n : 0, 2, "bcc list");
	is_int(c.retry_for, 86400 + 12 * 3600, "1d12h");
	is_int(c.foreign_from, FOREIGN_REWRITE, "foreign_from");
	is_int(c.delivery, DELIVERY_QUEUE, "delivery");
	is_int((long)c.local_domains.n, 2, "local_domains list");
	is_int(confval_duration("90m"), 5400, "90m");
	is_int(confval_duration("5x"), -1, "bad unit refused");
}

static void
expect_error(const char *text, mode_t mode, const char *needle, const char *name)
{
	enum status st = load(text, mode);

	is_int(st, ST_CONFIG, name);
	if (strstr(buf_str(&err), needle) == NULL)
		printf("# error \"%s\" lacks \"%s\"\n", buf_str(&err), needle);
	ok(strstr(buf_str(&err), needle) != NULL, "  ...and the message says so");
}

static void
test_errors(void)
{
	expect_error("[a@b.ee]\nprovider = zone\npasword = x\n", 0600, "[a@b.ee] pasword",
	    "misspelt key names section and key");
	expect_error("[a@b.ee]\nprovider = zone\n", 0600, "no password", "missing password");
	expect_error("[a@b.ee]\npassword = x\n", 0600, "no server", "no host and no preset");
	expect_error("[a@b.ee]\nprovider = yahoo\npassword = x\n", 0600, "unknown provider",
	    "unknown preset");
	expect_error("[a@b.ee]\nprovider = zone\npassword = x\nport = 99999\n", 0600,
	    "[a@b.ee] port", "bad port");
	expect_error("[a@b.ee]\nprovider = zone\npassword = x\n", 0644, "chmod 640",
	    "world-readable file with a password");
	expect_error("[a@b.ee]\nprovider = zone\npassword = ab;cd\n", 0600, "double quotes",
	    "unquoted ; in a password");
	expect_error("[a@b.ee]\nhost = smtp.b.ee\ntls = none\npassword = x\n", 0600,
	    "only toward this machine", "tls = none to a remote host");
	expect_error("[a@b.ee]\nprovider = zone\npassword = x\nuser = other@b.ee\n", 0600,
	    "differs from the account address", "a login that differs from the sender");
	expect_error("[saatja]\ndefault = c@d.ee\n[a@b.ee]\nprovider = zone\npassword = x\n",
	    0600, "[saatja] default", "default naming no account");
	expect_error("[not-an-address]\nx = y\n", 0600, "[not-an-address]", "bad section name");
	expect_error("[a@b.ee (work]\nprovider = zone\npassword = x\n", 0600, "[a@b.ee (work]",
	    "unparsable section name (found by tests/fuzz: freed garbage)");
	expect_error("password = x\n[a@b.ee]\nprovider = zone\n", 0600, "outside any section",
	    "key outside a section");
	expect_error("[saatja]\nretry_for = soon\n[a@b.ee]\nprovider = zone\npassword = x\n",
	    0600, "[saatja] retry_for", "bad duration");
	expect_error("[saatja]\n[saatja:defaulta@b.ee]\npassword = x\n", 0600,
	    "line 2: the section name \"[saatja:defaulta@b.ee]\" holds ':'",
	    "a section named like a key has no value (found by tests/fuzz: NULL read)");
	expect_error("[aliases]\nroot = a@b.ee\n[aliases:www]\n[a@b.ee]\nprovider = zone\npassword = x\n", 0600,
	    "remove the ':'",
	    "an alias section named like a key is refused (found by tests/fuzz: NULL read)");
	expect_error("[a@b.ee]\nprovider = zone\npassword = x\nhost = a.b\rQUIT\n", 0600,
	    "control character", "a CR inside a value");
	config_free(&c);
	buf_reset(&err);
	is_int(config_load(&c, "/nonexistent/saatja.ini", &err), ST_CONFIG, "missing file");
	ok(strstr(buf_str(&err), "/nonexistent/saatja.ini") != NULL, "  ...names the file");
	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = echo secret\n", 0644),
	    ST_OK, "world-readable is fine without a password in it");
}

/* The secret a login gets: credential_get runs the command. */
static enum status
secret_of(const char *mech, const char **secret, struct credential *cr)
{
	struct account *a = config_default(&c);

	*secret = NULL;
	if (a == NULL)
		return ST_OSERR;
	credential_init(cr, &c, a);
	return credential_get(cr, mech, NULL, secret, &err);
}

static void
test_password_command(void)
{
	struct credential cr;
	const char *secret;

	load("[a@b.ee]\nprovider = zone\npassword_command = printf 'from cmd\\nsecond'\n", 0600);
	is_int(secret_of("PLAIN", &secret, &cr), ST_OK, "password_command runs");
	is_str(secret, "from cmd", "first line of its output");
	ok(config_default(&c)->password == NULL, "  ...kept by the credential, not in the config");
	credential_free(&cr);
	load("[a@b.ee]\nprovider = zone\npassword_command = false\n", 0600);
	is_int(secret_of("LOGIN", &secret, &cr), ST_CONFIG, "a failing command is an error");
	credential_free(&cr);
	load("[a@b.ee]\nprovider = zone\npassword = as written\n", 0600);
	is_int(secret_of("PLAIN", &secret, &cr), ST_OK, "a written password");
	is_str(secret, "as written", "  ...is the secret as written");
	credential_free(&cr);
}

static void
test_proxy_and_source_ip(void)
{
	struct account *a;

	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = true\n"
	    "proxy = socks5h://u:p%3Bw@127.0.0.1:9050\nsource_ip = 127.0.0.2\n", 0600),
	    ST_OK, "proxy and source_ip load");
	a = config_default(&c);
	is_int(a ? (long)a->route.proxy : -1, PROXY_SOCKS5H, "socks5h://");
	is_str(a ? a->route.proxy_pass : NULL, "p;w", "the proxy's password, decoded");
	is_str(a ? a->route.source_text : NULL, "127.0.0.2", "the source address");
	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = true\n"
	    "proxy = socks5://u:pw@127.0.0.1\n", 0644), ST_CONFIG,
	    "a proxy with a password in a file others can read");
	ok(strstr(buf_str(&err), "chmod 640") != NULL, "  ...says to chmod it");
	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = true\n"
	    "proxy = socks5://127.0.0.1\n", 0644), ST_OK,
	    "a proxy without a password may be readable");
	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = true\n"
	    "proxy = socks5://u:p;w@127.0.0.1\n", 0600), ST_CONFIG,
	    "an unquoted ; in proxy");
	ok(strstr(buf_str(&err), "%3B") != NULL && strstr(buf_str(&err), "p;w") == NULL,
	    "  ...says how to write it, without the password");
	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = true\n"
	    "proxy = http://u:sekret@127.0.0.1:3128\n", 0600), ST_CONFIG, "an HTTP proxy");
	ok(strstr(buf_str(&err), "[a@b.ee] proxy: ") != NULL, "  ...names the section and key");
	ok(strstr(buf_str(&err), "sekret") == NULL, "  ...without the password");
	is_int(load("[a@b.ee]\nprovider = zone\npassword_command = true\n"
	    "source_ip = eth0\n", 0600), ST_CONFIG, "a source address that is a name");
	ok(strstr(buf_str(&err), "[a@b.ee] source_ip: ") != NULL, "  ...names the key");
}

/* password_file: a file or a systemd credential; log_format. */
static void
test_password_file_and_log_format(void)
{
	char dir[] = "/tmp/saatja-test-cred-XXXXXX";
	struct buf file = BUF_INIT, text = BUF_INIT;
	struct credential cr;
	const char *secret;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return;
	buf_printf(&file, "%s/zone", dir);
	f = fopen(buf_str(&file), "w");
	fputs("from file\n", f);
	fclose(f);
	chmod(buf_str(&file), 0600);
	buf_printf(&text, "[a@b.ee]\nprovider = zone\npassword_file = %s\n", buf_str(&file));
	is_int(load(buf_str(&text), 0644), ST_OK, "password_file: the config holds no password");
	is_int(secret_of("PLAIN", &secret, &cr), ST_OK, "password_file is read");
	is_str(secret, "from file", "  ...less its newline");
	credential_free(&cr);
	load("[a@b.ee]\nprovider = zone\npassword_file = zone\n", 0600);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	is_int(secret_of("PLAIN", &secret, &cr), ST_OK, "a credential name is read from $CREDENTIALS_DIRECTORY");
	is_str(secret, "from file", "  ...the same file");
	credential_free(&cr);
	unsetenv("CREDENTIALS_DIRECTORY");
	is_int(secret_of("PLAIN", &secret, &cr), ST_TEMP_SERVER, "without it, the message waits");
	credential_free(&cr);
	chmod(buf_str(&file), 0604);
	expect_error(buf_str(&text), 0600, "chmod 600", "a password_file others can read");
	expect_error("[a@b.ee]\nprovider = zone\npassword = x\npassword_file = zone\n", 0600,
	    "[a@b.ee] password_file: give one of password, password_command and password_file",
	    "password and password_file");
	expect_error("[a@b.ee]\nprovider = zone\npassword_file = a/b\n", 0600,
	    "neither an absolute path nor the name of a systemd credential", "a relative path");
	expect_error("[a@b.ee]\nprovider = zone\npassword_file = ..\n", 0600,
	    "neither an absolute path", "\"..\" names no credential");
	is_int(load("[saatja]\nlog_format = json\n[a@b.ee]\nprovider = zone\npassword = x\n", 0600),
	    ST_OK, "log_format = json");
	is_int(c.log_json, 1, "  ...sets JSON");
	expect_error("[saatja]\nlog_format = xml\n[a@b.ee]\nprovider = zone\npassword = x\n", 0600,
	    "[saatja] log_format: \"xml\" is not text or json", "an unknown log_format");
	unlink(buf_str(&file));
	rmdir(dir);
	buf_free(&file);
	buf_free(&text);
}

int
main(void)
{
	int fd = mkstemp(path);

	close(fd);
	test_presets_and_inference();
	test_values();
	test_errors();
	test_password_command();
	test_proxy_and_source_ip();
	test_password_file_and_log_format();
	config_free(&c);
	buf_free(&err);
	unlink(path);
	return done_testing();
}
