/* SPDX-License-Identifier: MIT */
/*
 * Unit test: the pieces of sendmail --setup that need no network: the
 * section written into a config file with the rest kept (conffile.h),
 * the DNS answer parser (dns.h) and the match of mail exchangers to
 * presets (providers.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conffile.h"
#include "dns.h"
#include "providers.h"
#include "../lib/tap.h"

static void
put(const char *text, const char *name, const char *sec, const char *want,
    int replaced, const char *what)
{
	struct buf out = BUF_INIT;

	is_int(conffile_put_section(text, name, sec, &out), replaced, what);
	is_str(buf_str(&out), want, what);
	buf_free(&out);
}

static void
test_conffile(void)
{
	const char *sec = "[a@x.ee]\nprovider = zone\npassword = p\n";

	put("", "a@x.ee", sec, sec, 0, "a new file is the section");
	put("; my file\n[saatja]\nlog = syslog\n", "a@x.ee", sec,
	    "; my file\n[saatja]\nlog = syslog\n\n[a@x.ee]\nprovider = zone\npassword = p\n",
	    0, "appended after a blank line, comment kept");
	put("[saatja]\nlog = syslog", "a@x.ee", sec,
	    "[saatja]\nlog = syslog\n\n[a@x.ee]\nprovider = zone\npassword = p\n",
	    0, "a file without a final newline");
	put("[A@X.EE]\nhost = old\n\n; the next one\n[b@x.ee]\nprovider = zone\n",
	    "a@x.ee", sec,
	    "[a@x.ee]\nprovider = zone\npassword = p\n\n; the next one\n[b@x.ee]\nprovider = zone\n",
	    1, "replaced, case-blind; the next section's comment stays with it");
	put("; top\n[a@x.ee]\nhost = old\n; about old\nport = 25\n", "a@x.ee", sec,
	    "; top\n[a@x.ee]\nprovider = zone\npassword = p\n", 1,
	    "the last section replaced to the end");
	put("[a@x.ee]\nhost = old\n[b@x.ee]\nprovider = zone\n", "a@x.ee", sec,
	    "[a@x.ee]\nprovider = zone\npassword = p\n\n[b@x.ee]\nprovider = zone\n",
	    1, "a blank line before the next section");
	put("  [ a@x.ee ]  ; old\nhost = old\n", "a@x.ee", sec, sec, 1,
	    "a header with spaces and a comment");
	ok(conffile_has_section("x\n[saatja]\n[a@x.ee]\n", "A@x.ee"), "has_section");
	ok(!conffile_has_section("; [a@x.ee]\nkey = [a@x.ee]\n", "a@x.ee"),
	    "a comment or a value is no section");
}

static void
test_conffile_write(void)
{
	char dir[] = "/tmp/test_setup.XXXXXX", path[64];
	char *temp = NULL;
	struct buf err = BUF_INIT;
	struct stat st;
	FILE *f;
	char got[64] = "";

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/saatja.ini", dir);
	f = fopen(path, "w");
	fputs("old\n", f);
	fclose(f);
	chmod(path, 0640);
	is_int(conffile_write_temp(path, "new\n", 0600, (gid_t)-1, &temp, &err),
	    ST_OK, "temp written");
	ok(temp != NULL && strncmp(temp, dir, strlen(dir)) == 0, "temp beside the file");
	ok(temp && stat(temp, &st) == 0 && (st.st_mode & 07777) == 0640,
	    "temp has the old file's mode");
	is_int(conffile_commit(temp, path, &err), ST_OK, "renamed over");
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(got, sizeof got, f) == NULL)
			got[0] = '\0';
		fclose(f);
	}
	is_str(got, "new\n", "the new text is in place");
	ok(access(temp, F_OK) != 0, "no temp left");
	free(temp);
	unlink(path);
	snprintf(path, sizeof path, "%s/new.ini", dir);
	is_int(conffile_write_temp(path, "x\n", 0600, (gid_t)-1, &temp, &err),
	    ST_OK, "a new file");
	ok(temp && stat(temp, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "a new file gets the mode asked for");
	if (temp)
		unlink(temp);
	free(temp);
	rmdir(dir);
	buf_free(&err);
}

/* A DNS message: header, one question, answers given as raw records. */
static size_t
message(unsigned char *m, const unsigned char *answers, size_t alen, unsigned an)
{
	static const unsigned char head[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		5, 'f', 'i', 'r', 'm', 'a', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1,
	};

	memcpy(m, head, sizeof head);
	m[7] = (unsigned char)an;
	memcpy(m + sizeof head, answers, alen);
	return sizeof head + alen;
}

