"""nginx, Apache and uwsgi configurations: the addresses they name, read the servers' way."""

from __future__ import annotations

import pytest

from meslint.facts import FileKind
from meslint.listing import classify, may_hold_facts
from meslint.parsers import apache, nginx, uwsgi
from meslint.parsers.web_address import reaches, socket_address, url_address


@pytest.mark.parametrize(("path", "kind"), [
    ("contrib/nginx.conf", FileKind.NGINX),
    ("deploy/nginx/app.conf", FileKind.NGINX),
    ("etc/nginx/sites-available/app", FileKind.NGINX),
    ("contrib/apache.conf", FileKind.APACHE),
    ("etc/apache2/sites-available/app.conf", FileKind.APACHE),
    ("deploy/httpd-app.conf", FileKind.APACHE),
    ("contrib/uwsgi.ini", FileKind.UWSGI),
    ("deploy/uwsgi/app.ini", FileKind.UWSGI),
    ("pytest.ini", None),
    ("supervisord.conf", FileKind.SUPERVISORD),  # a .conf that names no web server
    ("scripts/nginx-reload", None),  # no extension outside sites-*/: a script, not a config
    ("deploy/nginx.service.d/override.conf", FileKind.UNIT),
])
def test_classify_web_configs(path: str, kind: FileKind | None) -> None:
    assert classify(path) is kind
    if kind is not None:
        assert may_hold_facts(path)


@pytest.mark.parametrize(("url", "address"), [
    ("http://127.0.0.1:8001", "127.0.0.1:8001"),
    ("http://127.0.0.1:8001/", "127.0.0.1:8001"),
    ("https://app.internal/x", "app.internal:443"),
    ("http://LOCALHOST", "localhost:80"),
    ("http://[::1]:8001/", "[::1]:8001"),
    ("http://unix:/run/app.sock:/api", "unix:/run/app.sock"),
    ("unix:/run/app.sock|http://localhost/", "unix:/run/app.sock"),
    ("uwsgi://127.0.0.1:8001/", "127.0.0.1:8001"),
    ("fcgi://127.0.0.1/", None),  # no default port for FastCGI
    ("http://$upstream", None),
    ("http://${BACKEND}:80", None),
])
def test_url_address(url: str, address: str | None) -> None:
    assert url_address(url) == address


def test_socket_address_and_reaching() -> None:
    assert socket_address("/run/app.sock") == "unix:/run/app.sock"
    assert socket_address(":8001") == ":8001"
    assert socket_address("backend") is None
    assert socket_address("backend", "80") == "backend:80"
    assert reaches("127.0.0.1:8001", "0.0.0.0:8001")
    assert reaches("localhost:8001", "127.0.0.1:8001")
    assert not reaches("127.0.0.1:8001", "0.0.0.0:8002")
    assert not reaches("10.0.0.2:8001", "127.0.0.1:8001")
    assert not reaches("unix:/a.sock", "0.0.0.0:8001")


def test_nginx_passes_upstreams_and_scopes() -> None:
    text = (
        'upstream app {\n'
        '    server 127.0.0.1:8001 max_fails=3;\n'
        '}\n'
        'server {\n'
        '    location / {\n'
        '        proxy_pass http://app;  # to the upstream\n'
        '        # proxy_pass http://127.0.0.1:9;\n'
        '    }\n'
        '    location = /rpc { uwsgi_pass "unix:/run/app.sock"; }\n'
        '}\n')
    config = nginx.parse("n.conf", text)
    assert config.problems == ()
    found = [(a.directive, a.address, a.group, a.scope, a.location.line, a.location.column)
             for a in config.addresses]
    assert found == [
        ("server", "127.0.0.1:8001", "app", "", 2, 12),
        ("proxy_pass", "app:80", "app", "/", 6, 20),
        ("uwsgi_pass", "unix:/run/app.sock", None, "= /rpc", 9, 35),
    ]


def test_nginx_bad_braces_are_parse_problems() -> None:
    assert nginx.parse("n.conf", "server {\n").problems[0].message.startswith("unexpected end of file")
    assert nginx.parse("n.conf", "}\n").problems[0].message == 'unexpected "}"'
    big = nginx.parse("n.conf", "#" * (nginx.MAX_CHARS + 1))
    assert big.addresses == () and "not read" in big.problems[0].message


def test_apache_quoting_continuations_and_sections() -> None:
    text = (
        '<VirtualHost *:443>\n'
        '    # ProxyPass / http://127.0.0.1:9/\n'
        '    <Location "/static">\n'
        '        ProxyPass !\n'
        '    </Location>\n'
        '    <Location "/">\n'
        '        ProxyPass "http://127.0.0.1:8001/" \\\n'
        '            retry=0\n'
        '    </Location>\n'
        '    ProxyPassReverse /api http://127.0.0.1:8002/\n'
        '    ProxyPass /lb balancer://pool/\n'
        '</VirtualHost>\n'
        '<Proxy "balancer://pool">\n'
        '    BalancerMember http://127.0.0.1:8003\n'
        '</Proxy>\n')
    config = apache.parse("a.conf", text)
    assert config.problems == ()
    found = [(a.directive, a.address, a.scope, a.group, a.location.line) for a in config.addresses]
    assert found == [
        ("ProxyPass", "127.0.0.1:8001", "/", None, 7),
        ("ProxyPassReverse", "127.0.0.1:8002", "/api", None, 10),
        ("ProxyPass", None, "/lb", "pool", 11),
        ("BalancerMember", "127.0.0.1:8003", "", "pool", 14),
    ]
    assert apache.split_words('Header set "X-\\"Q" \'a b\' c') == ["Header", "set", 'X-"Q', "a b", "c"]


def test_apache_unbalanced_section() -> None:
    assert apache.parse("a.conf", "<VirtualHost *:80>\n").problems[0].message == "section 'virtualhost' not closed"
    assert "unexpected" in apache.parse("a.conf", "</Location>\n").problems[0].message


def test_uwsgi_ini_reads_the_uwsgi_section() -> None:
    text = ("[uwsgi]\n"
            "; comment\n"
            "http-socket = :9000\n"
            "socket = /run/app.sock\n"
            "socket = 127.0.0.1:8001\n"  # uwsgi would bind both; configparser keeps the last
            "https = 0.0.0.0:8443,cert.pem,key.pem\n"
            "chdir = %(here)s\n"
            "[other]\n"
            "http = 127.0.0.1:1\n")
    config = uwsgi.parse("u.ini", text)
    found = [(a.directive, a.address, a.location.line, a.location.column) for a in config.addresses]
    assert found == [("socket", "127.0.0.1:8001", 5, 10), ("http-socket", ":9000", 3, 15),
                     ("https", "0.0.0.0:8443", 6, 9)]
    assert uwsgi.parse("u.ini", "socket = 1\n").problems[0].message.startswith("ini not parsable")
    assert uwsgi.parse("u.ini", "[uwsgi]\nsocket = $(PORT)\n").addresses[0].address is None
