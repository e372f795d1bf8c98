/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the command line: every option in sendmail(8)'s OPTIONS,
 * glued and separate arguments, clusters, "--", and refusals.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdlib.h>

#include "options.h"
#include "../lib/tap.h"

static struct options o;
static struct buf err;

/* Parses a NULL-terminated argument list (argv[0] is "sendmail"). */
static enum status
parse_as(const char *prog, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)prog;
	va_start(ap, prog);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 63)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	options_free(&o);
	buf_reset(&err);
	return options_parse(&o, argc, argv, prog, &err);
}

#define P(...) parse_as("sendmail", __VA_ARGS__, (const char *)NULL)

static void
test_php_mail_invocation(void)
{
	is_int(P("-t", "-i", "-fwww@firma.ee"), ST_OK, "php: -t -i -fX parses");
	ok(o.req.headers_give_rcpts, "php: -t set");
	ok(!o.dot_ends, "php: -i reads to EOF");
	is_str(o.req.sender, "www@firma.ee", "php: glued -f");
	is_int((long)o.req.rcpts.n, 0, "php: no recipient arguments");
}

static void
test_cron_invocations(void)
{
	is_int(P("-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"), ST_OK, "debian cron parses");
	is_str(o.req.fullname, "CronDaemon", "cron: glued -F");
	is_str(o.req.body_type, "8BITMIME", "cron: glued -B");
	is_str(o.req.rcpts.n ? o.req.rcpts.v[0] : NULL, "root", "cron: recipient");
	is_int(P("-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"), ST_OK,
	    "cronie parses");
	ok(o.delivery_set && o.delivery == DELIVERY_INTERACTIVE, "cronie: -odi");
	is_str(o.req.sender, "root", "cronie: separate -f");
}

static void
test_clusters_and_separators(void)
{
	is_int(P("-ti", "a@b"), ST_OK, "-ti cluster");
	ok(o.req.headers_give_rcpts && !o.dot_ends, "-ti sets both");
	is_int(P("-oem", "-oi", "--", "-weird@x", "b@c"), ST_OK, "mutt style with --");
	is_int((long)o.req.rcpts.n, 2, "everything after -- is a recipient");
	is_str(o.req.rcpts.v[0], "-weird@x", "a recipient starting with -");
	is_int(P("a@b", "-t", "c@d"), ST_OK, "recipients anywhere before --");
	is_int((long)o.req.rcpts.n, 2, "both recipients kept");
}

static void
test_modes(void)
{
	P("-bp");
	is_int(o.mode, MODE_LIST_QUEUE, "-bp lists the queue");
	P("-bs");
	is_int(o.mode, MODE_SMTP, "-bs speaks SMTP");
	P("-bv", "a@b");
	is_int(o.mode, MODE_VERIFY, "-bv verifies");
	P("-bi");
	is_int(o.mode, MODE_NOTHING, "-bi does nothing");
	P("-bm", "a@b");
	is_int(o.mode, MODE_DELIVER, "-bm delivers");
	P("-q");
	is_int(o.mode, MODE_RUN_QUEUE, "-q runs the queue");
	is_int(P("-q", "--due"), ST_OK, "-q --due parses");
	ok(o.due_only, "--due set");
	P("-q15m");
	is_int(o.mode, MODE_NOTHING, "-q15m is ignored");
	P("-qI", "ABC123");
	is_int(o.mode, MODE_RUN_ONE, "-qI ID");
	is_str(o.queue_id, "ABC123", "-qI separate ID");
	P("-qIXYZ");
	is_str(o.queue_id, "XYZ", "-qI glued ID");
	parse_as("mailq", (const char *)NULL);
	is_int(o.mode, MODE_LIST_QUEUE, "invoked as mailq");
	parse_as("newaliases", (const char *)NULL);
	is_int(o.mode, MODE_NOTHING, "invoked as newaliases");
	P("--check");
	ok(o.mode == MODE_CHECK && o.check_address == NULL, "--check alone");
	P("--check", "a@b.c");
	is_str(o.check_address, "a@b.c", "--check ADDR");
	P("--dry-run", "a@b");
	ok(o.dry_run, "--dry-run");
}

