/* SPDX-License-Identifier: MIT */
/*
 * ini - the syntax of saatja.ini: the file checked, then read by
 * iniparser into a dictionary (config.c gives the values their meaning).
 *
 * Before iniparser reads the file, one scan of the raw lines catches what
 * iniparser would silently get wrong for a mail program: a key outside
 * any section, a section name holding ':' (read as a key of another
 * section), an unquoted password or password_command holding ';' or
 * '#' (iniparser cuts the value there, as a comment). A file that holds
 * a password must not be readable by every user. No error repeats a line
 * of the file: it may hold a password.
 */
#ifndef SAATJA_INI_H
#define SAATJA_INI_H

#include <iniparser.h>

#include "buf.h"
#include "status.h"

/*
 * Checks and reads the file at path into *d (freed with
 * iniparser_freedict). ST_CONFIG with "PATH: reason" in err: the file is
 * missing, unreadable or not a regular file, readable by others while it
 * holds a password, a raw line would be misread, or iniparser refuses
 * its syntax.
 */
enum status ini_load(const char *path, dictionary **d, struct buf *err);

#endif
