"""Retries in API clients: loops, self-calls and options, what they retry on, whether they wait as told."""

from __future__ import annotations

from meslint.parsers.vite_config import parse


def _sites(source: str) -> list[dict]:
    return parse("web/api.js", source).data["retries"]


def test_a_loop_that_retries_503_and_reads_retry_after() -> None:
    source = """
    async function get(url) {
      while (true) {
        const r = await fetch(url);
        if (r.status >= 500) { await wait(r.headers.get('retry-after')); continue; }
        return r;
      }
    }
    """
    assert _sites(source) == [{"line": 3, "kind": "loop", "on": ">= 500", "function": "get", "retry_after": True}]


def test_a_loop_without_a_second_round_is_no_retry() -> None:
    source = ("async function all(urls) { for (const u of urls) { const r = await fetch(u); "
              "if (r.status === 503) break; } }")
    assert _sites(source) == []


def test_retries_on_other_statuses_are_not_degraded_retries() -> None:
    source = "const c = make({ retries: 2, retryOn: [429] });\nfunction f(){ return f(); }\n"
    assert _sites(source) == []


def test_nested_functions_are_their_own_scope() -> None:
    source = """
    function outer() {
      const inner = async () => { for (;;) { try { return await go(); } catch (e) { } } };
      return status === 503;
    }
    """
    assert _sites(source) == []  # the loop's own function never mentions 503


def test_deeply_nested_loops_stay_cheap() -> None:
    import time

    depth = 3000
    source = "async function f() {" + "while (x) { await g(); " * depth + "}" * depth + " return 503; }"
    started = time.process_time()
    sites = _sites(source)
    assert time.process_time() - started < 5 and len(sites) <= 200


_SOURCES = [
    "async function get(url) { while (true) { const r = await fetch(url);\n"
    "  if (r.status >=\u3000500) { continue; } return r; } }\n",  # a Unicode space inside the comparison
    "const retry = async (n) => n > 0 ? retry(n - 1) : 503\n",  # the status ends the function's text
    "const o = { retries: 3, retryCondition: (e) => e.code === 'DB_POOL_EXHAUSTED' }\n",
    "function f() { return f(); }\nconst x = 1503;\n",  # 503 only inside a longer number
    "async function g() { for (;;) { try { await h(); } catch (e) { if (e.s>=500) throw e } } }\n",
]


def test_the_file_filter_keeps_every_site_the_walk_finds(monkeypatch) -> None:
    from meslint.parsers import js_retry

    filtered = [_sites(source) for source in _SOURCES]
    monkeypatch.setattr(js_retry, "_MAY_BE_DEGRADED", js_retry.re.compile(""))  # matches every file
    assert [_sites(source) for source in _SOURCES] == filtered
    assert any(filtered)


def test_a_file_that_names_no_degraded_status_is_not_walked() -> None:
    from meslint.parsers.js_retry import retry_sites

    source = b"async function get(u) { while (true) { try { return await fetch(u); } catch (e) { continue; } } }"
    assert retry_sites(None, source) == []  # no tree: nothing of it is read
