# SPDX-License-Identifier: MIT
# gen-providers.awk - writes the C preset table (sendmail/providers-data.h)
# from sendmail/providers.ini, so that the presets have one source of truth.
#
# Usage: awk -f gen-providers.awk sendmail/providers.ini > providers-data.h
#
# The ini is read with the rules stated at the top of providers.ini:
# [section] starts a preset, "key = value" runs to the end of the line,
# lines starting with ; or # are comments. Every key must be given once
# per preset and nothing else is accepted, so a typo stops the build
# instead of shipping a preset with a hole. Plain POSIX awk.

function fail(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	failed = 1
	exit 1
}

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t\r]+$/, "", s)
	return s
}

function cstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

# A user-visible string: marked for xgettext, translated where it is used.
function nstr(s, what, preset) {
	if (s == "")
		return " NULL"
	return "\n\t  /* TRANSLATORS: " what " (" preset " preset) */\n\t  N_(" cstr(s) ")"
}

function yesno(key, v) {
	if (v == "yes")
		return 1
	if (v == "no")
		return 0
	fail(key " must be yes or no, not \"" v "\"")
}

function finish_section(    k) {
	if (n == 0)
		return
	for (k in known)
		if (!((n, k) in val))
			fail("[" name[n] "] lacks " k " =")
}

BEGIN {
	split("host port tls app_password password_hint app_password_page " \
	    "max_per_hour verified note domains mx", keys, " ")
	for (i in keys)
		known[keys[i]] = 1
	n = 0
}

/^[ \t]*([;#].*)?$/ { next }

/^[ \t]*\[/ {
	finish_section()
	s = trim($0)
	if (s !~ /^\[[^][]+\]$/)
		fail("a section line is [name]")
	s = substr(s, 2, length(s) - 2)
	for (i = 1; i <= n; i++)
		if (name[i] == s)
			fail("[" s "] is given twice")
	name[++n] = s
	next
}

{
	eq = index($0, "=")
	if (eq == 0)
		fail("expected key = value")
	if (n == 0)
		fail("a key outside any [preset]")
	k = trim(substr($0, 1, eq - 1))
	v = trim(substr($0, eq + 1))
	if (!(k in known))
		fail("unknown key \"" k "\"")
	if ((n, k) in val)
		fail("[" name[n] "] gives " k " twice")
	val[n, k] = v
}

END {
	if (failed)
		exit 1
	finish_section()
	if (n == 0)
		fail("no presets")
	print "/* Generated from sendmail/providers.ini by sendmail/gen-providers.awk;"
	print " * edit those, not this file. */"
	print ""
	print "static const struct provider presets[] = {"
	names = ""
	for (i = 1; i <= n; i++) {
		port = val[i, "port"]
		if (port !~ /^[0-9]+$/ || port + 0 < 1 || port + 0 > 65535)
			fail("[" name[i] "] port must be 1 to 65535")
		tls = val[i, "tls"]
		if (tls == "starttls")
			tls = "TLS_STARTTLS"
		else if (tls == "tls")
			tls = "TLS_IMPLICIT"
		else if (tls == "none")
			tls = "TLS_NONE"
		else
			fail("[" name[i] "] tls must be starttls, tls or none")
		limit = val[i, "max_per_hour"]
		if (limit !~ /^[0-9]+$/)
			fail("[" name[i] "] max_per_hour must be a whole number")
		if (val[i, "host"] == "" || val[i, "password_hint"] == "")
			fail("[" name[i] "] needs a host and a password_hint")
		printf "\t{ .name = %s, .host = %s, .port = %d, .tls = %s,\n", \
		    cstr(name[i]), cstr(val[i, "host"]), port + 0, tls
		printf "\t  .app_password = %d,\n", yesno("app_password", val[i, "app_password"])
		printf "\t  .password_hint =%s,\n", nstr(val[i, "password_hint"], \
		    "which password to use", name[i])
		page = val[i, "app_password_page"]
		printf "\t  .app_password_page = %s,\n", page == "" ? "NULL" : cstr(page)
		printf "\t  .max_per_hour = %d, .verified = %d,\n", limit + 0, \
		    yesno("verified", val[i, "verified"])
		printf "\t  .note =%s,\n", nstr(val[i, "note"], "--check note", name[i])
		d = val[i, "domains"]
		printf "\t  .domains = %s,\n", d == "" ? "NULL" : cstr(d)
		m = val[i, "mx"]
		printf "\t  .mx = %s },\n", m == "" ? "NULL" : cstr(m)
		names = names (i > 1 ? ", " : "") name[i]
	}
	print "};"
	print ""
	print "/* The names, for error messages. */"
	print "#define PROVIDER_NAMES " cstr(names)
}
