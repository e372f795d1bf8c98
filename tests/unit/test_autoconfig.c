/* SPDX-License-Identifier: MIT */
/*
 * test_autoconfig - reading Thunderbird's config-v1.1.xml into SMTP
 * servers (oauth/oauth_autoconfig.c), which comes from whoever answers
 * for a domain: the servers in order with their placeholders filled, the
 * servers that are skipped and why, and the documents that are refused
 * whole (not XML, a DOCTYPE, too deep, another root, no SMTP server).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth_autoconfig.h"
#include "../lib/tap.h"

#define ADDRESS "arved@firma.ee"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n"
#define TAIL "</clientConfig>\n"

static struct oauth_autoconfig c;
static struct buf err = BUF_INIT;

static int
parse(const char *xml)
{
	oauth_autoconfig_free(&c);
	buf_reset(&err);
	return oauth_autoconfig_parse(xml, strlen(xml), ADDRESS, &c, &err);
}

/* A refused document: -1, nothing kept, and err holds want. */
static void
refused(const char *xml, const char *want, const char *name)
{
	int rc = parse(xml);

	ok(rc == -1 && c.n == 0 && c.provider == NULL, name);
	if (strstr(buf_str(&err), want) == NULL)
		printf("#   error: \"%s\"\n#   lacks: \"%s\"\n", buf_str(&err), want);
	ok(strstr(buf_str(&err), want) != NULL, name);
}

static void
test_good(void)
{
	is_int(parse(HEAD
	    "  <emailProvider id=\"googlemail.com\">\n"
	    "    <domain>gmail.com</domain>\n"
	    "    <displayName>Google Mail</displayName>\n"
	    "    <incomingServer type=\"imap\"><hostname>imap.gmail.com</hostname>"
	    "<port>993</port><socketType>SSL</socketType></incomingServer>\n"
	    "    <outgoingServer type=\"smtp\">\n"
	    "      <hostname>smtp.gmail.com</hostname>\n"
	    "      <port>465</port>\n"
	    "      <socketType>SSL</socketType>\n"
	    "      <username>%EMAILADDRESS%</username>\n"
	    "      <authentication>OAuth2</authentication>\n"
	    "      <authentication>password-cleartext</authentication>\n"
	    "    </outgoingServer>\n"
	    "  </emailProvider>\n" TAIL), 0, "good: read");
	is_str(c.provider, "googlemail.com", "good: the provider's id");
	is_str(c.display_name, "Google Mail", "good: the display name");
	is_int((long)c.n, 1, "good: one SMTP server, the IMAP one not counted");
	is_int((long)c.skipped, 0, "good: nothing skipped");
	is_str(c.server[0].host, "smtp.gmail.com", "good: host");
	is_int(c.server[0].port, 465, "good: port");
	is_str(c.server[0].socket, "SSL", "good: socket");
	is_str(c.server[0].auth, "OAuth2,password-cleartext", "good: auth in the file's order");
	is_str(c.server[0].username, ADDRESS, "good: %EMAILADDRESS%");
}

static void
test_placeholders(void)
{
	is_int(parse(HEAD
	    "<emailProvider id=\"%EMAILDOMAIN%\"><displayName>Post of %EMAILDOMAIN%</displayName>"
	    "<outgoingServer type=\"smtp\"><hostname>\n  smtp.%EMAILDOMAIN%\n</hostname>"
	    "<port> 587 </port><socketType>STARTTLS</socketType>"
	    "<username>%EMAILLOCALPART%+%EMAILDOMAIN%</username></outgoingServer>"
	    "</emailProvider>" TAIL), 0, "placeholders: read");
	is_str(c.provider, "firma.ee", "placeholders: in the id");
	is_str(c.display_name, "Post of firma.ee", "placeholders: in the display name");
	is_str(c.server[0].host, "smtp.firma.ee", "placeholders: %EMAILDOMAIN%, spaces around taken off");
	is_int(c.server[0].port, 587, "placeholders: a port with spaces around");
	is_str(c.server[0].username, "arved+firma.ee", "placeholders: %EMAILLOCALPART%");
	is_str(c.server[0].auth, "", "placeholders: no authentication is an empty list");
}

