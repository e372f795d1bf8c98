/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the sender rule and the envelope (account.c; SENDER RULE
 * in sendmail(8)), as a table: each row is a command line and a message,
 * and what the plan must say about them (status, account, From,
 * recipients).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "config.h"
#include "message.h"
#include "request.h"
#include "../lib/tap.h"

static const char config_text[] =
    "[saatja]\n"
    "default = arved@firma.test\n"
    "[aliases]\n"
    "root = admin@example.test\n"
    "[arved@firma.test]\n"
    "host = 127.0.0.1\n"
    "password = x\n"
    "cc = koopia@firma.test\n"
    "[muu@firma.test]\n"
    "host = 127.0.0.1\n"
    "password = y\n";

static const struct rule {
	const char *name;
	int t;			/* -t: recipients from the headers */
	const char *rcpt;	/* a recipient argument, or NULL */
	const char *sender;	/* -f, or NULL */
	const char *message;
	enum status st;
	const char *account;	/* the account chosen (ST_OK) */
	const char *from;	/* the From field afterwards, or NULL */
	const char *rcpts;	/* the envelope recipients, space-separated */
} rules[] = {
	{ "the account's own From goes out as it is", 1, NULL, NULL,
	    "From: Arved <arved@firma.test>\nTo: a@example.test\n\nx\n",
	    ST_OK, "arved@firma.test", "From: Arved <arved@firma.test>",
	    "a@example.test koopia@firma.test" },
	{ "From chooses the account, case-blind, and stays as written", 1,
	    NULL, NULL, "From: MUU@Firma.test\nTo: a@example.test\n\nx\n",
	    ST_OK, "muu@firma.test", "From: MUU@Firma.test",
	    "a@example.test" },
	{ "cron's local root is shown as the default account", 1, NULL, NULL,
	    "From: root (Cron Daemon)\nTo: root\n\nx\n",
	    ST_OK, "arved@firma.test", "From: Cron Daemon <arved@firma.test>",
	    "admin@example.test koopia@firma.test" },
	{ "a foreign sender is refused before anything is sent", 1, NULL, NULL,
	    "From: stranger@elsewhere.test\nTo: a@example.test\n\nx\n",
	    ST_NOPERM, NULL, NULL, NULL },
	{ "no From and no -f: the default account, From added", 0,
	    "a@example.test", NULL, "Subject: hi\n\nx\n",
	    ST_OK, "arved@firma.test", NULL,
	    "a@example.test koopia@firma.test" },
	{ "-f naming an account chooses it when there is no From", 0,
	    "a@example.test", "muu@firma.test", "Subject: hi\n\nx\n",
	    ST_OK, "muu@firma.test", NULL, "a@example.test" },
	{ "From wins over -f", 1, NULL, "muu@firma.test",
	    "From: arved@firma.test\nTo: a@example.test\n\nx\n",
	    ST_OK, "arved@firma.test", "From: arved@firma.test",
	    "a@example.test koopia@firma.test" },
	{ "Bcc recipients go into the envelope only", 1, NULL, NULL,
	    "From: muu@firma.test\nTo: a@example.test\nBcc: b@example.test\n\nx\n",
	    ST_OK, "muu@firma.test", "From: muu@firma.test",
	    "a@example.test b@example.test" },
	{ "no recipient at all is a usage error", 1, NULL, NULL,
	    "From: arved@firma.test\nSubject: hi\n\nx\n",
	    ST_USAGE, NULL, NULL, NULL },
	{ "an unreadable address header is a data error", 1, NULL, NULL,
	    "From: arved@firma.test\nTo: <<<\n\nx\n",
	    ST_DATAERR, NULL, NULL, NULL },
};

static char *
joined(const struct strlist *l)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < l->n; i++)
		buf_list_add(&b, " ", "%s", l->v[i]);
	return buf_take(&b);
}

static void
check_rule(const struct config *c, const struct rule *r)
{
	struct request rq;
	struct message m;
	struct plan p;
	struct buf err = BUF_INIT, name = BUF_INIT;
	FILE *in = fmemopen((void *)r->message, strlen(r->message), "r");
	enum status st;
	long from;

	memset(&rq, 0, sizeof rq);
	rq.headers_give_rcpts = r->t;
	rq.sender = r->sender;
	if (r->rcpt)
		strlist_add(&rq.rcpts, r->rcpt);
	message_init(&m);
	st = message_read(&m, in, 0, "/tmp", &err);
	fclose(in);
	if (st == ST_OK)
		st = account_plan(&p, c, &rq, &m, &err);
	else
		memset(&p, 0, sizeof p);
	buf_printf(&name, "%s: status", r->name);
	is_int(st, r->st, buf_str(&name));
	if (st == ST_OK && r->st == ST_OK) {
		char *rcpts = joined(&p.rcpts);

		buf_reset(&name);
		buf_printf(&name, "%s: account", r->name);
		is_str(p.account->address, r->account, buf_str(&name));
		buf_reset(&name);
		buf_printf(&name, "%s: recipients", r->name);
		is_str(rcpts, r->rcpts, buf_str(&name));
		free(rcpts);
		from = message_find(&m, "From", 0);
		buf_reset(&name);
		buf_printf(&name, "%s: From", r->name);
		if (r->from)
			is_str(from >= 0 ? m.hdrs[from].field : NULL, r->from,
			    buf_str(&name));
		else
			ok(from >= 0 && strstr(m.hdrs[from].field, p.account->address),
			    buf_str(&name));
		ok(message_find(&m, "Bcc", 0) < 0, "no Bcc header leaves");
	}
	plan_free(&p);
	message_free(&m);
	strlist_free(&rq.rcpts);
	buf_free(&err);
	buf_free(&name);
}

int
main(void)
{
	char path[] = "/tmp/saatja-test-account-XXXXXX";
	int fd = mkstemp(path);
	struct config c;
	struct buf err = BUF_INIT;

	if (fd < 0 || write(fd, config_text, sizeof config_text - 1) < 0)
		return 1;
	close(fd);
	is_int(config_load(&c, path, &err), ST_OK, "the config loads");
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		check_rule(&c, &rules[i]);
	config_free(&c);
	buf_free(&err);
	unlink(path);
	return done_testing();
}
