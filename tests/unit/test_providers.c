/* SPDX-License-Identifier: MIT */
/*
 * Unit test: the preset table compiled into saatja is sendmail/providers.ini,
 * entry for entry and field for field, so that the two cannot drift (the
 * table is generated from the ini by sendmail/gen-providers.awk; this
 * reads the ini on its own, with the rules stated at the top of it).
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "providers.h"
#include "../lib/tap.h"

struct entry {
	char name[64];
	char host[128], port[16], tls[16], app_password[8], hint[256];
	char page[128], max[16], verified[8], note[512], domains[256], mx[256];
};

static char *
trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

static void
set(struct entry *e, const char *key, const char *v)
{
	static const struct { const char *key; size_t off, size; } fields[] = {
#define F(k, m) { k, offsetof(struct entry, m), sizeof(((struct entry *)0)->m) }
		F("host", host), F("port", port), F("tls", tls),
		F("app_password", app_password), F("password_hint", hint),
		F("app_password_page", page), F("max_per_hour", max),
		F("verified", verified), F("note", note), F("domains", domains),
		F("mx", mx),
#undef F
	};

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(key, fields[i].key) == 0)
			snprintf((char *)e + fields[i].off, fields[i].size, "%s", v);
}

static const char *
or_null(const char *s)
{
	return *s ? s : NULL;
}

static void
compare(const struct entry *e)
{
	const struct provider *p = provider_by_name(e->name);
	struct buf what = BUF_INIT;
	char *list, *save = NULL;

	buf_printf(&what, "[%s] is in the table", e->name);
	ok(p != NULL, buf_str(&what));
	buf_free(&what);
	if (p == NULL)
		return;
	is_str(p->host, e->host, e->name);
	is_int(p->port, atol(e->port), e->name);
	is_int(p->tls, strcmp(e->tls, "starttls") == 0 ? TLS_STARTTLS :
	    strcmp(e->tls, "tls") == 0 ? TLS_IMPLICIT : TLS_NONE, e->name);
	is_int(p->app_password, strcmp(e->app_password, "yes") == 0, e->name);
	is_str(p->password_hint, or_null(e->hint), e->name);
	is_str(p->app_password_page, or_null(e->page), e->name);
	is_int(p->max_per_hour, atol(e->max), e->name);
	is_int(p->verified, strcmp(e->verified, "yes") == 0, e->name);
	is_str(p->note, or_null(e->note), e->name);
	is_str(p->domains, or_null(e->domains), e->name);
	is_str(p->mx, or_null(e->mx), e->name);
	list = xstrdup(e->domains);
	for (char *d = strtok_r(list, " ", &save); d; d = strtok_r(NULL, " ", &save))
		ok(provider_by_domain(d) == p, d);
	free(list);
}

int
main(void)
{
	const char *srcdir = getenv("SAATJA_SRCDIR");
	struct buf path = BUF_INIT, names = BUF_INIT;
	struct entry e;
	char line[1024];
	int have = 0;
	FILE *f;

	buf_printf(&path, "%s/sendmail/providers.ini", srcdir ? srcdir : ".");
	f = fopen(buf_str(&path), "r");
	ok(f != NULL, buf_str(&path));
	if (f == NULL)
		return done_testing();
	while (fgets(line, sizeof line, f)) {
		char *s = trim(line), *eq;

		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			if (have)
				compare(&e);
			memset(&e, 0, sizeof e);
			snprintf(e.name, sizeof e.name, "%.*s",
			    (int)strcspn(s + 1, "]"), s + 1);
			buf_printf(&names, "%s%s", names.len ? ", " : "", e.name);
			have = 1;
		} else if ((eq = strchr(s, '=')) != NULL) {
			*eq = '\0';
			set(&e, trim(s), trim(eq + 1));
		}
	}
	if (have)
		compare(&e);
	fclose(f);
	/* Nothing in the table that the ini does not have, in its order. */
	is_str(provider_names(), buf_str(&names), "the presets and their order");
	buf_free(&path);
	buf_free(&names);
	return done_testing();
}
