"""Hosts of our own on one machine: a network namespace per host, joined by a bridge.

Each host gets a veth pair: one end (``eth0``) inside its namespace with the host's address, the
other end on the bridge ``fp-br0`` in the root namespace, which has the client's address. Nothing
else joins the hosts: a service bound to its host's address is reachable from the others only
over this network, and cutting a host's ``eth0`` cuts it off as a pulled cable would.
"""

import subprocess

BRIDGE = "fp-br0"
SUBNET = "10.219.19"  # a private /24 unlikely to be used on a build machine
PREFIX = 24
CLIENT_IP = f"{SUBNET}.1"  # the root namespace: the browser/API client and the operator
HOSTS = {"fp-services": f"{SUBNET}.10", "fp-web": f"{SUBNET}.20",
         "fp-worker1": f"{SUBNET}.31", "fp-worker2": f"{SUBNET}.32"}


def ip(*args, ns=None, check=True):
    """Run ``ip ARGS`` (inside namespace ``ns`` when given); returns its stdout."""
    argv = ["ip", *(["netns", "exec", ns, "ip"] if ns else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def veth_name(host):
    """The root-side end of ``host``'s veth pair (interface names have at most 15 characters)."""
    return f"v{host}"[:15]


def namespaces():
    """Our namespaces that exist now."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    return [name for name in listed if name in HOSTS]


def pids_in(host):
    """Every process running inside ``host``'s namespace."""
    out = subprocess.run(["ip", "netns", "pids", host], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def create():
    """The bridge with the client's address, then each host with its address and loopback up."""
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "add", f"{CLIENT_IP}/{PREFIX}", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    for host, address in HOSTS.items():
        subprocess.run(["ip", "netns", "add", host], check=True)
        outer, inner = veth_name(host), f"{veth_name(host)[:13]}-n"
        ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        ip("link", "set", inner, "netns", host)
        ip("link", "set", inner, "name", "eth0", ns=host)
        ip("addr", "add", f"{address}/{PREFIX}", "dev", "eth0", ns=host)
        ip("link", "set", "eth0", "up", ns=host)
        ip("link", "set", "lo", "up", ns=host)
        ip("link", "set", outer, "master", BRIDGE)
        ip("link", "set", outer, "up")


def destroy(kill):
    """Remove what ``create`` made, from this run or an earlier one that died: ``kill(pids)``
    ends the processes still inside a namespace first (a namespace whose processes live on
    keeps its network alive after ``ip netns del``)."""
    for host in namespaces():
        pids = pids_in(host)
        if pids:
            kill(pids)
        subprocess.run(["ip", "netns", "del", host], capture_output=True)
    for host in HOSTS:  # a veth outlives its namespace only while the peer does; be thorough
        subprocess.run(["ip", "link", "del", veth_name(host)], capture_output=True)
    subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)


def cut(host):
    """Pull ``host``'s cable: its interface goes down, its processes keep running."""
    ip("link", "set", "eth0", "down", ns=host)


def mend(host):
    """Plug ``host``'s cable back in."""
    ip("link", "set", "eth0", "up", ns=host)


def host_command(host, argv):
    """``argv`` run as a process of ``host``: inside its namespace, with its own host name (a
    UTS namespace), so logs and RQ's worker registry name the host. The same PID throughout:
    ``ip netns exec``, ``unshare`` and ``sh`` each exec the next."""
    return ["ip", "netns", "exec", host, "unshare", "--uts", "--", "sh", "-c",
            'hostname "$0" && exec "$@"', host, *[str(a) for a in argv]]