static void
test_several_and_skipped(void)
{
	is_int(parse(HEAD
	    "<emailProvider id=\"x\">\n"
	    "<outgoingServer type=\"smtp\"><hostname>a.example</hostname><port>465</port>"
	    "<socketType>SSL</socketType></outgoingServer>\n"
	    "<outgoingServer type=\"smtp\"><hostname>b.example</hostname>"
	    "<socketType>SSL</socketType></outgoingServer>\n"
	    "<outgoingServer type=\"smtp\"><hostname>c.example</hostname><port>25</port>"
	    "<socketType>TLS</socketType></outgoingServer>\n"
	    "<outgoingServer type=\"exchange\"><hostname>d.example</hostname></outgoingServer>\n"
	    "<outgoingServer type=\"smtp\"><hostname>e.example</hostname><port>587</port>"
	    "<socketType>plain</socketType><authentication>bad word</authentication>"
	    "<authentication>none</authentication></outgoingServer>\n"
	    "<outgoingServer type=\"smtp\"><hostname>-f.example</hostname><port>587</port>"
	    "<socketType>plain</socketType></outgoingServer>\n"
	    "<outgoingServer type=\"smtp\"><hostname>g.example</hostname><port>65536</port>"
	    "<socketType>plain</socketType></outgoingServer>\n"
	    "</emailProvider>" TAIL), 0, "several: read");
	is_int((long)c.n, 2, "several: two usable servers");
	is_str(c.server[0].host, "a.example", "several: the first in document order");
	is_str(c.server[1].host, "e.example", "several: the second in document order");
	is_str(c.server[1].socket, "plain", "several: plain");
	is_str(c.server[1].auth, "none", "several: an authentication that is no word is left out");
	is_str(c.provider, "x", "several: id");
	is_str(c.display_name, "", "several: no display name is empty");
	is_int((long)c.skipped, 4, "several: missing port, bad socketType, bad host, bad port skipped");
	is_str(buf_str(&c.skipped_why), "the SMTP server at line 5: no port",
	    "several: the first reason, with its line");
}

