"""Addresses in web server configurations, in the spelling gunicorn's ``bind`` uses.

A reverse proxy names its upstream as a URL (``http://127.0.0.1:8001/``, nginx's
``http://unix:/run/app.sock:/``, Apache's ``unix:/run/app.sock|http://localhost/``) or as a bare
socket (``uwsgi_pass 127.0.0.1:8001``); a uwsgi ini names what it listens on (``:8001``,
``/run/app.sock``).  Each becomes ``host:port`` or ``unix:/path`` so that it compares with a
gunicorn bind as written there.  A value holding a variable is not static: ``None``.
"""

from __future__ import annotations

import re

# The uwsgi options that make it listen, as a pack's `uwsgi:` site names them.
UWSGI_LISTEN_OPTIONS = ("socket", "uwsgi-socket", "http-socket", "http", "https", "fastcgi-socket", "scgi-socket")

# The port a URL without one reaches (the schemes proxies speak to an application server).
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "h2c": "80", "h2": "443"}
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)\Z", re.S)


def url_address(url: str) -> str | None:
    """The address a proxy URL reaches, or None (a variable, an unknown shape, no port for its scheme)."""
    if "$" in url or "%{" in url:
        return None
    if url.startswith("unix:") and "|" in url:  # Apache mod_proxy: unix:/path|http://host/uri
        return "unix:" + url[5:].split("|", 1)[0]
    match = _URL.match(url)
    if match is None:
        return None
    scheme, rest = match["scheme"].lower(), match["rest"]
    if rest.startswith("unix:"):  # nginx: http://unix:/path/to.sock:/uri
        path = rest[5:].split(":", 1)[0]
        return "unix:" + path if path else None
    authority = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return socket_address(authority, _DEFAULT_PORTS.get(scheme))


def socket_address(text: str, default_port: str | None = None) -> str | None:
    """``host:port`` or ``unix:/path`` of a socket as a server or ``*_pass`` names it.

    ``/path`` is a unix socket (uwsgi's spelling); ``:port`` binds every interface; a host
    without a port takes ``default_port`` (None: not an address this can compare).
    """
    text = text.strip()
    if not text or "$" in text or "%(" in text:
        return None
    if text.startswith("unix:"):
        return text if len(text) > 5 else None
    if text.startswith("/"):
        return "unix:" + text
    if text.startswith("["):  # [::1]:8001
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else default_port
        return f"[{host.lower()}]:{port}" if port and port.isdigit() else None
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, default_port or ""
    if not port.isdigit() or ":" in host:
        return None
    return f"{host.lower()}:{port}"


_WILDCARD_HOSTS = {"", "0.0.0.0", "[::]", "*"}


def reaches(target: str, bind: str) -> bool:
    """Whether a client connecting to ``target`` reaches a server bound to ``bind`` on the same host:
    the same address, or the same port when the server listens on every interface, or ``localhost``
    for a loopback address (a client tries each address the name resolves to)."""
    if target == bind:
        return True
    if target.startswith("unix:") or bind.startswith("unix:"):
        return False
    target_host, _, target_port = target.rpartition(":")
    bind_host, _, bind_port = bind.rpartition(":")
    if target_port != bind_port:
        return False
    if bind_host in _WILDCARD_HOSTS:
        return True
    return target_host == "localhost" and bind_host in {"127.0.0.1", "[::1]"}
