"""The HubSpot app as code (integrations/hubspot/app/), checked against what HubSpot's
project format asks for, so that a typo fails here and not at `hs project upload` (or,
worse, uploads an app that never calls the service). The field names and their places are
those of HubSpot's own templates and reference (sources in integrations/hubspot/app/README.md);
unknown keys are refused because HubSpot's loader may ignore a misspelt optional one.

Every check lives in `problems`, and `test_each_check_catches_its_mistake` feeds it a
broken copy of the files per check, so that a check that could never fail is caught too.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from integrations.hubspot.client import SCOPES, WRITE_BACK_SCOPES

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "integrations" / "hubspot" / "app"

# The scopes, named here as well as in the client: a change to either is a decision about
# what the service may read in the portal, which a reviewer should see twice.
NEEDED_SCOPES = {"crm.objects.deals.read", "crm.objects.companies.read"}
# The host the committed webhooks file carries until an operator sets theirs
# (docs/how-to/hubspot-app.md).
PLACEHOLDER_HOST = "your-host.example"
WEBHOOK_PATH = "/webhooks/hubspot"  # integrations/hubspot/webhook.py
OLDEST_PLATFORM = (2025, 2)  # the first project platform with *-hsmeta.json files
# HubSpot's templates use 10; it documents no range. The service answers in well under a
# second, and HubSpot delivers to an account at most 10 at a time (../shared/HUBSPOT.md).
CONCURRENCY = range(1, 11)
# HubSpot asks only that uids be unique in the project; its templates use lower-case words
# joined by "_". Holding ours to that keeps them safe in any place HubSpot puts them.
UID = re.compile(r"[a-z][a-z0-9_]{0,63}")

PROJECT_KEYS = {"name", "srcDir", "platformVersion"}
COMPONENT_KEYS = {"uid", "type", "config"}
APP_CONFIG_KEYS = {
    "description",
    "name",
    "logo",
    "distribution",
    "auth",
    "permittedUrls",
    "support",
}
AUTH_KEYS = {
    "type",
    "redirectUrls",
    "requiredScopes",
    "optionalScopes",
    "conditionallyRequiredScopes",
}
PERMITTED_URL_KEYS = {"fetch", "iframe", "img"}
WEBHOOKS_CONFIG_KEYS = {"settings", "subscriptions"}
SETTINGS_KEYS = {"targetUrl", "maxConcurrentRequests"}
SUBSCRIPTION_LISTS = {"crmObjects", "legacyCrmObjects", "hubEvents"}
SUBSCRIPTION_KEYS = {"subscriptionType", "objectType", "propertyName", "active"}

Files = dict[str, Any]


def load(app_dir: Path) -> Files:
    """Every JSON file of the app by its path relative to `app_dir`; a file that is not
    JSON fails the test naming it."""
    files: Files = {}
    for path in sorted(app_dir.rglob("*.json")):
        name = path.relative_to(app_dir).as_posix()
        try:
            files[name] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            pytest.fail(f"{name} is not valid JSON: {error}")
    return files


def problems(files: Files, app_dir: Path = APP_DIR) -> list[str]:
    """What is wrong with the project files, one message each; empty when nothing is."""
    found: list[str] = []
    project = files.get("hsproject.json")
    if not isinstance(project, dict):
        return ["hsproject.json: missing, or not a JSON object"]
    found += _unknown("hsproject.json", project, PROJECT_KEYS)
    if not isinstance(project.get("name"), str) or not project["name"].strip():
        found.append("hsproject.json: name must be a non-empty string")
    src_dir = project.get("srcDir")
    if not isinstance(src_dir, str) or not (app_dir / src_dir).is_dir():
        found.append(f"hsproject.json: srcDir {src_dir!r} is not a directory of the project")
        src_dir = "src"
    version = re.fullmatch(r"(\d{4})\.(\d+)", str(project.get("platformVersion")))
    if version is None or (int(version[1]), int(version[2])) < OLDEST_PLATFORM:
        found.append(
            f"hsproject.json: platformVersion must be a released version from 2025.2 on, "
            f"not {project.get('platformVersion')!r}"
        )

    components = {n: f for n, f in files.items() if n != "hsproject.json"}
    for name, component in components.items():
        if not name.startswith(f"{src_dir}/") or not name.endswith("-hsmeta.json"):
            found.append(f"{name}: a component must be a *-hsmeta.json file under {src_dir}/")
        if not isinstance(component, dict):
            found.append(f"{name}: not a JSON object")
            continue
        found += _unknown(name, component, COMPONENT_KEYS)
        if not isinstance(component.get("uid"), str) or not UID.fullmatch(component["uid"]):
            found.append(f"{name}: uid must match {UID.pattern}, not {component.get('uid')!r}")
        if not isinstance(component.get("config"), dict):
            found.append(f"{name}: config must be an object")
    uids = [c.get("uid") for c in components.values() if isinstance(c, dict)]
    if len(uids) != len(set(map(str, uids))):
        found.append(f"uids must be unique in the project: {uids}")

    found += _app_problems(src_dir, _of_type(components, "app", found))
    found += _webhooks_problems(src_dir, _of_type(components, "webhooks", found))
    return found


def _of_type(components: Files, kind: str, found: list[str]) -> tuple[str, dict] | None:
    """The one component of a kind (the project needs exactly one app and one webhooks)."""
    matching = [
        (name, c)
        for name, c in components.items()
        if isinstance(c, dict) and c.get("type") == kind and isinstance(c.get("config"), dict)
    ]
    if len(matching) != 1:
        found.append(f"the project needs exactly one component of type {kind!r}, not {matching}")
        return None
    return matching[0]


def _app_problems(src_dir: str, app: tuple[str, dict] | None) -> list[str]:
    if app is None:
        return []
    name, component = app
    config = component["config"]
    found = _unknown(f"{name} config", config, APP_CONFIG_KEYS)
    if name != f"{src_dir}/app/{Path(name).name}":
        found.append(f"{name}: the app's file must be in {src_dir}/app/")
    for field in ("name", "description"):
        if not isinstance(config.get(field), str) or not config[field].strip():
            found.append(f"{name}: config.{field} must be a non-empty string")
    if config.get("distribution") != "private":
        found.append(f"{name}: config.distribution must be 'private' (one portal, no listing)")
    auth = config.get("auth")
    if not isinstance(auth, dict):
        return [*found, f"{name}: config.auth must be an object"]
    found += _unknown(f"{name} config.auth", auth, AUTH_KEYS)
    if auth.get("type") != "static":
        found.append(f"{name}: config.auth.type must be 'static' (one access token, no OAuth)")
    required = auth.get("requiredScopes")
    allowed = ({*SCOPES}, {*SCOPES, *WRITE_BACK_SCOPES})
    if not isinstance(required, list) or len(set(required)) != len(required):
        found.append(f"{name}: config.auth.requiredScopes must be a list without repeats")
    elif set(required) not in allowed:
        found.append(
            f"{name}: config.auth.requiredScopes must be exactly {sorted(SCOPES)} (plus "
            f"{list(WRITE_BACK_SCOPES)} for the write-back), not {required}"
        )
    for field in ("optionalScopes", "conditionallyRequiredScopes"):
        if auth.get(field, []) != []:
            found.append(f"{name}: config.auth.{field} must be empty: static auth has none")
    permitted = config.get("permittedUrls", {})
    if not isinstance(permitted, dict):
        found.append(f"{name}: config.permittedUrls must be an object")
    else:
        found += _unknown(f"{name} config.permittedUrls", permitted, PERMITTED_URL_KEYS)
    return found


def _webhooks_problems(src_dir: str, webhooks: tuple[str, dict] | None) -> list[str]:
    if webhooks is None:
        return []
    name, component = webhooks
    config = component["config"]
    found = _unknown(f"{name} config", config, WEBHOOKS_CONFIG_KEYS)
    if name != f"{src_dir}/app/webhooks/{Path(name).name}":
        found.append(f"{name}: the webhooks file must be in {src_dir}/app/webhooks/")
    settings = config.get("settings")
    if not isinstance(settings, dict):
        return [*found, f"{name}: config.settings must be an object"]
    found += _unknown(f"{name} config.settings", settings, SETTINGS_KEYS)
    target = urlparse(str(settings.get("targetUrl")))
    if target.scheme != "https" or not target.hostname or target.query or target.fragment:
        found.append(
            f"{name}: targetUrl must be an https:// URL, not {settings.get('targetUrl')!r}"
        )
    if target.path != WEBHOOK_PATH:
        found.append(f"{name}: targetUrl must end in the service's {WEBHOOK_PATH}")
    concurrency = settings.get("maxConcurrentRequests")
    if type(concurrency) is not int or concurrency not in CONCURRENCY:
        found.append(
            f"{name}: maxConcurrentRequests must be a whole number from {CONCURRENCY.start} to "
            f"{CONCURRENCY.stop - 1}, not {concurrency!r}"
        )

    subscriptions = config.get("subscriptions")
    if not isinstance(subscriptions, dict):
        return [*found, f"{name}: config.subscriptions must be an object"]
    found += _unknown(f"{name} config.subscriptions", subscriptions, SUBSCRIPTION_LISTS)
    listed = [s for group in subscriptions.values() if isinstance(group, list) for s in group]
    for subscription in listed:
        if not isinstance(subscription, dict):
            found.append(f"{name}: a subscription must be an object, not {subscription!r}")
            continue
        found += _unknown(f"{name} subscription", subscription, SUBSCRIPTION_KEYS)
        if not isinstance(subscription.get("active"), bool):
            found.append(f"{name}: a subscription's active must be true or false")
    if not any(
        isinstance(s, dict)
        and s.get("subscriptionType") == "deal.propertyChange"
        and s.get("propertyName") == "dealstage"
        and s.get("active") is True
        for s in subscriptions.get("legacyCrmObjects") or []
    ):
        found.append(
            f"{name}: legacyCrmObjects needs an active deal.propertyChange on dealstage, "
            "the event the service acts on"
        )
    return found


def _unknown(where: str, found: dict, known: set[str]) -> list[str]:
    extra = sorted(set(found) - known)
    return [f"{where}: unknown keys {extra} (a typo?); known are {sorted(known)}"] if extra else []


def test_the_app_files_have_no_problems():
    files = load(APP_DIR)
    assert {"hsproject.json"} < set(files)
    assert problems(files) == []


def test_the_app_asks_for_exactly_the_scopes_the_client_needs():
    assert set(SCOPES) == NEEDED_SCOPES
    app = load(APP_DIR)["src/app/app-hsmeta.json"]
    assert set(app["config"]["auth"]["requiredScopes"]) == NEEDED_SCOPES


def test_the_placeholder_host_is_the_one_the_readme_tells_you_to_replace():
    webhooks = load(APP_DIR)["src/app/webhooks/webhooks-hsmeta.json"]
    host = urlparse(webhooks["config"]["settings"]["targetUrl"]).hostname
    if host == PLACEHOLDER_HOST:
        assert PLACEHOLDER_HOST in (ROOT / "docs/how-to/hubspot-app.md").read_text(encoding="utf-8")
        assert PLACEHOLDER_HOST in (APP_DIR / "README.md").read_text(encoding="utf-8")


def _set(path: str, value: Any) -> Callable[[Files], None]:
    """A mutation putting `value` at `path` ("file:key.key.0.key"); None deletes it."""
    file, _, keys = path.partition(":")

    def mutate(files: Files) -> None:
        node = files[file]
        *parents, last = [int(k) if k.isdigit() else k for k in keys.split(".")]
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value

    return mutate


APP = "src/app/app-hsmeta.json"
HOOKS = "src/app/webhooks/webhooks-hsmeta.json"
DEALSTAGE = f"{HOOKS}:config.subscriptions.legacyCrmObjects.0"

MISTAKES: dict[str, tuple[Callable[[Files], Any], str]] = {
    "project name missing": (_set("hsproject.json:name", None), "name must be"),
    "srcDir elsewhere": (_set("hsproject.json:srcDir", "source"), "srcDir"),
    "platform too old": (_set("hsproject.json:platformVersion", "2025.1"), "platformVersion"),
    "platform a beta": (
        _set("hsproject.json:platformVersion", "2026.09-beta"),
        "platformVersion",
    ),
    "project key misspelt": (_set("hsproject.json:platformVerison", "2026.03"), "unknown keys"),
    "app uid missing": (_set(f"{APP}:uid", None), "uid must match"),
    "app uid malformed": (_set(f"{APP}:uid", "Community Enablement"), "uid must match"),
    "uids repeated": (_set(f"{HOOKS}:uid", "community_enablement_service"), "unique"),
    "app type misspelt": (_set(f"{APP}:type", "App"), "type 'app'"),
    "app name empty": (_set(f"{APP}:config.name", " "), "config.name"),
    "distribution public": (_set(f"{APP}:config.distribution", "marketplace"), "distribution"),
    "auth oauth": (_set(f"{APP}:config.auth.type", "oauth"), "auth.type"),
    "scope missing": (
        _set(f"{APP}:config.auth.requiredScopes", ["crm.objects.deals.read"]),
        "requiredScopes must be exactly",
    ),
    "scope extra": (
        _set(f"{APP}:config.auth.requiredScopes", [*NEEDED_SCOPES, "crm.objects.contacts.read"]),
        "requiredScopes must be exactly",
    ),
    "scope repeated": (
        _set(f"{APP}:config.auth.requiredScopes", [*NEEDED_SCOPES, "crm.objects.deals.read"]),
        "without repeats",
    ),
    "optional scope": (
        _set(f"{APP}:config.auth.optionalScopes", ["crm.objects.deals.write"]),
        "optionalScopes must be empty",
    ),
    "auth key misspelt": (_set(f"{APP}:config.auth.requiredScope", []), "unknown keys"),
    "app config key misspelt": (_set(f"{APP}:config.distrbution", "private"), "unknown keys"),
    "webhooks type misspelt": (_set(f"{HOOKS}:type", "webhook"), "type 'webhooks'"),
    "target http": (
        _set(f"{HOOKS}:config.settings.targetUrl", "http://ces.example/webhooks/hubspot"),
        "https:// URL",
    ),
    "target wrong path": (
        _set(f"{HOOKS}:config.settings.targetUrl", "https://ces.example/hubspot"),
        WEBHOOK_PATH,
    ),
    "target not a URL": (_set(f"{HOOKS}:config.settings.targetUrl", "YOUR-HOST"), "https:// URL"),
    "concurrency a string": (
        _set(f"{HOOKS}:config.settings.maxConcurrentRequests", "10"),
        "maxConcurrentRequests",
    ),
    "concurrency a boolean": (
        _set(f"{HOOKS}:config.settings.maxConcurrentRequests", True),
        "maxConcurrentRequests",
    ),
    "concurrency too high": (
        _set(f"{HOOKS}:config.settings.maxConcurrentRequests", 100),
        "maxConcurrentRequests",
    ),
    "concurrency zero": (
        _set(f"{HOOKS}:config.settings.maxConcurrentRequests", 0),
        "maxConcurrentRequests",
    ),
    "settings key misspelt": (
        _set(f"{HOOKS}:config.settings.maxConcurrentRequest", 10),
        "unknown keys",
    ),
    "subscriptions list misspelt": (
        _set(f"{HOOKS}:config.subscriptions.legacyCRMObjects", []),
        "unknown keys",
    ),
    "dealstage inactive": (_set(f"{DEALSTAGE}.active", False), "active deal.propertyChange"),
    "active a string": (_set(f"{DEALSTAGE}.active", "true"), "true or false"),
    "another property": (
        _set(f"{DEALSTAGE}.propertyName", "dealname"),
        "active deal.propertyChange",
    ),
    "contact, not deal": (
        _set(f"{DEALSTAGE}.subscriptionType", "contact.propertyChange"),
        "active deal.propertyChange",
    ),
    "subscription key misspelt": (_set(f"{DEALSTAGE}.propertyname", "dealstage"), "unknown keys"),
    "no webhooks": (lambda files: files.pop(HOOKS), "type 'webhooks'"),
    "two apps": (
        lambda files: files.update({"src/app/other-hsmeta.json": files[APP]}),
        "type 'app'",
    ),
    "not a component file": (
        lambda files: files.update({"src/app/app.json": files.pop(APP)}),
        "*-hsmeta.json",
    ),
    "webhooks misplaced": (
        lambda files: files.update({"src/app/hooks/webhooks-hsmeta.json": files.pop(HOOKS)}),
        "must be in src/app/webhooks/",
    ),
}


@pytest.mark.parametrize(("mistake", "message"), MISTAKES.values(), ids=MISTAKES.keys())
def test_each_check_catches_its_mistake(mistake: Callable[[Files], Any], message: str):
    files = copy.deepcopy(load(APP_DIR))
    mistake(files)
    found = problems(files)
    assert any(message in problem for problem in found), found
