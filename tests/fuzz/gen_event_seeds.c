// SPDX-License-Identifier: MIT
/*
 * Seeds for fuzz_event_msg, built with libnl in the layout the series'
 * type1 sends (genl header, then device, IOVA, size, owner and cookie
 * attributes): a revocation for the watched container (cookie 1), one for
 * an unknown cookie, one without its IOVA, and an unknown command. Each
 * file is the harness's flags byte (1: vfiox family, port 0) and the
 * message. Usage: gen_event_seeds OUT_DIR
 */
#include <stdbool.h>
#include <stdio.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "../../lib/uapi_ext.h"

static int write_seed(const char *dir, const char *name, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fputc(1, f) != EOF && fwrite(nlh, 1, nlh->nlmsg_len, f) == nlh->nlmsg_len;
	return fclose(f) || !ok ? -1 : 0;
}

static struct nl_msg *event(int cmd, bool with_iova, uint64_t cookie)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg || !genlmsg_put(msg, 0, 0, 0x1d, 0, 0, cmd, VFIOX_GENL_VERSION))
		return NULL;
	nla_put_string(msg, VFIOX_EVENT_ATTR_DEVICE, "0000:00:07.0");
	if (with_iova)
		nla_put_u64(msg, VFIOX_EVENT_ATTR_IOVA, 0x200000);
	nla_put_u64(msg, VFIOX_EVENT_ATTR_SIZE, 0x100000);
	nla_put_u32(msg, VFIOX_EVENT_ATTR_OWNER_UID, 0);
	nla_put_u32(msg, VFIOX_EVENT_ATTR_OWNER_PID, 1234);
	nla_put_u64(msg, VFIOX_EVENT_ATTR_COOKIE, cookie);
	return msg;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int cmd;
		bool with_iova;
		uint64_t cookie;
	} seeds[] = {
		{ "revoked-watched", VFIOX_EVENT_DMA_REVOKED, true, 1 },
		{ "revoked-unknown-cookie", VFIOX_EVENT_DMA_REVOKED, true, 99 },
		{ "revoked-no-iova", VFIOX_EVENT_DMA_REVOKED, false, 1 },
		{ "unknown-command", 7, true, 1 },
	};
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_event_seeds OUT_DIR\n");
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct nl_msg *msg = event(seeds[i].cmd, seeds[i].with_iova, seeds[i].cookie);

		if (!msg || write_seed(argv[1], seeds[i].name, msg)) {
			fprintf(stderr, "gen_event_seeds: %s failed\n", seeds[i].name);
			return 1;
		}
		nlmsg_free(msg);
	}
	return 0;
}
