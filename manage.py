#!/usr/bin/env python
"""Same as the `dangjian` command."""

from dangjian.cli import main

if __name__ == "__main__":
    main()