static void
test_delivery_modes(void)
{
	P("-odb", "a@b");
	is_int(o.delivery, DELIVERY_BACKGROUND, "-odb");
	P("-odq", "a@b");
	is_int(o.delivery, DELIVERY_QUEUE, "-odq");
	P("-O", "DeliveryMode=b", "a@b");
	is_int(o.delivery, DELIVERY_BACKGROUND, "-O DeliveryMode=b");
	P("-ODeliveryMode=q", "a@b");
	is_int(o.delivery, DELIVERY_QUEUE, "glued -ODeliveryMode=q");
}

static void
test_dsn_and_body(void)
{
	is_int(P("-N", "success,failure", "-R", "hdrs", "-V", "env42", "a@b"), ST_OK,
	    "DSN options parse");
	is_str(o.req.dsn_notify, "success,failure", "-N kept");
	is_str(o.req.dsn_ret, "hdrs", "-R kept");
	is_str(o.req.dsn_envid, "env42", "-V kept");
	is_int(P("-N", "never,success", "a@b"), ST_USAGE, "-N never with others refused");
	is_int(P("-B", "9BIT", "a@b"), ST_USAGE, "-B with an unknown type refused");
}

static void
test_ignored_options(void)
{
	is_int(P("-oem", "-oep", "-oeq", "-ee", "-em", "-om", "-o7", "-o8", "-m", "-n",
	    "-G", "-U", "-h", "5", "-L", "tag", "-O", "x=y", "-oQ/tmp", "a@b"), ST_OK,
	    "habitual options accepted");
	is_int((long)o.req.rcpts.n, 1, "and not taken as recipients");
	is_int(P("-v", "-X", "/tmp/x", "a@b"), ST_OK, "-v and -X");
	ok(o.verbose, "-v set");
	is_str(o.transcript, "/tmp/x", "-X FILE");
	is_int(P("-C", "/etc/x.ini", "a@b"), ST_OK, "-C FILE");
	is_str(o.config_file, "/etc/x.ini", "-C kept");
	is_int(P("-f", "<>", "a@b"), ST_OK, "-f <> parses");
	ok(o.req.sender == NULL, "-f <> means no sender");
}

static void
test_refusals(void)
{
	is_int(P("-bd"), ST_USAGE, "-bd refused");
	is_int(P("-bD"), ST_USAGE, "-bD refused");
	is_int(P("-bt"), ST_USAGE, "-bt refused");
	is_int(P("-bx"), ST_USAGE, "other -b refused");
	is_int(P("-Z"), ST_USAGE, "unknown option refused");
	ok(err.len > 0, "with a message");
	is_int(P("--frobnicate"), ST_USAGE, "unknown long option refused");
	is_int(P("-f"), ST_USAGE, "-f without argument refused");
	is_int(P("-f", "a@b\r\nBcc: x@y", "c@d"), ST_USAGE, "CR LF in -f refused");
	is_int(P("-F", "Name\nX-Injected: 1", "c@d"), ST_USAGE, "LF in -F refused");
	is_int(P("c@d\r\nRCPT TO:<x@y>"), ST_USAGE, "CR LF in a recipient refused");
	is_int(P("--", "c@d\nx"), ST_USAGE, "LF in a recipient after -- refused");
	is_int(P("-qRfoo"), ST_USAGE, "-qR refused");
	is_int(P("--due"), ST_USAGE, "--due without -q refused");
}

int
main(void)
{
	test_php_mail_invocation();
	test_cron_invocations();
	test_clusters_and_separators();
	test_modes();
	test_delivery_modes();
	test_dsn_and_body();
	test_ignored_options();
	test_refusals();
	options_free(&o);
	buf_free(&err);
	return done_testing();
}
