"""Helpers shared by the tests and the benchmarks, one module per concept (the API client,
dates, HubSpot's webhooks and stubs, servers, …), imported, unlike the fixtures, which
live in conftest.py files. No module imports a test module or a conftest
(tests/unit/test_tests_share_through_support.py): what two tests share comes here."""
