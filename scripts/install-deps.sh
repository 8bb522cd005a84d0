#!/usr/bin/env bash
# Installs the OS packages bramble and its tests use (Debian/Ubuntu).
# Safe to re-run: installs only what is missing. Needs root (or sudo).
#   ca-certificates, openssl         the server's PKI tests
#   containerd, runc                 the node agent's container runtime (CRI)
#   containernetworking-plugins      CNI plugins (/usr/lib/cni on Debian)
#   busybox-static                   offline test images (scripts/build-test-images.ts)
#   iptables, iproute2               pod networking and service proxy
#   nftables                         the Service proxy's rules (nft -f)
#   conntrack                        deleting stale UDP flows when a Service's endpoints change
#   iputils-arping                   gratuitous ARP when a node takes over a LoadBalancer pool address
#   util-linux (nsenter), tmux       end-to-end tests: boards in network namespaces, kubectl exec -it in a terminal
#   nginx                            bench/ingress.ts: nginx as a reverse proxy, to compare the built-in ingress with
#   etcd-server, etcd-client         the etcd storage backend for HA servers (src/storage/etcd) and its tests; etcdctl for debugging
#                                    (the package's postinst may start a distro etcd on 2379; bramble runs its own with its own ports)
set -euo pipefail
pkgs=(ca-certificates openssl containerd runc containernetworking-plugins busybox-static iptables iproute2 util-linux tmux nftables conntrack iputils-arping nginx wrk etcd-server etcd-client)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  # Several engineers share a machine: wait for another apt/dpkg run rather than fail.
  apt_opts=(-o DPkg::Lock::Timeout=300)
  $SUDO apt-get "${apt_opts[@]}" update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}"
fi
command -v kubectl >/dev/null || echo "note: kubectl not found on PATH; the end-to-end tests need it (/usr/bin/kubectl)"
