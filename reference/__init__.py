"""Reference kernel side and drivers (see the reference-kernel issue); not built yet."""
