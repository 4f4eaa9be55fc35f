pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.smtp", "tests.fixtures.platform", "tests.fixtures.webhooks",
                  "tests.fixtures.ignite"]
