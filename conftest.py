"""Repository-wide pytest options."""


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite fixtures/*/expected.jsonl from the current output instead of comparing.")
