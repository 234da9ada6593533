from dangjian.compliance.tests.conftest import branch  # noqa: F401  (the shared branch fixture)
