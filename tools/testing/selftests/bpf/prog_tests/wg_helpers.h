/* SPDX-License-Identifier: GPL-2.0 */
/* What the WireGuard kfunc tests (wg_*.c) share: keys, addresses and
 * WireGuard devices configured with ip and wg.
 */
#ifndef __WG_HELPERS_H
#define __WG_HELPERS_H

#include <net/if.h>

#include "test_progs.h"
#include "network_helpers.h"

#define KEY_A "CNKSAUsxnDzcu3t+7krFXAlXeyu0qMqxcv4b42sPsG8="
#define PUB_A "O9VcZa7RgGEDRCnQU2RLdfPt0ukaqkN0dd8nPWF/3Bw="
#define KEY_B "0EEaw47+rNlauQg49Op1PAZNft+HxFqSdiCWrT+wWlk="
#define PUB_B "1RduGpaeMzBjzyE3rHZW2okZx6+au3KKK6tFKJNQIiE="
#define PUB_C "wrIrylxCq2XiTU7rGMXZqT+shQDrZyC6eZtgcRzx+ns="
#define PUB_D "QOft16BsYViTnjrhiS8L9k0hwPSR3nyMTCEqHPjar2o="

#define OVER_A "10.100.0.1"
#define OVER_A6 "fd00:100::1"
#define OVER_MISS "10.100.0.99"
#define KEY_DIR "/tmp/wg_test_keys"

static inline int setup_wg(const char *ns, const char *name,
			   const char *link_args, const char *key, int port,
			   const char *addr4, const char *addr6)
{
	SYS(fail, "echo %s > " KEY_DIR "/%s", key, name);
	SYS(fail, "ip -net %s link add %s %s type wireguard", ns, name,
	    link_args);
	SYS(fail, "ip netns exec %s wg set %s private-key " KEY_DIR
	    "/%s listen-port %d",
	    ns, name, name, port);
	SYS(fail, "ip -net %s addr add %s/24 dev %s", ns, addr4, name);
	SYS(fail, "ip -net %s addr add %s/64 dev %s nodad", ns, addr6, name);
	SYS(fail, "ip -net %s link set %s up", ns, name);
	return 0;
fail:
	return -1;
}

static inline int ns_ifindex(const char *ns, const char *name)
{
	struct nstoken *nstoken;
	int ifindex;

	nstoken = open_netns(ns);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return -1;
	ifindex = if_nametoindex(name);
	close_netns(nstoken);
	return ifindex;
}

#endif /* __WG_HELPERS_H */
