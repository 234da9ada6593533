"""发展党员 checks (PIPE-*): pure functions over the pipeline facts (dangjian.pipeline.facts)."""
