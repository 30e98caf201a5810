"""The listening socket, bound before the record opens, and the address phones on the network use."""

import errno
import socket

from ..errors import CommandError

BACKLOG = 2048  # connections made before uvicorn has started wait here


def raise_open_file_limit() -> None:
    """Every phone holds a socket: a meeting hall needs more than the usual 1024 descriptors."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port`, not yet listening; CommandError if the port cannot be had."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise CommandError(f"port {port} is already in use on {host}; pass another --port") from None
        raise CommandError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None
    # Bound only: until the record is open (which may mean waiting for PostgreSQL), connections are
    # refused, so a balancer moves on to another process instead of queueing phones behind this one.
    return listener


def start_listening(listener: socket.socket) -> None:
    """Take connections from now on; they wait in the backlog until uvicorn serves them."""
    try:
        listener.listen(BACKLOG)
    except OSError as error:
        port = listener.getsockname()[1]
        raise CommandError(f"cannot listen on port {port}: {error.strerror or error}") from None


def reachable_address(host: str) -> str:
    """The address phones on the same network can use to reach this machine."""
    if host not in ("0.0.0.0", "::", ""):
        return host
    return _routed_address() or _named_address() or "127.0.0.1"


def _routed_address() -> str | None:
    # Connecting a UDP socket sends nothing; it only asks the OS which local address it would route
    # from. 192.0.2.1 is a documentation address (TEST-NET-1) that no one answers.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith(("127.", "0.")) else address


def _named_address() -> str | None:
    try:
        candidates = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    addresses = [str(sockaddr[0]) for *_, sockaddr in candidates]
    return next((address for address in addresses if not address.startswith("127.")), None)