static void
test_dns(void)
{
	/* Two MX records pointing back to the question's name (0xc00c),
	 * the second with a lower preference; a CNAME between. */
	static const unsigned char mx[] = {
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 0, 0, 7, 0, 20,
		2, 'm', 'x', 0xc0, 0x0c,
		0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 1, 0, 0, 2, 0xc0, 0x0c,
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 0, 0, 4, 0, 10, 0xc0, 0x0c,
	};
	static const unsigned char loop[] = {
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 0, 0, 4, 0, 10, 0xc0, 0x40,
	};
	static const unsigned char srv[] = {
		0xc0, 0x0c, 0, 33, 0, 1, 0, 0, 1, 0, 0, 13, 0, 0, 0, 1, 0x01, 0xd1,
		4, 's', 'm', 't', 'p', 0xc0, 0x0c,
	};
	static const unsigned char dot[] = {
		0xc0, 0x0c, 0, 33, 0, 1, 0, 0, 1, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,
	};
	static const unsigned char longer[] = {
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 0, 0, 200, 0, 10, 0,
	};
	unsigned char m[512];
	struct dns_rr rr[DNS_RR_MAX];
	struct buf err = BUF_INIT;
	size_t n, len;

	len = message(m, mx, sizeof mx, 3);
	is_int(dns_parse(m, len, DNS_T_MX, rr, DNS_RR_MAX, &n, &err), 0, "MX parsed");
	is_int(n, 2, "two MX, the CNAME skipped");
	is_str(rr[0].host, "firma.test", "lowest preference first");
	is_int(rr[0].pref, 10, "its preference");
	is_str(rr[1].host, "mx.firma.test", "a name ending in a pointer");
	len = message(m, loop, sizeof loop, 1);
	is_int(dns_parse(m, len, DNS_T_MX, rr, DNS_RR_MAX, &n, &err), -1,
	    "a pointer forwards is refused");
	len = message(m, srv, sizeof srv, 1);
	is_int(dns_parse(m, len, DNS_T_SRV, rr, DNS_RR_MAX, &n, &err), 0, "SRV parsed");
	ok(n == 1 && rr[0].port == 465 && strcmp(rr[0].host, "smtp.firma.test") == 0,
	    "SRV target and port");
	len = message(m, dot, sizeof dot, 1);
	is_int(dns_parse(m, len, DNS_T_SRV, rr, DNS_RR_MAX, &n, &err), 0, "SRV . parsed");
	ok(n == 1 && strcmp(rr[0].host, ".") == 0, "the root target is \".\"");
	len = message(m, longer, sizeof longer, 1);
	is_int(dns_parse(m, len, DNS_T_MX, rr, DNS_RR_MAX, &n, &err), -1,
	    "a record longer than the message is refused");
	is_int(dns_parse(m, 11, DNS_T_MX, rr, DNS_RR_MAX, &n, &err), -1,
	    "a message shorter than a header is refused");
	len = message(m, mx, sizeof mx, 3);
	is_int(dns_parse(m, len, DNS_T_MX, rr, 1, &n, &err), 0, "max respected");
	is_int(n, 1, "only max records");
	buf_free(&err);
}

static void
test_mx(void)
{
	const struct provider *p;

	p = provider_by_mx("firma-ee.mail.protection.outlook.com");
	ok(p && strcmp(p->name, "outlook") == 0, "Microsoft 365 is outlook");
	p = provider_by_mx("ASPMX.L.GOOGLE.COM.");
	ok(p && strcmp(p->name, "gmail") == 0, "Google Workspace, case and dot");
	p = provider_by_mx("alt1.aspmx.l.google.com");
	ok(p && strcmp(p->name, "gmail") == 0, "a Google backup MX");
	p = provider_by_mx("smtp.google.com");
	ok(p && strcmp(p->name, "gmail") == 0, "Google Workspace's newer MX");
	ok(provider_by_mx("mail.protection.outlook.com") == NULL,
	    "a suffix matches only names under it");
	ok(provider_by_mx("aspmx.l.google.com.evil.test") == NULL, "a suffix must end the name");
	ok(provider_by_mx("notgoogle.com") == NULL, "no match inside a label");
	ok(provider_by_mx("mx.firma.test") == NULL, "an unknown MX");
}

int
main(void)
{
	test_conffile();
	test_conffile_write();
	test_dns();
	test_mx();
	return done_testing();
}
