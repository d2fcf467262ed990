"""A connector with the mistakes integrators make, so the kit can be seen to catch them."""
