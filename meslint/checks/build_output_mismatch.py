"""Vite writes the frontend build somewhere other than the directory Flask serves built assets from.

## What it does
Reads the frontend's Vite config (`vite.config.{ts,js,mjs,...}` in the pack's `frontend.dir`,
parsed with tree-sitter, never run): `build.outDir` resolved through top-level constants,
string literals, `path.resolve(__dirname, ...)`/`join(...)` and the config's `root` (Vite's
default `dist` when it gives none), and `base`, the URL the built pages load assets from.  Reads
the Flask app (`Flask(...)` in `frontend.app_modules`): its static folder (default `static`,
relative to the module's directory) and static URL path (default `/static`).  When `base` lies
under the static URL path, the build must be written to the static folder plus the rest of
`base` (`/static/dist/` -> `<static folder>/dist`); one finding on `outDir` when it is not.

Values meslint cannot evaluate (an environment variable, a computed static folder) are not
reported, nor a `base` outside the static URL path (then the app serves assets some other way).

## Why it matters
Gate 1 of the cutover runbook: `npm --prefix frontend run build` must put its artifacts where
Flask serves them.  A build written elsewhere succeeds, and every page then loads stale or
missing bundles from the static folder.

## Example
```ts
const OUT = resolve(__dirname, '../src/app/static/build');
export default defineConfig({ base: '/static/dist/', build: { outDir: OUT } });
```
```python
app = Flask(__name__)          # in src/app/__init__.py: serves src/app/static at /static
```
Pages ask for `/static/dist/x.js`, served from `src/app/static/dist`; Vite writes `src/app/static/build`.

## How to fix
Point `build.outDir` at the served directory (or change `base` and the app together); the related
sites show the Flask app and the `base` line.

## Options
`frontend.dir` and `frontend.app_modules` in the contract pack.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location
from meslint.findings import Finding, Related
from meslint.frontend_facts import vite_config
from meslint.globs import matches_any

RULE = Rule("MES111", "build-output-mismatch", Gate.FRONTEND_BUILD, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.frontend
    if spec is None:
        return
    vite = vite_config(ctx.repo, spec)
    if vite is None or not isinstance(vite.data, dict):
        return
    out_dir, base = vite.data.get("outDir"), vite.data.get("base")
    if not isinstance(out_dir, str) or not isinstance(base, str):
        return
    for module in ctx.repo.python:
        if not matches_any(module.path, spec.app_modules):
            continue
        for app in module.flask_apps:
            if app.static_folder is None or app.static_url_path is None:
                continue
            folder = posixpath.normpath(posixpath.join(posixpath.dirname(module.path), app.static_folder))
            url = (app.static_url_path or "/" + posixpath.basename(app.static_folder.rstrip("/"))).rstrip("/")
            if not (base.rstrip("/") + "/").startswith(url + "/"):
                continue
            rest = base[len(url):].strip("/")
            served = posixpath.normpath(posixpath.join(folder, rest)) if rest else folder
            if served == out_dir:
                continue
            where = Location(vite.path, vite.line_of("outDir"), 1)
            related = [Related(app.location, f"the Flask app serves {url}/ from {folder}")]
            if "base" in dict(vite.key_lines):
                related.append(Related(Location(vite.path, vite.line_of("base"), 1), f"base {base!r}"))
            yield RULE.finding(
                f"the frontend build is written to {out_dir} (build.outDir), but pages load it from {base} which "
                f"the Flask app serves from {served}", where, related, subject=f"{vite.path}:outDir")
