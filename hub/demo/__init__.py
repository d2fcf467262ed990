"""``samad-hub demo``: the whole hub on embedded defaults, with sandboxed agencies, no servers."""
