"""Fixtures shared by every test. Each fixture family lives in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.users",
    "tests.fixtures.xsandbox",
    "tests.fixtures.content",
    "tests.fixtures.publishing",
    "tests.fixtures.processes",
    "tests.fixtures.gemini",
    "tests.fixtures.database",
    "tests.fixtures.monitoring",
    "tests.fixtures.api",
    "tests.fixtures.configuration",
]
