/* SPDX-License-Identifier: MIT */
/*
 * queue_sweep - removing what killed processes left in the queue; see
 * queue_sweep in queue.h, and "Debris" at the top of queue.c.
 */
#include "autoconf.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "queue_env.h"
#include "util.h"

/*
 * Removes path when it is certainly stale: a regular file not modified
 * since before that no process holds a lock on (every writer locks what
 * it writes until it is in place). Checked again once locked: a writer
 * that opened the same name meanwhile has changed its time.
 */
static void
remove_stale(const char *path, time_t before)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb, now;

	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime < before &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 &&
	    sb.st_mtime < before && lstat(path, &now) == 0 &&
	    now.st_ino == sb.st_ino && now.st_dev == sb.st_dev)
		unlink(path);
	close(fd);
}

/* Non-zero when message id has an ID.env, queued or failed. */
static int
has_env(const struct queue *q, const char *id)
{
	char *a = queue_path(q->dir, id, ".env"), *b = queue_path(q->failed, id, ".env");
	int found = access(a, F_OK) == 0 || access(b, F_OK) == 0;

	free(a);
	free(b);
	return found;
}

/* The ID of a ID.body or ID.state name (into id), or NULL. */
static const char *
part_id(const char *name, char id[QUEUE_ID_LEN + 1])
{
	const char *ext = name + QUEUE_ID_LEN;

	if (strlen(name) <= QUEUE_ID_LEN || !queue_is_id(name, QUEUE_ID_LEN) ||
	    (strcmp(ext, ".body") != 0 && strcmp(ext, ".state") != 0))
		return NULL;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	return id;
}

/* Every regular file in tmp/ (a write that never finished), and in dir
 * every ID.body and ID.state whose message has no ID.env anywhere (a
 * removal or a queue_add that never finished). */
static void
sweep_dir(const struct queue *q, const char *dir, int all, time_t before)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char id[QUEUE_ID_LEN + 1];

	while (d && (e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.' ||
		    (!all && (part_id(e->d_name, id) == NULL || has_env(q, id))))
			continue;
		path = queue_path(dir, e->d_name, "");
		remove_stale(path, before);
		free(path);
	}
	if (d)
		closedir(d);
}

/*
 * queue_fail moves ID.body, ID.state, then ID.env into failed/; a process
 * killed on the way leaves a queued ID.env whose body is in failed/. The
 * message goes back to the queue whole (it fails again at its next try,
 * and then it gets its notice), under the lock queue_fail held.
 */
static void
unfail_half_moved(struct queue *q, const char *name)
{
	static const char *const exts[] = { ".state", ".body" };
	char id[QUEUE_ID_LEN + 1];
	char *env, *body, *moved;
	struct stat sb;
	int fd;

	if (strlen(name) != QUEUE_ID_LEN + 4 || strcmp(name + QUEUE_ID_LEN, ".env") != 0 ||
	    !queue_is_id(name, QUEUE_ID_LEN))
		return;
	memcpy(id, name, QUEUE_ID_LEN);
	id[QUEUE_ID_LEN] = '\0';
	body = queue_path(q->dir, id, ".body");
	moved = queue_path(q->failed, id, ".body");
	env = queue_path(q->dir, id, ".env");
	fd = access(body, F_OK) != 0 && access(moved, F_OK) == 0 ?
	    open(env, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 &&
	    sb.st_nlink > 0 && access(body, F_OK) != 0) {
		for (size_t i = 0; i < 2; i++) {
			char *from = queue_path(q->failed, id, exts[i]);
			char *to = queue_path(q->dir, id, exts[i]);

			if (access(to, F_OK) != 0)
				(void)rename(from, to);
			free(from);
			free(to);
		}
		fsync_dir(q->dir);
	}
	if (fd >= 0)
		close(fd);
	free(body);
	free(moved);
	free(env);
}

void
queue_sweep(struct queue *q)
{
	time_t before = time(NULL) - QUEUE_STALE_AGE;
	DIR *d = opendir(q->dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL)
		unfail_half_moved(q, e->d_name);
	if (d)
		closedir(d);
	sweep_dir(q, q->tmp, 1, before);
	sweep_dir(q, q->dir, 0, before);
	sweep_dir(q, q->failed, 0, before);
}
