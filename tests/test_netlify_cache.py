"""Deploys that reuse the cache: the local Netlify plugin and the key given as a secret."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from conftest import REPO
from sitegen.cache import SECRET_ENVIRONMENT, signing_key
from sitegen.errors import SiteError

PLUGIN = REPO / "netlify" / "plugins" / "sitegen-cache"


def test_netlify_toml_runs_the_cache_plugin() -> None:
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    assert {"package": "./netlify/plugins/sitegen-cache"} in config["plugins"]
    assert (REPO / config["plugins"][0]["package"]).resolve() == PLUGIN.resolve()


def test_plugin_is_well_formed() -> None:
    manifest = yaml.safe_load((PLUGIN / "manifest.yml").read_text(encoding="utf-8"))
    assert manifest["name"] == "sitegen-cache"
    script = (PLUGIN / "index.js").read_text(encoding="utf-8")
    assert "module.exports" in script
    for hook in ("onPreBuild", "onPostBuild"):
        assert re.search(rf"\basync {hook}\(\{{ utils \}}\)", script), hook
    assert "utils.cache.restore(CACHE)" in script and "utils.cache.save(CACHE)" in script
    assert 'const CACHE = ".sitegen-cache";' in script


def test_secret_gives_the_same_key_on_every_machine(monkeypatch, tmp_path) -> None:
    secret = "a" * 20 + "b" * 20
    monkeypatch.setenv(SECRET_ENVIRONMENT, secret)
    monkeypatch.setenv("SITEGEN_CACHE_KEY", str(tmp_path / "one" / "cache-key"))
    first = signing_key()
    monkeypatch.setenv("SITEGEN_CACHE_KEY", str(tmp_path / "two" / "cache-key"))
    assert signing_key() == first and len(first) == 32
    assert not (tmp_path / "one").exists()  # no key file is written
    monkeypatch.setenv(SECRET_ENVIRONMENT, secret[:-1] + "c")
    assert signing_key() != first
    monkeypatch.delenv(SECRET_ENVIRONMENT)
    assert signing_key() != first  # the key file again


def test_short_secret_is_refused(monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENVIRONMENT, "too-short")
    with pytest.raises(SiteError, match=SECRET_ENVIRONMENT):
        signing_key()
