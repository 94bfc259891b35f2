"""The identity provider settings (service/infra/sso_settings.py): off unless a client
id is set, defaults, and each wrong one named at start-up."""

import pytest

from service.infra.config import ConfigurationError, Settings

OIDC = {
    "OIDC_ISSUER": "https://login.example.org/realms/team",
    "OIDC_CLIENT_ID": "ces",
    "OIDC_CLIENT_SECRET": "s3cret",
}


def test_without_a_client_id_no_provider_is_on():
    assert Settings.from_environment({}).sso.oidc is None


def test_an_oidc_provider_is_read_with_its_defaults():
    oidc = Settings.from_environment(OIDC).sso.oidc
    assert oidc.metadata_url == (
        "https://login.example.org/realms/team/.well-known/openid-configuration"
    )
    assert (oidc.scopes, oidc.label) == ("openid email profile", "your organisation's account")
    assert "s3cret" not in repr(oidc)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"OIDC_ISSUER": ""}, "OIDC_ISSUER"),
        ({"OIDC_ISSUER": "login.example.org"}, "OIDC_ISSUER"),
        ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET"),
        ({"OIDC_SCOPES": "email profile"}, "OIDC_SCOPES"),
    ],
)
def test_a_wrong_setting_is_named(change, named):
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_environment({**OIDC, **change})


GITHUB = {"GITHUB_CLIENT_ID": "ces", "GITHUB_CLIENT_SECRET": "s3cret", "GITHUB_ORG": "open-team"}


def test_github_is_read_with_github_s_addresses_by_default():
    github = Settings.from_environment(GITHUB).sso.github
    assert (github.org, github.url, github.api_url) == (
        "open-team",
        "https://github.com",
        "https://api.github.com",
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"GITHUB_ORG": ""}, "GITHUB_ORG"),
        ({"GITHUB_CLIENT_SECRET": ""}, "GITHUB_CLIENT_SECRET"),
        ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL"),
    ],
)
def test_a_wrong_github_setting_is_named(change, named):
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_environment({**GITHUB, **change})
