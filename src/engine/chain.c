/* SPDX-License-Identifier: MIT */
/* chain.c - the incremental image policy (chain.h). */
#define MTCP_BUILDING_LIBRARY 1
#include "chain.h"
#include "commit.h"

#include <string.h>

static struct {
	int have;                /* a parent an increment may follow */
	char name[MTCP_MAX_PREV_NAME + 1];
	uint8_t id[MTCP_ID_LEN];
	uint64_t sum, size;
	uint32_t depth;          /* the parent's: 0 full */
	uint64_t chain_bytes;    /* the parent's chain, its images' sizes added */
} parent;

void chain_reset(void)
{
	memset(&parent, 0, sizeof(parent));
}

void chain_broken(void)
{
	parent.have = 0;
}

int chain_decide(int tracking, int full_every, uint64_t resident, struct chain_prev *prev,
		 const char **why)
{
	*why = NULL;
	if (!tracking || !parent.have || full_every <= 1)
		return 0;
	if (parent.depth + 1 >= (uint32_t)full_every) {
		*why = "MTCP_FULL_EVERY reached";
		return 0;
	}
	if (parent.depth + 1 >= MTCP_MAX_CHAIN)
		return 0;
	if (parent.chain_bytes > 2 * resident) {
		*why = "the chain's images hold more than twice the resident memory";
		return 0;
	}
	memset(prev, 0, sizeof(*prev));
	memcpy(prev->rec.image_id, parent.id, MTCP_ID_LEN);
	prev->rec.image_sum = parent.sum;
	prev->rec.file_size = parent.size;
	prev->rec.depth = parent.depth + 1;
	prev->rec.name_len = (uint32_t)strlen(parent.name);
	memcpy(prev->name, parent.name, prev->rec.name_len + 1);
	return 1;
}

void chain_committed(const char *path, const uint8_t id[MTCP_ID_LEN], uint64_t image_sum,
		     uint64_t size, int incremental, int tracked)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (!tracked || !len || len > MTCP_MAX_PREV_NAME) {
		parent.have = 0;
		return;
	}
	parent.depth = incremental ? parent.depth + 1 : 0;
	parent.chain_bytes = incremental ? parent.chain_bytes + size : size;
	memcpy(parent.name, base, len + 1);
	memcpy(parent.id, id, MTCP_ID_LEN);
	parent.sum = image_sum;
	parent.size = size;
	parent.have = 1;
}

void chain_prune(char (*kept)[MTCP_MAX_PATH], uint8_t *full, int *n, int keep)
{
	int fulls = 0, first = 0;

	/* the N-th newest full image: everything before it goes */
	for (int i = *n - 1; i >= 0; i--) {
		if (full[i] && ++fulls == keep) {
			first = i;
			break;
		}
	}
	if (fulls < keep || first == 0)
		return;
	commit_prune(kept, n, *n - first);
	memmove(full, full + first, (size_t)*n);
}
