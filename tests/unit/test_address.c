/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the address parser: RFC 5322 Appendix A examples, the
 * senders that cron, fail2ban, logwatch and PHP produce, and malformed
 * input.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "../lib/tap.h"

static struct addrlist list;
static struct buf err;

static enum status
parse(const char *text)
{
	addrlist_free(&list);
	buf_reset(&err);
	return addr_parse_list(text, &list, &err);
}

static const char *
addr(size_t i)
{
	return i < list.n ? list.v[i].addr : NULL;
}

static const char *
display(size_t i)
{
	return i < list.n ? list.v[i].display : NULL;
}

static void
test_appendix_a_1_simple(void)
{
	is_int(parse("John Doe <jdoe@machine.example>"), ST_OK, "A.1.1 parses");
	is_str(addr(0), "jdoe@machine.example", "A.1.1 address");
	is_str(display(0), "John Doe", "A.1.1 display name");
	parse("\"Joe Q. Public\" <john.q.public@example.com>");
	is_str(display(0), "Joe Q. Public", "A.1.2 quoted display name");
	is_str(addr(0), "john.q.public@example.com", "A.1.2 dotted local part");
}

static void
test_appendix_a_1_2_lists(void)
{
	is_int(parse("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
	    ST_OK, "A.1.2 list parses");
	is_int((long)list.n, 3, "A.1.2 three mailboxes");
	is_str(addr(1), "jdoe@example.org", "A.1.2 bare addr-spec");
	is_str(display(2), "Who?", "A.1.2 display with ?");
	is_int(parse("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
	    ST_OK, "A.1.2 escaped quotes parse");
	is_str(display(1), "Giant; \"Big\" Box", "A.1.2 escapes removed");
	is_str(addr(1), "sysservices@example.net", "A.1.2 second address");
}

static void
test_appendix_a_1_3_groups(void)
{
	is_int(parse("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
	    ST_OK, "A.1.3 group parses");
	is_int((long)list.n, 3, "A.1.3 group members kept");
	is_str(addr(0), "c@a.test", "A.1.3 first member");
	is_int(parse("Undisclosed recipients:;"), ST_OK, "empty group parses");
	is_int((long)list.n, 0, "empty group has no mailboxes");
	is_int(parse("undisclosed-recipients:;, x@y.z"), ST_OK, "group then address");
	is_str(addr(0), "x@y.z", "address after a group");
}

static void
test_appendix_a_5_comments(void)
{
	is_int(parse("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
	    ST_OK, "A.5 comments everywhere parse");
	is_str(addr(0), "pete@silly.test", "A.5 comments removed from address");
	is_str(display(0), "Pete", "A.5 display without comment");
	is_int(parse("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	    "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)"),
	    ST_OK, "A.5 folded group with comments parses");
	is_int((long)list.n, 3, "A.5 three members");
	is_str(addr(0), "c@public.example", "A.5 comment inside domain");
}

static void
test_appendix_a_6_obsolete(void)
{
	is_int(parse("Joe Q. Public <john.q.public@example.com>"), ST_OK,
	    "A.6.1 obsolete phrase with a dot parses");
	is_str(display(0), "Joe Q. Public", "A.6.1 phrase kept");
	is_int(parse("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"),
	    ST_OK, "A.6.1 route, empty element, spaced domain parse");
	is_str(addr(0), "mary@example.net", "A.6.1 source route dropped");
	is_str(addr(1), "jdoe@test.example", "A.6.1 spaces around dots dropped");
}

static void
test_local_senders(void)
{
	parse("root (Cron Daemon)");
	is_str(addr(0), "root", "cron: bare local name");
	ok(list.n == 1 && list.v[0].domain == NULL, "cron: no domain");
	is_str(display(0), "Cron Daemon", "cron: comment becomes display name");
	parse("Fail2Ban <fail2ban>");
	is_str(addr(0), "fail2ban", "fail2ban: local name in brackets");
	is_str(display(0), "Fail2Ban", "fail2ban: display name");
	parse("Logwatch");
	is_str(addr(0), "Logwatch", "logwatch: a single word");
	parse("www-data@web1.lan");
	is_str(list.n ? list.v[0].domain : NULL, "web1.lan", "php: domain kept");
}

static void
test_encoded_words_and_utf8(void)
{
	is_int(parse("=?UTF-8?Q?J=C3=BCri_Tamm?= <juri@firma.ee>"), ST_OK,
	    "encoded word display parses");
	is_str(display(0), "=?UTF-8?Q?J=C3=BCri_Tamm?=", "encoded word kept as written");
	is_int(parse("Jüri Õun <jüri@näide.ee>"), ST_OK, "UTF-8 parses");
	is_str(addr(0), "jüri@näide.ee", "UTF-8 address");
	ok(addr_is_8bit(addr(0)), "UTF-8 address needs SMTPUTF8");
}

static void
test_quoted_local_part(void)
{
	parse("\"john doe\"@example.com");
	is_str(addr(0), "\"john doe\"@example.com", "quoted local part stays quoted");
	parse("\"john\".\"doe\"@example.com");
	is_str(addr(0), "john.doe@example.com", "needless quotes dropped");
	parse("Name <a@b>,c@d,\"x, y\" <e@f>");
	is_int((long)list.n, 3, "comma inside quotes is not a separator");
}

/* Found by tests/fuzz: ""@domain went out as "@domain", a source route. */
static void
test_empty_quoted_local_part_stays_quoted(void)
{
	is_int(parse("\"\"@example.com"), ST_OK, "empty quoted local part parses");
	is_str(addr(0), "\"\"@example.com", "empty quoted local part stays quoted");
	parse("Postmaster <>");
	is_str(addr(0), "", "the null address stays empty");
}

/* Found by tests/fuzz: "\<CR>" put a CR into an address or a name. */
static void
test_quoted_pair_never_yields_a_line_end(void)
{
	is_int(parse("\"Evil\\\r\nBcc: x@y.test\" <a@b.test>"), ST_OK,
	    "escaped line end in a display name parses");
	ok(display(0) && strpbrk(display(0), "\r\n") == NULL,
	    "the display name holds no CR or LF");
	parse("\"a\\\rb\"@b.test");
	ok(addr(0) && strpbrk(addr(0), "\r\n") == NULL, "the address holds no CR or LF");
}

static void
test_malformed(void)
{
	is_int(parse("\"unclosed <a@b>"), ST_DATAERR, "unclosed quote refused");
	ok(err.len > 0, "unclosed quote explained");
	is_int(parse("a@b (comment"), ST_DATAERR, "unclosed comment refused");
	is_int(parse("Name <a@b"), ST_DATAERR, "missing > refused");
	is_int(parse("a@"), ST_DATAERR, "missing domain refused");
	is_int(parse("a@b c@d"), ST_DATAERR, "missing comma refused");
	is_int(parse("a\001b@c"), ST_DATAERR, "control character refused");
	/* Found by fuzz_server_cmd: RFC 5322 allows these, SMTP cannot send them. */
	is_int(parse("\"a\tb\"@c.test"), ST_DATAERR, "TAB in a quoted local part refused");
	ok(strstr(buf_str(&err), "cannot be sent over SMTP") != NULL, "TAB refusal explained");
	is_int(parse("\"a\\\001b\"@c.test"), ST_DATAERR, "quoted control character refused");
	is_int(parse("a@[1.2\t.3.4]"), ST_DATAERR, "TAB in a domain literal refused");
	is_int(parse("\"Tab\tName\" <a@c.test>"), ST_OK, "TAB in a display name is fine");
	is_int(parse(""), ST_OK, "empty text is an empty list");
	is_int((long)list.n, 0, "empty text has no mailboxes");
}

static void
test_format(void)
{
	struct buf b = BUF_INIT;

	addr_format(&b, "Cron Daemon", "arved@firma.ee");
	is_str(buf_str(&b), "Cron Daemon <arved@firma.ee>", "plain name unquoted");
	buf_reset(&b);
	addr_format(&b, "Joe Q. Public", "a@b");
	is_str(buf_str(&b), "\"Joe Q. Public\" <a@b>", "name with dot quoted");
	buf_reset(&b);
	addr_format(&b, "Say \"hi\"", "a@b");
	is_str(buf_str(&b), "\"Say \\\"hi\\\"\" <a@b>", "quotes escaped");
	buf_reset(&b);
	addr_format(&b, NULL, "a@b");
	is_str(buf_str(&b), "a@b", "no name: bare address");
	buf_reset(&b);
	addr_encode_phrase(&b, "Jüri");
	is_str(buf_str(&b), "=?UTF-8?B?SsO8cmk=?=", "UTF-8 name RFC 2047 encoded");
	buf_free(&b);
}

int
main(void)
{
	test_appendix_a_1_simple();
	test_appendix_a_1_2_lists();
	test_appendix_a_1_3_groups();
	test_appendix_a_5_comments();
	test_appendix_a_6_obsolete();
	test_local_senders();
	test_encoded_words_and_utf8();
	test_quoted_local_part();
	test_empty_quoted_local_part_stays_quoted();
	test_quoted_pair_never_yields_a_line_end();
	test_malformed();
	test_format();
	addrlist_free(&list);
	buf_free(&err);
	return done_testing();
}