static void
test_each_reason(void)
{
	static const struct { const char *server, *why; } cases[] = {
		{ "<port>465</port><socketType>SSL</socketType>", "no hostname" },
		{ "<hostname>a.example</hostname><socketType>SSL</socketType>", "no port" },
		{ "<hostname>a.example</hostname><port>465</port>", "no socketType" },
		{ "<hostname>a.example</hostname><port>0</port><socketType>SSL</socketType>",
		  "the port \"0\" is not a number from 1 to 65535" },
		{ "<hostname>a.example</hostname><port>-465</port><socketType>SSL</socketType>",
		  "the port \"-465\" is not a number from 1 to 65535" },
		{ "<hostname>a.example</hostname><port>465</port><socketType>ssl</socketType>",
		  "the socketType \"ssl\" is not SSL, STARTTLS or plain" },
		{ "<hostname>a..example</hostname><port>465</port><socketType>SSL</socketType>",
		  "the hostname \"a..example\" is not a DNS name" },
		{ "<hostname>a.example/x</hostname><port>465</port><socketType>SSL</socketType>",
		  "the hostname \"a.example/x\" is not a DNS name" },
		{ "<hostname>%UNKNOWN%.example</hostname><port>465</port><socketType>SSL</socketType>",
		  "the hostname \"%UNKNOWN%.example\" is not a DNS name" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf doc = BUF_INIT, want = BUF_INIT;

		buf_printf(&doc, "<clientConfig><emailProvider id=\"x\"><outgoingServer type=\"smtp\">%s"
		    "</outgoingServer></emailProvider></clientConfig>", cases[i].server);
		buf_printf(&want, "(1 skipped; the SMTP server at line 1: %s)", cases[i].why);
		refused(buf_str(&doc), buf_str(&want), cases[i].why);
		buf_free(&doc);
		buf_free(&want);
	}
}

static void
test_limits(void)
{
	struct buf doc = BUF_INIT;

	buf_adds(&doc, "<clientConfig><emailProvider id=\"many\">");
	for (int i = 0; i < 20; i++)
		buf_printf(&doc, "<outgoingServer type=\"smtp\"><hostname>s%d.example</hostname>"
		    "<port>465</port><socketType>SSL</socketType></outgoingServer>", i);
	buf_adds(&doc, "</emailProvider></clientConfig>");
	is_int(parse(buf_str(&doc)), 0, "20 servers: read");
	is_int((long)c.n, OAUTH_AUTOCONFIG_SERVERS, "20 servers: 16 kept");
	is_str(c.server[15].host, "s15.example", "20 servers: the first 16");
	is_int((long)c.skipped, 4, "20 servers: 4 skipped");
	is_str(buf_str(&c.skipped_why), "the SMTP server at line 1: more than 16 SMTP servers",
	    "20 servers: why");

	buf_reset(&doc);
	buf_adds(&doc, "<clientConfig><emailProvider><outgoingServer type=\"smtp\"><hostname>");
	for (int i = 0; i < 200; i++)
		buf_adds(&doc, "abcdefgh.");
	buf_adds(&doc, "example</hostname><port>465</port><socketType>SSL</socketType>"
	    "</outgoingServer></emailProvider></clientConfig>");
	refused(buf_str(&doc), "a value is over 1024 octets", "a hostname over the text limit");

	buf_reset(&doc);
	buf_adds(&doc, "<clientConfig><emailProvider><outgoingServer type=\"smtp\">"
	    "<hostname>a.example</hostname><port>465</port><socketType>SSL</socketType><username>");
	for (int i = 0; i < 30; i++)
		buf_adds(&doc, "%EMAILADDRESS%");
	buf_adds(&doc, "</username></outgoingServer></emailProvider></clientConfig>");
	refused(buf_str(&doc), "the username is over 320 octets", "a username that grows too long");

	buf_reset(&doc);
	buf_adds(&doc, "<clientConfig>");
	for (int i = 0; i < 20000; i++)
		buf_adds(&doc, "<a>");
	refused(buf_str(&doc), "line 1: elements nested more than 32 deep", "huge nesting");
	buf_free(&doc);

	{
		char *big = calloc(1, OAUTH_AUTOCONFIG_MAX + 2);

		memset(big, ' ', OAUTH_AUTOCONFIG_MAX + 1);
		is_int(oauth_autoconfig_parse(big, OAUTH_AUTOCONFIG_MAX + 1, ADDRESS, &c, &err), -1,
		    "over 256 KiB: refused");
		free(big);
	}
}

static void
test_refused(void)
{
	refused(HEAD "<emailProvider id=\"x\"><outgoingServer type=\"smtp\"><hostname>"
	    "</emailProvider>" TAIL, "not well-formed XML at line 3, column", "not XML: mismatched tag");
	refused("<html><body>Not here</body></html>",
	    "the root element is \"html\", not clientConfig", "wrong root");
	refused("{\"clientConfig\": 1}", "not well-formed XML at line 1, column 1: not well-formed (invalid token)",
	    "JSON, not XML");
	refused("", "not well-formed XML at line 1, column 1: no element found", "empty");
	refused("<?xml version=\"1.0\"?>\n<!DOCTYPE clientConfig [\n<!ENTITY a \"aaaaaaaaaa\">\n"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n"
	    "<clientConfig><emailProvider id=\"&b;\"/></clientConfig>",
	    "line 2: a DOCTYPE declaration", "DOCTYPE with entities");
	refused("<!DOCTYPE clientConfig SYSTEM \"file:///etc/passwd\"><clientConfig/>",
	    "line 1: a DOCTYPE declaration", "DOCTYPE with an external subset");
	refused("<clientConfig><emailProvider id=\"&xxe;\"/></clientConfig>",
	    "undefined entity", "an entity without a DOCTYPE");
	refused(HEAD TAIL, "no emailProvider in clientConfig", "no emailProvider");
	refused(HEAD "<emailProvider id=\"imap.example\"><incomingServer type=\"imap\">"
	    "<hostname>imap.example</hostname><port>993</port><socketType>SSL</socketType>"
	    "</incomingServer></emailProvider>" TAIL,
	    "no outgoingServer of type smtp", "IMAP only");
	refused("<clientConfig><emailProvider><outgoingServer type=\"smtp\"><hostname>a.example"
	    "</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>"
	    "</emailProvider></clientConfig><clientConfig/>",
	    "junk after document element", "two roots");
}

static void
test_printable(void)
{
	is_int(parse("<clientConfig><emailProvider id=\"a&#10;b\"><displayName>T\xc3\xb5\x65</displayName>"
	    "<outgoingServer type=\"smtp\"><hostname>a.example</hostname><port>465</port>"
	    "<socketType>SSL</socketType><username>x&#13;&#10;y\xe2\x82\xac</username></outgoingServer>"
	    "</emailProvider></clientConfig>"), 0, "printable: read");
	is_str(c.provider, "a?b", "printable: a line break in the id");
	is_str(c.display_name, "T??e", "printable: UTF-8 in the display name");
	is_str(c.server[0].username, "x??y???", "printable: control characters and UTF-8 in the username");
	is_int(parse("<clientConfig><emailProvider id=\"first\"><outgoingServer type=\"smtp\">"
	    "<hostname>a.example</hostname><port>465</port><socketType>SSL</socketType>"
	    "</outgoingServer></emailProvider><emailProvider id=\"second\"><outgoingServer "
	    "type=\"smtp\"><hostname>b.example</hostname><port>465</port><socketType>SSL"
	    "</socketType></outgoingServer></emailProvider></clientConfig>"), 0, "two providers: read");
	is_str(c.provider, "first", "two providers: the first counts");
	is_int((long)c.n, 1, "two providers: only the first's servers");
	is_int(parse("<clientConfig><emailProvider><outgoingServer type=\"smtp\">"
	    "<hostname>Smtp.Example.</hostname><port>00465</port><socketType>SSL</socketType>"
	    "</outgoingServer></emailProvider></clientConfig>"), 0, "final dot: read");
	is_str(c.server[0].host, "Smtp.Example", "final dot: taken off");
	is_int(c.server[0].port, 465, "final dot: leading zeros in a port");
	is_str(c.provider, "", "no id: empty");
}

int
main(void)
{
	test_good();
	test_placeholders();
	test_several_and_skipped();
	test_each_reason();
	test_limits();
	test_refused();
	test_printable();
	oauth_autoconfig_free(&c);
	buf_free(&err);
	return done_testing();
}
