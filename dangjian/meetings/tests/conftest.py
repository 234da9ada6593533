from dangjian.compliance.tests.conftest import branch, meet, result  # noqa: F401  (shared fixtures)
