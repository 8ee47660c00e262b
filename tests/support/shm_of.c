/* shm_of.c - counting the shared-memory names a process left behind. */
#include "support/shm_of.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int count_prefix(const char *dir_path, const char *prefix)
{
	DIR *dir = opendir(dir_path);
	struct dirent *ent;
	size_t len = strlen(prefix);
	int n = 0;

	if (!dir)
		return 0;
	while ((ent = readdir(dir)))
		n += !strncmp(ent->d_name, prefix, len);
	closedir(dir);
	return n;
}

int pt_shm_entries_of(int pid)
{
	char prefix[64];
	int n;

	snprintf(prefix, sizeof(prefix), "procthread-%d-", pid);
	n = count_prefix("/dev/shm", prefix);
	snprintf(prefix, sizeof(prefix), "procthread-mq-%d-", pid);
	return n + count_prefix("/dev/mqueue", prefix);
}
